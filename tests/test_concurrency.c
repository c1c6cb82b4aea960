/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Threads allocating and freeing coherent memory: stamps prove no page is shared.
 * Streaming maps handed across lcores (map on one, device access and unmap on the
 * next) in sim and with forced bounce: the IOVA and bounce-slot magazines of every
 * lcore take ranges the others gave back, and the device and the CPU see exactly
 * the bytes they should.
 */
#include <pthread.h>
#include <sched.h>

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


/* ---- cross-lcore map/unmap storm ------------------------------------------- */

#define XT 4       /* threads, each a registered lcore */
#define XRING 8    /* in flight per producer: its buffers are reused only when unmapped */
#define XBUF 4096

struct xmsg {
	udma_addr_t iova;
	uint32_t len;
	uint32_t seq;
};

/* SPSC ring from thread i to thread (i + 1) % XT */
static struct xring {
	struct xmsg m[XRING];
	unsigned int head __attribute__((aligned(64))); /* written by the producer */
	unsigned int tail __attribute__((aligned(64))); /* written by the consumer */
	uint8_t *buf; /* XRING buffers of the producer */
} g_x[XT];
static int g_xiters;

static unsigned int xstamp(unsigned int id, uint32_t seq, bool dev)
{
	return (id << 24) ^ (seq * 2654435761u) ^ (dev ? 0x5a5a5a5au : 0);
}

static bool bidi(uint32_t seq) { return seq % 2; }

static uint32_t xlen(uint32_t seq) { return 64 + (seq * 977u) % (XBUF - 64); }

