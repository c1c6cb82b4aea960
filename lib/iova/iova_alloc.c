/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOVA range allocator: a sorted array of free ranges under a mutex, fronted by
 * per-lcore magazines for the small power-of-two sizes (as Linux's IOVA rcache),
 * so the common map/unmap takes no lock.
 */
#include <stdlib.h>
#include <string.h>

#include "eal_private.h"
#include "iova_private.h"

#define PG 4096ULL
#define RC_CLASSES 6 /* 1, 2, 4, 8, 16, 32 pages */
#define IOVA_CHUNK (16 * PG) /* a magazine refill: 128 B of sim leaf entries */

struct range {
	udma_addr_t start, end; /* [start, end) */
};

struct rcache {
	unsigned int n;
	udma_addr_t iova[UDMA_IOVA_RCACHE_SIZE];
} __udma_cache_aligned;

struct iova_domain {
	pthread_mutex_t lock;
	udma_addr_t base, end;
	struct range *free;
	size_t nfree, cap;
	size_t used;
	struct rcache (*rc)[RC_CLASSES];
};

struct iova_domain *iova_domain_create(udma_addr_t base, udma_addr_t end)
{
	struct iova_domain *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	/* each lcore's magazines on lines of their own (calloc aligns to 16 only) */
	d->rc = aligned_alloc(64, UDMA_MAX_LCORES * sizeof(*d->rc));
	if (d->rc)
		memset(d->rc, 0, UDMA_MAX_LCORES * sizeof(*d->rc));
	d->free = malloc(64 * sizeof(*d->free));
	if (d->rc == NULL || d->free == NULL) {
		iova_domain_destroy(d);
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->base = (base + PG - 1) & ~(PG - 1);
	d->end = end & ~(PG - 1);
	d->cap = 64;
	d->free[0] = (struct range){d->base, d->end};
	d->nfree = 1;
	return d;
}

void iova_domain_destroy(struct iova_domain *d)
{
	if (d == NULL)
		return;
	if (d->free)
		pthread_mutex_destroy(&d->lock);
	free(d->rc);
	free(d->free);
	free(d);
}

/* size class of a (rounded) size, or -1 when not cached */
static inline int size_class(size_t *size)
{
	size_t pages = (*size + PG - 1) / PG;
	/* log2 rounded up, no loop: one page (the common map) is class 0 */
	int c = pages <= 1 ? 0 : 64 - __builtin_clzll((unsigned long long)pages - 1);

	if (c >= RC_CLASSES) {
		*size = pages * PG;
		return -1;
	}
	*size = (1UL << c) * PG;
	return c;
}

static void range_remove(struct iova_domain *d, size_t i)
{
	memmove(&d->free[i], &d->free[i + 1], (d->nfree - i - 1) * sizeof(*d->free));
	d->nfree--;
}

/* carve [at, at+size) out of free range i */
static void range_take(struct iova_domain *d, size_t i, udma_addr_t at, size_t size)
{
	struct range *r = &d->free[i];
	udma_addr_t end = r->end;

	if (at == r->start && at + size == end) {
		range_remove(d, i);
	} else if (at == r->start) {
		r->start += size;
	} else if (at + size == end) {
		r->end = at;
	} else { /* split in two: the array gains one */
		r->end = at;
		if (d->nfree == d->cap) {
			struct range *n = realloc(d->free, d->cap * 2 * sizeof(*n));

			if (n == NULL) { /* keep the hole: leak the tail rather than fail */
				d->used += end - (at + size);
				d->used += size;
				return;
			}
			d->free = n;
			d->cap *= 2;
		}
		memmove(&d->free[i + 2], &d->free[i + 1], (d->nfree - i - 1) * sizeof(*d->free));
		d->free[i + 1] = (struct range){at + size, end};
		d->nfree++;
	}
	d->used += size;
}

static udma_addr_t alloc_locked(struct iova_domain *d, size_t size, uint64_t limit, bool low,
				size_t align)
{
	if (low) {
		for (size_t i = 0; i < d->nfree; i++)
			if (d->free[i].end - d->free[i].start >= size &&
			    d->free[i].start + size - 1 <= limit) {
				udma_addr_t at = d->free[i].start;

				range_take(d, i, at, size);
				return at;
			}
		return UDMA_MAPPING_ERROR;
	}
	for (size_t i = d->nfree; i-- > 0;) {
		udma_addr_t top = d->free[i].end;

		if (limit != UINT64_MAX && top > limit + 1)
			top = (limit + 1) & ~(PG - 1);
		if (top > d->free[i].start && top - d->free[i].start >= size) {
			udma_addr_t at = (top - size) & ~(udma_addr_t)(align - 1);

			if (at < d->free[i].start)
				continue;
			range_take(d, i, at, size);
			return at;
		}
	}
	return UDMA_MAPPING_ERROR;
}

static void free_locked(struct iova_domain *d, udma_addr_t iova, size_t size)
{
	size_t lo = 0, hi = d->nfree;

	while (lo < hi) { /* first range starting after iova */
		size_t mid = (lo + hi) / 2;

		if (d->free[mid].start <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	d->used -= size;
	if (lo > 0 && d->free[lo - 1].end == iova) {
		d->free[lo - 1].end += size;
		if (lo < d->nfree && d->free[lo].start == d->free[lo - 1].end) {
			d->free[lo - 1].end = d->free[lo].end;
			range_remove(d, lo);
		}
		return;
	}
	if (lo < d->nfree && d->free[lo].start == iova + size) {
		d->free[lo].start = iova;
		return;
	}
	if (d->nfree == d->cap) {
		struct range *n = realloc(d->free, d->cap * 2 * sizeof(*n));

		if (n == NULL)
			return; /* the range is lost to the allocator, not to correctness */
		d->free = n;
		d->cap *= 2;
	}
	memmove(&d->free[lo + 1], &d->free[lo], (d->nfree - lo) * sizeof(*d->free));
	d->free[lo] = (struct range){iova, iova + size};
	d->nfree++;
}

/*
 * A magazine miss: take a whole chunk, aligned to it, and keep what is left of it in
 * the magazine. A sim page table packs 8 leaf entries in a cache line: two lcores
 * whose IOVAs were next to each other would write the same line on every map and
 * unmap (and a remapping IOMMU's IOTLB and page walks would share it too), so an
 * lcore's IOVAs come from chunks of its own. Top-down within the chunk, handed out
 * as the uncached path would (highest first), so the space still fills packed.
 */
static __attribute__((noinline)) udma_addr_t refill(struct iova_domain *d, struct rcache *rc,
						     size_t size, uint64_t limit)
{
	size_t chunk = size > IOVA_CHUNK ? size : IOVA_CHUNK;
	unsigned int n = (unsigned int)(chunk / size), room = UDMA_IOVA_RCACHE_SIZE - rc->n;
	udma_addr_t at;

	pthread_mutex_lock(&d->lock);
	at = n > 1 && room >= n - 1 ? alloc_locked(d, chunk, limit, false, chunk)
				    : UDMA_MAPPING_ERROR;
	if (at == UDMA_MAPPING_ERROR) { /* no whole chunk left (or no room): one range */
		at = alloc_locked(d, size, limit, false, PG);
	} else {
		for (unsigned int k = 0; k < n - 1; k++) /* the lowest deepest */
			rc->iova[rc->n++] = at + (udma_addr_t)k * size;
		at += (udma_addr_t)(n - 1) * size;
	}
	pthread_mutex_unlock(&d->lock);
	return at;
}

udma_addr_t iova_alloc(struct iova_domain *d, size_t size, uint64_t limit)
{
	unsigned int lc = lcore_id();
	int c = size_class(&size);
	udma_addr_t at;

	if (c >= 0 && lc < UDMA_MAX_LCORES) {
		struct rcache *rc = &d->rc[lc][c];

		if (udma_likely(rc->n && rc->iova[rc->n - 1] + size - 1 <= limit))
			return rc->iova[--rc->n];
		return refill(d, rc, size, limit);
	}
	pthread_mutex_lock(&d->lock);
	at = alloc_locked(d, size, limit, false, PG);
	pthread_mutex_unlock(&d->lock);
	return at;
}

udma_addr_t iova_alloc_align(struct iova_domain *d, size_t size, uint64_t limit, size_t align)
{
	udma_addr_t at;

	size_class(&size); /* the size iova_free() will give back */
	pthread_mutex_lock(&d->lock);
	at = alloc_locked(d, size, limit, false, align < PG ? PG : align);
	pthread_mutex_unlock(&d->lock);
	return at;
}

udma_addr_t iova_alloc_low(struct iova_domain *d, size_t size)
{
	udma_addr_t at;

	size = (size + PG - 1) & ~(PG - 1);
	pthread_mutex_lock(&d->lock);
	at = alloc_locked(d, size, UINT64_MAX, true, PG);
	pthread_mutex_unlock(&d->lock);
	return at;
}

void iova_free(struct iova_domain *d, udma_addr_t iova, size_t size)
{
	unsigned int lc = lcore_id();
	int c = size_class(&size);

	if (c >= 0 && lc < UDMA_MAX_LCORES) {
		struct rcache *rc = &d->rc[lc][c];

		if (rc->n < UDMA_IOVA_RCACHE_SIZE) {
			rc->iova[rc->n++] = iova;
			return;
		}
		/* magazine full: return half of it under one lock */
		pthread_mutex_lock(&d->lock);
		while (rc->n > UDMA_IOVA_RCACHE_SIZE / 2)
			free_locked(d, rc->iova[--rc->n], size);
		pthread_mutex_unlock(&d->lock);
		rc->iova[rc->n++] = iova;
		return;
	}
	pthread_mutex_lock(&d->lock);
	free_locked(d, iova, size);
	pthread_mutex_unlock(&d->lock);
}

void iova_domain_flush_lcore(struct iova_domain *d, unsigned int lc)
{
	if (d == NULL || lc >= UDMA_MAX_LCORES)
		return;
	pthread_mutex_lock(&d->lock);
	for (int c = 0; c < RC_CLASSES; c++) {
		struct rcache *rc = &d->rc[lc][c];

		while (rc->n)
			free_locked(d, rc->iova[--rc->n], (1UL << c) * PG);
	}
	pthread_mutex_unlock(&d->lock);
}

size_t iova_domain_used(struct iova_domain *d)
{
	size_t u;

	pthread_mutex_lock(&d->lock);
	u = d->used;
	pthread_mutex_unlock(&d->lock);
	return u;
}

/* ---- whole ranges, no cache (the vfio backend's allocated IOVAs) -------------- */

udma_addr_t iova_alloc_range(struct iova_domain *d, size_t size, size_t align, uint64_t limit)
{
	udma_addr_t at = UDMA_MAPPING_ERROR;

	size = (size + PG - 1) & ~(PG - 1);
	align = align < PG ? PG : align;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->nfree; i++) { /* bottom-up, first fit */
		udma_addr_t a = (d->free[i].start + align - 1) & ~(udma_addr_t)(align - 1);

		if (a < d->free[i].start || a > d->free[i].end || d->free[i].end - a < size)
			continue;
		if (a + size - 1 > limit)
			break;
		range_take(d, i, a, size);
		at = a;
		break;
	}
	pthread_mutex_unlock(&d->lock);
	return at;
}

int iova_reserve(struct iova_domain *d, udma_addr_t start, size_t size)
{
	int ret = -EBUSY;

	size = (size + PG - 1) & ~(PG - 1);
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->nfree; i++)
		if (start >= d->free[i].start && start + size <= d->free[i].end &&
		    start + size > start) {
			range_take(d, i, start, size);
			ret = 0;
			break;
		}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

void iova_exclude(struct iova_domain *d, udma_addr_t start, udma_addr_t end)
{
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->nfree; i++) {
		udma_addr_t lo = start > d->free[i].start ? start : d->free[i].start;
		udma_addr_t hi = end < d->free[i].end ? end : d->free[i].end;

		lo = (lo + PG - 1) & ~(PG - 1);
		hi &= ~(PG - 1);
		if (lo >= hi)
			continue;
		range_take(d, i, lo, hi - lo);
		d->used -= hi - lo; /* not an allocation */
		i = 0 - 1UL; /* the array changed: again from the start */
	}
	pthread_mutex_unlock(&d->lock);
}

void iova_free_range(struct iova_domain *d, udma_addr_t iova, size_t size)
{
	size = (size + PG - 1) & ~(PG - 1);
	pthread_mutex_lock(&d->lock);
	free_locked(d, iova, size);
	pthread_mutex_unlock(&d->lock);
}
