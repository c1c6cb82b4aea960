/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma-perf: udma's data paths measured against DPDK 22.11, jemalloc and a mutex
 * pool in the same process, reported as ratios (doc/perf.md). DPDK runs in PA mode
 * when root and hugepages allow, else --no-huge in VA mode; udma likewise.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
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
	       "  --lcores LIST      sweep lcore counts 1..CPUs (P12; default all online CPUs): pool\n"
	       "                     (shared) vs rte_mempool and the mutex pool, bulk 32 pairs\n"
	       "                     (P3b's pattern, k/2 pairs) vs rte_mempool, map+unmap vs\n"
	       "                     rte_malloc_virt2iova, ns/op aggregate\n"
	       "                     (with a sweep option and no --rows, only the sweeps run)\n"
	       "  --udma-args \"...\" extra udma EAL options (e.g. --dma-debug)\n"
	       "  --help             this text\n"
	       "Rows (doc/perf.md): P1 pool alloc+free, P2 bulk 32, P2b bulk 32 with IOVAs, P3\n"
	       "producer/consumer, P3b bulk pairs over a ring, P4 bytes per block, P5 virt2iova,\n"
	       "P6 map+unmap pa/va, P7 map+unmap sim, P8 map_sg 32 x 4 KiB, P9 coherent 4 KiB,\n"
	       "P10 bounce 4 KiB, P11 scaling on 2 lcores, P12 the lcore sweep (LCORES: pool\n"
	       "pair and bulk pairs; map+unmap in pa/va, sim and forced bounce), P13 the\n"
	       "pool pair on every lcore in 5 processes, P14 NVMe PRP list for 128 KiB,\n"
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
	if (g_opts.lcore_list.n == 0 && (all || in_rows(r, "LCORES") || in_rows(r, "P12")))
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
		{"profile", no_argument, NULL, 'p'}, {NULL, 0, NULL, 0},
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
		case 'p': g_opts.profile = true; break;
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

/* "dmaperf<pid>..." of a process that is gone: its pid, else 0 */
static long dead_owner(const char *name)
{
	char *end;
	long pid;

	if (strncmp(name, "dmaperf", 7) != 0)
		return 0;
	pid = strtol(name + 7, &end, 10);
	if (pid <= 0 || end == name + 7 || (*end != '\0' && strncmp(end, "map_", 4) != 0))
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH ? pid : 0;
}

/* remove every file of @dir (not recursive), then @dir */
static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/*
 * What dma-perf runs of before --in-memory left when they died: hugepage files
 * /dev/hugepages/dmaperf<pid>map_* (each holds a hugepage) and DPDK runtime
 * directories <runtime>/dpdk/dmaperf<pid>. Only names of dead pids are touched.
 */
static void remove_stale(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char run[256], path[512];
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/dev/hugepages")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, "map_") == NULL || dead_owner(de->d_name) == 0)
				continue;
			snprintf(path, sizeof(path), "/dev/hugepages/%s", de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	snprintf(run, sizeof(run), "%s/dpdk", geteuid() == 0 || xdg == NULL ? "/var/run" : xdg);
	if ((d = opendir(run)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, "map_") != NULL || dead_owner(de->d_name) == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", run, de->d_name);
			remove_dir(path);
		}
		closedir(d);
	}
}

/* DPDK 22.11 makes its runtime directory even with --in-memory (empty then) */
static void remove_runtime_dir(void)
{
	remove_dir(rte_eal_get_runtime_dir());
}

static int dpdk_up(void)
{
	char prefix[64], lcores[32], *argv[16];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long want = 2;
	int argc = 0;

	for (int i = 0; i < g_opts.lcore_list.n; i++)
		want = g_opts.lcore_list.v[i] > want ? g_opts.lcore_list.v[i] : want;
	if (row_wanted("P12"))
		want = ncpu; /* P12's default sweep: every online CPU */
	want = want < ncpu ? want : ncpu;
	snprintf(lcores, sizeof(lcores), want > 1 ? "-l0-%ld" : "-l0", want - 1);
	snprintf(prefix, sizeof(prefix), "--file-prefix=dmaperf%d", (int)getpid());
	argv[argc++] = "dma-perf";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-telemetry";
	/* nothing on disk: hugepage files unlinked at once, no shared config, so a
	 * killed run leaves no /dev/hugepages/dmaperf<pid>map_* behind. --no-huge has no
	 * hugepage files and is legacy memory, which DPDK refuses with --in-memory.
	 * --profile (the hidden option of devtools/profile, which runs this under
	 * valgrind): legacy memory, as valgrind cannot reserve the VA space of DPDK's
	 * dynamic memory */
	if (g_opts.pa && g_opts.profile) {
		argv[argc++] = "--legacy-mem";
		argv[argc++] = "--huge-unlink";
	} else if (g_opts.pa) {
		argv[argc++] = "--in-memory";
	}
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
	remove_stale();
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "dma-perf: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	atexit(remove_runtime_dir);
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

void map_works(const char *row, struct udma_device *dev, void *buf, size_t len,
	       enum udma_data_direction dir)
{
	udma_addr_t a = udma_map_single(dev, buf, len, dir);

	if (udma_mapping_error(dev, a)) {
		fprintf(stderr, "dma-perf: %s setup failed: udma_map_single of %zu bytes\n", row, len);
		exit(1);
	}
	udma_unmap_single(dev, a, len, dir);
}

void udma_down(void)
{
	udma_eal_cleanup();
}

int main(int argc, char **argv)
{
	/* stdout is a file under devtools/test: keep its lines in order with stderr's
	 * and on disk even if the run dies */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse(argc, argv) < 0)
		return 1;
	g_opts.pa = geteuid() == 0 && free_hugepages() >= 300;
	if (row_wanted("P13") && !perf_p13_child())
		perf_p13(); /* fresh processes, before this one maps anything */
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
	perf_map_lcores();
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
