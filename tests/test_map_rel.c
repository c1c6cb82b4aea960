/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Streaming maps under hostile input (issue 8): sizes that wrap or cannot fit,
 * bounce capacity after magazines park slots, unregister under a live mapping,
 * unbounded sg tables, rate-limited errors, and what a sync checks without debug.
 * Every bad call gives one message (printed, or counted as suppressed) at once;
 * what the device sees is proven with the sim device model.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>

#include "test_common.h"

static struct udma_device *g_dev;
static uint8_t *g_coh;
static udma_addr_t g_coh_h;
static uint8_t *g_foreign;

#define BUF (256 << 10)

/*
 * sim-mode sync after unmap and past the end of a direct mapping are checked by
 * the sim IOMMU domain (tests/test_sim.c); here pa/va and the bounce paths.
 */

/* a hang is a failure, not a stuck CI job */
static void watchdog(unsigned int s)
{
	signal(SIGALRM, SIG_DFL);
	alarm(s);
}

static int up_args(const char *mode, const char *swiotlb, const char *extra)
{
	int ret;

	memset(&g_dev, 0, sizeof(g_dev));
	if (!strcmp(mode, "--iova-mode=pa") && !t_pa_possible())
		return 1;
	if (!strcmp(mode, "--iova-mode=va"))
		ret = t_init_args(mode, "--no-huge", swiotlb, "-m", "16", "--log-level=2", extra, NULL);
	else
		ret = t_init_args(mode, swiotlb, "-m", "16", "--log-level=2", extra, NULL);
	assert_true(ret >= 0);
	g_dev = t_dev64("rel");
	g_coh = udma_alloc_coherent(g_dev, BUF, &g_coh_h, UDMA_GFP_KERNEL);
	assert_non_null(g_coh);
	g_foreign = aligned_alloc(4096, 16 * (size_t)BUF); /* fill_round() maps up to 16 pieces */
	assert_non_null(g_foreign);
	return 0;
}

static void down(void)
{
	struct udma_swiotlb_stats st;

	assert_int_equal(udma_swiotlb_stats(&st), 0);
	assert_int_equal(st.used, 0);
	udma_free_coherent(g_dev, BUF, g_coh, g_coh_h);
	free(g_foreign);
	udma_device_destroy(g_dev);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/*
 * Log capture that proves "one message per bad call": every ERR message is
 * counted (printed or suppressed by the rate limit), and at most one line shows.
 */
struct one {
	struct t_log log;
	unsigned long errors, suppressed;
};

static void one_begin(struct one *o)
{
	t_log_begin(&o->log);
	o->errors = udma_log_error_count();
	o->suppressed = udma_log_suppressed_count();
}

static void one_end(struct one *o, const char *what)
{
	unsigned long errors = udma_log_error_count() - o->errors;
	unsigned long supp = udma_log_suppressed_count() - o->suppressed;
	char *text = t_log_end(&o->log);
	int lines = t_count(text, "UDMA: ERR") - t_count(text, "suppressed");

	if (errors != 1 || lines + (int)supp != 1)
		fail_msg("%s: %lu messages, %d lines, %lu suppressed; log:\n%s", what, errors, lines,
			 supp, text ? text : "");
	free(text);
}

/* ---- defect 1: sizes that wrap or cannot fit --------------------------------- */

static void huge_sizes(const char *mode, const char *swiotlb)
{
	uint8_t back[64];
	struct one o;
	udma_addr_t a;

	if (up_args(mode, swiotlb, NULL))
		skip();
	watchdog(60);
	for (int pass = 0; pass < 2; pass++) {
		uint8_t *mem = pass ? g_foreign : g_coh;
		const size_t sizes[] = {
			SIZE_MAX - 8192, SIZE_MAX, (size_t)1 << 63, ((size_t)1 << 63) + 1,
			SIZE_MAX - (uintptr_t)mem + 1, /* ends exactly at the top of the space */
			((size_t)1 << 57) - (uintptr_t)mem + 1, /* one byte past 57-bit VAs */
		};

		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			one_begin(&o);
			assert_int_equal(udma_map_single(g_dev, mem, sizes[k], UDMA_TO_DEVICE),
					 UDMA_MAPPING_ERROR);
			one_end(&o, "map_single huge");
			one_begin(&o);
			assert_int_equal(udma_map_single_attrs(g_dev, mem, sizes[k], UDMA_FROM_DEVICE,
							       NULL), UDMA_MAPPING_ERROR);
			one_end(&o, "map_single_attrs huge");
			one_begin(&o);
			assert_int_equal(udma_map_page(g_dev, mem, 0, sizes[k], UDMA_BIDIRECTIONAL),
					 UDMA_MAPPING_ERROR);
			one_end(&o, "map_page huge");
		}
		/* an offset that wraps the page address */
		one_begin(&o);
		assert_int_equal(udma_map_page(g_dev, mem, SIZE_MAX - 100, 64, UDMA_TO_DEVICE),
				 UDMA_MAPPING_ERROR);
		one_end(&o, "map_page wrapping offset");
		/* a size that does not wrap but is far past any memory (not sim: defect 2) */
		if (strcmp(mode, "--iova-mode=sim") != 0 || !strcmp(swiotlb, "--swiotlb=force")) {
			one_begin(&o);
			assert_int_equal(udma_map_single(g_dev, mem, (size_t)1 << 40, UDMA_TO_DEVICE),
					 UDMA_MAPPING_ERROR);
			one_end(&o, "map_single 1 TiB");
		}
	}
	/* a live mapping survives wrapping unmap/sync arguments */
	t_fill(g_coh, 64, 21);
	a = udma_map_single(g_dev, g_coh, 64, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g_dev, a));
	one_begin(&o);
	udma_sync_single_range_for_device(g_dev, a, SIZE_MAX - 10, 64, UDMA_TO_DEVICE);
	one_end(&o, "sync with a wrapping offset");
	one_begin(&o);
	udma_sync_single_for_cpu(g_dev, a, SIZE_MAX, UDMA_TO_DEVICE);
	one_end(&o, "sync with a wrapping size");
	one_begin(&o);
	udma_unmap_single(g_dev, a, SIZE_MAX - 8192, UDMA_TO_DEVICE);
	one_end(&o, "unmap with a wrapping size");
	assert_int_equal(udma_sim_dma_read(g_dev, a, back, 64), 0);
	assert_true(t_check(back, 64, 21));
	udma_unmap_single(g_dev, a, 64, UDMA_TO_DEVICE);
	alarm(0);
	down();
}

