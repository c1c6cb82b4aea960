/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The provider side of IOVA backends: the ops table every drivers/iova/<name>
 * registers from a constructor, and the IOVA range allocator they share.
 */
#ifndef IOVA_PRIVATE_H
#define IOVA_PRIVATE_H

#include <stddef.h>

#include "udma_eal.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

struct udma_dma_ops;

struct udma_iova_ops {
	const char *name;
	enum udma_iova_mode mode;
	int auto_rank;     /* auto picks the highest usable rank; 0 = never auto */
	int sort_by_pa;    /* EAL orders hugepages by PA so runs are IOVA-contiguous */
	int remaps;        /* an IOMMU: IOVAs are allocated, not derived from memory */
	/* the DMA ops its devices get (lib/dma/dma_map_ops.h); NULL: the direct path */
	const struct udma_dma_ops *dma_ops;
	/* usable on this machine? 0, or -errno and a reason in @why */
	int (*probe)(char *why, size_t len);
	int (*init)(void);
	void (*fini)(void);
	/* give populated memseg memory IOVAs: one per page of 1 << page_shift bytes */
	int (*seg_map)(void *va, size_t len, unsigned int page_shift, udma_addr_t *iova);
	/* undo seg_map for [va, va+len) (@iova may be NULL) */
	void (*seg_unmap)(void *va, size_t len, unsigned int page_shift, const udma_addr_t *iova);
	/* registered memory (udma_mem_register): make it reachable, *iova = its first
	 * IOVA (the region is IOVA-contiguous; pre-set to VA); NULL: IOVA = VA as is */
	int (*reg_map)(void *va, size_t len, udma_addr_t *iova);
	void (*reg_unmap)(void *va, size_t len);
	/*
	 * The device side: where does @iova land? Sets *va and *contig (bytes from
	 * iova that stay contiguous). 0, -ENOENT (unmapped) or -EACCES (permission).
	 */
	int (*dev_resolve)(udma_addr_t iova, int write, void **va, size_t *contig);
	/* lowest IOVA the backend can hand out, for udma_supported() */
	udma_addr_t (*min_iova)(void);
	void (*dump)(FILE *f);
};

void iova_ops_register(const struct udma_iova_ops *ops);
/* choose the backend for @mode (UDMA_IOVA_DC = auto) and init it; 0 or -errno */
int iova_select(enum udma_iova_mode mode);
void iova_release(void);
extern const struct udma_iova_ops *g_iova_ops;

/* the memseg-map resolver shared by pa and va */
int iova_memseg_resolve(udma_addr_t iova, int write, void **va, size_t *contig);

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
/* add to udma_iova_mode_reason() (the backend's model, chosen after init began) */
void iova_reason_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#pragma GCC visibility pop

#endif /* IOVA_PRIVATE_H */
