/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * White-box (SPDK's *_ut style): the pool depot, array magazines of block pointers
 * on lock-free stacks of full and empty magazines. Blocks are plain heap memory
 * here and the depot must never touch them (their bytes are checked after every
 * test): a cross-lcore return moves pointers only. A stale {head, tag} never
 * matches the top again (ABA), threads getting and putting under contention lose
 * and duplicate nothing, magazines are recycled (their number stays bounded), and
 * the block count follows every operation. With the magazines capped, what does not
 * fit spills onto the stack of blocks chained through themselves (the only case the
 * depot writes a block) and comes back from it, each block once, under contention too.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "test_common.h"

#include "pool_depot.h"

#define NBLK 4096
#define BLKSZ 64
#define MAGSZ 8
#define FILL 0xa5

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
	depot_init(d, MAGSZ);
	return d;
}

static void depot_free(struct depot *d)
{
	depot_fini(d);
	free(d);
}

/* the depot wrote no block: every byte still FILL */
static void assert_blocks_untouched(void)
{
	for (size_t i = 0; i < (size_t)NBLK * BLKSZ; i++)
		if (g_area[i] != FILL)
			fail_msg("block byte %zu written by the depot (%#x)", i, g_area[i]);
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
	assert_null(d->full.top.head);
	assert_int_equal(atomic_load(&d->blocks), 0);
	return total;
}

/* magazines come back whole and last-in first-out; the count follows; the empty
 * magazines are reused rather than allocated again */
static void test_put_get_lifo(void **state)
{
	struct depot *d = depot_new();
	void *objs[MAGSZ], *out[MAGSZ * 2];

	(void)state;
	assert_int_equal(depot_get(d, out, MAGSZ), 0);
	for (unsigned int round = 0; round < 3; round++) {
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
		assert_int_equal(atomic_load(&d->mags), 3); /* recycled, not reallocated */
	}
	assert_int_equal(depot_get(d, out, MAGSZ), 0);
	assert_blocks_untouched();
	depot_free(d);
}

/* a put larger than a magazine fills several; a magazine larger than the room
 * gives its top and keeps the rest; nothing lost */
static void test_get_short_room_keeps_rest(void **state)
{
	struct depot *d = depot_new();
	uint8_t seen[NBLK] = {0};
	void *objs[MAGSZ * 2], *out[MAGSZ];

	(void)state;
	for (unsigned int i = 0; i < MAGSZ * 2; i++)
		objs[i] = blk(i);
	depot_put(d, objs, MAGSZ * 2);
	assert_int_equal(atomic_load(&d->mags), 2);
	assert_int_equal(depot_get(d, out, 5), 5); /* the top magazine: blk(8..15), its top 5 */
	for (unsigned int i = 0; i < 5; i++) {
		assert_ptr_equal(out[i], blk(MAGSZ + 3 + i));
		seen[MAGSZ + 3 + i] = 1;
	}
	assert_int_equal(atomic_load(&d->blocks), MAGSZ * 2 - 5);
	assert_int_equal(drain(d, seen), MAGSZ * 2 - 5);
	for (unsigned int i = 0; i < MAGSZ * 2; i++)
		assert_int_equal(seen[i], 1);
	assert_blocks_untouched();
	depot_free(d);
}

/*
 * ABA: a pop that read {A, tag} and stalled must not succeed after A was popped,
 * B popped and A pushed back (the head is A again). The tag moved on, so the
 * stale pair no longer matches the top, and a CAS with it fails.
 */
static void test_aba_stale_top_never_matches(void **state)
{
	struct depot *d = depot_new();
	void *objs[3] = {blk(2), blk(1), blk(0)}, *out[MAGSZ];
	struct mag *a, *b, *c;
	void *stale_head;
	uint64_t stale_tag;
	unsigned __int128 expect, want;
	const size_t link = offsetof(struct mag, next);

	(void)state;
	for (int i = 0; i < 3; i++)
		depot_put(d, &objs[i], 1); /* three magazines of one block */
	a = d->full.top.head;
	b = a->next;
	c = b->next;
	assert_ptr_equal(a->objs[0], blk(0));
	stale_head = d->full.top.head;
	stale_tag = d->full.top.tag;
	/* the stalled pop would install a's next: b */
	assert_ptr_equal(lfstack_pop(&d->full, link), a);
	assert_ptr_equal(lfstack_pop(&d->full, link), b);
	lfstack_push(&d->full, a, link); /* top: a -> c; b is held by someone */
	assert_ptr_equal(d->full.top.head, a);
	assert_true(d->full.top.tag != stale_tag);
	/* the stalled CAS, exactly as the stack makes it: it must fail */
	expect = ((unsigned __int128)stale_tag << 64) | (uintptr_t)stale_head;
	want = ((unsigned __int128)(stale_tag + 1) << 64) | (uintptr_t)b;
	assert_false(__sync_bool_compare_and_swap((unsigned __int128 *)&d->full.top, expect, want));
	/* and the stack still holds a -> c, b is not resurrected */
	assert_ptr_equal(d->full.top.head, a);
	assert_ptr_equal(a->next, c);
	lfstack_push(&d->full, b, link);
	for (int i = 0; i < 3; i++)
		assert_int_equal(depot_get(d, out, MAGSZ), 1);
	assert_int_equal(depot_get(d, out, MAGSZ), 0);
	assert_blocks_untouched();
	depot_free(d);
}

