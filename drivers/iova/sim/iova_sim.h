/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to drivers/iova/sim: the software IOMMU's domains (one page table per
 * device, or per parent-and-children group) and the IOVA space they share.
 */
#ifndef IOVA_SIM_H
#define IOVA_SIM_H

#include "udma_common.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

/* what a mapping is (its PTEs carry the kind) */
#define SIM_KIND_STREAM 0x10u /* a streaming mapping: an IOVA range of its own */
#define SIM_KIND_MEM 0x20u    /* coherent memory or a pool slab, at its memseg IOVA */

struct sim_domain;

/* the bytes of the whole 4 KiB pages [start, start+len) touches */
static inline size_t sim_span(udma_addr_t start, size_t len)
{
	return ((start & 4095) + len + 4095) & ~(size_t)4095;
}

/* a new empty domain (one reference), NULL when out of memory */
struct sim_domain *sim_domain_new(void);
void sim_domain_get(struct sim_domain *d);
/* drop a reference; the last frees the page table and the IOVA of live mappings */
void sim_domain_put(struct sim_domain *d);

/* streaming: map [va, va+len) at a new IOVA range wholly <= limit; ERROR when full */
udma_addr_t sim_map(struct sim_domain *d, void *va, size_t len, unsigned int perms,
		    uint64_t limit);
/* memory at a fixed IOVA (page aligned, its own marks); 0 or -ENOMEM */
int sim_map_at(struct sim_domain *d, udma_addr_t iova, void *va, size_t len, unsigned int perms,
	       unsigned int kind);
/*
 * Undo a mapping of @kind: @iova and @len must be exactly a live mapping's in @d
 * (every page checked: its first and last, nothing else's in between). Sets *va
 * to the CPU address mapped at @iova and *perms. 0; -ENOENT (@d maps nothing of
 * that kind there), -EINVAL (not that mapping's size): nothing changed.
 */
int sim_unmap(struct sim_domain *d, udma_addr_t iova, size_t len, unsigned int kind, void **va,
	      unsigned int *perms);
/*
 * Does [iova, iova+len) lie in one live mapping of @d? SIM_WHOLE: is it exactly
 * that mapping (sim_unmap's test); SIM_GAPS: unmapped pages inside are allowed
 * (an sg list's padding). 0 and *kind set; -ENOENT, -EINVAL. Nothing changes.
 */
#define SIM_WHOLE 0x1u
#define SIM_GAPS 0x100u /* also a flag of sim_unmap's @kind */
int sim_check(struct sim_domain *d, udma_addr_t iova, size_t len, unsigned int how,
	      unsigned int *kind);
/* the CPU address behind @iova in @d and its permissions, or NULL */
void *sim_translate(struct sim_domain *d, udma_addr_t iova, unsigned int *perms);
/* the device side: where @iova lands in @d; 0, -ENOENT or -EACCES */
int sim_resolve(struct sim_domain *d, udma_addr_t iova, int write, void **va, size_t *contig);
/* a range for a whole sg list: @span bytes (page multiple) aligned to @align, <= limit */
udma_addr_t sim_range_alloc(size_t span, size_t align, uint64_t limit);
/* map [va, va+len) page by page at @iova (page offset of va == that of iova); head/tail marks */
int sim_range_map(struct sim_domain *d, udma_addr_t iova, void *va, size_t len,
		  unsigned int perms, bool head, bool tail);
/* drop a range from sim_range_alloc() whatever is mapped in it */
void sim_range_free(struct sim_domain *d, udma_addr_t iova, size_t span);

/* the DMA ops of sim devices (sim_dma_ops.c) */
extern const struct udma_dma_ops g_sim_dma_ops;

#pragma GCC visibility pop

#endif
