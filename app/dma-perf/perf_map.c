/* SPDX-License-Identifier: BSD-3-Clause */
/* P6, P7, P8, P10 and the mapping half of P11: streaming maps against DPDK translation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "perf.h"

#define COH_LEN (1UL << 20)

static struct udma_device *g_dev;
static uint8_t *g_coh2; /* a second 1 MiB (not one 2 MiB block: pa mode would need two
			 * adjacent hugepages): 256 scattered 4 KiB entries for BURST */
static udma_addr_t g_coh2_h;
static uint8_t *g_coh;
static udma_addr_t g_coh_h;

static PERF_LOOP double loop_map(uint8_t *buf, size_t len, long n)
{
	udma_addr_t sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, len, UDMA_TO_DEVICE);

		udma_unmap_single(g_dev, a, len, UDMA_TO_DEVICE);
		sum += a;
	}
	g_sink += sum; /* once: a shared line written per op would be measured too */
	return loop_end(__func__, t0, n);
}

/* as a driver writes it: every mapping checked with udma_mapping_error() (D1) */
static double loop_map_checked(uint8_t *buf, size_t len, long n)
{
	udma_addr_t sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, len, UDMA_TO_DEVICE);

		if (udma_mapping_error(g_dev, a)) {
			fprintf(stderr, "dma-perf: D1: mapping failed\n");
			exit(1);
		}
		udma_unmap_single(g_dev, a, len, UDMA_TO_DEVICE);
		sum += a;
	}
	g_sink += sum;
	return (now_ns() - t0) / (double)n;
}

static PERF_LOOP double loop_rte_v2i(const uint8_t *buf, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += rte_mem_virt2iova(buf + (i & 63) * 64);
	g_sink += s;
	return loop_end(__func__, t0, n);
}

static PERF_LOOP double loop_rte_malloc_v2i(void *elem, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += rte_malloc_virt2iova(elem);
	g_sink += s;
	return loop_end(__func__, t0, n);
}

static PERF_LOOP double loop_sg(struct udma_sg *sg, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		int c = udma_map_sg(g_dev, sg, 32, UDMA_TO_DEVICE);

		if (c == 0) {
			fprintf(stderr, "dma-perf: P8: udma_map_sg of 32 entries failed\n");
			exit(1);
		}
		udma_unmap_sg(g_dev, sg, 32, UDMA_TO_DEVICE);
	}
	return loop_end(__func__, t0, n * 32);
}

/* a receive through a bounce buffer: map, the device writes, sync for the CPU, unmap */
static PERF_LOOP double loop_bounce(uint8_t *buf, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, 4096, UDMA_FROM_DEVICE);

		udma_sync_single_for_cpu(g_dev, a, 4096, UDMA_FROM_DEVICE);
		udma_unmap_single(g_dev, a, 4096, UDMA_FROM_DEVICE);
	}
	return loop_end(__func__, t0, n);
}

static PERF_LOOP double loop_bounce_tx(uint8_t *buf, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, 4096, UDMA_TO_DEVICE);

		udma_unmap_single(g_dev, a, 4096, UDMA_TO_DEVICE);
	}
	return loop_end(__func__, t0, n);
}

static PERF_LOOP double loop_memcpy(uint8_t *dst, const uint8_t *src, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		memcpy(dst, src, 4096);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	return loop_end(__func__, t0, n);
}

/* rx's two copies alone: into another buffer and back, each reading what the last wrote */
static double loop_copy_pair(uint8_t *buf, uint8_t *other, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		memmove(other, buf, 4096);
		__asm__ volatile("" : : "r"(other) : "memory");
		memmove(buf, other, 4096);
		__asm__ volatile("" : : "r"(buf) : "memory");
	}
	return (now_ns() - t0) / (double)n;
}

static void setup(void)
{
	g_dev = udma_device_create("map", NULL, -1);
	udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64));
	g_coh = udma_alloc_coherent(g_dev, COH_LEN, &g_coh_h, UDMA_GFP_KERNEL);
	g_coh2 = udma_alloc_coherent(g_dev, COH_LEN, &g_coh2_h, UDMA_GFP_KERNEL);
	if (g_coh == NULL || g_coh2 == NULL) {
		fprintf(stderr, "dma-perf: map rows (P6-P8) setup failed: udma_alloc_coherent(%lu KiB): %s\n",
			COH_LEN >> 10, strerror(errno));
		exit(1);
	}
}

