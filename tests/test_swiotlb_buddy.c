/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * White-box (SPDK's *_ut style: the .c included, its statics in reach): the
 * swiotlb's buddy allocator and its per-lcore magazines, on slot tables built
 * here (no region, no memory behind the slots). Every order splits and merges,
 * runs are aligned to their size and never overlap (a bitmap reference), the
 * allocator runs dry exactly when the slots are gone, and after every free the
 * table is what it was at the start.
 */
#include "test_common.h"

#include "dma_swiotlb.c"

#define NSLOTS 1024u

static uint8_t g_used[NSLOTS]; /* the reference: who holds each slot */

static void table_init(uint32_t nslots, int max_order)
{
	free(g_tlb.s);
	free(g_tlb.mags);
	memset(&g_tlb, 0, sizeof(g_tlb));
	g_tlb.nslots = nslots;
	g_tlb.max_order = max_order;
	g_tlb.s = calloc(nslots, sizeof(*g_tlb.s));
	g_tlb.mags = calloc(UDMA_MAX_LCORES, sizeof(*g_tlb.mags));
	assert_non_null(g_tlb.s);
	assert_non_null(g_tlb.mags);
	for (int o = 0; o <= MAX_ORDER; o++)
		g_tlb.free[o] = NIL;
	for (uint32_t i = 0; i < nslots; i++)
		g_tlb.s[i].order = -1;
	for (uint32_t i = 0; i < nslots; i += 1u << max_order)
		buddy_push((int32_t)i, max_order);
	memset(g_used, 0, sizeof(g_used));
}

static unsigned int list_len(int order)
{
	unsigned int n = 0;

	for (int32_t i = g_tlb.free[order]; i != NIL; i = g_tlb.s[i].next) {
		assert_true(g_tlb.s[i].free_head);
		assert_int_equal(g_tlb.s[i].order, order);
		assert_int_equal(i & ((1 << order) - 1), 0);
		if (g_tlb.s[i].next != NIL)
			assert_int_equal(g_tlb.s[g_tlb.s[i].next].prev, i);
		n++;
	}
	return n;
}

/* the table as at the start: only whole blocks of the top order, all free */
static void assert_pristine(void)
{
	for (int o = 0; o < g_tlb.max_order; o++)
		assert_int_equal(list_len(o), 0);
	assert_int_equal(list_len(g_tlb.max_order), g_tlb.nslots >> g_tlb.max_order);
}

static void take(int32_t i, int order)
{
	assert_true(i >= 0 && (uint32_t)i + (1u << order) <= g_tlb.nslots);
	assert_int_equal(i & ((1 << order) - 1), 0); /* aligned to its size */
	for (int32_t k = i; k < i + (1 << order); k++) {
		assert_int_equal(g_used[k], 0); /* never handed out twice */
		g_used[k] = 1;
	}
}

static void give(int32_t i, int order)
{
	for (int32_t k = i; k < i + (1 << order); k++) {
		assert_int_equal(g_used[k], 1);
		g_used[k] = 0;
	}
}

/* one order-0 slot splits a top block into one free block of every lower order */
static void test_split_then_merge(void **state)
{
	int32_t i;

	(void)state;
	table_init(NSLOTS, MAX_ORDER);
	i = buddy_alloc(0);
	take(i, 0);
	for (int o = 0; o < MAX_ORDER; o++)
		assert_int_equal(list_len(o), 1);
	assert_int_equal(list_len(MAX_ORDER), (NSLOTS >> MAX_ORDER) - 1);
	give(i, 0);
	buddy_free(i, 0);
	assert_pristine();
}

/* every order, every max order: fill exactly, run dry, free all, pristine again */
static void test_every_order_exhaustion_and_recovery(void **state)
{
	static int32_t got[NSLOTS];

	(void)state;
	for (int max = 0; max <= MAX_ORDER; max++) {
		for (int order = 0; order <= max; order++) {
			unsigned int n = 0;
			int32_t i;

			table_init(NSLOTS, max);
			while ((i = buddy_alloc(order)) != NIL) {
				take(i, order);
				got[n++] = i;
			}
			assert_int_equal(n, NSLOTS >> order);
			for (int o = 0; o <= max; o++) /* dry at every order */
				assert_int_equal(buddy_alloc(o), NIL);
			/* free in a scrambled order: merges must not depend on it */
			for (unsigned int k = 0; k < n; k++) {
				unsigned int j = (k * 7919u) % n;

				give(got[j], order);
				buddy_free(got[j], order);
			}
			assert_pristine();
		}
		assert_int_equal(buddy_alloc(max + 1 <= MAX_ORDER ? max + 1 : MAX_ORDER + 1), NIL);
	}
}

/* one free slot in a full table: order 0 fits, order 1 does not */
static void test_exhaustion_is_exact(void **state)
{
	int32_t i;

	(void)state;
	table_init(64, 3);
	for (unsigned int k = 0; k < 64; k++) {
		i = buddy_alloc(0);
		take(i, 0);
	}
	give(17, 0);
	buddy_free(17, 0);
	assert_int_equal(buddy_alloc(1), NIL);
	assert_int_equal(buddy_alloc(0), 17);
	assert_int_equal(buddy_alloc(0), NIL);
	g_used[17] = 1;
	for (int32_t k = 0; k < 64; k++) {
		give(k, 0);
		buddy_free(k, 0);
	}
	assert_pristine();
}

/* random mixed orders against the bitmap reference */
static void test_random_mix(void **state)
{
	static struct {
		int32_t i;
		int order;
	} live[NSLOTS];
	unsigned int seed = 12345, nlive = 0;

	(void)state;
	table_init(NSLOTS, MAX_ORDER);
	for (int step = 0; step < 200000; step++) {
		if (nlive && (rand_r(&seed) % 3 == 0 || nlive == NSLOTS)) {
			unsigned int k = (unsigned int)rand_r(&seed) % nlive;

			give(live[k].i, live[k].order);
			buddy_free(live[k].i, live[k].order);
			live[k] = live[--nlive];
		} else {
			int order = rand_r(&seed) % (MAX_ORDER + 1);
			int32_t i = buddy_alloc(order);

			if (i == NIL) { /* only when no free run of that order exists */
				unsigned int run = 0;
				bool room = false;

				for (uint32_t s = 0; s < NSLOTS && !room; s += 1u << order) {
					run = 0;
					for (uint32_t t = s; t < s + (1u << order); t++)
						run += g_used[t] == 0;
					room = run == 1u << order;
				}
				assert_false(room);
				continue;
			}
			take(i, order);
			live[nlive].i = i;
			live[nlive++].order = order;
		}
	}
	while (nlive) {
		nlive--;
		give(live[nlive].i, live[nlive].order);
		buddy_free(live[nlive].i, live[nlive].order);
	}
	assert_pristine();
}

/* the magazines hold small runs per lcore; a flush gives every slot back */
static void test_magazines_flush_back(void **state)
{
	static int32_t got[NSLOTS];
	unsigned int n = 0;
	int32_t i;

	(void)state;
	table_init(NSLOTS, MAX_ORDER);
	udma_pvt_lcore_id = 0; /* this thread is lcore 0 (no init: the generations match) */
	assert_int_equal(lcore_id(), 0);
	for (int order = 0; order < CACHED_ORDERS; order++)
		for (int k = 0; k < 100; k++) {
			i = run_alloc(order);
			take(i, order);
			got[n++] = i | (order << 16);
		}
	for (unsigned int k = 0; k < n; k++) {
		give(got[k] & 0xffff, got[k] >> 16);
		run_free(got[k] & 0xffff, got[k] >> 16);
	}
	for (int order = 0; order < CACHED_ORDERS; order++)
		assert_true(g_tlb.mags[0].m[order].n > 0 && g_tlb.mags[0].m[order].n <= MAG);
	mags_flush(0);
	for (int order = 0; order < CACHED_ORDERS; order++)
		assert_int_equal(g_tlb.mags[0].m[order].n, 0);
	assert_pristine();
	/* an unregistered thread goes straight to the buddy lists */
	udma_pvt_lcore_id = UDMA_LCORE_ID_ANY;
	i = run_alloc(0);
	take(i, 0);
	give(i, 0);
	run_free(i, 0);
	assert_int_equal(g_tlb.mags[0].m[0].n, 0);
	assert_pristine();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_then_merge),
		cmocka_unit_test(test_every_order_exhaustion_and_recovery),
		cmocka_unit_test(test_exhaustion_is_exact),
		cmocka_unit_test(test_random_mix),
		cmocka_unit_test(test_magazines_flush_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
