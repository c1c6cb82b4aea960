/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dmapool: pools of small coherent blocks with alignment and
 * boundary rules, for descriptors on the data path.
 *
 * Blocks carry no header: slabs are aligned to their own size, so a block finds
 * its slab (and the slab's IOVA) by masking its address. Each lcore owns a cache
 * (an array: no atomic, no lock on alloc or free); a lock-free depot trades whole
 * magazines (intrusive chains of free blocks) between lcores with one CAS each.
 * Threads without an lcore slot share one locked cache.
 */
#ifndef UDMA_POOL_H
#define UDMA_POOL_H

#include "udma_dma.h"
#include "udma_pool_pvt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A pool of coherent blocks: Linux's struct dma_pool. Opaque. */
struct udma_pool;

/** Optional creation parameters; zero means "default" for every field. */
struct udma_pool_params {
	size_t struct_size;      /**< sizeof(struct udma_pool_params), for ABI growth */
	unsigned int cache_size; /**< per-lcore cache, blocks (default 256, max 1024) */
	int numa_node;           /**< node of the slabs (default: the device's; -1 too) */
	unsigned int initial_blocks; /**< blocks carved at create (ATOMIC can use them); more than memory holds: ENOMEM at once */
	unsigned int max_blocks; /**< cap on blocks ever carved (0: no cap; >= initial_blocks) */
	unsigned int flags;      /**< UDMA_POOL_F_* */
	uint64_t reserved[4];    /**< must be 0 */
};

/** Poison freed blocks and track allocation state: exact double-free detection. */
#define UDMA_POOL_F_DEBUG 0x1u

/**
 * Create a pool (Linux: dma_pool_create).
 * @param name for diagnostics, 1..31 characters.
 * @param dev the device; slabs come from its coherent memory, under its coherent
 *        mask, on its node.
 * @param size block size in bytes, 1..1 MiB.
 * @param align 0 (natural: the largest power of two dividing the size rounded to
 *        8, at most 4096) or a power of two <= 1 MiB; every block is aligned in VA
 *        and IOVA, to at least 8 bytes (a free block holds the pool's links).
 * @param boundary 0 or a power of two >= size: no block crosses a multiple of it,
 *        in VA or in IOVA.
 * @return the pool, or NULL with errno EINVAL (one log line) or ENOMEM.
 *         Thread-safe; may block.
 */
UDMA_API struct udma_pool *udma_pool_create(const char *name, struct udma_device *dev, size_t size,
					    size_t align, size_t boundary);

/**
 * udma_pool_create() with parameters (cache size, node, initial and maximum
 * blocks, debug). @p params may be NULL (defaults). Returns as udma_pool_create().
 */
UDMA_API struct udma_pool *udma_pool_create_params(const char *name, struct udma_device *dev,
						   size_t size, size_t align, size_t boundary,
						   const struct udma_pool_params *params);

/** @cond INTERNAL (not API: the INTERNAL version node) */
/**
 * @internal
 * Is @p abi (UDMA_POOL_PVT_ABI as the caller was compiled) the library's inline
 * layout? udma_pool_create() and udma_pool_create_params() call it from the
 * application's side, so an application built against another layout (another
 * udma version or UDMA_MAX_LCORES) cannot create a pool its inline paths would
 * misread. In the INTERNAL version node.
 * @return 1 when it is; 0 with errno EPROTO and one log line naming both layouts.
 */
UDMA_API int udma_pvt_pool_abi_check(uint64_t abi);

#ifndef UDMA_BUILDING_LIB
/** Creation checks the caller's inline layout first (udma_pvt_pool_abi_check()). */
#define udma_pool_create(name, dev, size, align, boundary)                               \
	(udma_pvt_pool_abi_check(UDMA_POOL_PVT_ABI)                                       \
		 ? (udma_pool_create)(name, dev, size, align, boundary)                   \
		 : (struct udma_pool *)0)
/** Creation checks the caller's inline layout first (udma_pvt_pool_abi_check()). */
#define udma_pool_create_params(name, dev, size, align, boundary, params)               \
	(udma_pvt_pool_abi_check(UDMA_POOL_PVT_ABI)                                       \
		 ? (udma_pool_create_params)(name, dev, size, align, boundary, params)    \
		 : (struct udma_pool *)0)
#endif
/** @endcond */

/**
 * Allocate a block (Linux: dma_pool_alloc). Contents are undefined.
 * @param pool the pool.
 * @param gfp UDMA_GFP_ATOMIC never blocks and never makes a syscall (only
 *        memory already carved or reserved); UDMA_GFP_KERNEL may grow the pool.
 * @param handle receives the block's IOVA (UDMA_MAPPING_ERROR when the call fails).
 * @return the CPU address, or NULL with errno EINVAL (bad argument) or ENOMEM.
 *         Thread-safe; lock-free on a registered lcore.
 */
UDMA_API void *udma_pool_alloc(struct udma_pool *pool, udma_gfp_t gfp, udma_addr_t *handle);

/** @cond INTERNAL */
/**
 * @internal
 * The full path of udma_pool_alloc() out of line (refill, carving, growth, the
 * shared cache, debug, argument errors). Same contract as udma_pool_alloc(). Not
 * API: in the INTERNAL version node, it may change with the inline layout
 * (UDMA_POOL_PVT_ABI).
 */
UDMA_API void *udma_pool_alloc_slow(struct udma_pool *pool, udma_gfp_t gfp, udma_addr_t *handle);
/** @endcond */

/**
 * The out-of-line rest of the inline udma_pool_alloc(), after its one check
 * (internal: the inline path's continuation; call udma_pool_alloc() instead). The
 * IOVA comes back in registers with the block: the caller's handle never reaches
 * the library, so the inline path can keep it in a register.
 * @param pool as udma_pool_alloc().
 * @param gfp as udma_pool_alloc().
 * @param has_handle whether the caller gave a handle pointer (for the log line).
 * @param verdict what udma_pvt_pool_alloc_check() returned for these arguments.
 * @return the block (NULL with errno as udma_pool_alloc()) and its IOVA
 *         (UDMA_MAPPING_ERROR with NULL).

 * @internal (the INTERNAL version node: not API)
 */
UDMA_API struct udma_pvt_pool_got udma_pvt_pool_alloc_slow(struct udma_pool *pool, udma_gfp_t gfp,
							   bool has_handle,
							   enum udma_pvt_pool_verdict verdict);

/** As udma_pool_alloc(), the block zeroed. */
UDMA_API void *udma_pool_zalloc(struct udma_pool *pool, udma_gfp_t gfp, udma_addr_t *handle);

/**
 * Return a block (Linux: dma_pool_free). @p vaddr and @p addr must be what
 * udma_pool_alloc() returned. Each block carries an in-use mark (one byte in its
 * slab's header), so a pointer this pool did not give out, a handle that does not
 * match, and a block that is already free (a double free) are each logged (one
 * line) and ignored: a block freed twice is never handed out twice. The one case
 * this does not cover without debug is two threads freeing the same block at the
 * same instant (a race in the caller); with UDMA_POOL_F_DEBUG (or --dma-debug) the
 * mark is swapped atomically so that is caught too, freed blocks are poisoned and a
 * write after free is reported at the next alloc. Thread-safe.
 */
UDMA_API void udma_pool_free(struct udma_pool *pool, void *vaddr, udma_addr_t addr);

/** @cond INTERNAL */
/**
 * @internal
 * The full path of udma_pool_free() out of line (flush, the shared cache, debug,
 * the error report). Same contract as udma_pool_free(). Not API: in the INTERNAL
 * version node.
 */
UDMA_API void udma_pool_free_slow(struct udma_pool *pool, void *vaddr, udma_addr_t addr);
/** @endcond */

/**
 * The out-of-line rest of the inline udma_pool_free(), after its one check
 * (internal: the inline path's continuation; call udma_pool_free() instead).
 * @param pool as udma_pool_free().
 * @param vaddr as udma_pool_free().
 * @param addr as udma_pool_free().
 * @param verdict what the check of udma_pvt_pool_free_check() found: a good block
 *        is UDMA_PVT_POOL_IN_USE, still marked (the inline path found no room, no
 *        lcore, or a debug pool); anything else is logged and the block left alone.

 * @internal (the INTERNAL version node: not API)
 */
UDMA_API void udma_pvt_pool_free_slow(struct udma_pool *pool, void *vaddr, udma_addr_t addr,
				      enum udma_pvt_pool_verdict verdict);

/**
 * Allocate @p n blocks, all or nothing.
 * @param pool the pool.
 * @param gfp as udma_pool_alloc().
 * @param vaddrs receives the n CPU addresses.
 * @param handles receives the n IOVAs; may be NULL when the caller does not need them.
 * @param n how many (> 0).
 * @return 0, -ENOMEM (nothing allocated) or -EINVAL.
 */
UDMA_API int udma_pool_alloc_bulk(struct udma_pool *pool, udma_gfp_t gfp, void **vaddrs,
				  udma_addr_t *handles, unsigned int n);

/**
 * Free @p n blocks. @p handles may be NULL (not checked then). Each bad entry
 * (as udma_pool_free() rejects: foreign, misplaced, wrong handle, already free) is
 * logged and skipped, and not counted as a free; the good ones are freed.
 */
UDMA_API void udma_pool_free_bulk(struct udma_pool *pool, void *const *vaddrs,
				  const udma_addr_t *handles, unsigned int n);

/**
 * The out-of-line rest of the inline udma_pool_alloc_bulk() (refill, carving, the
 * shared cache, debug, argument errors), when it could not serve the call from the
 * lcore's cache (internal: call udma_pool_alloc_bulk() instead).
 * @param pool as udma_pool_alloc_bulk().
 * @param gfp as udma_pool_alloc_bulk().
 * @param vaddrs as udma_pool_alloc_bulk().
 * @param handles as udma_pool_alloc_bulk().
 * @param n as udma_pool_alloc_bulk().
 * @return as udma_pool_alloc_bulk().
 * @internal (the INTERNAL version node: not API)
 */
UDMA_API int udma_pvt_pool_alloc_bulk_slow(struct udma_pool *pool, udma_gfp_t gfp,
					   void **vaddrs, udma_addr_t *handles, unsigned int n);

/**
 * The out-of-line rest of the inline udma_pool_free_bulk(): the blocks it did not
 * put in the lcore's cache (internal: call udma_pool_free_bulk() instead; it
 * trusts @p verdict).
 * @param pool as udma_pool_free_bulk().
 * @param vaddrs as udma_pool_free_bulk().
 * @param handles as udma_pool_free_bulk().
 * @param n as udma_pool_free_bulk().
 * @param verdict what the inline path found (and did) for vaddrs[0], or
 *        UDMA_PVT_POOL_UNCHECKED when it did not check it (today's inline path
 *        always passes UNCHECKED: it leaves every block it did not free untouched).
 * @internal (the INTERNAL version node: not API)
 */
UDMA_API void udma_pvt_pool_free_bulk_slow(struct udma_pool *pool, void *const *vaddrs,
					   const udma_addr_t *handles, unsigned int n,
					   enum udma_pvt_pool_verdict verdict);

/**
 * Destroy a pool (Linux: dma_pool_destroy). Blocks still in use are reported and
 * their slabs kept (a device may still write them), as Linux does. NULL is ignored.
 */
UDMA_API void udma_pool_destroy(struct udma_pool *pool);

/**
 * udma_pool_alloc() with its fast path inline: one check of the arguments, then a
 * pop from the calling lcore's cache when it can, else the library's slow path with
 * the verdict. Applications get this whenever they call udma_pool_alloc(); the
 * exported function is the same code out of line.
 */
static inline void *udma_pool_alloc_inline(struct udma_pool *pool, udma_gfp_t gfp,
					   udma_addr_t *handle)
{
	enum udma_pvt_pool_verdict v = udma_pvt_pool_alloc_check(pool, gfp, handle);

	if (udma_likely(v == UDMA_PVT_POOL_OK)) {
		const struct udma_pool_pvt *p = (const struct udma_pool_pvt *)(void *)pool;
		unsigned int i = udma_pvt_pool_lcore(p);

		/* a debug pool's caches are empty: the library marks and checks */
		if (udma_likely(i < UDMA_MAX_LCORES)) {
			struct udma_pool_cache_pvt *c = p->cache[i];

			if (udma_likely(c->len > 0))
				return udma_pvt_pool_take(p, c, handle);
		}
	}
	{
		struct udma_pvt_pool_got g = udma_pvt_pool_alloc_slow(pool, gfp, handle != NULL, v);

		if (handle != NULL)
			*handle = g.handle;
		return g.vaddr;
	}
}

/**
 * udma_pool_free() with its fast path inline: the one check of the library (the
 * pool, the block in one of its slabs, a block start, the handle, in use), then,
 * when the calling lcore's cache has room, the block's in-use byte cleared and a
 * push; anything else goes with the verdict to the library's slow path (a good
 * block still marked: UDMA_PVT_POOL_IN_USE). A debug pool's caches have no room.
 */
static inline void udma_pool_free_inline(struct udma_pool *pool, void *vaddr, udma_addr_t addr)
{
	enum udma_pvt_pool_verdict v = UDMA_PVT_POOL_BAD_POOL;

	if (udma_likely(udma_pvt_pool_is(pool))) {
		const struct udma_pool_pvt *p = (const struct udma_pool_pvt *)(void *)pool;
		unsigned int i = udma_pvt_pool_lcore(p);
		const uintptr_t s = udma_pvt_slab_of(p, vaddr);
		uint8_t *mark;

		if (udma_likely(i < UDMA_MAX_LCORES)) {
			/* the lcore's last slab needs no slab bit */
			struct udma_pool_cache_pvt *c = p->cache[i];

			v = udma_pvt_block_find(p, vaddr, s, addr, true, c->slab, &mark);
			if (udma_likely(v == UDMA_PVT_POOL_OK)) {
				uint32_t len = c->len;

				if (udma_likely(len < c->cap)) { /* never the empty cache */
					__atomic_store_n(mark, 0, __ATOMIC_RELAXED);
					udma_pvt_cache_objs(c)[len] = vaddr;
					c->len = len + 1;
					c->slab = s;
					return;
				}
				v = UDMA_PVT_POOL_IN_USE;
			}
		} else {
			v = udma_pvt_block_find(p, vaddr, s, addr, true, 1, &mark);
			if (v == UDMA_PVT_POOL_OK)
				v = UDMA_PVT_POOL_IN_USE;
		}
	}
	udma_pvt_pool_free_slow(pool, vaddr, addr, v);
}

/**
 * udma_pool_alloc_bulk() with its fast path inline: when the lcore's cache holds
 * @p n blocks, a copy of n pointers out of it that also gives their IOVAs (the slab's
 * IOVA plus the offset), then each block marked in use (udma_pvt_pool_hand_out()).
 * Anything else goes to the library's slow path.
 */
static inline int udma_pool_alloc_bulk_inline(struct udma_pool *pool, udma_gfp_t gfp,
					      void **vaddrs, udma_addr_t *handles, unsigned int n)
{
	if (udma_likely(udma_pvt_pool_is(pool) && vaddrs != NULL && n > 0 &&
			udma_pvt_gfp_ok(gfp))) {
		const struct udma_pool_pvt *p = (const struct udma_pool_pvt *)(void *)pool;
		struct udma_pool_cache_pvt *c = udma_pvt_pool_cache(p);

		if (udma_likely(c != NULL && c->len >= n)) {
			c->len -= n;
			c->allocs += n;
			udma_pvt_pool_hand_out(p, &udma_pvt_cache_objs(c)[c->len], vaddrs, handles, n);
			return 0;
		}
	}
	return udma_pvt_pool_alloc_bulk_slow(pool, gfp, vaddrs, handles, n);
}

/**
 * udma_pool_free_bulk() with its fast path inline, run by run of blocks from one
 * slab (udma_pvt_free_runs(): the slab's bit once a run, udma_pvt_run_ok() with no
 * branch per block, the pointers copied into the lcore's cache on the way, then
 * udma_pvt_run_release(), each block's in-use byte tested and cleared). A bad block
 * (from it on, untouched), a full cache, a debug pool or an unregistered thread go
 * to the library's slow path.
 */
static inline void udma_pool_free_bulk_inline(struct udma_pool *pool, void *const *vaddrs,
					      const udma_addr_t *handles, unsigned int n)
{
	unsigned int done = 0;

	if (udma_likely(udma_pvt_pool_is(pool) && vaddrs != NULL)) {
		const struct udma_pool_pvt *p = (const struct udma_pool_pvt *)(void *)pool;
		struct udma_pool_cache_pvt *c = udma_pvt_pool_cache(p);

		if (udma_likely(c != NULL && n > 0 && c->cap - c->len >= n &&
				p->boundary == p->slab_size)) {
			done = udma_pvt_free_runs(p, vaddrs, handles, n,
						  &udma_pvt_cache_objs(c)[c->len]);
			c->len += done;
			if (udma_likely(done == n))
				return;
		} else if (n == 0) {
			return;
		}
	}
	udma_pvt_pool_free_bulk_slow(pool, done ? vaddrs + done : vaddrs,
				     handles && done ? handles + done : handles, n - done,
				     UDMA_PVT_POOL_UNCHECKED);
}

#ifndef UDMA_BUILDING_LIB
/** Calls take the inline fast path; &udma_pool_alloc is still the exported function. */
#define udma_pool_alloc(pool, gfp, handle) udma_pool_alloc_inline(pool, gfp, handle)
/** Calls take the inline fast path; &udma_pool_free is still the exported function. */
#define udma_pool_free(pool, vaddr, addr) udma_pool_free_inline(pool, vaddr, addr)
/** Calls take the inline fast path; &udma_pool_alloc_bulk is still the exported function. */
#define udma_pool_alloc_bulk(pool, gfp, vaddrs, handles, n)                                     \
	udma_pool_alloc_bulk_inline(pool, gfp, vaddrs, handles, n)
/** Calls take the inline fast path; &udma_pool_free_bulk is still the exported function. */
#define udma_pool_free_bulk(pool, vaddrs, handles, n)                                            \
	udma_pool_free_bulk_inline(pool, vaddrs, handles, n)
#endif

/** Counters of a pool. */
struct udma_pool_stats {
	uint64_t in_use;        /**< blocks handed out and not freed */
	uint64_t free;          /**< blocks carved and free (caches + depot) */
	uint64_t cached[UDMA_MAX_LCORES]; /**< free blocks in each lcore's cache */
	uint64_t cached_shared; /**< free blocks in the shared (unregistered) cache */
	uint64_t depot;         /**< free blocks in the depot (magazines, spill stack) */
	uint64_t slabs;         /**< slabs */
	uint64_t capacity;      /**< blocks carved from slabs so far */
	uint64_t block_stride;  /**< bytes between blocks */
	uint64_t slab_size;     /**< bytes per slab */
	uint64_t bytes_held;    /**< every byte the pool holds: slabs and metadata */
	uint64_t allocs;        /**< blocks handed out by the caches */
	uint64_t frees;         /**< blocks returned to the caches */
	uint64_t refills;       /**< magazines or carvings brought into caches */
	uint64_t flushes;       /**< magazines sent from caches to the depot */
};

/** Fill @p st. @return 0 or -EINVAL. Thread-safe (a snapshot). */
UDMA_API int udma_pool_stats(struct udma_pool *pool, struct udma_pool_stats *st);

/** @return the pool's name, or NULL for a bad pool. */
UDMA_API const char *udma_pool_name(const struct udma_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_POOL_H */
