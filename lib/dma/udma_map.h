/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Streaming DMA mappings: map/unmap single and page, attributes,
 * sync, bounce buffers (swiotlb) and memory registration.
 *
 * Memseg memory maps by translation (pa/va: no state, no syscall; sim: an IOVA
 * range from per-lcore magazines and page-table entries whose permissions follow
 * the direction). Other memory is bounced through the swiotlb region (reserved at
 * init below 4 GiB of IOVA), or mapped directly once registered with
 * udma_mem_register(). A handle is never above the device's DMA mask: memory out
 * of reach bounces, and when bouncing is impossible the map returns
 * UDMA_MAPPING_ERROR with one log line.
 *
 * Every call checks its arguments first, in every mode: an invalid device, a NULL
 * buffer, size 0, a direction other than TO_DEVICE/FROM_DEVICE/BIDIRECTIONAL, or a
 * range that wraps the address space or ends beyond 57-bit user addresses is
 * refused at once with one log line (error messages are rate-limited per call
 * site: see udma_log_suppressed_count()).
 *
 * What a sync or unmap detects without --dma-debug depends on the mapping:
 * - bounced (swiotlb): a range past the end of the mapping, a handle that is no
 *   live bounce mapping (after its unmap, unless the slot was handed out again),
 *   or an unmap with another size or direction are logged and ignored;
 * - direct pa/va: the mapping holds no state, so a sync is a no-op (x86 DMA is
 *   coherent); an IOVA udma never handed out is logged, but a sync past the end
 *   or after unmap of a real mapping is caught only with --dma-debug;
 * - sim: the sim IOMMU holds each mapping; what it refuses is in doc/design.md.
 * With --dma-debug every sync and unmap is checked against the live mapping.
 */
#ifndef UDMA_MAP_H
#define UDMA_MAP_H

#include "udma_dma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** DMA attributes (Linux's DMA_ATTR_*); effects in userspace as documented. */
enum udma_attr {
	/** Accepted; x86 DMA is strongly ordered, so writes already arrive in order. */
	UDMA_ATTR_WRITE_BARRIER = 0,
	/** Accepted; relaxed ordering has no effect on x86 or the sim device model. */
	UDMA_ATTR_WEAK_ORDERING,
	/** Accepted for coherent memory semantics; streaming maps are unaffected. */
	UDMA_ATTR_WRITE_COMBINE,
	/** Skip the bounce-buffer copies on map and unmap (the driver syncs itself). */
	UDMA_ATTR_SKIP_CPU_SYNC,
	/**
	 * map_sg: the whole list must come out as one IOVA segment. sim mode maps it
	 * into one IOVA range; pa/va mode fails (returns 0) unless the entries are
	 * IOVA-adjacent within the device's limits.
	 */
	UDMA_ATTR_FORCE_CONTIGUOUS,
	/** Do not log a line when the mapping fails. */
	UDMA_ATTR_NO_WARN,
	UDMA_ATTR_MAX
};

/** A set of attributes: Linux's struct dma_attrs. */
struct udma_attrs {
	unsigned long flags; /**< one bit per enum udma_attr */
};

/** Define and clear an attribute set: Linux's DEFINE_DMA_ATTRS. */
#define UDMA_DEFINE_ATTRS(x) struct udma_attrs x = {0}

/** Set @p attr in @p attrs (no-op for NULL or an unknown attribute). */
UDMA_API void udma_set_attr(enum udma_attr attr, struct udma_attrs *attrs);
/** @return 1 when @p attr is set in @p attrs, 0 otherwise (also for NULL). */
UDMA_API int udma_get_attr(enum udma_attr attr, const struct udma_attrs *attrs);

/**
 * Map @p size bytes at @p cpu_addr for @p dev (Linux: dma_map_single).
 * @param dev the device that will do the DMA.
 * @param cpu_addr the buffer.
 * @param size its length in bytes (> 0).
 * @param dir UDMA_TO_DEVICE, UDMA_FROM_DEVICE or UDMA_BIDIRECTIONAL.
 * @return the IOVA, or UDMA_MAPPING_ERROR (bad argument, a range that wraps or
 *         cannot fit, or no way to reach the memory under the device's mask) with
 *         one log line, at once. Thread-safe, no lock and no syscall for memseg
 *         memory on a registered lcore.
 */
