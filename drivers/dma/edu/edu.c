/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edu: QEMU's educational PCI device as a DMA engine (see udma_edu.h). The pattern
 * every udma poll-mode driver follows:
 *   1. the device's udma_device carries the device's real DMA mask, so udma never
 *      hands out an address the device would truncate;
 *   2. every address written to a DMA register came from udma (coherent handle,
 *      udma_map_single(), an sg segment) and is checked against that mask again;
 *   3. registers are touched only through udma's IO accessors (ordered, volatile);
 *   4. completion is polled with a deadline: a stuck device is an error, not a hang.
 */
#include <errno.h>
#include <time.h>

#include "udma_edu.h"

#define EDU_ID 0x00        /* 0xRRrr00ed: major, minor, 0x00, 0xed */
#define EDU_LIVENESS 0x04  /* reads back the inverse of what was written */
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 0x1u /* also "busy" while set */
#define EDU_CMD_TO_RAM 0x2u
#define EDU_BAR_MIN 0x100u

static int edu_ok(const struct udma_edu *edu, const char *fn)
{
	if (edu == NULL || edu->regs == NULL || edu->dev == NULL) {
		udma_log(UDMA_LOG_ERR, "edu: %s(): not an attached edu (%p)", fn, (const void *)edu);
		return 0;
	}
	return 1;
}

int udma_edu_attach(struct udma_edu *edu, struct udma_device *dev, void *bar0, size_t bar0_len,
		    uint64_t dma_mask)
{
	uint32_t id, probe = 0x5a3c96e1u;

	if (edu == NULL || dev == NULL || bar0 == NULL || bar0_len < EDU_BAR_MIN ||
	    dma_mask < UDMA_BIT_MASK(12)) {
		udma_log(UDMA_LOG_ERR, "edu: attach: bad argument (edu %p, dev %p, bar0 %p, len %zu, mask %#llx)",
			 (void *)edu, (void *)dev, bar0, bar0_len, (unsigned long long)dma_mask);
		return -EINVAL;
	}
	id = udma_read32((uint8_t *)bar0 + EDU_ID);
	if ((id & 0xffffu) != 0x00edu) {
		udma_log(UDMA_LOG_ERR, "edu: %s: identification %#x is not edu's (0x......ed)",
			 udma_device_name(dev), id);
		return -ENODEV;
	}
	udma_write32(probe, (uint8_t *)bar0 + EDU_LIVENESS);
	if (udma_read32((uint8_t *)bar0 + EDU_LIVENESS) != ~probe) {
		udma_log(UDMA_LOG_ERR, "edu: %s: liveness check failed", udma_device_name(dev));
		return -ENODEV;
	}
	/* the device truncates addresses to its mask: udma must know it (one log line
	 * from udma when it cannot serve it, e.g. no memory below the mask) */
	if (udma_set_mask_and_coherent(dev, dma_mask) != 0)
		return -EIO;
	edu->regs = bar0;
	edu->dev = dev;
	edu->timeout_ms = UDMA_EDU_TIMEOUT_MS;
	edu->dmas = 0;
	edu->pdev = NULL;
	udma_log(UDMA_LOG_INFO, "edu: %s: version %u.%u, DMA mask %#llx", udma_device_name(dev),
		 id >> 24, (id >> 16) & 0xffu, (unsigned long long)udma_get_mask(dev));
	return 0;
}

int udma_edu_open(struct udma_edu *edu, const char *pci_addr, uint64_t dma_mask)
{
	struct udma_pci_device *pdev;
	struct udma_pci_info info;
	size_t len = 0;
	void *bar0;
	int ret;

	if (edu == NULL || pci_addr == NULL) {
		udma_log(UDMA_LOG_ERR, "edu: open: bad argument (edu %p, address %p)", (void *)edu,
			 (const void *)pci_addr);
		return -EINVAL;
	}
	pdev = udma_pci_open(pci_addr, UDMA_PCI_ACCESS_AUTO);
	if (pdev == NULL)
		return -errno; /* udma_pci_open() said why, and what to do */
	ret = udma_pci_info(pdev, &info);
	if (ret == 0 && (info.vendor_id != UDMA_EDU_VENDOR_ID || info.device_id != UDMA_EDU_DEVICE_ID)) {
		udma_log(UDMA_LOG_ERR, "edu: %s is %04x:%04x, not an edu (%04x:%04x)", info.addr,
			 info.vendor_id, info.device_id, UDMA_EDU_VENDOR_ID, UDMA_EDU_DEVICE_ID);
		ret = -ENODEV;
	}
	bar0 = ret == 0 ? udma_pci_bar_map(pdev, 0, &len) : NULL;
	if (ret == 0 && bar0 == NULL)
		ret = -errno;
	if (ret == 0)
		ret = udma_pci_set_bus_master(pdev, 1);
	if (ret == 0)
		ret = udma_edu_attach(edu, udma_pci_dma_device(pdev), bar0, len, dma_mask);
	if (ret != 0) {
		udma_pci_close(pdev);
		return ret;
	}
	edu->pdev = pdev;
	return 0;
}

