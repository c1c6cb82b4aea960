/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The provider side of the DMA-mapping API (Linux's include/linux/dma-map-ops.h):
 * the ops a remapping backend (an IOMMU: drivers/iova/sim; later vfio with
 * allocated IOVAs) gives its devices, and the library services such a backend
 * builds on (the direct allocator, bounce slots, the noncoherent views).
 *
 * A device whose ops are NULL takes the direct path (pa, va, identity vfio): the
 * public entries translate inline, with no indirect call. Otherwise every public
 * entry validates its arguments, calls the op, then the dma-debug hook: an op
 * sees only well-formed arguments (a live device, a valid direction, a non-zero
 * size, a handle other than UDMA_MAPPING_ERROR) and logs its own refusals.
 */
#ifndef DMA_MAP_OPS_H
#define DMA_MAP_OPS_H

#include <stdbool.h>

#include "udma_dma.h"
#include "udma_map.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

struct udma_sg;

/*
 * One set per backend, chosen per device when it is created (get_dma_ops()).
 * attrs are UDMA_ATTR_* bits (struct udma_attrs.flags).
 */
struct udma_dma_ops {
	const char *name;
	/*
	 * Give a new device its IOMMU domain (dev->iommu), or share its parent's.
	 * 0 or -errno (the create fails). detach drops it when the device goes.
	 */
	int (*attach)(struct udma_device *dev);
	void (*detach)(struct udma_device *dev);
	/* coherent memory: allocate and map for the device / unmap and free */
	void *(*alloc)(struct udma_device *dev, size_t size, udma_addr_t *handle, udma_gfp_t gfp);
	void (*free)(struct udma_device *dev, size_t size, void *cpu_addr, udma_addr_t handle);
	/* noncoherent memory: NULL when it is coherent memory (then alloc/free serve) */
	void *(*alloc_noncoherent)(struct udma_device *dev, size_t size, udma_addr_t *handle,
				   udma_gfp_t gfp);
	void (*free_noncoherent)(struct udma_device *dev, size_t size, void *cpu_addr,
				 udma_addr_t handle);
	/*
	 * Memory the library already allocated for the device at a fixed IOVA (pool
	 * slabs): make [iova, iova+size) reach [va, va+size) read/write, or undo it.
	 */
	int (*map_memory)(struct udma_device *dev, void *va, udma_addr_t iova, size_t size);
	void (*unmap_memory)(struct udma_device *dev, udma_addr_t iova, size_t size);
	/* streaming: one buffer (map_page takes the CPU address of its first byte) */
	udma_addr_t (*map_page)(struct udma_device *dev, void *va, size_t size,
				enum udma_data_direction dir, unsigned long attrs);
	void (*unmap_page)(struct udma_device *dev, udma_addr_t addr, size_t size,
			   enum udma_data_direction dir, unsigned long attrs);
	/* streaming: a list; map_sg returns the segment count, 0 on failure */
	int (*map_sg)(struct udma_device *dev, struct udma_sg *sgl, int nents,
		      enum udma_data_direction dir, unsigned long attrs);
	void (*unmap_sg)(struct udma_device *dev, struct udma_sg *sgl, int nents,
			 enum udma_data_direction dir, unsigned long attrs);
	/*
	 * Ownership transfers of [addr+off, addr+off+size). udma_sync_single and
	 * udma_sync_sg (no Linux equivalent: BIDIRECTIONAL goes by who owns the
	 * buffer now) call the for_cpu op with @by_owner set.
	 */
	void (*sync_single_for_cpu)(struct udma_device *dev, udma_addr_t addr, size_t off,
				    size_t size, enum udma_data_direction dir, bool by_owner);
	void (*sync_single_for_device)(struct udma_device *dev, udma_addr_t addr, size_t off,
				       size_t size, enum udma_data_direction dir);
	void (*sync_sg_for_cpu)(struct udma_device *dev, struct udma_sg *sgl, int nents,
				enum udma_data_direction dir, bool by_owner);
	void (*sync_sg_for_device)(struct udma_device *dev, struct udma_sg *sgl, int nents,
				   enum udma_data_direction dir);
	/*
	 * The device side (the sim device model): where does the device's access to
	 * @iova land? *va and *contig (bytes on from iova). 0, -ENOENT, -EACCES.
	 */
	int (*resolve)(const struct udma_device *dev, udma_addr_t iova, int write, void **va,
		       size_t *contig);
};

/* ---- services for providers ------------------------------------------------ */

/* IOMMU permission bits for a direction: the device reads TO_DEVICE memory */
#define DMA_PERM_R 0x1u
#define DMA_PERM_W 0x2u
static inline unsigned int dma_dir_perms(enum udma_data_direction dir)
{
	return dir == UDMA_TO_DEVICE ? DMA_PERM_R : dir == UDMA_FROM_DEVICE ? DMA_PERM_W :
	       DMA_PERM_R | DMA_PERM_W;
}

/* an attrs bit of the unmap ops: dma-debug already reported this call (log no more) */
#define DMA_ATTR_PVT_REPORTED (1UL << 63)

/* sg entry marks (udma_sg.map_flags) */
#define SGF_BOUNCED 0x1u
#define SGF_LIST_BOUNCED 0x2u /* on the first entry: some entry of the list bounced */
#define SGF_REG 0x4u /* a direct mapping of registered memory: counted in its region */

/*
 * The direct allocator (memseg heap, or the device's declared memory): the
 * arguments are already checked. *handle is the memory's fixed IOVA.
 * *declared is set when the memory is device-local (declared: no IOMMU mapping).
 */
void *dma_direct_alloc(struct udma_device *dev, size_t size, udma_addr_t *handle,
		       udma_gfp_t gfp, bool *declared);
/* 0, or -EINVAL (logged: not a live allocation of @dev of that size and handle) */
int dma_direct_free(struct udma_device *dev, size_t size, void *cpu_addr, udma_addr_t handle);
/* is @va (with @handle) device-local declared memory of @dev? */
bool dma_is_declared(const struct udma_device *dev, const void *va, udma_addr_t handle);

/* noncoherent memory as two views (CPU, device) that only the sync calls copy */
void *dma_nc_alloc_views(struct udma_device *dev, size_t size, udma_addr_t *handle,
			 udma_gfp_t gfp);
void dma_nc_free_views(struct udma_device *dev, size_t size, void *cpu_addr, udma_addr_t handle);
/* TO_DEVICE: CPU view -> device view; FROM_DEVICE: back; BIDIRECTIONAL: both */
int dma_nc_sync_handle(udma_addr_t handle, size_t off, size_t size, enum udma_data_direction dir);

/* dma_cpu_backed(), dma_in_memseg_va(): dma_private.h (inline) */
/* log (unless NO_WARN in @flags) and return UDMA_MAPPING_ERROR */
udma_addr_t dma_map_fail(struct udma_device *dev, const void *va, size_t size,
			 unsigned long flags, const char *why);

#pragma GCC visibility pop

#endif /* DMA_MAP_OPS_H */
