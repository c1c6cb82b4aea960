/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef POOL_SLAB_H
#define POOL_SLAB_H

#include "pool_private.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

size_t slab_size_for(const struct udma_pool *p);
void slab_layout(struct udma_pool *p, size_t slab_size);
size_t slab_next_off(const struct udma_pool *p, size_t off);
struct slab *slab_new(struct udma_pool *p);
void slab_release_all(struct udma_pool *p);

static inline struct slab *slab_of(const struct udma_pool *p, const void *b)
{
	return (struct slab *)((uintptr_t)b & p->slab_mask);
}

#pragma GCC visibility pop

#endif
