/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim: a software IOMMU. Its own IOVA space [UDMA_SIM_IOVA_BASE, 2^48) with the
 * IOVA range allocator (per-lcore magazines), and a domain per device: a 4-level
 * page table (9 bits a level, 4 KiB pages) whose entries hold the CPU page,
 * read/write permission, the mapping's kind and its first/last-page marks.
 *
 * Strict, as the kernel's IOMMU DMA layer: memsegs get IOVAs (bottom-up, so
 * 32-bit devices reach them) but no device reaches them until memory is given
 * to it. Coherent memory and pool slabs are mapped into the owning device's
 * domain while allocated; streaming mappings get a range of their own (top-down
 * under the device's mask, shared IOVA space: an IOVA names one mapping of one
 * device at a time). Anything else faults. Child devices share their parent's
 * domain, as the devices of one IOMMU group do.
 */
#include <stdlib.h>
#include <string.h>

#include "dma_map_ops.h"
#include "eal_private.h"
#include "iova_private.h"
#include "iova_sim.h"

#define PT_LEVELS 4
#define PT_BITS 9
#define PT_ENTRIES (1 << PT_BITS)
#define PTE_PERMS 0x3ULL
#define PTE_HEAD 0x4ULL   /* first page of a mapping */
#define PTE_TAIL 0x8ULL   /* last page of a mapping */
#define PTE_KINDS ((uintptr_t)(SIM_KIND_STREAM | SIM_KIND_MEM))
#define PTE_FLAGS 0xfffULL
#define PAGE 4096ULL

struct pt_node {
	_Atomic(uintptr_t) e[PT_ENTRIES];
};

struct sim_domain {
	struct pt_node *root;
	atomic_int refs;
};

/* The sim backend's state; each device's page table is its struct sim_domain. */
static struct sim_state {
	struct iova_domain *dom; /* the IOVA space every domain allocates from */
} g_sim;

static unsigned int pt_index(udma_addr_t iova, int level)
{
	return (unsigned int)(iova >> (12 + PT_BITS * (PT_LEVELS - 1 - level))) & (PT_ENTRIES - 1);
}

/* the leaf entry for @iova; tables are created lock-free (CAS) when @create */
static _Atomic(uintptr_t) *pt_leaf(struct sim_domain *d, udma_addr_t iova, bool create)
{
	struct pt_node *n = d->root;

	if (iova >> (12 + PT_BITS * PT_LEVELS))
		return NULL;
	for (int lvl = 0; lvl < PT_LEVELS - 1; lvl++) {
		_Atomic(uintptr_t) *slot = &n->e[pt_index(iova, lvl)];
		uintptr_t child = atomic_load_explicit(slot, memory_order_acquire);

		if (child == 0) {
			uintptr_t fresh, expect = 0;

			if (!create || (fresh = (uintptr_t)calloc(1, sizeof(*n))) == 0)
				return NULL;
			if (!atomic_compare_exchange_strong(slot, &expect, fresh)) {
				free((void *)fresh);
				fresh = expect;
			}
			child = fresh;
		}
		n = (struct pt_node *)child;
	}
	return &n->e[pt_index(iova, PT_LEVELS - 1)];
}

/*
 * Free a table. Streaming mappings still live in it (a device destroyed with
 * mappings) give their IOVA range back: a head opens a range, its tail closes it.
 */
static void pt_free(struct pt_node *n, int level, udma_addr_t base, udma_addr_t *open)
{
	if (n == NULL)
		return;
	for (int i = 0; i < PT_ENTRIES; i++) {
		uintptr_t e = atomic_load(&n->e[i]);
		udma_addr_t iova = base + ((udma_addr_t)i << (12 + PT_BITS * (PT_LEVELS - 1 - level)));

		if (level < PT_LEVELS - 1) {
			pt_free((struct pt_node *)e, level + 1, iova, open);
			continue;
		}
		if (!(e & SIM_KIND_STREAM))
			continue;
		if (e & PTE_HEAD)
			*open = iova;
		if ((e & PTE_TAIL) && *open != UDMA_MAPPING_ERROR && g_sim.dom) {
			iova_free(g_sim.dom, *open, iova + PAGE - *open);
			*open = UDMA_MAPPING_ERROR;
		}
	}
	free(n);
}

struct sim_domain *sim_domain_new(void)
{
	struct sim_domain *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->root = calloc(1, sizeof(*d->root));
	if (d->root == NULL) {
		free(d);
		return NULL;
	}
	atomic_init(&d->refs, 1);
	return d;
}

void sim_domain_get(struct sim_domain *d)
{
	atomic_fetch_add(&d->refs, 1);
}

void sim_domain_put(struct sim_domain *d)
{
	udma_addr_t open = UDMA_MAPPING_ERROR;

	if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	pt_free(d->root, 0, 0, &open);
	free(d);
}

