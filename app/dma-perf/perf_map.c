/* SPDX-License-Identifier: BSD-3-Clause */
/* P6, P7, P8, P10 and the mapping half of P11: streaming maps against DPDK translation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "perf.h"

static struct udma_device *g_dev;
static uint8_t *g_coh;
static udma_addr_t g_coh_h;

static void add(const char *id, const char *work, double u, const char *base, double b,
		const char *target, bool pass, double ratio)
{
	struct perf_row r = {.udma = u, .base = b, .ratio = ratio, .pass = pass};

	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.workload, sizeof(r.workload), "%s", work);
	snprintf(r.baseline, sizeof(r.baseline), "%s", base);
	snprintf(r.target, sizeof(r.target), "%s", target);
	row_add(&r);
}

static double loop_map(uint8_t *buf, size_t len, long n)
{
	udma_addr_t sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, len, UDMA_TO_DEVICE);

		udma_unmap_single(g_dev, a, len, UDMA_TO_DEVICE);
		sum += a;
	}
	g_sink += sum; /* once: a shared line written per op would be measured too */
	return (now_ns() - t0) / (double)n;
}

static double loop_rte_v2i(const uint8_t *buf, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += rte_mem_virt2iova(buf + (i & 63) * 64);
	g_sink += s;
	return (now_ns() - t0) / (double)n;
}

static double loop_rte_malloc_v2i(void *elem, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += rte_malloc_virt2iova(elem);
	g_sink += s;
	return (now_ns() - t0) / (double)n;
}

static double loop_sg(struct udma_sg *sg, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		int c = udma_map_sg(g_dev, sg, 32, UDMA_TO_DEVICE);

		if (c == 0)
			exit(1);
		udma_unmap_sg(g_dev, sg, 32, UDMA_TO_DEVICE);
	}
	return (now_ns() - t0) / (double)(n * 32);
}

/* a receive through a bounce buffer: map, the device writes, sync for the CPU, unmap */
static double loop_bounce(uint8_t *buf, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, 4096, UDMA_FROM_DEVICE);

		udma_sync_single_for_cpu(g_dev, a, 4096, UDMA_FROM_DEVICE);
		udma_unmap_single(g_dev, a, 4096, UDMA_FROM_DEVICE);
	}
	return (now_ns() - t0) / (double)n;
}

static double loop_bounce_tx(uint8_t *buf, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, 4096, UDMA_TO_DEVICE);

		udma_unmap_single(g_dev, a, 4096, UDMA_TO_DEVICE);
	}
	return (now_ns() - t0) / (double)n;
}

static double loop_memcpy(uint8_t *dst, const uint8_t *src, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		memcpy(dst, src, 4096);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	return (now_ns() - t0) / (double)n;
}

static void setup(void)
{
	g_dev = udma_device_create("map", NULL, -1);
	udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64));
	g_coh = udma_alloc_coherent(g_dev, 1 << 20, &g_coh_h, UDMA_GFP_KERNEL);
	if (g_coh == NULL) {
		fprintf(stderr, "dma-perf: map setup failed\n");
		exit(1);
	}
}

static void teardown(void)
{
	udma_free_coherent(g_dev, 1 << 20, g_coh, g_coh_h);
	udma_device_destroy(g_dev);
}

double g_p6_ns; /* P6's figure, for D1 */

static void p6(const char *mode)
{
	double u[SAMPLES], r[SAMPLES], m[SAMPLES], mu;
	uint8_t *rbuf = rte_malloc(NULL, 4096, 4096);
	void *elem = rte_malloc(NULL, 1024, 64);
	char work[96];

	memset(rbuf, 0, 4096);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P6", s + 1, SAMPLES);
		u[s] = loop_map(g_coh + 64, 1024, iters(20000000));
		r[s] = loop_rte_v2i(rbuf, iters(20000));
		m[s] = loop_rte_malloc_v2i(elem, iters(20000000));
	}
	mu = median(u, SAMPLES);
	g_p6_ns = mu;
	snprintf(work, sizeof(work), "map_single+unmap_single 1 KiB memseg (%s)", mode);
	add("P6", work, mu, "rte_mem_virt2iova", median(r, SAMPLES), "<= 10 ns", mu <= 10,
	    mu / median(r, SAMPLES));
	add("P6", work, mu, "rte_malloc_virt2iova", median(m, SAMPLES), "<= 10 ns", mu <= 10,
	    mu / median(m, SAMPLES));
	rte_free(rbuf);
	rte_free(elem);
}

