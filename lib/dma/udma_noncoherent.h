/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Advanced DMA usage: noncoherent memory, cache sync points, declared device memory and
 * the IO accessors that go with it.
 *
 * x86 DMA is coherent: in pa and va mode noncoherent memory is coherent memory and
 * the sync points cost nothing, as Linux promises. In sim mode a noncoherent
 * allocation has a separate device view: the device model reads and writes that
 * view, and only udma_cache_sync() and the udma_sync_* calls move bytes between
 * the views, so a driver that forgets a sync sees stale data in its tests.
 */
#ifndef UDMA_NONCOHERENT_H
#define UDMA_NONCOHERENT_H

#include "udma_map.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Allocate memory the platform may make noncoherent (Linux: dma_alloc_noncoherent).
 * Arguments and return as udma_alloc_coherent(). In sim mode the returned CPU view
 * and the device view at *handle are separate until synced.
 */
UDMA_API void *udma_alloc_noncoherent(struct udma_device *dev, size_t size, udma_addr_t *handle,
				      udma_gfp_t gfp);
/** Free what udma_alloc_noncoherent() returned; arguments as at allocation. */
UDMA_API void udma_free_noncoherent(struct udma_device *dev, size_t size, void *cpu_addr,
				    udma_addr_t handle);
/**
 * @return 1 when the device does consistent DMA on the memory at @p handle (always
 *         in pa/va mode), 0 for a noncoherent allocation in sim mode or a bad device.
 */
UDMA_API int udma_is_consistent(struct udma_device *dev, udma_addr_t handle);
/**
 * @return the processor cache alignment: the L1 data cache line size read from
 *         the system, rounded up to a power of two, at least 64.
 */
UDMA_API int udma_get_cache_alignment(void);
/**
 * Sync part of a noncoherent allocation (Linux: dma_cache_sync), by CPU address:
 * TO_DEVICE writes the CPU view back to the device view, FROM_DEVICE refreshes the
 * CPU view from the device view, BIDIRECTIONAL does both in that order. A no-op in
 * pa/va mode. Bad arguments are logged and ignored.
 */
UDMA_API void udma_cache_sync(struct udma_device *dev, void *vaddr, size_t size,
			      enum udma_data_direction dir);

/* ---- declared memory ------------------------------------------------------ */

#define UDMA_MEMORY_MAP 0x01               /**< returned memory is directly writable */
#define UDMA_MEMORY_IO 0x02                /**< returned memory needs the IO accessors */
#define UDMA_MEMORY_INCLUDES_CHILDREN 0x04 /**< children allocate from it too */
#define UDMA_MEMORY_EXCLUSIVE 0x08         /**< no fallback to system memory */

/**
 * Declare device memory that udma_alloc_coherent() hands out first (Linux:
 * dma_declare_coherent_memory). Userspace cannot map a bus address, so the caller
 * passes the CPU mapping it has (e.g. an mmapped BAR).
 * @param dev the device (one region per device).
 * @param cpu_addr the CPU mapping of the region (page aligned).
 * @param device_addr the address the device is programmed with for cpu_addr.
 * @param size a multiple of 4 KiB.
 * @param flags UDMA_MEMORY_MAP and/or UDMA_MEMORY_IO, plus INCLUDES_CHILDREN, EXCLUSIVE.
 * @return UDMA_MEMORY_MAP or UDMA_MEMORY_IO (one that was asked for) on success, 0
 *         on failure, logged, with errno EINVAL (bad argument) or EBUSY: the device
 *         already has a region, or the CPU range overlaps another device's declared
 *         region or udma's own memory (coherent memory and pool slabs): either would
 *         give two devices the same address.
 */
UDMA_API int udma_declare_coherent_memory(struct udma_device *dev, void *cpu_addr,
					  udma_addr_t device_addr, size_t size, int flags);
/**
 * Declare a PCI BAR: mmaps `<root>/<pci_addr>/resource<bar>` (root is
 * /sys/bus/pci/devices unless set with udma_set_sysfs_pci_root()) at @p offset for
 * @p size bytes and declares it as udma_declare_coherent_memory() does.
 * @param dev the device.
 * @param pci_addr "DDDD:BB:DD.F".
 * @param bar the BAR number, 0..5.
 * @param offset where the region starts in the BAR (4 KiB aligned).
 * @param device_addr the address the device is programmed with for that offset.
 * @param size bytes (4 KiB multiple).
 * @param flags as udma_declare_coherent_memory().
 * @return as udma_declare_coherent_memory().
 */
UDMA_API int udma_declare_coherent_bar(struct udma_device *dev, const char *pci_addr, int bar,
				       size_t offset, udma_addr_t device_addr, size_t size,
				       int flags);
/**
 * Where udma_declare_coherent_bar() looks for PCI devices (tests point it at a
 * directory of regular files). NULL restores /sys/bus/pci/devices.
 * @return 0, or -EINVAL for a path too long.
 */
UDMA_API int udma_set_sysfs_pci_root(const char *path);
/**
 * Remove the declared region (Linux: dma_release_declared_memory). No in-use check:
 * the driver must have freed what it allocated there. A BAR mapping is unmapped.
 */
UDMA_API void udma_release_declared_memory(struct udma_device *dev);
/**
 * Occupy [device_addr, device_addr + size) of the declared region so
 * udma_alloc_coherent() never hands it out (Linux: dma_mark_declared_memory_occupied).
 * @return the CPU address of @p device_addr, or an error pointer: test it with
 *         udma_is_err(), read it with udma_ptr_err() (-EINVAL: no region or outside
 *         it; -EBUSY: part of it is already occupied).
 */
UDMA_API void *udma_mark_declared_memory_occupied(struct udma_device *dev,
						  udma_addr_t device_addr, size_t size);

/** The largest errno an error pointer carries. */
#define UDMA_MAX_ERRNO 4095
/** @return non-zero when @p p is an error pointer (Linux: IS_ERR). */
static inline int udma_is_err(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)-UDMA_MAX_ERRNO;
}
/** @return the negative errno inside an error pointer (Linux: PTR_ERR). */
static inline long udma_ptr_err(const void *p)
{
	return (long)(intptr_t)p;
}
/** @return an error pointer carrying @p err (negative errno). */
static inline void *udma_err_ptr(long err)
{
	return (void *)(intptr_t)err;
}

/* ---- IO accessors: the only way to touch UDMA_MEMORY_IO memory ------------- */

/** Copy @p n bytes to IO memory (volatile, in order). */
UDMA_API void udma_memcpy_toio(volatile void *dst, const void *src, size_t n);
/** Copy @p n bytes from IO memory (volatile, in order). */
UDMA_API void udma_memcpy_fromio(void *dst, const volatile void *src, size_t n);
/** Read a 32-bit little-endian register. */
UDMA_API uint32_t udma_read32(const volatile void *addr);
/** Read a 64-bit little-endian register. */
UDMA_API uint64_t udma_read64(const volatile void *addr);
/** Write a 32-bit little-endian register (ordered after earlier stores). */
UDMA_API void udma_write32(uint32_t val, volatile void *addr);
/** Write a 64-bit little-endian register (ordered after earlier stores). */
UDMA_API void udma_write64(uint64_t val, volatile void *addr);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_NONCOHERENT_H */
