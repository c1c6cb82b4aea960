/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounce buffers (swiotlb): a region of coherent memory reserved at init, below
 * 4 GiB of IOVA when the mode has any, cut into 2 KiB slots handed out by a buddy
 * allocator. Runs of up to 4 slots (8 KiB) come from per-lcore magazines, so the
 * common bounce takes no lock; the buddy lists sit behind a spinlock.
 */
#include <stdlib.h>
#include <string.h>

#include "dma_private.h"
#include "iova_private.h"
#include "udma_map.h"

#define SLOT_SHIFT 11
#define SLOT (1UL << SLOT_SHIFT)
#define MAX_ORDER 7 /* 128 slots: 256 KiB */
#define CACHED_ORDERS 3
#define MAG 32
#define NIL (-1)

struct bslot {
	void *orig;        /* the CPU buffer this slot run stands in for */
	uint32_t size;
	uint8_t dir;
	int8_t order;      /* head of a live run: its order; -1 otherwise */
	uint8_t cpu_owned; /* sync state for BIDIRECTIONAL udma_sync_single() */
	uint8_t free_head; /* head of a free buddy block */
	int32_t next, prev;
};

struct mag {
	unsigned int n;
	int32_t slot[MAG];
} __udma_cache_aligned;

/* per-lcore counters: plain stores by the owner, summed by the stats call */
struct tlb_counters {
	uint64_t bounces;
} __udma_cache_aligned;

static struct {
	uint8_t *va;
	udma_addr_t iova;
	size_t size;
	uint32_t nslots;
	struct bslot *s;
	int32_t free[MAX_ORDER + 1];
	atomic_flag lock;
	struct mag (*mags)[CACHED_ORDERS];
	struct tlb_counters *cnt; /* UDMA_MAX_LCORES + 1 (shared, atomic) */
	atomic_size_t failures;
	bool forced;
} g_tlb;

static inline void tlb_lock(void)
{
	while (atomic_flag_test_and_set_explicit(&g_tlb.lock, memory_order_acquire))
		__builtin_ia32_pause();
}

static inline void tlb_unlock(void)
{
	atomic_flag_clear_explicit(&g_tlb.lock, memory_order_release);
}

/* ---- buddy (lock held) --------------------------------------------------- */

static void buddy_push(int32_t i, int order)
{
	struct bslot *b = &g_tlb.s[i];

	b->free_head = 1;
	b->order = (int8_t)order;
	b->prev = NIL;
	b->next = g_tlb.free[order];
	if (b->next != NIL)
		g_tlb.s[b->next].prev = i;
	g_tlb.free[order] = i;
}

static void buddy_unlink(int32_t i, int order)
{
	struct bslot *b = &g_tlb.s[i];

	if (b->prev != NIL)
		g_tlb.s[b->prev].next = b->next;
	else
		g_tlb.free[order] = b->next;
	if (b->next != NIL)
		g_tlb.s[b->next].prev = b->prev;
	b->free_head = 0;
	b->order = -1;
}

static int32_t buddy_alloc(int order)
{
	int o = order;
	int32_t i;

	while (o <= MAX_ORDER && g_tlb.free[o] == NIL)
		o++;
	if (o > MAX_ORDER)
		return NIL;
	i = g_tlb.free[o];
	buddy_unlink(i, o);
	while (o > order) { /* split: the upper half goes back */
		o--;
		buddy_push(i + (1 << o), o);
	}
	return i;
}

static void buddy_free(int32_t i, int order)
{
	while (order < MAX_ORDER) {
		int32_t buddy = i ^ (1 << order);

		if ((uint32_t)buddy >= g_tlb.nslots || !g_tlb.s[buddy].free_head ||
		    g_tlb.s[buddy].order != order)
			break;
		buddy_unlink(buddy, order);
		i &= ~(1 << order);
		order++;
	}
	buddy_push(i, order);
}

/* ---- slot runs ------------------------------------------------------------ */

static int order_for(size_t size)
{
	int o = 0;

	while ((SLOT << o) < size)
		o++;
	return o;
}

static int32_t run_alloc(int order)
{
	unsigned int lc = lcore_id();
	int32_t i;

	if (order < CACHED_ORDERS && lc < UDMA_MAX_LCORES) {
		struct mag *m = &g_tlb.mags[lc][order];

		if (m->n)
			return m->slot[--m->n];
		tlb_lock();
		while (m->n < MAG / 2 && (i = buddy_alloc(order)) != NIL)
			m->slot[m->n++] = i;
		tlb_unlock();
		return m->n ? m->slot[--m->n] : NIL;
	}
	tlb_lock();
	i = buddy_alloc(order);
	tlb_unlock();
	return i;
}

