/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An application as tests/abi_skew.sh builds it: once against the headers as
 * configured, once against a udma_config.h with another UDMA_MAX_LCORES (an app
 * built for another layout). Exit 0: pool created; 3: refused with EPROTO.
 */
#include <errno.h>
#include <stdio.h>

#include <udma.h>

int main(void)
{
	char *argv[] = {"abi_skew", "--iova-mode=sim", "-m", "8", "--log-level=3", NULL};
	struct udma_device *dev;
	struct udma_pool *pool;
	udma_addr_t h;
	void *b;
	int ret;

	if (udma_eal_init(5, argv) < 0)
		return 1;
	dev = udma_device_create("skew", NULL, -1);
	errno = 0;
	pool = udma_pool_create("skew", dev, 64, 0, 0);
	if (pool) {
		b = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &h);
		ret = b ? 0 : 1;
		udma_pool_free(pool, b, h);
		udma_pool_destroy(pool);
	} else {
		ret = errno == EPROTO ? 3 : 2;
	}
	udma_device_destroy(dev);
	udma_eal_cleanup();
	printf("abi_skew: %s\n", ret == 0 ? "pool created" : ret == 3 ? "refused (EPROTO)" : "error");
	return ret;
}
