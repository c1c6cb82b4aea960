/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * White-box (SPDK's *_ut style: the .c included, its statics in reach): the
 * swiotlb's buddy allocator and its per-lcore magazines, on slot tables built
 * here (no region, no memory behind the slots). Every order splits and merges,
 * runs are aligned to their size and never overlap (a bitmap reference), the
 * allocator runs dry exactly when the slots are gone, and after every free the
 * table is what it was at the start. The lock-free magazines (membarrier()'s
 * asymmetric fence) and the locked fallback under a storm of lcores that run the
 * table dry, drain each other and exit: no slot is ever handed out twice and all
 * of the capacity comes back.
 */
#include "test_common.h"

#include <pthread.h>
#include <stdatomic.h>

#include "dma_swiotlb.c"

#define run_alloc(order) run_alloc_lc(lcore_id(), (order))

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

/* ---- storms across lcores ------------------------------------------------- */

#define STORM_SLOTS 256u
#define STORM_THREADS 5 /* lcores 1-4 and one unregistered thread */
#define STORM_LIVE 16

static atomic_uchar g_owner[STORM_SLOTS]; /* who holds each slot: 0 or thread + 1 */
static atomic_uint g_dups, g_dry;

struct stormer {
	pthread_t t;
	unsigned int lc, steps, seed;
};

static void own(int32_t i, int order, unsigned char who)
{
	for (int32_t k = i; k < i + (1 << order); k++)
		if (atomic_exchange(&g_owner[k], who) != 0)
			atomic_fetch_add(&g_dups, 1); /* handed out twice */
}

static void disown(int32_t i, int order, unsigned char who)
{
	for (int32_t k = i; k < i + (1 << order); k++)
		if (atomic_exchange(&g_owner[k], 0) != who)
			atomic_fetch_add(&g_dups, 1);
}

static void *storm_main(void *arg)
{
	struct stormer *st = arg;
	unsigned char who = (unsigned char)(st->lc + 1);
	struct {
		int32_t i;
		int order;
	} live[STORM_LIVE];
	unsigned int n = 0;

	/* this thread is lcore st->lc (ANY: the shared path), as udma_thread_register() */
	udma_pvt_lcore_gen = udma_pvt_gen;
	udma_pvt_lcore_id = st->lc;
	for (unsigned int step = 0; step < st->steps; step++) {
		unsigned int r = (unsigned int)rand_r(&st->seed);

		if (n == STORM_LIVE || (n && r % 2)) {
			unsigned int k = r / 2 % n;

			disown(live[k].i, live[k].order, who);
			run_free(live[k].i, live[k].order);
			live[k] = live[--n];
		} else {
			int order = (int)(r / 2 % 4); /* orders 0-2 cached, 3 not */
			int32_t i = run_alloc(order);

			if (i == NIL) {
				atomic_fetch_add(&g_dry, 1);
				continue;
			}
			own(i, order, who);
			live[n].i = i;
			live[n++].order = order;
		}
		if (r % 64 == 0) /* another lcore ran dry: everyone's magazines go back */
			mags_drain(0, UDMA_MAX_LCORES);
	}
	while (n) {
		n--;
		disown(live[n].i, live[n].order, who);
		run_free(live[n].i, live[n].order);
	}
	if (st->lc % 2) /* half unregister (their magazines go back), half exit parked */
		mags_flush(st->lc);
	return NULL;
}

static void storm(bool asym)
{
	struct stormer st[STORM_THREADS];
	unsigned int got = 0;
	int32_t i;

	table_init(STORM_SLOTS, 3);
	g_tlb.asym = asym && membarrier_register();
	if (asym && !g_tlb.asym)
		skip(); /* no membarrier() here: the locked fallback is the one that runs */
	memset(g_owner, 0, sizeof(g_owner));
	atomic_store(&g_dups, 0);
	atomic_store(&g_dry, 0);
	for (unsigned int t = 0; t < STORM_THREADS; t++) {
		st[t] = (struct stormer){.lc = t + 1 < STORM_THREADS ? t + 1 : UDMA_LCORE_ID_ANY,
					 .steps = 100000, .seed = 77 + t};
		assert_int_equal(pthread_create(&st[t].t, NULL, storm_main, &st[t]), 0);
	}
	for (unsigned int t = 0; t < STORM_THREADS; t++)
		assert_int_equal(pthread_join(st[t].t, NULL), 0);
	assert_int_equal(atomic_load(&g_dups), 0);
	/* 5 threads of at most 16 runs of up to 8 slots: the 256 slots run dry at times */
	print_message("storm (%s): %u allocations found the table dry\n",
		      g_tlb.asym ? "lock-free" : "locked", atomic_load(&g_dry));
	/* lcores 2 and 4 exited with slots parked: one more lcore still gets every slot */
	udma_pvt_lcore_gen = udma_pvt_gen;
	udma_pvt_lcore_id = 0;
	while ((i = run_alloc(0)) != NIL) {
		take(i, 0);
		got++;
	}
	assert_int_equal(got, STORM_SLOTS);
	for (int32_t k = 0; k < (int32_t)STORM_SLOTS; k++) {
		give(k, 0);
		run_free(k, 0);
	}
	mags_drain(0, UDMA_MAX_LCORES);
	for (unsigned int lc = 0; lc < UDMA_MAX_LCORES; lc++)
		for (int o = 0; o < CACHED_ORDERS; o++)
			assert_int_equal(g_tlb.mags[lc].m[o].n, 0);
	assert_pristine();
	udma_pvt_lcore_id = UDMA_LCORE_ID_ANY;
}

static void test_storm_lock_free(void **state)
{
	(void)state;
	storm(true);
}

static void test_storm_locked(void **state)
{
	(void)state;
	storm(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_then_merge),
		cmocka_unit_test(test_every_order_exhaustion_and_recovery),
		cmocka_unit_test(test_exhaustion_is_exact),
		cmocka_unit_test(test_random_mix),
		cmocka_unit_test(test_magazines_flush_back),
		cmocka_unit_test(test_storm_lock_free),
		cmocka_unit_test(test_storm_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
