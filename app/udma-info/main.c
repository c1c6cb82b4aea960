/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma-info: initialise udma with the given options and print what it set up: the
 * IOVA backend and why, the memseg layout and IOVA runs, the bounce region, and
 * the masks a device gets. Usage: udma-info [--json] [udma options], e.g.
 *   udma-info --iova-mode=auto -m 64
 *   udma-info --json --iova-mode=sim -m 4
 * --json prints one JSON object (no memseg dump) for scripts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <udma.h>

static void json_str(const char *key, const char *val, const char *sep)
{
	printf("\"%s\": \"", key);
	for (const unsigned char *p = (const unsigned char *)(val ? val : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	printf("\"%s", sep);
}

static void print_json(struct udma_device *dev)
{
	struct udma_swiotlb_stats tlb = {0};

	printf("{");
	json_str("version", udma_version(), ", ");
	printf("\"version_num\": %d, ", UDMA_VERSION);
	json_str("iova_mode", udma_iova_mode_name(udma_iova_mode()), ", ");
	json_str("iova_mode_reason", udma_iova_mode_reason(), ", ");
	printf("\"numa_nodes\": %d, \"lcore_slots\": %u, \"max_lcores\": %d, "
	       "\"cache_alignment\": %d, \"page_size\": %lu, \"dma_debug\": %s, ",
	       udma_numa_node_count(), udma_lcore_count(), UDMA_MAX_LCORES,
	       udma_get_cache_alignment(), (unsigned long)UDMA_PAGE_SIZE,
	       udma_debug_enabled() ? "true" : "false");
	udma_swiotlb_stats(&tlb);
	printf("\"swiotlb\": {\"size\": %llu, \"used\": %llu, \"bounces\": %llu, "
	       "\"failures\": %llu, \"forced\": %s}",
	       (unsigned long long)tlb.size, (unsigned long long)tlb.used,
	       (unsigned long long)tlb.bounces, (unsigned long long)tlb.failures,
	       tlb.forced ? "true" : "false");
	if (dev)
		printf(", \"device\": {\"dma_mask\": %llu, \"coherent_mask\": %llu, "
		       "\"required_mask\": %llu, \"max_seg_size\": %u, \"seg_boundary\": %llu, "
		       "\"supports_32bit\": %s, \"supports_64bit\": %s}",
		       (unsigned long long)udma_get_mask(dev),
		       (unsigned long long)udma_get_coherent_mask(dev),
		       (unsigned long long)udma_get_required_mask(dev), udma_get_max_seg_size(dev),
		       (unsigned long long)udma_get_seg_boundary(dev),
		       udma_supported(dev, UDMA_BIT_MASK(32)) ? "true" : "false",
		       udma_supported(dev, UDMA_BIT_MASK(64)) ? "true" : "false");
	printf("}\n");
}

int main(int argc, char **argv)
{
	struct udma_swiotlb_stats tlb;
	struct udma_device *dev;
	int json = 0, ret, i, j;

	/* --json is ours: take it out before udma parses the rest */
	for (i = 1, j = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	argv[argc] = NULL;
	ret = udma_eal_init(argc, argv);
	if (ret < 0) {
		if (ret == -ECANCELED)
			printf("udma-info options: --json  print one JSON object instead of text\n");
		return ret == -ECANCELED ? 0 : 1;
	}
	dev = udma_device_create("probe", NULL, -1);
	if (json) {
		print_json(dev);
	} else {
		printf("udma %s\n", udma_version());
		printf("iova mode: %s (%s)\n", udma_iova_mode_name(udma_iova_mode()),
		       udma_iova_mode_reason());
		printf("numa nodes: %d, lcore slots: %u, cache alignment: %d\n",
		       udma_numa_node_count(), udma_lcore_count(), udma_get_cache_alignment());
		udma_dump(stdout);
		if (udma_swiotlb_stats(&tlb) == 0)
			printf("swiotlb: %llu KiB%s\n", (unsigned long long)(tlb.size >> 10),
			       tlb.forced ? ", forced" : "");
		if (dev)
			printf("a new device: mask %#llx, supported 32-bit %d, 64-bit %d, "
			       "required mask %#llx\n",
			       (unsigned long long)udma_get_mask(dev),
			       udma_supported(dev, UDMA_BIT_MASK(32)),
			       udma_supported(dev, UDMA_BIT_MASK(64)),
			       (unsigned long long)udma_get_required_mask(dev));
	}
	if (dev)
		udma_device_destroy(dev);
	return udma_eal_cleanup() == 0 ? 0 : 1;
}
