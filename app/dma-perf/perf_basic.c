/* SPDX-License-Identifier: BSD-3-Clause */
/* P5 (virt2iova) and P9 (coherent 4 KiB alloc+free). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_memory.h>

#include "perf.h"

/*
 * P5 looks up addresses spread over BUF (more than the caches hold). The span is
 * NCHUNK coherent buffers of CHUNK: virt2iova needs no contiguity, and one 4 MiB
 * coherent buffer would need 4 MiB of physically contiguous hugepages in pa mode,
 * which a machine whose hugepages other processes hold in pieces may not have.
 */
#define BUF (4UL << 20)
#define CHUNK (64UL << 10)
#define NCHUNK (BUF / CHUNK)
#define NOFF 1024

static struct udma_device *dev64(const char *name)
{
	struct udma_device *d = udma_device_create(name, NULL, -1);

	if (d == NULL || udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64)) != 0) {
		fprintf(stderr, "dma-perf: cannot create device %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return d;
}

/* NOFF addresses at random 64-byte steps over the NCHUNK pieces of @chunk */
static void addresses(uint8_t *const *chunk, const uint8_t **addr)
{
	unsigned int seed = 42;

	for (int i = 0; i < NOFF; i++) {
		size_t off = ((size_t)rand_r(&seed) * 64) % BUF;

		addr[i] = chunk[off / CHUNK] + off % CHUNK;
	}
}

static PERF_LOOP double time_udma_v2i(const uint8_t *const *addr, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += udma_virt2iova(addr[i & (NOFF - 1)]);
	g_sink += s;
	return loop_end(__func__, t0, n);
}

static PERF_LOOP double time_rte_v2i(const uint8_t *const *addr, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += rte_mem_virt2iova(addr[i & (NOFF - 1)]);
	g_sink += s;
	return loop_end(__func__, t0, n);
}

static PERF_LOOP double time_rte_malloc_v2i(void *const *elems, long n)
{
	uint64_t s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		s += rte_malloc_virt2iova(elems[i & 63]);
	g_sink += s;
	return loop_end(__func__, t0, n);
}

static void p5_setup_failed(const char *what, int err)
{
	fprintf(stderr, "dma-perf: P5 setup failed: %s: %s (%s mode)\n", what, strerror(err),
		g_opts.pa ? "pa" : "va");
	exit(1);
}

void perf_virt2iova(void)
{
	struct udma_device *d;
	double u[SAMPLES], r[SAMPLES], m[SAMPLES];
	const uint8_t *uaddr[NOFF], *raddr[NOFF];
	udma_addr_t h[NCHUNK];
	uint8_t *uchunk[NCHUNK], *rchunk[NCHUNK];
	void *elems[64];
	char what[96], work[96], base[64];

	if (!row_wanted("P5"))
		return;
	d = dev64("p5");
	for (size_t k = 0; k < NCHUNK; k++) {
		uchunk[k] = udma_alloc_coherent(d, CHUNK, &h[k], UDMA_GFP_KERNEL);
		if (uchunk[k] == NULL) {
			snprintf(what, sizeof(what), "udma_alloc_coherent(%zu KiB), piece %zu of %zu",
				 CHUNK >> 10, k + 1, (size_t)NCHUNK);
			p5_setup_failed(what, errno);
		}
		if (udma_virt2iova(uchunk[k]) != h[k])
			p5_setup_failed("udma_virt2iova of a coherent buffer is not its handle", EFAULT);
	}
	for (size_t k = 0; k < NCHUNK; k++) {
		rchunk[k] = rte_malloc(NULL, CHUNK, 4096);
		if (rchunk[k] == NULL || rte_mem_virt2iova(rchunk[k]) == RTE_BAD_IOVA) {
			snprintf(what, sizeof(what), "rte_malloc(%zu KiB) or its IOVA, piece %zu",
				 CHUNK >> 10, k + 1);
			p5_setup_failed(what, ENOMEM);
		}
		memset(rchunk[k], 0, CHUNK);
	}
	for (int i = 0; i < 64; i++) {
		elems[i] = rte_malloc(NULL, 256, 64);
		if (elems[i] == NULL)
			p5_setup_failed("rte_malloc(256)", ENOMEM);
	}
	addresses(uchunk, uaddr);
	addresses(rchunk, raddr);
	for (int s = 0; s < SAMPLES; s++) {
		progress("P5", s + 1, SAMPLES);
		u[s] = time_udma_v2i(uaddr, iters(20000000));
		r[s] = time_rte_v2i(raddr, iters(20000));
		m[s] = time_rte_malloc_v2i(elems, iters(20000000));
	}
	snprintf(work, sizeof(work), "udma_virt2iova, memseg memory (%s)", g_opts.pa ? "pa" : "va");
	snprintf(base, sizeof(base), "rte_mem_virt2iova (%s)", g_opts.pa ? "PA" : "VA");
	/* >= 1000x faster: the ratio udma / rte_mem_virt2iova <= 0.001 */
	row_samples("P5", work, u, base, r, SAMPLES, "<= 3 ns, >= 1000x", 3.0, 0.001);
	row_samples("P5", work, u, "rte_malloc_virt2iova", m, SAMPLES, "<= 3 ns", 3.0, 0);
	for (int i = 0; i < 64; i++)
		rte_free(elems[i]);
	for (size_t k = 0; k < NCHUNK; k++) {
		rte_free(rchunk[k]);
		udma_free_coherent(d, CHUNK, uchunk[k], h[k]);
	}
	udma_device_destroy(d);
}

static PERF_LOOP double time_coherent(struct udma_device *d, long n)
{
	udma_addr_t h;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_ATOMIC);

		if (p == NULL) {
			fprintf(stderr, "dma-perf: P9 udma_alloc_coherent(4 KiB) failed: %s\n",
				strerror(errno));
			exit(1);
		}
		udma_free_coherent(d, 4096, p, h);
	}
	return loop_end(__func__, t0, n);
}