static void teardown(void)
{
	udma_free_coherent(g_dev, COH_LEN, g_coh, g_coh_h);
	udma_free_coherent(g_dev, COH_LEN, g_coh2, g_coh2_h);
	udma_device_destroy(g_dev);
}

double g_d1_off_ns; /* D1's checked loop with dma-debug off: the median, */
static double g_d1_off[SAMPLES]; /* and the samples */

static void p6(const char *mode)
{
	double u[SAMPLES], r[SAMPLES], m[SAMPLES];
	uint8_t *rbuf = rte_malloc(NULL, 4096, 4096);
	void *elem = rte_malloc(NULL, 1024, 64);
	char work[96];

	memset(rbuf, 0, 4096);
	map_works("P6", g_dev, g_coh + 64, 1024, UDMA_TO_DEVICE);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P6", s + 1, SAMPLES);
		u[s] = loop_map(g_coh + 64, 1024, iters(20000000));
		r[s] = loop_rte_v2i(rbuf, iters(20000));
		m[s] = loop_rte_malloc_v2i(elem, iters(20000000));
	}
	snprintf(work, sizeof(work), "map_single+unmap_single 1 KiB memseg (%s)", mode);
	row_samples("P6", work, u, "rte_mem_virt2iova", r, SAMPLES, "<= 10 ns", 10, 0);
	row_samples("P6", work, u, "rte_malloc_virt2iova", m, SAMPLES, "<= 10 ns", 10, 0);
	rte_free(rbuf);
	rte_free(elem);
}

/* D1's loop with dma-debug off (the D1 row comes from the --dma-debug session) */
static void d1_off(void)
{
	for (int s = 0; s < SAMPLES; s++) {
		progress("D1 off", s + 1, SAMPLES);
		g_d1_off[s] = loop_map_checked(g_coh + 64, 1024, iters(2000000));
	}
	g_d1_off_ns = median(g_d1_off, SAMPLES);
}

static void p8(void)
{
	struct udma_sg sg[32];
	double u[SAMPLES], m[SAMPLES];
	void *elem = rte_malloc(NULL, 4096, 64);

	udma_sg_init_table(sg, 32);
	for (int i = 0; i < 32; i++) /* scattered pages: nothing merges */
		udma_sg_set_buf(&sg[i], g_coh + (size_t)i * 8192, 4096);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P8", s + 1, SAMPLES);
		u[s] = loop_sg(sg, iters(1000000));
		m[s] = loop_rte_malloc_v2i(elem, iters(20000000));
	}
	row_samples("P8", "map_sg+unmap_sg 32 x 4 KiB, per entry (pa/va)", u,
		    "rte_malloc_virt2iova per entry", m, SAMPLES, "<= 3 ns per entry", 3, 0);
	rte_free(elem);
}

static void p10(void)
{
	uint8_t *foreign = aligned_alloc(4096, 8192), *other = aligned_alloc(4096, 4096);
	double u[SAMPLES], t[SAMPLES], c[SAMPLES], c1[SAMPLES], c2[SAMPLES];

	memset(foreign, 1, 8192);
	memset(other, 2, 4096);
	map_works("P10", g_dev, foreign, 4096, UDMA_FROM_DEVICE);
	map_works("P10", g_dev, foreign, 4096, UDMA_TO_DEVICE);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P10", s + 1, SAMPLES);
		u[s] = loop_bounce(foreign, iters(1000000));
		t[s] = loop_bounce_tx(foreign, iters(1000000));
		c[s] = loop_memcpy(foreign + 4096, foreign, iters(1000000));
		c1[s] = loop_memcpy(other, foreign, iters(1000000));
		c2[s] = loop_copy_pair(foreign, other, iters(1000000));
	}
	row_samples("P10", "bounce 4 KiB rx: map+sync_for_cpu+unmap (2 copies)", u, "memcpy 4 KiB",
		    c, SAMPLES, "<= 2.3x", 0, 2.3); /* two copies by contract, + bookkeeping */
	row_samples("P10", "bounce 4 KiB tx: map+unmap (1 copy)", t, "memcpy 4 KiB", c, SAMPLES,
		    "<= 1.3x", 0, 1.3);
	/* the copy patterns alone with glibc: rx reads what its last copy wrote */
	row_samples("P10", "bounce 4 KiB rx (2 copies)", u,
		    "glibc memmove there and back (rx's copies)", c2, SAMPLES, "info", 0, 0);
	row_samples("P10", "bounce 4 KiB tx (1 copy)", t, "glibc memcpy to another buffer (tx's)",
		    c1, SAMPLES, "info", 0, 0);
	free(other);
	free(foreign);
}

