/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: the software IOMMU's map/unmap, for the layers that create mappings. */
#ifndef IOVA_SIM_H
#define IOVA_SIM_H

#include "udma_common.h"

#define SIM_PERM_R 0x1ULL /* the device may read */
#define SIM_PERM_W 0x2ULL /* the device may write */

/* map [va, va+len) at a new IOVA range wholly <= limit; UDMA_MAPPING_ERROR when full */
udma_addr_t sim_map(void *va, size_t len, unsigned int perms, uint64_t limit);
/* undo sim_map (same iova and len) */
void sim_unmap(udma_addr_t iova, size_t len);
/* pages currently mapped in the page table */
size_t sim_mapped_pages(void);

#endif
