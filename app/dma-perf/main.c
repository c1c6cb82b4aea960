/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma-perf: udma's data paths measured against DPDK 22.11, jemalloc and a mutex
 * pool in the same process, reported as ratios (PERF.md). DPDK runs in PA mode
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

struct perf_opts g_opts = {.scale = 1.0};
static char g_udma_extra[256];

static void usage(const char *prg)
{
	printf("Usage: %s [options]\n"
	       "  --json FILE        also write the rows as a JSON array to FILE\n"
	       "  --quick            a tenth of the iterations (CI smoke runs)\n"
	       "  --iterations X     multiply every iteration count by X (default 1)\n"
	       "  --rows LIST        only these rows, e.g. P1,P5,P9\n"
	       "  --udma-args \"...\" extra udma EAL options (e.g. --dma-debug)\n"
	       "  --help             this text\n"
	       "Rows (PERF.md): P1 pool alloc+free, P2 bulk 32, P3 producer/consumer, P4 bytes per\n"
	       "block, P5 virt2iova, P6 map+unmap pa/va, P7 map+unmap sim, P8 map_sg 32 x 4 KiB,\n"
	       "P9 coherent 4 KiB, P10 bounce 4 KiB, P11 scaling on 2 lcores, P14 NVMe PRP list for 128 KiB,\n"
	       "D1 dma-debug on vs off.\n", prg);
}

static int parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{"json", required_argument, NULL, 'j'}, {"quick", no_argument, NULL, 'q'},
		{"iterations", required_argument, NULL, 'i'}, {"rows", required_argument, NULL, 'r'},
		{"udma-args", required_argument, NULL, 'u'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'j': g_opts.json = optarg; break;
		case 'q': g_opts.scale = 0.1; break;
		case 'i': g_opts.scale = atof(optarg); break;
		case 'r': g_opts.rows = optarg; break;
		case 'u': snprintf(g_udma_extra, sizeof(g_udma_extra), "%s", optarg); break;
		case 'h': usage(argv[0]); exit(0);
		default: usage(argv[0]); return -1;
		}
	}
	return g_opts.scale > 0 ? 0 : -1;
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
	char prefix[64], *argv[16];
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "--file-prefix=dmaperf%d", (int)getpid());
	argv[argc++] = "dma-perf";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = prefix;
	argv[argc++] = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? "-l0-1" : "-l0";
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
	char opt[32], *argv[24], extra[600], *save = NULL;
	int argc = 0;

	snprintf(opt, sizeof(opt), "--iova-mode=%s", mode);
	argv[argc++] = "dma-perf";
	argv[argc++] = opt;
	argv[argc++] = "-m";
	argv[argc++] = "64";
	argv[argc++] = "--lcores=4";
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
	printf("dma-perf: DPDK %s mode, udma %s mode, %d lcore(s), iterations x%.2g\n",
	       g_opts.pa ? "PA" : "VA (--no-huge)", g_opts.pa ? "pa" : "va", g_opts.lcores,
	       g_opts.scale);
	perf_virt2iova();
	perf_coherent();
	perf_pool();
	perf_map();
	perf_nvme();
	udma_down();
	if (udma_up("sim") == 0) {
		perf_map_sim();
		udma_down();
	}
	if (row_wanted("D1") && udma_up_with(g_opts.pa ? "pa" : "va", "--dma-debug") == 0) {
		perf_debug(g_p6_ns);
		udma_down();
	}
	report_print();
	if (g_opts.json && report_json(g_opts.json) != 0)
		return 1;
	rte_eal_cleanup();
	return 0;
}