static void test_huge_sim(void **s) { (void)s; huge_sizes("--iova-mode=sim", "--swiotlb=auto"); }
static void test_huge_sim_off(void **s) { (void)s; huge_sizes("--iova-mode=sim", "--swiotlb=off"); }
static void test_huge_va(void **s) { (void)s; huge_sizes("--iova-mode=va", "--swiotlb=auto"); }
static void test_huge_va_off(void **s) { (void)s; huge_sizes("--iova-mode=va", "--swiotlb=off"); }
static void test_huge_pa(void **s) { (void)s; huge_sizes("--iova-mode=pa", "--swiotlb=auto"); }
static void test_huge_pa_off(void **s) { (void)s; huge_sizes("--iova-mode=pa", "--swiotlb=off"); }
static void test_huge_force(void **s) { (void)s; huge_sizes("--iova-mode=sim", "--swiotlb=force"); }

/* ---- defect 5: bounce capacity comes back -------------------------------------- */

static pthread_barrier_t g_bar;

/* map 256 KiB pieces of @buf until failure; the device reads the first; unmap all */
static int fill_round(uint8_t *buf, int max, int seed, bool hold)
{
	udma_addr_t a[16];
	uint8_t back[64];
	int n = 0;

	t_fill(buf, 64, (unsigned)seed);
	while (n < max && n < 16) {
		a[n] = udma_map_single_attrs(g_dev, buf + (size_t)n * BUF, BUF, UDMA_TO_DEVICE, NULL);
		if (a[n] == UDMA_MAPPING_ERROR)
			break;
		n++;
	}
	if (n && (udma_sim_dma_read(g_dev, a[0], back, 64) || !t_check(back, 64, (unsigned)seed)))
		return -1;
	if (hold)
		pthread_barrier_wait(&g_bar); /* every thread has hit the end of the region */
	for (int i = 0; i < n; i++)
		udma_unmap_single(g_dev, a[i], BUF, UDMA_TO_DEVICE);
	return n;
}

/* small bounces of every cached order: each lcore's magazines keep a few slots */
static void park_small(uint8_t *buf)
{
	for (int o = 0; o < 3; o++) {
		udma_addr_t a = udma_map_single(g_dev, buf, 1000u << o, UDMA_BIDIRECTIONAL);

		assert_false(udma_mapping_error(g_dev, a));
		udma_unmap_single(g_dev, a, 1000u << o, UDMA_BIDIRECTIONAL);
	}
}

static void *park_thread(void *buf)
{
	udma_thread_register();
	park_small(buf);
	return NULL; /* no udma_thread_unregister(): the slots stay parked */
}

struct parker {
	pthread_t t;
	uint8_t *buf;
	int rounds, count[8];
	bool unregister;
};

/* a thread that parks slots and stays registered (or unregisters) while others map */
static void *parker_main(void *arg)
{
	struct parker *p = arg;

	udma_thread_register();
	for (int r = 0; r < p->rounds; r++) {
		p->count[r] = fill_round(p->buf, 16, r + 7, true);
		pthread_barrier_wait(&g_bar); /* every thread unmapped */
		for (int k = 0; k < 3; k++) {
			udma_addr_t a = udma_map_single(g_dev, p->buf, 1000u << k, UDMA_TO_DEVICE);

			if (a == UDMA_MAPPING_ERROR)
				p->count[r] = -2;
			else
				udma_unmap_single(g_dev, a, 1000u << k, UDMA_TO_DEVICE);
		}
		pthread_barrier_wait(&g_bar); /* parked */
	}
	if (p->unregister)
		udma_thread_unregister();
	return NULL;
}

