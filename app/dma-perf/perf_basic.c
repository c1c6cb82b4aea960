/* SPDX-License-Identifier: BSD-3-Clause */
/* P5 (virt2iova) and P9 (coherent 4 KiB alloc+free). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_memory.h>

#include "perf.h"

#define BUF (4UL << 20)
#define NOFF 1024

static struct udma_device *dev64(const char *name)
{
	struct udma_device *d = udma_device_create(name, NULL, -1);

	if (d == NULL || udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64)) != 0) {
		fprintf(stderr, "dma-perf: cannot create device %s\n", name);
		exit(1);
	}
	return d;
}

static void offsets(size_t *off)
{
	unsigned int seed = 42;

	for (int i = 0; i < NOFF; i++)
		off[i] = ((size_t)rand_r(&seed) * 64) % BUF;
}

static double time_udma_v2i(const uint8_t *buf, const size_t *off, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += udma_virt2iova(buf + off[i & (NOFF - 1)]);
	g_sink += s;
	return (now_ns() - t0) / (double)n;
}

static double time_rte_v2i(const uint8_t *buf, const size_t *off, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += rte_mem_virt2iova(buf + off[i & (NOFF - 1)]);
	g_sink += s;
	return (now_ns() - t0) / (double)n;
}

static double time_rte_malloc_v2i(void *const *elems, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += rte_malloc_virt2iova(elems[i & 63]);
	g_sink += s;
	return (now_ns() - t0) / (double)n;
}

void perf_virt2iova(void)
{
	struct udma_device *d;
	double u[SAMPLES], r[SAMPLES], m[SAMPLES], mu, mr, mm;
	size_t off[NOFF];
	udma_addr_t h;
	uint8_t *ubuf, *rbuf;
	void *elems[64];
	struct perf_row row = {.id = "P5"};

	if (!row_wanted("P5"))
		return;
	d = dev64("p5");
	ubuf = udma_alloc_coherent(d, BUF, &h, UDMA_GFP_KERNEL);
	rbuf = rte_malloc(NULL, BUF, 4096);
	for (int i = 0; i < 64; i++)
		elems[i] = rte_malloc(NULL, 256, 64);
	if (!ubuf || !rbuf || udma_virt2iova(ubuf) != h || rte_mem_virt2iova(rbuf) == RTE_BAD_IOVA) {
		fprintf(stderr, "dma-perf: P5 setup failed\n");
		exit(1);
	}
	memset(rbuf, 0, BUF);
	offsets(off);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P5", s + 1, SAMPLES);
		u[s] = time_udma_v2i(ubuf, off, iters(20000000));
		r[s] = time_rte_v2i(rbuf, off, iters(20000));
		m[s] = time_rte_malloc_v2i(elems, iters(20000000));
	}
	mu = spread_of(u, SAMPLES, &row.us);
	mr = spread_of(r, SAMPLES, &row.bs);
	snprintf(row.workload, sizeof(row.workload), "udma_virt2iova, memseg memory (%s)",
		 g_opts.pa ? "pa" : "va");
	row.udma = mu;
	snprintf(row.baseline, sizeof(row.baseline), "rte_mem_virt2iova (%s)", g_opts.pa ? "PA" : "VA");
	row.base = mr;
	row.ratio = mu / mr;
	snprintf(row.target, sizeof(row.target), "<= 3 ns, >= 1000x");
	row.pass = mu <= 3.0 && mr / mu >= 1000.0;
	row_add(&row);
	snprintf(row.baseline, sizeof(row.baseline), "rte_malloc_virt2iova");
	mm = spread_of(m, SAMPLES, &row.bs);
	row.base = mm;
	row.ratio = mu / mm;
	snprintf(row.target, sizeof(row.target), "<= 3 ns");
	row.pass = mu <= 3.0;
	row_add(&row);
	for (int i = 0; i < 64; i++)
		rte_free(elems[i]);
	rte_free(rbuf);
	udma_free_coherent(d, BUF, ubuf, h);
	udma_device_destroy(d);
}

static double time_coherent(struct udma_device *d, long n)
{
	udma_addr_t h;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_ATOMIC);

		if (p == NULL)
			exit(1);
		udma_free_coherent(d, 4096, p, h);
	}
	return (now_ns() - t0) / (double)n;
}

static double time_rte_malloc(long n, bool zero)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *p = zero ? rte_zmalloc(NULL, 4096, 4096) : rte_malloc(NULL, 4096, 4096);

		if (p == NULL)
			exit(1);
		rte_free(p);
	}
	return (now_ns() - t0) / (double)n;
}

void perf_coherent(void)
{
	struct udma_device *d;
	double u[SAMPLES], r[SAMPLES], z[SAMPLES], mu, mr, mz;
	struct perf_row row = {.id = "P9"};

	if (!row_wanted("P9"))
		return;
	d = dev64("p9");
	for (int s = 0; s < SAMPLES; s++) {
		progress("P9", s + 1, SAMPLES);
		u[s] = time_coherent(d, iters(1000000));
		r[s] = time_rte_malloc(iters(1000000), false);
		z[s] = time_rte_malloc(iters(1000000), true);
	}
	mu = spread_of(u, SAMPLES, &row.us);
	mr = spread_of(r, SAMPLES, &row.bs);
	snprintf(row.workload, sizeof(row.workload), "alloc_coherent+free_coherent 4 KiB (zeroed)");
	row.udma = mu;
	snprintf(row.baseline, sizeof(row.baseline), "rte_malloc+rte_free 4 KiB");
	row.base = mr;
	row.ratio = mu / mr;
	snprintf(row.target, sizeof(row.target), "<= 0.5x");
	row.pass = row.ratio <= 0.5;
	row_add(&row);
	snprintf(row.baseline, sizeof(row.baseline), "rte_zmalloc+rte_free 4 KiB");
	mz = spread_of(z, SAMPLES, &row.bs);
	row.base = mz;
	row.ratio = mu / mz;
	snprintf(row.target, sizeof(row.target), "info (both zero)");
	row.pass = true;
	row_add(&row);
	udma_device_destroy(d);
}
