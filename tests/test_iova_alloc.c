/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * White-box (SPDK's *_ut style): the IOVA range allocator of lib/iova on its own
 * domains. Alignment and limits hold, top-down and bottom-up ends are where they
 * should be, the space runs dry exactly, the per-lcore magazines hand back what
 * was freed and a flush returns it, and after a random mix checked against an
 * interval reference every byte is back in one range.
 */
#include <pthread.h>
#include <sched.h>

#include "test_common.h"

#include "eal_private.h"
#include "iova_private.h"

#define PG 4096ULL
#define BASE (1ULL << 21)
#define END (BASE + (64ULL << 20)) /* 64 MiB of IOVA space */

static void as_lcore(unsigned int lc)
{
	udma_pvt_lcore_id = lc; /* no init: the generations match, the id is taken as is */
	assert_int_equal(lcore_id(), lc);
}

/* the whole space is free and in one piece */
static void assert_whole(struct iova_domain *d)
{
	udma_addr_t a;

	assert_int_equal(iova_domain_used(d), 0);
	a = iova_alloc_low(d, END - BASE);
	assert_int_equal(a, BASE);
	iova_free(d, a, END - BASE);
	assert_int_equal(iova_domain_used(d), 0);
}

static void test_top_down_low_bottom_up_and_limits(void **state)
{
	struct iova_domain *d = iova_domain_create(BASE + 1, END + 5); /* rounded inwards */
	udma_addr_t a, b, c;

	(void)state;
	as_lcore(UDMA_LCORE_ID_ANY);
	assert_non_null(d);
	a = iova_alloc(d, 1, UINT64_MAX);
	assert_int_equal(a, END - PG); /* top-down, one page */
	b = iova_alloc_low(d, 3 * PG + 1);
	assert_int_equal(b, BASE + PG); /* the base was rounded up to a page */
	c = iova_alloc(d, PG, UDMA_BIT_MASK(24)); /* under a 16 MiB limit */
	assert_true(c != UDMA_MAPPING_ERROR && c + PG - 1 <= UDMA_BIT_MASK(24));
	assert_int_equal(c, (1ULL << 24) - PG);
	assert_int_equal(iova_alloc(d, PG, BASE - 1), UDMA_MAPPING_ERROR); /* below the space */
	assert_int_equal(iova_domain_used(d), PG + 4 * PG + PG);
	iova_free(d, a, 1);
	iova_free(d, b, 3 * PG + 1);
	iova_free(d, c, PG);
	assert_int_equal(iova_domain_used(d), 0);
	iova_domain_destroy(d);
}

/* aligned allocations: every power of two from a page to 16 MiB, sizes odd and even */
static void test_alignment(void **state)
{
	struct iova_domain *d = iova_domain_create(BASE, END);
	udma_addr_t first, a;

	(void)state;
	as_lcore(UDMA_LCORE_ID_ANY);
	first = iova_alloc(d, 5 * PG, UINT64_MAX); /* the top is no longer aligned */
	assert_int_equal(first, END - 8 * PG);     /* 5 pages: the 8-page class */
	for (size_t align = PG; align <= (16u << 20); align <<= 1)
		for (size_t size = PG; size <= 3 * PG; size += PG) {
			a = iova_alloc_align(d, size, UINT64_MAX, align);
			assert_true(a != UDMA_MAPPING_ERROR);
			assert_int_equal(a & (align - 1), 0);
			assert_true(a >= BASE && a + size <= first);
			iova_free(d, a, size);
		}
	a = iova_alloc_align(d, 100, UINT64_MAX, 8); /* below a page: a page */
	assert_int_equal(a & (PG - 1), 0);
	iova_free(d, a, 100);
	iova_free(d, first, 5 * PG);
	assert_whole(d);
	iova_domain_destroy(d);
}

/* the space runs dry exactly, at every cached and uncached size */
static void test_exhaustion_and_recovery(void **state)
{
	static const size_t sizes[] = {PG, 2 * PG, 32 * PG, 64 * PG, 1u << 20};
	struct iova_domain *d = iova_domain_create(BASE, END);
	static udma_addr_t got[(END - BASE) / PG];

	(void)state;
	for (unsigned int lc = 0; lc < 2; lc++) {
		as_lcore(lc ? 0 : UDMA_LCORE_ID_ANY);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = 0;
			udma_addr_t a;

			while ((a = iova_alloc(d, sizes[s], UINT64_MAX)) != UDMA_MAPPING_ERROR) {
				assert_int_equal(a & (PG - 1), 0);
				if (n)
					assert_int_equal(a, got[n - 1] - sizes[s]); /* top-down, packed */
				got[n++] = a;
			}
			assert_int_equal(n, (END - BASE) / sizes[s]);
			assert_int_equal(iova_domain_used(d), END - BASE);
			assert_int_equal(iova_alloc_low(d, PG), UDMA_MAPPING_ERROR);
			for (size_t k = 0; k < n; k++)
				iova_free(d, got[(k * 7919) % n], sizes[s]);
			iova_domain_flush_lcore(d, 0);
			assert_whole(d);
		}
	}
	iova_domain_destroy(d);
}

