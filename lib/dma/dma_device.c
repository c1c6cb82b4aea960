/* SPDX-License-Identifier: BSD-3-Clause */
/* Devices and their DMA addressing limits. */
#include <stdlib.h>
#include <string.h>

#include "dma_private.h"
#include "eal_topology.h"
#include "iova_private.h"

#define DEFAULT_MAX_SEG (64U * 1024)

struct dma_state g_dma = {
	.dev_lock = PTHREAD_MUTEX_INITIALIZER,
	.next_id = 1,
	.reg_lock = PTHREAD_RWLOCK_INITIALIZER,
	.declared_lock = PTHREAD_MUTEX_INITIALIZER,
	.pci_root = "/sys/bus/pci/devices",
	.nc_lock = PTHREAD_MUTEX_INITIALIZER,
	.managed_lock = PTHREAD_MUTEX_INITIALIZER,
	.fault_lock = PTHREAD_MUTEX_INITIALIZER,
};

struct udma_device *udma_device_create(const char *name, struct udma_device *parent, int numa_node)
{
	struct udma_device *dev;

	if (!udma_eal_initialized()) {
		UDMA_LOG(ERR, "udma is not initialised");
		errno = ENODEV;
		return NULL;
	}
	if (name == NULL || name[0] == '\0' || strlen(name) >= UDMA_MAX_DEVICE_NAME) {
		UDMA_LOG(ERR, "name must be 1..%d characters", UDMA_MAX_DEVICE_NAME - 1);
		errno = EINVAL;
		return NULL;
	}
	if ((parent != NULL && !dma_dev_ok(parent, __func__)) || numa_node < -1 ||
	    numa_node >= udma_numa_node_count()) {
		if (parent == NULL || dma_dev_is(parent))
			UDMA_LOG(ERR, "%s: numa node %d not in -1..%d", name, numa_node,
				 udma_numa_node_count() - 1);
		errno = EINVAL;
		return NULL;
	}
	dev = aligned_alloc(UDMA_CACHE_LINE_SIZE, sizeof(*dev));
	if (dev == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(dev, 0, sizeof(*dev));
	memcpy(dev->name, name, strlen(name) + 1);
	dev->parent = parent;
	dev->node = numa_node >= 0 ? numa_node : eal_topology()->cpu_node() % udma_numa_node_count();
	dev->id = atomic_fetch_add(&g_dma.next_id, 1);
	dev->dma_mask = dev->coherent_mask = UDMA_BIT_MASK(32);
	dev->seg_boundary = UDMA_BIT_MASK(32);
	dev->max_seg_size = DEFAULT_MAX_SEG;
	dev->dma_ops = g_iova.ops->dma_ops;
	if (dev->dma_ops && dev->dma_ops->attach && dev->dma_ops->attach(dev) < 0) {
		UDMA_LOG(ERR, "%s: no memory for the device's IOMMU domain", name);
		free(dev);
		errno = ENOMEM;
		return NULL;
	}
	dev->magic = UDMA_DEV_MAGIC;
	pthread_mutex_lock(&g_dma.dev_lock);
	dev->next = g_dma.devices;
	g_dma.devices = dev;
	pthread_mutex_unlock(&g_dma.dev_lock);
	return dev;
}


int dma_dev_destroy_hook_register(dma_dev_destroy_fn fn)
{
	return EAL_REGISTRY_ADD(g_dma.destroy_hooks, g_dma.nr_destroy_hooks, fn,
				"device-destroy hooks", "a subsystem's hook");
}


int dma_dev_busy_hook_register(dma_dev_busy_fn fn)
{
	return EAL_REGISTRY_ADD(g_dma.busy_hooks, g_dma.nr_busy_hooks, fn, "device-busy hooks",
				"a subsystem's hook");
}

static void report_leak(void *va, size_t npages, void *arg)
{
	const struct udma_device *dev = arg;

	UDMA_LOG(ERR, "device %s destroyed holding coherent memory va %p iova %#llx size %zu: "
		 "left allocated (the device may still write it)", dev->name, va,
		 (unsigned long long)udma_virt2iova(va), npages << 12);
}

static void device_unlink(struct udma_device *dev)
{
	pthread_mutex_lock(&g_dma.dev_lock);
	for (struct udma_device **p = &g_dma.devices; *p; p = &(*p)->next)
		if (*p == dev) {
			*p = dev->next;
			break;
		}
	for (struct udma_device *d = g_dma.devices; d; d = d->next)
		if (d->parent == dev)
			d->parent = NULL;
	pthread_mutex_unlock(&g_dma.dev_lock);
}

/* the teardown itself: what the device still holds is reported and disowned */
static void device_free(struct udma_device *dev)
{
	device_unlink(dev);
	for (unsigned int i = 0; i < g_dma.nr_destroy_hooks; i++)
		g_dma.destroy_hooks[i](dev);
	heap_for_each_alloc(dev->id, report_leak, dev);
	heap_disown(dev->id);
	declared_destroy(dev);
	if (dev->dma_ops && dev->dma_ops->detach)
		dev->dma_ops->detach(dev); /* its domain: nothing it held stays reachable */
	dev->magic = 0;
	free(dev);
}

int udma_device_try_destroy(struct udma_device *dev)
{
	struct udma_device_stats st = {0};
	unsigned int pools = 0;

	if (dev == NULL)
		return 0;
	if (!dma_dev_ok(dev, "udma_device_destroy"))
		return -EINVAL;
	for (unsigned int i = 0; i < g_dma.nr_busy_hooks; i++)
		pools += g_dma.busy_hooks[i](dev);
	udma_device_stats(dev, &st);
	if (pools || st.coherent_allocs) {
		UDMA_LOG(ERR, "device %s is busy: %u pool(s) and %llu coherent allocation(s) "
			 "still use it: not destroyed (-EBUSY)", dev->name, pools,
			 (unsigned long long)st.coherent_allocs);
		return -EBUSY;
	}
	device_free(dev);
	return 0;
}

void udma_device_destroy(struct udma_device *dev)
{
	(void)udma_device_try_destroy(dev);
}

const char *udma_device_name(const struct udma_device *dev)
{
	return dma_dev_ok(dev, __func__) ? dev->name : NULL;
}

int udma_device_numa_node(const struct udma_device *dev)
{
	return dma_dev_ok(dev, __func__) ? dev->node : -1;
}

struct udma_device *udma_device_parent(const struct udma_device *dev)
{
	return dma_dev_ok(dev, __func__) ? dev->parent : NULL;
}

/* ---- masks ---------------------------------------------------------------- */

int udma_supported(struct udma_device *dev, uint64_t mask)
{
	udma_addr_t lowest;

	if (!dma_dev_ok(dev, __func__) || mask == 0 || !udma_eal_initialized())
		return 0;
	lowest = g_iova.ops->min_iova();
	return lowest != UDMA_MAPPING_ERROR && lowest + UDMA_PAGE_SIZE - 1 <= mask;
}

static int set_masks(struct udma_device *dev, uint64_t mask, bool dma, bool coherent,
		     const char *fn)
{
	if (!dma_dev_ok(dev, fn))
		return -EINVAL;
	if (!udma_supported(dev, mask)) {
		udma_log(UDMA_LOG_ERR, "%s(): %s: mask %#llx reaches no memory in %s mode", fn,
			 dev->name, (unsigned long long)mask, udma_iova_mode_name(udma_iova_mode()));
		return -EIO;
	}
	if (dma)
		dev->dma_mask = mask;
	if (coherent)
		dev->coherent_mask = mask;
	return 0;
}

int udma_set_mask(struct udma_device *dev, uint64_t mask)
{
	return set_masks(dev, mask, true, false, __func__);
}

int udma_set_coherent_mask(struct udma_device *dev, uint64_t mask)
{
	return set_masks(dev, mask, false, true, __func__);
}

int udma_set_mask_and_coherent(struct udma_device *dev, uint64_t mask)
{
	return set_masks(dev, mask, true, true, __func__);
}

uint64_t udma_get_mask(struct udma_device *dev)
{
	return dma_dev_ok(dev, __func__) ? dev->dma_mask : 0;
}

uint64_t udma_get_coherent_mask(struct udma_device *dev)
{
	return dma_dev_ok(dev, __func__) ? dev->coherent_mask : 0;
}

/* highest System RAM address in /proc/iomem (root sees real addresses), or 0 */
static uint64_t iomem_ram_top(void)
{
	char line[256];
	unsigned long long s, e, top = 0;
	FILE *f = fopen("/proc/iomem", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (line[0] != ' ' && strstr(line, ": System RAM") &&
		    sscanf(line, "%llx-%llx", &s, &e) == 2 && e > top)
			top = e;
	fclose(f);
	return top;
}

static uint64_t mask_covering(uint64_t addr)
{
	return addr ? UDMA_BIT_MASK(64 - __builtin_clzll(addr)) : 0;
}

uint64_t udma_get_required_mask(struct udma_device *dev)
{
	uint64_t top = 0, req;

	if (!dma_dev_ok(dev, __func__))
		return 0;
	switch (udma_iova_mode()) {
	case UDMA_IOVA_PA:
		top = iomem_ram_top();
		break;
	case UDMA_IOVA_VA:
		top = (1ULL << 47) - 1; /* any user address can be mapped */
		break;
	default:
		break;
	}
	if (memseg_max_iova() > top)
		top = memseg_max_iova();
	req = mask_covering(top);
	if (req < UDMA_BIT_MASK(32))
		req = UDMA_BIT_MASK(32);
	return req < dev->dma_mask ? req : dev->dma_mask;
}

int udma_set_max_seg_size(struct udma_device *dev, unsigned int size)
{
	if (!dma_dev_ok(dev, __func__))
		return -EINVAL;
	if (size == 0) {
		UDMA_LOG(ERR, "%s: max segment size 0", dev->name);
		return -EINVAL;
	}
	dev->max_seg_size = size;
	return 0;
}

unsigned int udma_get_max_seg_size(struct udma_device *dev)
{
	return dma_dev_ok(dev, __func__) ? dev->max_seg_size : 0;
}

int udma_set_seg_boundary(struct udma_device *dev, uint64_t mask)
{
	if (!dma_dev_ok(dev, __func__))
		return -EINVAL;
	if (mask < UDMA_PAGE_SIZE - 1 || (mask & (mask + 1)) != 0) {
		UDMA_LOG(ERR, "%s: segment boundary %#llx is not 2^n - 1 (n >= 12)", dev->name,
			 (unsigned long long)mask);
		return -EINVAL;
	}
	dev->seg_boundary = mask;
	return 0;
}

uint64_t udma_get_seg_boundary(struct udma_device *dev)
{
	return dma_dev_ok(dev, __func__) ? dev->seg_boundary : 0;
}

int udma_device_stats(struct udma_device *dev, struct udma_device_stats *st)
{
	int64_t a = 0, b = 0;

	if (!dma_dev_ok(dev, __func__) || st == NULL) {
		if (st == NULL)
			UDMA_LOG(ERR, "NULL stats pointer");
		return -EINVAL;
	}
	for (unsigned int i = 0; i <= UDMA_MAX_LCORES; i++) {
		a += atomic_load_explicit(&dev->cnt[i].allocs, memory_order_relaxed);
		b += atomic_load_explicit(&dev->cnt[i].bytes, memory_order_relaxed);
	}
	st->coherent_allocs = (uint64_t)(a < 0 ? 0 : a);
	st->coherent_bytes = (uint64_t)(b < 0 ? 0 : b);
	return 0;
}

/* ---- the dma layer's EAL hook ----------------------------------------------- */

static int dma_init(const struct eal_config *cfg)
{
	(void)cfg;
	dma_sim_reset();
	return 0;
}

static void dma_fini(void)
{
	for (;;) {
		struct udma_device *d;

		pthread_mutex_lock(&g_dma.dev_lock);
		d = g_dma.devices;
		pthread_mutex_unlock(&g_dma.dev_lock);
		if (d == NULL)
			break;
		UDMA_LOG(WARNING, "device %s still exists at cleanup: destroying it", d->name);
		device_free(d);
	}
}

static void dma_dump(FILE *f)
{
	pthread_mutex_lock(&g_dma.dev_lock);
	for (struct udma_device *d = g_dma.devices; d; d = d->next) {
		struct udma_device_stats st = {0};

		udma_device_stats(d, &st);
		fprintf(f, "device %s: node %d, parent %s, dma mask %#llx, coherent mask %#llx, "
			"max seg %u, boundary %#llx, %llu coherent allocation(s) %llu bytes\n",
			d->name, d->node, d->parent ? d->parent->name : "-",
			(unsigned long long)d->dma_mask, (unsigned long long)d->coherent_mask,
			d->max_seg_size, (unsigned long long)d->seg_boundary,
			(unsigned long long)st.coherent_allocs, (unsigned long long)st.coherent_bytes);
	}
	pthread_mutex_unlock(&g_dma.dev_lock);
}

static const struct eal_hook g_dma_hook = {
	.name = "dma", .init = dma_init, .fini = dma_fini, .dump = dma_dump,
};

__attribute__((constructor)) static void dma_hook_register(void)
{
	eal_hook_register(&g_dma_hook, EAL_STAGE_DEVICE);
}
