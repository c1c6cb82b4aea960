/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma-nvme-perf: SPDK's perf for the udma NVMe driver. One thread per lcore, each
 * with its own queue pair, keeps a queue depth of I/Os in flight for a time and
 * reports IOPS, MiB/s and latency (average, minimum, maximum, percentiles), as text
 * or JSON. In a TCG guest (devtools/vm) the numbers measure QEMU's emulation far
 * more than the driver: read them as "it runs", not as a benchmark.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "udma_nvme.h"

#define HIST_US 100000u /* 1 us buckets up to 100 ms, then one overflow bucket */

static struct {
	unsigned int qd, io_size, secs, threads, read_pct, random, json;
	uint64_t region_start, region_blocks;
	uint32_t nlb;   /* blocks an I/O */
	uint64_t slots; /* I/O-sized places in the region */
	const char *addr;
} g = {.qd = 32, .io_size = 4096, .secs = 5, .threads = 1, .read_pct = 100, .random = 1};

static struct udma_nvme_ctrlr *g_c;
static struct udma_nvme_info g_info;

struct worker;
struct io {
	struct worker *w;
	struct udma_sg sg;
	void *buf;
	udma_addr_t h;
	uint64_t t0;
	int is_read;
};

struct worker {
	pthread_t tid;
	unsigned int idx;
	struct udma_nvme_qpair *qp;
	struct io *ios;
	uint64_t rng, seq;
	uint64_t done, reads, writes, errors, eagain;
	uint64_t lat_sum, lat_min, lat_max;
	uint64_t *hist;
	int ret;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static int submit(struct worker *w, struct io *io);

static void done_cb(void *arg, int status, uint16_t nvme_status)
{
	struct io *io = arg;
	struct worker *w = io->w;
	uint64_t lat = now_ns() - io->t0, us = lat / 1000;

	if (status) {
		if (w->errors++ == 0)
			fprintf(stderr, "nvme-perf: I/O error %d (%s)\n", status,
				udma_nvme_status_str(nvme_status));
	}
	w->done++;
	w->lat_sum += lat;
	if (lat < w->lat_min)
		w->lat_min = lat;
	if (lat > w->lat_max)
		w->lat_max = lat;
	w->hist[us < HIST_US ? us : HIST_US]++;
	io->t0 = 0; /* resubmitted by the worker's loop */
}

static int submit(struct worker *w, struct io *io)
{
	uint64_t lba;
	int ret;

	lba = g.region_start + (g.random ? rnd(w) % g.slots : w->seq++ % g.slots) * g.nlb;
	io->is_read = g.read_pct == 100 || (g.read_pct > 0 && rnd(w) % 100 < g.read_pct);
	io->t0 = now_ns();
	udma_sg_init_table(&io->sg, 1);
	udma_sg_set_buf(&io->sg, io->buf, g.io_size);
	ret = io->is_read ? udma_nvme_read(w->qp, &io->sg, 1, lba, g.nlb, done_cb, io)
			  : udma_nvme_write(w->qp, &io->sg, 1, lba, g.nlb, done_cb, io);
	if (ret == 0) {
		if (io->is_read)
			w->reads++;
		else
			w->writes++;
	} else {
		io->t0 = 0;
		if (ret == -EAGAIN)
			w->eagain++;
	}
	return ret;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t end;
	unsigned int i;
	int ret;

	udma_thread_register();
	w->qp = udma_nvme_qpair_create(g_c, g.qd + 1);
	w->ios = calloc(g.qd, sizeof(*w->ios));
	w->hist = calloc(HIST_US + 1, sizeof(uint64_t));
	if (w->qp == NULL || w->ios == NULL || w->hist == NULL) {
		fprintf(stderr, "nvme-perf: worker %u: no queue pair or memory\n", w->idx);
		w->ret = -1;
		goto out;
	}
	w->lat_min = UINT64_MAX;
	w->rng = 0x9e3779b97f4a7c15ull * (w->idx + 1);
	w->seq = w->idx * 7919u;
	for (i = 0; i < g.qd; i++) {
		w->ios[i].w = w;
		w->ios[i].buf = udma_alloc_coherent(udma_nvme_dma_device(g_c), g.io_size, &w->ios[i].h,
						    UDMA_GFP_KERNEL);
		if (w->ios[i].buf == NULL) {
			fprintf(stderr, "nvme-perf: worker %u: no coherent buffer\n", w->idx);
			w->ret = -1;
			goto out;
		}
		memset(w->ios[i].buf, (int)(0x5a + i), g.io_size);
	}
	end = now_ns() + (uint64_t)g.secs * 1000000000ull;
	while (now_ns() < end) {
		for (i = 0; i < g.qd; i++)
			if (w->ios[i].t0 == 0) {
				ret = submit(w, &w->ios[i]);
				if (ret && ret != -EAGAIN) {
					fprintf(stderr, "nvme-perf: submit: %d\n", ret);
					w->ret = ret;
					goto out;
				}
			}
		if (udma_nvme_qpair_poll(w->qp, 0) < 0)
			break;
	}
out: /* also the setup's failures: the pair and the buffers had so far go back */
	if (w->qp != NULL) {
		while (udma_nvme_qpair_outstanding(w->qp) > 0)
			udma_nvme_qpair_poll(w->qp, 0);
		udma_nvme_qpair_destroy(w->qp);
	}
	for (i = 0; w->ios != NULL && i < g.qd; i++)
		if (w->ios[i].buf)
			udma_free_coherent(udma_nvme_dma_device(g_c), g.io_size, w->ios[i].buf, w->ios[i].h);
	free(w->ios);
	udma_thread_unregister();
	return NULL;
}

static double pct(const uint64_t *hist, uint64_t total, double p)
{
	uint64_t want = (uint64_t)(p / 100.0 * (double)total), acc = 0;
	unsigned int i;

	for (i = 0; i <= HIST_US; i++) {
		acc += hist[i];
		if (acc > want)
			return i + 1.0; /* upper edge of the bucket, us */
	}
	return HIST_US;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udma-nvme-perf PCI-ADDR [options] [udma options]\n"
		"  -q, --queue-depth N   I/Os in flight per queue pair (default 32)\n"
		"  -o, --io-size BYTES   I/O size, a multiple of the block size (default 4096)\n"
		"  -w, --workload W      read, write, randread, randwrite, rw, randrw (default randread)\n"
		"  -M, --rwmixread PCT   reads in rw/randrw (default 50)\n"
		"  -t, --time SEC        run time (default 5)\n"
		"  -c, --threads N       threads, one queue pair each (default 1; at most the lcores)\n"
		"  -r, --region S:N      use blocks [S, S + N) only (default: the namespace)\n"
		"  -j, --json            one JSON object instead of text\n"
		"In a TCG guest IOPS mean little: QEMU's emulation dominates.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"queue-depth", 1, NULL, 'q'}, {"io-size", 1, NULL, 'o'}, {"workload", 1, NULL, 'w'},
		{"rwmixread", 1, NULL, 'M'}, {"time", 1, NULL, 't'}, {"threads", 1, NULL, 'c'},
		{"region", 1, NULL, 'r'}, {"json", 0, NULL, 'j'}, {"help", 0, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	char *uargv[64];
	int uargc = 0, opt, i, mix = 50, ret;
	struct udma_nvme_opts o = {0};
	struct worker *ws;
	uint64_t total = 0, rd = 0, wr = 0, err = 0, eag = 0, lsum = 0, lmin = UINT64_MAX, lmax = 0;
	uint64_t *hist;
	double iops, mibs;
	const char *wl = "randread";

	if (argc < 2 || argv[1][0] == '-') {
		usage(argc >= 2 && strcmp(argv[1], "-h") == 0 ? stdout : stderr);
		return argc >= 2 && strcmp(argv[1], "-h") == 0 ? 0 : 2;
	}
	g.addr = argv[1];
	uargv[uargc++] = argv[0];
	/* our options first; anything else goes to udma_eal_init() */
	opterr = 0;
	optind = 2;
	while ((opt = getopt_long(argc, argv, "q:o:w:M:t:c:r:jh", lo, NULL)) != -1) {
		switch (opt) {
		case 'q': g.qd = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'o': g.io_size = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'w': wl = optarg; break;
		case 'M': mix = atoi(optarg); break;
		case 't': g.secs = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'c': g.threads = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'r':
			if (sscanf(optarg, "%lu:%lu", (unsigned long *)&g.region_start,
				   (unsigned long *)&g.region_blocks) != 2) {
				usage(stderr);
				return 2;
			}
			break;
		case 'j': g.json = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			if (uargc < 63)
				uargv[uargc++] = argv[optind - 1];
			break;
		}
	}
	for (i = optind; i < argc && uargc < 63; i++)
		uargv[uargc++] = argv[i];
	uargv[uargc] = NULL;
	if (strcmp(wl, "read") == 0 || strcmp(wl, "randread") == 0)
		g.read_pct = 100;
	else if (strcmp(wl, "write") == 0 || strcmp(wl, "randwrite") == 0)
		g.read_pct = 0;
	else if (strcmp(wl, "rw") == 0 || strcmp(wl, "randrw") == 0)
		g.read_pct = (unsigned int)(mix < 0 ? 0 : mix > 100 ? 100 : mix);
	else {
		fprintf(stderr, "nvme-perf: unknown workload %s\n", wl);
		return 2;
	}
	g.random = strncmp(wl, "rand", 4) == 0;
	if (g.qd == 0 || g.qd > 1023 || g.io_size == 0 || g.secs == 0 || g.threads == 0) {
		usage(stderr);
		return 2;
	}
	if (udma_eal_init(uargc, uargv) < 0)
		return 1;
	if (g.threads > udma_lcore_count())
		g.threads = udma_lcore_count() ? udma_lcore_count() : 1;
	o.io_queues = g.threads;
	ret = udma_nvme_open(&g_c, g.addr, &o);
	if (ret) {
		fprintf(stderr, "nvme-perf: open %s: %s\n", g.addr, strerror(-ret));
		return 1;
	}
	udma_nvme_get_info(g_c, &g_info);
	if (g.io_size % g_info.lba_size || g.io_size > g_info.max_xfer) {
		fprintf(stderr, "nvme-perf: I/O size %u: not a multiple of %u or over %u\n", g.io_size,
			g_info.lba_size, g_info.max_xfer);
		udma_nvme_close(g_c);
		return 2;
	}
	if (g.region_blocks == 0 || g.region_start + g.region_blocks > g_info.nlbas) {
		g.region_start = 0;
		g.region_blocks = g_info.nlbas;
	}
	g.nlb = g.io_size / g_info.lba_size;
	g.slots = g.region_blocks / g.nlb;
	if (g.slots == 0) {
		fprintf(stderr, "nvme-perf: region smaller than one I/O\n");
		udma_nvme_close(g_c);
		return 2;
	}
	ws = calloc(g.threads, sizeof(*ws));
	hist = calloc(HIST_US + 1, sizeof(uint64_t));
	for (i = 0; i < (int)g.threads; i++) {
		ws[i].idx = (unsigned int)i;
		pthread_create(&ws[i].tid, NULL, work, &ws[i]);
	}
	ret = 0;
	for (i = 0; i < (int)g.threads; i++) {
		pthread_join(ws[i].tid, NULL);
		if (ws[i].ret)
			ret = 1;
		total += ws[i].done;
		rd += ws[i].reads;
		wr += ws[i].writes;
		err += ws[i].errors;
		eag += ws[i].eagain;
		lsum += ws[i].lat_sum;
		if (ws[i].lat_min < lmin)
			lmin = ws[i].lat_min;
		if (ws[i].lat_max > lmax)
			lmax = ws[i].lat_max;
		if (ws[i].hist)
			for (unsigned int b = 0; b <= HIST_US; b++)
				hist[b] += ws[i].hist[b];
		free(ws[i].hist);
	}
	udma_nvme_close(g_c);
	iops = (double)total / g.secs;
	mibs = iops * g.io_size / (1024.0 * 1024.0);
	if (total == 0)
		lmin = 0;
	if (g.json) {
		printf("{\"device\": \"%s\", \"model\": \"%s\", \"workload\": \"%s\", \"read_pct\": %u, "
		       "\"queue_depth\": %u, \"io_size\": %u, \"threads\": %u, \"time_s\": %u, "
		       "\"ios\": %llu, \"reads\": %llu, \"writes\": %llu, \"errors\": %llu, "
		       "\"iops\": %.1f, \"mib_s\": %.2f, \"lat_us\": {\"avg\": %.1f, \"min\": %.1f, "
		       "\"max\": %.1f, \"p50\": %.0f, \"p90\": %.0f, \"p99\": %.0f, \"p99_9\": %.0f}, "
		       "\"iova_mode\": \"%s\", \"note\": \"TCG guest numbers measure QEMU, not the driver\"}\n",
		       g.addr, g_info.model, wl, g.read_pct, g.qd, g.io_size, g.threads, g.secs,
		       (unsigned long long)total, (unsigned long long)rd, (unsigned long long)wr,
		       (unsigned long long)err, iops, mibs, total ? lsum / 1e3 / total : 0.0, lmin / 1e3,
		       lmax / 1e3, pct(hist, total, 50), pct(hist, total, 90), pct(hist, total, 99),
		       pct(hist, total, 99.9), udma_iova_mode_name(udma_iova_mode()));
	} else {
		printf("%s (%s): %s, %u%% reads, qd %u, %u bytes, %u thread(s), %u s, iova mode %s\n",
		       g.addr, g_info.model, wl, g.read_pct, g.qd, g.io_size, g.threads, g.secs,
		       udma_iova_mode_name(udma_iova_mode()));
		printf("%12s %10s %10s %10s %10s %10s %10s %10s %10s\n", "IOPS", "MiB/s", "avg us",
		       "min us", "max us", "p50", "p90", "p99", "p99.9");
		printf("%12.1f %10.2f %10.1f %10.1f %10.1f %10.0f %10.0f %10.0f %10.0f\n", iops, mibs,
		       total ? lsum / 1e3 / total : 0.0, lmin / 1e3, lmax / 1e3, pct(hist, total, 50),
		       pct(hist, total, 90), pct(hist, total, 99), pct(hist, total, 99.9));
		printf("%llu I/Os (%llu reads, %llu writes), %llu errors, %llu pushed back (queue full)\n",
		       (unsigned long long)total, (unsigned long long)rd, (unsigned long long)wr,
		       (unsigned long long)err, (unsigned long long)eag);
	}
	free(hist);
	free(ws);
	udma_eal_cleanup();
	return ret || err || total == 0 ? 1 : 0;
}
