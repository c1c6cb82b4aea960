/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounce buffers (swiotlb): a region of coherent memory reserved at init, below
 * 4 GiB of IOVA when the mode has any, cut into 2 KiB slots handed out by a buddy
 * allocator. Runs of up to 4 slots (8 KiB) come from per-lcore magazines, so the
 * common bounce takes no shared lock and no atomic instruction; the buddy lists sit
 * behind a spinlock. Slots parked in magazines keep their buddies from merging: when
 * the buddy lists cannot serve a request every lcore's magazines are drained into
 * them and the request is retried, and a thread's magazines go back when it
 * unregisters.
 *
 * A magazine is its owner's, entered and left with plain stores (busy); a drainer
 * raises the lcore's drain flag, runs membarrier() so that every thread of the
 * process passes a full barrier, and then waits for busy to fall: an owner either
 * stored busy before that barrier (the drainer sees it and waits) or loads drain
 * after it (and leaves the magazine alone, going to the buddy lists). That is the
 * asymmetric fence of liburcu's memb flavour. Without membarrier() (old kernels,
 * seccomp) each magazine has a spinlock, taken by owner and drainer alike.
 */
#include <immintrin.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dma_private.h"
#include "iova_private.h"
#include "udma_map.h"

#define SLOT_SHIFT 11
#define SLOT (1UL << SLOT_SHIFT)
#define MAX_ORDER 7 /* 128 slots: 256 KiB, when chunks are that large */
#define CACHED_ORDERS 3
#define MAG 31 /* a magazine (count and slots) is 128 bytes: the fast paths index it by a shift */
#define NIL (-1)

/* cpu_owned: the device's; the CPU's, every byte synced; the CPU's after a partial sync */
enum { CPU_NO = 0, CPU_ALL = 1, CPU_PART = 2 };

struct bslot {
	void *orig;        /* the CPU buffer this slot run stands in for */
	const struct udma_device *dev; /* the device that mapped it: only it unmaps or syncs */
	uint32_t size;
	uint8_t dir;
	int8_t order;      /* head of a live run: its order; -1 otherwise */
	uint8_t cpu_owned; /* sync state for BIDIRECTIONAL udma_sync_single(): CPU_* */
	uint8_t free_head; /* head of a free buddy block */
	int32_t next, prev;
};

struct mag {
	unsigned int n;
	int32_t slot[MAG];
};

/* one lcore's magazines: see the top of the file */
struct lcore_mags {
	unsigned int busy;  /* the owner is in its magazines (its plain store) */
	unsigned int drain; /* a drainer is at them: the owner keeps out */
	atomic_flag lock;   /* without membarrier(): taken by owner and drainer */
	uint64_t bounces;   /* swiotlb_map_fast()'s, by the owner in its magazines */
	struct mag m[CACHED_ORDERS];
} __udma_cache_aligned;

/* per-lcore counters: plain stores by the owner, summed by the stats call */
struct tlb_counters {
	uint64_t bounces;
} __udma_cache_aligned;

static struct {
	bool on;
	int max_order;    /* MAX_ORDER, or less with small chunks */
	uint32_t per_chunk; /* slots in a chunk */
	unsigned int chunk_slot_shift; /* log2(per_chunk): no division on the path */
	uint32_t nslots;
	struct bslot *s;
	int32_t free[MAX_ORDER + 1];
	atomic_flag lock;
	struct lcore_mags *mags; /* UDMA_MAX_LCORES */
	struct tlb_counters *cnt; /* UDMA_MAX_LCORES + 1 (shared, atomic) */
	atomic_size_t failures;
	bool asym;        /* membarrier() works: magazines need no lock (see the top) */
	bool avx2;        /* bounce copies of COPY_VEC_MIN..COPY_VEC_MAX use copy_avx2() */
	size_t vec_span;  /* avx2: sizes n with n - COPY_VEC_MIN < vec_span use it; else 0 */
	size_t fast_size; /* the fast paths serve sizes n with n - 1 < fast_size (0: off) */
	atomic_flag drain_lock; /* one drainer at a time */
} g_tlb;

static inline void tlb_lock(void)
{
	eal_spin_lock(&g_tlb.lock);
}

static inline void tlb_unlock(void)
{
	eal_spin_unlock(&g_tlb.lock);
}

/* ---- buddy (lock held) --------------------------------------------------- */

static void buddy_push(int32_t i, int order)
{
	struct bslot *b = &g_tlb.s[i];

	b->free_head = 1;
	b->order = (int8_t)order;
	b->prev = NIL;
	b->next = g_tlb.free[order];
	if (b->next != NIL)
		g_tlb.s[b->next].prev = i;
	g_tlb.free[order] = i;
}

static void buddy_unlink(int32_t i, int order)
{
	struct bslot *b = &g_tlb.s[i];

	if (b->prev != NIL)
		g_tlb.s[b->prev].next = b->next;
	else
		g_tlb.free[order] = b->next;
	if (b->next != NIL)
		g_tlb.s[b->next].prev = b->prev;
	b->free_head = 0;
	b->order = -1;
}

static int32_t buddy_alloc(int order)
{
	int o = order;
	int32_t i;

	while (o <= g_tlb.max_order && g_tlb.free[o] == NIL)
		o++;
	if (o > g_tlb.max_order)
		return NIL;
	i = g_tlb.free[o];
	buddy_unlink(i, o);
	while (o > order) { /* split: the upper half goes back */
		o--;
		buddy_push(i + (1 << o), o);
	}
	return i;
}

