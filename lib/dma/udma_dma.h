/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Devices, DMA addressing limits and coherent memory (see doc/dma-api.md).
 */
#ifndef UDMA_DMA_H
#define UDMA_DMA_H

#include "udma_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A DMA-capable device: Linux's struct device. Opaque. */
struct udma_device;

/**
 * Create a device. Masks start at 32 bits (as Linux does for PCI), max segment
 * size at 64 KiB, segment boundary at 4 GiB - 1.
 * @param name for diagnostics, 1..63 characters.
 * @param parent NULL, or the parent device (bridge); children may use its
 *        declared memory.
 * @param numa_node the node its coherent memory comes from, or -1 for the
 *        caller's node; must be < udma_numa_node_count().
 * @return the device, or NULL with errno EINVAL (bad argument), ENODEV (udma not
 *         initialised), ENOMEM. Thread-safe; may block.
 */
UDMA_API struct udma_device *udma_device_create(const char *name, struct udma_device *parent,
						int numa_node);

/**
 * Destroy a device. A device that still has a pool or a live coherent allocation
 * (udma_alloc_coherent(), declared memory included) is busy: nothing is freed and
 * one line is logged; free them first (udma_device_try_destroy() returns -EBUSY).
 * Children keep working with their parent link cleared. NULL is ignored. With
 * --dma-debug, streaming mappings still live are reported as leaks.
 */
UDMA_API void udma_device_destroy(struct udma_device *dev);

/**
 * udma_device_destroy() that says what happened.
 * @param dev the device, or NULL (ignored).
 * @return 0 (destroyed, or NULL), -EBUSY (a pool or coherent allocation still uses
 *         it: nothing freed, one log line) or -EINVAL (not a device).
 */
UDMA_API int udma_device_try_destroy(struct udma_device *dev);

/** @return the name given at creation, or NULL for a bad device. */
UDMA_API const char *udma_device_name(const struct udma_device *dev);
/** @return the device's NUMA node, or -1 for a bad device. */
UDMA_API int udma_device_numa_node(const struct udma_device *dev);
/** @return the parent, or NULL. */
UDMA_API struct udma_device *udma_device_parent(const struct udma_device *dev);

/**
 * Can the device do DMA with @p mask in the current IOVA mode?
 * @return 1 when memory the device can reach exists under @p mask (a memseg, or
 *         in sim mode the IOMMU's IOVA space), else 0 (also for a bad device).
 *         Changes nothing.
 */
UDMA_API int udma_supported(struct udma_device *dev, uint64_t mask);

/**
 * Set the streaming DMA mask.
 * @return 0; -EIO when udma_supported() says no (mask unchanged); -EINVAL for a
 *         bad device.
 */
UDMA_API int udma_set_mask(struct udma_device *dev, uint64_t mask);
/** Set the mask for coherent allocations. Returns as udma_set_mask(). */
UDMA_API int udma_set_coherent_mask(struct udma_device *dev, uint64_t mask);
/** Set both masks; all or nothing. Returns as udma_set_mask(). */
UDMA_API int udma_set_mask_and_coherent(struct udma_device *dev, uint64_t mask);
/** @return the streaming DMA mask, or 0 for a bad device. */
UDMA_API uint64_t udma_get_mask(struct udma_device *dev);
/** @return the coherent DMA mask, or 0 for a bad device. */
UDMA_API uint64_t udma_get_coherent_mask(struct udma_device *dev);

/**
 * The smallest mask (within the one set) that covers every address the platform
 * may hand this device in the current mode: pa, the highest System RAM
 * address (/proc/iomem) or of the memsegs; va, the user address space; sim, the
 * IOVAs the software IOMMU gives memsegs. Changes nothing.
 * @return the mask, or 0 for a bad device.
 */
UDMA_API uint64_t udma_get_required_mask(struct udma_device *dev);

/** Largest segment the device takes in one sg entry (> 0). @return 0 or -EINVAL. */
UDMA_API int udma_set_max_seg_size(struct udma_device *dev, unsigned int size);
/** @return the max segment size, or 0 for a bad device. */
UDMA_API unsigned int udma_get_max_seg_size(struct udma_device *dev);
/**
 * Segment boundary: no sg segment may cross an address multiple of mask + 1.
 * @param dev the device.
 * @param mask of the form 2^n - 1, n >= 12.
 * @return 0 or -EINVAL.
 */
UDMA_API int udma_set_seg_boundary(struct udma_device *dev, uint64_t mask);
/** @return the segment boundary mask, or 0 for a bad device. */
UDMA_API uint64_t udma_get_seg_boundary(struct udma_device *dev);

/**
 * Allocate coherent memory for @p dev (Linux: dma_alloc_coherent).
 *
 * The memory is zeroed, page aligned, IOVA-contiguous, from the device's NUMA
 * node (another node only when that one has none), with the whole range
 * [*handle, *handle + size) under the coherent mask. Sizes are rounded up to
 * pages. Thread-safe.
 *
 * @param dev the device the memory is for.
 * @param size bytes, rounded up to 4 KiB pages.
 * @param handle receives the IOVA to program into the device.
 * @param gfp UDMA_GFP_KERNEL may grow memsegs (mmap); UDMA_GFP_ATOMIC never blocks
 *        and makes no syscall, using only memory already reserved.
 * @return the CPU address, or NULL with errno EINVAL (bad argument, one log line)
 *         or ENOMEM (nothing the device can reach is free).
 */
UDMA_API void *udma_alloc_coherent(struct udma_device *dev, size_t size, udma_addr_t *handle,
				   udma_gfp_t gfp);

/**
 * Free what udma_alloc_coherent() returned. dev, size and handle must be those of
 * the allocation, cpu_addr its return value. A mismatch or an address that is not
 * a live allocation of @p dev is logged and ignored (nothing is freed). Thread-safe;
 * never blocks.
 */
UDMA_API void udma_free_coherent(struct udma_device *dev, size_t size, void *cpu_addr,
				 udma_addr_t handle);

/**
 * Managed coherent memory (the kernel's dmam_alloc_coherent): as
 * udma_alloc_coherent(), and the allocation is freed by udma_device_destroy()
 * if the driver has not freed it (no leak report for it).
 * @return the CPU address, or NULL with errno EINVAL (bad argument, one log line)
 *         or ENOMEM.
 */
UDMA_API void *udma_dmam_alloc_coherent(struct udma_device *dev, size_t size,
					udma_addr_t *handle, udma_gfp_t gfp);
/**
 * Free a udma_dmam_alloc_coherent() allocation before its device goes away.
 * Arguments as udma_free_coherent(); an address that is no managed allocation of
 * @p dev, or another size or handle, is logged and ignored (nothing is freed).
 */
UDMA_API void udma_dmam_free_coherent(struct udma_device *dev, size_t size, void *cpu_addr,
				      udma_addr_t handle);

/** Coherent memory a device holds: live allocations and their bytes. */
struct udma_device_stats {
	uint64_t coherent_allocs; /**< live coherent allocations */
	uint64_t coherent_bytes;  /**< bytes they hold (page-rounded) */
};
/** Fill @p st. @return 0, or -EINVAL. Thread-safe. */
UDMA_API int udma_device_stats(struct udma_device *dev, struct udma_device_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_DMA_H */
