/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * P12, the map+unmap part: an lcore sweep of map_single+unmap_single of 1 KiB in pa
 * (or va), in sim (the software IOMMU: IOVA magazines and a page table per device)
 * and with forced bounce (pa, --swiotlb=force). Every lcore maps its own buffer
 * through one shared device, as PMD queues do; the figure is the aggregate ns per
 * operation and the ratio the speed-up over one lcore in the same session
 * (target >= 0.9 x N at every N).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "perf.h"

#define BUF_LEN (1UL << 20)
#define SLOT 65536 /* each lcore's buffer in pages of its own */

static struct udma_device *g_dev;
static uint8_t *g_buf;
static volatile int g_go, g_ready; /* the workers start together, registered and warm */

struct lw {
	uint8_t *buf;
	long n;
	double ns;
};

/* this thread's CPU time: on a shared machine wall time would measure the scheduler */
static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double loop(uint8_t *buf, long n)
{
	udma_addr_t sum = 0;
	double t0 = cpu_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t a = udma_map_single(g_dev, buf, 1024, UDMA_TO_DEVICE);

		udma_unmap_single(g_dev, a, 1024, UDMA_TO_DEVICE);
		sum += a;
	}
	g_sink += sum;
	return cpu_ns() - t0;
}

static int worker(void *arg)
{
	struct lw *w = arg;

	udma_thread_register();
	loop(w->buf, 1000); /* warm: the lcore's magazines filled */
	__atomic_fetch_add(&g_ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&g_go, __ATOMIC_ACQUIRE))
		rte_pause();
	w->ns = loop(w->buf, w->n);
	udma_thread_unregister();
	return 0;
}

/*
 * Aggregate ns per operation of @k lcores (the init thread and k - 1 workers) all
 * mapping at once: each lcore's CPU time per operation, divided by k (what k lcores
 * that each had their CPU would reach). Time a thread spends asleep (a preempted
 * lock holder, a futex wait) is not in it: doc/perf.md "P12" says when to read the
 * wall-clock too.
 */
static double run(int k, long n)
{
	struct lw w[RTE_MAX_LCORE];
	unsigned int lc;
	double sum;
	int i = 1;

	g_go = 0;
	g_ready = 0;
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (i >= k)
			break;
		w[i] = (struct lw){g_buf + (size_t)(i % (BUF_LEN / SLOT)) * SLOT, n, 0};
		rte_eal_remote_launch(worker, &w[i], lc);
		i++;
	}
	loop(g_buf, 1000);
	while (__atomic_load_n(&g_ready, __ATOMIC_ACQUIRE) != i - 1)
		rte_pause();
	__atomic_store_n(&g_go, 1, __ATOMIC_RELEASE);
	sum = loop(g_buf, n);
	rte_eal_mp_wait_lcore();
	for (int j = 1; j < i; j++)
		sum += w[j].ns;
	return sum / ((double)n * k) / k;
}

static void sweep(const char *mode, const char *more, const char *label)
{
	const struct sweep *sw = &g_opts.lcore_list;
	long ncpu = (long)rte_lcore_count(), pts[MAX_SWEEP];
	int npts = 0;
	long n;
	udma_addr_t h;

	if (udma_up_with(mode, more) != 0)
		return;
	g_dev = udma_device_create("p12map", NULL, -1);
	udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64));
	g_buf = udma_alloc_coherent(g_dev, BUF_LEN, &h, UDMA_GFP_KERNEL);
	if (g_buf == NULL) {
		fprintf(stderr, "dma-perf: P12 %s: setup failed\n", label);
		exit(1);
	}
	map_works("P12", g_dev, g_buf, 1024, UDMA_TO_DEVICE);
	for (int i = 0; i < sw->n; i++)
		if (sw->v[i] <= ncpu)
			pts[npts++] = sw->v[i];
	if (npts == 0) /* default: every online CPU */
		for (long k = 1; k <= ncpu && npts < MAX_SWEEP; k++)
			pts[npts++] = k;
	/* about 100 ms per lcore at full length, whatever a map costs in this mode */
	n = (long)(1e8 / run(1, 100000));
	for (int i = 0; i < npts; i++) {
		double one[SAMPLES], all[SAMPLES];
		char work[96], target[48];
		int k = (int)pts[i];

		for (int s = 0; s < SAMPLES; s++) { /* interleaved: the same machine weather */
			progress("P12 map", i * SAMPLES + s + 1, npts * SAMPLES);
			one[s] = run(1, iters(n));
			all[s] = k > 1 ? run(k, iters(n)) : one[s];
		}
		snprintf(work, sizeof(work), "map+unmap 1 KiB, %s, %d lcore%s (CPU ns/op agg)", label,
			 k, k > 1 ? "s" : "");
		snprintf(target, sizeof(target), "speed-up >= %.1f (0.9 x N)", 0.9 * k);
		row_speedup("P12", work, all, "1 lcore, same session", one, SAMPLES, target, 0.9 * k);
	}
	udma_free_coherent(g_dev, BUF_LEN, g_buf, h);
	udma_device_destroy(g_dev);
	udma_down();
}

void perf_map_lcores(void)
{
	if (!row_wanted("P12"))
		return;
	sweep(g_opts.pa ? "pa" : "va", NULL, g_opts.pa ? "pa" : "va");
	sweep("sim", NULL, "sim");
	sweep(g_opts.pa ? "pa" : "va", "--swiotlb=force", "forced bounce");
}
