/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma-perf: udma's data paths measured against DPDK 22.11, jemalloc and a mutex
 * pool in the same process, reported as ratios (doc/perf.md). DPDK runs in PA mode
 * when root and hugepages allow, else --no-huge in VA mode; udma likewise.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include "perf.h"

#define SWEEP_MAX_LCORES 64

struct perf_opts g_opts = {.scale = 1.0};
static char g_udma_extra[256];

static void usage(const char *prg)
{
	printf("Usage: %s [options]\n"
	       "  --json FILE        also write the rows as a JSON array to FILE (each row with\n"
	       "                     min/max over its samples and the run: CPU, kernel, commit,\n"
	       "                     IOVA mode, page size)\n"
	       "  --csv FILE         the same rows as CSV\n"
	       "  --quick            a tenth of the iterations (CI smoke runs)\n"
	       "  --iterations X     multiply every iteration count by X (default 1)\n"
	       "  --rows LIST        only these rows, e.g. P1,P5,P9; SIZE, BURST, LCORES name the\n"
	       "                     sweeps (default points); 'all' is every row and sweep.\n"
	       "                     An unknown row is an error.\n"
	       "  --sizes LIST       sweep sizes in bytes (e.g. 64,256,4096): pool alloc+free vs\n"
	       "                     rte_mempool, map+unmap, bounce tx vs memcpy, coherent vs\n"
	       "                     rte_malloc\n"
	       "  --burst LIST       sweep bursts 1..256: pool bulk vs rte_mempool bulk, map_sg\n"
	       "  --lcores LIST      sweep lcore counts 1..CPUs: pool (shared) vs rte_mempool and the\n"
	       "                     mutex pool, map+unmap vs rte_malloc_virt2iova, ns/op aggregate\n"
	       "                     (with a sweep option and no --rows, only the sweeps run)\n"
	       "  --udma-args \"...\" extra udma EAL options (e.g. --dma-debug)\n"
	       "  --help             this text\n"
	       "Rows (doc/perf.md): P1 pool alloc+free, P2 bulk 32, P3 producer/consumer, P4 bytes per\n"
	       "block, P5 virt2iova, P6 map+unmap pa/va, P7 map+unmap sim, P8 map_sg 32 x 4 KiB,\n"
	       "P9 coherent 4 KiB, P10 bounce 4 KiB, P11 scaling on 2 lcores, P14 NVMe PRP list for 128 KiB,\n"
	       "D1 dma-debug on vs off.\n"
	       "Progress goes to stderr when it is a terminal.\n", prg);
}

/* a comma-separated list of integers in [lo, hi] */
static int parse_list(const char *opt, const char *arg, long lo, long hi, struct sweep *sw)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	sw->n = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(t, &end, 0);

		if (*end != '\0' || end == t || v < lo || v > hi) {
			fprintf(stderr, "dma-perf: %s: '%s' is not an integer in %ld..%ld\n", opt, t, lo,
				hi);
			return -1;
		}
		if (sw->n == MAX_SWEEP) {
			fprintf(stderr, "dma-perf: %s: at most %d points\n", opt, MAX_SWEEP);
			return -1;
		}
		sw->v[sw->n++] = v;
	}
	if (sw->n == 0) {
		fprintf(stderr, "dma-perf: %s: empty list\n", opt);
		return -1;
	}
	return 0;
}

/* --rows SIZE/BURST/LCORES/all without a list: the default points */
static void sweep_defaults(long ncpu)
{
	static const long sizes[] = {64, 256, 1024, 4096, 16384, 65536};
	static const long burst[] = {1, 4, 16, 32, 64, 128, 256};
	const char *r = g_opts.rows;
	bool all = r && in_rows(r, "all");

	if (r == NULL)
		return; /* only explicit sweep lists */
	if (g_opts.sizes.n == 0 && (all || in_rows(r, "SIZE")))
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			g_opts.sizes.v[g_opts.sizes.n++] = sizes[i];
	if (g_opts.burst.n == 0 && (all || in_rows(r, "BURST")))
		for (size_t i = 0; i < sizeof(burst) / sizeof(burst[0]); i++)
			g_opts.burst.v[g_opts.burst.n++] = burst[i];
	if (g_opts.lcore_list.n == 0 && (all || in_rows(r, "LCORES")))
		for (long i = 1; i <= ncpu && i <= MAX_SWEEP; i++)
			g_opts.lcore_list.v[g_opts.lcore_list.n++] = i;
}