/* take what the previous thread mapped: the device sees its bytes; answer, unmap */
static void *x_consume(unsigned int id, struct xring *in, unsigned int from)
{
	unsigned int t = __atomic_load_n(&in->tail, __ATOMIC_RELAXED);
	struct xmsg *m;
	uint8_t back[XBUF];

	if (__atomic_load_n(&in->head, __ATOMIC_ACQUIRE) == t)
		return NULL;
	m = &in->m[t % XRING];
	if (udma_sim_dma_read(g_dev, m->iova, back, m->len) != 0 ||
	    !t_check(back, m->len, xstamp(from, m->seq, false)))
		return (void *)10;
	if (bidi(m->seq)) {
		t_fill(back, m->len, xstamp(from, m->seq, true));
		if (udma_sim_dma_write(g_dev, m->iova, back, m->len) != 0)
			return (void *)11;
	}
	udma_unmap_single(g_dev, m->iova, m->len,
			  bidi(m->seq) ? UDMA_BIDIRECTIONAL : UDMA_TO_DEVICE);
	(void)id;
	__atomic_store_n(&in->tail, t + 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *x_worker(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg, from = (id + XT - 1) % XT;
	struct xring *out = &g_x[id], *in = &g_x[from];
	uint32_t seq = 0, done = 0;
	void *r = NULL;

	if (udma_thread_register() < 0) /* each an lcore: the magazines of its own */
		return (void *)30;
	while ((seq < (uint32_t)g_xiters || done < (uint32_t)g_xiters) && r == NULL) {
		unsigned int h = __atomic_load_n(&out->head, __ATOMIC_RELAXED);

		if (seq < (uint32_t)g_xiters &&
		    h - __atomic_load_n(&out->tail, __ATOMIC_ACQUIRE) < XRING) {
			uint8_t *b = out->buf + (size_t)(h % XRING) * XBUF;
			struct xmsg *m = &out->m[h % XRING];

			/* the slot's last use is over: the device's answer came back to the CPU */
			if (seq >= XRING && !t_check(b, xlen(seq - XRING),
						     xstamp(id, seq - XRING, bidi(seq - XRING))))
				r = (void *)20;
			m->seq = seq;
			m->len = xlen(seq);
			t_fill(b, m->len, xstamp(id, seq, false));
			m->iova = udma_map_single(g_dev, b, m->len,
						  bidi(seq) ? UDMA_BIDIRECTIONAL : UDMA_TO_DEVICE);
			if (udma_mapping_error(g_dev, m->iova))
				r = (void *)21;
			__atomic_store_n(&out->head, h + 1, __ATOMIC_RELEASE);
			seq++;
		}
		if (r == NULL && done < (uint32_t)g_xiters) {
			unsigned int t = __atomic_load_n(&in->tail, __ATOMIC_RELAXED);

			r = x_consume(id, in, from);
			if (__atomic_load_n(&in->tail, __ATOMIC_RELAXED) != t)
				done++;
			else
				sched_yield(); /* more threads than CPUs: let the producer run */
		}
	}
	udma_thread_unregister();
	return r;
}

/*
 * In sim the device's IOVA space is its mask: the storm maps more than the whole
 * 64 MiB under 26 bits (the memsegs take the bottom of it), so a range an unmap did
 * not give back (to the allocator or to a magazine) runs it dry and a map fails.
 */
#define XMASK_BITS 26

static void xstorm(const char *mode, const char *more, int iters)
{
	struct udma_device *mem;
	pthread_t t[XT];
	udma_addr_t h[XT];
	struct udma_swiotlb_stats st;
	bool sim = strcmp(mode, "--iova-mode=sim") == 0;

	g_xiters = iters *= sim ? 2 : 1; /* sim: more than the mask holds (below) */
	if (more)
		assert_true(t_init_args(mode, more, "--no-huge", "-m", "16", "--lcores=8",
					"--log-level=2", NULL) >= 0);
	else
		assert_true(t_init_args(mode, "--no-huge", "-m", "16", "--lcores=8",
					"--log-level=2", NULL) >= 0);
	g_dev = t_dev64("xstorm");
	if (sim) {
		assert_int_equal(udma_set_mask(g_dev, UDMA_BIT_MASK(XMASK_BITS)), 0);
		assert_true((uint64_t)XT * (uint64_t)iters * XBUF > UDMA_BIT_MASK(XMASK_BITS) + 1);
	}
	mem = t_dev64("xmem");
	for (int i = 0; i < XT; i++) {
		memset(&g_x[i], 0, sizeof(g_x[i]));
		g_x[i].buf = udma_alloc_coherent(mem, XRING * XBUF, &h[i], UDMA_GFP_KERNEL);
		assert_non_null(g_x[i].buf);
	}
	for (int i = 0; i < XT; i++)
		pthread_create(&t[i], NULL, x_worker, (void *)(uintptr_t)i);
	for (int i = 0; i < XT; i++) {
		void *r;

		pthread_join(t[i], &r);
		assert_null(r);
	}
	/* every mapping was unmapped: no bounce slot left behind, none parked for good */
	for (int i = 0; i < XT; i++) {
		assert_int_equal(g_x[i].head, (unsigned int)iters);
		assert_int_equal(g_x[i].tail, (unsigned int)iters);
		if (sim) { /* the last mappings are gone from the IOMMU: the device faults */
			unsigned long f0 = udma_sim_fault_count();
			struct t_log l;
			uint8_t b;

			t_log_begin(&l);
			for (int k = 0; k < XRING; k++)
				assert_int_not_equal(udma_sim_dma_read(g_dev, g_x[i].m[k].iova, &b, 1), 0);
			free(t_log_end(&l));
			assert_int_equal(udma_sim_fault_count(), f0 + XRING);
		}
		udma_free_coherent(mem, XRING * XBUF, g_x[i].buf, h[i]);
	}
	udma_device_destroy(g_dev);
	udma_device_destroy(mem);
	assert_int_equal(udma_swiotlb_stats(&st), 0);
	assert_int_equal(st.used, 0);
	if (more) /* forced: every mapping went through a slot */
		assert_true(st.bounces >= (uint64_t)XT * (uint64_t)iters);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static int x_iters(void)
{
	const char *suite = getenv("UDMA_TEST_SUITE");

	return suite && strcmp(suite, "stress") == 0 ? 50000 : 3000;
}

static void test_xstorm_sim(void **s)
{
	(void)s;
	xstorm("--iova-mode=sim", NULL, x_iters());
}

static void test_xstorm_sim_bounce(void **s)
{
	(void)s;
	xstorm("--iova-mode=sim", "--swiotlb=force", x_iters());
}

static void test_xstorm_va_bounce(void **s)
{
	(void)s;
	xstorm("--iova-mode=va", "--swiotlb=force", x_iters());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storm),
		cmocka_unit_test(test_xstorm_sim),
		cmocka_unit_test(test_xstorm_sim_bounce),
		cmocka_unit_test(test_xstorm_va_bounce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
