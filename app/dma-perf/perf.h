/* SPDX-License-Identifier: BSD-3-Clause */
/* dma-perf: rows of PERF.md, each udma figure against a baseline measured in the same run. */
#ifndef DMA_PERF_H
#define DMA_PERF_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <udma.h>

struct perf_opts {
	double scale;        /* iterations multiplier (--quick: 0.1) */
	const char *rows;    /* NULL: all */
	const char *json;
	bool pa;             /* udma runs in pa mode (else va) */
	int lcores;          /* DPDK lcores available (1 or 2) */
};
extern struct perf_opts g_opts;

/* one report row; for P4 the figures are bytes */
struct perf_row {
	char id[8];
	char workload[96];
	double udma;
	char baseline[64];
	double base;
	double ratio;
	char target[48];
	bool pass;
	bool bytes;
};

void row_add(const struct perf_row *r);
void report_print(void);
int report_json(const char *path);
bool row_wanted(const char *id);
void progress(const char *id, int step, int steps);

static inline double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static inline long iters(long n)
{
	long v = (long)((double)n * g_opts.scale);

	return v < 1 ? 1 : v;
}

/* median of @n samples (sorts in place) */
double median(double *v, int n);

/* keep a value alive so loops are not optimised away */
extern volatile uint64_t g_sink;

/* the row groups; each adds its rows */
void perf_virt2iova(void);   /* P5 */
void perf_coherent(void);    /* P9 */
void perf_pool(void);        /* P1, P2, P3, P4, P11 pool */
void perf_map(void);         /* P6, P8, P10, P11 map (pa/va) */
void perf_map_sim(void);     /* P7 (after re-init in sim mode) */
void perf_debug(double off_ns); /* D1 (after re-init with --dma-debug) */
void perf_nvme(void);        /* P14 (perf_nvme.c) */
extern double g_p6_ns;

/* udma init with extra options appended (e.g. \"--dma-debug\") */
int udma_up_with(const char *mode, const char *more);

/* udma init/cleanup in a mode ("pa", "va", "sim") for a section */
int udma_up(const char *mode);
void udma_down(void);

#define SAMPLES 7

#endif