UDMA_API udma_addr_t udma_map_single(struct udma_device *dev, void *cpu_addr, size_t size,
				     enum udma_data_direction dir);
/** udma_map_single() with attributes; NULL @p attrs = the plain call. */
UDMA_API udma_addr_t udma_map_single_attrs(struct udma_device *dev, void *cpu_addr, size_t size,
					   enum udma_data_direction dir,
					   const struct udma_attrs *attrs);
/**
 * Unmap what udma_map_single() returned; @p size and @p dir must be those of the
 * map. For a bounced FROM_DEVICE/BIDIRECTIONAL mapping the device's bytes are
 * copied back to the CPU buffer. Bad arguments, and an address that maps nothing
 * (as far as the mode can tell: see the file comment), are logged and ignored.
 */
UDMA_API void udma_unmap_single(struct udma_device *dev, udma_addr_t addr, size_t size,
				enum udma_data_direction dir);
/** udma_unmap_single() with attributes (UDMA_ATTR_SKIP_CPU_SYNC skips the copy back). */
UDMA_API void udma_unmap_single_attrs(struct udma_device *dev, udma_addr_t addr, size_t size,
				      enum udma_data_direction dir,
				      const struct udma_attrs *attrs);
/**
 * Map part of a page (Linux: dma_map_page). @p page is a 4 KiB-aligned address;
 * the mapping covers [page + offset, page + offset + size).
 * @return as udma_map_single(); a misaligned or NULL page, or an offset that
 *         wraps the address space, is UDMA_MAPPING_ERROR with one log line.
 */
UDMA_API udma_addr_t udma_map_page(struct udma_device *dev, void *page, size_t offset, size_t size,
				   enum udma_data_direction dir);
/** Unmap what udma_map_page() returned. */
UDMA_API void udma_unmap_page(struct udma_device *dev, udma_addr_t addr, size_t size,
			      enum udma_data_direction dir);
/** udma_map_page() with attributes (Linux: dma_map_page_attrs), as udma_map_single_attrs(). */
UDMA_API udma_addr_t udma_map_page_attrs(struct udma_device *dev, void *page, size_t offset,
					 size_t size, enum udma_data_direction dir,
					 const struct udma_attrs *attrs);
/** udma_unmap_page() with attributes (Linux: dma_unmap_page_attrs). */
UDMA_API void udma_unmap_page_attrs(struct udma_device *dev, udma_addr_t addr, size_t size,
				    enum udma_data_direction dir, const struct udma_attrs *attrs);
/** @return non-zero when @p addr is UDMA_MAPPING_ERROR (Linux: dma_mapping_error). */
UDMA_API int udma_mapping_error(struct udma_device *dev, udma_addr_t addr);

/**
 * Sync a mapping for the CPU: after the device wrote (FROM_DEVICE/BIDIRECTIONAL)
 * bounced bytes are copied to the CPU buffer. Free for unbounced memory (x86 DMA
 * is coherent). @p size may be a prefix of the mapping. Bad arguments are logged
 * and ignored; a range past the end or a sync after unmap is refused the same way
 * for bounced mappings, for direct pa/va ones only with --dma-debug (file comment).
 */
UDMA_API void udma_sync_single_for_cpu(struct udma_device *dev, udma_addr_t addr, size_t size,
				       enum udma_data_direction dir);
/** Sync for the device: after the CPU wrote (TO_DEVICE/BIDIRECTIONAL). */
UDMA_API void udma_sync_single_for_device(struct udma_device *dev, udma_addr_t addr, size_t size,
					  enum udma_data_direction dir);
/**
 * Linux's dma_sync_single: TO_DEVICE syncs for the device (after CPU writes),
 * FROM_DEVICE for the CPU (before CPU reads); BIDIRECTIONAL hands the buffer to
 * whichever side does not own it now (a mapping starts owned by the device).
 */
UDMA_API void udma_sync_single(struct udma_device *dev, udma_addr_t addr, size_t size,
			       enum udma_data_direction dir);
