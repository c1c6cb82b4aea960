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

/*
 * Is @off (from the slab start) where a block starts? Blocks sit at base + k * stride
 * in each boundary segment (base: first_off in the first, the segment start after);
 * divisibility by the stride is one multiply (Lemire's test), no division.
 */
static inline bool block_start_ok(const struct udma_pool *p, size_t off)
{
	if (udma_likely(p->boundary == p->slab_size)) /* one segment: the common case */
		return off >= p->first_off && off + p->size <= p->slab_size &&
		       (uint64_t)(uint32_t)(off - p->first_off) * p->stride_magic <= p->stride_magic - 1;

	size_t seg = off >> p->boundary_shift;
	size_t base = seg == (p->first_off >> p->boundary_shift) ? p->first_off :
							      seg << p->boundary_shift;
	uint32_t rel = (uint32_t)(off - base);

	return off >= base && off + p->size <= p->slab_size &&
	       (off & (p->boundary - 1)) + p->size <= p->boundary &&
	       (uint64_t)rel * p->stride_magic <= p->stride_magic - 1;
}

/* is @b inside a slab of @p? one range check and one bit test, no deref */
static inline bool in_pool_slab(const struct udma_pool *p, const void *b)
{
	uintptr_t off = (uintptr_t)b - p->bits_base;
	size_t idx = off >> p->slab_shift;

	if (udma_unlikely(off >= p->bits_span))
		return false;
	return (atomic_load_explicit(&p->slab_bits[idx / 64], memory_order_acquire) >>
		(idx % 64)) & 1;
}

static inline udma_addr_t block_iova(const struct udma_pool *p, const void *b)
{
	const struct slab *s = slab_of(p, b);

	return s->iova + ((uintptr_t)b - (uintptr_t)s);
}

#pragma GCC visibility pop

#endif
