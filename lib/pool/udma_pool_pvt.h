/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The inline fast paths of udma_pool_alloc() and udma_pool_free(), and the part of
 * a pool's layout they read (DPDK's _pvt style). Not an API: names and layout may
 * change between releases. Everything else goes through the library.
 *
 * One check per call: udma_pvt_pool_free_check() (and udma_pvt_pool_alloc_check())
 * returns a verdict; the inline path acts on a good one with the lcore's cache, and
 * anything else (a full or empty cache, an unregistered thread, a debug pool, a bad
 * argument) goes with its verdict to the one out-of-line slow function, which does
 * not check again.
 */
#ifndef UDMA_POOL_PVT_H
#define UDMA_POOL_PVT_H

#include <stdbool.h>

#include "udma_eal_pvt.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @internal
 * Version of the layout the inline fast paths read (this file): bump it with any
 * change to struct udma_pool_cache_pvt, UDMA_POOL_PVT_FIELDS, the slab header
 * offsets or the magic.
 */
#define UDMA_POOL_PVT_LAYOUT 3

/**
 * @internal A per-lcore cache. Its counters are on this lcore's lines only, and
 * only allocs is written on the fast paths: the frees are allocs + len + moved
 * (every other change of len is a refill or a flush, which count their blocks in
 * moved), so a free pays no counter.
 */
struct udma_pool_cache_pvt {
	uint32_t len;  /**< blocks in objs */
	uint32_t cap;  /**< room in objs (0: the pool's empty cache, udma_pvt_pool_lcore()) */
	uint64_t allocs;  /**< blocks handed out from objs */
	int64_t moved;    /**< blocks flushed out of objs less blocks refilled into it */
	uint64_t refills, flushes; /**< magazines (or carvings) in, magazines out */
	/** the slab of the block this lcore last freed inline: a slab of the pool, so
	 *  a free of a block in it needs no slab bit; 1 (never a slab) at first */
	uintptr_t slab;
#ifndef __cplusplus
	void *objs[];  /**< the free blocks (C++ has no flexible array: udma_pvt_cache_objs()) */
#endif
} __udma_cache_aligned;

/** @internal Where a cache's objs array starts: right after the counters. */
#define UDMA_POOL_CACHE_PVT_OBJS 48
#ifndef __cplusplus
_Static_assert(__builtin_offsetof(struct udma_pool_cache_pvt, objs) == UDMA_POOL_CACHE_PVT_OBJS,
	       "UDMA_POOL_CACHE_PVT_OBJS");
#endif

/** @internal The objs array of a cache (the same address in C and C++). */
static inline void **udma_pvt_cache_objs(struct udma_pool_cache_pvt *c)
{
	return (void **)(void *)((char *)c + UDMA_POOL_CACHE_PVT_OBJS);
}

/** The leading fields of every pool, read by the inline fast paths (internal). */
#define UDMA_POOL_PVT_FIELDS                                                              \
	uint64_t magic;                                                                        \
	uintptr_t slab_mask;     /* ~(slab_size - 1), 0 until the first slab */              \
	unsigned int slab_shift;                                                               \
	unsigned int lcore_base; /* udma_pvt_lcore_slot_base() of the pool's generation */   \
	uintptr_t bits_base;     /* the memseg reservation the slab bitmap covers */         \
	size_t bits_span;                                                                      \
	uint64_t *slab_bits;     /* one bit per slab-sized span: "a slab of this pool" */     \
	size_t slab_bits_len;                                                                  \
	size_t size;                                                                           \
	size_t stride;                                                                         \
	size_t slab_size;                                                                      \
	size_t first_off;                                                                      \
	size_t boundary;         /* effective: a power of two, <= slab_size */               \
	unsigned int boundary_shift;                                                           \
	uint64_t stride_magic;   /* UINT64_MAX / stride + 1: divisibility in one multiply */ \
	uintptr_t start_mask;    /* stride - 1 for a power-of-two stride and one segment  \
				    a slab, else 0 (udma_pvt_block_check()) */            \
	uintptr_t start_test;    /* start_mask when it is not 0, else ~0: one test that   \
				    passes only block starts (udma_pvt_block_find()) */   \
	unsigned int mark_shift; /* log2 of the largest power of two <= stride */           \
	bool debug;              /* read by the library: the inline paths see empty caches */\
	/* per lcore slot: its cache, or the empty cache of no room (len 0, cap 0) when \
	   the slot has none or the pool is a debug pool: never NULL */                 \
	struct udma_pool_cache_pvt *cache[UDMA_MAX_LCORES]