struct solo {
	uint8_t *buf;
	long n;
	double ns;
};

static int solo_map(void *arg)
{
	struct solo *s = arg;

	udma_thread_register();
	s->ns = loop_map(s->buf, 1024, s->n);
	udma_thread_unregister();
	return 0;
}

/* one lcore: the mean of a run on lcore 0 and a run on lcore 1 (VM vCPUs differ) */
static double p11_map_one(long n)
{
	struct solo b = {g_coh + (512 << 10), n, 0};
	double t0 = loop_map(g_coh, 1024, n);

	rte_eal_remote_launch(solo_map, &b, 1);
	rte_eal_wait_lcore(1);
	return (t0 + b.ns) / 2;
}

static void p11_map(void)
{
	double one[SAMPLES], two[SAMPLES];

	map_works("P11", g_dev, g_coh, 1024, UDMA_TO_DEVICE);
	for (int s = 0; s < SAMPLES; s++) {
		struct solo b = {g_coh + (512 << 10), iters(10000000), 0};
		double t0;

		progress("P11", s + 1, SAMPLES);
		one[s] = p11_map_one(iters(10000000));
		t0 = now_ns();
		rte_eal_remote_launch(solo_map, &b, 1);
		loop_map(g_coh, 1024, iters(10000000));
		rte_eal_wait_lcore(1);
		two[s] = (now_ns() - t0) / (2.0 * (double)iters(10000000));
	}
	row_speedup("P11", "map+unmap, 2 lcores (ns/op agg)", two, "one lcore (mean of lcore 0 and 1)",
		    one, SAMPLES, ">= 1.8x (ratio = speed-up)", 1.8);
}

void perf_map(void)
{
	setup();
	if (row_wanted("P6"))
		p6(g_opts.pa ? "pa" : "va");
	if (row_wanted("D1"))
		d1_off();
	if (row_wanted("P8"))
		p8();
	if (row_wanted("P10"))
		p10();
	if (row_wanted("P11") && g_opts.lcores > 1)
		p11_map();
	teardown();
}

void perf_map_sim(void)
{
	double u[SAMPLES], m[SAMPLES];
	void *elem;

	if (!row_wanted("P7"))
		return;
	setup();
	elem = rte_malloc(NULL, 1024, 64);
	map_works("P7", g_dev, g_coh + 64, 1024, UDMA_TO_DEVICE);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P7", s + 1, SAMPLES);
		u[s] = loop_map(g_coh + 64, 1024, iters(5000000));
		m[s] = loop_rte_malloc_v2i(elem, iters(20000000));
	}
	row_samples("P7", "map_single+unmap_single 1 KiB, sim IOMMU", u, "rte_malloc_virt2iova", m,
		    SAMPLES, "<= 80 ns", 80, 0);
	rte_free(elem);
	teardown();
}

/*
 * D1: what dma-debug costs when on, next to the same loop with it off (timed in
 * the pa/va session). The loop checks every mapping with udma_mapping_error(), as
 * a driver must: dma-debug reports a mapping that was never checked.
 */
