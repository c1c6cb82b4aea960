/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The page heap behind coherent memory: 4 KiB pages of the memseg lists, free
 * extents that never span an IOVA discontinuity, per-page metadata (no header in
 * the memory itself), and per-lcore caches of single pages so a 4 KiB
 * alloc/free pair takes no lock.
 */
#include <string.h>

#include "eal_private.h"

#define PG 4096UL

struct page_cache {
	unsigned int n;
	void *pages[UDMA_HEAP_LCORE_CACHE];
} __udma_cache_aligned;

/* The page heap's state (the pages' metadata lives with the memseg lists). */
static struct heap_state {
	struct page_cache cache[UDMA_MAX_LCORES][UDMA_MAX_NUMA_NODES]; /* lines of their own */
	uint32_t free_head[UDMA_MAX_MEMSEG_LISTS]; /* each list's first free extent */
	atomic_flag lock;                          /* the free lists */
	atomic_size_t free_pages;
} g_heap = {.lock = ATOMIC_FLAG_INIT};

static inline void heap_lock(void)
{
	eal_spin_lock(&g_heap.lock);
}

static inline void heap_unlock(void)
{
	eal_spin_unlock(&g_heap.lock);
}

static inline unsigned int list_idx(const struct memseg_list *l)
{
	return (unsigned int)(l - g_mem.lists);
}

static inline uintptr_t page_va(const struct memseg_list *l, uint32_t p)
{
	return l->va_base + (uintptr_t)p * PG;
}

static inline udma_addr_t page_iova(const struct memseg_list *l, uint32_t p)
{
	return memseg_virt2iova((const void *)page_va(l, p));
}

static inline uint8_t st(const struct page_meta *m)
{
	return atomic_load_explicit(&m->state, memory_order_relaxed);
}

static inline void set_st(struct page_meta *m, uint8_t s)
{
	atomic_store_explicit(&m->state, s, memory_order_relaxed);
}

/* ---- free extents (heap lock held) ------------------------------------ */

static void ext_unlink(struct memseg_list *l, uint32_t h)
{
	struct page_meta *m = &l->meta[h];

	if (m->prev != HEAP_NIL)
		l->meta[m->prev].owner = m->owner;
	else
		g_heap.free_head[list_idx(l)] = m->owner;
	if (m->owner != HEAP_NIL)
		l->meta[m->owner].prev = m->prev;
	set_st(m, PM_INNER);
	if (m->npages > 1)
		set_st(&l->meta[h + m->npages - 1], PM_INNER);
	atomic_fetch_sub(&g_heap.free_pages, m->npages);
}

static void ext_link(struct memseg_list *l, uint32_t h, uint32_t n)
{
	struct page_meta *m = &l->meta[h];
	uint32_t head = g_heap.free_head[list_idx(l)];

	m->npages = n;
	m->prev = HEAP_NIL;
	m->owner = head;
	if (head != HEAP_NIL)
		l->meta[head].prev = h;
	g_heap.free_head[list_idx(l)] = h;
	if (n > 1) {
		l->meta[h + n - 1].npages = n;
		set_st(&l->meta[h + n - 1], PM_FREE_TAIL);
	}
	set_st(m, PM_FREE);
	atomic_fetch_add(&g_heap.free_pages, n);
}

/* give [p, p+n) back, merging with IOVA-contiguous free neighbours */
static void ext_free(struct memseg_list *l, uint32_t p, uint32_t n)
{
	uint32_t end_page = (uint32_t)(atomic_load(&l->used) / PG);
	uint32_t r = p + n;

	if (r < end_page && st(&l->meta[r]) == PM_FREE &&
	    page_iova(l, r - 1) + PG == page_iova(l, r)) {
		n += l->meta[r].npages;
		ext_unlink(l, r);
	}
	if (p > 0) {
		struct page_meta *lm = &l->meta[p - 1];
		uint8_t s = st(lm);

		if ((s == PM_FREE_TAIL || (s == PM_FREE && lm->npages == 1)) &&
		    page_iova(l, p - 1) + PG == page_iova(l, p)) {
			uint32_t h = p - lm->npages;

			n += lm->npages;
			ext_unlink(l, h);
			p = h;
		}
	}
	ext_link(l, p, n);
}

void heap_add(struct memseg_list *l, uintptr_t va, size_t len)
{
	uint32_t p = (uint32_t)((va - l->va_base) / PG), n = (uint32_t)(len / PG), start = p;

	heap_lock();
	for (uint32_t i = p + 1; i <= p + n; i++) {
		if (i == p + n || page_iova(l, i - 1) + PG != page_iova(l, i)) {
			ext_free(l, start, i - start);
			start = i;
		}
	}
	heap_unlock();
}