static void capacity_in(const char *mode)
{
	struct udma_swiotlb_stats st;
	struct parker p[2];
	int full;

	if (up_args(mode, "--swiotlb=force", "--swiotlb-size=2"))
		skip();
	watchdog(120);
	full = (int)(2 << 20) / BUF;
	/* one thread: rounds with small bounces in between keep the same count */
	for (int r = 0; r < 6; r++) {
		assert_int_equal(fill_round(g_foreign, 16, r, false), full);
		park_small(g_foreign + (size_t)r * 64);
	}
	/* threads that exit still registered, with slots parked in their magazines */
	for (int i = 0; i < 2; i++) {
		pthread_t t;

		pthread_create(&t, NULL, park_thread, g_foreign + (size_t)i * 4096);
		pthread_join(t, NULL);
		park_small(g_foreign);
		assert_int_equal(fill_round(g_foreign, 16, 40 + i, false), full);
	}
	/* three threads at once (two helpers and this one): together they fill it */
	pthread_barrier_init(&g_bar, NULL, 3);
	for (int i = 0; i < 2; i++) {
		p[i] = (struct parker){.rounds = 5, .unregister = i == 0};
		p[i].buf = aligned_alloc(4096, 16 * (size_t)BUF);
		assert_non_null(p[i].buf);
		pthread_create(&p[i].t, NULL, parker_main, &p[i]);
	}
	for (int r = 0; r < 5; r++) {
		uint8_t *mine = malloc(16 * (size_t)BUF);
		int n = fill_round(mine, 16, r + 100, true);

		pthread_barrier_wait(&g_bar);
		park_small(mine);
		pthread_barrier_wait(&g_bar);
		assert_true(p[0].count[r] >= 0 && p[1].count[r] >= 0 && n >= 0);
		assert_int_equal(n + p[0].count[r] + p[1].count[r], full);
		free(mine);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(p[i].t, NULL);
		free(p[i].buf);
	}
	pthread_barrier_destroy(&g_bar);
	assert_int_equal(fill_round(g_foreign, 16, 99, false), full);
	assert_int_equal(udma_swiotlb_stats(&st), 0);
	assert_int_equal(st.used, 0);
	alarm(0);
	down();
}

static void test_capacity_sim(void **s) { (void)s; capacity_in("--iova-mode=sim"); }
static void test_capacity_va(void **s) { (void)s; capacity_in("--iova-mode=va"); }

/* ---- defect 7: unregister under a live mapping ------------------------------------ */

static void unregister_busy_in(const char *mode, const char *swiotlb)
{
	uint8_t *reg, dev_bytes[256], back[256];
	bool forced = !strcmp(swiotlb, "--swiotlb=force");
	udma_addr_t a, b;
	struct one o;

	if (up_args(mode, swiotlb, NULL))
		skip();
	reg = g_foreign;
	assert_int_equal(udma_mem_register(reg, 64 << 10), 0);
	memset(reg, 0x11, 64 << 10);
	a = udma_map_single(g_dev, reg + 4096, 256, UDMA_FROM_DEVICE);
	assert_false(udma_mapping_error(g_dev, a));
	b = udma_map_page(g_dev, reg + 8192, 16, 256, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g_dev, b));
	if (forced) {
		/* bounced: the device reaches only the slots, the region may go */
		assert_int_equal(udma_mem_unregister(reg, 64 << 10), 0);
		udma_unmap_single(g_dev, a, 256, UDMA_FROM_DEVICE);
		udma_unmap_page(g_dev, b, 256, UDMA_TO_DEVICE);
		down();
		return;
	}
	one_begin(&o);
	assert_int_equal(udma_mem_unregister(reg, 64 << 10), -EBUSY);
	one_end(&o, "unregister with two live mappings");
	/* the region is still there: the device's bytes land in it */
	t_fill(dev_bytes, sizeof(dev_bytes), 31);
	assert_int_equal(udma_sim_dma_write(g_dev, a, dev_bytes, sizeof(dev_bytes)), 0);
	udma_unmap_single(g_dev, a, 256, UDMA_FROM_DEVICE);
	assert_true(t_check(reg + 4096, sizeof(dev_bytes), 31));
	one_begin(&o);
	assert_int_equal(udma_mem_unregister(reg, 64 << 10), -EBUSY); /* b still lives */
	one_end(&o, "unregister with one live mapping");
	t_fill(reg + 8192 + 16, 256, 32);
	assert_int_equal(udma_sim_dma_read(g_dev, b, back, 256), 0);
	assert_true(t_check(back, 256, 32));
	udma_unmap_page(g_dev, b, 256, UDMA_TO_DEVICE);
	/* a scatterlist of registered memory holds the region too, until udma_unmap_sg() */
	{
		struct udma_sg sg[2];
		uint8_t sgback[512];
		int count;

		udma_sg_init_table(sg, 2);
		t_fill(reg + 16384, 512, 33);
		udma_sg_set_buf(&sg[0], reg + 16384, 256);
		udma_sg_set_buf(&sg[1], reg + 16384 + 256, 256);
		count = udma_map_sg(g_dev, sg, 2, UDMA_TO_DEVICE);
		assert_true(count >= 1);
		one_begin(&o);
		assert_int_equal(udma_mem_unregister(reg, 64 << 10), -EBUSY);
		one_end(&o, "unregister with a live sg mapping");
		assert_true(udma_sg_dma_len(&sg[0]) <= sizeof(sgback));
		assert_int_equal(udma_sim_dma_read(g_dev, udma_sg_dma_address(&sg[0]), sgback,
						   udma_sg_dma_len(&sg[0])), 0);
		assert_true(t_check(sgback, udma_sg_dma_len(&sg[0]), 33));
		udma_unmap_sg(g_dev, sg, 2, UDMA_TO_DEVICE);
		udma_unmap_sg(g_dev, sg, 2, UDMA_TO_DEVICE); /* a second unmap releases nothing */
	}
	/* a second unmap of a direct mapping cannot free the count of another */
	a = udma_map_single(g_dev, reg, 64, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g_dev, a));
	udma_unmap_single(g_dev, a, 64, UDMA_TO_DEVICE);
	assert_int_equal(udma_mem_unregister(reg, 64 << 10), 0);
	assert_int_equal(udma_mem_unregister(reg, 64 << 10), -EINVAL);
	down();
}