/* a freed small range waits in the lcore's magazine, comes back LIFO, flushes out */
static void test_magazines(void **state)
{
	struct iova_domain *d = iova_domain_create(BASE, END);
	udma_addr_t a, b, c;

	(void)state;
	as_lcore(0);
	a = iova_alloc(d, PG, UINT64_MAX);
	b = iova_alloc(d, 3 * PG, UINT64_MAX); /* the 4-page class */
	/* a miss takes a 16-page chunk of its own: the rest waits in the magazine */
	assert_int_equal(a, END - PG);
	assert_int_equal(b, END - 32 * PG + 3 * 4 * PG); /* 4 x 4 pages, highest first */
	assert_int_equal(iova_domain_used(d), 32 * PG);
	iova_free(d, a, PG);
	iova_free(d, b, 3 * PG);
	assert_int_equal(iova_domain_used(d), 32 * PG); /* cached, not back in the ranges */
	assert_int_equal(iova_alloc(d, PG, UINT64_MAX), a);
	assert_int_equal(iova_alloc(d, 4 * PG, UINT64_MAX), b);
	/* a cached range above the limit is not handed out */
	iova_free(d, a, PG);
	c = iova_alloc(d, PG, a - 1);
	assert_true(c != a && c + PG - 1 <= a - 1);
	iova_free(d, c, PG);
	/* another lcore's magazine is its own */
	as_lcore(1);
	assert_true(iova_alloc(d, 4 * PG, UINT64_MAX) != b);
	iova_domain_flush_lcore(d, 1);
	as_lcore(0);
	iova_free(d, b, 4 * PG);
	iova_domain_flush_lcore(d, 0);
	iova_domain_flush_lcore(d, 1);
	/* lcore 1 still holds the 4-page range it took: everything else is back */
	assert_int_equal(iova_domain_used(d), 4 * PG);
	/* a magazine that fills spills half of itself, never loses a range */
	{
		static udma_addr_t many[4 * UDMA_IOVA_RCACHE_SIZE];

		for (unsigned int k = 0; k < 4 * UDMA_IOVA_RCACHE_SIZE; k++)
			many[k] = iova_alloc(d, PG, UINT64_MAX);
		for (unsigned int k = 0; k < 4 * UDMA_IOVA_RCACHE_SIZE; k++)
			iova_free(d, many[k], PG);
		assert_true(iova_domain_used(d) <= 4 * PG + UDMA_IOVA_RCACHE_SIZE * PG);
		iova_domain_flush_lcore(d, 0);
		assert_int_equal(iova_domain_used(d), 4 * PG);
	}
	iova_domain_destroy(d);
}

