/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Managed coherent memory (the kernel's dmam_alloc_coherent): each allocation is
 * recorded against its device and freed when the device is destroyed.
 */
#include <stdlib.h>

#include "udma_map.h"
#include "dma_private.h"

struct managed {
	struct managed *next;
	struct udma_device *dev;
	void *va;
	size_t size;
	udma_addr_t handle;
};


void *udma_dmam_alloc_coherent(struct udma_device *dev, size_t size, udma_addr_t *handle,
			       udma_gfp_t gfp)
{
	struct managed *m;
	void *va;

	if (!dma_dev_ok(dev, __func__)) {
		errno = EINVAL;
		return NULL;
	}
	m = malloc(sizeof(*m));
	if (m == NULL) {
		UDMA_LOG(ERR, "no memory for the record of %zu bytes", size);
		errno = ENOMEM;
		return NULL;
	}
	va = udma_alloc_coherent(dev, size, handle, gfp); /* checks the rest, logs */
	if (va == NULL) {
		int err = errno;

		free(m);
		errno = err;
		return NULL;
	}
	m->dev = dev;
	m->va = va;
	m->size = size;
	m->handle = *handle;
	pthread_mutex_lock(&g_dma.managed_lock);
	m->next = g_dma.managed;
	g_dma.managed = m;
	pthread_mutex_unlock(&g_dma.managed_lock);
	return va;
}

void udma_dmam_free_coherent(struct udma_device *dev, size_t size, void *cpu_addr,
			     udma_addr_t handle)
{
	struct managed **pp, *m = NULL;

	if (!dma_dev_ok(dev, __func__))
		return;
	pthread_mutex_lock(&g_dma.managed_lock);
	for (pp = &g_dma.managed; *pp; pp = &(*pp)->next)
		if ((*pp)->dev == dev && (*pp)->va == cpu_addr) {
			m = *pp;
			if (m->size == size && m->handle == handle)
				*pp = m->next;
			break;
		}
	pthread_mutex_unlock(&g_dma.managed_lock);
	if (m == NULL) {
		UDMA_LOG(ERR, "%p is no managed allocation of device %s", cpu_addr, dev->name);
		return;
	}
	if (m->size != size || m->handle != handle) {
		UDMA_LOG(ERR, "%p of device %s: size %zu/handle %#llx differ from the allocation "
			 "(%zu, %#llx); nothing freed", cpu_addr, dev->name, size,
			 (unsigned long long)handle, m->size, (unsigned long long)m->handle);
		return;
	}
	udma_free_coherent(dev, size, cpu_addr, handle);
	free(m);
}

/* device destroy: free what the device still holds, quietly (it is the contract) */
static void managed_device_destroy(struct udma_device *dev)
{
	struct managed **pp = &g_dma.managed, *done = NULL, *m;

	pthread_mutex_lock(&g_dma.managed_lock);
	while (*pp) {
		m = *pp;
		if (m->dev == dev) {
			*pp = m->next;
			m->next = done;
			done = m;
		} else {
			pp = &m->next;
		}
	}
	pthread_mutex_unlock(&g_dma.managed_lock);
	while (done) {
		m = done;
		done = m->next;
		udma_free_coherent(dev, m->size, m->va, m->handle);
		free(m);
	}
}

udma_addr_t udma_map_resource(struct udma_device *dev, uint64_t phys_addr, size_t size,
			      enum udma_data_direction dir)
{
	enum udma_iova_mode mode = udma_iova_mode();

	if (!dma_dev_ok(dev, __func__))
		return UDMA_MAPPING_ERROR;
	if (size == 0 || phys_addr + size < phys_addr ||
	    (dir != UDMA_TO_DEVICE && dir != UDMA_FROM_DEVICE && dir != UDMA_BIDIRECTIONAL)) {
		UDMA_LOG(ERR, "bad argument: phys %#llx size %zu dir %d",
			 (unsigned long long)phys_addr, size, (int)dir);
		return UDMA_MAPPING_ERROR;
	}
	if (mode != UDMA_IOVA_PA) {
		/* an IOMMU (vfio, sim) or IOVA = VA needs the peer's window mapped by the
		 * IOVA backend, which the PCI layer does not offer yet */
		UDMA_LOG(ERR, "%s: not supported in iova mode %s (only pa: no IOMMU in between)",
			 dev->name, udma_iova_mode_name(mode));
		return UDMA_MAPPING_ERROR;
	}
	if (phys_addr + size - 1 > dev->dma_mask) {
		UDMA_LOG(ERR, "%s: [%#llx, +%zu) is above the DMA mask %#llx", dev->name,
			 (unsigned long long)phys_addr, size, (unsigned long long)dev->dma_mask);
		return UDMA_MAPPING_ERROR;
	}
	return phys_addr;
}

void udma_unmap_resource(struct udma_device *dev, udma_addr_t addr, size_t size,
			 enum udma_data_direction dir)
{
	(void)addr;
	if (!dma_dev_ok(dev, __func__))
		return;
	if (size == 0 ||
	    (dir != UDMA_TO_DEVICE && dir != UDMA_FROM_DEVICE && dir != UDMA_BIDIRECTIONAL))
		UDMA_LOG(ERR, "%s: bad argument: size %zu dir %d", dev->name, size, (int)dir);
	/* pa: an identity mapping holds no state */
}

__attribute__((constructor)) static void managed_register(void)
{
	dma_dev_destroy_hook_register(managed_device_destroy);
}
