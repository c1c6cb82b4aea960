/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory registration: memory outside the memsegs that the caller pins and keeps
 * can be mapped without bouncing. Translated at 4 KiB granularity; the device
 * model reaches it through the same reverse map as the memsegs.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "dma_private.h"
#include "iova_private.h"
#include "udma_map.h"

#define PG 4096UL
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE_ 23
#else
#define MADV_POPULATE_WRITE_ MADV_POPULATE_WRITE
#endif

struct reg {
	uintptr_t va;       /* page aligned */
	size_t len;         /* page multiple */
	udma_addr_t *iova;  /* per page (pa: PA, va: VA); NULL in sim */
	atomic_long live;   /* streaming mappings of it (changed under the read lock) */
	bool foreign;       /* udma_mem_register_iova(): the owner pins and maps it */
};


/* after a change of g_dma.nregs (write lock held) */
static void reg_count_update(void)
{
	__atomic_store_n(&g_dma.reg_count, (unsigned int)g_dma.nregs, __ATOMIC_RELAXED);
	__atomic_store_n(&g_dma.unmap_direct, g_dma.map_direct && g_dma.nregs == 0,
			 __ATOMIC_RELAXED);
}

/* index of the registration containing @va, or -1 (lock held) */
static ssize_t reg_find(uintptr_t va)
{
	size_t lo = 0, hi = g_dma.nregs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (va < g_dma.regs[mid].va)
			hi = mid;
		else if (va - g_dma.regs[mid].va >= g_dma.regs[mid].len)
			lo = mid + 1;
		else
			return (ssize_t)mid;
	}
	return -1;
}

static bool overlaps(uintptr_t va, size_t len)
{
	if (memseg_va_overlaps(va, len))
		return true;
	for (size_t i = 0; i < g_dma.nregs; i++)
		if (va < g_dma.regs[i].va + g_dma.regs[i].len && g_dma.regs[i].va < va + len)
			return true;
	return false;
}

static int reg_translate_pages(struct reg *r)
{
	int fd;

	if (g_iova.ops->remaps)
		return 0; /* sim: the IOMMU maps it per streaming mapping */
	r->iova = malloc((r->len / PG) * sizeof(*r->iova));
	if (r->iova == NULL)
		return -ENOMEM;
	if (g_iova.ops->mode != UDMA_IOVA_PA) {
		udma_addr_t base = r->va;
		/* an IOMMU (vfio) maps the region: at IOVA = VA, or at an IOVA it allocates */
		int ret = g_iova.ops->reg_map ? g_iova.ops->reg_map((void *)r->va, r->len, &base)
					      : 0;

		for (size_t i = 0; i < r->len / PG; i++)
			r->iova[i] = base + i * PG;
		return ret;
	}
	fd = pagemap_open();
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < r->len / PG; i++) {
		r->iova[i] = pagemap_pa(fd, (void *)(r->va + i * PG));
		if (r->iova[i] == 0 || r->iova[i] == UDMA_MAPPING_ERROR) {
			pagemap_close(fd);
			return -EPERM;
		}
	}
	pagemap_close(fd);
	return 0;
}

static int reg_insert(const struct reg *r)
{
	struct reg *n = realloc(g_dma.regs, (g_dma.nregs + 1) * sizeof(*n));
	size_t i = 0;

	if (n == NULL)
		return -ENOMEM;
	g_dma.regs = n;
	while (i < g_dma.nregs && g_dma.regs[i].va < r->va)
		i++;
	memmove(&g_dma.regs[i + 1], &g_dma.regs[i], (g_dma.nregs - i) * sizeof(*g_dma.regs));
	g_dma.regs[i] = *r;
	g_dma.nregs++;
	reg_count_update();
	return 0;
}

/* the caller's IOVA for a pinned region (udma_mem_register_iova) */
static int reg_translate_given(struct reg *r, udma_addr_t iova)
{
	r->iova = malloc((r->len / PG) * sizeof(*r->iova));
	if (r->iova == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->len / PG; i++)
		r->iova[i] = iova + i * PG;
	return 0;
}