static void buddy_free(int32_t i, int order)
{
	while (order < g_tlb.max_order) {
		int32_t buddy = i ^ (1 << order);

		if ((uint32_t)buddy >= g_tlb.nslots || !g_tlb.s[buddy].free_head ||
		    g_tlb.s[buddy].order != order)
			break;
		buddy_unlink(buddy, order);
		i &= ~(1 << order);
		order++;
	}
	buddy_push(i, order);
}

/* ---- slot runs ------------------------------------------------------------ */

/* the buddy order of a run of @size bytes; MAX_ORDER + 1 when it is larger than any */
static inline int order_for(size_t size)
{
	if (udma_likely(size <= SLOT))
		return 0;
	if (size > (SLOT << MAX_ORDER))
		return MAX_ORDER + 1; /* and no shift past the width of size_t */
	return 64 - __builtin_clzll((unsigned long long)size - 1) - SLOT_SHIFT;
}

/* order_for() of the sizes the fast paths serve (1 .. SLOT << (CACHED_ORDERS - 1)) */
static inline int fast_order(size_t size)
{
	/* (size - 1) / SLOT is 0, 1, 2 or 3: orders 0, 1, 2, 2 */
	return (int)((0x02020100u >> (((size - 1) >> SLOT_SHIFT) * 8)) & 0xff);
}

