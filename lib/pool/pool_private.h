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

/* Overlaid on a free block on the depot's spill stack: blocks a flush could not
 * put in a magazine (the depot is at its magazine cap, or memory is exhausted). */
struct chain_link {
	void *next;       /* next block of this chain */
	void *next_chain; /* next chain on the spill stack (head block only) */
};

/* An ABA-safe lock-free stack: head pointer and a tag bumped by every change,
 * swapped together with one 16-byte CAS. Nodes are never freed while the pool
 * lives, so a racing pop may read a stale link: the tag makes its CAS fail. */
struct lfstack {
	struct {
		void *head;
		uint64_t tag;
	} top __attribute__((aligned(16)));
};

/* An array magazine: up to cap block pointers. A cross-lcore return moves the
 * pointers, never touches a block. */
struct mag {
	struct mag *next; /* on the full or the empty stack */
	uint32_t n;
	uint32_t cap;
	void *objs[];
};

/* The depot: full magazines, empty ones, and the spill stack; each stack top on
 * its own cache line (refills and flushes of different lcores do not bounce it).
 * Magazines are never freed while the pool lives, so their number is capped
 * (depot_limit(), depot_capacity()): a flush that finds no empty magazine and the
 * cap reached spills its blocks instead. The spill stack (chains of blocks linked
 * through themselves, struct chain_link) is under a spinlock: a slow path (each
 * block's line is touched anyway), and a lock means no pop ever reads the link of
 * a block already handed out. Three lines, as before the cap. */
struct depot {
	struct lfstack full __udma_cache_aligned;
	struct lfstack empty __udma_cache_aligned;
	atomic_flag spill_lock __udma_cache_aligned;
	unsigned int mag_size;
	void *spill_top;         /* head block of the top chain */
	uint64_t spill_n;        /* blocks on the spill stack */
	_Atomic(int64_t) blocks; /* free blocks in magazines and on the spill stack */
	_Atomic(uint64_t) mags;  /* magazines allocated */
	_Atomic(uint64_t) mag_cap;  /* magazines allowed (UINT64_MAX: no cap) */
	_Atomic(uint64_t) spilled;  /* blocks ever put on the spill stack */
	unsigned int mag_floor;  /* magazines allowed whatever the capacity (0: no cap) */
	unsigned int mag_per;    /* and one more per mag_per blocks carved (0: none) */
};

_Static_assert(sizeof(struct depot) == 3 * UDMA_CACHE_LINE_SIZE, "depot: three lines");

struct udma_pool {
	/* hot, read-only after create, and read by the inline fast paths: udma_pool_pvt.h */
	UDMA_POOL_PVT_FIELDS;
	struct depot depot __udma_cache_aligned;
	/* the lcores' caches (NULL: none for that slot); the inline paths read cache[],
	 * the same but the empty cache pool_no_cache where this has none or the pool is
	 * a debug pool */
	struct udma_pool_cache_pvt *lcache[UDMA_MAX_LCORES];
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
	size_t boundary_req;     /* the boundary asked for at create (0: none) */
	unsigned int cache_size;
	unsigned int chain;      /* blocks per magazine (its array size) */
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
/* the empty cache of no room (len 0, cap 0) the inline paths find in a debug pool
 * and for a slot without a cache: never written */
extern struct udma_pool_cache_pvt pool_no_cache;
struct udma_pool_cache_pvt *pool_cache_new(struct udma_pool *p);
void pool_cache_free(struct udma_pool_cache_pvt *c);
size_t pool_cache_bytes(const struct udma_pool *p);
void pool_cache_flush(struct udma_pool *p, struct udma_pool_cache_pvt *c, unsigned int keep);
int pool_prefill(struct udma_pool *p, unsigned int n);

_Static_assert(offsetof(struct slab, iova) == UDMA_POOL_PVT_SLAB_IOVA, "slab layout");
_Static_assert(offsetof(struct slab, inuse) == UDMA_POOL_PVT_SLAB_INUSE, "slab layout");

#pragma GCC visibility pop

#endif