/** The view the inline fast paths take of a pool (internal). */
struct udma_pool_pvt {
	UDMA_POOL_PVT_FIELDS;
} __attribute__((may_alias));

/** A live pool's first 8 bytes (internal). */
#define UDMA_POOL_PVT_MAGIC 0x706f6f6c75646d61ULL

/**
 * @internal
 * What an application's inline fast paths were compiled for: the layout version,
 * UDMA_MAX_LCORES, the cache line size and the size of the pool view. Checked by
 * udma_pool_create() (udma_pvt_pool_abi_check()): an application built against
 * another layout gets NULL, errno EPROTO and a log line naming both.
 */
#define UDMA_POOL_PVT_ABI                                                                \
	(((uint64_t)UDMA_POOL_PVT_LAYOUT << 48) | ((uint64_t)UDMA_MAX_LCORES << 32) |   \
	 ((uint64_t)UDMA_CACHE_LINE_SIZE << 24) | (uint64_t)sizeof(struct udma_pool_pvt))
/** Where a slab header keeps the slab's IOVA (after its magic and pool pointer). */
#define UDMA_POOL_PVT_SLAB_IOVA 16
/** Where a slab header's in-use map starts: one byte per block, 1 while handed out. */
#define UDMA_POOL_PVT_SLAB_INUSE 40

/** What the inline check found (internal): the slow path acts on it, never checks again. */
enum udma_pvt_pool_verdict {
	UDMA_PVT_POOL_OK = 0,        /**< free: a block in use, now marked free; alloc: good arguments */
	UDMA_PVT_POOL_DEBUG,         /**< free: a block in use of a debug pool, still marked */
	UDMA_PVT_POOL_BAD_POOL,      /**< not a live pool */
	UDMA_PVT_POOL_BAD_ARG,       /**< alloc: no handle pointer, or bad gfp flags */
	UDMA_PVT_POOL_FOREIGN,       /**< free: not in a slab of this pool */
	UDMA_PVT_POOL_MISPLACED,     /**< free: inside a slab, not a block start */
	UDMA_PVT_POOL_BAD_HANDLE,    /**< free: the handle is not the block's IOVA */
	UDMA_PVT_POOL_NOT_IN_USE,    /**< free: the block is free already (a double free) */
	UDMA_PVT_POOL_UNCHECKED,     /**< bulk free: the inline path did not check the first block */
	UDMA_PVT_POOL_IN_USE,        /**< free: a good block in use, still marked: the slow path frees it */
};

/** @internal A block and its IOVA, as the alloc slow path returns them (in registers). */
struct udma_pvt_pool_got {
	void *vaddr;        /**< the block, or NULL */
	udma_addr_t handle; /**< its IOVA, UDMA_MAPPING_ERROR when vaddr is NULL */
};

/* is @pool a live pool? (the magic read as bytes: a bogus pointer may be misaligned) */
static inline bool udma_pvt_pool_is(const void *pool)
{
	uint64_t magic = 0;

	if (udma_likely(pool != NULL))
		__builtin_memcpy(&magic, pool, sizeof(magic));
#ifdef UDMA_PERF_INJECT_DELAY /* test builds only (-Dperf_inject_delay=true): a slower fast path for devtools/perf-regress to catch */
	for (volatile int udma_inject_i = 0; udma_inject_i < UDMA_PERF_INJECT_DELAY; udma_inject_i++)
		;
#endif
	return magic == UDMA_POOL_PVT_MAGIC;
}

/* the slab holding block @b */
static inline uintptr_t udma_pvt_slab_of(const struct udma_pool_pvt *p, const void *b)
{
	return (uintptr_t)b & p->slab_mask;
}

