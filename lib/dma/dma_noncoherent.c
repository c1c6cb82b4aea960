/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Noncoherent memory. The direct path (pa/va): x86 DMA is
 * coherent, so this is coherent memory and the sync points are free. A device
 * whose ops allocate noncoherent memory (sim) gets two views from
 * dma_nc_alloc_views(): a second allocation is the device's view (the handle
 * points at it); only the sync calls copy between views.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dma_private.h"
#include "udma_noncoherent.h"

struct nc_alloc {
	struct nc_alloc *next;
	struct udma_device *dev;
	uint8_t *cpu;      /* the CPU view (returned) */
	uint8_t *view;     /* the device view (behind the handle) */
	udma_addr_t handle;
	udma_addr_t cpu_iova; /* the CPU view's own IOVA (never mapped for the device) */
	size_t size;       /* page-rounded */
};


int udma_get_cache_alignment(void)
{
	return eal_cache_line_size();
}

/* the device's noncoherent ops, or NULL when noncoherent memory is coherent memory */
static const struct udma_dma_ops *nc_ops(const struct udma_device *dev)
{
	const struct udma_dma_ops *ops = dma_dev_is(dev) ? get_dma_ops(dev) : NULL;

	return ops && ops->alloc_noncoherent ? ops : NULL;
}

void *udma_alloc_noncoherent(struct udma_device *dev, size_t size, udma_addr_t *handle,
			     udma_gfp_t gfp)
{
	const struct udma_dma_ops *ops = nc_ops(dev);

	/* udma_alloc_coherent validates (and logs) for the direct path */
	if (ops == NULL || handle == NULL)
		return udma_alloc_coherent(dev, size, handle, gfp);
	dma_log_call = __func__;
	return ops->alloc_noncoherent(dev, size, handle, gfp);
}

/*
 * The CPU view is the device's memory with no IOMMU mapping (the device never
 * reaches it); the device view is coherent memory (mapped by ops->alloc).
 */
void *dma_nc_alloc_views(struct udma_device *dev, size_t size, udma_addr_t *handle,
			 udma_gfp_t gfp)
{
	struct nc_alloc *a;
	bool declared;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	a->view = udma_alloc_coherent(dev, size, &a->handle, gfp);
	a->cpu = a->view ? dma_direct_alloc(dev, size, &a->cpu_iova, gfp, &declared) : NULL;
	if (a->cpu == NULL) {
		int err = errno;

		if (a->view)
			udma_free_coherent(dev, size, a->view, a->handle);
		free(a);
		errno = err;
		return NULL;
	}
	a->dev = dev;
	a->size = (size + UDMA_PAGE_SIZE - 1) & ~(UDMA_PAGE_SIZE - 1);
	pthread_mutex_lock(&g_dma.nc_lock);
	a->next = g_dma.nc;
	g_dma.nc = a;
	atomic_fetch_add(&g_dma.nc_count, 1);
	pthread_mutex_unlock(&g_dma.nc_lock);
	*handle = a->handle;
	return a->cpu;
}

/* the allocation holding CPU address @cpu (or device address @handle); lock held */
static struct nc_alloc **nc_find(const void *cpu, udma_addr_t handle)
{
	for (struct nc_alloc **p = &g_dma.nc; *p; p = &(*p)->next) {
		struct nc_alloc *a = *p;

		if (cpu && (uint8_t *)cpu >= a->cpu && (uint8_t *)cpu < a->cpu + a->size)
			return p;
		if (!cpu && handle - a->handle < a->size)
			return p;
	}
	return NULL;
}

void udma_free_noncoherent(struct udma_device *dev, size_t size, void *cpu_addr,
			   udma_addr_t handle)
{
	const struct udma_dma_ops *ops = nc_ops(dev);

	if (ops == NULL) {
		udma_free_coherent(dev, size, cpu_addr, handle);
		return;
	}
	dma_log_call = __func__;
	ops->free_noncoherent(dev, size, cpu_addr, handle);
}

