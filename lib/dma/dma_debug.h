/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the dma-debug hooks the mapping layers (dma, sg, pool) call when
 * g_dma_debug.on is set. dma-debug itself (lib/debug) sits above every layer it
 * watches: it fills g_dma_debug.ops from its constructor, so nothing here depends
 * on it (Linux calls kernel/dma/debug.c the same way, through debug_dma_*).
 */
#ifndef DMA_DEBUG_H
#define DMA_DEBUG_H

#include <stdbool.h>
#include <stddef.h>

#include "udma_common.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

struct udma_device;
struct udma_sg;

enum dbg_type { DBG_SINGLE = 0, DBG_PAGE, DBG_SG, DBG_COHERENT, DBG_NONCOHERENT, DBG_POOL };

/* the caller of a public entry point, for "mapped at" */
#define DBG_CALLER __builtin_return_address(0)

struct dma_debug_ops {
	void (*map)(struct udma_device *dev, enum dbg_type t, const void *cpu, udma_addr_t handle,
		    size_t size, int dir, const void *caller);
	void (*unmap)(struct udma_device *dev, enum dbg_type t, udma_addr_t handle, size_t size,
		      int dir, const char *call, const void *caller);
	void (*mapping_error)(struct udma_device *dev, udma_addr_t handle);
	void (*sync)(struct udma_device *dev, udma_addr_t handle, size_t off, size_t size, int dir,
		     const char *call, const void *caller);
	void (*map_sg)(struct udma_device *dev, struct udma_sg *sgl, int nents, int mapped, int dir,
		       const void *caller);
	void (*unmap_sg)(struct udma_device *dev, struct udma_sg *sgl, int nents, int dir,
			 const char *call, const void *caller);
	/* a misuse found elsewhere (pools): counted and printed under the same limit */
	void (*report)(const char *devname, const char *call, const void *caller, const char *msg);
	/* the misuses reported so far (a call that reported one logs nothing more) */
	unsigned long (*error_count)(void);
};
/* The hook table's state: lib/debug fills it (ops from its constructor, on at init). */
struct dma_debug_hooks {
	bool on;                           /* --dma-debug: the hooks below run */
	const struct dma_debug_ops *ops;
};
extern struct dma_debug_hooks g_dma_debug;

static inline void dbg_map(struct udma_device *dev, enum dbg_type t, const void *cpu,
			   udma_addr_t handle, size_t size, int dir, const void *caller)
{
	g_dma_debug.ops->map(dev, t, cpu, handle, size, dir, caller);
}

static inline void dbg_unmap(struct udma_device *dev, enum dbg_type t, udma_addr_t handle,
			     size_t size, int dir, const char *call, const void *caller)
{
	g_dma_debug.ops->unmap(dev, t, handle, size, dir, call, caller);
}

static inline void dbg_mapping_error(struct udma_device *dev, udma_addr_t handle)
{
	g_dma_debug.ops->mapping_error(dev, handle);
}

static inline void dbg_sync(struct udma_device *dev, udma_addr_t handle, size_t off, size_t size,
			    int dir, const char *call, const void *caller)
{
	g_dma_debug.ops->sync(dev, handle, off, size, dir, call, caller);
}

static inline void dbg_map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents, int mapped,
			      int dir, const void *caller)
{
	g_dma_debug.ops->map_sg(dev, sgl, nents, mapped, dir, caller);
}

static inline void dbg_unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents, int dir,
				const char *call, const void *caller)
{
	g_dma_debug.ops->unmap_sg(dev, sgl, nents, dir, call, caller);
}

static inline unsigned long dbg_error_count(void)
{
	return g_dma_debug.ops->error_count();
}

/* format and hand to dma-debug (or log, when it is not linked in) */
void dbg_report(const char *devname, const char *call, const void *caller, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#pragma GCC visibility pop

#endif /* DMA_DEBUG_H */