static int parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{"json", required_argument, NULL, 'j'}, {"quick", no_argument, NULL, 'q'},
		{"iterations", required_argument, NULL, 'i'}, {"rows", required_argument, NULL, 'r'},
		{"udma-args", required_argument, NULL, 'u'}, {"help", no_argument, NULL, 'h'},
		{"csv", required_argument, NULL, 'c'}, {"sizes", required_argument, NULL, 's'},
		{"burst", required_argument, NULL, 'b'}, {"lcores", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	if (ncpu > SWEEP_MAX_LCORES)
		ncpu = SWEEP_MAX_LCORES;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'j': g_opts.json = optarg; break;
		case 'q': g_opts.scale = 0.1; break;
		case 'i': g_opts.scale = atof(optarg); break;
		case 'r': g_opts.rows = optarg; break;
		case 'u': snprintf(g_udma_extra, sizeof(g_udma_extra), "%s", optarg); break;
		case 'c': g_opts.csv = optarg; break;
		case 's':
			if (parse_list("--sizes", optarg, 1, 1L << 20, &g_opts.sizes))
				return -1;
			break;
		case 'b':
			if (parse_list("--burst", optarg, 1, 256, &g_opts.burst))
				return -1;
			break;
		case 'l':
			if (parse_list("--lcores", optarg, 1, ncpu, &g_opts.lcore_list))
				return -1;
			break;
		case 'h': usage(argv[0]); exit(0);
		default: usage(argv[0]); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dma-perf: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (g_opts.scale <= 0) {
		fprintf(stderr, "dma-perf: --iterations must be > 0\n");
		return -1;
	}
	if (rows_validate(g_opts.rows) != 0)
		return -1;
	sweep_defaults(ncpu);
	return 0;
}

static int free_hugepages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	int n = 0;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

static int dpdk_up(void)
{
	char prefix[64], lcores[32], *argv[16];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long want = 2;
	int argc = 0;

	for (int i = 0; i < g_opts.lcore_list.n; i++)
		want = g_opts.lcore_list.v[i] > want ? g_opts.lcore_list.v[i] : want;
	want = want < ncpu ? want : ncpu;
	snprintf(lcores, sizeof(lcores), want > 1 ? "-l0-%ld" : "-l0", want - 1);
	snprintf(prefix, sizeof(prefix), "--file-prefix=dmaperf%d", (int)getpid());
	argv[argc++] = "dma-perf";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = prefix;
	argv[argc++] = lcores;
	argv[argc++] = "--log-level=3";
	argv[argc++] = "-m";
	argv[argc++] = "256";
	if (g_opts.pa) {
		argv[argc++] = "--iova-mode=pa";
	} else {
		argv[argc++] = "--no-huge";
		argv[argc++] = "--iova-mode=va";
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "dma-perf: rte_eal_init failed\n");
		return -1;
	}
	g_opts.lcores = (int)rte_lcore_count();
	return 0;
}

int udma_up(const char *mode)
{
	return udma_up_with(mode, NULL);
}

int udma_up_with(const char *mode, const char *more)
{
	char opt[32], lc[32], *argv[24], extra[600], *save = NULL;
	int argc = 0;

	snprintf(opt, sizeof(opt), "--iova-mode=%s", mode);
	argv[argc++] = "dma-perf";
	argv[argc++] = opt;
	argv[argc++] = "-m";
	argv[argc++] = "64";
	snprintf(lc, sizeof(lc), "--lcores=%d", g_opts.lcores > 4 ? g_opts.lcores : 4);
	argv[argc++] = lc;
	argv[argc++] = "--log-level=3";
	argv[argc++] = "--file-prefix=udmaperf";
	if (!g_opts.pa || strcmp(mode, "va") == 0)
		argv[argc++] = "--no-huge";
	snprintf(extra, sizeof(extra), "%s %s", g_udma_extra, more ? more : "");
	for (char *t = strtok_r(extra, " ", &save); t && argc < 23; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	if (udma_eal_init(argc, argv) < 0) {
		fprintf(stderr, "dma-perf: udma_eal_init(%s) failed\n", opt);
		return -1;
	}
	return 0;
}

void udma_down(void)
{
	udma_eal_cleanup();
}

int main(int argc, char **argv)
{
	if (parse(argc, argv) < 0)
		return 1;
	g_opts.pa = geteuid() == 0 && free_hugepages() >= 300;
	if (dpdk_up() < 0 || udma_up(g_opts.pa ? "pa" : "va") < 0)
		return 1;
	meta_fill(g_opts.pa ? "pa" : "va", g_opts.pa ? "PA" : "VA (--no-huge)",
		  g_opts.pa ? 2L << 20 : 4096);
	printf("dma-perf: DPDK %s mode, udma %s mode, %d lcore(s), iterations x%.2g\n",
	       g_opts.pa ? "PA" : "VA (--no-huge)", g_opts.pa ? "pa" : "va", g_opts.lcores,
	       g_opts.scale);
	perf_virt2iova();
	perf_coherent();
	perf_pool();
	perf_map();
	sweep_pool();
	sweep_map();
	perf_nvme();
	udma_down();
	if (udma_up("sim") == 0) {
		perf_map_sim();
		udma_down();
	}
	if (row_wanted("D1") && udma_up_with(g_opts.pa ? "pa" : "va", "--dma-debug") == 0) {
		perf_debug(g_d1_off_ns);
		udma_down();
	}
	report_print();
	if (g_opts.json && report_json(g_opts.json) != 0)
		return 1;
	if (g_opts.csv && report_csv(g_opts.csv) != 0)
		return 1;
	rte_eal_cleanup();
	return 0;
}