/* ---- the magazine cap and the spill stack ------------------------------------- */

/* the spill links wrote the first bytes of spilled blocks: FILL them again */
static void refill_area(void)
{
	memset(g_area, FILL, (size_t)NBLK * BLKSZ);
}

/* the cap follows depot_limit() and the capacity; an uncapped depot never spills */
static void test_cap_follows_capacity(void **state)
{
	struct depot *d = depot_new();

	(void)state;
	assert_true(atomic_load(&d->mag_cap) == UINT64_MAX); /* depot_init: no cap */
	depot_capacity(d, 1000000);
	assert_true(atomic_load(&d->mag_cap) == UINT64_MAX);
	depot_limit(d, 3, 4 * MAGSZ);
	assert_int_equal(atomic_load(&d->mag_cap), 3);
	depot_capacity(d, 40 * MAGSZ);
	assert_int_equal(atomic_load(&d->mag_cap), 3 + 10);
	depot_limit(d, 2, 0);
	depot_capacity(d, 40 * MAGSZ);
	assert_int_equal(atomic_load(&d->mag_cap), 2);
	assert_int_equal(depot_mag_bytes(d) % 64, 0);
	assert_true(depot_mag_bytes(d) >= sizeof(struct mag) + MAGSZ * sizeof(void *));
	depot_free(d);
}

/*
 * Two magazines allowed: the first two puts fill them, the rest spill (chained
 * through the blocks); gets take the magazines first, then the spill stack, a
 * chain longer than the room in parts; every block comes back exactly once and
 * no magazine beyond the cap is ever allocated.
 */
static void test_cap_spills_each_block_once(void **state)
{
	struct depot *d = depot_new();
	uint8_t *seen = calloc(NBLK, 1);
	void *objs[MAGSZ * 4], *out[MAGSZ * 4];
	const unsigned int nput = 64; /* puts of MAGSZ, plus one of 4 * MAGSZ */
	unsigned int total = 0, n;

	(void)state;
	assert_non_null(seen);
	depot_limit(d, 2, 0);
	for (unsigned int m = 0; m < nput; m++) {
		for (unsigned int i = 0; i < MAGSZ; i++)
			objs[i] = blk(m * MAGSZ + i);
		depot_put(d, objs, MAGSZ);
		assert_int_equal(atomic_load(&d->mags), m < 2 ? m + 1 : 2);
	}
	for (unsigned int i = 0; i < MAGSZ * 4; i++)
		objs[i] = blk(nput * MAGSZ + i);
	depot_put(d, objs, MAGSZ * 4); /* one chain of four magazines' worth */
	assert_int_equal(atomic_load(&d->blocks), (nput + 4) * MAGSZ);
	assert_int_equal(atomic_load(&d->spilled), (nput + 4 - 2) * MAGSZ);
	assert_int_equal(d->spill_n, (nput + 4 - 2) * MAGSZ);
	/* the long chain is on top: three gets of 5, 5 and the rest of it */
	assert_int_equal(depot_get(d, out, MAGSZ), MAGSZ); /* a magazine first */
	total += MAGSZ;
	for (unsigned int i = 0; i < MAGSZ; i++)
		seen[blk_index(out[i])]++;
	assert_int_equal(depot_get(d, out, MAGSZ), MAGSZ); /* the second magazine */
	total += MAGSZ;
	for (unsigned int i = 0; i < MAGSZ; i++)
		seen[blk_index(out[i])]++;
	for (unsigned int k = 0, at = 0; k < 3; k++) {
		static const unsigned int want[3] = {5, 5, MAGSZ * 4}, got[3] = {5, 5, MAGSZ * 4 - 10};

		n = depot_get(d, out, want[k]);
		assert_int_equal(n, got[k]);
		for (unsigned int i = 0; i < n; i++) {
			assert_ptr_equal(out[i], blk(nput * MAGSZ + at + i)); /* chain order */
			seen[blk_index(out[i])]++;
		}
		at += n;
		total += n;
	}
	assert_int_equal(atomic_load(&d->mags), 2);
	while ((n = depot_get(d, out, MAGSZ * 4)) > 0) {
		for (unsigned int i = 0; i < n; i++)
			seen[blk_index(out[i])]++;
		total += n;
	}
	assert_int_equal(total, (nput + 4) * MAGSZ);
	for (unsigned int i = 0; i < (nput + 4) * MAGSZ; i++)
		assert_int_equal(seen[i], 1);
	assert_null(d->spill_top);
	assert_int_equal(d->spill_n, 0);
	assert_int_equal(atomic_load(&d->blocks), 0);
	assert_int_equal(atomic_load(&d->mags), 2);
	refill_area();
	depot_free(d);
	free(seen);
}

/* push and pop begin with a CAS against a guessed top ({NULL, 0}) and retry with the
 * top that CAS returns: every push links to the real top, a pop of an empty stack
 * leaves its top (tag included) as it was, and a tag that wrapped to 0 still works */
