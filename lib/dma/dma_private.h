/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to libudma: the device structure and its checks. */
#ifndef DMA_PRIVATE_H
#define DMA_PRIVATE_H

#include <stdatomic.h>

#include "eal_private.h"
#include "udma_dma.h"

#define UDMA_DEV_MAGIC 0x75646d6164657631ULL

struct dev_counter {
	_Atomic(int64_t) allocs;
	_Atomic(int64_t) bytes;
} __udma_cache_aligned;

struct udma_device {
	uint64_t magic;
	char name[UDMA_MAX_DEVICE_NAME];
	struct udma_device *parent;
	struct udma_device *next; /* registry */
	int node;
	uint32_t id;              /* heap owner tag; never reused */
	uint64_t dma_mask;
	uint64_t coherent_mask;
	uint64_t seg_boundary;
	unsigned int max_seg_size;
	/* per-lcore counters (plain load/store); the last slot is shared (atomic add) */
	struct dev_counter cnt[UDMA_MAX_LCORES + 1];
};

/* validate a device argument; logs one line naming @fn when bad */
static inline bool dev_ok(const struct udma_device *dev, const char *fn)
{
	if (udma_likely(dev != NULL && dev->magic == UDMA_DEV_MAGIC))
		return true;
	udma_log(UDMA_LOG_ERR, "%s(): invalid device %p", fn, (const void *)dev);
	return false;
}

static inline void dev_count(struct udma_device *dev, int64_t allocs, int64_t bytes)
{
	unsigned int lc = lcore_id();

	if (lc < UDMA_MAX_LCORES) {
		struct dev_counter *c = &dev->cnt[lc];

		atomic_store_explicit(&c->allocs, atomic_load_explicit(&c->allocs,
					memory_order_relaxed) + allocs, memory_order_relaxed);
		atomic_store_explicit(&c->bytes, atomic_load_explicit(&c->bytes,
					memory_order_relaxed) + bytes, memory_order_relaxed);
	} else {
		atomic_fetch_add(&dev->cnt[UDMA_MAX_LCORES].allocs, allocs);
		atomic_fetch_add(&dev->cnt[UDMA_MAX_LCORES].bytes, bytes);
	}
}

void dma_sim_reset(void);

/* a gfp argument: KERNEL and/or ATOMIC, nothing else */
static inline bool gfp_ok(udma_gfp_t gfp)
{
	return gfp != 0 && (gfp & ~(UDMA_GFP_KERNEL | UDMA_GFP_ATOMIC)) == 0;
}

/* ATOMIC wins when both are given: never block */
static inline bool gfp_may_grow(udma_gfp_t gfp)
{
	return (gfp & UDMA_GFP_KERNEL) && !(gfp & UDMA_GFP_ATOMIC);
}

/* called by udma_device_destroy() so upper layers report what the device still has */
typedef void (*dev_destroy_fn)(struct udma_device *dev);
void dev_destroy_hook_register(dev_destroy_fn fn);

#endif