/* IOVA of a block: its slab's IOVA (found by masking) plus the offset */
static inline udma_addr_t udma_pvt_block_iova(const struct udma_pool_pvt *p, const void *b)
{
	uintptr_t s = udma_pvt_slab_of(p, b);

	return *(const udma_addr_t *)(s + UDMA_POOL_PVT_SLAB_IOVA) + ((uintptr_t)b - s);
}

/* the in-use byte of the block at @b of the slab at @s (udma_pvt_block_mark()) */
static inline uint8_t *udma_pvt_slab_block_mark(const struct udma_pool_pvt *p, uintptr_t s,
						const void *b)
{
	return (uint8_t *)(s + UDMA_POOL_PVT_SLAB_INUSE + (((uintptr_t)b - s) >> p->mark_shift));
}

/*
 * The in-use byte of the block at @b: blocks are at least a stride apart, so their
 * offsets shifted by log2 of the power of two at or below the stride are unique.
 */
static inline uint8_t *udma_pvt_block_mark(const struct udma_pool_pvt *p, const void *b)
{
	return udma_pvt_slab_block_mark(p, udma_pvt_slab_of(p, b), b);
}

/*
 * Is @off (from the slab start) where a block starts? Blocks sit at base + k *
 * stride in each boundary segment; divisibility by the stride is one multiply.
 */
static inline bool udma_pvt_block_start_ok(const struct udma_pool_pvt *p, size_t off)
{
	size_t seg, base;

	if (udma_likely(p->boundary == p->slab_size)) /* one segment: the common case */
		return off >= p->first_off && off + p->size <= p->slab_size &&
		       (uint64_t)(uint32_t)(off - p->first_off) * p->stride_magic <=
			       p->stride_magic - 1;
	seg = off >> p->boundary_shift;
	/* segments up to the first block's hold the header: nothing starts before first_off */
	base = seg <= (p->first_off >> p->boundary_shift) ? p->first_off : seg << p->boundary_shift;
	return off >= base && off + p->size <= p->slab_size &&
	       (off & (p->boundary - 1)) + p->size <= p->boundary &&
	       (uint64_t)(uint32_t)(off - base) * p->stride_magic <= p->stride_magic - 1;
}

/* is @b in a slab of @p? one range check and one bit test, no dereference of @b */
static inline bool udma_pvt_in_slab(const struct udma_pool_pvt *p, const void *b)
{
	uintptr_t off = (uintptr_t)b - p->bits_base;
	size_t idx = off >> p->slab_shift;

	if (udma_unlikely(off >= p->bits_span))
		return false;
	return (__atomic_load_n(&p->slab_bits[idx / 64], __ATOMIC_ACQUIRE) >> (idx % 64)) & 1;
}

/*
 * The block half of the one check of a free, read-only: @b (in the slab-sized span
 * at @s: udma_pvt_slab_of()) in a slab of @p (@known is one, or 1: then the slab's
 * bit decides) at a block start, @addr its IOVA (when
 * @check_addr), and the block in use; *@mark is its in-use byte when the verdict
 * is OK (the block is still marked: the caller clears the byte when it takes the
 * block, so the block can go into a cache only once). Slabs live as long as their
 * pool, so a slab found once stays one.
 */
static inline enum udma_pvt_pool_verdict udma_pvt_block_find(const struct udma_pool_pvt *p,
							    const void *b, uintptr_t s,
							    udma_addr_t addr, bool check_addr,
							    uintptr_t known, uint8_t **mark)
{
	if (udma_unlikely(s != known && !udma_pvt_in_slab(p, b)))
		return UDMA_PVT_POOL_FOREIGN;
	/* a power-of-two stride: a block's residue (the slab is aligned past the
	 * stride, so b's low bits are its offset's). A start in the header or past the
	 * last whole block has an in-use byte that is never set: it comes out
	 * NOT_IN_USE (or BAD_HANDLE), and the library names it misplaced. Other
	 * strides: start_test is ~0, and the exact test (one multiply) decides */
	if (udma_unlikely((((uintptr_t)b - p->first_off) & p->start_test) != 0) &&
	    (p->start_mask != 0 ||
	     !udma_pvt_block_start_ok(p, (uintptr_t)b - s)))
		return UDMA_PVT_POOL_MISPLACED;
	if (udma_unlikely(check_addr && *(const udma_addr_t *)(s + UDMA_POOL_PVT_SLAB_IOVA) +
						       ((uintptr_t)b - s) != addr))
		return UDMA_PVT_POOL_BAD_HANDLE;
	*mark = udma_pvt_slab_block_mark(p, s, b);
	if (udma_unlikely(__atomic_load_n(*mark, __ATOMIC_RELAXED) == 0))
		return UDMA_PVT_POOL_NOT_IN_USE;
	return UDMA_PVT_POOL_OK;
}