static bool membarrier_register(void)
{
	return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/* the owner enters its magazines: false when a drainer is at them (use the buddy lists) */
static inline bool mags_enter(struct lcore_mags *lm, bool asym)
{
	if (udma_likely(asym)) {
		__atomic_store_n(&lm->busy, 1, __ATOMIC_RELAXED);
		/* no fence: a drainer's membarrier() orders this store before its load */
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (udma_likely(!__atomic_load_n(&lm->drain, __ATOMIC_ACQUIRE)))
			return true;
		__atomic_store_n(&lm->busy, 0, __ATOMIC_RELEASE);
		return false;
	}
	eal_spin_lock(&lm->lock);
	return true;
}

static inline void mags_leave(struct lcore_mags *lm, bool asym)
{
	if (udma_likely(asym))
		__atomic_store_n(&lm->busy, 0, __ATOMIC_RELEASE);
	else
		eal_spin_unlock(&lm->lock);
}

/*
 * Give the parked slots of lcores [first, last) back to the buddy lists. Drainers
 * take turns; with the asymmetric fence each owner is out of its magazines (and
 * stays out) before they are touched, else each magazine's lock is held.
 */
static void mags_drain(unsigned int first, unsigned int last)
{
	if (g_tlb.mags == NULL)
		return;
	eal_spin_lock(&g_tlb.drain_lock);
	if (g_tlb.asym) {
		for (unsigned int lc = first; lc < last; lc++)
			__atomic_store_n(&g_tlb.mags[lc].drain, 1, __ATOMIC_RELAXED);
		/*
		 * every thread of the process passes a full barrier: see the top (after
		 * the registration at init the command fails only with a bad argument)
		 */
		(void)syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
		for (unsigned int lc = first; lc < last; lc++)
			while (__atomic_load_n(&g_tlb.mags[lc].busy, __ATOMIC_ACQUIRE))
				__builtin_ia32_pause();
	}
	for (unsigned int lc = first; lc < last; lc++) {
		struct lcore_mags *lm = &g_tlb.mags[lc];

		if (!g_tlb.asym)
			eal_spin_lock(&lm->lock);
		tlb_lock();
		for (int o = 0; o < CACHED_ORDERS; o++) {
			struct mag *m = &lm->m[o];

			while (m->n)
				buddy_free(m->slot[--m->n], o);
		}
		tlb_unlock();
		if (!g_tlb.asym)
			eal_spin_unlock(&lm->lock);
	}
	if (g_tlb.asym)
		for (unsigned int lc = first; lc < last; lc++)
			__atomic_store_n(&g_tlb.mags[lc].drain, 0, __ATOMIC_RELEASE);
	eal_spin_unlock(&g_tlb.drain_lock);
}

/* give lcore @lc's parked slots back to the buddy lists (thread unregister, cleanup) */
static void mags_flush(unsigned int lc)
{
	if (lc < UDMA_MAX_LCORES)
		mags_drain(lc, lc + 1);
}

/* the buddy lists are short: every lcore's magazines go back, then one more try */
static __attribute__((noinline)) int32_t run_alloc_drained(int order)
{
	int32_t i;

	mags_drain(0, UDMA_MAX_LCORES);
	tlb_lock();
	i = buddy_alloc(order);
	tlb_unlock();
	return i;
}

/* an empty magazine: half of it from the buddy lists */
static __attribute__((noinline)) void mag_refill(struct mag *m, int order)
{
	int32_t i;

	tlb_lock();
	while (m->n < MAG / 2 && (i = buddy_alloc(order)) != NIL)
		m->slot[m->n++] = i;
	tlb_unlock();
}

/* a full magazine: half of it back to the buddy lists */
static __attribute__((noinline)) void mag_spill(struct mag *m, int order)
{
	tlb_lock();
	while (m->n > MAG / 2)
		buddy_free(m->slot[--m->n], order);
	tlb_unlock();
}

static inline int32_t run_alloc_lc(unsigned int lc, int order)
{
	int32_t i = NIL;

	if (udma_likely(order < CACHED_ORDERS && lc < UDMA_MAX_LCORES)) {
		struct lcore_mags *lm = &g_tlb.mags[lc];
		bool asym = g_tlb.asym; /* read once: the fence in mags_enter() would reload it */

		if (udma_likely(mags_enter(lm, asym))) {
			struct mag *m = &lm->m[order];

			if (udma_unlikely(m->n == 0))
				mag_refill(m, order);
			if (udma_likely(m->n != 0))
				i = m->slot[--m->n];
			mags_leave(lm, asym);
			/* out of our magazines: a drainer waits for every owner to be out */
			return udma_likely(i != NIL) ? i : run_alloc_drained(order);
		}
	}
	tlb_lock();
	i = buddy_alloc(order);
	tlb_unlock();
	return udma_likely(i != NIL) ? i : run_alloc_drained(order);
}

/*
 * Slot run @i of @order into the calling lcore's magazine: true when it went in.
 * A full magazine spills half to the buddy lists first when @spill, else it is
 * false, as are a drainer at the magazines, no lcore and an order not cached.
 */
static inline bool run_free_mag(int32_t i, int order, bool spill)
{
	unsigned int lc = lcore_id();

	if (udma_likely(order < CACHED_ORDERS && lc < UDMA_MAX_LCORES)) {
		struct lcore_mags *lm = &g_tlb.mags[lc];
		bool asym = g_tlb.asym; /* read once: the fence in mags_enter() would reload it */

		if (udma_likely(mags_enter(lm, asym))) {
			struct mag *m = &lm->m[order];

			if (udma_unlikely(m->n == MAG)) {
				if (!spill) {
					mags_leave(lm, asym);
					return false;
				}
				mag_spill(m, order);
			}
			m->slot[m->n++] = i;
			mags_leave(lm, asym);
			return true;
		}
	}
	return false;
}

static inline void run_free(int32_t i, int order)
{
	if (udma_likely(run_free_mag(i, order, true)))
		return;
	tlb_lock();
	buddy_free(i, order);
	tlb_unlock();
}

/* ---- bounce ---------------------------------------------------------------- */

/*
 * The bounce copy. From 2 KiB up glibc's memcpy switches to `rep movsb` on CPUs
 * with fast short rep movs, which on some (AMD EPYC here) copies 4 KiB at half the
 * speed of a plain AVX2 loop, and twice as slowly again when it reads what the last
 * copy wrote (rx: the map's copy, then sync's copy back). Only up to 32 KiB: past
 * L1 glibc's copy is as fast or faster (the loop measured 64 KiB +27 %). 256-bit and
 * not 512-bit, which can lower the clock of other work on some Intel parts. Like
 * rte_memcpy in DPDK.
 */
#define COPY_VEC_MIN 2048
#define COPY_VEC_MAX 32768 /* beyond L1, glibc's copy wins (64 KiB: the loop +27 %) */

/*
 * The copies return @ret, so that a fast path ends in a tail call to its copy
 * (no registers to keep across a call: no stack frame of its own).
 */
__attribute__((target("avx2"), noinline)) static uint64_t copy_avx2(uint8_t *dst, const uint8_t *src,
								    size_t n, uint64_t ret)
{
	size_t i = 0;

	for (; i + 256 <= n; i += 256) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(src + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(src + i + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(src + i + 64));
		__m256i d = _mm256_loadu_si256((const __m256i *)(src + i + 96));
		__m256i e = _mm256_loadu_si256((const __m256i *)(src + i + 128));
		__m256i f = _mm256_loadu_si256((const __m256i *)(src + i + 160));
		__m256i g = _mm256_loadu_si256((const __m256i *)(src + i + 192));
		__m256i h = _mm256_loadu_si256((const __m256i *)(src + i + 224));

		_mm256_storeu_si256((__m256i *)(dst + i), a);
		_mm256_storeu_si256((__m256i *)(dst + i + 32), b);
		_mm256_storeu_si256((__m256i *)(dst + i + 64), c);
		_mm256_storeu_si256((__m256i *)(dst + i + 96), d);
		_mm256_storeu_si256((__m256i *)(dst + i + 128), e);
		_mm256_storeu_si256((__m256i *)(dst + i + 160), f);
		_mm256_storeu_si256((__m256i *)(dst + i + 192), g);
		_mm256_storeu_si256((__m256i *)(dst + i + 224), h);
	}
	for (; i + 32 <= n; i += 32)
		_mm256_storeu_si256((__m256i *)(dst + i),
				    _mm256_loadu_si256((const __m256i *)(src + i)));
	if (i < n) /* the last 32 bytes again: n >= 32 and the buffers do not overlap */
		_mm256_storeu_si256((__m256i *)(dst + n - 32),
				    _mm256_loadu_si256((const __m256i *)(src + n - 32)));
	return ret;
}

static __attribute__((noinline)) uint64_t copy_glibc(void *dst, const void *src, size_t n,
						     uint64_t ret)
{
	memmove(dst, src, n);
	return ret;
}

/* memmove() semantics (the caller may map memory that holds slots); returns @ret */
static inline uint64_t bounce_copy_ret(void *dst, const void *src, size_t n, uint64_t ret)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	if (n - COPY_VEC_MIN < g_tlb.vec_span && d - s >= n && s - d >= n)
		return copy_avx2(dst, src, n, ret);
	return copy_glibc(dst, src, n, ret);
}

