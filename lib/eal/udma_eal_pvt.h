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

/* the lcore id for inline fast paths: a slot from an earlier init reads as none */
static inline unsigned int udma_pvt_lcore(void)
{
	if (udma_unlikely(udma_pvt_lcore_gen != __atomic_load_n(&udma_pvt_gen, __ATOMIC_RELAXED)))
		return ~0u;
	return udma_pvt_lcore_id;
}

#ifdef __cplusplus
}
#endif

#endif /* UDMA_EAL_PVT_H */
