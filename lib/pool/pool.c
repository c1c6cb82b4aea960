/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pool alloc/free. The fast path is the lcore's own cache array: a pop or a
 * push (a copy of pointers for bulk calls), no atomic, no lock. Refill and flush
 * move whole array magazines of block pointers through the lock-free depot (a
 * pool whose free blocks outgrow the depot's magazine cap spills the rest onto a
 * stack of blocks chained through themselves); only when the depot is empty are
 * new blocks carved from a slab (a spinlock), and only GFP_KERNEL may grow the
 * memsegs for a new slab.
 *
 * Every block has an in-use byte in its slab's header, set when it is handed out
 * and cleared when it comes back: the one check (udma_pvt_pool_free_check()) turns
 * a double free away before the block reaches a cache. The inline paths in
 * udma_pool.h make that check once and pass the verdict to the slow functions here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma_debug.h"
#include "pool_depot.h"
#include "pool_private.h"
#include "pool_slab.h"

/* one report: through dma-debug when it is on (counted, rate-limited), else a log line */
static void __attribute__((format(printf, 3, 4))) pool_misuse(const struct udma_pool *p,
							       const char *fn, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g_dma_debug.on)
		dbg_report(udma_device_name(p->dev), fn, NULL, "pool %s: %s", p->name, msg);
	else
		udma_log(UDMA_LOG_ERR, "%s(): pool %s: %s", fn, p->name, msg);
}

/* the one line for a block the check turned away */
static __attribute__((noinline, cold)) void report_bad_block(const struct udma_pool *p,
							     const void *b, udma_addr_t addr,
							     enum udma_pvt_pool_verdict v,
							     const char *fn)
{
	/* the inline check leaves a start in the header or past the last whole block
	 * to its in-use byte, never set (udma_pvt_block_check()): name it here */
	if ((v == UDMA_PVT_POOL_NOT_IN_USE || v == UDMA_PVT_POOL_BAD_HANDLE) &&
	    !udma_pvt_block_start_ok(pool_pvt(p), (uintptr_t)b - (uintptr_t)slab_of(p, b)))
		v = UDMA_PVT_POOL_MISPLACED;
	switch (v) {
	case UDMA_PVT_POOL_BAD_POOL:
		udma_log(UDMA_LOG_ERR, "%s(): invalid pool %p", fn, (const void *)p);
		break;
	case UDMA_PVT_POOL_FOREIGN:
		pool_misuse(p, fn, "%p was not allocated from this pool: ignored", b);
		break;
	case UDMA_PVT_POOL_MISPLACED:
		pool_misuse(p, fn, "%p is inside a slab but not a block start: ignored", b);
		break;
	case UDMA_PVT_POOL_BAD_HANDLE:
		pool_misuse(p, fn, "handle %#llx does not match %p (iova %#llx): ignored",
			    (unsigned long long)addr, b,
			    (unsigned long long)udma_pvt_block_iova(pool_pvt(p), b));
		break;
	case UDMA_PVT_POOL_NOT_IN_USE:
		pool_misuse(p, fn, "double free of %p (iova %#llx): the block is free: ignored", b,
			    (unsigned long long)udma_pvt_block_iova(pool_pvt(p), b));
		break;
	default:
		udma_log(UDMA_LOG_ERR, "%s(): pool %s: bad argument", fn, p->name);
		break;
	}
}

/* ---- debug: a pair of checks, as dmapool's pool_check_block/pool_block_err ---- */

/* free of a block the check found in use: swap the mark atomically (exact even when
 * two threads race to free it), then poison. false: someone else freed it first. */
static __attribute__((noinline, cold)) bool debug_block_free(struct udma_pool *p, void *b,
							     const char *fn)
{
	if (__atomic_exchange_n(udma_pvt_block_mark(pool_pvt(p), b), 0, __ATOMIC_ACQ_REL) == 0) {
		report_bad_block(p, b, 0, UDMA_PVT_POOL_NOT_IN_USE, fn);
		return false;
	}
	memset(b, POOL_POISON, p->size);
	return true;
}

/* alloc of a block from a cache: mark it, and check the poison a free left in it.
 * Outlined: a debug path (and GCC 12 -O3 crashes inlining it into the alloc path). */
