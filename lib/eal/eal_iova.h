/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOVA mode (DPDK keeps it in EAL): the ops table every drivers/iova/<name>
 * registers from a constructor, and the selection udma_eal_init() makes.
 */
#ifndef EAL_IOVA_H
#define EAL_IOVA_H

#include <stddef.h>
#include <stdio.h>

#include "udma_eal.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

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

/* from a constructor: 0, or -ENOSPC (logged, and init refuses to run) */
int iova_ops_register(const struct udma_iova_ops *ops);
/* The backends' options, taken from the command line at selection (init). */
struct iova_mode_opts {
	long vfio_group;             /* --vfio-group, -1: every group under /dev/vfio */
	unsigned int vfio_mask_bits; /* --vfio-dma-mask: narrowest device mask; 0 = 64 */
};
/* add to udma_iova_mode_reason() (the backend's model, chosen after init began) */
void iova_reason_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* choose the backend for @mode (UDMA_IOVA_DC = auto) and init it; 0 or -errno */
int iova_select(enum udma_iova_mode mode, const struct iova_mode_opts *opts);
void iova_release(void);

#define IOVA_MAX_BACKENDS 8
/* The IOVA mode's state: the registry, the backend chosen at init and its options. */
struct eal_iova_state {
	const struct udma_iova_ops *ops; /* the chosen backend; NULL before init */
	struct iova_mode_opts opts;      /* the backends' options, taken at selection */
	const struct udma_iova_ops *backends[IOVA_MAX_BACKENDS]; /* registered by constructors */
	unsigned int nr_backends;
	char reason[1024]; /* udma_iova_mode_reason() */
};
extern struct eal_iova_state g_iova;

/* the memseg-map resolver shared by pa and va */
int iova_memseg_resolve(udma_addr_t iova, int write, void **va, size_t *contig);

#pragma GCC visibility pop

#endif /* EAL_IOVA_H */
