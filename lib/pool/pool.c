/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pool alloc/free. The fast path is the lcore's own cache array: a pop or a
 * push, no atomic, no lock. Refill and flush move whole magazines through the
 * lock-free depot; only when the depot is empty are new blocks carved from a
 * slab (a spinlock), and only GFP_KERNEL may grow the memsegs for a new slab.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma_debug.h"
#include "pool_depot.h"
#include "pool_private.h"
#include "pool_slab.h"

static inline bool pool_ok(const struct udma_pool *p, const char *fn)
{
	if (udma_likely(pool_is(p)))
		return true;
	udma_log(UDMA_LOG_ERR, "%s(): invalid pool %p", fn, (const void *)p);
	return false;
}

/* ---- debug: poison and exact in-use bits ------------------------------- */

/* one report: through dma-debug when it is on (counted, rate-limited), else a log line */
static void __attribute__((format(printf, 2, 3))) pool_misuse(const struct udma_pool *p,
							       const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g_dma_debug)
		dbg_report(udma_device_name(p->dev), "udma_pool_free", NULL, "pool %s: %s", p->name, msg);
	else
		udma_log(UDMA_LOG_ERR, "udma_pool_free(): pool %s: %s", p->name, msg);
}

static __attribute__((noinline, cold)) bool debug_on_free(struct udma_pool *p, void *b)
{
	struct slab *s = slab_of(p, b);
	int64_t idx = slab_block_index(p, (uintptr_t)b - (uintptr_t)s);
	uint64_t bit, old;

	if (idx < 0) {
		pool_misuse(p, "%p is inside a slab but not a block start: ignored", b);
		return false;
	}
	bit = 1ULL << (idx % 64);
	old = atomic_fetch_and(&s->inuse[idx / 64], ~bit);
	if (!(old & bit)) {
		pool_misuse(p, "double free of %p (iova %#llx): ignored", b,
			    (unsigned long long)block_iova(p, b));
		return false;
	}
	memset(b, POOL_POISON, p->size);
	return true;
}

/* outlined: a debug path (and GCC 12 -O3 crashes inlining it into alloc_slow) */
static __attribute__((noinline, cold)) void debug_on_alloc(struct udma_pool *p, void *b)
{
	struct slab *s = slab_of(p, b);
	int64_t idx = slab_block_index(p, (uintptr_t)b - (uintptr_t)s);
	const uint8_t *c = b;

	atomic_fetch_or(&s->inuse[idx / 64], 1ULL << (idx % 64));
	for (size_t i = sizeof(struct chain_link); i < p->size; i++)
		if (c[i] != POOL_POISON && c[i] != 0) {
			UDMA_LOG(ERR, "pool %s: block %p was written after it was freed (byte %zu)",
				 p->name, b, i);
			break;
		}
}

/* ---- carving ------------------------------------------------------------ */

/* first slab: settle the slab size, halving when aligned memory that large is scarce */
static struct slab *first_slab(struct udma_pool *p)
{
	for (size_t sz = p->slab_size; sz >= UDMA_PAGE_SIZE; sz >>= 1) {
		struct slab *s;

		slab_layout(p, sz);
		if (p->first_off + p->size > sz)
			break;
		__atomic_store_n(&p->slab_mask, ~(uintptr_t)(sz - 1), __ATOMIC_RELEASE);
		s = slab_new(p);
		if (s)
			return s;
		__atomic_store_n(&p->slab_mask, 0, __ATOMIC_RELEASE);
	}
	slab_layout(p, slab_size_for(p));
	return NULL;
}

static bool carve_slab(struct udma_pool *p, udma_gfp_t gfp)
{
	struct slab *s = p->nslabs ? slab_new(p) : first_slab(p);

	if (s == NULL && dma_gfp_may_grow(gfp)) {
		/* grow outside the spinlock: mmap and page faults take a while */
		eal_spin_unlock(&p->carve_lock);
		memseg_grow(p->node, 2 * p->slab_size);
		eal_spin_lock(&p->carve_lock);
		s = p->nslabs ? slab_new(p) : first_slab(p);
	}
	if (s == NULL)
		return false;
	p->cur = s;
	p->cur_off = p->first_off;
	return true;
}

static unsigned int carve(struct udma_pool *p, void **objs, unsigned int n, udma_gfp_t gfp)
{
	unsigned int got = 0;

	eal_spin_lock(&p->carve_lock);
	while (got < n && (p->max_blocks == 0 || p->capacity < p->max_blocks)) {
		if ((p->cur == NULL || p->cur_off + p->size > p->slab_size) && !carve_slab(p, gfp))
			break;
		objs[got++] = (uint8_t *)p->cur + p->cur_off;
		if (p->debug)
			memset(objs[got - 1], POOL_POISON, p->size);
		p->cur->nblocks++;
		p->capacity++;
		p->cur_off = slab_next_off(p, p->cur_off);
	}
	eal_spin_unlock(&p->carve_lock);
	return got;
}

