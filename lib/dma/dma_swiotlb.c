/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounce buffers (swiotlb): a region of coherent memory reserved at init, below
 * 4 GiB of IOVA when the mode has any, cut into 2 KiB slots handed out by a buddy
 * allocator. Runs of up to 4 slots (8 KiB) come from per-lcore magazines, so the
 * common bounce takes no shared lock (only its own lcore's, uncontended); the buddy
 * lists sit behind a spinlock. Slots parked in magazines keep their buddies from
 * merging: when the buddy lists cannot serve a request every lcore's magazines are
 * drained into them (under each magazine's lock) and the request is retried, and a
 * thread's magazines go back when it unregisters.
 */
#include <stdlib.h>
#include <string.h>

#include "dma_private.h"
#include "iova_private.h"
#include "udma_map.h"

#define SLOT_SHIFT 11
#define SLOT (1UL << SLOT_SHIFT)
#define MAX_ORDER 7 /* 128 slots: 256 KiB, when chunks are that large */
#define CACHED_ORDERS 3
#define MAG 32
#define NIL (-1)

/* cpu_owned: the device's; the CPU's, every byte synced; the CPU's after a partial sync */
enum { CPU_NO = 0, CPU_ALL = 1, CPU_PART = 2 };

struct bslot {
	void *orig;        /* the CPU buffer this slot run stands in for */
	const struct udma_device *dev; /* the device that mapped it: only it unmaps or syncs */
	uint32_t size;
	uint8_t dir;
	int8_t order;      /* head of a live run: its order; -1 otherwise */
	uint8_t cpu_owned; /* sync state for BIDIRECTIONAL udma_sync_single(): CPU_* */
	uint8_t free_head; /* head of a free buddy block */
	int32_t next, prev;
};

struct mag {
	unsigned int n;
	int32_t slot[MAG];
};

/* one lcore's magazines, locked by their owner (uncontended) and by a drainer */
struct lcore_mags {
	atomic_flag lock;
	struct mag m[CACHED_ORDERS];
} __udma_cache_aligned;

/* per-lcore counters: plain stores by the owner, summed by the stats call */
struct tlb_counters {
	uint64_t bounces;
} __udma_cache_aligned;

static struct {
	bool on;
	int max_order;    /* MAX_ORDER, or less with small chunks */
	uint32_t per_chunk; /* slots in a chunk */
	unsigned int chunk_slot_shift; /* log2(per_chunk): no division on the path */
	uint32_t nslots;
	struct bslot *s;
	int32_t free[MAX_ORDER + 1];
	atomic_flag lock;
	struct lcore_mags *mags; /* UDMA_MAX_LCORES */
	struct tlb_counters *cnt; /* UDMA_MAX_LCORES + 1 (shared, atomic) */
	atomic_size_t failures;
} g_tlb;

static inline void tlb_lock(void)
{
	eal_spin_lock(&g_tlb.lock);
}

static inline void tlb_unlock(void)
{
	eal_spin_unlock(&g_tlb.lock);
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

	while (o <= g_tlb.max_order && g_tlb.free[o] == NIL)
		o++;
	if (o > g_tlb.max_order)
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
	while (order < g_tlb.max_order) {
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

/* the buddy order of a run of @size bytes; MAX_ORDER + 1 when it is larger than any */
static int order_for(size_t size)
{
	int o = 0;

	if (size > (SLOT << MAX_ORDER))
		return MAX_ORDER + 1; /* and no shift past the width of size_t */
	while ((SLOT << o) < size)
		o++;
	return o;
}

/* give lcore @lc's parked slots back to the buddy lists */
static void mags_flush(unsigned int lc)
{
	struct lcore_mags *lm;

	if (g_tlb.mags == NULL || lc >= UDMA_MAX_LCORES)
		return;
	lm = &g_tlb.mags[lc];
	eal_spin_lock(&lm->lock);
	tlb_lock();
	for (int o = 0; o < CACHED_ORDERS; o++) {
		struct mag *m = &lm->m[o];

		while (m->n)
			buddy_free(m->slot[--m->n], o);
	}
	tlb_unlock();
	eal_spin_unlock(&lm->lock);
}

/* the buddy lists are short: every lcore's magazines go back, then one more try */
static __attribute__((noinline)) int32_t run_alloc_drained(int order)
{
	int32_t i;

	for (unsigned int lc = 0; lc < UDMA_MAX_LCORES; lc++)
		mags_flush(lc);
	tlb_lock();
	i = buddy_alloc(order);
	tlb_unlock();
	return i;
}

static int32_t run_alloc(int order)
{
	unsigned int lc = lcore_id();
	int32_t i = NIL;

	if (order < CACHED_ORDERS && lc < UDMA_MAX_LCORES) {
		struct lcore_mags *lm = &g_tlb.mags[lc];
		struct mag *m = &lm->m[order];

		eal_spin_lock(&lm->lock);
		if (udma_unlikely(m->n == 0)) {
			tlb_lock();
			while (m->n < MAG / 2 && (i = buddy_alloc(order)) != NIL)
				m->slot[m->n++] = i;
			tlb_unlock();
		}
		i = m->n ? m->slot[--m->n] : NIL;
		eal_spin_unlock(&lm->lock);
	} else {
		tlb_lock();
		i = buddy_alloc(order);
		tlb_unlock();
	}
	/* our own lock is released: a drainer takes the lcores' locks one at a time */
	return udma_likely(i != NIL) ? i : run_alloc_drained(order);
}

static void run_free(int32_t i, int order)
{
	unsigned int lc = lcore_id();

	if (order < CACHED_ORDERS && lc < UDMA_MAX_LCORES) {
		struct lcore_mags *lm = &g_tlb.mags[lc];
		struct mag *m = &lm->m[order];

		eal_spin_lock(&lm->lock);
		if (udma_unlikely(m->n == MAG)) {
			tlb_lock();
			while (m->n > MAG / 2)
				buddy_free(m->slot[--m->n], order);
			tlb_unlock();
		}
		m->slot[m->n++] = i;
		eal_spin_unlock(&lm->lock);
		return;
	}
	tlb_lock();
	buddy_free(i, order);
	tlb_unlock();
}

/* ---- bounce ---------------------------------------------------------------- */

static inline uint8_t *slot_va(int32_t i)
{
	uint32_t u = (uint32_t)i;

	return g_swiotlb.region.chunk_va[u >> g_tlb.chunk_slot_shift] +
	       ((size_t)(u & (g_tlb.per_chunk - 1)) << SLOT_SHIFT);
}

static inline udma_addr_t slot_iova(int32_t i)
{
	uint32_t u = (uint32_t)i;

	return g_swiotlb.region.chunk_iova[u >> g_tlb.chunk_slot_shift] +
	       ((udma_addr_t)(u & (g_tlb.per_chunk - 1)) << SLOT_SHIFT);
}

/* slot index of a CPU address inside the region, or -1 when not a slot start */
static int32_t slot_index(const void *va)
{
	int32_t c = swiotlb_chunk((uintptr_t)va, false);
	size_t off;

	if (c < 0)
		return -1;
	off = (size_t)((const uint8_t *)va - g_swiotlb.region.chunk_va[c]);
	if (off & (SLOT - 1))
		return -1;
	return (int32_t)(((uint32_t)c << g_tlb.chunk_slot_shift) + (uint32_t)(off >> SLOT_SHIFT));
}

static inline void count_bounce(void)
{
	unsigned int lc = lcore_id();

	if (lc < UDMA_MAX_LCORES)
		g_tlb.cnt[lc].bounces++;
	else
		__atomic_fetch_add(&g_tlb.cnt[UDMA_MAX_LCORES].bounces, 1, __ATOMIC_RELAXED);
}

struct swiotlb_state g_swiotlb;

void *swiotlb_bounce(const struct udma_device *dev, void *orig, size_t size,
		     enum udma_data_direction dir, bool copy, udma_addr_t *iova_out)
{
	int order = order_for(size);
	struct bslot *b;
	int32_t i;
	uint8_t *slot;

	if (!g_tlb.on || order > g_tlb.max_order || (i = run_alloc(order)) == NIL) {
		atomic_fetch_add(&g_tlb.failures, 1);
		return NULL;
	}
	b = &g_tlb.s[i];
	b->orig = orig;
	b->dev = dev;
	b->size = (uint32_t)size;
	b->dir = (uint8_t)dir;
	b->order = (int8_t)order;
	b->cpu_owned = 0;
	slot = slot_va(i);
	if (copy) /* every direction: bytes the device does not write keep their values */
		memmove(slot, orig, size); /* the caller may map memory that holds slots */
	count_bounce();
	*iova_out = slot_iova(i);
	return slot;
}

/* the live run whose head is slot @i (from slot_index), or NULL */
static struct bslot *run_at(int32_t i)
{
	struct bslot *b;

	if (i < 0)
		return NULL;
	b = &g_tlb.s[i];
	return b->order >= 0 && !b->free_head ? b : NULL;
}

/* the live run whose head is at @slot, or NULL */
static struct bslot *run_of(const void *slot)
{
	return run_at(g_tlb.on ? slot_index(slot) : -1);
}

/* @dev is not the device that mapped @b: one line, and the mapping stays as it is */
static __attribute__((noinline)) int not_owner(const struct bslot *b,
					       const struct udma_device *dev, const char *what)
{
	UDMA_LOG(ERR, "%s: %s of a bounced mapping of %u bytes that %s mapped: refused",
		 dev->name, what, b->size, b->dev ? b->dev->name : "another device");
	return -EPERM;
}

int swiotlb_release(const struct udma_device *dev, void *slot, size_t size,
		    enum udma_data_direction dir, bool copy, bool strict)
{
	int32_t i = g_tlb.on ? slot_index(slot) : -1; /* one hash probe for the whole release */
	struct bslot *b = run_at(i);
	int order;

	if (b == NULL)
		return -ENOENT;
	if (udma_unlikely(b->dev != dev))
		return not_owner(b, dev, "unmap");
	if (b->size != size || b->dir != dir) {
		UDMA_LOG(ERR, "bounced mapping of %u bytes dir %u unmapped with size %zu dir %d: %s",
			 b->size, b->dir, size, (int)dir, strict ? "ignored" : "released as mapped");
		if (strict)
			return -EINVAL;
		size = b->size; /* its IOVA is gone already: release the slot as it was mapped */
		dir = (enum udma_data_direction)b->dir;
	}
	/* the device's bytes, unless the CPU already owns all of them (synced, device done) */
	if (copy && (dir == UDMA_FROM_DEVICE || dir == UDMA_BIDIRECTIONAL) && b->cpu_owned != CPU_ALL)
		memmove(b->orig, slot, size);
	order = b->order;
	b->order = -1;
	run_free(i, order);
	return 0;
}

int swiotlb_sync(const struct udma_device *dev, void *slot, size_t off, size_t size, bool for_cpu)
{
	struct bslot *b = run_of(slot);

	if (b == NULL)
		return -ENOENT;
	if (udma_unlikely(b->dev != dev))
		return not_owner(b, dev, "sync");
	if (off > b->size || size > b->size - off) {
		UDMA_LOG(ERR, "sync of [%zu, %zu) outside a bounced mapping of %u bytes: ignored", off,
			 off + size, b->size);
		return -ERANGE;
	}
	if (for_cpu && b->dir != UDMA_TO_DEVICE)
		memmove((uint8_t *)b->orig + off, (uint8_t *)slot + off, size);
	if (!for_cpu && b->dir != UDMA_FROM_DEVICE)
		memmove((uint8_t *)slot + off, (uint8_t *)b->orig + off, size);
	b->cpu_owned = !for_cpu ? CPU_NO : off == 0 && size == b->size ? CPU_ALL : CPU_PART;
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
	st->size = g_swiotlb.region.size;
	for (uint32_t i = 0; i < g_tlb.nslots; i++)
		if (g_tlb.s[i].order >= 0 && !g_tlb.s[i].free_head)
			st->used += SLOT << g_tlb.s[i].order;
	for (unsigned int i = 0; g_tlb.cnt && i <= UDMA_MAX_LCORES; i++)
		st->bounces += __atomic_load_n(&g_tlb.cnt[i].bounces, __ATOMIC_RELAXED);
	st->failures = atomic_load(&g_tlb.failures);
	st->forced = g_swiotlb.forced;
	return 0;
}

/* ---- init ------------------------------------------------------------------ */

static void region_free(void)
{
	struct swiotlb_region *r = &g_swiotlb.region;

	for (unsigned int c = 0; r->chunk_va && c < r->nchunks; c++)
		heap_free(r->chunk_va[c], (size_t)1 << (r->chunk_shift - UDMA_PAGE_SHIFT), 0);
	free(r->chunk_va);
	free(r->chunk_iova);
	free(r->by_iova);
	free(r->by_va);
	memset(r, 0, sizeof(*r));
}

static void region_index(void)
{
	struct swiotlb_region *r = &g_swiotlb.region;
	unsigned int mask = (1u << r->hash_bits) - 1;

	for (unsigned int i = 0; i <= mask; i++)
		r->by_iova[i] = r->by_va[i] = -1;
	for (unsigned int c = 0; c < r->nchunks; c++) {
		unsigned int h = swiotlb_hash(r->chunk_iova[c] >> r->chunk_shift);

		while (r->by_iova[h] >= 0)
			h = (h + 1) & mask;
		r->by_iova[h] = (int32_t)c;
		h = swiotlb_hash((uintptr_t)r->chunk_va[c] >> r->chunk_shift);
		while (r->by_va[h] >= 0)
			h = (h + 1) & mask;
		r->by_va[h] = (int32_t)c;
	}
}

/* the whole region in IOVA-contiguous chunks of 1 << shift under @mask, or nothing */
static bool region_try(size_t size, unsigned int shift, uint64_t mask)
{
	struct swiotlb_region *r = &g_swiotlb.region;
	size_t pages = (size_t)1 << (shift - UDMA_PAGE_SHIFT);
	int node = eal_topology_cpu_node();

	r->chunk_shift = shift;
	r->nchunks = (unsigned int)(size >> shift);
	/*
	 * at most 1/8 full: every direct unmap looks its IOVA up here and misses, and a
	 * miss in a linear-probing table costs ~1.1 probes at 1/8, ~2.5 at 1/2
	 */
	r->hash_bits = 1;
	while ((1u << r->hash_bits) < 8 * r->nchunks)
		r->hash_bits++;
	r->chunk_va = calloc(r->nchunks, sizeof(*r->chunk_va));
	r->chunk_iova = calloc(r->nchunks, sizeof(*r->chunk_iova));
	r->by_iova = calloc((size_t)1 << r->hash_bits, sizeof(int32_t));
	r->by_va = calloc((size_t)1 << r->hash_bits, sizeof(int32_t));
	if (!r->chunk_va || !r->chunk_iova || !r->by_iova || !r->by_va) {
		region_free();
		return false;
	}
	for (unsigned int c = 0; c < r->nchunks; c++) {
		r->chunk_va[c] = heap_alloc(pages, pages, mask, node, 0, &r->chunk_iova[c]);
		if (r->chunk_va[c] == NULL) {
			r->nchunks = c;
			region_free();
			return false;
		}
	}
	r->size = size;
	region_index();
	return true;
}

/* below 4 GiB if the mode has memory there, else anywhere; large chunks first */
static bool region_alloc(size_t size)
{
	for (int grown = 0; grown < 2; grown++) {
		for (unsigned int shift = 21; shift >= UDMA_PAGE_SHIFT; shift--)
			if (region_try(size, shift, UDMA_BIT_MASK(32)))
				return true;
		if (!grown && memseg_grow(eal_topology_cpu_node(), size) != 0)
			break;
	}
	for (unsigned int shift = 21; shift >= UDMA_PAGE_SHIFT; shift--)
		if (region_try(size, shift, ~0ULL)) {
			UDMA_LOG_AS(NOTICE, "udma_eal_init", "swiotlb: no memory below 4 GiB of IOVA in "
				    "%s mode: the bounce region is above it, out of reach of 32-bit "
				    "devices", g_iova.ops->name);
			return true;
		}
	return false;
}

static int swiotlb_setup(const struct eal_config *cfg)
{
	size_t size = (size_t)cfg->swiotlb_size & ~(((size_t)2 << 20) - 1);

	memset(&g_tlb, 0, sizeof(g_tlb));
	g_swiotlb.forced = cfg->swiotlb == SWIOTLB_FORCE;
	if (cfg->swiotlb == SWIOTLB_OFF)
		return 0;
	if (size == 0)
		size = 2UL << 20;
	if (!region_alloc(size)) {
		bool must = g_swiotlb.forced || cfg->swiotlb_size_set; /* asked for: an error */

		udma_log(must ? UDMA_LOG_ERR : UDMA_LOG_NOTICE, "udma_eal_init(): swiotlb: cannot "
			 "reserve %zu MiB%s", size >> 20, must ? " (--swiotlb=off runs without bouncing)" :
			 ": bouncing off");
		return must ? -ENOMEM : 0;
	}
	g_tlb.per_chunk = (uint32_t)(((size_t)1 << g_swiotlb.region.chunk_shift) >> SLOT_SHIFT);
	g_tlb.chunk_slot_shift = g_swiotlb.region.chunk_shift - SLOT_SHIFT;
	g_tlb.max_order = MAX_ORDER;
	while ((1u << g_tlb.max_order) > g_tlb.per_chunk)
		g_tlb.max_order--;
	g_tlb.nslots = (uint32_t)(size >> SLOT_SHIFT);
	g_tlb.s = calloc(g_tlb.nslots, sizeof(*g_tlb.s));
	/* per-lcore state on lines of its own: calloc aligns to 16 only */
	g_tlb.mags = aligned_alloc(64, UDMA_MAX_LCORES * sizeof(*g_tlb.mags));
	g_tlb.cnt = aligned_alloc(64, (UDMA_MAX_LCORES + 1) * sizeof(*g_tlb.cnt));
	if (g_tlb.s == NULL || g_tlb.mags == NULL || g_tlb.cnt == NULL)
		return -ENOMEM;
	memset(g_tlb.mags, 0, UDMA_MAX_LCORES * sizeof(*g_tlb.mags));
	memset(g_tlb.cnt, 0, (UDMA_MAX_LCORES + 1) * sizeof(*g_tlb.cnt));
	for (int o = 0; o <= MAX_ORDER; o++)
		g_tlb.free[o] = NIL;
	for (uint32_t i = 0; i < g_tlb.nslots; i++)
		g_tlb.s[i].order = -1;
	for (uint32_t i = 0; i < g_tlb.nslots; i += 1u << g_tlb.max_order)
		buddy_push((int32_t)i, g_tlb.max_order);
	g_tlb.on = true;
	return 0;
}

static void swiotlb_teardown(void)
{
	free(g_tlb.s);
	free(g_tlb.mags);
	free(g_tlb.cnt);
	memset(&g_tlb, 0, sizeof(g_tlb));
	g_swiotlb.forced = false;
	region_free();
}


/* the last hook to run: every setting it depends on is known by then */
static int map_direct_init(const struct eal_config *cfg)
{
	g_dma.map_direct = g_iova.ops && !g_iova.ops->remaps && !g_iova.ops->dma_ops &&
		       cfg->swiotlb != SWIOTLB_FORCE && !cfg->dma_debug;
	__atomic_store_n(&g_dma.unmap_direct, g_dma.map_direct && !reg_active(), __ATOMIC_RELAXED);
	return 0;
}

static void map_direct_fini(void)
{
	g_dma.map_direct = false;
	__atomic_store_n(&g_dma.unmap_direct, false, __ATOMIC_RELAXED);
}

static const struct eal_hook g_direct_hook = {
	.name = "map-direct", .init = map_direct_init, .fini = map_direct_fini,
};

static const struct eal_hook g_tlb_hook = {
	.name = "swiotlb", .init = swiotlb_setup, .fini = swiotlb_teardown,
};

__attribute__((constructor)) static void swiotlb_register(void)
{
	eal_hook_register(&g_tlb_hook, EAL_STAGE_SWIOTLB);
	eal_hook_register(&g_direct_hook, EAL_STAGE_MAP_DIRECT);
	lcore_flush_register(mags_flush);
}