/*
 * udma_pvt_block_find(), then a good block of a pool without debug marked free
 * (one store of its byte). A debug pool leaves the mark to the slow path
 * (UDMA_PVT_POOL_DEBUG).
 */
static inline enum udma_pvt_pool_verdict udma_pvt_block_check(const struct udma_pool_pvt *p,
							     const void *b, udma_addr_t addr,
							     bool check_addr)
{
	uint8_t *mark;
	enum udma_pvt_pool_verdict v =
		udma_pvt_block_find(p, b, udma_pvt_slab_of(p, b), addr, check_addr, 1, &mark);

	if (udma_unlikely(v != UDMA_PVT_POOL_OK))
		return v;
	if (udma_unlikely(p->debug))
		return UDMA_PVT_POOL_DEBUG;
	__atomic_store_n(mark, 0, __ATOMIC_RELAXED);
	return UDMA_PVT_POOL_OK;
}

/*
 * The one check of a single free outside the inline path: a live pool, then the
 * block (udma_pvt_block_find(), read-only). A good block comes out
 * UDMA_PVT_POOL_IN_USE, still marked: the verdict udma_pvt_pool_free_slow() frees.
 */
static inline enum udma_pvt_pool_verdict udma_pvt_pool_free_check(const void *pool, const void *b,
								 udma_addr_t addr)
{
	if (udma_unlikely(!udma_pvt_pool_is(pool)))
		return UDMA_PVT_POOL_BAD_POOL;
	const struct udma_pool_pvt *p = (const struct udma_pool_pvt *)pool;
	uint8_t *mark;
	enum udma_pvt_pool_verdict v =
		udma_pvt_block_find(p, b, udma_pvt_slab_of(p, b), addr, true, 1, &mark);

	return v == UDMA_PVT_POOL_OK ? UDMA_PVT_POOL_IN_USE : v;
}

/* are these gfp flags good? (GFP_KERNEL and/or GFP_ATOMIC, not none) */
static inline bool udma_pvt_gfp_ok(udma_gfp_t gfp)
{
	return gfp != 0 && !(gfp & ~(UDMA_GFP_KERNEL | UDMA_GFP_ATOMIC));
}

/* the one check of an alloc: a live pool, a handle pointer, good gfp flags */
static inline enum udma_pvt_pool_verdict udma_pvt_pool_alloc_check(const void *pool, udma_gfp_t gfp,
								  const udma_addr_t *handle)
{
	if (udma_unlikely(!udma_pvt_pool_is(pool)))
		return UDMA_PVT_POOL_BAD_POOL;
	if (udma_unlikely(handle == NULL || !udma_pvt_gfp_ok(gfp)))
		return UDMA_PVT_POOL_BAD_ARG;
	return UDMA_PVT_POOL_OK;
}

/*
 * The calling thread's index in @p's cache table: its lcore slot, or UDMA_MAX_LCORES
 * or more when it has none in the pool's init generation (an unregistered thread,
 * a slot of an earlier init). One TLS load and one subtraction (udma_eal_pvt.h).
 */
static inline unsigned int udma_pvt_pool_lcore(const struct udma_pool_pvt *p)
{
	return udma_pvt_lcore_slot - p->lcore_base;
}

/*
 * The lcore's cache for the bulk fast paths, or NULL (no lcore slot in the current
 * init): indexed by the lcore id alone (udma_pvt_lcore(), thread-local words only),
 * as the library's slow paths index it, not through the pool's lcore_base
 * (udma_pvt_pool_lcore()). With the pool's field in the chain that gives the
 * cache, pool/bulk n:16 read ~52 ns in most processes and ~30 ns in others
 * (the same binary, placement alone); with the thread-local index every process
 * reads ~29 ns. The single pair keeps udma_pvt_pool_lcore() (one TLS load). A
 * debug pool's caches, and a slot's the pool made no cache for, are the empty cache
 * of no room: the fast paths find no block and no room in it and go to the library.
 */
