/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef POOL_SLAB_H
#define POOL_SLAB_H

#include "pool_private.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

size_t slab_size_for(const struct udma_pool *p);
void slab_layout(struct udma_pool *p, size_t slab_size);
size_t slab_next_off(const struct udma_pool *p, size_t off);
int64_t slab_block_index(const struct udma_pool *p, size_t off);
struct slab *slab_new(struct udma_pool *p);
void slab_release_all(struct udma_pool *p);

static inline struct slab *slab_of(const struct udma_pool *p, const void *b)
{
	return (struct slab *)((uintptr_t)b & p->slab_mask);
}

/* one set of checks, shared with the inline fast paths */
static inline bool block_start_ok(const struct udma_pool *p, size_t off)
{
	return udma_pvt_block_start_ok((const struct udma_pool_pvt *)p, off);
}

static inline bool in_pool_slab(const struct udma_pool *p, const void *b)
{
	return udma_pvt_in_slab((const struct udma_pool_pvt *)p, b);
}

static inline udma_addr_t block_iova(const struct udma_pool *p, const void *b)
{
	const struct slab *s = slab_of(p, b);

	return s->iova + ((uintptr_t)b - (uintptr_t)s);
}

#pragma GCC visibility pop

#endif