static void test_unreg_sim(void **s) { (void)s; unregister_busy_in("--iova-mode=sim", "--swiotlb=auto"); }
static void test_unreg_va(void **s) { (void)s; unregister_busy_in("--iova-mode=va", "--swiotlb=auto"); }
static void test_unreg_pa(void **s) { (void)s; unregister_busy_in("--iova-mode=pa", "--swiotlb=auto"); }
static void test_unreg_force(void **s)
{
	(void)s;
	unregister_busy_in("--iova-mode=sim", "--swiotlb=force");
}

/* register/unregister arguments: one message each, nothing registered lost */
static void test_register_args(void **s)
{
	uint8_t stack[64];
	struct one o;

	(void)s;
	if (up_args("--iova-mode=va", "--swiotlb=auto", NULL))
		skip();
	assert_int_equal(udma_mem_register(g_foreign, 8192), 0);
	struct { void *va; size_t len; int reg, unreg; } bad[] = {
		{NULL, 4096, -EINVAL, -EINVAL},
		{g_foreign + BUF, 0, -EINVAL, -EINVAL},
		{g_foreign + BUF, SIZE_MAX, -EINVAL, -EINVAL},
		{g_foreign + BUF, SIZE_MAX - (uintptr_t)g_foreign - BUF - 100, -EINVAL, -EINVAL},
		{stack, 64, -12345, -EINVAL}, /* unregister only: never registered */
		{g_foreign, 4096, -EBUSY, -ERANGE},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].reg != -12345) {
			one_begin(&o);
			assert_int_equal(udma_mem_register(bad[i].va, bad[i].len), bad[i].reg);
			one_end(&o, "udma_mem_register");
		}
		one_begin(&o);
		assert_int_equal(udma_mem_unregister(bad[i].va, bad[i].len), bad[i].unreg);
		one_end(&o, "udma_mem_unregister");
	}
	assert_int_equal(udma_mem_unregister(g_foreign, 8192), 0);
	down();
}

/* ---- defect 8: unbounded sg tables; sg table arguments --------------------------------- */

static void test_sg_table_bounds(void **s)
{
	struct udma_sg_table t;
	struct udma_sg one_sg[4], *sg;
	struct one o;
	int i, n = 0;

	(void)s;
	if (up_args("--iova-mode=sim", "--swiotlb=auto", NULL))
		skip();
	watchdog(20); /* before the fix: ~33 million callocs */
	memset(&t, 0x5a, sizeof(t));
	one_begin(&o);
	assert_int_equal(udma_sg_alloc_table(&t, UINT_MAX), -EINVAL);
	one_end(&o, "sg_alloc_table UINT_MAX");
	memset(&t, 0x5a, sizeof(t));
	one_begin(&o);
	assert_int_equal(udma_sg_alloc_table(&t, INT_MAX), -ENOMEM);
	one_end(&o, "sg_alloc_table INT_MAX");
	assert_null(t.sgl);
	assert_int_equal(t.nents, 0);
	udma_sg_free_table(&t); /* harmless on a failed table */
	alarm(0);
	one_begin(&o);
	assert_int_equal(udma_sg_alloc_table(NULL, 4), -EINVAL);
	one_end(&o, "sg_alloc_table NULL");
	one_begin(&o);
	assert_int_equal(udma_sg_alloc_table(&t, 0), -EINVAL);
	one_end(&o, "sg_alloc_table 0");
	one_begin(&o);
	udma_sg_init_table(NULL, 4);
	one_end(&o, "sg_init_table NULL");
	one_begin(&o);
	udma_sg_init_table(one_sg, 0);
	one_end(&o, "sg_init_table 0");
	one_begin(&o);
	udma_sg_set_buf(NULL, g_coh, 64);
	one_end(&o, "sg_set_buf NULL");
	one_begin(&o);
	udma_sg_mark_end(NULL);
	one_end(&o, "sg_mark_end NULL");
	one_begin(&o);
	udma_sg_chain(one_sg, 1, one_sg + 2);
	one_end(&o, "sg_chain 1");
	one_begin(&o);
	udma_sg_chain(NULL, 2, one_sg);
	one_end(&o, "sg_chain NULL");
	/* a table that spans several arrays still works, and maps */
	assert_int_equal(udma_sg_alloc_table(&t, 300), 0);
	udma_for_each_sg(t.sgl, sg, (int)t.orig_nents, i) {
		udma_sg_set_buf(sg, g_coh + (size_t)i * 512, 512);
		n++;
	}
	assert_int_equal(n, 300);
	t_fill(g_coh, 300 * 512, 41);
	t.nents = (unsigned int)udma_map_sg(g_dev, t.sgl, (int)t.orig_nents, UDMA_TO_DEVICE);
	assert_true(t.nents >= 1);
	{
		uint8_t *back = malloc(300 * 512);
		size_t off = 0;

		udma_for_each_sg(t.sgl, sg, (int)t.nents, i) {
			assert_int_equal(udma_sim_dma_read(g_dev, udma_sg_dma_address(sg), back + off,
							   udma_sg_dma_len(sg)), 0);
			off += udma_sg_dma_len(sg);
		}
		assert_int_equal(off, 300 * 512);
		assert_true(t_check(back, 300 * 512, 41));
		free(back);
	}
	udma_unmap_sg(g_dev, t.sgl, (int)t.orig_nents, UDMA_TO_DEVICE);
	udma_sg_free_table(&t);
	assert_null(t.sgl);
	down();
}

