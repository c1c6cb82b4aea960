/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Declared device memory: one region per device, handed out by
 * udma_alloc_coherent() first, tracked at page granularity, optionally shared
 * with children; and the IO accessors for UDMA_MEMORY_IO regions.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dma_private.h"
#include "udma_noncoherent.h"

#define PG UDMA_PAGE_SIZE
#define BITS 64

struct declared {
	uint8_t *cpu;
	udma_addr_t dev_addr;
	size_t pages;
	int flags;
	pthread_mutex_t lock;
	uint64_t *used;  /* page in use */
	uint64_t *head;  /* first page of an allocation */
	void *bar_map;   /* udma_declare_coherent_bar(): our own mmap */
	size_t bar_len;
	const struct udma_device *dev;
	struct declared *next; /* every declared region, for the overlap check */
};


static void declared_free(struct declared *d);


static bool bit(const uint64_t *m, size_t i)
{
	return (m[i / BITS] >> (i % BITS)) & 1;
}

static void set_bits(uint64_t *m, size_t from, size_t n, bool on)
{
	for (size_t i = from; i < from + n; i++) {
		if (on)
			m[i / BITS] |= 1ULL << (i % BITS);
		else
			m[i / BITS] &= ~(1ULL << (i % BITS));
	}
}

/* first run of @n free pages, or SIZE_MAX (lock held) */
static size_t find_free(const struct declared *d, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < d->pages; i++) {
		run = bit(d->used, i) ? 0 : run + 1;
		if (run == n)
			return i + 1 - n;
	}
	return SIZE_MAX;
}

/*
 * Does [cpu, cpu + size) alias memory someone else hands out? Another device's
 * declared region, or udma's memseg memory (coherent memory and pool slabs of any
 * device, now or later): both would give two devices the same address. Lock held.
 */
static const char *declared_alias(const void *cpu, size_t size, const char **other)
{
	uintptr_t lo = (uintptr_t)cpu, hi = lo + size;

	*other = NULL;
	if (memseg_va_overlaps(lo, size))
		return "udma's own memory (coherent memory of devices)";
	for (const struct declared *d = g_dma.declared; d; d = d->next)
		if (lo < (uintptr_t)d->cpu + d->pages * PG && (uintptr_t)d->cpu < hi) {
			*other = d->dev->name;
			return "the declared memory of device";
		}
	return NULL;
}

static void declared_unlink(struct declared *d)
{
	pthread_mutex_lock(&g_dma.declared_lock);
	for (struct declared **p = &g_dma.declared; *p; p = &(*p)->next)
		if (*p == d) {
			*p = d->next;
			break;
		}
	pthread_mutex_unlock(&g_dma.declared_lock);
}

static int declare(struct udma_device *dev, void *cpu, udma_addr_t dev_addr, size_t size,
		   int flags, void *bar_map, size_t bar_len)
{
	const char *what, *other;
	struct declared *d;
	size_t words;

	if (!dma_dev_ok(dev, "udma_declare_coherent_memory"))
		return 0;
	if (cpu == NULL || ((uintptr_t)cpu & (PG - 1)) || size == 0 || (size & (PG - 1)) ||
	    !(flags & (UDMA_MEMORY_MAP | UDMA_MEMORY_IO)) || (flags & ~0xf) ||
	    (dev_addr & (PG - 1)) || dev_addr + size - 1 < dev_addr) {
		UDMA_LOG_AS(ERR, "udma_declare_coherent_memory", "%s: bad argument (cpu %p, "
			    "device_addr %#llx, size %zu, flags %#x)", dev->name, cpu,
			    (unsigned long long)dev_addr, size, flags);
		errno = EINVAL;
		return 0;
	}
	if (dev->declared) {
		UDMA_LOG_AS(ERR, "udma_declare_coherent_memory", "%s: already has a declared region "
			    "(one per device)", dev->name);
		errno = EBUSY;
		return 0;
	}
	words = (size / PG + BITS - 1) / BITS;
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->used = calloc(words, 8)) == NULL || (d->head = calloc(words, 8)) == NULL) {
		if (d)
			free(d->used);
		free(d);
		return 0;
	}
	d->cpu = cpu;
	d->dev_addr = dev_addr;
	d->pages = size / PG;
	d->flags = flags;
	d->bar_map = bar_map;
	d->bar_len = bar_len;
	d->dev = dev;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_lock(&g_dma.declared_lock);
	what = declared_alias(cpu, size, &other);
	if (what == NULL) {
		d->next = g_dma.declared;
		g_dma.declared = d;
	}
	pthread_mutex_unlock(&g_dma.declared_lock);
	if (what) {
		UDMA_LOG(ERR, "%s: [%p, +%zu) overlaps %s%s%s: refused (-EBUSY)", dev->name, cpu,
			 size, what, other ? " " : "", other ? other : "");
		d->bar_map = NULL; /* the caller unmaps its own */
		declared_free(d);
		errno = EBUSY;
		return 0;
	}
	dev->declared = d;
	return (flags & UDMA_MEMORY_MAP) ? UDMA_MEMORY_MAP : UDMA_MEMORY_IO;
}

