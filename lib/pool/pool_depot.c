/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The depot: array magazines on two lock-free stacks, full and empty. A flush
 * copies block pointers from a cache into an empty magazine and pushes it on the
 * full stack; a refill pops a full magazine, copies its pointers out and pushes it
 * on the empty stack. Blocks are never read or written here, so a magazine freed
 * on one lcore and taken on another moves 8 bytes a block through one cache line
 * in eight, and no block's line leaves the core that last used it.
 *
 * Each stack top is a {head, tag} pair swapped with one 16-byte CAS; the tag
 * changes on every push and pop, so a stale head never wins (ABA-safe). Magazines
 * are freed only when the pool is destroyed, so a pop racing with another may read
 * the link of a magazine already reused: the tag makes that CAS fail.
 *
 * Magazines are capped (as Bonwick's depot bounds its working set, without the
 * reaping a never-freed magazine cannot have): at most mag_floor magazines plus one
 * per mag_per blocks carved. The floor covers the caches' worth twice over (the
 * depot as the conduit of steady cross-lcore traffic: consumers' flushes feed
 * producers' refills, and a few magazines cycle between the two stacks); the
 * capacity term a fraction of the blocks. A flush that finds no empty magazine with
 * the cap reached (or malloc failing) chains its blocks through themselves on the
 * spill stack instead, and a refill that finds no full magazine takes them back:
 * that touches every block, so it is only for a pool whose free blocks outgrow the
 * cap (every block free after a peak), never for traffic within it.
 */
#include <stdlib.h>
#include <string.h>

#include "pool_private.h"
#include "pool_depot.h"

typedef unsigned __int128 u128;

static inline u128 pack(void *head, uint64_t tag)
{
	return ((u128)tag << 64) | (uintptr_t)head;
}

static inline void **link_of(void *node, size_t link)
{
	return (void **)((uint8_t *)node + link);
}

/*
 * Push and pop start with a CAS, not a read of the top: a read brings the line
 * shared and the CAS then has to take it again for writing, two trips between
 * lcores where a refill on one lcore follows a flush on another; a CAS takes the
 * line for writing at once and, when it fails, hands back the top it found, which
 * the next try uses. An empty stack is swapped for itself (its top does not change).
 */
static inline u128 cas_top(struct lfstack *s, u128 old, void *nh)
{
	return __sync_val_compare_and_swap((u128 *)&s->top, old,
					   nh == NULL && (uintptr_t)old == 0 ? old :
					   pack(nh, (uint64_t)(old >> 64) + 1));
}

void lfstack_push(struct lfstack *s, void *node, size_t link)
{
	u128 old = pack(NULL, 0), seen;

	for (;;) {
		__atomic_store_n(link_of(node, link), (void *)(uintptr_t)old, __ATOMIC_RELAXED);
		seen = cas_top(s, old, node);
		if (seen == old)
			return;
		old = seen;
	}
}

void *lfstack_pop(struct lfstack *s, size_t link)
{
	u128 old = pack(NULL, 0), seen;

	for (;;) {
		void *head = (void *)(uintptr_t)old;
		/* a stale head's link may be read: the tag makes that CAS fail */
		void *next = head ? __atomic_load_n(link_of(head, link), __ATOMIC_RELAXED) : NULL;

		seen = cas_top(s, old, next);
		if (seen == old)
			return head;
		old = seen;
	}
}

void depot_init(struct depot *d, unsigned int mag_size)
{
	d->mag_size = mag_size;
	atomic_store_explicit(&d->mag_cap, UINT64_MAX, memory_order_relaxed);
}

void depot_limit(struct depot *d, unsigned int floor, unsigned int per)
{
	d->mag_floor = floor;
	d->mag_per = per;
	depot_capacity(d, 0);
}

void depot_capacity(struct depot *d, uint64_t blocks)
{
	if (d->mag_floor > 0 || d->mag_per > 0)
		atomic_store_explicit(&d->mag_cap, d->mag_floor + (d->mag_per ? blocks / d->mag_per : 0),
				      memory_order_relaxed);
}

size_t depot_mag_bytes(const struct depot *d)
{
	return (sizeof(struct mag) + d->mag_size * sizeof(void *) + UDMA_CACHE_LINE_SIZE - 1) &
	       ~(size_t)(UDMA_CACHE_LINE_SIZE - 1);
}

/* free every magazine (pool destroy: no other thread uses the pool); spilled blocks
 * are slab memory, nothing to free */
void depot_fini(struct depot *d)
{
	struct lfstack *st[2] = {&d->full, &d->empty};

	for (int i = 0; i < 2; i++)
		for (struct mag *m; (m = lfstack_pop(st[i], offsetof(struct mag, next))) != NULL;)
			free(m);
}

