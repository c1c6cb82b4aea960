/* SPDX-License-Identifier: BSD-3-Clause */
/* The subproject consumer: init in sim mode, map a buffer, read it as the device. */
#include <stdio.h>
#include <string.h>

#include <udma.h>

int main(void)
{
	char *argv[] = {"consumer", "--iova-mode=sim", "-m", "8", "--log-level=3", NULL};
	char buf[64], back[64];
	struct udma_device *dev;
	udma_addr_t h;
	int ok;

	if (udma_eal_init(5, argv) < 0)
		return 1;
	dev = udma_device_create("consumer", NULL, -1);
	memset(buf, 0x5c, sizeof(buf));
	h = udma_map_single(dev, buf, sizeof(buf), UDMA_TO_DEVICE);
	ok = !udma_mapping_error(dev, h) && udma_sim_dma_read(dev, h, back, sizeof(back)) == 0 &&
	     memcmp(buf, back, sizeof(buf)) == 0;
	udma_unmap_single(dev, h, sizeof(buf), UDMA_TO_DEVICE);
	udma_device_destroy(dev);
	udma_eal_cleanup();
	printf("consumer: udma %s (%#x): %s\n", udma_version(), UDMA_VERSION, ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
