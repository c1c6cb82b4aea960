/* SPDX-License-Identifier: BSD-3-Clause */
/* The report: an aligned table on stdout and the same rows as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perf.h"

#define MAX_ROWS 64

static struct perf_row g_rows[MAX_ROWS];
static int g_nrows;
volatile uint64_t g_sink;

void row_add(const struct perf_row *r)
{
	if (g_nrows < MAX_ROWS)
		g_rows[g_nrows++] = *r;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%-40s\r", "");
}

bool row_wanted(const char *id)
{
	const char *p = g_opts.rows;
	size_t n = strlen(id);

	if (p == NULL)
		return true;
	while ((p = strstr(p, id)) != NULL) {
		if ((p == g_opts.rows || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

void progress(const char *id, int step, int steps)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r[%s %d/%d]", id, step, steps);
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
	int passed = 0;

	printf("\n%-4s %-50s %12s  %-30s %12s %9s  %-20s %s\n", "id", "workload", "udma",
	       "baseline", "figure", "ratio", "target", "result");
	for (int i = 0; i < g_nrows; i++) {
		const struct perf_row *r = &g_rows[i];
		char u[32], b[32];

		fmt(u, sizeof(u), r->udma, r->bytes);
		fmt(b, sizeof(b), r->base, r->bytes);
		printf("%-4s %-50s %12s  %-30s %12s %9.4g  %-20s %s\n", r->id, r->workload, u,
		       r->baseline, b, r->ratio, r->target, r->pass ? "PASS" : "MISS");
		passed += r->pass;
	}
	printf("%d of %d rows meet their target\n", passed, g_nrows);
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

		fprintf(f, "  {\"id\": \"%s\", \"workload\": \"%s\", \"udma_%s\": %.4f, "
			"\"baseline\": \"%s\", \"baseline_%s\": %.4f, \"ratio\": %.6f, "
			"\"target\": \"%s\", \"pass\": %s}%s\n", r->id, r->workload, unit, r->udma,
			r->baseline, unit, r->base, r->ratio, r->target, r->pass ? "true" : "false",
			i + 1 < g_nrows ? "," : "");
	}
	fprintf(f, "]\n");
	return fclose(f);
}