static void test_cas_from_guessed_top(void **state)
{
	struct depot *d = depot_new();
	const size_t link = offsetof(struct mag, next);
	struct mag *m[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		m[i] = aligned_alloc(64, 64);
		assert_non_null(m[i]);
		m[i]->next = (struct mag *)(uintptr_t)0xdead; /* overwritten by each push */
	}
	assert_null(lfstack_pop(&d->empty, link)); /* fresh: {NULL, 0} */
	assert_null(d->empty.top.head);
	assert_int_equal(d->empty.top.tag, 0);
	lfstack_push(&d->empty, m[0], link); /* the guess matches */
	assert_null(m[0]->next);
	lfstack_push(&d->empty, m[1], link); /* the guess fails: links to m[0] */
	assert_ptr_equal(m[1]->next, m[0]);
	assert_int_equal(d->empty.top.tag, 2);
	assert_ptr_equal(lfstack_pop(&d->empty, link), m[1]);
	assert_ptr_equal(lfstack_pop(&d->empty, link), m[0]);
	assert_int_equal(d->empty.top.tag, 4);
	assert_null(lfstack_pop(&d->empty, link)); /* empty at tag 4: unchanged */
	assert_null(d->empty.top.head);
	assert_int_equal(d->empty.top.tag, 4);
	/* a tag about to wrap: push, pop, and an empty top at tag 0 again */
	d->empty.top.tag = UINT64_MAX - 1;
	lfstack_push(&d->empty, m[2], link);
	assert_int_equal(d->empty.top.tag, UINT64_MAX);
	assert_ptr_equal(lfstack_pop(&d->empty, link), m[2]);
	assert_int_equal(d->empty.top.tag, 0);
	assert_null(lfstack_pop(&d->empty, link));
	lfstack_push(&d->empty, m[2], link);
	assert_null(m[2]->next);
	assert_ptr_equal(lfstack_pop(&d->empty, link), m[2]);
	for (int i = 0; i < 3; i++)
		free(m[i]);
	depot_free(d);
}

/* ---- contention ------------------------------------------------------------- */

#define NTHREADS 4

static struct depot *g_shared;
static int g_rounds;
static atomic_int g_go;

/* take a magazine's blocks, give them back, sometimes in two magazines or merged
 * with a second get: blocks and magazines move between threads through both stacks */
static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 2654435761u + 1;
	void *objs[MAGSZ * 2];

	while (!atomic_load(&g_go))
		;
	for (int r = 0; r < g_rounds; r++) {
		unsigned int n = depot_get(g_shared, objs, MAGSZ);

		if (n == 0)
			continue;
		if (rand_r(&seed) & 2)
			n += depot_get(g_shared, objs + n, MAGSZ);
		if (n > 1 && (rand_r(&seed) & 1)) {
			depot_put(g_shared, objs, n / 2);
			depot_put(g_shared, objs + n / 2, n - n / 2);
		} else {
			depot_put(g_shared, objs, n);
		}
	}
	return NULL;
}

/* @cap magazines at most (0: no cap) */
static void contention(unsigned int cap)
{
	const char *suite = getenv("UDMA_TEST_SUITE");
	uint8_t *seen = calloc(NBLK, 1);
	pthread_t t[NTHREADS];
	void *objs[MAGSZ];

	assert_non_null(seen);
	g_rounds = suite && strcmp(suite, "tsan") == 0 ? 50000 : 1000000;
	g_shared = depot_new();
	if (cap)
		depot_limit(g_shared, cap, 0);
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
	/* magazines are recycled: at most one a block plus two in flight a thread */
	assert_true(atomic_load(&g_shared->mags) <= NBLK + 2 * NTHREADS);
	if (cap) { /* never past the cap; blocks went through the spill stack and back */
		assert_true(atomic_load(&g_shared->mags) <= cap);
		assert_true(atomic_load(&g_shared->spilled) > g_shared->spill_n);
	}
	assert_int_equal(drain(g_shared, seen), NBLK);
	for (unsigned int i = 0; i < NBLK; i++)
		assert_int_equal(seen[i], 1);
	if (cap)
		refill_area();
	else
		assert_blocks_untouched();
	depot_free(g_shared);
	free(seen);
}

static void test_contention_conserves_blocks(void **state)
{
	(void)state;
	contention(0);
}

/* four magazines for 4096 blocks: most puts spill, gets take chains back */
static void test_contention_capped_spills_conserve(void **state)
{
	(void)state;
	contention(4);
}

static int setup(void **state)
{
	(void)state;
	g_area = aligned_alloc(64, (size_t)NBLK * BLKSZ);
	if (g_area == NULL)
		return -1;
	memset(g_area, FILL, (size_t)NBLK * BLKSZ);
	return 0;
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
		cmocka_unit_test(test_cap_follows_capacity),
		cmocka_unit_test(test_cap_spills_each_block_once),
		cmocka_unit_test(test_cas_from_guessed_top),
		cmocka_unit_test(test_contention_conserves_blocks),
		cmocka_unit_test(test_contention_capped_spills_conserve),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
