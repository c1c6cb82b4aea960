/* SPDX-License-Identifier: BSD-3-Clause */
/* Coherent memory: page-granular, zeroed, under the coherent mask. */
#include <string.h>

#include "dma_debug.h"
#include "dma_private.h"

#define MAX_COHERENT (1ULL << 40)

static void *coherent_slow(struct udma_device *dev, size_t npages, udma_addr_t *iova)
{
	/* one growth: memory that still does not fit (mask, PA contiguity) stays for others */
	if (memseg_grow(dev->node, npages << UDMA_PAGE_SHIFT) != 0)
		return NULL;
	return heap_alloc(npages, 1, dev->coherent_mask, dev->node, dev->id, iova);
}

/* the public arguments of an allocation; one log line when bad */
static bool alloc_args_ok(struct udma_device *dev, size_t size, udma_addr_t *handle,
			  udma_gfp_t gfp)
{
	static const char fn[] = "udma_alloc_coherent";

	if (!dma_dev_ok(dev, fn)) {
		errno = EINVAL;
		return false;
	}
	if (udma_unlikely(size == 0 || size > MAX_COHERENT || handle == NULL || !dma_gfp_ok(gfp))) {
		UDMA_LOG_AS(ERR, fn, "%s: bad argument (size %zu, handle %p, gfp %#x)", dev->name,
			    size, (void *)handle, gfp);
		errno = EINVAL;
		return false;
	}
	return true;
}

void *dma_direct_alloc(struct udma_device *dev, size_t size, udma_addr_t *handle,
		       udma_gfp_t gfp, bool *declared)
{
	static const char fn[] = "udma_alloc_coherent";
	size_t npages;
	udma_addr_t iova;
	void *va;

	*declared = false;
	npages = (size + UDMA_PAGE_SIZE - 1) >> UDMA_PAGE_SHIFT;
	if (udma_unlikely(dev->declared != NULL || dev->parent != NULL)) {
		int r = declared_alloc(dev, size, &va, handle);

		if (r == 1) {
			dma_dev_count(dev, 1, (int64_t)(npages << UDMA_PAGE_SHIFT));
			*declared = true;
			return va;
		}
		if (r < 0) {
			UDMA_LOG_AS(WARNING, fn, "%s: declared memory (exclusive) is full", dev->name);
			errno = ENOMEM;
			return NULL;
		}
	}
	va = heap_alloc(npages, 1, dev->coherent_mask, dev->node, dev->id, &iova);
	if (udma_unlikely(va == NULL) && dma_gfp_may_grow(gfp))
		va = coherent_slow(dev, npages, &iova);
	if (udma_unlikely(va == NULL)) {
		UDMA_LOG_AS(WARNING, fn, "%s: no coherent memory for %zu bytes under mask %#llx%s",
			    dev->name, size, (unsigned long long)dev->coherent_mask,
			    dma_gfp_may_grow(gfp) ? "" : " (GFP_ATOMIC: reserved memory only)");
		errno = ENOMEM;
		return NULL;
	}
	memset(va, 0, npages << UDMA_PAGE_SHIFT);
	dma_dev_count(dev, 1, (int64_t)(npages << UDMA_PAGE_SHIFT));
	*handle = iova;
	return va;
}

void *udma_alloc_coherent(struct udma_device *dev, size_t size, udma_addr_t *handle,
			  udma_gfp_t gfp)
{
	const struct udma_dma_ops *ops;
	bool declared;
	void *va;

	if (!alloc_args_ok(dev, size, handle, gfp))
		return NULL;
	ops = get_dma_ops(dev);
	if (ops) {
		dma_log_call = __func__; /* the ops' log lines name the public call */
		va = ops->alloc(dev, size, handle, gfp);
	} else {
		va = dma_direct_alloc(dev, size, handle, gfp, &declared);
	}
	if (udma_unlikely(g_dma_debug.on) && va)
		dbg_map(dev, DBG_COHERENT, va, *handle, size, -1, DBG_CALLER);
	return va;
}

void udma_free_coherent(struct udma_device *dev, size_t size, void *cpu_addr, udma_addr_t handle)
{
	const struct udma_dma_ops *ops;

	if (!dma_dev_ok(dev, __func__))
		return;
	if (udma_unlikely(g_dma_debug.on))
		dbg_unmap(dev, DBG_COHERENT, handle, size, -1, __func__, DBG_CALLER);
	if (udma_unlikely(cpu_addr == NULL || size == 0 || size > MAX_COHERENT)) {
		UDMA_LOG(ERR, "%s: bad argument (cpu_addr %p, size %zu): ignored", dev->name,
			 cpu_addr, size);
		return;
	}
	ops = get_dma_ops(dev);
	if (ops) {
		dma_log_call = __func__;
		ops->free(dev, size, cpu_addr, handle);
	} else {
		dma_direct_free(dev, size, cpu_addr, handle);
	}
}

bool dma_is_declared(const struct udma_device *dev, const void *va, udma_addr_t handle)
{
	size_t contig;

	return (dev->declared != NULL || dev->parent != NULL) &&
	       declared_resolve(dev, handle, &contig) == va;
}

int dma_direct_free(struct udma_device *dev, size_t size, void *cpu_addr, udma_addr_t handle)
{
	size_t npages = (size + UDMA_PAGE_SIZE - 1) >> UDMA_PAGE_SHIFT;
	udma_addr_t iova;

	if (udma_unlikely(dev->declared != NULL || dev->parent != NULL) &&
	    declared_free_range(dev, size, cpu_addr, handle)) {
		dma_dev_count(dev, -1, -(int64_t)(npages << UDMA_PAGE_SHIFT));
		return 0;
	}
	iova = memseg_virt2iova(cpu_addr);
	if (udma_unlikely(iova != handle)) {
		UDMA_LOG(ERR, "%s: cpu_addr %p has IOVA %#llx, handle passed %#llx: ignored",
			 dev->name, cpu_addr, (unsigned long long)iova, (unsigned long long)handle);
		return -EINVAL;
	}
	if (udma_unlikely(heap_free(cpu_addr, npages, dev->id) != 0)) {
		UDMA_LOG(ERR, "%s: %p (%zu bytes) is not a live coherent allocation of this device "
			 "(wrong size or device, or already freed): ignored", dev->name, cpu_addr, size);
		return -EINVAL;
	}
	dma_dev_count(dev, -1, -(int64_t)(npages << UDMA_PAGE_SHIFT));
	return 0;
}
