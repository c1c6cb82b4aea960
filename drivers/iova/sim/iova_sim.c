/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim: a software IOMMU. Its own IOVA space [UDMA_SIM_IOVA_BASE, 2^48), a 4-level
 * page table (9 bits a level, 4 KiB pages) whose entries hold the CPU page and
 * read/write permission bits, and the IOVA range allocator with per-lcore
 * magazines. Memsegs are mapped read/write bottom-up (so 32-bit devices reach
 * them), streaming mappings top-down under the device's mask.
 */
#include <stdlib.h>
#include <string.h>

#include "eal_private.h"
#include "iova_private.h"
#include "iova_sim.h"

#define PT_LEVELS 4
#define PT_BITS 9
#define PT_ENTRIES (1 << PT_BITS)
#define PTE_PERMS 0x3ULL
#define PTE_HEAD 0x4ULL   /* first page of a streaming mapping */
#define PTE_TAIL 0x8ULL   /* last page of a streaming mapping */
#define PTE_STREAM 0x10ULL /* a streaming mapping (not a memseg) */
#define PTE_FLAGS 0xfffULL
#define PAGE 4096ULL

struct pt_node {
	_Atomic(uintptr_t) e[PT_ENTRIES];
};

static struct pt_node *g_root;
static struct iova_domain *g_dom;
static atomic_size_t g_mapped;

static unsigned int pt_index(udma_addr_t iova, int level)
{
	return (unsigned int)(iova >> (12 + PT_BITS * (PT_LEVELS - 1 - level))) & (PT_ENTRIES - 1);
}

/* the leaf entry for @iova; tables are created lock-free (CAS) when @create */
static _Atomic(uintptr_t) *pt_leaf(udma_addr_t iova, bool create)
{
	struct pt_node *n = g_root;

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

static void pt_free(struct pt_node *n, int level)
{
	if (n == NULL)
		return;
	if (level < PT_LEVELS - 1)
		for (int i = 0; i < PT_ENTRIES; i++)
			pt_free((struct pt_node *)atomic_load(&n->e[i]), level + 1);
	free(n);
}

static int pt_map(udma_addr_t iova, uintptr_t va, size_t len, unsigned int perms)
{
	bool stream = perms & PTE_STREAM;

	for (size_t off = 0; off < len; off += PAGE) {
		uintptr_t flags = perms;
		_Atomic(uintptr_t) *e = pt_leaf(iova + off, true);

		if (e == NULL) {
			for (size_t u = 0; u < off; u += PAGE)
				atomic_store(pt_leaf(iova + u, false), 0);
			return -ENOMEM;
		}
		if (stream && off == 0)
			flags |= PTE_HEAD;
		if (stream && off + PAGE >= len)
			flags |= PTE_TAIL;
		atomic_store_explicit(e, ((va + off) & ~(PAGE - 1)) | flags, memory_order_release);
	}
	atomic_fetch_add(&g_mapped, len / PAGE);
	return 0;
}

static void pt_unmap(udma_addr_t iova, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE) {
		_Atomic(uintptr_t) *e = pt_leaf(iova + off, false);

		if (e && atomic_exchange(e, 0) != 0)
			atomic_fetch_sub(&g_mapped, 1);
	}
}

udma_addr_t sim_map(void *va, size_t len, unsigned int perms, uint64_t limit)
{
	size_t off = (uintptr_t)va & (PAGE - 1);
	size_t span = (off + len + PAGE - 1) & ~(PAGE - 1);
	udma_addr_t iova;

	if (g_dom == NULL || len == 0)
		return UDMA_MAPPING_ERROR;
	iova = iova_alloc(g_dom, span, limit);
	if (iova == UDMA_MAPPING_ERROR)
		return iova;
	if (pt_map(iova, (uintptr_t)va - off, span, perms | (unsigned)PTE_STREAM) != 0) {
		iova_free(g_dom, iova, span);
		return UDMA_MAPPING_ERROR;
	}
	return iova + off;
}

udma_addr_t sim_range_alloc(size_t span, size_t align, uint64_t limit)
{
	return g_dom ? iova_alloc_align(g_dom, span, limit, align) : UDMA_MAPPING_ERROR;
}

int sim_range_map(udma_addr_t iova, void *va, size_t len, unsigned int perms, bool head, bool tail)
{
	size_t off = iova & (PAGE - 1);
	size_t span = (off + len + PAGE - 1) & ~(PAGE - 1);
	uintptr_t page = (uintptr_t)va - off;

	for (size_t o = 0; o < span; o += PAGE) {
		_Atomic(uintptr_t) *e = pt_leaf(iova - off + o, true);
		uintptr_t flags = perms | PTE_STREAM;

		if (e == NULL)
			return -ENOMEM;
		if (head && o == 0)
			flags |= PTE_HEAD;
		if (tail && o + PAGE >= span)
			flags |= PTE_TAIL;
		atomic_store_explicit(e, (page + o) | flags, memory_order_release);
	}
	atomic_fetch_add(&g_mapped, span / PAGE);
	return 0;
}