static void p8(void)
{
	struct udma_sg sg[32];
	double u[SAMPLES], m[SAMPLES], mu;
	void *elem = rte_malloc(NULL, 4096, 64);

	udma_sg_init_table(sg, 32);
	for (int i = 0; i < 32; i++) /* scattered pages: nothing merges */
		udma_sg_set_buf(&sg[i], g_coh + (size_t)i * 8192, 4096);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P8", s + 1, SAMPLES);
		u[s] = loop_sg(sg, iters(1000000));
		m[s] = loop_rte_malloc_v2i(elem, iters(20000000));
	}
	mu = median(u, SAMPLES);
	add("P8", "map_sg+unmap_sg 32 x 4 KiB, per entry (pa/va)", mu,
	    "rte_malloc_virt2iova per entry", median(m, SAMPLES), "<= 3 ns per entry", mu <= 3,
	    mu / median(m, SAMPLES));
	rte_free(elem);
}

static void p10(void)
{
	uint8_t *foreign = aligned_alloc(4096, 8192);
	double u[SAMPLES], t[SAMPLES], c[SAMPLES], mu, mt, mc;

	memset(foreign, 1, 8192);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P10", s + 1, SAMPLES);
		u[s] = loop_bounce(foreign, iters(1000000));
		t[s] = loop_bounce_tx(foreign, iters(1000000));
		c[s] = loop_memcpy(foreign + 4096, foreign, iters(1000000));
	}
	mu = median(u, SAMPLES);
	mt = median(t, SAMPLES);
	mc = median(c, SAMPLES);
	add("P10", "bounce 4 KiB rx: map+sync_for_cpu+unmap (2 copies)", mu, "memcpy 4 KiB", mc,
	    "<= 1.5x", mu / mc <= 1.5, mu / mc);
	add("P10", "bounce 4 KiB tx: map+unmap (1 copy)", mt, "memcpy 4 KiB", mc, "<= 1.5x",
	    mt / mc <= 1.5, mt / mc);
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
	double one[SAMPLES], two[SAMPLES], r;
	struct perf_row row = {.id = "P11"};

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
	row.udma = median(two, SAMPLES);
	row.base = median(one, SAMPLES);
	r = row.base / row.udma;
	row.ratio = r;
	snprintf(row.workload, sizeof(row.workload), "map+unmap, 2 lcores (ns/op agg)");
	snprintf(row.baseline, sizeof(row.baseline), "one lcore (mean of lcore 0 and 1)");
	snprintf(row.target, sizeof(row.target), ">= 1.8x (ratio = speed-up)");
	row.pass = r >= 1.8;
	row_add(&row);
}

void perf_map(void)
{
	setup();
	if (row_wanted("P6"))
		p6(g_opts.pa ? "pa" : "va");
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
	double u[SAMPLES], m[SAMPLES], mu;
	void *elem;

	if (!row_wanted("P7"))
		return;
	setup();
	elem = rte_malloc(NULL, 1024, 64);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P7", s + 1, SAMPLES);
		u[s] = loop_map(g_coh + 64, 1024, iters(5000000));
		m[s] = loop_rte_malloc_v2i(elem, iters(20000000));
	}
	mu = median(u, SAMPLES);
	add("P7", "map_single+unmap_single 1 KiB, sim IOMMU", mu, "rte_malloc_virt2iova",
	    median(m, SAMPLES), "<= 80 ns", mu <= 80, mu / median(m, SAMPLES));
	rte_free(elem);
	teardown();
}

/* D1: what dma-debug costs when on, next to the same path with it off (P6's loop) */
void perf_debug(double off_ns)
{
	double u[SAMPLES], mu;

	if (!row_wanted("D1") || off_ns <= 0)
		return;
	setup();
	for (int s = 0; s < SAMPLES; s++) {
		progress("D1", s + 1, SAMPLES);
		u[s] = loop_map(g_coh + 64, 1024, iters(2000000));
	}
	mu = median(u, SAMPLES);
	add("D1", "map+unmap 1 KiB with --dma-debug on", mu, "the same with it off (P6)", off_ns,
	    "info: cost when on", true, mu / off_ns);
	teardown();
}