static inline void bounce_copy(void *dst, const void *src, size_t n)
{
	(void)bounce_copy_ret(dst, src, n, 0);
}

/* slot @i heads a live run of @order bouncing @size bytes of @orig for @dev */
static inline void run_record(int32_t i, const struct udma_device *dev, void *orig, size_t size,
			      enum udma_data_direction dir, int order)
{
	struct bslot *b = &g_tlb.s[i];

	b->orig = orig;
	b->dev = dev;
	b->size = (uint32_t)size;
	b->dir = (uint8_t)dir;
	b->order = (int8_t)order;
	b->cpu_owned = 0;
}

static inline uint8_t *slot_va(int32_t i)
{
	uint32_t u = (uint32_t)i;

	return g_swiotlb.region.chunk_va[u >> g_tlb.chunk_slot_shift] +
	       ((size_t)(u & (g_tlb.per_chunk - 1)) << SLOT_SHIFT);
}

static inline udma_addr_t slot_iova(int32_t i)
{
	uint32_t u = (uint32_t)i;

	return g_swiotlb.region.chunk_iova[u >> g_tlb.chunk_slot_shift] +
	       ((udma_addr_t)(u & (g_tlb.per_chunk - 1)) << SLOT_SHIFT);
}

/* slot index of a CPU address inside the region, or -1 when not a slot start */
static int32_t slot_index(const void *va)
{
	int32_t c = swiotlb_chunk((uintptr_t)va, false);
	size_t off;

	if (c < 0)
		return -1;
	off = (size_t)((const uint8_t *)va - g_swiotlb.region.chunk_va[c]);
	if (off & (SLOT - 1))
		return -1;
	return (int32_t)(((uint32_t)c << g_tlb.chunk_slot_shift) + (uint32_t)(off >> SLOT_SHIFT));
}

static inline void count_bounce(unsigned int lc)
{
	if (udma_likely(lc < UDMA_MAX_LCORES))
		g_tlb.cnt[lc].bounces++;
	else
		__atomic_fetch_add(&g_tlb.cnt[UDMA_MAX_LCORES].bounces, 1, __ATOMIC_RELAXED);
}

struct swiotlb_state g_swiotlb;

int32_t swiotlb_chunk_hashed(uint64_t addr, bool by_iova)
{
	const struct swiotlb_region *r = &g_swiotlb.region;
	uint64_t key = addr >> r->chunk_shift;
	unsigned int mask = (1u << r->hash_bits) - 1, h;
	const int32_t *tbl = by_iova ? r->by_iova : r->by_va;

	if (r->nchunks == 0)
		return -1;
	for (h = swiotlb_hash(key);; h = (h + 1) & mask) {
		int32_t c = tbl[h];

		if (c < 0)
			return -1;
		if ((by_iova ? r->chunk_iova[c] : (uintptr_t)r->chunk_va[c]) >> r->chunk_shift == key)
			return c;
	}
}

void *swiotlb_bounce(const struct udma_device *dev, void *orig, size_t size,
		     enum udma_data_direction dir, bool copy, udma_addr_t *iova_out)
{
	unsigned int lc = lcore_id();
	int order = order_for(size);
	int32_t i;
	uint8_t *slot;

	if (udma_unlikely(!g_tlb.on || order > g_tlb.max_order ||
			  (i = run_alloc_lc(lc, order)) == NIL)) {
		atomic_fetch_add(&g_tlb.failures, 1);
		return NULL;
	}
	run_record(i, dev, orig, size, dir, order);
	slot = slot_va(i);
	if (copy) /* every direction: bytes the device does not write keep their values */
		bounce_copy(slot, orig, size); /* the caller may map memory that holds slots */
	count_bounce(lc);
	*iova_out = slot_iova(i);
	return slot;
}

/* the live run whose head is slot @i (from slot_index), or NULL */
static struct bslot *run_at(int32_t i)
{
	struct bslot *b;

	if (i < 0)
		return NULL;
	b = &g_tlb.s[i];
	return b->order >= 0 && !b->free_head ? b : NULL;
}

/* the live run whose head is at @slot, or NULL */
static struct bslot *run_of(const void *slot)
{
	return run_at(g_tlb.on ? slot_index(slot) : -1);
}

/*
 * The public call a refusal of swiotlb_release() or swiotlb_sync() is logged under:
 * their callers (the full unmap and sync paths, single and sg) store it in
 * dma_log_call first, as for the ops.
 */
static const char *refusal_call(const char *fallback)
{
	return dma_log_call ? dma_log_call : fallback;
}

/* @dev is not the device that mapped @b: one line, and the mapping stays as it is */
static __attribute__((noinline)) int not_owner(const struct bslot *b,
					       const struct udma_device *dev, const char *what)
{
	UDMA_LOG_AS(ERR, refusal_call(__func__),
		    "%s: %s of a bounced mapping of %u bytes that %s mapped: refused", dev->name,
		    what, b->size, b->dev ? b->dev->name : "another device");
	return -EPERM;
}

