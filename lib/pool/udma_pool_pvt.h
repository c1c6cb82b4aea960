/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The inline fast paths of udma_pool_alloc() and udma_pool_free(), and the part of
 * a pool's layout they read (DPDK's _pvt style). Not an API: names and layout may
 * change between releases. Everything else goes through the library.
 */
#ifndef UDMA_POOL_PVT_H
#define UDMA_POOL_PVT_H

#include <stdbool.h>

#include "udma_eal_pvt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A per-lcore cache (internal). */
struct udma_pool_cache_pvt {
	uint32_t len;  /**< blocks in objs */
	uint32_t cap;  /**< room in objs */
	uint64_t allocs, frees, refills, flushes; /**< counters */
	void *objs[];  /**< the free blocks */
} __udma_cache_aligned;

/** The leading fields of every pool, read by the inline fast paths (internal). */
#define UDMA_POOL_PVT_FIELDS                                                              \
	uint64_t magic;                                                                        \
	uintptr_t slab_mask;     /* ~(slab_size - 1), 0 until the first slab */              \
	unsigned int slab_shift;                                                               \
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
	bool debug;                                                                            \
	struct udma_pool_cache_pvt *cache[UDMA_MAX_LCORES]

/** The view the inline fast paths take of a pool (internal). */
struct udma_pool_pvt {
	UDMA_POOL_PVT_FIELDS;
} __attribute__((may_alias));

#define UDMA_POOL_PVT_MAGIC 0x706f6f6c75646d61ULL
/** Where a slab header keeps the slab's IOVA (after its magic and pool pointer). */
#define UDMA_POOL_PVT_SLAB_IOVA 16

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

/* IOVA of a block: its slab's IOVA (found by masking) plus the offset */
static inline udma_addr_t udma_pvt_block_iova(const struct udma_pool_pvt *p, const void *b)
{
	uintptr_t s = (uintptr_t)b & p->slab_mask;

	return *(const udma_addr_t *)(s + UDMA_POOL_PVT_SLAB_IOVA) + ((uintptr_t)b - s);
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

/* the lcore's cache when the fast path applies (registered lcore, no debug), or NULL */
static inline struct udma_pool_cache_pvt *udma_pvt_pool_cache(const struct udma_pool_pvt *p)
{
	unsigned int lc = udma_pvt_lcore();

	return udma_likely(lc < UDMA_MAX_LCORES && !p->debug) ? p->cache[lc] : NULL;
}

/* a block from the lcore's cache, or NULL when the slow path must run */
static inline void *udma_pvt_pool_alloc_fast(void *pool, udma_gfp_t gfp, udma_addr_t *handle)
{
	const struct udma_pool_pvt *p = (const struct udma_pool_pvt *)pool;
	struct udma_pool_cache_pvt *c;
	void *b;

	if (udma_unlikely(!udma_pvt_pool_is(pool) || handle == NULL || gfp == 0 ||
			  (gfp & ~(UDMA_GFP_KERNEL | UDMA_GFP_ATOMIC))))
		return NULL;
	c = udma_pvt_pool_cache(p);
	if (udma_unlikely(c == NULL || c->len == 0))
		return NULL;
	b = c->objs[--c->len];
	c->allocs++;
	*handle = udma_pvt_block_iova(p, b);
	return b;
}

/* true when the block went into the lcore's cache; false: the slow path decides */
static inline bool udma_pvt_pool_free_fast(void *pool, void *b, udma_addr_t addr)
{
	const struct udma_pool_pvt *p = (const struct udma_pool_pvt *)pool;
	struct udma_pool_cache_pvt *c;
	uintptr_t s;

	if (udma_unlikely(!udma_pvt_pool_is(pool) || !udma_pvt_in_slab(p, b)))
		return false;
	s = (uintptr_t)b & p->slab_mask;
	if (udma_unlikely(!udma_pvt_block_start_ok(p, (uintptr_t)b - s) ||
			  *(const udma_addr_t *)(s + UDMA_POOL_PVT_SLAB_IOVA) + ((uintptr_t)b - s) !=
				  addr))
		return false;
	c = udma_pvt_pool_cache(p);
	if (udma_unlikely(c == NULL || c->len >= c->cap))
		return false;
	c->objs[c->len++] = b;
	c->frees++;
	return true;
}

#ifdef __cplusplus
}
#endif

#endif /* UDMA_POOL_PVT_H */
