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
 * When no magazine can be allocated (malloc fails), the blocks are chained through
 * themselves on the spill stack instead, as before magazines: nothing is lost.
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
}

/* free every magazine (pool destroy: no other thread uses the pool) */
void depot_fini(struct depot *d)
{
	struct lfstack *st[2] = {&d->full, &d->empty};

	for (int i = 0; i < 2; i++)
		for (struct mag *m; (m = lfstack_pop(st[i], offsetof(struct mag, next))) != NULL;)
			free(m);
}

/* an empty magazine: from the empty stack, else a new one (NULL: out of memory) */
static struct mag *mag_empty(struct depot *d)
{
	struct mag *m = lfstack_pop(&d->empty, offsetof(struct mag, next));

	if (m == NULL) {
		m = aligned_alloc(UDMA_CACHE_LINE_SIZE,
				  (sizeof(*m) + d->mag_size * sizeof(void *) + UDMA_CACHE_LINE_SIZE - 1) &
				  ~(size_t)(UDMA_CACHE_LINE_SIZE - 1));
		if (m == NULL)
			return NULL;
		m->cap = d->mag_size;
		atomic_fetch_add_explicit(&d->mags, 1, memory_order_relaxed);
	}
	return m;
}

/* chain objs[0..n) through the blocks and push the chain on the spill stack */
static void spill_put(struct depot *d, void *const *objs, unsigned int n)
{
	for (unsigned int i = 0; i + 1 < n; i++)
		__atomic_store_n(&((struct chain_link *)objs[i])->next, objs[i + 1], __ATOMIC_RELAXED);
	__atomic_store_n(&((struct chain_link *)objs[n - 1])->next, NULL, __ATOMIC_RELAXED);
	lfstack_push(&d->spill, objs[0], offsetof(struct chain_link, next_chain));
}

/* pop one spilled chain into objs (room for @room); the rest goes back */
static unsigned int spill_get(struct depot *d, void **objs, unsigned int room)
{
	void *b = lfstack_pop(&d->spill, offsetof(struct chain_link, next_chain));
	unsigned int n = 0;

	while (b != NULL && n < room) {
		objs[n++] = b;
		b = __atomic_load_n(&((struct chain_link *)b)->next, __ATOMIC_RELAXED);
	}
	if (b != NULL)
		lfstack_push(&d->spill, b, offsetof(struct chain_link, next_chain));
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
		n = __atomic_load_n(&d->spill.top.head, __ATOMIC_RELAXED) ? spill_get(d, objs, room) : 0;
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