static inline struct udma_pool_cache_pvt *udma_pvt_pool_cache(const struct udma_pool_pvt *p)
{
	unsigned int lc = udma_pvt_lcore();

	return udma_likely(lc < UDMA_MAX_LCORES) ? p->cache[lc] : NULL;
}

/*
 * a block of a cache, handed out: marked in use, its IOVA in *handle. Both are
 * found before any store (a store may alias @p): one load of the slab mask.
 */
static inline void *udma_pvt_pool_take(const struct udma_pool_pvt *p,
				       struct udma_pool_cache_pvt *c, udma_addr_t *handle)
{
	uint32_t len = c->len - 1;
	void *b = udma_pvt_cache_objs(c)[len];
	uint8_t *mark = udma_pvt_block_mark(p, b);
	udma_addr_t iova = udma_pvt_block_iova(p, b);

	c->len = len;
	c->allocs++;
	__atomic_store_n(mark, 1, __ATOMIC_RELAXED);
	*handle = iova;
	return b;
}

/* unroll the per-block byte loops (GCC; other compilers choose themselves) */
#if defined(__GNUC__) && !defined(__clang__)
#define UDMA_PVT_UNROLL4 _Pragma("GCC unroll 4")
#else
#define UDMA_PVT_UNROLL4
#endif

/*
 * Where the in-use bytes of the slab at @s are, as one base: block @b's byte is at
 * base + (b >> shift). The slab is aligned to its size, a multiple of 1 << shift,
 * so (b - s) >> shift == (b >> shift) - (s >> shift).
 */
static inline uintptr_t udma_pvt_slab_marks(uintptr_t s, unsigned int shift)
{
	return s + UDMA_POOL_PVT_SLAB_INUSE - (s >> shift);
}

/*
 * The end of the run of blocks of the slab at @s that starts at @i (v[i] is in it):
 * n when the last block is in that slab too, else, by bisection between v[i] (in
 * the slab) and v[n-1] (not), an index j where v[j-1] is in the slab and v[j] is
 * not. Blocks of one slab usually sit together (a cache pops what it pushed), so j
 * is the run's end; when they do not, the caller's run check finds another slab's
 * block in v[i..j) and the exact path takes over.
 */
static inline unsigned int udma_pvt_run_end(void *const *v, unsigned int i, unsigned int n,
					    uintptr_t s, uintptr_t mask)
{
	unsigned int hi = n - 1;

	if (udma_likely(((uintptr_t)v[hi] & mask) == s))
		return n;
	while (hi - i > 1) {
		unsigned int mid = i + (hi - i) / 2;

		if (((uintptr_t)v[mid] & mask) == s)
			i = mid;
		else
			hi = mid;
	}
	return hi;
}

/*
 * Blocks src[0..n) of the slab at @s leave a cache (udma_pvt_pool_hand_out()); false
 * when one turns out to be of another slab (nothing marked then).
 */
static inline bool udma_pvt_hand_out_run(uintptr_t s, uintptr_t mask, unsigned int shift,
					 void *const *src, void **dst, udma_addr_t *handles,
					 unsigned int n)
{
	const udma_addr_t iova = *(const udma_addr_t *)(s + UDMA_POOL_PVT_SLAB_IOVA);
	const uintptr_t marks = udma_pvt_slab_marks(s, shift);
	uintptr_t offs = 0;

	if (handles) {
		for (unsigned int k = 0; k < n; k++) {
			uintptr_t b = (uintptr_t)src[k], off = b - s;

			dst[k] = (void *)b;
			offs |= off;
			handles[k] = iova + off;
		}
	} else {
		for (unsigned int k = 0; k < n; k++) {
			uintptr_t b = (uintptr_t)src[k];

			dst[k] = (void *)b;
			offs |= b - s;
		}
	}
	if (udma_unlikely((offs & mask) != 0))
		return false;
	UDMA_PVT_UNROLL4
	for (unsigned int k = 0; k < n; k++)
		__atomic_store_n((uint8_t *)(marks + ((uintptr_t)dst[k] >> shift)), 1, __ATOMIC_RELAXED);
	return true;
}

