/* SPDX-License-Identifier: BSD-3-Clause */
/* Threads allocating and freeing coherent memory: stamps prove no page is shared. */
#include <pthread.h>

#include "test_common.h"

static struct udma_device *g_dev;
static int g_iters;

struct slot {
	uint8_t *p;
	udma_addr_t h;
	size_t n;
};

static void *worker(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg, seed = id * 7919 + 1;
	struct slot live[16] = {{0}};
	uint8_t back[64];

	if (id % 2 == 0)
		udma_thread_register(); /* odd threads stay on the shared paths */
	for (int it = 0; it < g_iters; it++) {
		struct slot *s = &live[rand_r(&seed) % 16];

		if (s->p) {
			/* the stamp we wrote is still there: nobody else got this memory */
			if (!t_check(s->p, 64, id * 1000 + (unsigned)(s->n & 0xff)))
				return (void *)1;
			if (udma_sim_dma_read(g_dev, s->h, back, 64) != 0 ||
			    !t_check(back, 64, id * 1000 + (unsigned)(s->n & 0xff)))
				return (void *)2;
			udma_free_coherent(g_dev, s->n, s->p, s->h);
			s->p = NULL;
			continue;
		}
		s->n = (size_t)(1 + rand_r(&seed) % 16) * 4096 - (size_t)(rand_r(&seed) % 100);
		s->p = udma_alloc_coherent(g_dev, s->n, &s->h,
					   it % 3 ? UDMA_GFP_ATOMIC : UDMA_GFP_KERNEL);
		if (s->p == NULL)
			return (void *)3;
		t_fill(s->p, 64, id * 1000 + (unsigned)(s->n & 0xff));
	}
	for (int i = 0; i < 16; i++)
		if (live[i].p)
			udma_free_coherent(g_dev, live[i].n, live[i].p, live[i].h);
	udma_thread_unregister();
	return NULL;
}

static void storm(int threads, int iters)
{
	pthread_t t[8];
	struct udma_device_stats st;

	g_iters = iters;
	assert_true(t_init_args("--iova-mode=sim", "-m", "64", "--lcores=4", "--log-level=2",
				NULL) >= 0);
	g_dev = t_dev64("storm");
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
	for (int i = 0; i < threads; i++) {
		void *r;

		pthread_join(t[i], &r);
		assert_null(r);
	}
	assert_int_equal(udma_device_stats(g_dev, &st), 0);
	assert_int_equal(st.coherent_allocs, 0);
	assert_int_equal(st.coherent_bytes, 0);
	udma_device_destroy(g_dev);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_storm(void **s)
{
	const char *suite = getenv("UDMA_TEST_SUITE");

	(void)s;
	if (suite && strcmp(suite, "stress") == 0)
		storm(4, 3000000);
	else
		storm(3, 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