/* ---- data-path errors: one message per bad call, rate-limited, all counted ----------------- */

static void *bad_mapper(void *arg)
{
	long n = (long)(intptr_t)arg;

	for (long i = 0; i < n; i++)
		if (udma_map_single(g_dev, NULL, 64, UDMA_TO_DEVICE) != UDMA_MAPPING_ERROR)
			return (void *)1;
	return NULL;
}

static void test_ratelimit(void **s)
{
	unsigned long e0, s0;
	pthread_t t[3];
	struct t_log log;
	char *text;
	int lines, supp_lines;

	(void)s;
	if (up_args("--iova-mode=sim", "--swiotlb=auto", NULL))
		skip();
	e0 = udma_log_error_count();
	s0 = udma_log_suppressed_count();
	t_log_begin(&log);
	assert_null(bad_mapper((void *)(intptr_t)100000));
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, bad_mapper, (void *)(intptr_t)20000);
	for (int i = 0; i < 3; i++) {
		void *r;

		pthread_join(t[i], &r);
		assert_null(r);
	}
	udma_dump(log.f);
	text = t_log_end(&log);
	lines = t_count(text, "bad argument");
	supp_lines = t_count(text, "messages suppressed");
	/* every call counted; a burst of 10 per 5 s window printed, one summary per window */
	assert_int_equal(udma_log_error_count() - e0, 160000);
	assert_int_equal(lines + (long)(udma_log_suppressed_count() - s0), 160000);
	assert_true(lines >= 10 && lines <= 10 * (supp_lines + 1));
	assert_true(t_count(text, "messages suppressed by the rate limit") == 1); /* udma_dump */
	free(text);
	down();
}

/* ---- every public call on the map paths: one message per bad call, in every mode ---------- */

#define ONE(what, call)                                                                   \
	do {                                                                               \
		one_begin(&o);                                                             \
		call;                                                                      \
		one_end(&o, what);                                                         \
	} while (0)