static void pt_clear(struct sim_domain *d, udma_addr_t iova, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE) {
		_Atomic(uintptr_t) *e = pt_leaf(d, iova + off, false);

		if (e)
			atomic_store_explicit(e, 0, memory_order_release);
	}
}

/* map pages at page-aligned @iova; head/tail marks on the first/last page */
static int pt_map(struct sim_domain *d, udma_addr_t iova, uintptr_t va, size_t len,
		  uintptr_t flags, bool head, bool tail)
{
	for (size_t off = 0; off < len; off += PAGE) {
		uintptr_t f = flags;
		_Atomic(uintptr_t) *e = pt_leaf(d, iova + off, true);

		if (e == NULL) {
			pt_clear(d, iova, off);
			return -ENOMEM;
		}
		if (head && off == 0)
			f |= PTE_HEAD;
		if (tail && off + PAGE >= len)
			f |= PTE_TAIL;
		atomic_store_explicit(e, ((va + off) & ~(PAGE - 1)) | f, memory_order_release);
	}
	return 0;
}

udma_addr_t sim_map(struct sim_domain *d, void *va, size_t len, unsigned int perms,
		    uint64_t limit)
{
	size_t off = (uintptr_t)va & (PAGE - 1), span = sim_span((uintptr_t)va, len);
	udma_addr_t iova;

	if (g_sim.dom == NULL || len == 0 || span < len)
		return UDMA_MAPPING_ERROR;
	iova = iova_alloc(g_sim.dom, span, limit);
	if (iova == UDMA_MAPPING_ERROR)
		return iova;
	if (pt_map(d, iova, (uintptr_t)va - off, span, perms | SIM_KIND_STREAM, true, true) != 0) {
		iova_free(g_sim.dom, iova, span);
		return UDMA_MAPPING_ERROR;
	}
	return iova + off;
}

int sim_map_at(struct sim_domain *d, udma_addr_t iova, void *va, size_t len, unsigned int perms,
	       unsigned int kind)
{
	size_t span = (len + PAGE - 1) & ~(PAGE - 1);

	return pt_map(d, iova & ~(PAGE - 1), (uintptr_t)va, span, perms | kind, true, true);
}

udma_addr_t sim_range_alloc(size_t span, size_t align, uint64_t limit)
{
	return g_sim.dom ? iova_alloc_align(g_sim.dom, span, limit, align) : UDMA_MAPPING_ERROR;
}

int sim_range_map(struct sim_domain *d, udma_addr_t iova, void *va, size_t len,
		  unsigned int perms, bool head, bool tail)
{
	size_t off = iova & (PAGE - 1);

	return pt_map(d, iova - off, (uintptr_t)va - off, sim_span(iova, len), perms | SIM_KIND_STREAM,
		      head, tail);
}

void sim_range_free(struct sim_domain *d, udma_addr_t iova, size_t span)
{
	pt_clear(d, iova, span);
	iova_free(g_sim.dom, iova, span);
}

static uintptr_t pte_of(struct sim_domain *d, udma_addr_t iova)
{
	_Atomic(uintptr_t) *e = pt_leaf(d, iova, false);

	return e ? atomic_load_explicit(e, memory_order_acquire) : 0;
}

/* sim_check with the first page's entry already read */
static int check_from(struct sim_domain *d, udma_addr_t iova, uintptr_t head, size_t len,
		      unsigned int how, unsigned int *kind)
{
	udma_addr_t first = iova & ~(PAGE - 1), last;
	uintptr_t k = head & PTE_KINDS;
	bool whole = how & SIM_WHOLE;

	if (len == 0 || iova + len - 1 < iova || k == 0)
		return -ENOENT;
	last = (iova + len - 1) & ~(PAGE - 1);
	if (whole && !(head & PTE_HEAD))
		return -EINVAL;
	/* one mapping: no head after the first page, no tail before the last */
	for (udma_addr_t p = first; p <= last; p += PAGE) {
		uintptr_t e = p == first ? head : pte_of(d, p);

		if (e == 0 && (p == last || !(how & SIM_GAPS)))
			return -EINVAL;
		if (e != 0 && ((e & PTE_KINDS) != k || (p != first && (e & PTE_HEAD)) ||
			       (p != last && (e & PTE_TAIL)) || (whole && p == last && !(e & PTE_TAIL))))
			return -EINVAL;
	}
	*kind = (unsigned int)k;
	return 0;
}

int sim_check(struct sim_domain *d, udma_addr_t iova, size_t len, unsigned int how,
	      unsigned int *kind)
{
	return check_from(d, iova, pte_of(d, iova & ~(PAGE - 1)), len, how, kind);
}