/* first page k in extent [h, h+n) where VA and IOVA are both aligned, or -1 */
static int64_t ext_fit(const struct memseg_list *l, uint32_t h, uint32_t n, size_t npages,
		       size_t align, uint64_t mask)
{
	uintptr_t va = page_va(l, h);
	udma_addr_t iova = page_iova(l, h);
	size_t a = align * PG, k;

	if (((va - iova) & (a - 1)) != 0)
		return -1; /* VA and IOVA never align together in this extent */
	k = ((a - (va & (a - 1))) & (a - 1)) / PG;
	if (k + npages > n || iova + (k + npages) * PG - 1 > mask)
		return -1;
	return (int64_t)k;
}

static void *take(struct memseg_list *l, uint32_t h, uint32_t k, uint32_t npages)
{
	uint32_t n = l->meta[h].npages, a = h + k;

	ext_unlink(l, h);
	if (k)
		ext_link(l, h, k);
	if (k + npages < n)
		ext_link(l, a + npages, n - k - npages);
	l->meta[a].npages = npages;
	return (void *)page_va(l, a);
}

static void *alloc_locked(size_t npages, size_t align, uint64_t mask, int node)
{
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < g_mem.nr_lists; i++) {
			struct memseg_list *l = &g_mem.lists[i];

			if (!l->in_use || (pass == 0) != (l->node == node))
				continue;
			for (uint32_t h = g_heap.free_head[i]; h != HEAP_NIL;
			     h = l->meta[h].owner) {
				int64_t k = ext_fit(l, h, l->meta[h].npages, npages, align, mask);

				if (k >= 0)
					return take(l, h, (uint32_t)k, (uint32_t)npages);
			}
		}
	}
	return NULL;
}

/* ---- allocation tags ---------------------------------------------------- */

static void mark_alloc(void *va, size_t npages, uint32_t owner)
{
	struct memseg_list *l = memseg_list_of(va);
	struct page_meta *m = &l->meta[((uintptr_t)va - l->va_base) / PG];

	m->npages = (uint32_t)npages;
	m->owner = owner;
	atomic_store_explicit(&m->state, PM_ALLOC, memory_order_release);
}

/* ---- per-lcore page caches ------------------------------------------- */

static void cache_refill(struct page_cache *c, int node, uint64_t mask)
{
	heap_lock();
	while (c->n < UDMA_HEAP_LCORE_CACHE / 2) {
		void *va = NULL;

		for (unsigned int i = 0; va == NULL && i < g_mem.nr_lists; i++) {
			struct memseg_list *l = &g_mem.lists[i];

			for (uint32_t h = g_heap.free_head[i]; l->in_use && l->node == node &&
			     h != HEAP_NIL; h = l->meta[h].owner) {
				if (ext_fit(l, h, l->meta[h].npages, 1, 1, mask) == 0) {
					va = take(l, h, 0, 1);
					break;
				}
			}
		}
		if (va == NULL)
			break;
		set_st(&memseg_list_of(va)->meta[((uintptr_t)va -
						   memseg_list_of(va)->va_base) / PG], PM_CACHED);
		c->pages[c->n++] = va;
	}
	heap_unlock();
}

static void cache_drain(struct page_cache *c, unsigned int keep)
{
	heap_lock();
	while (c->n > keep) {
		void *va = c->pages[--c->n];
		struct memseg_list *l = memseg_list_of(va);

		ext_free(l, (uint32_t)(((uintptr_t)va - l->va_base) / PG), 1);
	}
	heap_unlock();
}

static void cache_flush_lcore(unsigned int lcore)
{
	if (lcore >= UDMA_MAX_LCORES)
		return;
	for (int n = 0; n < UDMA_MAX_NUMA_NODES; n++)
		if (g_heap.cache[lcore][n].n)
			cache_drain(&g_heap.cache[lcore][n], 0);
}

static void *cache_alloc(int node, uint64_t mask, udma_addr_t *iova)
{
	unsigned int lc = lcore_id();
	struct page_cache *c;
	void *va;

	if (lc >= UDMA_MAX_LCORES || node < 0 || node >= UDMA_MAX_NUMA_NODES)
		return NULL;
	c = &g_heap.cache[lc][node];
	if (udma_unlikely(c->n == 0))
		cache_refill(c, node, mask);
	if (c->n == 0)
		return NULL;
	va = c->pages[c->n - 1];
	*iova = memseg_virt2iova(va);
	if (udma_unlikely(*iova + PG - 1 > mask))
		return NULL; /* cached page out of this device's reach: slow path */
	c->n--;
	return va;
}