int swiotlb_release(const struct udma_device *dev, void *slot, size_t size,
		    enum udma_data_direction dir, bool copy, bool strict)
{
	int32_t i = g_tlb.on ? slot_index(slot) : -1; /* one hash probe for the whole release */
	struct bslot *b = run_at(i);
	int order;

	if (b == NULL)
		return -ENOENT;
	if (udma_unlikely(b->dev != dev))
		return not_owner(b, dev, "unmap");
	if (b->size != size || b->dir != dir) {
		UDMA_LOG_AS(ERR, refusal_call(__func__),
			    "%s: bounced mapping of %u bytes dir %u unmapped with size %zu dir %d: %s",
			    dev->name, b->size, b->dir, size, (int)dir,
			    strict ? "ignored" : "released as mapped");
		if (strict)
			return -EINVAL;
		size = b->size; /* its IOVA is gone already: release the slot as it was mapped */
		dir = (enum udma_data_direction)b->dir;
	}
	/* the device's bytes, unless the CPU already owns all of them (synced, device done) */
	if (copy && (dir == UDMA_FROM_DEVICE || dir == UDMA_BIDIRECTIONAL) && b->cpu_owned != CPU_ALL)
		bounce_copy(b->orig, slot, size);
	order = b->order;
	b->order = -1;
	run_free(i, order);
	return 0;
}

/* run_free() out of line: the fast paths' way past a full (or busy) magazine */
static __attribute__((noinline)) void run_free_slow(int32_t i, int order)
{
	run_free(i, order);
}

/*
 * run_free() for the fast paths: a leaf on the magazine path (anything else is a
 * call out of line), so that they need no stack frame.
 */
static inline void run_free_fast(int32_t i, int order)
{
	if (udma_unlikely(!run_free_mag(i, order, false)))
		run_free_slow(i, order);
}

/*
 * swiotlb_map_fast() got a run above @dev's DMA mask: it goes back, the full path
 * decides. The call's arguments are read back from the record before the run is
 * freed: once free (a drainer may move it to the buddy lists) another lcore may
 * take the run and record its own mapping over them.
 */
static __attribute__((noinline)) udma_addr_t map_fast_refused(struct bslot *b, const void *caller)
{
	unsigned int lc = lcore_id();
	int32_t i = (int32_t)(b - g_tlb.s);
	int order = b->order;
	struct udma_device *dev = (struct udma_device *)b->dev;
	void *orig = b->orig;
	size_t size = b->size;
	enum udma_data_direction dir = (enum udma_data_direction)b->dir;

	if (lc < UDMA_MAX_LCORES) /* the owner, as it counted (a drainer never writes it) */
		g_tlb.mags[lc].bounces--;
	b->order = -1;
	run_free(i, order);
	return dma_map_single_slow(dev, orig, size, dir, caller);
}

udma_addr_t swiotlb_map_fast(struct udma_device *dev, void *orig, size_t size,
			     enum udma_data_direction dir, const void *caller)
{
	unsigned int lc = lcore_id();
	bool asym = g_tlb.asym; /* read once: the fence in mags_enter() would reload it */
	struct lcore_mags *lm;
	struct mag *m;
	udma_addr_t iova;
	int32_t i;
	int order;

	if (udma_unlikely(size - 1 >= g_tlb.fast_size || lc >= UDMA_MAX_LCORES))
		goto slow; /* too large for the magazines, no lcore, or no region */
	order = fast_order(size);
	lm = &g_tlb.mags[lc];
	if (udma_unlikely(!mags_enter(lm, asym)))
		goto slow;
	m = &lm->m[order];
	if (udma_unlikely(m->n == 0)) {
		mags_leave(lm, asym);
		goto slow; /* swiotlb_bounce() refills (or drains) */
	}
	i = m->slot[--m->n];
	lm->bounces++; /* counted on the lcore's own line (a refusal below uncounts) */
	mags_leave(lm, asym);
	/* recorded at once: the arguments need not live on (a refusal reads them back) */
	run_record(i, dev, orig, size, dir, order);
	iova = slot_iova(i);
	if (udma_unlikely(iova + size - 1 > dev->dma_mask))
		return map_fast_refused(&g_tlb.s[i], caller);
	/* every direction: bytes the device does not write keep their values */
	return bounce_copy_ret(slot_va(i), orig, size, iova);
slow:
	return dma_map_single_slow(dev, orig, size, dir, caller);
}

/*
 * The live run whose head is at @iova in chunk @c, mapped by @dev with @dir: its
 * record (its index in *@i, its slot's offset in the chunk in *@off), or NULL.
 */
static inline struct bslot *run_at_iova(const struct udma_device *dev, int32_t c,
					udma_addr_t iova, enum udma_data_direction dir,
					int32_t *i, uint64_t *off)
{
	struct bslot *b;

	*off = iova - g_swiotlb.region.chunk_iova[c];
	if (udma_unlikely(*off & (SLOT - 1)))
		return NULL;
	*i = (int32_t)(((uint32_t)c << g_tlb.chunk_slot_shift) + (uint32_t)(*off >> SLOT_SHIFT));
	b = &g_tlb.s[*i];
	if (udma_unlikely(b->order < 0 || b->free_head || b->dev != dev || b->dir != dir))
		return NULL;
	return b;
}