/** Partial sync of [addr + offset, addr + offset + size), as udma_sync_single(). */
UDMA_API void udma_sync_single_range(struct udma_device *dev, udma_addr_t addr, size_t offset,
				     size_t size, enum udma_data_direction dir);
/** Partial udma_sync_single_for_cpu(). */
UDMA_API void udma_sync_single_range_for_cpu(struct udma_device *dev, udma_addr_t addr,
					     size_t offset, size_t size,
					     enum udma_data_direction dir);
/** Partial udma_sync_single_for_device(). */
UDMA_API void udma_sync_single_range_for_device(struct udma_device *dev, udma_addr_t addr,
						size_t offset, size_t size,
						enum udma_data_direction dir);

/**
 * Register memory outside the memsegs for direct mapping: pins it (mlock) and
 * translates it at 4 KiB granularity; afterwards maps of it need no bounce (pa:
 * while a mapping stays within one physically contiguous run).
 * @return 0; -EINVAL (NULL, size 0, a range that wraps, not initialised); -EBUSY
 *         when it overlaps a registration or the memsegs; -ENOMEM when it cannot be
 *         pinned.
 */
UDMA_API int udma_mem_register(void *va, size_t len);
/**
 * Register memory another framework owns, pins and translates (DPDK's memsegs) at
 * the IOVA it gives: maps of [va, va+len) need no bounce and get @p iova + offset,
 * and the device model reaches it there. udma neither pins nor IOMMU-maps it: the
 * owner keeps it resident and, in vfio mode, mapped in the container udma uses
 * (udma_vfio_set_container()). Undo with udma_mem_unregister().
 * @param va start, aligned to @p pgsz.
 * @param len bytes, a multiple of @p pgsz; the region is IOVA-contiguous.
 * @param iova the IOVA of @p va, aligned to @p pgsz.
 * @param pgsz the page size backing it: a power of two, at least 4096.
 * @return 0; -EINVAL (NULL, 0, unaligned, wrapping VA or IOVA, not initialised);
 *         -ENOTSUP in sim mode (its IOMMU allocates IOVAs: use udma_mem_register());
 *         -EBUSY when it overlaps a registration or the memsegs; -ENOMEM.
 */
UDMA_API int udma_mem_register_iova(void *va, size_t len, udma_addr_t iova, size_t pgsz);
/**
 * Undo udma_mem_register() with the same @p va and @p len.
 * @return 0; -ERANGE for part of a registration; -EINVAL when nothing is registered
 *         there (or NULL, 0, a wrapping range); -EBUSY, with the region kept, while
 *         a direct streaming mapping of it (udma_map_single(), udma_map_page(), an
 *         entry of udma_map_sg()) is live. Bounced mappings of it do not count:
 *         the device reaches only the bounce slot.
 */
UDMA_API int udma_mem_unregister(void *va, size_t len);

/**
 * Map a peer device's MMIO window (a physical/bus address, e.g. a BAR) for @p dev
 * (the kernel's dma_map_resource). In pa mode no IOMMU sits between the devices,
 * so the handle is @p phys_addr itself (checked against the DMA mask). The other
 * modes would need the window mapped through the IOVA backend, which udma does
 * not do yet: they refuse.
 * @return the handle, or UDMA_MAPPING_ERROR with one log line (bad device, size 0,
 *         a wrapping range, a bad direction, above the mask, not pa mode).
 */
UDMA_API udma_addr_t udma_map_resource(struct udma_device *dev, uint64_t phys_addr, size_t size,
				       enum udma_data_direction dir);
/** Undo udma_map_resource() (no state in pa mode; bad arguments logged). */
UDMA_API void udma_unmap_resource(struct udma_device *dev, udma_addr_t addr, size_t size,
				  enum udma_data_direction dir);

/** Bounce-buffer (swiotlb) counters. */
struct udma_swiotlb_stats {
	uint64_t size;       /**< bytes in the bounce region (0: none) */
	uint64_t used;       /**< bytes in live bounce slots */
	uint64_t bounces;    /**< mappings bounced since init */
	uint64_t failures;   /**< bounces that found no room */
	int forced;          /**< --swiotlb=force */
};
/** Fill @p st. @return 0 or -EINVAL. */
UDMA_API int udma_swiotlb_stats(struct udma_swiotlb_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_MAP_H */