static bool cache_free(struct memseg_list *l, void *va)
{
	unsigned int lc = lcore_id();
	struct page_cache *c;

	if (lc >= UDMA_MAX_LCORES || l->node < 0 || l->node >= UDMA_MAX_NUMA_NODES)
		return false;
	c = &g_heap.cache[lc][l->node];
	if (udma_unlikely(c->n == UDMA_HEAP_LCORE_CACHE))
		cache_drain(c, UDMA_HEAP_LCORE_CACHE / 2);
	c->pages[c->n++] = va;
	return true;
}

/* ---- API ---------------------------------------------------------------- */

void *heap_alloc(size_t npages, size_t align_pages, uint64_t mask, int node, uint32_t owner,
		 udma_addr_t *iova)
{
	void *va = NULL;

	if (npages == 0 || npages > UINT32_MAX || align_pages == 0 ||
	    (align_pages & (align_pages - 1)))
		return NULL;
	if (npages == 1 && align_pages == 1)
		va = cache_alloc(node, mask, iova);
	if (va == NULL) {
		heap_lock();
		va = alloc_locked(npages, align_pages, mask, node);
		heap_unlock();
		if (va == NULL)
			return NULL;
		*iova = memseg_virt2iova(va);
	}
	mark_alloc(va, npages, owner);
	return va;
}

int heap_free(void *va, size_t npages, uint32_t owner)
{
	struct memseg_list *l = memseg_list_of(va);
	struct page_meta *m;
	uint8_t expect = PM_ALLOC;
	uint32_t p;

	if (l == NULL || !l->in_use || ((uintptr_t)va & (PG - 1)) ||
	    memseg_virt2iova(va) == UDMA_MAPPING_ERROR)
		return -EINVAL;
	p = (uint32_t)(((uintptr_t)va - l->va_base) / PG);
	m = &l->meta[p];
	if (st(m) != PM_ALLOC || m->npages != npages || m->owner != owner)
		return -EINVAL;
	if (!atomic_compare_exchange_strong(&m->state, &expect,
					    npages == 1 ? PM_CACHED : PM_INNER))
		return -EINVAL; /* lost a race with another free of the same block */
	if (npages == 1 && cache_free(l, va))
		return 0;
	heap_lock();
	ext_free(l, p, (uint32_t)npages);
	heap_unlock();
	return 0;
}

/* the allocation of @owner starting at page index @p of @l, if any */
void heap_for_each_alloc(uint32_t owner, void (*fn)(void *va, size_t npages, void *arg), void *arg)
{
	for (unsigned int i = 0; i < g_mem.nr_lists; i++) {
		struct memseg_list *l = &g_mem.lists[i];
		uint32_t end = (uint32_t)(atomic_load(&l->used) / PG);

		for (uint32_t p = 0; l->in_use && p < end; p++) {
			struct page_meta *m = &l->meta[p];

			if (st(m) == PM_ALLOC && m->owner == owner) {
				fn((void *)page_va(l, p), m->npages, arg);
				p += m->npages - 1;
			}
		}
	}
}

unsigned long udma_pvt_heap_live(void)
{
	unsigned long n = 0;

	if (!udma_eal_initialized())
		return 0;
	for (unsigned int i = 0; i < g_mem.nr_lists; i++) {
		struct memseg_list *l = &g_mem.lists[i];
		uint32_t end = (uint32_t)(atomic_load(&l->used) / PG);

		for (uint32_t p = 0; l->in_use && p < end; p++) {
			struct page_meta *m = &l->meta[p];

			if (st(m) == PM_ALLOC && m->owner != 0) /* 0: udma's own, orphans */
				n++;
			if (st(m) == PM_ALLOC || st(m) == PM_FREE)
				p += m->npages - 1;
		}
	}
	return n;
}

static void disown_one(void *va, size_t npages, void *arg)
{
	struct memseg_list *l = memseg_list_of(va);

	(void)npages;
	(void)arg;
	l->meta[((uintptr_t)va - l->va_base) / PG].owner = 0;
}

void heap_set_owner(void *va, uint32_t owner)
{
	struct memseg_list *l = memseg_list_of(va);
	struct page_meta *m;

	if (l == NULL || !l->in_use)
		return;
	m = &l->meta[((uintptr_t)va - l->va_base) / PG];
	if (st(m) == PM_ALLOC)
		m->owner = owner;
}

void heap_disown(uint32_t owner)
{
	heap_for_each_alloc(owner, disown_one, NULL);
}

size_t heap_free_pages(void)
{
	return atomic_load(&g_heap.free_pages);
}

static void heap_reset(void)
{
	for (unsigned int i = 0; i < UDMA_MAX_MEMSEG_LISTS; i++)
		g_heap.free_head[i] = HEAP_NIL;
	memset(g_heap.cache, 0, sizeof(g_heap.cache));
	atomic_store(&g_heap.free_pages, 0);
}

int heap_init(void)
{
	heap_reset();
	return lcore_flush_register(cache_flush_lcore);
}

void heap_fini(void)
{
	heap_reset();
}
