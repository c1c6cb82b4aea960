/* SPDX-License-Identifier: BSD-3-Clause */
/* va: IOVA = process virtual address (devices that use process addresses). */
#include "eal_private.h"
#include "iova_private.h"

static int va_probe(char *why, size_t len)
{
	snprintf(why, len, "always usable (IOVA = VA), chosen");
	return 0;
}

static int va_seg_map(void *va, size_t len, unsigned int page_shift, udma_addr_t *iova)
{
	size_t pgsz = 1UL << page_shift;

	for (size_t i = 0; i < len / pgsz; i++)
		iova[i] = (udma_addr_t)(uintptr_t)va + i * pgsz;
	return 0;
}

static const struct udma_iova_ops va_ops = {
	.name = "va",
	.mode = UDMA_IOVA_VA,
	.auto_rank = 10,
	.probe = va_probe,
	.seg_map = va_seg_map,
	.dev_resolve = iova_memseg_resolve,
	.min_iova = memseg_min_iova,
};

__attribute__((constructor)) static void va_register(void)
{
	iova_ops_register(&va_ops);
}