static __attribute__((noinline, cold)) void debug_block_alloc(struct udma_pool *p, void *b)
{
	const uint8_t *c = b;

	if (__atomic_exchange_n(udma_pvt_block_mark(pool_pvt(p), b), 1, __ATOMIC_ACQ_REL) != 0)
		UDMA_LOG(ERR, "pool %s: block %p was in a cache while in use", p->name, b);
	for (size_t i = sizeof(struct chain_link); i < p->size; i++)
		if (c[i] != POOL_POISON && c[i] != 0) {
			UDMA_LOG(ERR, "pool %s: block %p was written after it was freed (byte %zu)",
				 p->name, b, i);
			break;
		}
}

/* a block leaves the library: in use from now on */
static inline void block_hand_out(struct udma_pool *p, void *b)
{
	if (udma_unlikely(p->debug))
		debug_block_alloc(p, b);
	else
		__atomic_store_n(udma_pvt_block_mark(pool_pvt(p), b), 1, __ATOMIC_RELAXED);
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
	depot_capacity(&p->depot, p->capacity);
	eal_spin_unlock(&p->carve_lock);
	return got;
}

/* carve @n blocks straight into the depot (create's initial_blocks); 0 or -ENOMEM */
int pool_prefill(struct udma_pool *p, unsigned int n)
{
	void *v[64];

	while (n > 0) {
		unsigned int want = n < p->chain ? n : p->chain, got;

		if (want > 64)
			want = 64;
		got = carve(p, v, want, UDMA_GFP_KERNEL);
		if (got == 0)
			return -ENOMEM;
		depot_put(&p->depot, v, got);
		n -= got;
	}
	return 0;
}

/* ---- caches ------------------------------------------------------------- */

/* bytes a cache takes: its array rounded to lines, a line of guard each side
 * (the adjacent-line prefetcher pairs lines) and up to CACHE_STAGGER lines of stagger */
#define CACHE_STAGGER 15
size_t pool_cache_bytes(const struct udma_pool *p)
{
	size_t arr = sizeof(struct udma_pool_cache_pvt) + (p->cache_size + p->chain) * sizeof(void *);

	return ((arr + UDMA_CACHE_LINE_SIZE - 1) & ~(size_t)(UDMA_CACHE_LINE_SIZE - 1)) +
	       (2 + CACHE_STAGGER) * UDMA_CACHE_LINE_SIZE;
}

/*
 * A cache on its own lines: nothing else shares them (one guard line on each side)
 * and successive caches start a different number of lines into their allocation,
 * so the caches of the lcores and pools do not all map to the same cache sets.
 */
struct udma_pool_cache_pvt *pool_cache_new(struct udma_pool *p)
{
	static _Atomic(unsigned int) stagger;
	unsigned int k = atomic_fetch_add_explicit(&stagger, 7, memory_order_relaxed) %
			 (CACHE_STAGGER + 1);
	uint8_t *mem = aligned_alloc(UDMA_CACHE_LINE_SIZE, pool_cache_bytes(p));
	struct udma_pool_cache_pvt *c;

	if (mem == NULL)
		return NULL;
	c = (struct udma_pool_cache_pvt *)(void *)(mem + (1 + k) * UDMA_CACHE_LINE_SIZE);
	memset(c, 0, sizeof(*c));
	c->cap = p->cache_size + p->chain;
	((void **)(void *)c)[-1] = mem; /* in the guard line before it (pool_cache_free()) */
	c->slab = 1; /* never a slab */
	return c;
}

void pool_cache_free(struct udma_pool_cache_pvt *c)
{
	if (c)
		free(((void **)(void *)c)[-1]);
}

/*
 * A refill fills the cache to half its size (or the call's need) and a flush
 * empties it to half: the next bursts of 32 in either direction find their
 * blocks or their room inline (at the full size, a flush left room for two).
 */
static inline unsigned int refill_want(const struct udma_pool *p, unsigned int n)
{
	return n > p->cache_size / 2 ? n : p->cache_size / 2;
}

static inline unsigned int flush_keep(const struct udma_pool *p)
{
	return p->cache_size / 2;
}

/* make c->len >= need (need <= cache_size), up to refill_want() from the depot;
 * returns false when memory is out */
static bool cache_refill(struct udma_pool *p, struct udma_pool_cache_pvt *c, unsigned int need,
			 udma_gfp_t gfp)
{
	unsigned int want = refill_want(p, need);

	while (c->len < want) {
		unsigned int room = c->cap - c->len;
		unsigned int n = depot_get(&p->depot, &c->objs[c->len], room);

		if (n == 0 && c->len >= need)
			break; /* the depot is empty: carve only what the call needs */
		if (n == 0)
			n = carve(p, &c->objs[c->len], room < p->chain ? room : p->chain, gfp);
		if (n == 0)
			return false;
		c->len += n;
		c->moved -= n;
		c->refills++;
	}
	return true;
}

