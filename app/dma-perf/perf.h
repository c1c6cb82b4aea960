/* SPDX-License-Identifier: BSD-3-Clause */
/* dma-perf: rows of doc/perf.md, each udma figure against a baseline measured in the same run. */
#ifndef DMA_PERF_H
#define DMA_PERF_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <udma.h>

#define MAX_SWEEP 16

/* a sweep's points (--sizes, --burst, --lcores) */
struct sweep {
	int n;
	long v[MAX_SWEEP];
};

struct perf_opts {
	double scale;        /* iterations multiplier (--quick: 0.1) */
	const char *rows;    /* NULL: all fixed rows (P1-P11, D1) */
	const char *json;
	const char *csv;
	bool pa;             /* udma runs in pa mode (else va) */
	bool profile;        /* --profile (devtools/profile): DPDK legacy memory, loop lines */
	int lcores;          /* DPDK lcores available */
	struct sweep sizes, burst, lcore_list;
};
extern struct perf_opts g_opts;

/* min, median and max over a row's samples */
struct spread {
	double min, med, max;
	int n;
};

/* one report row; for P4 the figures are bytes. Sweep rows (id SIZE, BURST,
 * LCORES) also carry the axis and the point: workload is the series. */
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
	struct spread us, bs; /* udma's and the baseline's samples (n = 0: one figure) */
	const char *axis;     /* sweeps: "size", "burst", "lcores"; else NULL */
	long x;
};

void row_add(const struct perf_row *r);
/* a row from the samples @u (udma) and @b (the baseline), both sorted here (so one
 * array may serve several rows): passes when udma's median is <= @max_ns (if > 0) and
 * the ratio udma / baseline <= @max_ratio (if > 0) */
void row_samples(const char *id, const char *work, double *u, const char *base, double *b,
		 int n, const char *target, double max_ns, double max_ratio);
/* a scaling row: @all is the aggregate ns per operation of several lcores, @one that of
 * one lcore (the baseline); the ratio is the speed-up one / all, which passes at >= @min */
void row_speedup(const char *id, const char *work, double *all, const char *base, double *one,
		 int n, const char *target, double min);
/* @v's min/median/max (sorts @v); returns the median */
double spread_of(double *v, int n, struct spread *s);
/* a sweep row: @u and @b are the samples of udma and the baseline (sorted here) */
void sweep_add(const char *axis, long x, const char *series, double *u, const char *base,
	       double *b, int n);
/* is the sweep wanted (its list given, or its id in --rows) */
bool sweep_wanted(const char *id);
/* what the report says about the run */
struct run_meta {
	char cpu[128];
	char kernel[160];
	char commit[64];
	char udma_mode[8];
	char dpdk_mode[32];
	char date[32];
	long page_size; /* bytes: 2 MiB hugepages or 4 KiB with --no-huge */
	int cpus;
};
extern struct run_meta g_meta;

void meta_fill(const char *udma_mode, const char *dpdk_mode, long page_size);
/* 0, or -1 after one line per unknown id */
int rows_validate(const char *list);
void report_print(void);
int report_json(const char *path);
int report_csv(const char *path);
bool row_wanted(const char *id);
/* is @id in the comma-separated @list (an exact item) */
bool in_rows(const char *list, const char *id);
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

/* the timed loops devtools/profile reads (callgrind --toggle-collect=NAME): never
 * inlined into their callers, so each row's loop is a function of its own */
#define PERF_LOOP __attribute__((noinline))
/* a loop body shared by several PERF_LOOP functions, each with its own constants */
#define PERF_BODY inline __attribute__((always_inline))

/* --profile: one line "profile NAME OPS" (the loop and its operations) on stdout */
void profile_ops(const char *fn, long ops);

/* the loop @fn did @ops operations: with --profile, the line devtools/profile divides by */
static inline void loop_count(const char *fn, long ops)
{
	if (__builtin_expect(g_opts.profile, 0))
		profile_ops(fn, ops);
}

/* the end of the timed loop @fn of @ops operations started at @t0: ns per operation
 * (the --profile line comes after the clock is read) */
static inline double loop_end(const char *fn, double t0, long ops)
{
	double ns = (now_ns() - t0) / (double)ops;

	loop_count(fn, ops);
	return ns;
}

/* median of @n samples (sorts in place) */
double median(double *v, int n);

/* keep a value alive so loops are not optimised away */
extern volatile uint64_t g_sink;

/* the row groups; each adds its rows */
void perf_virt2iova(void);   /* P5 */
void perf_coherent(void);    /* P9 */
void perf_pool(void);        /* P1, P2, P2b, P3, P3b, P4, P11 pool (a P13 child: only P13) */
void perf_p13(void);         /* P13: five child processes, before any init */
bool perf_p13_child(void);   /* is this process a P13 child */
void perf_map(void);         /* P6, P8, P10, P11 map (pa/va) */
void perf_map_sim(void);     /* P7 (after re-init in sim mode) */
void perf_map_lcores(void);  /* P12 map+unmap part: lcore sweep in pa/va, sim, forced bounce */
void perf_debug(double off_ns); /* D1 (after re-init with --dma-debug) */
extern double g_d1_off_ns;   /* D1's loop with dma-debug off, timed in the pa/va session */
void sweep_pool(void);       /* SIZE (pool), BURST (pool bulk), LCORES (pool) */
void sweep_map(void);        /* SIZE (map, bounce, coherent), BURST (map_sg), LCORES (map) */
void perf_nvme(void);        /* P14 (perf_nvme.c) */

/* udma init with extra options appended (e.g. \"--dma-debug\") */
int udma_up_with(const char *mode, const char *more);

/* udma init/cleanup in a mode ("pa", "va", "sim") for a section */
int udma_up(const char *mode);
void udma_down(void);
/* one map of @buf must work before a row times a loop of them (a failing map is quick
 * enough to pass any target): else one line and exit 1 */
void map_works(const char *row, struct udma_device *dev, void *buf, size_t len,
	       enum udma_data_direction dir);

#define SAMPLES 7

#endif
