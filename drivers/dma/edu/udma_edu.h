/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A poll-mode driver for QEMU's `edu` device (PCI 1234:11e8), the reference for
 * how a driver uses udma: every address it programs into the device comes from
 * udma (a coherent handle, a streaming mapping, a scatter-gather segment), is
 * checked against the device's DMA mask (edu truncates silently), and the copy is
 * polled for, with a timeout.
 *
 * The device: BAR0 (1 MiB of registers) holds 0x80 the DMA source, 0x88 the
 * destination, 0x90 the byte count and 0x98 the command (bit 0 start / busy,
 * bit 1 direction, 1 = device to RAM, bit 2 raise an interrupt at the end); its
 * own 4 KiB buffer sits at device address 0x40000. QEMU runs each DMA from a
 * 100 ms timer. QEMU 7.2 stops the whole VM on a DMA whose end reaches 0x41000
 * (an off-by-one in its range check), so a transfer ends at 0x40fff at most:
 * UDMA_EDU_MAX_XFER bytes.
 *
 * udma_edu_open() does everything from a PCI address (udma_pci_open(), BAR0, bus
 * mastering, attach); udma_edu_attach() is for a caller that already has BAR0
 * mapped and a udma_device (an application sharing the VFIO device fd).
 */
#ifndef UDMA_EDU_H
#define UDMA_EDU_H

#include <stddef.h>
#include <stdint.h>

#include <udma.h>
#include <udma_pci.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDMA_EDU_VENDOR_ID 0x1234u  /**< PCI vendor id of edu */
#define UDMA_EDU_DEVICE_ID 0x11e8u  /**< PCI device id of edu */
#define UDMA_EDU_BUF_ADDR 0x40000u  /**< device address of edu's buffer */
#define UDMA_EDU_BUF_SIZE 4096u     /**< size of edu's buffer */
/** Longest transfer QEMU 7.2's edu survives (see the file comment). */
#define UDMA_EDU_MAX_XFER (UDMA_EDU_BUF_SIZE - 1)
/** edu's DMA mask when QEMU's dma_mask property is not set: 28 bits. */
#define UDMA_EDU_DEFAULT_DMA_MASK UDMA_BIT_MASK(28)
/** Default completion timeout (QEMU needs ~100 ms a DMA; TCG guests are slow). */
#define UDMA_EDU_TIMEOUT_MS 5000u

/** An attached edu. Fields are the driver's; read-only for callers. */
struct udma_edu {
	volatile uint8_t *regs;     /**< BAR0 */
	struct udma_device *dev;    /**< the function's udma device (masks, mappings) */
	unsigned int timeout_ms;    /**< udma_edu_wait() default timeout */
	uint64_t dmas;              /**< transfers completed */
	struct udma_pci_device *pdev; /**< the function when udma_edu_open() opened it */
};

/**
 * Open the edu at a PCI address and attach to it: udma_pci_open() (through VFIO
 * in `--iova-mode=vfio`, else sysfs), BAR0 mapped, bus mastering on (vfio-pci
 * leaves it off), then udma_edu_attach().
 * @param edu filled in.
 * @param pci_addr "DDDD:BB:DD.F".
 * @param dma_mask the edu's dma_mask as QEMU was given it.
 * @return 0, or a negative errno: as udma_pci_open() (its errno, negated),
 *         -ENODEV (not an edu), or as udma_edu_attach(). Nothing stays open.
 */
int udma_edu_open(struct udma_edu *edu, const char *pci_addr, uint64_t dma_mask);

/** Stop bus mastering and close what udma_edu_open() opened. NULL is ignored. */
void udma_edu_close(struct udma_edu *edu);

/**
 * Attach to an edu: check its identification register and liveness check, set
 * the device's DMA mask to the edu's (udma then never gives it an address it
 * would truncate), and remember the mapping and the device.
 * @param edu filled in.
 * @param dev the function's udma_device.
 * @param bar0 BAR0 mapped read/write (bus mastering already on).
 * @param bar0_len its length (at least 0x100).
 * @param dma_mask the edu's dma_mask as QEMU was given it (QEMU's default:
 *        UDMA_EDU_DEFAULT_DMA_MASK).
 * @return 0; -EINVAL (bad argument), -ENODEV (not an edu, or it does not answer),
 *         -EIO (udma cannot serve that mask here: udma_set_mask_and_coherent()).
 */
int udma_edu_attach(struct udma_edu *edu, struct udma_device *dev, void *bar0, size_t bar0_len,
		    uint64_t dma_mask);

/**
 * Start one DMA between memory at @p addr and edu's buffer at @p dev_off.
 * @param edu attached.
 * @param dir UDMA_TO_DEVICE (memory to edu) or UDMA_FROM_DEVICE (edu to memory).
 * @param addr a DMA address from udma (handle, mapping, sg segment), with
 *        @p addr + @p len - 1 under the device's DMA mask.
 * @param dev_off offset in edu's buffer.
 * @param len bytes, 1..UDMA_EDU_MAX_XFER, with @p dev_off + @p len <= UDMA_EDU_MAX_XFER.
 * @return 0; -EINVAL (bad argument, address above the mask), -EBUSY (a DMA runs).
 */
int udma_edu_submit(struct udma_edu *edu, enum udma_data_direction dir, udma_addr_t addr,
		    uint32_t dev_off, uint32_t len);

/** @return 1 while a DMA runs, 0 when idle, -EINVAL for a bad @p edu. */
int udma_edu_busy(const struct udma_edu *edu);

/**
 * Poll until the running DMA completes.
 * @param edu attached.
 * @param timeout_ms 0 = the edu's default (UDMA_EDU_TIMEOUT_MS).
 * @return 0; -ETIMEDOUT (still busy: the DMA is left running), -EINVAL.
 */
int udma_edu_wait(struct udma_edu *edu, unsigned int timeout_ms);

/** udma_edu_submit() then udma_edu_wait() with the default timeout. */
int udma_edu_dma(struct udma_edu *edu, enum udma_data_direction dir, udma_addr_t addr,
		 uint32_t dev_off, uint32_t len);

/**
 * Copy @p len bytes of @p buf into edu's buffer at @p dev_off: the streaming
 * pattern of a driver (udma_map_single(TO_DEVICE), DMA, udma_unmap_single()), for
 * any memory udma can map (memseg, registered, or foreign through a bounce buffer).
 * @return 0, or a negative errno (-EIO when the memory cannot be mapped).
 */
int udma_edu_write(struct udma_edu *edu, const void *buf, size_t len, uint32_t dev_off);

/** Copy edu's buffer at @p dev_off into @p buf (FROM_DEVICE). Returns as udma_edu_write(). */
int udma_edu_read(struct udma_edu *edu, void *buf, size_t len, uint32_t dev_off);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_EDU_H */