/* @zero is a constant: one function each (time_rte_malloc, time_rte_zmalloc) */
static PERF_BODY double rte_malloc_loop(const char *fn, long n, bool zero)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *p = zero ? rte_zmalloc(NULL, 4096, 4096) : rte_malloc(NULL, 4096, 4096);

		if (p == NULL) {
			fprintf(stderr, "dma-perf: P9 rte_%smalloc(4 KiB) failed\n", zero ? "z" : "");
			exit(1);
		}
		rte_free(p);
	}
	return loop_end(fn, t0, n);
}

static PERF_LOOP double time_rte_malloc(long n)
{
	return rte_malloc_loop(__func__, n, false);
}

static PERF_LOOP double time_rte_zmalloc(long n)
{
	return rte_malloc_loop(__func__, n, true);
}

void perf_coherent(void)
{
	struct udma_device *d;
	double u[SAMPLES], r[SAMPLES], z[SAMPLES];

	if (!row_wanted("P9"))
		return;
	d = dev64("p9");
	for (int s = 0; s < SAMPLES; s++) {
		progress("P9", s + 1, SAMPLES);
		u[s] = time_coherent(d, iters(1000000));
		r[s] = time_rte_malloc(iters(1000000));
		z[s] = time_rte_zmalloc(iters(1000000));
	}
	row_samples("P9", "alloc_coherent+free_coherent 4 KiB (zeroed)", u,
		    "rte_malloc+rte_free 4 KiB", r, SAMPLES, "<= 0.5x", 0, 0.5);
	row_samples("P9", "alloc_coherent+free_coherent 4 KiB (zeroed)", u,
		    "rte_zmalloc+rte_free 4 KiB", z, SAMPLES, "info (both zero)", 0, 0);
	udma_device_destroy(d);
}