void sim_range_free(udma_addr_t iova, size_t span)
{
	pt_unmap(iova, span);
	iova_free(g_dom, iova, span);
}

static uintptr_t pte_of(udma_addr_t iova)
{
	_Atomic(uintptr_t) *e = g_root ? pt_leaf(iova, false) : NULL;

	return e ? atomic_load_explicit(e, memory_order_acquire) : 0;
}

int sim_unmap(udma_addr_t iova, size_t len, void **va, unsigned int *perms)
{
	size_t off = iova & (PAGE - 1);
	size_t span = (off + len + PAGE - 1) & ~(PAGE - 1);
	uintptr_t head = pte_of(iova), tail;

	if (!(head & PTE_STREAM))
		return -ENOENT;
	tail = span > PAGE ? pte_of(iova - off + span - PAGE) : head;
	if (!(head & PTE_HEAD) || !(tail & PTE_TAIL) || !(tail & PTE_STREAM))
		return -EINVAL;
	*va = (void *)((head & ~PTE_FLAGS) + off);
	*perms = (unsigned int)(head & PTE_PERMS);
	pt_unmap(iova - off, span);
	iova_free(g_dom, iova - off, span);
	return 0;
}

void *sim_translate(udma_addr_t iova, unsigned int *perms)
{
	uintptr_t pte = pte_of(iova);

	if (!(pte & PTE_STREAM))
		return NULL;
	if (perms)
		*perms = (unsigned int)(pte & PTE_PERMS);
	return (void *)((pte & ~PTE_FLAGS) + (iova & (PAGE - 1)));
}

int sim_active(void)
{
	return g_dom != NULL;
}

size_t sim_mapped_pages(void)
{
	return atomic_load(&g_mapped);
}

/* ---- backend ops ---------------------------------------------------------- */

static int sim_probe(char *why, size_t len)
{
	snprintf(why, len, "software IOMMU, always usable");
	return 0;
}

static void sim_flush_lcore(unsigned int lcore)
{
	iova_domain_flush_lcore(g_dom, lcore);
}

static int sim_init(void)
{
	g_root = calloc(1, sizeof(*g_root));
	g_dom = iova_domain_create(UDMA_SIM_IOVA_BASE, 1ULL << UDMA_SIM_IOVA_BITS);
	if (g_root == NULL || g_dom == NULL) {
		free(g_root);
		iova_domain_destroy(g_dom);
		g_root = NULL;
		g_dom = NULL;
		return -ENOMEM;
	}
	atomic_store(&g_mapped, 0);
	lcore_flush_register(sim_flush_lcore);
	return 0;
}

static void sim_fini(void)
{
	pt_free(g_root, 0);
	iova_domain_destroy(g_dom);
	g_root = NULL;
	g_dom = NULL;
}

/* memseg chunks: one IOVA range each, bottom-up, 2 MiB aligned, read/write */
static int sim_seg_map(void *va, size_t len, unsigned int page_shift, udma_addr_t *iova)
{
	size_t span = (len + (2UL << 20) - 1) & ~((2UL << 20) - 1);
	size_t pgsz = 1UL << page_shift;
	udma_addr_t base = iova_alloc_low(g_dom, span);

	if (base == UDMA_MAPPING_ERROR)
		return -ENOMEM;
	if (pt_map(base, (uintptr_t)va, len, (unsigned)(SIM_PERM_R | SIM_PERM_W)) != 0) {
		iova_free(g_dom, base, span);
		return -ENOMEM;
	}
	for (size_t i = 0; i < len / pgsz; i++)
		iova[i] = base + i * pgsz;
	return 0;
}

static int sim_resolve(udma_addr_t iova, int write, void **va, size_t *contig)
{
	_Atomic(uintptr_t) *e = g_root ? pt_leaf(iova, false) : NULL;
	uintptr_t pte = e ? atomic_load_explicit(e, memory_order_acquire) : 0;

	if (pte == 0)
		return -ENOENT;
	if (!(pte & (write ? SIM_PERM_W : SIM_PERM_R)))
		return -EACCES;
	*va = (void *)((pte & ~PTE_FLAGS) + (iova & (PAGE - 1)));
	*contig = PAGE - (iova & (PAGE - 1));
	return 0;
}

static udma_addr_t sim_min_iova(void)
{
	return UDMA_SIM_IOVA_BASE;
}

static void sim_dump(FILE *f)
{
	fprintf(f, "sim iommu: IOVA space [%#llx, %#llx), %zu KiB allocated, %zu pages mapped\n",
		(unsigned long long)UDMA_SIM_IOVA_BASE, 1ULL << UDMA_SIM_IOVA_BITS,
		g_dom ? iova_domain_used(g_dom) >> 10 : 0, sim_mapped_pages());
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
	.dev_resolve = sim_resolve,
	.min_iova = sim_min_iova,
	.dump = sim_dump,
};

__attribute__((constructor)) static void sim_register(void)
{
	iova_ops_register(&sim_ops);
}
