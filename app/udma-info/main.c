/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma-info: initialise udma with the given options and print what it set up: the
 * IOVA backend and why, the memseg layout and IOVA runs, the bounce region, and
 * the masks a device gets. Usage: udma-info [udma options], e.g.
 *   udma-info --iova-mode=auto -m 64
 */
#include <errno.h>
#include <stdio.h>

#include <udma.h>

int main(int argc, char **argv)
{
	struct udma_swiotlb_stats tlb;
	struct udma_device *dev;
	int ret = udma_eal_init(argc, argv);

	if (ret < 0)
		return ret == -ECANCELED ? 0 : 1;
	printf("iova mode: %s (%s)\n", udma_iova_mode_name(udma_iova_mode()),
	       udma_iova_mode_reason());
	printf("numa nodes: %d, lcore slots: %u, cache alignment: %d\n", udma_numa_node_count(),
	       udma_lcore_count(), udma_get_cache_alignment());
	udma_dump(stdout);
	if (udma_swiotlb_stats(&tlb) == 0)
		printf("swiotlb: %llu KiB%s\n", (unsigned long long)(tlb.size >> 10),
		       tlb.forced ? ", forced" : "");
	dev = udma_device_create("probe", NULL, -1);
	if (dev) {
		printf("a new device: mask %#llx, supported 32-bit %d, 64-bit %d, required mask %#llx\n",
		       (unsigned long long)udma_get_mask(dev),
		       udma_supported(dev, UDMA_BIT_MASK(32)), udma_supported(dev, UDMA_BIT_MASK(64)),
		       (unsigned long long)udma_get_required_mask(dev));
		udma_device_destroy(dev);
	}
	return udma_eal_cleanup() == 0 ? 0 : 1;
}
