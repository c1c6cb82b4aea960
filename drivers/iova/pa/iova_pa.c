/* SPDX-License-Identifier: BSD-3-Clause */
/* pa: IOVA = physical address, read from /proc/self/pagemap. */
#include <string.h>
#include <unistd.h>

#include "eal_private.h"
#include "iova_private.h"

static int pa_probe(char *why, size_t len)
{
	static volatile int touched;
	int fd = pagemap_open();
	udma_addr_t pa;

	if (fd < 0) {
		snprintf(why, len, "cannot open /proc/self/pagemap: %s", strerror(-fd));
		return fd;
	}
	touched = 1;
	pa = pagemap_pa(fd, (const void *)&touched);
	pagemap_close(fd);
	if (pa == 0 || pa == UDMA_MAPPING_ERROR) {
		snprintf(why, len, "pagemap PFNs read as zero (needs root / CAP_SYS_ADMIN)");
		return -EPERM;
	}
	snprintf(why, len, "pagemap gives PFNs (euid %d), chosen", (int)geteuid());
	return 0;
}

static int pa_seg_map(void *va, size_t len, unsigned int page_shift, udma_addr_t *iova)
{
	int fd = pagemap_open();
	size_t pgsz = 1UL << page_shift;

	if (fd < 0)
		return fd;
	for (size_t i = 0; i < len / pgsz; i++) {
		iova[i] = pagemap_pa(fd, (uint8_t *)va + i * pgsz);
		if (iova[i] == 0 || iova[i] == UDMA_MAPPING_ERROR) {
			pagemap_close(fd);
			UDMA_LOG(ERR, "no PFN for memseg page %p", (void *)((uint8_t *)va + i * pgsz));
			return -EPERM;
		}
	}
	pagemap_close(fd);
	return 0;
}

static const struct udma_iova_ops pa_ops = {
	.name = "pa",
	.mode = UDMA_IOVA_PA,
	.auto_rank = 50,
	.sort_by_pa = 1,
	.probe = pa_probe,
	.seg_map = pa_seg_map,
	.dev_resolve = iova_memseg_resolve,
	.min_iova = memseg_min_iova,
};

__attribute__((constructor)) static void pa_register(void)
{
	iova_ops_register(&pa_ops);
}
