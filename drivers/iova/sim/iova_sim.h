/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: the software IOMMU's map/unmap, for the layers that create mappings. */
#ifndef IOVA_SIM_H
#define IOVA_SIM_H

#include "udma_common.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

#define SIM_PERM_R 0x1ULL /* the device may read */
#define SIM_PERM_W 0x2ULL /* the device may write */

/* map [va, va+len) at a new IOVA range wholly <= limit; UDMA_MAPPING_ERROR when full */
udma_addr_t sim_map(void *va, size_t len, unsigned int perms, uint64_t limit);
/*
 * Undo sim_map: @iova and @len must be a live mapping's (its first and last pages
 * are checked). Sets *va to the CPU address mapped at @iova and *perms to the
 * mapping's. 0, or -ENOENT (nothing mapped there) / -EINVAL (not that mapping).
 */
int sim_unmap(udma_addr_t iova, size_t len, void **va, unsigned int *perms);
/*
 * The CPU address behind a streaming mapping's IOVA (no permission check), its
 * permissions, and the bytes left in the mapping from @iova (to its last page's
 * end). NULL when @iova is not in a streaming mapping.
 */
void *sim_translate(udma_addr_t iova, unsigned int *perms);
/* a range for a whole sg list: @span bytes (page multiple) aligned to @align, <= limit */
udma_addr_t sim_range_alloc(size_t span, size_t align, uint64_t limit);
/* map [va, va+len) page by page at @iova (page offset of va == that of iova); head/tail marks */
int sim_range_map(udma_addr_t iova, void *va, size_t len, unsigned int perms, bool head, bool tail);
/* drop a range from sim_range_alloc() whatever is mapped in it */
void sim_range_free(udma_addr_t iova, size_t span);
/* sim mode is in force */
int sim_active(void);
/* pages currently mapped in the page table */
size_t sim_mapped_pages(void);

#pragma GCC visibility pop

#endif