void perf_debug(double off_ns)
{
	double u[SAMPLES];

	if (!row_wanted("D1") || off_ns <= 0)
		return;
	setup();
	for (int s = 0; s < SAMPLES; s++) {
		progress("D1", s + 1, SAMPLES);
		u[s] = loop_map_checked(g_coh + 64, 1024, iters(2000000));
	}
	row_samples("D1", "map+unmap 1 KiB, checked, with --dma-debug on", u, "the same with it off",
		    g_d1_off, SAMPLES, "info: cost when on", 0, 0);
	teardown();
}

/* ---- sweeps: size, burst, lcores ------------------------------------------- */

static double loop_bounce_tx_n(uint8_t *buf, size_t len, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, len, UDMA_TO_DEVICE);

		if (udma_mapping_error(g_dev, a))
			return -1;
		udma_unmap_single(g_dev, a, len, UDMA_TO_DEVICE);
	}
	return (now_ns() - t0) / (double)n;
}

static double loop_memcpy_n(uint8_t *dst, const uint8_t *src, size_t len, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		memcpy(dst, src, len);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	return (now_ns() - t0) / (double)n;
}

static double loop_coherent_n(size_t len, long n)
{
	udma_addr_t h;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *p = udma_alloc_coherent(g_dev, len, &h, UDMA_GFP_ATOMIC);

		if (p == NULL)
			return -1;
		udma_free_coherent(g_dev, len, p, h);
	}
	return (now_ns() - t0) / (double)n;
}

static double loop_rte_malloc_n(size_t len, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *p = rte_malloc(NULL, len, 4096);

		if (p == NULL)
			return -1;
		rte_free(p);
	}
	return (now_ns() - t0) / (double)n;
}

/* iterations for a per-call cost that grows with @len: about the same time per sample */
static long iters_len(long base, size_t len)
{
	long n = base / (long)(1 + len / 1024);

	return iters(n < 1000 ? 1000 : n);
}

static void sweep_size(void)
{
	const struct sweep *sw = &g_opts.sizes;
	size_t max = 0;
	uint8_t *foreign;
	void *elem = rte_malloc(NULL, 1024, 64);

	for (int i = 0; i < sw->n; i++)
		max = (size_t)sw->v[i] > max ? (size_t)sw->v[i] : max;
	foreign = aligned_alloc(4096, 2 * max + 4096);
	if (foreign == NULL || elem == NULL) {
		fprintf(stderr, "dma-perf: map sweep setup failed: out of memory\n");
		exit(1);
	}
	memset(foreign, 1, 2 * max + 4096);
	for (int i = 0; i < sw->n; i++) {
		size_t len = (size_t)sw->v[i];
		double u[SAMPLES], m[SAMPLES], t[SAMPLES], c[SAMPLES], a[SAMPLES], r[SAMPLES];
		bool bounce = true, coh = true;

		for (int s = 0; s < SAMPLES; s++) {
			progress("SIZE map", i * SAMPLES + s + 1, sw->n * SAMPLES);
			if (len <= COH_LEN - 64)
				u[s] = loop_map(g_coh + 64, len, iters(2000000));
			m[s] = loop_rte_malloc_v2i(elem, iters(2000000));
			t[s] = loop_bounce_tx_n(foreign, len, iters_len(500000, len));
			c[s] = loop_memcpy_n(foreign + max + 4096, foreign, len, iters_len(500000, len));
			a[s] = loop_coherent_n(len, iters_len(200000, len));
			r[s] = loop_rte_malloc_n(len, iters_len(20000, len));
			bounce &= t[s] > 0;
			coh &= a[s] > 0 && r[s] > 0;
		}
		if (len <= COH_LEN - 64)
			sweep_add("size", (long)len, "map_single+unmap_single (pa/va)", u,
				  "rte_malloc_virt2iova", m, SAMPLES);
		if (bounce)
			sweep_add("size", (long)len, "bounce tx: map+unmap (1 copy)", t, "memcpy", c,
				  SAMPLES);
		else
			fprintf(stderr, "\ndma-perf: SIZE %zu: bounce mapping failed, point left out\n",
				len);
		if (coh)
			sweep_add("size", (long)len, "alloc_coherent+free_coherent", a,
				  "rte_malloc+rte_free", r, SAMPLES);
	}
	free(foreign);
	rte_free(elem);
}