static void one_message_in(const char *mode, const char *swiotlb, const char *extra)
{
	struct udma_sg sg[3], good[2];
	uint8_t back[64];
	struct one o;
	udma_addr_t a;
	int count;

	if (up_args(mode, swiotlb, extra))
		skip();
	watchdog(60);
	t_fill(g_coh, 64, 51);
	a = udma_map_single(g_dev, g_coh, 64, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g_dev, a));
	udma_sg_init_table(good, 2);
	udma_sg_set_buf(&good[0], g_coh + 4096, 512);
	udma_sg_set_buf(&good[1], g_foreign, 512);
	count = udma_map_sg(g_dev, good, 2, UDMA_TO_DEVICE);
	assert_true(count >= 1);
	/* map forms */
	ONE("map NULL dev", assert_int_equal(udma_map_single(NULL, g_coh, 64, UDMA_TO_DEVICE),
					     UDMA_MAPPING_ERROR));
	ONE("map bogus dev", assert_int_equal(udma_map_single((struct udma_device *)g_foreign,
							      g_coh, 64, UDMA_TO_DEVICE),
					      UDMA_MAPPING_ERROR));
	ONE("map NULL", assert_int_equal(udma_map_single(g_dev, NULL, 64, UDMA_TO_DEVICE),
					 UDMA_MAPPING_ERROR));
	ONE("map size 0", assert_int_equal(udma_map_single(g_dev, g_coh, 0, UDMA_TO_DEVICE),
					   UDMA_MAPPING_ERROR));
	ONE("map NONE", assert_int_equal(udma_map_single(g_dev, g_coh, 64, UDMA_NONE),
					 UDMA_MAPPING_ERROR));
	ONE("map dir 9", assert_int_equal(udma_map_single(g_dev, g_coh, 64,
							  (enum udma_data_direction)9),
					  UDMA_MAPPING_ERROR));
	ONE("map wraps", assert_int_equal(udma_map_single(g_dev, g_coh, SIZE_MAX, UDMA_TO_DEVICE),
					  UDMA_MAPPING_ERROR));
	ONE("map_attrs NULL", assert_int_equal(udma_map_single_attrs(g_dev, NULL, 64,
								     UDMA_TO_DEVICE, NULL),
					       UDMA_MAPPING_ERROR));
	ONE("map_attrs dir", assert_int_equal(udma_map_single_attrs(g_dev, g_coh, 64, UDMA_NONE,
								    NULL), UDMA_MAPPING_ERROR));
	ONE("map_page misaligned", assert_int_equal(udma_map_page(g_dev, g_coh + 1, 0, 64,
								  UDMA_TO_DEVICE),
						    UDMA_MAPPING_ERROR));
	ONE("map_page NULL", assert_int_equal(udma_map_page(g_dev, NULL, 4096, 64, UDMA_TO_DEVICE),
					      UDMA_MAPPING_ERROR));
	ONE("map_page NULL dev", assert_int_equal(udma_map_page(NULL, g_coh, 0, 64,
								UDMA_TO_DEVICE),
						  UDMA_MAPPING_ERROR));
	ONE("map_page size 0", assert_int_equal(udma_map_page(g_dev, g_coh, 0, 0, UDMA_TO_DEVICE),
						UDMA_MAPPING_ERROR));
	ONE("map_page dir", assert_int_equal(udma_map_page(g_dev, g_coh, 0, 64, UDMA_NONE),
					     UDMA_MAPPING_ERROR));
	/* unmap forms: the live mapping survives all of them */
	ONE("unmap NULL dev", udma_unmap_single(NULL, a, 64, UDMA_TO_DEVICE));
	ONE("unmap error handle", udma_unmap_single(g_dev, UDMA_MAPPING_ERROR, 64, UDMA_TO_DEVICE));
	ONE("unmap size 0", udma_unmap_single(g_dev, a, 0, UDMA_TO_DEVICE));
	ONE("unmap dir", udma_unmap_single(g_dev, a, 64, UDMA_NONE));
	ONE("unmap wraps", udma_unmap_single(g_dev, a, SIZE_MAX, UDMA_TO_DEVICE));
	ONE("unmap never mapped", udma_unmap_single(g_dev, 0x10, 64, UDMA_TO_DEVICE));
	ONE("unmap_attrs dir", udma_unmap_single_attrs(g_dev, a, 64, UDMA_NONE, NULL));
	ONE("unmap_page NULL dev", udma_unmap_page(NULL, a, 64, UDMA_TO_DEVICE));
	ONE("unmap_page size 0", udma_unmap_page(g_dev, a, 0, UDMA_TO_DEVICE));
	/* sync forms */
	ONE("sync_for_cpu dev", udma_sync_single_for_cpu(NULL, a, 64, UDMA_TO_DEVICE));
	ONE("sync_for_cpu dir", udma_sync_single_for_cpu(g_dev, a, 64, UDMA_NONE));
	ONE("sync_for_device size", udma_sync_single_for_device(g_dev, a, 0, UDMA_TO_DEVICE));
	ONE("sync_for_device error", udma_sync_single_for_device(g_dev, UDMA_MAPPING_ERROR, 64,
								 UDMA_TO_DEVICE));
	ONE("sync_single dir", udma_sync_single(g_dev, a, 64, (enum udma_data_direction)5));
	ONE("sync_range wraps", udma_sync_single_range(g_dev, a, SIZE_MAX, 2, UDMA_TO_DEVICE));
	ONE("sync_range_for_cpu dev", udma_sync_single_range_for_cpu(NULL, a, 0, 64,
								     UDMA_TO_DEVICE));
	ONE("sync_range_for_device size", udma_sync_single_range_for_device(g_dev, a, 8, 0,
									    UDMA_TO_DEVICE));
	/* sg forms */
	udma_sg_init_table(sg, 3);
	udma_sg_set_buf(&sg[0], g_coh, 64);
	udma_sg_set_buf(&sg[1], g_coh + 128, 64);
	udma_sg_set_buf(&sg[2], g_coh + 256, 64);
	ONE("map_sg dev", assert_int_equal(udma_map_sg(NULL, sg, 3, UDMA_TO_DEVICE), 0));
	ONE("map_sg NULL", assert_int_equal(udma_map_sg(g_dev, NULL, 3, UDMA_TO_DEVICE), 0));
	ONE("map_sg nents 0", assert_int_equal(udma_map_sg(g_dev, sg, 0, UDMA_TO_DEVICE), 0));
	ONE("map_sg nents -1", assert_int_equal(udma_map_sg(g_dev, sg, -1, UDMA_TO_DEVICE), 0));
	ONE("map_sg dir", assert_int_equal(udma_map_sg(g_dev, sg, 3, UDMA_NONE), 0));
	ONE("map_sg past end", assert_int_equal(udma_map_sg(g_dev, sg, 4, UDMA_TO_DEVICE), 0));
	udma_sg_set_buf(&sg[1], g_coh + 128, 0);
	ONE("map_sg empty entry", assert_int_equal(udma_map_sg(g_dev, sg, 3, UDMA_TO_DEVICE), 0));
	ONE("map_sg_attrs dir", assert_int_equal(udma_map_sg_attrs(g_dev, sg, 3, UDMA_NONE, NULL),
						 0));
	ONE("unmap_sg dev", udma_unmap_sg(NULL, good, 2, UDMA_TO_DEVICE));
	ONE("unmap_sg NULL", udma_unmap_sg(g_dev, NULL, 2, UDMA_TO_DEVICE));
	ONE("unmap_sg_attrs nents", udma_unmap_sg_attrs(g_dev, good, 0, UDMA_TO_DEVICE, NULL));
	ONE("sync_sg dir", udma_sync_sg(g_dev, good, 2, UDMA_NONE));
	ONE("sync_sg_for_cpu dev", udma_sync_sg_for_cpu(NULL, good, 2, UDMA_TO_DEVICE));
	ONE("sync_sg_for_device NULL", udma_sync_sg_for_device(g_dev, NULL, 2, UDMA_TO_DEVICE));
	/* nothing was lost: the mapping and the list still work */
	assert_int_equal(udma_sim_dma_read(g_dev, a, back, 64), 0);
	assert_true(t_check(back, 64, 51));
	udma_unmap_single(g_dev, a, 64, UDMA_TO_DEVICE);
	udma_unmap_sg(g_dev, good, 2, UDMA_TO_DEVICE);
	alarm(0);
	down();
}