/* one more magazine allowed? (counted now; false at the cap) */
static bool mag_reserve(struct depot *d)
{
	uint64_t n = atomic_load_explicit(&d->mags, memory_order_relaxed);

	do {
		if (n >= atomic_load_explicit(&d->mag_cap, memory_order_relaxed))
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&d->mags, &n, n + 1, memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

/* a new magazine below the cap (NULL: at the cap or out of memory); outlined, as
 * the spill paths: the flush and refill that find their magazine stay lean */
static __attribute__((noinline, cold)) struct mag *mag_new(struct depot *d)
{
	struct mag *m;

	if (!mag_reserve(d))
		return NULL;
	m = aligned_alloc(UDMA_CACHE_LINE_SIZE, depot_mag_bytes(d));
	if (m == NULL) {
		atomic_fetch_sub_explicit(&d->mags, 1, memory_order_relaxed);
		return NULL;
	}
	m->cap = d->mag_size;
	return m;
}

/* an empty magazine: from the empty stack, else a new one */
static inline struct mag *mag_empty(struct depot *d)
{
	struct mag *m = lfstack_pop(&d->empty, offsetof(struct mag, next));

	return m ? m : mag_new(d);
}

/* chain objs[0..n) through the blocks and push the chain on the spill stack */
static __attribute__((noinline, cold)) void spill_put(struct depot *d, void *const *objs, unsigned int n)
{
	struct chain_link *head = objs[0];

	for (unsigned int i = 0; i + 1 < n; i++)
		((struct chain_link *)objs[i])->next = objs[i + 1];
	((struct chain_link *)objs[n - 1])->next = NULL;
	eal_spin_lock(&d->spill_lock);
	head->next_chain = d->spill_top;
	__atomic_store_n(&d->spill_top, head, __ATOMIC_RELAXED); /* read unlocked by depot_get */
	d->spill_n += n;
	eal_spin_unlock(&d->spill_lock);
	atomic_fetch_add_explicit(&d->spilled, n, memory_order_relaxed);
}

/* up to @room spilled blocks into objs, from the top chain (what is left of it
 * stays on top) */
static __attribute__((noinline, cold)) unsigned int spill_get(struct depot *d, void **objs, unsigned int room)
{
	struct chain_link *b, *rest;
	unsigned int n = 0;

	eal_spin_lock(&d->spill_lock);
	b = d->spill_top;
	if (b == NULL) {
		eal_spin_unlock(&d->spill_lock);
		return 0;
	}
	rest = b->next_chain;
	while (b != NULL && n < room) {
		objs[n++] = b;
		b = b->next;
	}
	if (b != NULL) {
		b->next_chain = rest;
		rest = b;
	}
	__atomic_store_n(&d->spill_top, rest, __ATOMIC_RELAXED);
	d->spill_n -= n;
	eal_spin_unlock(&d->spill_lock);
	return n;
}

/* objs[0..n) into the depot: magazines of up to mag_size pointers */
void depot_put(struct depot *d, void *const *objs, unsigned int n)
{
	atomic_fetch_add_explicit(&d->blocks, n, memory_order_relaxed);
	while (n > 0) {
		unsigned int k = n < d->mag_size ? n : d->mag_size;
		struct mag *m = mag_empty(d);

		if (udma_unlikely(m == NULL)) {
			spill_put(d, objs, n);
			return;
		}
		memcpy(m->objs, objs, k * sizeof(*objs));
		m->n = k;
		lfstack_push(&d->full, m, offsetof(struct mag, next));
		objs += k;
		n -= k;
	}
}

/* one magazine's blocks into objs (room for @room); returns the count, 0 when empty */
unsigned int depot_get(struct depot *d, void **objs, unsigned int room)
{
	struct mag *m = lfstack_pop(&d->full, offsetof(struct mag, next));
	unsigned int n;

	if (udma_unlikely(m == NULL)) {
		n = __atomic_load_n(&d->spill_top, __ATOMIC_RELAXED) ? spill_get(d, objs, room) : 0;
	} else if (udma_likely(m->n <= room)) {
		n = m->n;
		memcpy(objs, m->objs, n * sizeof(*objs));
		lfstack_push(&d->empty, m, offsetof(struct mag, next));
	} else { /* less room than the magazine holds: take its top, put it back */
		n = room;
		m->n -= room;
		memcpy(objs, &m->objs[m->n], n * sizeof(*objs));
		lfstack_push(&d->full, m, offsetof(struct mag, next));
	}
	atomic_fetch_sub_explicit(&d->blocks, n, memory_order_relaxed);
	return n;
}
