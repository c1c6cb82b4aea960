/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The depot: a lock-free stack of magazines (intrusive chains of free blocks).
 * The top is a {head, tag} pair swapped with one 16-byte CAS; the tag changes on
 * every push and pop, so a stale head never wins (ABA-safe). A popped block may
 * already be handed out and overwritten while a racing pop reads its link: the
 * memory stays mapped for the pool's life and the tag makes that CAS fail.
 */
#include "pool_private.h"
#include "pool_depot.h"

typedef unsigned __int128 u128;

static inline u128 pack(void *head, uint64_t tag)
{
	return ((u128)tag << 64) | (uintptr_t)head;
}

static inline void read_top(struct depot *d, void **head, uint64_t *tag)
{
	*tag = __atomic_load_n(&d->top.tag, __ATOMIC_ACQUIRE);
	*head = __atomic_load_n(&d->top.head, __ATOMIC_ACQUIRE);
}

static inline bool cas_top(struct depot *d, void *oh, uint64_t ot, void *nh)
{
	return __sync_bool_compare_and_swap((u128 *)&d->top, pack(oh, ot), pack(nh, ot + 1));
}

void depot_push(struct depot *d, void *first, unsigned int n)
{
	struct chain_link *l = first;
	void *head;
	uint64_t tag;

	do {
		read_top(d, &head, &tag);
		__atomic_store_n(&l->next_chain, head, __ATOMIC_RELAXED);
	} while (!cas_top(d, head, tag, first));
	atomic_fetch_add_explicit(&d->blocks, n, memory_order_relaxed);
}

void *depot_pop(struct depot *d)
{
	void *head, *next;
	uint64_t tag;

	do {
		read_top(d, &head, &tag);
		if (head == NULL)
			return NULL;
		next = __atomic_load_n(&((struct chain_link *)head)->next_chain, __ATOMIC_RELAXED);
	} while (!cas_top(d, head, tag, next));
	return head;
}

/* chain objs[0..n) into one magazine and push it */
void depot_put(struct depot *d, void *const *objs, unsigned int n)
{
	for (unsigned int i = 0; i + 1 < n; i++)
		__atomic_store_n(&((struct chain_link *)objs[i])->next, objs[i + 1], __ATOMIC_RELAXED);
	__atomic_store_n(&((struct chain_link *)objs[n - 1])->next, NULL, __ATOMIC_RELAXED);
	depot_push(d, objs[0], n);
}

/* pop one magazine into objs (room for @room); returns the count, 0 when empty */
unsigned int depot_get(struct depot *d, void **objs, unsigned int room)
{
	void *b = depot_pop(d);
	unsigned int n = 0;

	while (b != NULL && n < room) {
		objs[n++] = b;
		b = __atomic_load_n(&((struct chain_link *)b)->next, __ATOMIC_RELAXED);
	}
	if (b != NULL) { /* longer than room (never with our own magazines): put back the rest */
		unsigned int rest = 0;

		for (void *p = b; p; p = ((struct chain_link *)p)->next)
			rest++;
		atomic_fetch_sub_explicit(&d->blocks, rest, memory_order_relaxed);
		depot_push(d, b, rest);
	}
	atomic_fetch_sub_explicit(&d->blocks, n, memory_order_relaxed);
	return n;
}
