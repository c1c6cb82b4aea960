/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internals the inline fast paths of other udma headers read (DPDK's _pvt style).
 * Not an API: names and layout may change between releases. Use udma_lcore_id().
 */
#ifndef UDMA_EAL_PVT_H
#define UDMA_EAL_PVT_H

#include "udma_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @internal The calling thread's lcore slot (read it with udma_lcore_id()). */
UDMA_API extern __thread unsigned int udma_pvt_lcore_id __attribute__((tls_model("initial-exec")));
/** @internal The init generation the thread's slot belongs to. */
UDMA_API extern __thread unsigned int udma_pvt_lcore_gen __attribute__((tls_model("initial-exec")));
/** @internal The current init generation, bumped at init and cleanup. */
UDMA_API extern unsigned int udma_pvt_gen;
/**
 * @internal The calling thread's lcore slot and its init generation in one word:
 * udma_pvt_lcore_slot_base(generation) + slot, UINT32_MAX when the thread holds
 * none. A per-lcore table made in one generation finds its index with one
 * subtraction and one compare (udma_pool_pvt.h): a slot of an earlier init falls
 * outside it, as UINT32_MAX does.
 */
UDMA_API extern __thread unsigned int udma_pvt_lcore_slot __attribute__((tls_model("initial-exec")));

/** @internal Generations udma_pvt_lcore_slot tells apart before it wraps. */
#define UDMA_PVT_SLOT_GENS (0xffffffffu / UDMA_MAX_LCORES - 1u)

/*
 * The first udma_pvt_lcore_slot value of generation @gen: at most
 * 0xffffffff - 2 * UDMA_MAX_LCORES + 1, so base + slot never reaches UINT32_MAX
 * (no slot) and no slot value of another generation lands within UDMA_MAX_LCORES
 * of it (until the generations wrap, after UDMA_PVT_SLOT_GENS inits and cleanups).
 */
static inline unsigned int udma_pvt_lcore_slot_base(unsigned int gen)
{
	return (gen % UDMA_PVT_SLOT_GENS) * (unsigned int)UDMA_MAX_LCORES;
}

/* the lcore id for inline fast paths: a slot from an earlier init reads as none */
static inline unsigned int udma_pvt_lcore(void)
{
	if (udma_unlikely(udma_pvt_lcore_gen != __atomic_load_n(&udma_pvt_gen, __ATOMIC_RELAXED)))
		return ~0u;
	return udma_pvt_lcore_id;
}

/**
 * @internal A heap memory provider (drivers/env/dpdk): when one is set before
 * udma_eal_init(), every chunk of udma's memsegs (coherent memory, pools,
 * noncoherent memory, the swiotlb region) comes from it instead of hugepage files
 * of udma's own. Not an API: for udma's environment drivers only.
 */
struct udma_pvt_mem_provider {
	/** in logs and udma_dump() */
	const char *name;
	/** the size of the pages it places (2 MiB, 1 GiB): udma's memseg page size */
	size_t page_size;
	/**
	 * Place @p len bytes (a multiple of page_size) of memory on NUMA node @p node at
	 * @p va (MAP_FIXED over udma's PROT_NONE reservation), the pages populated and
	 * shared with their owner. @p mode is the IOVA mode udma runs in (an enum
	 * udma_iova_mode): fill @p iova, one entry per page, with the IOVA the hardware
	 * sees and return 1, or return 0 and leave the IOVAs to udma's mode (sim).
	 * *@p cookie is given back to shrink(). A negative errno when the memory cannot
	 * be had (nothing placed).
	 */
	int (*grow)(void *ctx, int node, void *va, size_t len, int mode, udma_addr_t *iova,
		    void **cookie);
	/** Give back what grow() placed at @p va (udma has unmapped it already). */
	void (*shrink)(void *ctx, void *va, size_t len, void *cookie);
	/** passed to grow() and shrink() */
	void *ctx;
};

/**
 * @internal Take udma's memory from @p p at the next udma_eal_init() (copied; NULL:
 * hugepage files of udma's own again). Serves that one init: udma_eal_cleanup()
 * gives every chunk back through shrink() and forgets the provider.
 * @return 0; -EINVAL (NULL hooks, a page size not a power of two of at least
 *         4 KiB); -EBUSY while udma is initialised.
 */
UDMA_API int udma_pvt_mem_provider_set(const struct udma_pvt_mem_provider *p);

/**
 * @internal Allocations udma's users hold in its heap: coherent and noncoherent
 * memory and pool slabs of live devices (udma's own swiotlb region not counted).
 * @return the number of live allocations, 0 when none or udma is not initialised.
 */
UDMA_API unsigned long udma_pvt_heap_live(void);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_EAL_PVT_H */