/*
 * Lcores that map in turn never get IOVAs in the same 16-page chunk (128 B of sim
 * leaf entries, a cache-line pair): their page-table writes stay apart. Each
 * lcore's run is still packed top-down, and a flush gives everything back.
 */
static void test_lcores_apart(void **state)
{
	struct iova_domain *d = iova_domain_create(BASE, END);
	static udma_addr_t got[4][64];

	(void)state;
	for (unsigned int k = 0; k < 64; k++)
		for (unsigned int lc = 0; lc < 4; lc++) {
			as_lcore(lc);
			got[lc][k] = iova_alloc(d, PG << (k % 3), UINT64_MAX);
			assert_true(got[lc][k] != UDMA_MAPPING_ERROR);
		}
	for (unsigned int lc = 0; lc < 4; lc++)
		for (unsigned int o = 0; o < 4; o++)
			for (unsigned int k = 0; k < 64 && o != lc; k++)
				for (unsigned int j = 0; j < 64; j++)
					assert_true(got[lc][k] / (16 * PG) != got[o][j] / (16 * PG));
	for (unsigned int lc = 0; lc < 4; lc++) {
		as_lcore(lc);
		for (unsigned int k = 0; k < 64; k++)
			iova_free(d, got[lc][k], PG << (k % 3));
	}
	for (unsigned int lc = 0; lc < 4; lc++)
		iova_domain_flush_lcore(d, lc);
	assert_whole(d);
	iova_domain_destroy(d);
}

/* random sizes and frees from two lcores and none, against an interval reference */
#define NLIVE 512
static void test_random_conservation(void **state)
{
	struct iova_domain *d = iova_domain_create(BASE, END);
	static struct {
		udma_addr_t a;
		size_t size, rounded;
	} live[NLIVE];
	unsigned int seed = 99, nlive = 0;
	size_t used = 0;

	(void)state;
	for (int step = 0; step < 100000; step++) {
		as_lcore((unsigned int)step % 3 == 2 ? UDMA_LCORE_ID_ANY : (unsigned int)step % 3);
		if (nlive == NLIVE || (nlive && rand_r(&seed) % 2)) {
			unsigned int k = (unsigned int)rand_r(&seed) % nlive;

			iova_free(d, live[k].a, live[k].size);
			used -= live[k].rounded;
			live[k] = live[--nlive];
		} else {
			size_t pages = 1 + (size_t)rand_r(&seed) % (rand_r(&seed) % 8 ? 8 : 100);
			size_t size = pages * PG - (size_t)rand_r(&seed) % PG;
			size_t rounded = pages * PG;
			udma_addr_t a;

			if (pages <= 32) /* the cached classes: a power of two of pages */
				for (rounded = PG; rounded < pages * PG; rounded <<= 1)
					;
			a = rand_r(&seed) % 4 ? iova_alloc(d, size, UINT64_MAX)
					      : iova_alloc_align(d, size, UINT64_MAX, rounded);
			assert_true(a != UDMA_MAPPING_ERROR);
			assert_true(a >= BASE && a + rounded <= END);
			for (unsigned int k = 0; k < nlive; k++) /* no overlap with a live range */
				assert_true(a + rounded <= live[k].a || live[k].a + live[k].rounded <= a);
			live[nlive].a = a;
			live[nlive].size = size;
			live[nlive++].rounded = rounded;
			used += rounded;
		}
	}
	while (nlive) {
		nlive--;
		iova_free(d, live[nlive].a, live[nlive].size);
		used -= live[nlive].rounded;
	}
	assert_int_equal(used, 0);
	iova_domain_flush_lcore(d, 0);
	iova_domain_flush_lcore(d, 1);
	assert_whole(d);
	iova_domain_destroy(d);
}

/*
 * Contention: four threads, each its own lcore, allocate (1-8 pages, so refills take
 * chunks under the lock while others hit their magazines) and hand every range to the
 * next thread, which frees it into its own magazine (ranges migrate between lcores,
 * magazines fill and spill). A page map claimed with an atomic exchange proves no
 * range is ever handed out twice; at the end every byte is back in one range.
 */
