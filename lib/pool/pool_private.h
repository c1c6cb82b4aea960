/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to libudma: the pool, its slabs, caches and depot. */
#ifndef POOL_PRIVATE_H
#define POOL_PRIVATE_H

#include "dma_private.h"
#include "udma_pool.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

#define POOL_MAGIC 0x706f6f6c75646d61ULL
#define SLAB_MAGIC 0x736c616275646d61ULL
#define POOL_NAME_LEN 32
#define POOL_POISON 0x6b
#define POOL_MIN_STRIDE 16 /* a free block holds two links */

/* At the start of every slab (device-visible memory, like a page header). */
struct slab {
	uint64_t magic;
	struct udma_pool *pool;
	udma_addr_t iova;
	struct slab *next;
	uint32_t nblocks;
	uint32_t bitmap_words;   /* debug: in-use bits follow the header */
	_Atomic(uint64_t) inuse[]; /* debug only */
};

/* Overlaid on a free block in a depot magazine. */
struct chain_link {
	void *next;       /* next block of this magazine */
	void *next_chain; /* next magazine in the depot (head block only) */
};

/* A per-lcore cache: owned by one lcore, no atomics. */
struct pool_cache {
	uint32_t len;
	uint32_t cap;  /* size + chain */
	uint64_t allocs, frees, refills, flushes;
	void *objs[];
} __udma_cache_aligned;

struct depot {
	/* ABA-safe stack top: head pointer and a tag bumped by every change */
	struct {
		void *head;
		uint64_t tag;
	} top __attribute__((aligned(16)));
	_Atomic(int64_t) blocks;
};

struct udma_pool {
	uint64_t magic;
	/* hot, read-only after create */
	uintptr_t slab_mask;     /* ~(slab_size - 1), 0 until the first slab */
	unsigned int slab_shift;
	uintptr_t bits_base;     /* the memseg reservation the slab bitmap covers */
	size_t bits_span;
	_Atomic(uint64_t) *slab_bits; /* one bit per slab-sized span: "a slab of this pool" */
	size_t slab_bits_len;
	size_t size;
	size_t stride;
	size_t slab_size;
	size_t first_off;
	size_t boundary;         /* effective: a power of two, <= slab_size */
	unsigned int boundary_shift;
	uint64_t stride_magic;   /* UINT64_MAX / stride + 1: n % stride == 0 in one multiply */
	bool debug;
	struct pool_cache *cache[UDMA_MAX_LCORES];
	struct depot depot __udma_cache_aligned;
	/* slow path */
	atomic_flag carve_lock __udma_cache_aligned;
	struct slab *slabs;
	struct slab *cur;
	size_t cur_off;
	uint64_t nslabs;
	uint64_t capacity;
	atomic_flag shared_lock;
	struct pool_cache *shared;
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
	uint64_t magic = 0;

	if (p != NULL)
		memcpy(&magic, p, sizeof(magic));
	return magic == POOL_MAGIC;
}

/* shared between pool.c and pool_create.c */
struct pool_cache *cache_new(struct udma_pool *p);
void cache_flush(struct udma_pool *p, struct pool_cache *c, unsigned int keep);

#pragma GCC visibility pop

#endif
