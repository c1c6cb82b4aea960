/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * White-box (SPDK's *_ut style): the pool depot, the lock-free stack of magazines.
 * Blocks are plain heap memory here: the depot only links them. A stale {head, tag}
 * never matches the top again (ABA), threads pushing and popping under contention
 * lose and duplicate nothing, and the block count follows every operation.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "test_common.h"

#include "pool_depot.h"

#define NBLK 4096
#define BLKSZ 64
#define MAGSZ 8

static uint8_t *g_area;

static void *blk(unsigned int i)
{
	return g_area + (size_t)i * BLKSZ;
}

static unsigned int blk_index(const void *b)
{
	size_t off = (size_t)((const uint8_t *)b - g_area);

	assert_true(off < (size_t)NBLK * BLKSZ && off % BLKSZ == 0);
	return (unsigned int)(off / BLKSZ);
}

static struct depot *depot_new(void)
{
	struct depot *d = aligned_alloc(64, (sizeof(*d) + 63) & ~(size_t)63);

	assert_non_null(d);
	memset(d, 0, sizeof(*d));
	return d;
}

/* empty the depot; every block seen exactly once; returns the count */
static unsigned int drain(struct depot *d, uint8_t *seen)
{
	void *objs[NBLK];
	unsigned int n, total = 0;

	while ((n = depot_get(d, objs, NBLK)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			unsigned int k = blk_index(objs[i]);

			assert_int_equal(seen[k], 0);
			seen[k] = 1;
		}
		total += n;
	}
	assert_null(depot_pop(d));
	assert_int_equal(atomic_load(&d->blocks), 0);
	return total;
}

/* magazines come back whole and last-in first-out; the count follows */
static void test_put_get_lifo(void **state)
{
	struct depot *d = depot_new();
	void *objs[MAGSZ], *out[MAGSZ * 2];

	(void)state;
	assert_int_equal(depot_get(d, out, MAGSZ), 0);
	for (unsigned int m = 0; m < 3; m++) {
		for (unsigned int i = 0; i < MAGSZ; i++)
			objs[i] = blk(m * MAGSZ + i);
		depot_put(d, objs, MAGSZ);
		assert_int_equal(atomic_load(&d->blocks), (m + 1) * MAGSZ);
	}
	for (int m = 2; m >= 0; m--) {
		assert_int_equal(depot_get(d, out, MAGSZ * 2), MAGSZ);
		for (unsigned int i = 0; i < MAGSZ; i++)
			assert_ptr_equal(out[i], blk((unsigned int)m * MAGSZ + i));
		assert_int_equal(atomic_load(&d->blocks), (unsigned int)m * MAGSZ);
	}
	assert_int_equal(depot_get(d, out, MAGSZ), 0);
	free(d);
}

/* a magazine longer than the room: the rest goes back, nothing lost */
static void test_get_short_room_keeps_rest(void **state)
{
	struct depot *d = depot_new();
	uint8_t seen[NBLK] = {0};
	void *objs[MAGSZ * 2], *out[MAGSZ];

	(void)state;
	for (unsigned int i = 0; i < MAGSZ * 2; i++)
		objs[i] = blk(i);
	depot_put(d, objs, MAGSZ * 2);
	assert_int_equal(depot_get(d, out, 5), 5);
	for (unsigned int i = 0; i < 5; i++) {
		assert_ptr_equal(out[i], blk(i));
		seen[i] = 1;
	}
	assert_int_equal(atomic_load(&d->blocks), MAGSZ * 2 - 5);
	assert_int_equal(drain(d, seen), MAGSZ * 2 - 5);
	for (unsigned int i = 0; i < MAGSZ * 2; i++)
		assert_int_equal(seen[i], 1);
	free(d);
}

/*
 * ABA: a pop that read {A, tag} and stalled must not succeed after A was popped,
 * B popped and A pushed back (the head is A again). The tag moved on, so the
 * stale pair no longer matches the top, and a CAS with it fails.
 */
static void test_aba_stale_top_never_matches(void **state)
{
	struct depot *d = depot_new();
	void *a = blk(0), *b = blk(1), *c = blk(2);
	void *stale_head;
	uint64_t stale_tag;
	unsigned __int128 expect, want;

	(void)state;
	depot_put(d, &c, 1);
	depot_put(d, &b, 1);
	depot_put(d, &a, 1); /* top: a -> b -> c */
	stale_head = d->top.head;
	stale_tag = d->top.tag;
	assert_ptr_equal(stale_head, a);
	/* the stalled pop would install a's next: b */
	assert_ptr_equal(depot_pop(d), a);
	assert_ptr_equal(depot_pop(d), b);
	depot_push(d, a, 1); /* top: a -> c; b is held by someone */
	assert_ptr_equal(d->top.head, a);
	assert_true(d->top.tag != stale_tag);
	/* the stalled CAS, exactly as the depot makes it: it must fail */
	expect = ((unsigned __int128)stale_tag << 64) | (uintptr_t)stale_head;
	want = ((unsigned __int128)(stale_tag + 1) << 64) | (uintptr_t)b;
	assert_false(__sync_bool_compare_and_swap((unsigned __int128 *)&d->top, expect, want));
	/* and the depot still holds a -> c, b is not resurrected */
	assert_ptr_equal(depot_pop(d), a);
	assert_ptr_equal(depot_pop(d), c);
	assert_null(depot_pop(d));
	free(d);
}

/* ---- contention ------------------------------------------------------------- */

#define NTHREADS 4

static struct depot *g_shared;
static int g_rounds;
static atomic_int g_go;

/* take a magazine, hold it a moment (writing its blocks as a user would), give it
 * back, sometimes split in two: blocks move between threads through the depot */
static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 2654435761u + 1;
	void *objs[MAGSZ * 2];

	while (!atomic_load(&g_go))
		;
	for (int r = 0; r < g_rounds; r++) {
		unsigned int n = depot_get(g_shared, objs, MAGSZ * 2);

		if (n == 0)
			continue;
		for (unsigned int i = 0; i < n; i++) /* a user writes the block it holds */
			__atomic_store_n((uint64_t *)objs[i] + 2, (uint64_t)r, __ATOMIC_RELAXED);
		if (n > 1 && (rand_r(&seed) & 1)) {
			depot_put(g_shared, objs, n / 2);
			depot_put(g_shared, objs + n / 2, n - n / 2);
		} else {
			depot_put(g_shared, objs, n);
		}
	}
	return NULL;
}