int udma_declare_coherent_memory(struct udma_device *dev, void *cpu_addr, udma_addr_t device_addr,
				 size_t size, int flags)
{
	return declare(dev, cpu_addr, device_addr, size, flags, NULL, 0);
}

int udma_set_sysfs_pci_root(const char *path)
{
	const char *p = path ? path : "/sys/bus/pci/devices";

	if (strlen(p) >= sizeof(g_dma.pci_root)) {
		UDMA_LOG(ERR, "path too long");
		return -EINVAL;
	}
	memcpy(g_dma.pci_root, p, strlen(p) + 1);
	return 0;
}

const char *dma_sysfs_pci_root(void)
{
	return g_dma.pci_root;
}

int udma_declare_coherent_bar(struct udma_device *dev, const char *pci_addr, int bar, size_t offset,
			      udma_addr_t device_addr, size_t size, int flags)
{
	unsigned int dom, bus, slot, fn;
	char path[512], tail;
	void *map;
	int fd, ret;

	if (pci_addr == NULL || sscanf(pci_addr, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn,
				       &tail) != 4 || bar < 0 || bar > 5 || (offset & (PG - 1)) ||
	    size == 0) {
		UDMA_LOG(ERR, "bad argument (pci %s, bar %d, offset %zu, size %zu)",
			 pci_addr ? pci_addr : "(null)", bar, offset, size);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s/resource%d", g_dma.pci_root, pci_addr, bar);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		UDMA_LOG(ERR, "cannot open %s: %s", path, strerror(errno));
		return 0;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
	close(fd);
	if (map == MAP_FAILED) {
		UDMA_LOG(ERR, "cannot mmap %s [%zu, +%zu): %s", path, offset, size, strerror(errno));
		return 0;
	}
	ret = declare(dev, map, device_addr, size, flags, map, size);
	if (ret == 0)
		munmap(map, size);
	return ret;
}

static void declared_free(struct declared *d)
{
	declared_unlink(d);
	if (d->bar_map)
		munmap(d->bar_map, d->bar_len);
	pthread_mutex_destroy(&d->lock);
	free(d->used);
	free(d->head);
	free(d);
}

void udma_release_declared_memory(struct udma_device *dev)
{
	if (!dma_dev_ok(dev, __func__))
		return;
	if (dev->declared == NULL) {
		UDMA_LOG(ERR, "%s: has no declared memory", dev->name);
		return;
	}
	declared_free(dev->declared);
	dev->declared = NULL;
}

void *udma_mark_declared_memory_occupied(struct udma_device *dev, udma_addr_t device_addr,
					 size_t size)
{
	struct declared *d;
	size_t first, n;
	void *ret;

	if (!dma_dev_ok(dev, __func__) || (d = dev->declared) == NULL || size == 0 ||
	    device_addr < d->dev_addr || device_addr - d->dev_addr >= d->pages * PG ||
	    size > d->pages * PG - (device_addr - d->dev_addr)) {
		UDMA_LOG(ERR, "no declared region holds [%#llx, +%zu)", (unsigned long long)device_addr,
			 size);
		return udma_err_ptr(-EINVAL);
	}
	first = (device_addr - d->dev_addr) / PG;
	n = ((device_addr - d->dev_addr) % PG + size + PG - 1) / PG;
	pthread_mutex_lock(&d->lock);
	ret = d->cpu + (device_addr - d->dev_addr);
	for (size_t i = first; i < first + n; i++)
		if (bit(d->used, i))
			ret = udma_err_ptr(-EBUSY);
	if (!udma_is_err(ret))
		set_bits(d->used, first, n, true);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* ---- the coherent allocator's view --------------------------------------------- */

/* the region @dev allocates from: its own, or an ancestor's that includes children */
static struct declared *region_for(const struct udma_device *dev)
{
	if (dev->declared)
		return dev->declared;
	for (const struct udma_device *p = dev->parent; p; p = p->parent)
		if (p->declared && (p->declared->flags & UDMA_MEMORY_INCLUDES_CHILDREN))
			return p->declared;
	return NULL;
}

/* 1: served from declared memory (or -ENOMEM under EXCLUSIVE); 0: use system memory */
int declared_alloc(struct udma_device *dev, size_t size, void **va, udma_addr_t *handle)
{
	struct declared *d = region_for(dev);
	size_t n = (size + PG - 1) / PG, at;

	if (d == NULL)
		return 0;
	pthread_mutex_lock(&d->lock);
	at = find_free(d, n);
	if (at != SIZE_MAX) {
		set_bits(d->used, at, n, true);
		set_bits(d->head, at, 1, true);
	}
	pthread_mutex_unlock(&d->lock);
	if (at == SIZE_MAX)
		return (d->flags & UDMA_MEMORY_EXCLUSIVE) ? -ENOMEM : 0;
	*va = d->cpu + at * PG;
	*handle = d->dev_addr + at * PG;
	if (d->flags & UDMA_MEMORY_MAP)
		memset(*va, 0, n * PG);
	else
		for (size_t i = 0; i < n * PG; i += 8)
			udma_write64(0, (uint8_t *)*va + i);
	return 1;
}

/* 1: it was declared memory (freed or refused with a log line); 0: not declared */
int declared_free_range(struct udma_device *dev, size_t size, void *va, udma_addr_t handle)
{
	struct declared *d = region_for(dev);
	size_t n = (size + PG - 1) / PG, at;
	bool ok = true;

	if (d == NULL || (uint8_t *)va < d->cpu || (uint8_t *)va >= d->cpu + d->pages * PG)
		return 0;
	at = (size_t)((uint8_t *)va - d->cpu) / PG;
	pthread_mutex_lock(&d->lock);
	if (((uintptr_t)va & (PG - 1)) || handle != d->dev_addr + at * PG || at + n > d->pages ||
	    !bit(d->head, at))
		ok = false;
	for (size_t i = at; ok && i < at + n; i++)
		ok = bit(d->used, i) && (i == at || !bit(d->head, i));
	if (ok) {
		set_bits(d->used, at, n, false);
		set_bits(d->head, at, 1, false);
	}
	pthread_mutex_unlock(&d->lock);
	if (!ok)
		UDMA_LOG(ERR, "%s: %p / %#llx (%zu bytes) is not a live allocation of its declared "
			 "memory: ignored", dev->name, va, (unsigned long long)handle, size);
	return 1;
}

/* the device model: @iova inside the device's own declared region */
void *declared_resolve(const struct udma_device *dev, udma_addr_t iova, size_t *contig)
{
	const struct declared *d = region_for(dev);

	if (d == NULL || iova < d->dev_addr || iova - d->dev_addr >= d->pages * PG)
		return NULL;
	*contig = d->pages * PG - (iova - d->dev_addr);
	return d->cpu + (iova - d->dev_addr);
}

void declared_destroy(struct udma_device *dev)
{
	if (dev->declared)
		declared_free(dev->declared);
	dev->declared = NULL;
}

/* ---- IO accessors ------------------------------------------------------------ */

/*
 * x86 keeps loads and stores to IO memory in program order (uncached or WC
 * mappings aside): a compiler barrier is what it takes, as DPDK's rte_io_*mb().
 */
static inline void io_barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

void udma_memcpy_toio(volatile void *dst, const void *src, size_t n)
{
	volatile uint8_t *d = dst;
	const uint8_t *s = src;

	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

void udma_memcpy_fromio(void *dst, const volatile void *src, size_t n)
{
	const volatile uint8_t *s = src;
	uint8_t *d = dst;

	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

uint32_t udma_read32(const volatile void *addr)
{
	uint32_t v = *(const volatile uint32_t *)addr;

	io_barrier();
	return v;
}

uint64_t udma_read64(const volatile void *addr)
{
	uint64_t v = *(const volatile uint64_t *)addr;

	io_barrier();
	return v;
}

void udma_write32(uint32_t val, volatile void *addr)
{
	io_barrier();
	*(volatile uint32_t *)addr = val;
}

void udma_write64(uint64_t val, volatile void *addr)
{
	io_barrier();
	*(volatile uint64_t *)addr = val;
}
