/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to libudma: the pool, its slabs, caches and depot. */
#ifndef POOL_PRIVATE_H
#define POOL_PRIVATE_H

#include "dma_private.h"
#include "udma_pool.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

#define SLAB_MAGIC 0x736c616275646d61ULL
#define POOL_NAME_LEN 32
#define POOL_POISON 0x6b
#define POOL_MIN_STRIDE 16 /* a free block holds two links */

/* At the start of every slab (device-visible memory, like a page header); the
 * inline fast paths read iova at UDMA_POOL_PVT_SLAB_IOVA and the in-use bytes at
 * UDMA_POOL_PVT_SLAB_INUSE. */
struct slab {
	uint64_t magic;
	struct udma_pool *pool;
	udma_addr_t iova;
	struct slab *next;
	uint32_t nblocks;
	uint32_t map_len;        /* bytes of inuse[] */
	uint8_t inuse[];         /* one a block (index off >> mark_shift): 1 while handed out */
};

/* Overlaid on a free block in a depot magazine. */
struct chain_link {
	void *next;       /* next block of this magazine */
	void *next_chain; /* next magazine in the depot (head block only) */
};

struct depot {
	/* ABA-safe stack top: head pointer and a tag bumped by every change */
	struct {
		void *head;
		uint64_t tag;
	} top __attribute__((aligned(16)));
	_Atomic(int64_t) blocks;
};

struct udma_pool {
	/* hot, read-only after create, and read by the inline fast paths: udma_pool_pvt.h */
	UDMA_POOL_PVT_FIELDS;
	struct depot depot __udma_cache_aligned;
	/* slow path */
	atomic_flag carve_lock __udma_cache_aligned;
	struct slab *slabs;
	struct slab *cur;
	size_t cur_off;
	uint64_t nslabs;
	uint64_t capacity;
	atomic_flag shared_lock;
	struct udma_pool_cache_pvt *shared;
	char name[POOL_NAME_LEN];
	struct udma_device *dev;
	size_t align;
	unsigned int cache_size;
	unsigned int chain;      /* blocks per magazine */
	unsigned int max_blocks;
	int node;
	struct udma_pool *next;  /* registry */
};

/* is @p a live pool? (the magic read as bytes; silent) */
static inline bool pool_is(const struct udma_pool *p)
{
	return udma_pvt_pool_is(p);
}

static inline const struct udma_pool_pvt *pool_pvt(const struct udma_pool *p)
{
	return (const struct udma_pool_pvt *)(const void *)p;
}

/* shared between pool.c and pool_create.c */
struct udma_pool_cache_pvt *pool_cache_new(struct udma_pool *p);
void pool_cache_flush(struct udma_pool *p, struct udma_pool_cache_pvt *c, unsigned int keep);
int pool_prefill(struct udma_pool *p, unsigned int n);

_Static_assert(offsetof(struct slab, iova) == UDMA_POOL_PVT_SLAB_IOVA, "slab layout");
_Static_assert(offsetof(struct slab, inuse) == UDMA_POOL_PVT_SLAB_INUSE, "slab layout");

#pragma GCC visibility pop

#endif