/* unmap of a run the device may have written and the CPU does not own: copy, release */
static __attribute__((noinline)) void unmap_copy_release(struct bslot *b, const void *slot,
							 size_t size, int32_t i)
{
	int order = b->order;

	bounce_copy(b->orig, slot, size);
	b->order = -1;
	run_free_fast(i, order);
}

/* @c last: the arguments of the full path stay in their registers */
void swiotlb_unmap_fast(struct udma_device *dev, udma_addr_t iova, size_t size,
			enum udma_data_direction dir, const void *caller, int32_t c)
{
	uint64_t off;
	int32_t i;
	struct bslot *b = run_at_iova(dev, c, iova, dir, &i, &off);
	int order;

	if (udma_unlikely(b == NULL || b->size != size)) {
		dma_unmap_single_slow(dev, iova, size, dir, caller); /* it decides and logs */
		return;
	}
	/* the device's bytes, unless the CPU already owns all of them (synced, device done) */
	if (dir != UDMA_TO_DEVICE && b->cpu_owned != CPU_ALL) {
		unmap_copy_release(b, g_swiotlb.region.chunk_va[c] + off, size, i);
		return;
	}
	order = b->order;
	b->order = -1;
	run_free_fast(i, order);
}

/* a whole-mapping sync toward the CPU (@for_cpu) or the device; the full path on a miss */
static inline void sync_fast(struct udma_device *dev, udma_addr_t iova, size_t size,
			     enum udma_data_direction dir, const void *caller, int32_t c,
			     bool for_cpu)
{
	uint64_t off;
	int32_t i;
	struct bslot *b = run_at_iova(dev, c, iova, dir, &i, &off);
	uint8_t *slot;

	if (udma_unlikely(b == NULL || size > b->size)) {
		/* past the end, unmapped, another device's: the full path says so */
		dma_sync_single_slow(dev, iova, size, dir, caller, for_cpu);
		return;
	}
	b->cpu_owned = !for_cpu ? CPU_NO : size == b->size ? CPU_ALL : CPU_PART;
	slot = g_swiotlb.region.chunk_va[c] + off;
	if (for_cpu && dir != UDMA_TO_DEVICE)
		bounce_copy(b->orig, slot, size);
	if (!for_cpu && dir != UDMA_FROM_DEVICE)
		bounce_copy(slot, b->orig, size);
}

void swiotlb_sync_for_cpu_fast(struct udma_device *dev, udma_addr_t iova, size_t size,
			       enum udma_data_direction dir, const void *caller, int32_t c)
{
	sync_fast(dev, iova, size, dir, caller, c, true);
}

void swiotlb_sync_for_device_fast(struct udma_device *dev, udma_addr_t iova, size_t size,
				  enum udma_data_direction dir, const void *caller, int32_t c)
{
	sync_fast(dev, iova, size, dir, caller, c, false);
}

int swiotlb_sync(const struct udma_device *dev, void *slot, size_t off, size_t size, bool for_cpu)
{
	struct bslot *b = run_of(slot);

	if (b == NULL)
		return -ENOENT;
	if (udma_unlikely(b->dev != dev))
		return not_owner(b, dev, "sync");
	if (off > b->size || size > b->size - off) {
		UDMA_LOG_AS(ERR, refusal_call(__func__),
			    "%s: sync of [%zu, %zu) outside a bounced mapping of %u bytes: ignored",
			    dev->name, off, off + size, b->size);
		return -ERANGE;
	}
	if (for_cpu && b->dir != UDMA_TO_DEVICE)
		bounce_copy((uint8_t *)b->orig + off, (uint8_t *)slot + off, size);
	if (!for_cpu && b->dir != UDMA_FROM_DEVICE)
		bounce_copy((uint8_t *)slot + off, (uint8_t *)b->orig + off, size);
	b->cpu_owned = !for_cpu ? CPU_NO : off == 0 && size == b->size ? CPU_ALL : CPU_PART;
	return 0;
}

int swiotlb_cpu_owned(const void *slot)
{
	struct bslot *b = run_of(slot);

	return b ? b->cpu_owned : -ENOENT;
}