/* ---- caches ------------------------------------------------------------- */

struct pool_cache *pool_cache_new(struct udma_pool *p)
{
	unsigned int cap = p->cache_size + p->chain;
	struct pool_cache *c = aligned_alloc(UDMA_CACHE_LINE_SIZE,
		(sizeof(*c) + cap * sizeof(void *) + UDMA_CACHE_LINE_SIZE - 1) &
		~(size_t)(UDMA_CACHE_LINE_SIZE - 1));

	if (c) {
		memset(c, 0, sizeof(*c));
		c->cap = cap;
	}
	return c;
}

/* make c->len >= want (want <= cache_size); returns false when memory is out */
static bool cache_refill(struct udma_pool *p, struct pool_cache *c, unsigned int want,
			 udma_gfp_t gfp)
{
	while (c->len < want) {
		unsigned int room = c->cap - c->len;
		unsigned int n = depot_get(&p->depot, &c->objs[c->len], room);

		if (n == 0)
			n = carve(p, &c->objs[c->len], room < p->chain ? room : p->chain, gfp);
		if (n == 0)
			return false;
		c->len += n;
		c->refills++;
	}
	return true;
}

void pool_cache_flush(struct udma_pool *p, struct pool_cache *c, unsigned int keep)
{
	while (c->len > keep) {
		unsigned int n = c->len - keep < p->chain ? c->len - keep : p->chain;

		depot_put(&p->depot, &c->objs[c->len - n], n);
		c->len -= n;
		c->flushes++;
	}
}

/* the cache this thread uses: its lcore's (made at create), else the shared one */
static struct pool_cache *cache_of(struct udma_pool *p, udma_gfp_t gfp, bool *shared)
{
	unsigned int lc = lcore_id();

	(void)gfp;
	*shared = false;
	if (lc < UDMA_MAX_LCORES && p->cache[lc])
		return p->cache[lc];
	*shared = true;
	eal_spin_lock(&p->shared_lock);
	return p->shared;
}

static void cache_done(struct udma_pool *p, bool shared)
{
	if (shared)
		eal_spin_unlock(&p->shared_lock);
}

/* ---- alloc -------------------------------------------------------------- */

