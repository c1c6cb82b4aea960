/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOVA range allocator the remapping backends share (Linux's lib/iova.c).
 * The backend ops table and its registry live in lib/eal (eal_iova.h), included
 * here for the backends.
 */
#ifndef IOVA_PRIVATE_H
#define IOVA_PRIVATE_H

#include <stddef.h>

#include "eal_iova.h"
#include "udma_eal.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

struct udma_dma_ops;

/* ---- IOVA range allocator, per-lcore magazine caches ------------------ */
struct iova_domain;

/* a space of IOVAs [base, end), granule 4 KiB */
struct iova_domain *iova_domain_create(udma_addr_t base, udma_addr_t end);
void iova_domain_destroy(struct iova_domain *d);
/* top-down, wholly <= @limit; size rounded up to 4 KiB; UDMA_MAPPING_ERROR when full */
udma_addr_t iova_alloc(struct iova_domain *d, size_t size, uint64_t limit);
/* as iova_alloc, the start a multiple of @align (a power of two); no cache */
udma_addr_t iova_alloc_align(struct iova_domain *d, size_t size, uint64_t limit, size_t align);
/* bottom-up from base (memsegs: keeps them reachable by 32-bit devices) */
udma_addr_t iova_alloc_low(struct iova_domain *d, size_t size);
void iova_free(struct iova_domain *d, udma_addr_t iova, size_t size);
/* bytes allocated (outside the caches) */
size_t iova_domain_used(struct iova_domain *d);
void iova_domain_flush_lcore(struct iova_domain *d, unsigned int lcore);
/* whole ranges, bypassing the caches: bottom-up first fit, @align a power of two,
 * wholly <= @limit; UDMA_MAPPING_ERROR when nothing fits */
udma_addr_t iova_alloc_range(struct iova_domain *d, size_t size, size_t align, uint64_t limit);
/* take [start, start+size) out of the free space: 0, or -EBUSY when not all free */
int iova_reserve(struct iova_domain *d, udma_addr_t start, size_t size);
/* take whatever is free in [start, end) out for good (holes in an aperture) */
void iova_exclude(struct iova_domain *d, udma_addr_t start, udma_addr_t end);
/* give back what iova_alloc_range() or iova_reserve() took */
void iova_free_range(struct iova_domain *d, udma_addr_t iova, size_t size);

#pragma GCC visibility pop

#endif /* IOVA_PRIVATE_H */