/*
 * @n blocks leave a cache: copied from @src to @dst (the same array is fine), each
 * marked in use and, with @handles, its IOVA given. Run by run of blocks from one
 * slab (one run when the first and last blocks share a slab: the common case), each
 * in two loops with no branch per block: the copy, the IOVAs (the slab's IOVA plus
 * the offset) and a test that all offsets are below the slab size (their OR is),
 * which vectorise, then one byte store per block. A run that turns out to hold
 * another slab's block (A..B..A) takes a loop that looks at each block's slab.
 */
static inline void udma_pvt_pool_hand_out(const struct udma_pool_pvt *p, void *const *src,
					  void **dst, udma_addr_t *handles, unsigned int n)
{ /* n > 0 */
	/* the pool's fields in registers: a byte store may alias them */
	const uintptr_t mask = p->slab_mask;
	const unsigned int shift = p->mark_shift;
	unsigned int i = 0;

	/* first and last in one slab: the whole call at once (a constant n stays one) */
	if (udma_likely((((uintptr_t)src[0] ^ (uintptr_t)src[n - 1]) & mask) == 0 &&
			udma_pvt_hand_out_run((uintptr_t)src[0] & mask, mask, shift, src, dst,
					      handles, n)))
		return;
	while (i < n) {
		const uintptr_t s = (uintptr_t)src[i] & mask;
		const unsigned int j = udma_pvt_run_end(src, i, n, s, mask);
		uintptr_t last = ~(uintptr_t)0, base = 0; /* ~0: never a slab */

		if (udma_likely(udma_pvt_hand_out_run(s, mask, shift, src + i, dst + i,
						      handles ? handles + i : NULL, j - i))) {
			i = j;
			continue;
		}
		for (; i < j; i++) {
			uintptr_t b = (uintptr_t)src[i], sb = b & mask;

			dst[i] = (void *)b;
			if (sb != last) {
				last = sb;
				base = (uintptr_t)*(const udma_addr_t *)(sb + UDMA_POOL_PVT_SLAB_IOVA) - sb;
			}
			__atomic_store_n((uint8_t *)(sb + UDMA_POOL_PVT_SLAB_INUSE + ((b - sb) >> shift)),
					 1, __ATOMIC_RELAXED);
			if (handles)
				handles[i] = (udma_addr_t)(base + b);
		}
	}
}

/*
 * The read-only half of the check of a run v[0..n) of blocks freed together, for a
 * pool with one boundary segment a slab: is every block in the slab at @s (a slab of
 * @p: the caller checked its bit), at a block start as far as this test tells, and,
 * with @handles, is each handle its block's IOVA? Copies v[0..n) to @dst on the way
 * (the caller has room). No branch per block (the loops vectorise): each condition
 * is folded into an accumulator.
 *
 * With a power-of-two stride a block start is a multiple of the stride past
 * first_off; what this does not test, a start in the header or past the last whole
 * block, maps to an in-use byte that is never set, so udma_pvt_run_release() stops
 * there and the library's exact check finds it misplaced. Other strides test the range and
 * divisibility here (one multiply, udma_pvt_block_start_ok()).
 */