void udma_edu_close(struct udma_edu *edu)
{
	if (edu == NULL || edu->pdev == NULL)
		return;
	udma_pci_set_bus_master(edu->pdev, 0);
	udma_pci_close(edu->pdev);
	edu->pdev = NULL;
	edu->regs = NULL;
	edu->dev = NULL;
}

int udma_edu_busy(const struct udma_edu *edu)
{
	if (!edu_ok(edu, __func__))
		return -EINVAL;
	return (udma_read32(edu->regs + EDU_DMA_CMD) & EDU_CMD_START) != 0;
}

int udma_edu_submit(struct udma_edu *edu, enum udma_data_direction dir, udma_addr_t addr,
		    uint32_t dev_off, uint32_t len)
{
	uint64_t mask, dev_addr;

	if (!edu_ok(edu, __func__))
		return -EINVAL;
	mask = udma_get_mask(edu->dev);
	if ((dir != UDMA_TO_DEVICE && dir != UDMA_FROM_DEVICE) || len == 0 ||
	    len > UDMA_EDU_MAX_XFER || dev_off > UDMA_EDU_MAX_XFER - len ||
	    addr == UDMA_MAPPING_ERROR || addr > mask || len - 1 > mask - addr) {
		udma_log(UDMA_LOG_ERR, "edu: %s: bad DMA (dir %d, addr %#llx, len %u, offset %u, mask %#llx)",
			 udma_device_name(edu->dev), (int)dir, (unsigned long long)addr, len, dev_off,
			 (unsigned long long)mask);
		return -EINVAL;
	}
	if (udma_edu_busy(edu)) {
		udma_log(UDMA_LOG_ERR, "edu: %s: a DMA is still running", udma_device_name(edu->dev));
		return -EBUSY;
	}
	dev_addr = UDMA_EDU_BUF_ADDR + dev_off;
	udma_write64(dir == UDMA_TO_DEVICE ? addr : dev_addr, edu->regs + EDU_DMA_SRC);
	udma_write64(dir == UDMA_TO_DEVICE ? dev_addr : addr, edu->regs + EDU_DMA_DST);
	udma_write64(len, edu->regs + EDU_DMA_CNT);
	/* udma_write64() orders each store after the earlier ones: the command goes last */
	udma_write64(EDU_CMD_START | (dir == UDMA_FROM_DEVICE ? EDU_CMD_TO_RAM : 0), edu->regs + EDU_DMA_CMD);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int udma_edu_wait(struct udma_edu *edu, unsigned int timeout_ms)
{
	uint64_t deadline;
	struct timespec pause = {0, 100 * 1000}; /* 100 us: edu completes in ~100 ms */

	if (!edu_ok(edu, __func__))
		return -EINVAL;
	deadline = now_ms() + (timeout_ms ? timeout_ms : edu->timeout_ms);
	while (udma_edu_busy(edu) == 1) {
		if (now_ms() > deadline) {
			udma_log(UDMA_LOG_ERR, "edu: %s: DMA not complete after %u ms",
				 udma_device_name(edu->dev), timeout_ms ? timeout_ms : edu->timeout_ms);
			return -ETIMEDOUT;
		}
		nanosleep(&pause, NULL);
	}
	edu->dmas++;
	return 0;
}

int udma_edu_dma(struct udma_edu *edu, enum udma_data_direction dir, udma_addr_t addr,
		 uint32_t dev_off, uint32_t len)
{
	int ret = udma_edu_submit(edu, dir, addr, dev_off, len);

	return ret != 0 ? ret : udma_edu_wait(edu, 0);
}

/* map, transfer, unmap: the streaming DMA of a driver */
static int edu_stream(struct udma_edu *edu, void *buf, size_t len, uint32_t dev_off,
		      enum udma_data_direction dir)
{
	udma_addr_t a;
	int ret;

	if (!edu_ok(edu, dir == UDMA_TO_DEVICE ? "udma_edu_write" : "udma_edu_read"))
		return -EINVAL;
	if (buf == NULL || len == 0 || len > UDMA_EDU_MAX_XFER || dev_off > UDMA_EDU_MAX_XFER - len) {
		udma_log(UDMA_LOG_ERR, "edu: %s: bad copy (buf %p, len %zu, offset %u)",
			 udma_device_name(edu->dev), buf, len, dev_off);
		return -EINVAL;
	}
	a = udma_map_single(edu->dev, buf, len, dir);
	if (udma_mapping_error(edu->dev, a))
		return -EIO;
	ret = udma_edu_dma(edu, dir, a, dev_off, (uint32_t)len);
	/* a timed-out DMA may still write: leave its mapping (and bounce slot) alone */
	if (ret != -ETIMEDOUT)
		udma_unmap_single(edu->dev, a, len, dir);
	return ret;
}

int udma_edu_write(struct udma_edu *edu, const void *buf, size_t len, uint32_t dev_off)
{
	return edu_stream(edu, (void *)(uintptr_t)buf, len, dev_off, UDMA_TO_DEVICE);
}

int udma_edu_read(struct udma_edu *edu, void *buf, size_t len, uint32_t dev_off)
{
	return edu_stream(edu, buf, len, dev_off, UDMA_FROM_DEVICE);
}