int sim_unmap(struct sim_domain *d, udma_addr_t iova, size_t len, unsigned int kind, void **va,
	      unsigned int *perms)
{
	size_t off = iova & (PAGE - 1), span = sim_span(iova, len);
	_Atomic(uintptr_t) *e = pt_leaf(d, iova - off, false);
	uintptr_t head = e ? atomic_load_explicit(e, memory_order_acquire) : 0;
	unsigned int k;
	int ret;

	if (!(head & kind & PTE_KINDS))
		return -ENOENT;
	ret = check_from(d, iova, head, len, SIM_WHOLE | (kind & SIM_GAPS), &k);
	if (ret < 0)
		return ret;
	/* claim the mapping: of two racing unmaps one wins, the other finds nothing */
	if (!atomic_compare_exchange_strong(e, &head, 0))
		return -ENOENT;
	*va = (void *)((head & ~PTE_FLAGS) + off);
	*perms = (unsigned int)(head & PTE_PERMS);
	pt_clear(d, iova - off + PAGE, span - PAGE);
	if (kind & SIM_KIND_STREAM)
		iova_free(g_sim.dom, iova - off, span);
	return 0;
}

void *sim_translate(struct sim_domain *d, udma_addr_t iova, unsigned int *perms)
{
	uintptr_t pte = pte_of(d, iova);

	if (pte == 0)
		return NULL;
	if (perms)
		*perms = (unsigned int)(pte & PTE_PERMS);
	return (void *)((pte & ~PTE_FLAGS) + (iova & (PAGE - 1)));
}

int sim_resolve(struct sim_domain *d, udma_addr_t iova, int write, void **va, size_t *contig)
{
	unsigned int perms;
	void *cpu = sim_translate(d, iova, &perms);

	if (cpu == NULL)
		return -ENOENT;
	if (!(perms & (write ? DMA_PERM_W : DMA_PERM_R)))
		return -EACCES;
	*va = cpu;
	*contig = PAGE - (iova & (PAGE - 1));
	return 0;
}

/* ---- backend ops ---------------------------------------------------------- */

static int sim_probe(char *why, size_t len)
{
	snprintf(why, len, "software IOMMU, always usable");
	return 0;
}

static void sim_flush_lcore(unsigned int lcore)
{
	iova_domain_flush_lcore(g_sim.dom, lcore);
}

static int sim_init(void)
{
	g_sim.dom = iova_domain_create(UDMA_SIM_IOVA_BASE, 1ULL << UDMA_SIM_IOVA_BITS);
	if (g_sim.dom == NULL)
		return -ENOMEM;
	lcore_flush_register(sim_flush_lcore);
	return 0;
}

static void sim_fini(void)
{
	iova_domain_destroy(g_sim.dom);
	g_sim.dom = NULL;
}

/*
 * memseg chunks: one IOVA range each, bottom-up, 2 MiB aligned. Only addresses:
 * a device reaches the memory once it is given to it (coherent, pool slab).
 */
static int sim_seg_map(void *va, size_t len, unsigned int page_shift, udma_addr_t *iova)
{
	size_t span = (len + (2UL << 20) - 1) & ~((2UL << 20) - 1);
	size_t pgsz = 1UL << page_shift;
	udma_addr_t base = iova_alloc_low(g_sim.dom, span);

	(void)va;
	if (base == UDMA_MAPPING_ERROR)
		return -ENOMEM;
	for (size_t i = 0; i < len / pgsz; i++)
		iova[i] = base + i * pgsz;
	return 0;
}

/* no device reaches anything through the bus: only through its domain (dma ops) */
static int sim_bus_resolve(udma_addr_t iova, int write, void **va, size_t *contig)
{
	(void)iova;
	(void)write;
	(void)va;
	(void)contig;
	return -ENOENT;
}

static udma_addr_t sim_min_iova(void)
{
	return UDMA_SIM_IOVA_BASE;
}

static void sim_dump(FILE *f)
{
	fprintf(f, "sim iommu: IOVA space [%#llx, %#llx), %zu KiB allocated, a domain per device "
		"(children share their parent's)\n",
		(unsigned long long)UDMA_SIM_IOVA_BASE, 1ULL << UDMA_SIM_IOVA_BITS,
		g_sim.dom ? iova_domain_used(g_sim.dom) >> 10 : 0);
}

static const struct udma_iova_ops sim_ops = {
	.name = "sim",
	.mode = UDMA_IOVA_SIM,
	.auto_rank = 0,
	.remaps = 1,
	.probe = sim_probe,
	.init = sim_init,
	.fini = sim_fini,
	.seg_map = sim_seg_map,
	.dma_ops = &g_sim_dma_ops,
	.dev_resolve = sim_bus_resolve,
	.min_iova = sim_min_iova,
	.dump = sim_dump,
};

__attribute__((constructor)) static void sim_register(void)
{
	iova_ops_register(&sim_ops);
}