#define CT 4
#define CRING 64
static struct iova_domain *g_cd;
static unsigned char g_claim[(END - BASE) / PG];
static struct cring {
	udma_addr_t a[CRING];
	size_t size[CRING];
	unsigned int head __attribute__((aligned(64)));
	unsigned int tail __attribute__((aligned(64)));
} g_cr[CT];
static int g_citers;

static bool claim(udma_addr_t a, size_t pages, unsigned char v)
{
	for (size_t k = 0; k < pages; k++)
		if (__atomic_exchange_n(&g_claim[(a - BASE) / PG + k], v, __ATOMIC_ACQ_REL) == v)
			return false; /* already held (v = 1) or already free (v = 0) */
	return true;
}

static size_t rounded_pages(size_t size)
{
	size_t p = 1;

	while (p * PG < size)
		p <<= 1;
	return p;
}

static void *contender(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg, seed = id + 1, sent = 0, got = 0;
	struct cring *out = &g_cr[id], *in = &g_cr[(id + CT - 1) % CT];

	udma_pvt_lcore_id = id;
	while (sent < (unsigned int)g_citers || got < (unsigned int)g_citers) {
		unsigned int h = __atomic_load_n(&out->head, __ATOMIC_RELAXED);
		unsigned int t = __atomic_load_n(&in->tail, __ATOMIC_RELAXED);
		bool idle = true;

		if (sent < (unsigned int)g_citers &&
		    h - __atomic_load_n(&out->tail, __ATOMIC_ACQUIRE) < CRING) {
			size_t size = (1 + rand_r(&seed) % 8) * PG - rand_r(&seed) % 100;
			udma_addr_t a = iova_alloc(g_cd, size, UINT64_MAX);

			if (a == UDMA_MAPPING_ERROR || !claim(a, rounded_pages(size), 1))
				return (void *)1;
			out->a[h % CRING] = a;
			out->size[h % CRING] = size;
			__atomic_store_n(&out->head, h + 1, __ATOMIC_RELEASE);
			sent++;
			idle = false;
		}
		if (got < (unsigned int)g_citers && __atomic_load_n(&in->head, __ATOMIC_ACQUIRE) != t) {
			udma_addr_t a = in->a[t % CRING];
			size_t size = in->size[t % CRING];

			if (!claim(a, rounded_pages(size), 0))
				return (void *)2;
			iova_free(g_cd, a, size);
			__atomic_store_n(&in->tail, t + 1, __ATOMIC_RELEASE);
			got++;
			idle = false;
		}
		if (idle)
			sched_yield();
	}
	return NULL;
}

static void test_contention(void **state)
{
	const char *suite = getenv("UDMA_TEST_SUITE");
	pthread_t t[CT];

	(void)state;
	g_citers = suite && strcmp(suite, "tsan") == 0 ? 20000 : 100000;
	g_cd = iova_domain_create(BASE, END);
	assert_non_null(g_cd);
	memset(g_cr, 0, sizeof(g_cr));
	memset(g_claim, 0, sizeof(g_claim));
	for (unsigned int i = 0; i < CT; i++)
		pthread_create(&t[i], NULL, contender, (void *)(uintptr_t)i);
	for (unsigned int i = 0; i < CT; i++) {
		void *r;

		pthread_join(t[i], &r);
		assert_null(r);
	}
	for (unsigned int i = 0; i < CT; i++)
		iova_domain_flush_lcore(g_cd, i);
	assert_whole(g_cd);
	iova_domain_destroy(g_cd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_down_low_bottom_up_and_limits),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_exhaustion_and_recovery),
		cmocka_unit_test(test_magazines),
		cmocka_unit_test(test_lcores_apart),
		cmocka_unit_test(test_random_conservation),
		cmocka_unit_test(test_contention),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