void pool_cache_flush(struct udma_pool *p, struct udma_pool_cache_pvt *c, unsigned int keep)
{
	while (c->len > keep) {
		unsigned int n = c->len - keep < p->chain ? c->len - keep : p->chain;

		depot_put(&p->depot, &c->objs[c->len - n], n);
		c->len -= n;
		c->moved += n;
		c->flushes++;
	}
}

/* the cache this thread uses: its lcore's (made at create), else the shared one, locked */
static struct udma_pool_cache_pvt *cache_get(struct udma_pool *p, bool *shared)
{
	unsigned int lc = lcore_id();

	*shared = false;
	if (lc < UDMA_MAX_LCORES && p->lcache[lc])
		return p->lcache[lc];
	*shared = true;
	eal_spin_lock(&p->shared_lock);
	return p->shared;
}

static void cache_put(struct udma_pool *p, bool shared)
{
	if (shared)
		eal_spin_unlock(&p->shared_lock);
}

/* ---- alloc -------------------------------------------------------------- */

void *udma_pool_alloc(struct udma_pool *p, udma_gfp_t gfp, udma_addr_t *handle)
{
	return udma_pool_alloc_inline(p, gfp, handle);
}

void *udma_pool_alloc_slow(struct udma_pool *p, udma_gfp_t gfp, udma_addr_t *handle)
{
	struct udma_pvt_pool_got g = udma_pvt_pool_alloc_slow(p, gfp, handle != NULL,
							      udma_pvt_pool_alloc_check(p, gfp, handle));

	if (handle != NULL)
		*handle = g.handle;
	return g.vaddr;
}

struct udma_pvt_pool_got udma_pvt_pool_alloc_slow(struct udma_pool *p, udma_gfp_t gfp,
						  bool has_handle, enum udma_pvt_pool_verdict v)
{
	struct udma_pvt_pool_got g = {NULL, UDMA_MAPPING_ERROR};
	struct udma_pool_cache_pvt *c;
	bool shared;
	void *b = NULL;

	if (udma_unlikely(v != UDMA_PVT_POOL_OK)) {
		if (v == UDMA_PVT_POOL_BAD_POOL)
			udma_log(UDMA_LOG_ERR, "udma_pool_alloc(): invalid pool %p", (void *)p);
		else
			udma_log(UDMA_LOG_ERR, "udma_pool_alloc(): pool %s: bad argument (handle %s, "
				 "gfp %#x)", p->name, has_handle ? "given" : "NULL", gfp);
		errno = EINVAL;
		return g;
	}
	c = cache_get(p, &shared);
	if (c->len > 0 || cache_refill(p, c, 1, gfp)) {
		b = c->objs[--c->len];
		c->allocs++;
	}
	cache_put(p, shared);
	if (b == NULL) {
		errno = ENOMEM;
		return g;
	}
	block_hand_out(p, b);
	g.vaddr = b;
	g.handle = udma_pvt_block_iova(pool_pvt(p), b);
	return g;
}

void *udma_pool_zalloc(struct udma_pool *p, udma_gfp_t gfp, udma_addr_t *handle)
{
	void *b = udma_pool_alloc_inline(p, gfp, handle);

	if (b)
		memset(b, 0, p->size);
	return b;
}

/* ---- free --------------------------------------------------------------- */

void udma_pool_free(struct udma_pool *p, void *b, udma_addr_t addr)
{
	udma_pool_free_inline(p, b, addr);
}

void udma_pool_free_slow(struct udma_pool *p, void *b, udma_addr_t addr)
{
	udma_pvt_pool_free_slow(p, b, addr, udma_pvt_pool_free_check(p, b, addr));
}

void udma_pvt_pool_free_slow(struct udma_pool *p, void *b, udma_addr_t addr,
			     enum udma_pvt_pool_verdict v)
{
	struct udma_pool_cache_pvt *c;
	bool shared;

