/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dma-debug (`--dma-debug`): tracks every live mapping, coherent allocation and
 * pool block, and reports misuse with the device name, the call, the mapping's and
 * the caller's values, and where the mapping was made. One report per error,
 * rate-limited (`--dma-debug-limit=N`, 0 = all; default 32 printed, all counted).
 * The failing call still behaves as without debug. Off by default; off, it costs
 * one predictable branch on the fast paths.
 *
 * Classes: unmap/free of something never mapped; double unmap/free; size or
 * direction mismatch; wrong free function (single, page, sg, coherent,
 * noncoherent); sync outside a mapping or with the wrong direction; a mapping
 * whose udma_mapping_error() was never checked (reported at unmap); sg nents
 * mismatch; two mappings sharing a cache line (one of them written by the
 * device); pool free of a foreign or already-free block; leaks at
 * udma_device_destroy() and udma_pool_destroy().
 */
#ifndef UDMA_DEBUG_H
#define UDMA_DEBUG_H

#include <stdio.h>

#include "udma_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @return 1 when dma-debug is on (`--dma-debug`). */
UDMA_API int udma_debug_enabled(void);
/** @return the number of misuse reports since init (printed or not). */
UDMA_API unsigned long udma_debug_error_count(void);
/** List the live tracked mappings and allocations and the last reports to @p f. */
UDMA_API void udma_debug_dump(FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_DEBUG_H */