static void run_free(int32_t i, int order)
{
	unsigned int lc = lcore_id();

	if (order < CACHED_ORDERS && lc < UDMA_MAX_LCORES) {
		struct mag *m = &g_tlb.mags[lc][order];

		if (m->n == MAG) {
			tlb_lock();
			while (m->n > MAG / 2)
				buddy_free(m->slot[--m->n], order);
			tlb_unlock();
		}
		m->slot[m->n++] = i;
		return;
	}
	tlb_lock();
	buddy_free(i, order);
	tlb_unlock();
}

static void mags_flush(unsigned int lc)
{
	if (g_tlb.mags == NULL || lc >= UDMA_MAX_LCORES)
		return;
	tlb_lock();
	for (int o = 0; o < CACHED_ORDERS; o++) {
		struct mag *m = &g_tlb.mags[lc][o];

		while (m->n)
			buddy_free(m->slot[--m->n], o);
	}
	tlb_unlock();
}

/* ---- bounce ---------------------------------------------------------------- */

static inline void count_bounce(void)
{
	unsigned int lc = lcore_id();

	if (lc < UDMA_MAX_LCORES)
		g_tlb.cnt[lc].bounces++;
	else
		__atomic_fetch_add(&g_tlb.cnt[UDMA_MAX_LCORES].bounces, 1, __ATOMIC_RELAXED);
}

struct swiotlb_region g_tlb_region;

void *swiotlb_bounce(void *orig, size_t size, enum udma_data_direction dir, bool copy,
		     udma_addr_t *slot_iova)
{
	int order = order_for(size);
	struct bslot *b;
	int32_t i;
	uint8_t *slot;

	if (g_tlb.va == NULL || order > MAX_ORDER || (i = run_alloc(order)) == NIL) {
		atomic_fetch_add(&g_tlb.failures, 1);
		return NULL;
	}
	b = &g_tlb.s[i];
	b->orig = orig;
	b->size = (uint32_t)size;
	b->dir = (uint8_t)dir;
	b->order = (int8_t)order;
	b->cpu_owned = 0;
	slot = g_tlb.va + ((size_t)i << SLOT_SHIFT);
	if (copy) /* every direction: bytes the device does not write keep their values */
		memcpy(slot, orig, size);
	count_bounce();
	*slot_iova = g_tlb.iova + ((udma_addr_t)i << SLOT_SHIFT);
	return slot;
}

/* the live run whose head is at @slot, or NULL */
static struct bslot *run_of(const void *slot)
{
	size_t off = (size_t)((const uint8_t *)slot - g_tlb.va);
	struct bslot *b;

	if (g_tlb.va == NULL || off >= g_tlb.size || (off & (SLOT - 1)))
		return NULL;
	b = &g_tlb.s[off >> SLOT_SHIFT];
	return b->order >= 0 && !b->free_head ? b : NULL;
}

int swiotlb_release(void *slot, size_t size, enum udma_data_direction dir, bool copy)
{
	struct bslot *b = run_of(slot);
	int order;

	if (b == NULL)
		return -ENOENT;
	if (b->size != size || b->dir != dir) {
		UDMA_LOG(ERR, "bounced mapping of %u bytes dir %u unmapped with size %zu dir %d: ignored",
			 b->size, b->dir, size, (int)dir);
		return -EINVAL;
	}
	/* the device's bytes, unless the CPU already owns them (synced, device done) */
	if (copy && (dir == UDMA_FROM_DEVICE || dir == UDMA_BIDIRECTIONAL) && !b->cpu_owned)
		memcpy(b->orig, slot, size);
	order = b->order;
	b->order = -1;
	run_free((int32_t)(((uint8_t *)slot - g_tlb.va) >> SLOT_SHIFT), order);
	return 0;
}

int swiotlb_sync(void *slot, size_t off, size_t size, bool for_cpu)
{
	struct bslot *b = run_of(slot);

	if (b == NULL)
		return -ENOENT;
	if (off > b->size || size > b->size - off) {
		UDMA_LOG(ERR, "sync of [%zu, %zu) outside a bounced mapping of %u bytes: ignored", off,
			 off + size, b->size);
		return -ERANGE;
	}
	if (for_cpu && b->dir != UDMA_TO_DEVICE)
		memcpy((uint8_t *)b->orig + off, (uint8_t *)slot + off, size);
	if (!for_cpu && b->dir != UDMA_FROM_DEVICE)
		memcpy((uint8_t *)slot + off, (uint8_t *)b->orig + off, size);
	b->cpu_owned = for_cpu;
	return 0;
}

