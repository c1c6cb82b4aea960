/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sim device model: the device side of a transfer. The IOVA is resolved as
 * hardware would see it: through the device's DMA ops (sim: the device's own
 * IOMMU domain, a page table with permissions), else the backend's bus view
 * (pa/va: the memseg map); anything out of reach faults and is logged.
 */
#include <string.h>

#include "dma_private.h"
#include "iova_private.h"
#include "udma_sim.h"


void dma_sim_reset(void)
{
	pthread_mutex_lock(&g_dma.fault_lock);
	g_dma.nr_faults = 0;
	memset(g_dma.faults, 0, sizeof(g_dma.faults));
	pthread_mutex_unlock(&g_dma.fault_lock);
}

static int fault(const struct udma_device *dev, udma_addr_t iova, int write, int reason)
{
	struct udma_sim_fault *f;

	pthread_mutex_lock(&g_dma.fault_lock);
	f = &g_dma.faults[g_dma.nr_faults++ % UDMA_SIM_FAULT_LOG];
	f->iova = iova;
	f->write = write;
	f->reason = reason;
	memcpy(f->device, dev->name, sizeof(f->device));
	pthread_mutex_unlock(&g_dma.fault_lock);
	udma_log(UDMA_LOG_WARNING, "DMA fault: device %s %s at iova %#llx: %s", dev->name,
		 write ? "write" : "read", (unsigned long long)iova,
		 reason == -ERANGE ? "above the device's DMA mask" :
		 reason == -EACCES ? "no permission for this direction" : "nothing mapped");
	return -EFAULT;
}

/* the device's reach: an address above both masks never leaves the device */
static uint64_t reach(const struct udma_device *dev)
{
	return dev->dma_mask > dev->coherent_mask ? dev->dma_mask : dev->coherent_mask;
}

/* the device's own declared memory first (device-local), then the bus */
static int resolve(const struct udma_device *dev, udma_addr_t iova, int write, void **va,
		   size_t *contig)
{
	const struct udma_dma_ops *ops = get_dma_ops(dev);

	*va = declared_resolve(dev, iova, contig);
	if (*va)
		return 0;
	if (ops && ops->resolve)
		return ops->resolve(dev, iova, write, va, contig);
	return g_iova.ops->dev_resolve(iova, write, va, contig);
}

static int dev_access(struct udma_device *dev, udma_addr_t iova, void *buf, size_t len, int write,
		      const char *fn)
{
	size_t off, contig;
	void *va;
	int ret;

	if (!dma_dev_ok(dev, fn))
		return -EINVAL;
	if (buf == NULL || len == 0 || !udma_eal_initialized()) {
		udma_log(UDMA_LOG_ERR, "%s(): %s: bad argument (buf %p, len %zu)", fn, dev->name,
			 buf, len);
		return -EINVAL;
	}
	if (iova > reach(dev) || len - 1 > reach(dev) - iova)
		return fault(dev, iova > reach(dev) ? iova : reach(dev) + 1, write, -ERANGE);
	/* resolve every byte before moving any: a fault copies nothing */
	for (off = 0; off < len; off += contig) {
		ret = resolve(dev, iova + off, write, &va, &contig);
		if (ret < 0)
			return fault(dev, iova + off, write, ret);
	}
	for (off = 0; off < len; off += contig) {
		size_t n;

		/* a concurrent unmap between the passes: fault rather than copy blind */
		ret = resolve(dev, iova + off, write, &va, &contig);
		if (ret < 0)
			return fault(dev, iova + off, write, ret);
		n = contig < len - off ? contig : len - off;
		if (write)
			memcpy(va, (const uint8_t *)buf + off, n);
		else
			memcpy((uint8_t *)buf + off, va, n);
		contig = n;
	}
	return 0;
}

int udma_sim_dma_read(struct udma_device *dev, udma_addr_t iova, void *dst, size_t len)
{
	return dev_access(dev, iova, dst, len, 0, __func__);
}

int udma_sim_dma_write(struct udma_device *dev, udma_addr_t iova, const void *src, size_t len)
{
	return dev_access(dev, iova, (void *)(uintptr_t)src, len, 1, __func__);
}

unsigned long udma_sim_fault_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&g_dma.fault_lock);
	n = g_dma.nr_faults;
	pthread_mutex_unlock(&g_dma.fault_lock);
	return n;
}

unsigned int udma_sim_fault_log(struct udma_sim_fault *out, unsigned int n)
{
	unsigned int got = 0;

	if (out == NULL)
		return 0;
	pthread_mutex_lock(&g_dma.fault_lock);
	while (got < n && got < g_dma.nr_faults && got < UDMA_SIM_FAULT_LOG) {
		out[got] = g_dma.faults[(g_dma.nr_faults - 1 - got) % UDMA_SIM_FAULT_LOG];
		got++;
	}
	pthread_mutex_unlock(&g_dma.fault_lock);
	return got;
}