static __attribute__((noinline)) void *alloc_slow(struct udma_pool *p, udma_gfp_t gfp,
						  udma_addr_t *handle)
{
	bool shared;
	struct pool_cache *c = cache_of(p, gfp, &shared);
	void *b = NULL;

	if (c->len > 0 || cache_refill(p, c, 1, gfp)) {
		b = c->objs[--c->len];
		c->allocs++;
	}
	cache_done(p, shared);
	if (b == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (p->debug)
		debug_on_alloc(p, b);
	*handle = block_iova(p, b);
	return b;
}

void *udma_pool_alloc(struct udma_pool *p, udma_gfp_t gfp, udma_addr_t *handle)
{
	void *b = udma_pvt_pool_alloc_fast(p, gfp, handle);

	return udma_likely(b != NULL) ? b : udma_pool_alloc_slow(p, gfp, handle);
}

void *udma_pool_alloc_slow(struct udma_pool *p, udma_gfp_t gfp, udma_addr_t *handle)
{
	unsigned int lc;
	struct pool_cache *c;

	if (udma_unlikely(!pool_ok(p, "udma_pool_alloc") || handle == NULL || !dma_gfp_ok(gfp))) {
		if (pool_is(p))
			UDMA_LOG(ERR, "pool %s: bad argument (handle %p, gfp %#x)", p->name,
				 (void *)handle, gfp);
		errno = EINVAL;
		return NULL;
	}
	lc = lcore_id();
	c = lc < UDMA_MAX_LCORES ? p->cache[lc] : NULL;
	if (udma_likely(c != NULL && c->len > 0 && !p->debug)) {
		void *b = c->objs[--c->len];

		c->allocs++;
		*handle = block_iova(p, b);
		return b;
	}
	return alloc_slow(p, gfp, handle);
}

void *udma_pool_zalloc(struct udma_pool *p, udma_gfp_t gfp, udma_addr_t *handle)
{
	void *b = udma_pool_alloc(p, gfp, handle);

	if (b)
		memset(b, 0, p->size);
	return b;
}

/* ---- free --------------------------------------------------------------- */

/* always on: the pointer is in a slab of this pool and the handle matches */
static inline bool block_ok(const struct udma_pool *p, const void *b, udma_addr_t addr,
			    bool check_addr, const char *fn)
{
	const struct slab *s;
	uintptr_t off;

	if (udma_unlikely(!in_pool_slab(p, b)))
		goto foreign;
	s = slab_of(p, b);
	off = (uintptr_t)b - (uintptr_t)s;
	if (udma_unlikely(!block_start_ok(p, off)))
		goto misplaced;
	if (udma_unlikely(check_addr && s->iova + off != addr)) {
		pool_misuse(p, "%s: handle %#llx does not match %p (iova %#llx): ignored", fn,
			    (unsigned long long)addr, b, (unsigned long long)(s->iova + off));
		return false;
	}
	return true;
foreign:
	pool_misuse(p, "%s: %p was not allocated from this pool: ignored", fn, b);
	return false;
misplaced:
	pool_misuse(p, "%s: %p is inside a slab but not a block start: ignored", fn, b);
	return false;
}

static __attribute__((noinline)) void free_slow(struct udma_pool *p, void *b)
{
	bool shared;
	struct pool_cache *c = cache_of(p, UDMA_GFP_ATOMIC, &shared);

	if (c->len == c->cap)
		pool_cache_flush(p, c, p->cache_size);
	c->objs[c->len++] = b;
	c->frees++;
	cache_done(p, shared);
}

void udma_pool_free(struct udma_pool *p, void *b, udma_addr_t addr)
{
	if (udma_unlikely(!udma_pvt_pool_free_fast(p, b, addr)))
		udma_pool_free_slow(p, b, addr);
}

void udma_pool_free_slow(struct udma_pool *p, void *b, udma_addr_t addr)
{
	unsigned int lc;
	struct pool_cache *c;

	if (udma_unlikely(!pool_ok(p, "udma_pool_free") || !block_ok(p, b, addr, true, "udma_pool_free")))
		return;
	if (udma_unlikely(p->debug) && !debug_on_free(p, b))
		return;
	lc = lcore_id();
	c = lc < UDMA_MAX_LCORES ? p->cache[lc] : NULL;
	if (udma_likely(c != NULL && c->len < c->cap)) {
		c->objs[c->len++] = b;
		c->frees++;
		return;
	}
	free_slow(p, b);
}

/* ---- bulk --------------------------------------------------------------- */

/* more than a cache holds: straight from the depot and the slabs into @v */
static int alloc_bulk_big(struct udma_pool *p, udma_gfp_t gfp, void **v, unsigned int n)
{
	unsigned int got = 0;

	while (got < n) {
		unsigned int k = depot_get(&p->depot, &v[got], n - got);

		if (k == 0)
			k = carve(p, &v[got], n - got, gfp);
		if (k == 0)
			break;
		got += k;
	}
	if (got == n)
		return 0;
	for (unsigned int i = 0; i < got; i += p->chain)
		depot_put(&p->depot, &v[i], got - i < p->chain ? got - i : p->chain);
	return -ENOMEM;
}

static int alloc_bulk_cached(struct udma_pool *p, udma_gfp_t gfp, void **v, unsigned int n)
{
	bool shared;
	struct pool_cache *c = cache_of(p, gfp, &shared);
	int ret = 0;

	if (c->len >= n || cache_refill(p, c, n, gfp)) {
		c->len -= n;
		memcpy(v, &c->objs[c->len], n * sizeof(*v));
		c->allocs += n;
	} else {
		ret = -ENOMEM;
	}
	cache_done(p, shared);
	return ret;
}

int udma_pool_alloc_bulk(struct udma_pool *p, udma_gfp_t gfp, void **v, udma_addr_t *handles,
			 unsigned int n)
{
	int ret;

	if (udma_unlikely(!pool_ok(p, __func__) || v == NULL || n == 0 || !dma_gfp_ok(gfp))) {
		if (pool_is(p))
			UDMA_LOG(ERR, "pool %s: bad argument (vaddrs %p, n %u, gfp %#x)", p->name,
				 (void *)v, n, gfp);
		return -EINVAL;
	}
	ret = n <= p->cache_size ? alloc_bulk_cached(p, gfp, v, n) : alloc_bulk_big(p, gfp, v, n);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < n; i++) {
		if (udma_unlikely(p->debug))
			debug_on_alloc(p, v[i]);
		if (handles)
			handles[i] = block_iova(p, v[i]);
	}
	return 0;
}

void udma_pool_free_bulk(struct udma_pool *p, void *const *v, const udma_addr_t *handles,
			 unsigned int n)
{
	bool shared;
	struct pool_cache *c;

	if (udma_unlikely(!pool_ok(p, __func__) || (v == NULL && n > 0))) {
		if (pool_is(p))
			UDMA_LOG(ERR, "pool %s: NULL vaddrs", p->name);
		return;
	}
	c = cache_of(p, UDMA_GFP_ATOMIC, &shared);
	for (unsigned int i = 0; i < n; i++) {
		if (udma_unlikely(!block_ok(p, v[i], handles ? handles[i] : 0, handles != NULL,
					    __func__)))
			continue;
		if (udma_unlikely(p->debug) && !debug_on_free(p, v[i]))
			continue;
		if (udma_unlikely(c->len == c->cap))
			pool_cache_flush(p, c, p->cache_size);
		c->objs[c->len++] = v[i];
	}
	c->frees += n;
	cache_done(p, shared);
}