static void test_one_sim(void **s) { (void)s; one_message_in("--iova-mode=sim", "--swiotlb=auto", NULL); }
static void test_one_va(void **s) { (void)s; one_message_in("--iova-mode=va", "--swiotlb=auto", NULL); }
static void test_one_pa(void **s) { (void)s; one_message_in("--iova-mode=pa", "--swiotlb=auto", NULL); }
static void test_one_force(void **s) { (void)s; one_message_in("--iova-mode=va", "--swiotlb=force", NULL); }
static void test_one_debug(void **s)
{
	(void)s;
	one_message_in("--iova-mode=va", "--swiotlb=auto", "--dma-debug");
}

/* ---- sync without dma-debug: what is checked, per mode --------------------------------------- */

static void sync_checks_in(const char *mode, const char *swiotlb)
{
	bool forced = !strcmp(swiotlb, "--swiotlb=force");
	uint8_t dev_bytes[64];
	struct t_log log;
	struct one o;
	udma_addr_t a;
	char *text;

	if (up_args(mode, swiotlb, NULL))
		skip();
	/* a bounced mapping (foreign memory, or everything when forced) */
	memset(g_foreign, 0x22, 128);
	a = udma_map_single(g_dev, g_foreign, 64, UDMA_FROM_DEVICE);
	assert_false(udma_mapping_error(g_dev, a));
	memset(dev_bytes, 0x77, sizeof(dev_bytes)); /* the device's bytes differ from the CPU's */
	assert_int_equal(udma_sim_dma_write(g_dev, a, dev_bytes, 64), 0);
	one_begin(&o);
	udma_sync_single_range_for_cpu(g_dev, a, 32, 64, UDMA_FROM_DEVICE);
	one_end(&o, "bounced: sync past the end");
	for (int i = 0; i < 128; i++) /* nothing copied, in the mapping or past it */
		assert_int_equal(g_foreign[i], 0x22);
	udma_unmap_single(g_dev, a, 64, UDMA_FROM_DEVICE);
	for (int i = 0; i < 128; i++) /* the unmap copies the mapping's 64 bytes, no more */
		assert_int_equal(g_foreign[i], i < 64 ? 0x77 : 0x22);
	one_begin(&o);
	udma_sync_single_for_cpu(g_dev, a, 64, UDMA_FROM_DEVICE);
	one_end(&o, "bounced: sync after unmap");
	/* a direct pa/va mapping holds no state: documented as not detected without debug */
	if (!forced && strcmp(mode, "--iova-mode=sim") != 0) {
		a = udma_map_single(g_dev, g_coh, 64, UDMA_FROM_DEVICE);
		assert_false(udma_mapping_error(g_dev, a));
		t_log_begin(&log);
		udma_sync_single_range_for_cpu(g_dev, a, 32, 64, UDMA_FROM_DEVICE);
		udma_unmap_single(g_dev, a, 64, UDMA_FROM_DEVICE);
		udma_sync_single_for_cpu(g_dev, a, 64, UDMA_FROM_DEVICE);
		text = t_log_end(&log);
		assert_int_equal(t_count(text, "ERR"), 0);
		free(text);
		/* an IOVA udma never handed out is refused */
		one_begin(&o);
		udma_sync_single_for_device(g_dev, 0x10, 64, UDMA_TO_DEVICE);
		one_end(&o, "direct: sync of a never-mapped IOVA");
	}
	down();
}

static void test_sync_va(void **s) { (void)s; sync_checks_in("--iova-mode=va", "--swiotlb=auto"); }
static void test_sync_pa(void **s) { (void)s; sync_checks_in("--iova-mode=pa", "--swiotlb=auto"); }
static void test_sync_va_force(void **s)
{
	(void)s;
	sync_checks_in("--iova-mode=va", "--swiotlb=force");
}

/* ---- a bounce slot belongs to the device that mapped it ------------------------------------- */

/*
 * Device B's unmap or sync of device A's bounced mapping, and A's unmap with the
 * wrong size, are refused with one line each; A's mapping stays live (the device
 * reads and writes it, A's unmap copies the device's bytes back) and its slot is
 * not handed to anyone meanwhile.
 */