/* register [va, va+len): @given: the caller's IOVA of va (foreign), else pinned here */
static int reg_add(void *va, size_t len, bool given, udma_addr_t iova)
{
	struct reg r = {0};
	bool mapped;
	int ret;

	r.va = (uintptr_t)va & ~(PG - 1);
	r.len = (((uintptr_t)va + len + PG - 1) & ~(PG - 1)) - r.va;
	r.foreign = given;
	pthread_rwlock_wrlock(&g_dma.reg_lock);
	if (overlaps(r.va, r.len)) {
		pthread_rwlock_unlock(&g_dma.reg_lock);
		UDMA_LOG(ERR, "[%p, +%zu) overlaps the memsegs or a registration", va, len);
		return -EBUSY;
	}
	if (!given) {
		/* fault every page in writable (mlock may be a no-op, e.g. under ASan) so
		 * the translation is of the page that stays, not of the shared zero page */
		madvise((void *)r.va, r.len, MADV_POPULATE_WRITE_);
		if (mlock((void *)r.va, r.len) != 0) {
			pthread_rwlock_unlock(&g_dma.reg_lock);
			UDMA_LOG(ERR, "cannot pin [%p, +%zu): %s (RLIMIT_MEMLOCK?)", va, len,
				 strerror(errno));
			return -ENOMEM;
		}
	}
	ret = given ? reg_translate_given(&r, iova) : reg_translate_pages(&r);
	mapped = ret == 0 && r.iova && !given && g_iova.ops->reg_map;
	if (ret == 0 && r.iova)
		ret = iova_runs_add(-1, r.va, r.iova, r.len / PG, PG);
	if (ret == 0)
		ret = reg_insert(&r);
	if (ret != 0) {
		if (r.iova)
			iova_runs_remove(r.va, r.len);
		if (mapped)
			g_iova.ops->reg_unmap((void *)r.va, r.len);
		free(r.iova);
		if (!given)
			munlock((void *)r.va, r.len);
		UDMA_LOG(ERR, "cannot register [%p, +%zu): %s", va, len, strerror(-ret));
	}
	pthread_rwlock_unlock(&g_dma.reg_lock);
	return ret;
}

int udma_mem_register(void *va, size_t len)
{
	if (va == NULL || len == 0 || len > UINTPTR_MAX - (PG - 1) - (uintptr_t)va ||
	    !udma_eal_initialized()) {
		UDMA_LOG(ERR, "bad argument (va %p, len %zu: 0 or wrapping) or udma not initialised",
			 va, len);
		return -EINVAL;
	}
	return reg_add(va, len, false, 0);
}

int udma_mem_register_iova(void *va, size_t len, udma_addr_t iova, size_t pgsz)
{
	uintptr_t v = (uintptr_t)va;

	if (va == NULL || len == 0 || pgsz < PG || (pgsz & (pgsz - 1)) != 0 ||
	    (v & (pgsz - 1)) != 0 || (len & (pgsz - 1)) != 0 || (iova & (pgsz - 1)) != 0 ||
	    len > UINTPTR_MAX - v || iova == UDMA_MAPPING_ERROR || len - 1 > ~iova ||
	    !udma_eal_initialized()) {
		UDMA_LOG(ERR, "bad argument (va %p, len %zu, iova %#" PRIx64 ", page %zu: NULL, 0, "
			 "unaligned, wrapping) or udma not initialised", va, len, (uint64_t)iova,
			 pgsz);
		return -EINVAL;
	}
	if (g_iova.ops->remaps && g_iova.ops->mode != UDMA_IOVA_VFIO) {
		UDMA_LOG(ERR, "[%p, +%zu): the %s IOMMU allocates its own IOVAs; use "
			 "udma_mem_register()", va, len, g_iova.ops->name);
		return -ENOTSUP;
	}
	return reg_add(va, len, true, iova);
}

static void reg_drop(size_t i)
{
	struct reg r = g_dma.regs[i];

	memmove(&g_dma.regs[i], &g_dma.regs[i + 1], (g_dma.nregs - i - 1) * sizeof(*g_dma.regs));
	g_dma.nregs--;
	reg_count_update();
	if (r.iova)
		iova_runs_remove(r.va, r.len);
	if (r.iova && !r.foreign && g_iova.ops->reg_unmap)
		g_iova.ops->reg_unmap((void *)r.va, r.len);
	free(r.iova);
	if (!r.foreign)
		munlock((void *)r.va, r.len);
}