void dma_nc_free_views(struct udma_device *dev, size_t size, void *cpu_addr, udma_addr_t handle)
{
	struct nc_alloc **p, *a = NULL;

	pthread_mutex_lock(&g_dma.nc_lock);
	p = nc_find(cpu_addr, 0);
	if (p && (*p)->cpu == cpu_addr && (*p)->handle == handle && (*p)->dev == dev &&
	    (*p)->size == ((size + UDMA_PAGE_SIZE - 1) & ~(UDMA_PAGE_SIZE - 1))) {
		a = *p;
		*p = a->next;
		atomic_fetch_sub(&g_dma.nc_count, 1);
	}
	pthread_mutex_unlock(&g_dma.nc_lock);
	if (a == NULL) {
		UDMA_LOG(ERR, "%s: %p / %#llx (%zu bytes) is not a noncoherent allocation of this "
			 "device: ignored", dev->name, cpu_addr, (unsigned long long)handle, size);
		return;
	}
	dma_direct_free(dev, size, a->cpu, a->cpu_iova);
	udma_free_coherent(dev, size, a->view, a->handle);
	free(a);
}

int udma_is_consistent(struct udma_device *dev, udma_addr_t handle)
{
	bool nc;

	if (!dma_dev_ok(dev, __func__))
		return 0;
	if (nc_ops(dev) == NULL || atomic_load(&g_dma.nc_count) == 0)
		return 1;
	pthread_mutex_lock(&g_dma.nc_lock);
	nc = nc_find(NULL, handle) != NULL;
	pthread_mutex_unlock(&g_dma.nc_lock);
	return !nc;
}

/* move [off, off+size) between the views; 0, or -ENOENT when not noncoherent */
static int nc_copy(struct nc_alloc *a, size_t off, size_t size, enum udma_data_direction dir)
{
	if (off > a->size || size > a->size - off) {
		UDMA_LOG(ERR, "sync of [%zu, +%zu) outside a noncoherent allocation of %zu bytes",
			 off, size, a->size);
		return -ERANGE;
	}
	if (dir == UDMA_TO_DEVICE || dir == UDMA_BIDIRECTIONAL)
		memcpy(a->view + off, a->cpu + off, size);
	if (dir == UDMA_FROM_DEVICE || dir == UDMA_BIDIRECTIONAL)
		memcpy(a->cpu + off, a->view + off, size);
	return 0;
}

void udma_cache_sync(struct udma_device *dev, void *vaddr, size_t size,
		     enum udma_data_direction dir)
{
	struct nc_alloc **p;

	if (!dma_dev_ok(dev, __func__))
		return;
	if (vaddr == NULL || size == 0 || (unsigned int)dir > UDMA_FROM_DEVICE) {
		UDMA_LOG(ERR, "%s: bad argument (vaddr %p, size %zu, dir %d)", dev->name, vaddr, size,
			 (int)dir);
		return;
	}
	if (nc_ops(dev) == NULL)
		return; /* coherent: nothing to do */
	pthread_mutex_lock(&g_dma.nc_lock);
	p = nc_find(vaddr, 0);
	if (p)
		nc_copy(*p, (size_t)((uint8_t *)vaddr - (*p)->cpu), size, dir);
	pthread_mutex_unlock(&g_dma.nc_lock);
	if (p == NULL)
		UDMA_LOG(ERR, "%s: %p is not noncoherent memory: ignored", dev->name, vaddr);
}

/* the streaming sync calls on a noncoherent handle (two views); -ENOENT when not one */
int dma_nc_sync_handle(udma_addr_t handle, size_t off, size_t size, enum udma_data_direction dir)
{
	struct nc_alloc **p;
	int ret = -ENOENT;

	if (atomic_load_explicit(&g_dma.nc_count, memory_order_relaxed) == 0)
		return ret;
	pthread_mutex_lock(&g_dma.nc_lock);
	p = nc_find(NULL, handle);
	if (p)
		ret = nc_copy(*p, (size_t)(handle - (*p)->handle) + off, size, dir);
	pthread_mutex_unlock(&g_dma.nc_lock);
	return ret;
}

static void nc_fini(void)
{
	pthread_mutex_lock(&g_dma.nc_lock);
	while (g_dma.nc) {
		struct nc_alloc *a = g_dma.nc;

		g_dma.nc = a->next;
		free(a);
	}
	atomic_store(&g_dma.nc_count, 0);
	pthread_mutex_unlock(&g_dma.nc_lock);
}

static const struct eal_hook g_nc_hook = {.name = "noncoherent", .fini = nc_fini};

__attribute__((constructor)) static void nc_register(void)
{
	eal_hook_register(&g_nc_hook, EAL_STAGE_NONCOHERENT);
}
