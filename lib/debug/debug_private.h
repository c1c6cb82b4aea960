/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: the dma-debug hooks the other layers call when g_dma_debug is set. */
#ifndef DEBUG_PRIVATE_H
#define DEBUG_PRIVATE_H

#include <stdbool.h>

#include "udma_debug.h"
#include "udma_sg.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

extern bool g_dma_debug;

enum dbg_type { DBG_SINGLE = 0, DBG_PAGE, DBG_SG, DBG_COHERENT, DBG_NONCOHERENT, DBG_POOL };

/* the caller of a public entry point, for "mapped at" */
#define DBG_CALLER __builtin_return_address(0)

void dbg_map(struct udma_device *dev, enum dbg_type t, const void *cpu, udma_addr_t handle,
	     size_t size, int dir, const void *caller);
void dbg_unmap(struct udma_device *dev, enum dbg_type t, udma_addr_t handle, size_t size, int dir,
	       const char *call, const void *caller);
void dbg_mapping_error(struct udma_device *dev, udma_addr_t handle);
void dbg_sync(struct udma_device *dev, udma_addr_t handle, size_t off, size_t size, int dir,
	      const char *call, const void *caller);
void dbg_map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents, int mapped, int dir,
		const void *caller);
void dbg_unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents, int dir,
		  const char *call, const void *caller);
void dbg_device_destroy(struct udma_device *dev);
/* a misuse found elsewhere (pools): counted and printed under the same limit */
void dbg_report(const char *devname, const char *call, const void *caller, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#pragma GCC visibility pop

#endif
