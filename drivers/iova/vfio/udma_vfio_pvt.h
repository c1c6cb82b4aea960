/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internal: the vfio backend's counted map/unmap for udma's environment drivers
 * (libudma_dpdk maps DPDK's memory into the shared container at DPDK's IOVAs).
 * Every DMA mapping udma makes in its container goes through the backend, so its
 * count of the mappings the container still takes (type1's dma_entry_limit, read
 * from VFIO_IOMMU_GET_INFO's DMA_AVAIL) stays the kernel's. Not an API: names and
 * behaviour may change between releases; not installed.
 */
#ifndef UDMA_VFIO_PVT_H
#define UDMA_VFIO_PVT_H

#include <stddef.h>

#include "udma_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @internal Map [@p va, @p va + @p len) at @p iova in udma's VFIO container, for
 * an environment driver: one type1 mapping, counted against the container's
 * mapping limit and recorded (udma_dump shows it); udma's own unmaps never touch
 * it, udma_pvt_vfio_dma_unmap() and udma_eal_cleanup() take it back.
 *
 * What an EEXIST from the kernel means is checked as far as the kernel lets it be:
 * a range overlapping a mapping udma made, or IOVA space udma's allocator holds
 * (its memseg reservation at IOVA = VA, an allocated IOVA), is udma's own: -EEXIST
 * and one log line. Otherwise another user of the container (DPDK's own VFIO, the
 * application) mapped an overlapping range: type1 has no call that tells the CPU
 * address behind an IOVA without changing the mapping (VFIO_IOMMU_UNMAP_DMA removes
 * it), so whether it maps @p va is not checked; udma re-reads the kernel's count.
 * @param va page-aligned CPU address (pinned by the kernel while mapped).
 * @param iova page-aligned IOVA the device uses.
 * @param len page-aligned length, not 0.
 * @return 0 mapped and counted; 1 another user's mapping overlaps (nothing done,
 *         nothing counted); -EINVAL bad argument; -ENODEV not in vfio mode;
 *         -EEXIST udma's own mapping or IOVA space; -ENOSPC the container's
 *         mapping limit; -ENOMEM; another -errno from VFIO_IOMMU_MAP_DMA.
 */
UDMA_API int udma_pvt_vfio_dma_map(void *va, udma_addr_t iova, size_t len);

/**
 * @internal Take back a mapping udma_pvt_vfio_dma_map() made at exactly
 * [@p iova, @p iova + @p len); counted.
 * @return 0, -ENODEV (not in vfio mode) or -ENOENT (no such mapping: nothing done,
 *         one log line).
 */
UDMA_API int udma_pvt_vfio_dma_unmap(udma_addr_t iova, size_t len);

/** @internal What udma counts in its VFIO container (udma_pvt_vfio_dma_stats()). */
struct udma_pvt_vfio_dma_stats {
	/** more DMA mappings the container takes (type1's DMA_AVAIL as udma counts
	 *  it); -1 when the kernel does not say (before Linux 5.10) */
	long avail;
	/** udma's mappings in the container */
	size_t maps;
	/** of them, the environment driver's (udma_pvt_vfio_dma_map()) */
	size_t env_maps;
	/** udma_pvt_vfio_dma_map() calls another user's mapping answered (1) */
	unsigned long env_foreign;
};

/**
 * @internal udma's count of its container's mappings.
 * @param st filled.
 * @param reread nonzero: read the kernel's DMA_AVAIL again first (another user of
 *        a shared container, DPDK's own VFIO, maps and unmaps without udma).
 * @return 0, -EINVAL (NULL), -ENODEV (not in vfio mode).
 */
UDMA_API int udma_pvt_vfio_dma_stats(struct udma_pvt_vfio_dma_stats *st, int reread);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_VFIO_PVT_H */