int udma_swiotlb_stats(struct udma_swiotlb_stats *st)
{
	if (st == NULL) {
		UDMA_LOG(ERR, "NULL stats pointer");
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	st->size = g_swiotlb.region.size;
	for (uint32_t i = 0; i < g_tlb.nslots; i++)
		if (g_tlb.s[i].order >= 0 && !g_tlb.s[i].free_head)
			st->used += SLOT << g_tlb.s[i].order;
	for (unsigned int i = 0; g_tlb.cnt && i <= UDMA_MAX_LCORES; i++)
		st->bounces += __atomic_load_n(&g_tlb.cnt[i].bounces, __ATOMIC_RELAXED);
	for (unsigned int i = 0; g_tlb.mags && i < UDMA_MAX_LCORES; i++)
		st->bounces += __atomic_load_n(&g_tlb.mags[i].bounces, __ATOMIC_RELAXED);
	st->failures = atomic_load(&g_tlb.failures);
	st->forced = g_swiotlb.forced;
	return 0;
}

/* ---- init ------------------------------------------------------------------ */

static void region_free(void)
{
	struct swiotlb_region *r = &g_swiotlb.region;

	for (unsigned int c = 0; r->chunk_va && c < r->nchunks; c++)
		heap_free(r->chunk_va[c], (size_t)1 << (r->chunk_shift - UDMA_PAGE_SHIFT), 0);
	free(r->chunk_va);
	free(r->chunk_iova);
	free(r->by_iova);
	free(r->by_va);
	free(r->dense_iova);
	free(r->dense_va);
	memset(r, 0, sizeof(*r));
}

#define DENSE_MAX 65536u /* steps of a dense table (256 KiB): wider spans use the hash */

static inline uint64_t chunk_base(unsigned int c, bool by_iova)
{
	return by_iova ? g_swiotlb.region.chunk_iova[c] : (uintptr_t)g_swiotlb.region.chunk_va[c];
}

/*
 * A dense table over the span of the chunks' IOVAs (or CPU addresses), one entry
 * per chunk-sized step (*lo, *span out), or NULL: the span is too wide, a base is
 * not aligned to the chunk size relative to the lowest, or no memory (the hash
 * serves then).
 */
static int32_t *dense_build(bool by_iova, uint64_t *lo, uint64_t *span)
{
	unsigned int n = g_swiotlb.region.nchunks, shift = g_swiotlb.region.chunk_shift;
	uint64_t min = UINT64_MAX, max = 0, steps;
	int32_t *d;

	for (unsigned int c = 0; c < n; c++) {
		min = chunk_base(c, by_iova) < min ? chunk_base(c, by_iova) : min;
		max = chunk_base(c, by_iova) > max ? chunk_base(c, by_iova) : max;
	}
	steps = ((max - min) >> shift) + 1;
	if (n == 0 || steps > DENSE_MAX)
		return NULL;
	for (unsigned int c = 0; c < n; c++)
		if ((chunk_base(c, by_iova) - min) & ((1ULL << shift) - 1))
			return NULL;
	d = malloc(steps * sizeof(*d));
	if (d == NULL)
		return NULL;
	for (uint64_t k = 0; k < steps; k++)
		d[k] = -1;
	for (unsigned int c = 0; c < n; c++)
		d[(chunk_base(c, by_iova) - min) >> shift] = (int32_t)c;
	*lo = min;
	*span = steps << shift;
	return d;
}

static void region_index(void)
{
	struct swiotlb_region *r = &g_swiotlb.region;
	unsigned int mask = (1u << r->hash_bits) - 1;

	for (unsigned int i = 0; i <= mask; i++)
		r->by_iova[i] = r->by_va[i] = -1;
	for (unsigned int c = 0; c < r->nchunks; c++) {
		unsigned int h = swiotlb_hash(r->chunk_iova[c] >> r->chunk_shift);

		while (r->by_iova[h] >= 0)
			h = (h + 1) & mask;
		r->by_iova[h] = (int32_t)c;
		h = swiotlb_hash((uintptr_t)r->chunk_va[c] >> r->chunk_shift);
		while (r->by_va[h] >= 0)
			h = (h + 1) & mask;
		r->by_va[h] = (int32_t)c;
	}
	r->dense_iova = dense_build(true, &r->iova_lo, &r->iova_span);
	r->dense_va = dense_build(false, &r->va_lo, &r->va_span);
}

/* the whole region in IOVA-contiguous chunks of 1 << shift under @mask, or nothing */
static bool region_try(size_t size, unsigned int shift, uint64_t mask)
{
	struct swiotlb_region *r = &g_swiotlb.region;
	size_t pages = (size_t)1 << (shift - UDMA_PAGE_SHIFT);
	int node = eal_topology_cpu_node();

	r->chunk_shift = shift;
	r->nchunks = (unsigned int)(size >> shift);
	/*
	 * at most 1/8 full: every direct unmap looks its IOVA up here and misses, and a
	 * miss in a linear-probing table costs ~1.1 probes at 1/8, ~2.5 at 1/2
	 */
	r->hash_bits = 1;
	while ((1u << r->hash_bits) < 8 * r->nchunks)
		r->hash_bits++;
	r->chunk_va = calloc(r->nchunks, sizeof(*r->chunk_va));
	r->chunk_iova = calloc(r->nchunks, sizeof(*r->chunk_iova));
	r->by_iova = calloc((size_t)1 << r->hash_bits, sizeof(int32_t));
	r->by_va = calloc((size_t)1 << r->hash_bits, sizeof(int32_t));
	if (!r->chunk_va || !r->chunk_iova || !r->by_iova || !r->by_va) {
		region_free();
		return false;
	}
	for (unsigned int c = 0; c < r->nchunks; c++) {
		r->chunk_va[c] = heap_alloc(pages, pages, mask, node, 0, &r->chunk_iova[c]);
		if (r->chunk_va[c] == NULL) {
			r->nchunks = c;
			region_free();
			return false;
		}
	}
	r->size = size;
	region_index();
	return true;
}

/* below 4 GiB if the mode has memory there, else anywhere; large chunks first */
static bool region_alloc(size_t size)
{
	for (int grown = 0; grown < 2; grown++) {
		for (unsigned int shift = 21; shift >= UDMA_PAGE_SHIFT; shift--)
			if (region_try(size, shift, UDMA_BIT_MASK(32)))
				return true;
		if (!grown && memseg_grow(eal_topology_cpu_node(), size) != 0)
			break;
	}
	for (unsigned int shift = 21; shift >= UDMA_PAGE_SHIFT; shift--)
		if (region_try(size, shift, ~0ULL)) {
			UDMA_LOG_AS(NOTICE, "udma_eal_init", "swiotlb: no memory below 4 GiB of IOVA in "
				    "%s mode: the bounce region is above it, out of reach of 32-bit "
				    "devices", g_iova.ops->name);
			return true;
		}
	return false;
}

static int swiotlb_setup(const struct eal_config *cfg)
{
	size_t size = (size_t)cfg->swiotlb_size & ~(((size_t)2 << 20) - 1);

	memset(&g_tlb, 0, sizeof(g_tlb));
	g_swiotlb.forced = cfg->swiotlb == SWIOTLB_FORCE;
	if (cfg->swiotlb == SWIOTLB_OFF)
		return 0;
	if (size == 0)
		size = 2UL << 20;
	if (!region_alloc(size)) {
		bool must = g_swiotlb.forced || cfg->swiotlb_size_set; /* asked for: an error */

		udma_log(must ? UDMA_LOG_ERR : UDMA_LOG_NOTICE, "udma_eal_init(): swiotlb: cannot "
			 "reserve %zu MiB%s", size >> 20, must ? " (--swiotlb=off runs without bouncing)" :
			 ": bouncing off");
		return must ? -ENOMEM : 0;
	}
	g_tlb.per_chunk = (uint32_t)(((size_t)1 << g_swiotlb.region.chunk_shift) >> SLOT_SHIFT);
	g_tlb.chunk_slot_shift = g_swiotlb.region.chunk_shift - SLOT_SHIFT;
	g_tlb.max_order = MAX_ORDER;
	while ((1u << g_tlb.max_order) > g_tlb.per_chunk)
		g_tlb.max_order--;
	g_tlb.nslots = (uint32_t)(size >> SLOT_SHIFT);
	g_tlb.s = calloc(g_tlb.nslots, sizeof(*g_tlb.s));
	/* per-lcore state on lines of its own: calloc aligns to 16 only */
	g_tlb.mags = aligned_alloc(64, UDMA_MAX_LCORES * sizeof(*g_tlb.mags));
	g_tlb.cnt = aligned_alloc(64, (UDMA_MAX_LCORES + 1) * sizeof(*g_tlb.cnt));
	if (g_tlb.s == NULL || g_tlb.mags == NULL || g_tlb.cnt == NULL)
		return -ENOMEM;
	memset(g_tlb.mags, 0, UDMA_MAX_LCORES * sizeof(*g_tlb.mags));
	memset(g_tlb.cnt, 0, (UDMA_MAX_LCORES + 1) * sizeof(*g_tlb.cnt));
	for (int o = 0; o <= MAX_ORDER; o++)
		g_tlb.free[o] = NIL;
	for (uint32_t i = 0; i < g_tlb.nslots; i++)
		g_tlb.s[i].order = -1;
	for (uint32_t i = 0; i < g_tlb.nslots; i += 1u << g_tlb.max_order)
		buddy_push((int32_t)i, g_tlb.max_order);
	g_tlb.asym = membarrier_register();
	g_tlb.avx2 = __builtin_cpu_supports("avx2");
	g_tlb.vec_span = g_tlb.avx2 ? COPY_VEC_MAX - COPY_VEC_MIN + 1 : 0;
	g_tlb.on = true;
	/* the magazines' orders, as far as the chunks allow */
	g_tlb.fast_size = SLOT << (g_tlb.max_order < CACHED_ORDERS - 1 ? g_tlb.max_order
								   : CACHED_ORDERS - 1);
	return 0;
}

static void swiotlb_teardown(void)
{
	free(g_tlb.s);
	free(g_tlb.mags);
	free(g_tlb.cnt);
	memset(&g_tlb, 0, sizeof(g_tlb));
	g_swiotlb.forced = false;
	region_free();
}


/* the last hook to run: every setting it depends on is known by then */
static int map_direct_init(const struct eal_config *cfg)
{
	g_dma.map_direct = g_iova.ops && !g_iova.ops->remaps && !g_iova.ops->dma_ops &&
		       cfg->swiotlb != SWIOTLB_FORCE && !cfg->dma_debug;
	__atomic_store_n(&g_dma.unmap_direct, g_dma.map_direct && !reg_active(), __ATOMIC_RELAXED);
	g_swiotlb.fast = g_tlb.on && g_iova.ops && !g_iova.ops->dma_ops && !cfg->dma_debug;
	return 0;
}

static void map_direct_fini(void)
{
	g_swiotlb.fast = false;
	g_dma.map_direct = false;
	__atomic_store_n(&g_dma.unmap_direct, false, __ATOMIC_RELAXED);
}

static const struct eal_hook g_direct_hook = {
	.name = "map-direct", .init = map_direct_init, .fini = map_direct_fini,
};

static const struct eal_hook g_tlb_hook = {
	.name = "swiotlb", .init = swiotlb_setup, .fini = swiotlb_teardown,
};

__attribute__((constructor)) static void swiotlb_register(void)
{
	eal_hook_register(&g_tlb_hook, EAL_STAGE_SWIOTLB);
	eal_hook_register(&g_direct_hook, EAL_STAGE_MAP_DIRECT);
	lcore_flush_register(mags_flush);
}