	if (udma_unlikely(v != UDMA_PVT_POOL_IN_USE)) {
		report_bad_block(p, b, addr, v, "udma_pool_free");
		return;
	}
	/* checked, still marked (the inline path found no room, no lcore or a debug pool) */
	if (p->debug) {
		if (!debug_block_free(p, b, "udma_pool_free"))
			return;
	} else {
		__atomic_store_n(udma_pvt_block_mark(pool_pvt(p), b), 0, __ATOMIC_RELAXED);
	}
	c = cache_get(p, &shared);
	if (c->len == c->cap)
		pool_cache_flush(p, c, flush_keep(p));
	c->objs[c->len++] = b;
	cache_put(p, shared);
}

/* ---- bulk --------------------------------------------------------------- */

/*
 * bulk_check() block by block: each block as udma_pvt_block_check(), with
 * the slab's bit and IOVA read once per run of blocks from the same slab. Exact: it
 * finds which block is bad and why, and checks pools with several boundary
 * segments a slab.
 */
static enum udma_pvt_pool_verdict bulk_check_each(const struct udma_pool_pvt *p, void *const *v,
						 const udma_addr_t *handles, unsigned int n,
						 unsigned int *done)
{
	/* the pool's fields in registers: the byte stores below may alias them */
	const uintptr_t mask = p->slab_mask;
	const unsigned int shift = p->mark_shift;
	const size_t first = p->first_off, last_start = p->slab_size - p->size;
	const uint64_t magic = p->stride_magic;
	const bool one_seg = p->boundary == p->slab_size;
	uintptr_t last = ~(uintptr_t)0, base = 0; /* never a slab address */
	enum udma_pvt_pool_verdict vd = UDMA_PVT_POOL_OK;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uintptr_t b = (uintptr_t)v[i], s = b & mask, off = b - s;
		uint8_t *mark;

		if (s != last) {
			if (udma_unlikely(!udma_pvt_in_slab(p, v[i]))) {
				vd = UDMA_PVT_POOL_FOREIGN;
				break;
			}
			last = s;
			base = (uintptr_t)*(const udma_addr_t *)(s + UDMA_POOL_PVT_SLAB_IOVA) - s;
		}
		if (udma_likely(one_seg)) {
			if (udma_unlikely(off < first || off > last_start ||
					  (uint64_t)(uint32_t)(off - first) * magic > magic - 1)) {
				vd = UDMA_PVT_POOL_MISPLACED;
				break;
			}
		} else if (udma_unlikely(!udma_pvt_block_start_ok(p, off))) {
			vd = UDMA_PVT_POOL_MISPLACED;
			break;
		}
		if (udma_unlikely(handles && handles[i] != (udma_addr_t)(base + b))) {
			vd = UDMA_PVT_POOL_BAD_HANDLE;
			break;
		}
		mark = (uint8_t *)(s + UDMA_POOL_PVT_SLAB_INUSE + (off >> shift));
		if (udma_unlikely(__atomic_load_n(mark, __ATOMIC_RELAXED) == 0)) {
			vd = UDMA_PVT_POOL_NOT_IN_USE;
			break;
		}
		__atomic_store_n(mark, 0, __ATOMIC_RELAXED);
	}
	*done = i;
	return vd;
}

/*
 * The check of a bulk free of a pool without debug, as the inline path's (the
 * run checks of udma_pool_pvt.h) but for any call; v[0..*done) are also
 * copied to @dst (room for @n; what lies past *done there is garbage). Good blocks
 * are marked free as they are checked, in order (a block twice in @v is caught the
 * second time). Stops at the first bad block: *@done is its index (n when all are
 * good) and the verdict says what is wrong with it.
 *
 * First as the inline path, run by run (udma_pvt_free_runs()); from where that
 * stops on (a bad block, a run that holds another slab's block), and for pools with
 * several boundary segments a slab, bulk_check_each() goes block by block and names
 * the bad one.
 */
static enum udma_pvt_pool_verdict bulk_check(const struct udma_pool_pvt *p, void *const *v,
					     const udma_addr_t *handles, unsigned int n,
					     unsigned int *done, void **dst)
{
	enum udma_pvt_pool_verdict vd;
	unsigned int i = 0, k;

	if (n > 0 && p->boundary == p->slab_size) {
		i = udma_pvt_free_runs(p, v, handles, n, dst);
		if (i == n) {
			*done = n;
			return UDMA_PVT_POOL_OK;
		}
	}
	/* from block i on, one by one: the exact verdict */
	vd = bulk_check_each(p, v + i, handles ? handles + i : NULL, n - i, &k);
	__builtin_memcpy(dst + i, v + i, k * sizeof(*v));
	*done = i + k;
	return vd;
}


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
	struct udma_pool_cache_pvt *c = cache_get(p, &shared);
	int ret = 0;

	if (c->len >= n || cache_refill(p, c, n, gfp)) {
		c->len -= n;
		memcpy(v, &c->objs[c->len], n * sizeof(*v));
		c->allocs += n;
	} else {
		ret = -ENOMEM;
	}
	cache_put(p, shared);
	return ret;
}