static inline bool udma_pvt_run_ok(const struct udma_pool_pvt *p, uintptr_t s, void *const *v,
				   const udma_addr_t *handles, unsigned int n, void **dst)
{
	const uintptr_t mask = p->slab_mask;
	const udma_addr_t iova = *(const udma_addr_t *)(s + UDMA_POOL_PVT_SLAB_IOVA);
	uintptr_t offs = 0;
	udma_addr_t hd = 0;

	if (udma_likely(p->start_mask != 0)) { /* a power-of-two stride */
		/* one accumulator: off ^ first_off has off's bits at and above the slab
		 * size (first_off is below it) and the residue test below the stride */
		const uintptr_t fo = p->first_off, sm = p->start_mask;

		if (handles) {
			for (unsigned int i = 0; i < n; i++) {
				uintptr_t b = (uintptr_t)v[i], off = b - s;

				dst[i] = (void *)b;
				offs |= off ^ fo;
				hd |= handles[i] ^ (iova + off);
			}
		} else {
			for (unsigned int i = 0; i < n; i++) {
				uintptr_t b = (uintptr_t)v[i];

				dst[i] = (void *)b;
				offs |= (b - s) ^ fo;
			}
		}
		return ((offs & (mask | sm)) | hd) == 0;
	} else {
		/* within one slab, first_off <= off <= last_start is the sign bits of
		 * off - first_off and last_start - off (all far below 2^62) */
		const uintptr_t fo = p->first_off, last_start = p->slab_size - p->size;
		const uint64_t magic = p->stride_magic;
		uintptr_t sign = 0, bad = 0;

		for (unsigned int i = 0; i < n; i++) {
			uintptr_t b = (uintptr_t)v[i], off = b - s, rel = off - fo;

			dst[i] = (void *)b;
			offs |= off;
			sign |= rel | (last_start - off);
			bad |= (uintptr_t)((uint64_t)(uint32_t)rel * magic > magic - 1);
			if (handles)
				hd |= handles[i] ^ (iova + off);
		}
		return ((offs & mask) | (sign >> 63) | bad | hd) == 0;
	}
}

/*
 * The in-use bytes of v[0..n) (blocks of the slab at @s that passed
 * udma_pvt_run_ok()) cleared, in order; stops at the first whose byte is clear (a
 * double free, a block twice in @v, or a start udma_pvt_run_ok() leaves to this
 * byte): returns its index, n when there is none.
 */
static inline unsigned int udma_pvt_run_release(uintptr_t s, unsigned int shift, void *const *v,
						unsigned int n)
{
	const uintptr_t marks = udma_pvt_slab_marks(s, shift);
	void *const *q = v, *const *end = v + n;

	UDMA_PVT_UNROLL4
	for (; q != end; q++) {
		uint8_t *mark = (uint8_t *)(marks + ((uintptr_t)*q >> shift));

		if (udma_unlikely(__atomic_load_n(mark, __ATOMIC_RELAXED) == 0))
			break;
		__atomic_store_n(mark, 0, __ATOMIC_RELAXED);
	}
	return (unsigned int)(q - v);
}

/*
 * A bulk free of a pool with one boundary segment a slab, run by run of blocks from
 * one slab (one run when the first and last blocks share a slab): the slab's bit,
 * udma_pvt_run_ok() (which copies the run to @dst), udma_pvt_run_release(). Returns
 * how many blocks, from the first, it freed: n, or where it stopped, the start of a
 * run that failed its checks or a block whose in-use byte was clear. That block and
 * the rest are untouched: the library's slow path names the bad one.
 */
static inline unsigned int udma_pvt_free_runs(const struct udma_pool_pvt *p, void *const *v,
					      const udma_addr_t *handles, unsigned int n,
					      void **dst)
{ /* n > 0 */
	const uintptr_t mask = p->slab_mask;
	const unsigned int shift = p->mark_shift;
	uintptr_t s = (uintptr_t)v[0] & mask;
	unsigned int i = 0;

	/* one slab: the whole call at once (a constant n stays constant) */
	if (udma_likely(((uintptr_t)v[n - 1] & mask) == s)) {
		if (udma_unlikely(!udma_pvt_in_slab(p, v[0]) ||
				  !udma_pvt_run_ok(p, s, v, handles, n, dst)))
			return 0;
		return udma_pvt_run_release(s, shift, v, n);
	}
	while (i < n) {
		const unsigned int j = udma_pvt_run_end(v, i, n, s = (uintptr_t)v[i] & mask, mask);
		unsigned int k;

		if (udma_unlikely(!udma_pvt_in_slab(p, v[i]) ||
				  !udma_pvt_run_ok(p, s, v + i, handles ? handles + i : NULL, j - i,
						   dst + i)))
			return i;
		k = udma_pvt_run_release(s, shift, v + i, j - i);
		if (udma_unlikely(k < j - i))
			return i + k;
		i = j;
	}
	return n;
}

#ifdef __cplusplus
}
#endif

#endif /* UDMA_POOL_PVT_H */
