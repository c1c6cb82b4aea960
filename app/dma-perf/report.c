/* SPDX-License-Identifier: BSD-3-Clause */
/* The report: an aligned table on stdout, the same rows as JSON and CSV, with the run's metadata. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "perf.h"
#include "version.h"

#define MAX_ROWS 256

static struct perf_row g_rows[MAX_ROWS];
static int g_nrows;
volatile uint64_t g_sink;
struct run_meta g_meta;

static double g_t0;

void row_add(const struct perf_row *r)
{
	if (g_nrows < MAX_ROWS)
		g_rows[g_nrows++] = *r;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%-60s\r", "");
}

/* is @id in the comma-separated @list */
bool in_rows(const char *list, const char *id)
{
	const char *p = list;
	size_t n = strlen(id);

	while ((p = strstr(p, id)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

bool row_wanted(const char *id)
{
	if (g_opts.rows == NULL)
		return !g_opts.sizes.n && !g_opts.burst.n && !g_opts.lcore_list.n;
	return in_rows(g_opts.rows, "all") || in_rows(g_opts.rows, id);
}

bool sweep_wanted(const char *id)
{
	const struct sweep *s = strcmp(id, "SIZE") == 0 ? &g_opts.sizes :
				strcmp(id, "BURST") == 0 ? &g_opts.burst : &g_opts.lcore_list;

	return s->n > 0;
}

static const char *const k_rows[] = {"P1", "P2", "P2b", "P3", "P3b", "P4", "P5", "P6", "P7",
				     "P8", "P9", "P10", "P11", "P12", "P13", "P14", "D1", "SIZE", "BURST",
				     "LCORES", "all"};

int rows_validate(const char *list)
{
	char buf[256], *save = NULL;
	int bad = 0, n = 0;

	if (list == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool known = false;

		n++;
		for (size_t i = 0; i < sizeof(k_rows) / sizeof(k_rows[0]); i++)
			known |= strcmp(t, k_rows[i]) == 0;
		if (!known) {
			fprintf(stderr, "dma-perf: --rows: unknown row '%s' (rows: P1..P14, P2b, P3b, D1, "
				"SIZE, BURST, LCORES, all)\n", t);
			bad = 1;
		}
	}
	if (n == 0) {
		fprintf(stderr, "dma-perf: --rows: empty list\n");
		return -1;
	}
	return bad ? -1 : 0;
}

void progress(const char *id, int step, int steps)
{
	if (g_t0 == 0)
		g_t0 = now_ns();
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\rdma-perf: [%s %d/%d] %.0f s", id, step, steps, (now_ns() - g_t0) / 1e9);
}

void profile_ops(const char *fn, long ops)
{
	printf("profile %s %ld\n", fn, ops);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double spread_of(double *v, int n, struct spread *s)
{
	s->med = median(v, n);
	s->min = v[0];
	s->max = v[n - 1];
	s->n = n;
	return s->med;
}

/* the figures of a row from its samples: both medians, spreads and udma / baseline */
static void row_fill(struct perf_row *r, const char *id, const char *work, double *u,
		     const char *base, double *b, int n, const char *target)
{
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->workload, sizeof(r->workload), "%s", work);
	snprintf(r->baseline, sizeof(r->baseline), "%s", base);
	snprintf(r->target, sizeof(r->target), "%s", target);
	r->udma = spread_of(u, n, &r->us);
	r->base = spread_of(b, n, &r->bs);
	r->ratio = r->udma / r->base;
}

void row_samples(const char *id, const char *work, double *u, const char *base, double *b,
		 int n, const char *target, double max_ns, double max_ratio)
{
	struct perf_row r = {0};

	row_fill(&r, id, work, u, base, b, n, target);
	r.pass = (max_ns <= 0 || r.udma <= max_ns) && (max_ratio <= 0 || r.ratio <= max_ratio);
	row_add(&r);
}

void row_speedup(const char *id, const char *work, double *all, const char *base, double *one,
		 int n, const char *target, double min)
{
	struct perf_row r = {0};

	row_fill(&r, id, work, all, base, one, n, target);
	r.ratio = r.base / r.udma;
	r.pass = r.ratio >= min;
	row_add(&r);
}

void sweep_add(const char *axis, long x, const char *series, double *u, const char *base,
	       double *b, int n)
{
	struct perf_row r = {.axis = axis, .x = x, .pass = true};

	row_fill(&r, strcmp(axis, "size") == 0 ? "SIZE" : strcmp(axis, "burst") == 0 ? "BURST" :
		 "LCORES", series, u, base, b, n, "sweep");
	row_add(&r);
}

static void first_line(const char *path, const char *key, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];

	snprintf(out, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c;

		if (strncmp(line, key, strlen(key)) != 0 || (c = strchr(line, ':')) == NULL)
			continue;
		c++;
		c += strspn(c, " \t");
		c[strcspn(c, "\n")] = '\0';
		snprintf(out, len, "%s", c);
		break;
	}
	fclose(f);
}

void meta_fill(const char *udma_mode, const char *dpdk_mode, long page_size)
{
	struct utsname u;
	time_t t = time(NULL);

	first_line("/proc/cpuinfo", "model name", g_meta.cpu, sizeof(g_meta.cpu));
	if (uname(&u) == 0)
		snprintf(g_meta.kernel, sizeof(g_meta.kernel), "%s %s", u.sysname, u.release);
	snprintf(g_meta.commit, sizeof(g_meta.commit), "%s", UDMA_PERF_COMMIT);
	snprintf(g_meta.udma_mode, sizeof(g_meta.udma_mode), "%s", udma_mode);
	snprintf(g_meta.dpdk_mode, sizeof(g_meta.dpdk_mode), "%s", dpdk_mode);
	g_meta.page_size = page_size;
	strftime(g_meta.date, sizeof(g_meta.date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	g_meta.cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static void fmt(char *buf, size_t len, double v, bool bytes)
{
	if (bytes)
		snprintf(buf, len, "%.1f B", v);
	else if (v >= 1000)
		snprintf(buf, len, "%.0f ns", v);
	else
		snprintf(buf, len, "%.2f ns", v);
}

void report_print(void)
{
	int passed = 0, fixed = 0, sweeps = 0;

	printf("\ndma-perf %s on %s, %s; udma %s mode, DPDK %s, %ld KiB pages\n", g_meta.commit,
	       g_meta.cpu, g_meta.kernel, g_meta.udma_mode, g_meta.dpdk_mode, g_meta.page_size >> 10);
	for (int i = 0; i < g_nrows; i++)
		sweeps += g_rows[i].axis != NULL;
	fixed = g_nrows - sweeps;
	if (fixed > 0)
		printf("\n%-4s %-50s %12s  %-30s %12s %9s  %-20s %s\n", "id", "workload", "udma",
		       "baseline", "figure", "ratio", "target", "result");
	for (int i = 0; i < g_nrows; i++) {
		const struct perf_row *r = &g_rows[i];
		char u[32], b[32];

		if (r->axis)
			continue;
		fmt(u, sizeof(u), r->udma, r->bytes);
		fmt(b, sizeof(b), r->base, r->bytes);
		printf("%-4s %-50s %12s  %-30s %12s %9.4g  %-20s %s\n", r->id, r->workload, u,
		       r->baseline, b, r->ratio, r->target, r->pass ? "PASS" : "MISS");
		passed += r->pass;
	}
	if (sweeps > 0) {
		printf("\n%-7s %8s  %-34s %12s %20s  %-32s %12s %8s\n", "sweep", "x", "udma",
		       "median", "(min..max)", "baseline", "median", "ratio");
		for (int i = 0; i < g_nrows; i++) {
			const struct perf_row *r = &g_rows[i];
			char u[32], b[32], mm[48];

			if (!r->axis)
				continue;
			fmt(u, sizeof(u), r->udma, false);
			fmt(b, sizeof(b), r->base, false);
			snprintf(mm, sizeof(mm), "(%.3g..%.3g)", r->us.min, r->us.max);
			printf("%-7s %8ld  %-34s %12s %20s  %-32s %12s %8.3g\n", r->axis, r->x,
			       r->workload, u, mm, r->baseline, b, r->ratio);
		}
	}
	if (fixed > 0)
		printf("%d of %d rows meet their target\n", passed, fixed);
	if (sweeps > 0)
		printf("%d sweep points\n", sweeps);
}

/* a JSON string: the few characters our texts may hold, escaped */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void jspread(FILE *f, const char *who, const char *unit, const struct spread *s,
		    double fig)
{
	if (s->n == 0)
		fprintf(f, ", \"%s_min_%s\": %.4f, \"%s_max_%s\": %.4f", who, unit, fig, who, unit, fig);
	else
		fprintf(f, ", \"%s_min_%s\": %.4f, \"%s_max_%s\": %.4f", who, unit, s->min, who, unit,
			s->max);
}

int report_json(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	fprintf(f, "[\n");
	for (int i = 0; i < g_nrows; i++) {
		const struct perf_row *r = &g_rows[i];
		const char *unit = r->bytes ? "bytes" : "ns";

		fprintf(f, "  {\"id\": \"%s\", \"workload\": ", r->id);
		jstr(f, r->workload);
		fprintf(f, ", \"udma_%s\": %.4f, \"baseline\": ", unit, r->udma);
		jstr(f, r->baseline);
		fprintf(f, ", \"baseline_%s\": %.4f, \"ratio\": %.6f, \"target\": ", unit, r->base,
			r->ratio);
		jstr(f, r->target);
		fprintf(f, ", \"pass\": %s", r->pass ? "true" : "false");
		jspread(f, "udma", unit, &r->us, r->udma);
		jspread(f, "baseline", unit, &r->bs, r->base);
		fprintf(f, ", \"samples\": %d", r->us.n ? r->us.n : 1);
		if (r->axis)
			fprintf(f, ", \"axis\": \"%s\", \"x\": %ld", r->axis, r->x);
		fprintf(f, ",\n   \"run\": {\"cpu\": ");
		jstr(f, g_meta.cpu);
		fprintf(f, ", \"cpus\": %d, \"kernel\": ", g_meta.cpus);
		jstr(f, g_meta.kernel);
		fprintf(f, ", \"commit\": ");
		jstr(f, g_meta.commit);
		fprintf(f, ", \"udma_iova_mode\": \"%s\", \"dpdk_mode\": \"%s\", \"page_size\": %ld, "
			"\"lcores\": %d, \"iterations_scale\": %g, \"date\": \"%s\"}}%s\n",
			g_meta.udma_mode, g_meta.dpdk_mode, g_meta.page_size, g_opts.lcores,
			g_opts.scale, g_meta.date, i + 1 < g_nrows ? "," : "");
	}
	fprintf(f, "]\n");
	return fclose(f);
}

/* a CSV field: quoted, inner quotes doubled */
static void cstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int report_csv(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	fprintf(f, "id,axis,x,workload,unit,udma,udma_min,udma_max,baseline,baseline_fig,"
		"baseline_min,baseline_max,ratio,target,pass,samples,cpu,kernel,commit,"
		"udma_iova_mode,dpdk_mode,page_size\n");
	for (int i = 0; i < g_nrows; i++) {
		const struct perf_row *r = &g_rows[i];

		fprintf(f, "%s,%s,", r->id, r->axis ? r->axis : "");
		if (r->axis)
			fprintf(f, "%ld", r->x);
		fputc(',', f);
		cstr(f, r->workload);
		fprintf(f, ",%s,%.4f,%.4f,%.4f,", r->bytes ? "bytes" : "ns", r->udma,
			r->us.n ? r->us.min : r->udma, r->us.n ? r->us.max : r->udma);
		cstr(f, r->baseline);
		fprintf(f, ",%.4f,%.4f,%.4f,%.6f,", r->base, r->bs.n ? r->bs.min : r->base,
			r->bs.n ? r->bs.max : r->base, r->ratio);
		cstr(f, r->target);
		fprintf(f, ",%s,%d,", r->pass ? "true" : "false", r->us.n ? r->us.n : 1);
		cstr(f, g_meta.cpu);
		fputc(',', f);
		cstr(f, g_meta.kernel);
		fprintf(f, ",%s,%s,%s,%ld\n", g_meta.commit, g_meta.udma_mode, g_meta.dpdk_mode,
			g_meta.page_size);
	}
	return fclose(f);
}