int udma_pool_alloc_bulk(struct udma_pool *p, udma_gfp_t gfp, void **v, udma_addr_t *handles,
			 unsigned int n)
{
	return udma_pool_alloc_bulk_inline(p, gfp, v, handles, n);
}

int udma_pvt_pool_alloc_bulk_slow(struct udma_pool *p, udma_gfp_t gfp, void **v,
				  udma_addr_t *handles, unsigned int n)
{
	int ret;

	if (udma_unlikely(!pool_is(p) || v == NULL || n == 0 || !dma_gfp_ok(gfp))) {
		if (pool_is(p))
			udma_log(UDMA_LOG_ERR, "udma_pool_alloc_bulk(): pool %s: bad argument "
				 "(vaddrs %p, n %u, gfp %#x)", p->name, (void *)v, n, gfp);
		else
			udma_log(UDMA_LOG_ERR, "udma_pool_alloc_bulk(): invalid pool %p", (void *)p);
		return -EINVAL;
	}
	ret = n <= p->cache_size ? alloc_bulk_cached(p, gfp, v, n) : alloc_bulk_big(p, gfp, v, n);
	if (ret < 0)
		return ret;
	if (udma_unlikely(p->debug)) {
		for (unsigned int i = 0; i < n; i++)
			debug_block_alloc(p, v[i]);
		if (handles)
			for (unsigned int i = 0; i < n; i++)
				handles[i] = udma_pvt_block_iova(pool_pvt(p), v[i]);
	} else {
		udma_pvt_pool_hand_out(pool_pvt(p), v, v, handles, n);
	}
	return 0;
}

void udma_pool_free_bulk(struct udma_pool *p, void *const *v, const udma_addr_t *handles,
			 unsigned int n)
{
	udma_pool_free_bulk_inline(p, v, handles, n);
}

void udma_pvt_pool_free_bulk_slow(struct udma_pool *p, void *const *v,
				  const udma_addr_t *handles, unsigned int n,
				  enum udma_pvt_pool_verdict first)
{
	struct udma_pool_cache_pvt *c;
	bool shared;

	if (udma_unlikely(!pool_is(p) || (v == NULL && n > 0))) {
		if (pool_is(p))
			udma_log(UDMA_LOG_ERR, "udma_pool_free_bulk(): pool %s: NULL vaddrs", p->name);
		else
			udma_log(UDMA_LOG_ERR, "udma_pool_free_bulk(): invalid pool %p", (void *)p);
		return;
	}
	c = cache_get(p, &shared);
	if (first == UDMA_PVT_POOL_UNCHECKED && !p->debug && n > 0 && n <= c->cap) {
		/* the inline path found no room (or no lcore cache): make room with one
		 * flush, then the same run check and copy as the inline path */
		unsigned int done;

		if (c->len > c->cap - n)
			pool_cache_flush(p, c, flush_keep(p) < c->cap - n ? flush_keep(p) : c->cap - n);
		first = bulk_check(pool_pvt(p), v, handles, n, &done, &c->objs[c->len]);
		c->len += done;
		v += done;
		handles = handles ? handles + done : NULL;
		n -= done;
	}
	for (unsigned int i = 0; i < n; i++) {
		udma_addr_t h = handles ? handles[i] : 0;
		enum udma_pvt_pool_verdict vd = i == 0 && first != UDMA_PVT_POOL_UNCHECKED ?
			first : udma_pvt_block_check(pool_pvt(p), v[i], h, handles != NULL);

		if (udma_unlikely(vd != UDMA_PVT_POOL_OK)) {
			if (vd != UDMA_PVT_POOL_DEBUG) {
				report_bad_block(p, v[i], h, vd, "udma_pool_free_bulk");
				continue;
			}
			if (!debug_block_free(p, v[i], "udma_pool_free_bulk"))
				continue;
		}
		if (udma_unlikely(c->len == c->cap))
			pool_cache_flush(p, c, flush_keep(p));
		c->objs[c->len++] = v[i];
	}
	cache_put(p, shared);
}