static double loop_sg_n(struct udma_sg *sg, int k, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		if (udma_map_sg(g_dev, sg, k, UDMA_TO_DEVICE) == 0) {
			fprintf(stderr, "dma-perf: map_sg sweep: udma_map_sg of %d entries failed\n", k);
			exit(1);
		}
		udma_unmap_sg(g_dev, sg, k, UDMA_TO_DEVICE);
	}
	return (now_ns() - t0) / (double)(n * k);
}

static void sweep_burst(void)
{
	const struct sweep *sw = &g_opts.burst;
	struct udma_sg sg[256];
	void *elem = rte_malloc(NULL, 4096, 64);

	for (int i = 0; i < sw->n; i++) {
		int k = (int)sw->v[i];
		double u[SAMPLES], m[SAMPLES];

		udma_sg_init_table(sg, (unsigned int)k);
		for (int e = 0; e < k; e++) /* scattered pages: nothing merges */
			udma_sg_set_buf(&sg[e], (e < 128 ? g_coh : g_coh2) + (size_t)(e % 128) * 8192,
					4096);
		for (int s = 0; s < SAMPLES; s++) {
			progress("BURST map_sg", i * SAMPLES + s + 1, sw->n * SAMPLES);
			u[s] = loop_sg_n(sg, k, iters(4000000 / k + 1));
			m[s] = loop_rte_malloc_v2i(elem, iters(2000000));
		}
		sweep_add("burst", k, "map_sg+unmap_sg x 4 KiB, per entry", u,
			  "rte_malloc_virt2iova per entry", m, SAMPLES);
	}
	rte_free(elem);
}

struct mw {
	uint8_t *buf;
	void *elem;
	bool rte;
	long n;
};

static int map_work(void *arg)
{
	struct mw *w = arg;

	if (w->rte) {
		loop_rte_malloc_v2i(w->elem, w->n);
		return 0;
	}
	udma_thread_register();
	loop_map(w->buf, 1024, w->n);
	udma_thread_unregister();
	return 0;
}

/* aggregate ns per operation of @k lcores, each on its own buffer */
static double run_map_lcores(bool rte, void **elems, int k, long n)
{
	struct mw w[RTE_MAX_LCORE];
	double t0 = now_ns();
	unsigned int lc;
	int i = 1;

	RTE_LCORE_FOREACH_WORKER(lc) {
		if (i >= k)
			break;
		w[i] = (struct mw){g_coh + (size_t)(i % 16) * 65536, elems[i], rte, n};
		rte_eal_remote_launch(map_work, &w[i], lc);
		i++;
	}
	if (rte)
		loop_rte_malloc_v2i(elems[0], n);
	else
		loop_map(g_coh, 1024, n);
	rte_eal_mp_wait_lcore();
	return (now_ns() - t0) / ((double)n * k);
}

static void sweep_lcores(void)
{
	const struct sweep *sw = &g_opts.lcore_list;
	void *elems[64];

	for (int i = 0; i < 64; i++)
		elems[i] = rte_malloc(NULL, 1024, 64);
	for (int i = 0; i < sw->n; i++) {
		int k = (int)sw->v[i];
		double u[SAMPLES], m[SAMPLES];

		for (int s = 0; s < SAMPLES; s++) {
			progress("LCORES map", i * SAMPLES + s + 1, sw->n * SAMPLES);
			u[s] = run_map_lcores(false, elems, k, iters(4000000));
			m[s] = run_map_lcores(true, elems, k, iters(4000000));
		}
		sweep_add("lcores", k, "map+unmap 1 KiB, own buffers (ns/op agg)", u,
			  "rte_malloc_virt2iova (ns/op agg)", m, SAMPLES);
	}
	for (int i = 0; i < 64; i++)
		rte_free(elems[i]);
}

void sweep_map(void)
{
	if (!sweep_wanted("SIZE") && !sweep_wanted("BURST") && !sweep_wanted("LCORES"))
		return;
	setup();
	if (sweep_wanted("SIZE"))
		sweep_size();
	if (sweep_wanted("BURST"))
		sweep_burst();
	if (sweep_wanted("LCORES"))
		sweep_lcores();
	teardown();
}