static void bounce_owner_in(const char *mode, const char *swiotlb)
{
	uint8_t *bufa, *bufb, dev_bytes[8192], back[8192];
	struct udma_sg sg[2];
	struct udma_device *b;
	udma_addr_t a, ab;
	struct one o;

	if (up_args(mode, swiotlb, NULL))
		skip();
	b = t_dev64("other");
	bufa = g_foreign;
	bufb = g_foreign + BUF;
	t_fill(bufa, 8192, 41);
	a = udma_map_single(g_dev, bufa, 8192, UDMA_BIDIRECTIONAL);
	assert_false(udma_mapping_error(g_dev, a));
	one_begin(&o);
	udma_unmap_single(b, a, 8192, UDMA_BIDIRECTIONAL);
	one_end(&o, "another device's unmap of a bounced mapping");
	one_begin(&o);
	udma_sync_single_for_cpu(b, a, 8192, UDMA_BIDIRECTIONAL);
	one_end(&o, "another device's sync of a bounced mapping");
	one_begin(&o);
	udma_unmap_single(g_dev, a, 4096, UDMA_BIDIRECTIONAL);
	one_end(&o, "an unmap with the wrong size");
	/* the slot is still A's: B's mapping gets another one */
	t_fill(bufb, 8192, 43);
	ab = udma_map_single(b, bufb, 8192, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(b, ab));
	assert_true(ab != a);
	/* A's device still sees A's bytes, and what it writes reaches A's buffer */
	assert_int_equal(udma_sim_dma_read(g_dev, a, back, sizeof(back)), 0);
	assert_true(t_check(back, sizeof(back), 41));
	t_fill(dev_bytes, sizeof(dev_bytes), 47);
	assert_int_equal(udma_sim_dma_write(g_dev, a, dev_bytes, sizeof(dev_bytes)), 0);
	udma_unmap_single(g_dev, a, 8192, UDMA_BIDIRECTIONAL);
	assert_true(t_check(bufa, 8192, 47));
	assert_true(t_check(bufb, 8192, 43));
	udma_unmap_single(b, ab, 8192, UDMA_TO_DEVICE);
	/* an sg list with bounced entries: the same for B's unmap and sync */
	memset(bufa, 0, 8192);
	udma_sg_init_table(sg, 2);
	udma_sg_set_buf(&sg[0], bufa, 3000);
	udma_sg_set_buf(&sg[1], bufa + 4096, 5000);
	assert_true(udma_map_sg(g_dev, sg, 2, UDMA_FROM_DEVICE) >= 1);
	one_begin(&o);
	udma_unmap_sg(b, sg, 2, UDMA_FROM_DEVICE);
	one_end(&o, "another device's unmap of a bounced sg list");
	one_begin(&o);
	udma_sync_sg_for_cpu(b, sg, 2, UDMA_FROM_DEVICE);
	one_end(&o, "another device's sync of a bounced sg list");
	assert_int_equal(udma_sim_dma_write(g_dev, udma_sg_dma_address(&sg[0]), dev_bytes, 3000), 0);
	udma_unmap_sg(g_dev, sg, 2, UDMA_FROM_DEVICE);
	assert_true(t_check(bufa, 3000, 47) && bufa[3000] == (uint8_t)0);
	udma_device_destroy(b);
	down();
}

static void test_owner_va(void **s) { (void)s; bounce_owner_in("--iova-mode=va", "--swiotlb=auto"); }
static void test_owner_pa(void **s) { (void)s; bounce_owner_in("--iova-mode=pa", "--swiotlb=auto"); }
static void test_owner_va_force(void **s)
{
	(void)s;
	bounce_owner_in("--iova-mode=va", "--swiotlb=force");
}
static void test_owner_sim_force(void **s)
{
	(void)s;
	bounce_owner_in("--iova-mode=sim", "--swiotlb=force");
}

/* a failed test leaves udma initialised: the next one starts clean */
static int td(void **s)
{
	(void)s;
	alarm(0);
	if (udma_eal_initialized())
		udma_eal_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_huge_sim, td),
		cmocka_unit_test_teardown(test_huge_sim_off, td),
		cmocka_unit_test_teardown(test_huge_va, td),
		cmocka_unit_test_teardown(test_huge_va_off, td),
		cmocka_unit_test_teardown(test_huge_pa, td),
		cmocka_unit_test_teardown(test_huge_pa_off, td),
		cmocka_unit_test_teardown(test_huge_force, td),
		cmocka_unit_test_teardown(test_capacity_sim, td),
		cmocka_unit_test_teardown(test_capacity_va, td),
		cmocka_unit_test_teardown(test_unreg_sim, td),
		cmocka_unit_test_teardown(test_unreg_va, td),
		cmocka_unit_test_teardown(test_unreg_pa, td),
		cmocka_unit_test_teardown(test_unreg_force, td),
		cmocka_unit_test_teardown(test_register_args, td),
		cmocka_unit_test_teardown(test_sg_table_bounds, td),
		cmocka_unit_test_teardown(test_ratelimit, td),
		cmocka_unit_test_teardown(test_one_sim, td),
		cmocka_unit_test_teardown(test_one_va, td),
		cmocka_unit_test_teardown(test_one_pa, td),
		cmocka_unit_test_teardown(test_one_force, td),
		cmocka_unit_test_teardown(test_one_debug, td),
		cmocka_unit_test_teardown(test_sync_va, td),
		cmocka_unit_test_teardown(test_sync_pa, td),
		cmocka_unit_test_teardown(test_sync_va_force, td),
		cmocka_unit_test_teardown(test_owner_va, td),
		cmocka_unit_test_teardown(test_owner_pa, td),
		cmocka_unit_test_teardown(test_owner_va_force, td),
		cmocka_unit_test_teardown(test_owner_sim_force, td),
	};

	if (getenv("UDMA_TEST_FILTER"))
		cmocka_set_test_filter(getenv("UDMA_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