int udma_mem_unregister(void *va, size_t len)
{
	uintptr_t start = (uintptr_t)va & ~(PG - 1);
	size_t alen = len ? (((uintptr_t)va + len + PG - 1) & ~(PG - 1)) - start : 0;
	ssize_t i;
	long live;
	int ret = 0;

	if (va == NULL || len == 0 || len > UINTPTR_MAX - (PG - 1) - (uintptr_t)va) {
		UDMA_LOG(ERR, "bad argument (va %p, len %zu)", va, len);
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&g_dma.reg_lock);
	i = reg_find(start);
	if (i < 0) {
		ret = -EINVAL;
		UDMA_LOG(ERR, "[%p, +%zu) is not registered", va, len);
	} else if (g_dma.regs[i].va != start || g_dma.regs[i].len != alen) {
		ret = -ERANGE;
		UDMA_LOG(ERR, "[%p, +%zu) is part of a registration [%#lx, +%zu): unregister it whole",
			 va, len, (unsigned long)g_dma.regs[i].va, g_dma.regs[i].len);
	} else if ((live = atomic_load(&g_dma.regs[i].live)) != 0) {
		ret = -EBUSY;
		UDMA_LOG(ERR, "[%p, +%zu) has %ld live streaming mapping%s: unmap first", va, len,
			 live, live == 1 ? "" : "s");
	} else {
		reg_drop((size_t)i);
	}
	pthread_rwlock_unlock(&g_dma.reg_lock);
	return ret;
}

/*
 * Is [va, va+size) wholly registered? Sets *iova when its pages are IOVA-
 * contiguous (pa/va); UDMA_MAPPING_ERROR otherwise (sim: always, it maps itself).
 */
bool dma_reg_lookup(const void *va, size_t size, udma_addr_t *iova)
{
	uintptr_t v = (uintptr_t)va;
	bool found = false;
	ssize_t i;

	*iova = UDMA_MAPPING_ERROR;
	if (g_dma.nregs == 0)
		return false;
	pthread_rwlock_rdlock(&g_dma.reg_lock);
	i = reg_find(v);
	if (i >= 0 && v + size <= g_dma.regs[i].va + g_dma.regs[i].len) {
		const struct reg *r = &g_dma.regs[i];
		size_t p0 = (v - r->va) / PG, p1 = (v + size - 1 - r->va) / PG;

		found = true;
		if (r->iova) {
			*iova = r->iova[p0] + (v & (PG - 1));
			for (size_t p = p0 + 1; p <= p1; p++)
				if (r->iova[p] != r->iova[p - 1] + PG)
					*iova = UDMA_MAPPING_ERROR;
		}
	}
	pthread_rwlock_unlock(&g_dma.reg_lock);
	return found;
}

/*
 * Count a streaming mapping of registered memory in (+1) or out (-1): the region
 * holding [va, va+size) cannot be unregistered while its count is not 0.
 * @return 0, or -ENOENT when no registration holds the range (memseg memory), or
 * -EINVAL when a release finds no live mapping to release (logged).
 */
int reg_ref(const void *va, size_t size, int delta)
{
	uintptr_t v = (uintptr_t)va;
	int ret = -ENOENT;
	ssize_t i;

	pthread_rwlock_rdlock(&g_dma.reg_lock);
	i = reg_find(v);
	if (i >= 0 && size <= g_dma.regs[i].va + g_dma.regs[i].len - v) {
		struct reg *r = &g_dma.regs[i];
		long n = atomic_load(&r->live);

		ret = 0;
		do {
			if (n + delta < 0) {
				ret = -EINVAL;
				break;
			}
		} while (!atomic_compare_exchange_weak(&r->live, &n, n + delta));
	}
	pthread_rwlock_unlock(&g_dma.reg_lock);
	if (ret == -EINVAL)
		UDMA_LOG(ERR, "unmap of registered [%p, +%zu) that has no live mapping: ignored",
			 va, size);
	return ret;
}

static void reg_fini(void)
{
	pthread_rwlock_wrlock(&g_dma.reg_lock);
	while (g_dma.nregs) {
		UDMA_LOG(WARNING, "registration [%#lx, +%zu) still there at cleanup: dropped",
			 (unsigned long)g_dma.regs[0].va, g_dma.regs[0].len);
		reg_drop(0);
	}
	free(g_dma.regs);
	g_dma.regs = NULL;
	pthread_rwlock_unlock(&g_dma.reg_lock);
}

static const struct eal_hook g_reg_hook = {.name = "mem_register", .fini = reg_fini};

__attribute__((constructor)) static void reg_hook_register(void)
{
	eal_hook_register(&g_reg_hook, EAL_STAGE_REGISTER);
}
