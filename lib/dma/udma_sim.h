/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The sim device model: the device side of a DMA transfer, in every IOVA mode.
 * Drivers' tests use it to prove a mapping: what the CPU wrote the device reads at
 * the IOVA udma returned, and the other way round.
 *
 * In sim mode each device has its own IOMMU domain (a child device shares its
 * parent's, as the devices of one IOMMU group do). A device reaches only what was
 * given to it and is still live: its coherent memory and the device view of its
 * noncoherent memory (from allocation to free), the slabs of its pools (until the
 * pool is destroyed), its streaming mappings (from map to unmap, with the
 * direction's permission), and its declared memory. Anything else faults: another
 * device's mappings, freed memory (even after it went to another device), pages
 * never given to any device.
 */
#ifndef UDMA_SIM_H
#define UDMA_SIM_H

#include "udma_dma.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The device @p dev reads @p len bytes at @p iova into @p dst.
 * The IOVA is resolved as the hardware would: sim mode through @p dev's own domain
 * of the software IOMMU (the page must be mapped there, with read permission);
 * pa/va through the memseg map (any device reaches all memseg and registered
 * memory, as without an IOMMU). The device's declared memory resolves first, in
 * every mode. Addresses above the device's DMA mask fault too.
 * @return 0; -EFAULT (a fault is logged and recorded) when any byte is out of
 *         reach (nothing is copied); -EINVAL for bad arguments.
 */
UDMA_API int udma_sim_dma_read(struct udma_device *dev, udma_addr_t iova, void *dst, size_t len);

/** The device writes @p len bytes from @p src at @p iova. Returns as udma_sim_dma_read(). */
UDMA_API int udma_sim_dma_write(struct udma_device *dev, udma_addr_t iova, const void *src,
				size_t len);

/** What a device access that faulted looked like. */
struct udma_sim_fault {
	udma_addr_t iova;  /**< first faulting IOVA */
	int write;         /**< 1 for a write, 0 for a read */
	int reason;        /**< -ENOENT nothing mapped there for this device (never
			    *   mapped, unmapped, freed, or another device's), -EACCES
			    *   permission, -ERANGE above mask */
	char device[UDMA_MAX_DEVICE_NAME]; /**< device name */
};

/** @return the number of faults since init (all devices). */
UDMA_API unsigned long udma_sim_fault_count(void);
/**
 * Copy the most recent faults (newest first) into @p out.
 * @return the number copied (<= n).
 */
UDMA_API unsigned int udma_sim_fault_log(struct udma_sim_fault *out, unsigned int n);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_SIM_H */