static void test_contention_conserves_blocks(void **state)
{
	const char *suite = getenv("UDMA_TEST_SUITE");
	uint8_t *seen = calloc(NBLK, 1);
	pthread_t t[NTHREADS];
	void *objs[MAGSZ];

	(void)state;
	assert_non_null(seen);
	g_rounds = suite && strcmp(suite, "tsan") == 0 ? 50000 : 1000000;
	g_shared = depot_new();
	for (unsigned int i = 0; i < NBLK; i += MAGSZ) {
		for (unsigned int j = 0; j < MAGSZ; j++)
			objs[j] = blk(i + j);
		depot_put(g_shared, objs, MAGSZ);
	}
	atomic_store(&g_go, 0);
	for (uintptr_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
	atomic_store(&g_go, 1);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&g_shared->blocks), NBLK);
	assert_int_equal(drain(g_shared, seen), NBLK);
	for (unsigned int i = 0; i < NBLK; i++)
		assert_int_equal(seen[i], 1);
	free(g_shared);
	free(seen);
}

static int setup(void **state)
{
	(void)state;
	g_area = aligned_alloc(64, (size_t)NBLK * BLKSZ);
	return g_area ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(g_area);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_lifo),
		cmocka_unit_test(test_get_short_room_keeps_rest),
		cmocka_unit_test(test_aba_stale_top_never_matches),
		cmocka_unit_test(test_contention_conserves_blocks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