int swiotlb_cpu_owned(const void *slot)
{
	struct bslot *b = run_of(slot);

	return b ? b->cpu_owned : -ENOENT;
}

int udma_swiotlb_stats(struct udma_swiotlb_stats *st)
{
	if (st == NULL) {
		UDMA_LOG(ERR, "NULL stats pointer");
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	st->size = g_tlb.size;
	for (uint32_t i = 0; i < g_tlb.nslots; i++)
		if (g_tlb.s[i].order >= 0 && !g_tlb.s[i].free_head)
			st->used += SLOT << g_tlb.s[i].order;
	for (unsigned int i = 0; g_tlb.cnt && i <= UDMA_MAX_LCORES; i++)
		st->bounces += __atomic_load_n(&g_tlb.cnt[i].bounces, __ATOMIC_RELAXED);
	st->failures = atomic_load(&g_tlb.failures);
	st->forced = g_tlb.forced;
	return 0;
}

/* ---- init ------------------------------------------------------------------ */

static void *region_alloc(size_t pages, uint64_t mask, udma_addr_t *iova)
{
	int node = eal_topology_cpu_node();
	void *va = heap_alloc(pages, 1, mask, node, 0, iova);

	if (va == NULL && memseg_grow(node, pages << UDMA_PAGE_SHIFT) == 0)
		va = heap_alloc(pages, 1, mask, node, 0, iova);
	return va;
}

static int swiotlb_setup(void)
{
	size_t pages = g_cfg.swiotlb_size >> UDMA_PAGE_SHIFT;

	memset(&g_tlb, 0, sizeof(g_tlb));
	g_tlb.forced = g_cfg.swiotlb == SWIOTLB_FORCE;
	if (g_cfg.swiotlb == SWIOTLB_OFF)
		return 0;
	g_tlb.va = region_alloc(pages, UDMA_BIT_MASK(32), &g_tlb.iova);
	if (g_tlb.va == NULL) {
		g_tlb.va = region_alloc(pages, ~0ULL, &g_tlb.iova);
		if (g_tlb.va)
			UDMA_LOG(NOTICE, "swiotlb: no memory below 4 GiB of IOVA in %s mode: the bounce "
				 "region is at %#llx, out of reach of 32-bit devices",
				 g_iova_ops->name, (unsigned long long)g_tlb.iova);
	}
	if (g_tlb.va == NULL) {
		udma_log(g_tlb.forced ? UDMA_LOG_ERR : UDMA_LOG_NOTICE, "swiotlb: cannot reserve %zu MiB: bouncing off",
			 (size_t)(g_cfg.swiotlb_size >> 20));
		return g_tlb.forced ? -ENOMEM : 0;
	}
	g_tlb.size = pages << UDMA_PAGE_SHIFT;
	g_tlb.nslots = (uint32_t)(g_tlb.size >> SLOT_SHIFT);
	g_tlb.s = calloc(g_tlb.nslots, sizeof(*g_tlb.s));
	g_tlb.mags = calloc(UDMA_MAX_LCORES, sizeof(*g_tlb.mags));
	g_tlb.cnt = calloc(UDMA_MAX_LCORES + 1, sizeof(*g_tlb.cnt));
	if (g_tlb.s == NULL || g_tlb.mags == NULL || g_tlb.cnt == NULL)
		return -ENOMEM;
	for (int o = 0; o <= MAX_ORDER; o++)
		g_tlb.free[o] = NIL;
	for (uint32_t i = 0; i < g_tlb.nslots; i++)
		g_tlb.s[i].order = -1;
	for (uint32_t i = 0; i + (1u << MAX_ORDER) <= g_tlb.nslots; i += 1u << MAX_ORDER)
		buddy_push((int32_t)i, MAX_ORDER);
	g_tlb_region.va = g_tlb.va;
	g_tlb_region.iova = g_tlb.iova;
	g_tlb_region.size = g_tlb.size;
	return 0;
}

static void swiotlb_teardown(void)
{
	free(g_tlb.s);
	free(g_tlb.mags);
	free(g_tlb.cnt);
	memset(&g_tlb, 0, sizeof(g_tlb));
	memset(&g_tlb_region, 0, sizeof(g_tlb_region));
}

static const struct eal_hook g_tlb_hook = {
	.name = "swiotlb", .init = swiotlb_setup, .fini = swiotlb_teardown,
};

__attribute__((constructor)) static void swiotlb_register(void)
{
	eal_hook_register(&g_tlb_hook, 15);
	lcore_flush_register(mags_flush);
}
