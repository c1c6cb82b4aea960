/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma-bench: Google Benchmark microbenchmarks of udma's data paths, written in C
 * through ubench.h. Per-call figures with Google Benchmark's statistics; the
 * ratios against DPDK live in app/dma-perf, and devtools/perf-regress compares
 * two builds of this binary.
 *
 *   udma-bench [--benchmark_* options] [-- udma EAL options]
 *
 * Google Benchmark's options are its own (--benchmark_filter, _repetitions,
 * _format=json, _enable_random_interleaving, --benchmark_list_tests, ...). The
 * udma options after "--" (default: none, so --iova-mode=auto) set up the EAL
 * every benchmark runs in, e.g. "-- --iova-mode=va --no-huge" or "-- --dma-debug";
 * the map/pa, map/va and map/sim families add their own --iova-mode to them and
 * are registered only for the modes that initialise on this machine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udma.h>

#include "ubench.h"

/*
 * Coherent memory the map/sg/virt2iova benchmarks use: NCHUNK chunks of 1 MiB, not
 * one 4 MiB block, which in pa mode needs two physically adjacent hugepages that a
 * busy machine may not have.
 */
#define CHUNK (1UL << 20)
#define NCHUNK 4
#define CHUNK_AT(off) (g_env.coh[((off) / CHUNK) % NCHUNK] + (off) % CHUNK)
#define FOREIGN_LEN (256UL << 10) /* malloc'ed memory: bounces through the swiotlb */
#define MAX_ARGS 64

/* ---- the EAL the benchmarks run in ------------------------------------------ */

static char *g_base[MAX_ARGS]; /* argv[0], our defaults, then the user's udma options */
static int g_nbase;
static int g_init_rc; /* the last udma_eal_init()'s return */

static struct {
	bool up;
	char mode[8]; /* the --iova-mode added to the base options, "" for none */
	struct udma_device *dev;
	uint8_t *coh[NCHUNK];
	udma_addr_t coh_h[NCHUNK];
	uint8_t *foreign;
} g_env;

static void env_down(void)
{
	if (!g_env.up)
		return;
	for (int i = 0; i < NCHUNK; i++)
		udma_free_coherent(g_env.dev, CHUNK, g_env.coh[i], g_env.coh_h[i]);
	udma_device_destroy(g_env.dev);
	free(g_env.foreign);
	udma_eal_cleanup();
	memset(&g_env, 0, sizeof(g_env));
}

/* the EAL in @mode ("" or NULL: the base options as given); false if it cannot be */
static bool env_up(const char *mode)
{
	char opt[32], *argv[MAX_ARGS + 2];
	const char *what;
	int argc = 0;

	if (mode == NULL)
		mode = "";
	if (g_env.up && strcmp(g_env.mode, mode) == 0)
		return true;
	env_down();
	for (int i = 0; i < g_nbase; i++)
		argv[argc++] = g_base[i];
	if (mode[0] != '\0') {
		snprintf(opt, sizeof(opt), "--iova-mode=%s", mode);
		argv[argc++] = opt;
	}
	argv[argc] = NULL;
	g_init_rc = udma_eal_init(argc, argv);
	if (g_init_rc < 0)
		return false;
	what = "udma_device_create";
	g_env.dev = udma_device_create("bench", NULL, -1);
	if (g_env.dev == NULL)
		goto fail;
	what = "udma_set_mask_and_coherent";
	if (udma_set_mask_and_coherent(g_env.dev, UDMA_BIT_MASK(64)) != 0)
		goto fail;
	what = "udma_alloc_coherent (1 MiB)";
	for (int i = 0; i < NCHUNK; i++) {
		g_env.coh[i] = udma_alloc_coherent(g_env.dev, CHUNK, &g_env.coh_h[i], UDMA_GFP_KERNEL);
		if (g_env.coh[i] == NULL)
			goto fail;
	}
	what = "aligned_alloc";
	g_env.foreign = aligned_alloc(4096, FOREIGN_LEN);
	if (g_env.foreign == NULL)
		goto fail;
	memset(g_env.foreign, 0x5a, FOREIGN_LEN);
	snprintf(g_env.mode, sizeof(g_env.mode), "%s", mode);
	g_env.up = true;
	return true;
fail:
	fprintf(stderr, "udma-bench: setup in mode '%s': %s failed (errno %d: %s)\n",
		mode[0] ? mode : "as given", what, errno, strerror(errno));
	for (int i = 0; i < NCHUNK; i++)
		if (g_env.coh[i])
			udma_free_coherent(g_env.dev, CHUNK, g_env.coh[i], g_env.coh_h[i]);
	free(g_env.foreign);
	udma_device_destroy(g_env.dev);
	udma_eal_cleanup();
	memset(&g_env, 0, sizeof(g_env));
	return false;
}

/* every benchmark starts here: the EAL in its mode, or the run is skipped */
static bool env_for(ubench_state *s, const char *mode)
{
	if (env_up(mode))
		return true;
	ubench_skip_with_error(s, "udma_eal_init failed in this mode");
	return false;
}

/* ---- pool ---------------------------------------------------------------- */

static struct udma_pool *pool_warm(ubench_state *s, size_t size)
{
	struct udma_pool *p = udma_pool_create("bench", g_env.dev, size, 0, 0);
	void *v[256];

	if (p == NULL || udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, NULL, 256) != 0) {
		ubench_skip_with_error(s, "udma_pool_create/alloc_bulk failed");
		udma_pool_destroy(p);
		return NULL;
	}
	udma_pool_free_bulk(p, v, NULL, 256); /* the lcore cache holds blocks now */
	return p;
}

/* alloc+free of one block, warm lcore cache (dma-perf P1) */
static void bm_pool_pair(ubench_state *s, void *arg)
{
	size_t size = (size_t)ubench_range(s, 0);
	struct udma_pool *p;
	udma_addr_t h;

	(void)arg;
	if (!env_for(s, NULL) || (p = pool_warm(s, size)) == NULL)
		return;
	UBENCH_LOOP(s) {
		void *b = udma_pool_alloc(p, UDMA_GFP_ATOMIC, &h);

		ubench_do_not_optimize(b);
		udma_pool_free(p, b, h);
	}
	ubench_set_items_processed(s, ubench_iterations(s));
	udma_pool_destroy(p);
}

/* alloc_bulk+free_bulk of n blocks (dma-perf P2); items are blocks */
static void bm_pool_bulk(ubench_state *s, void *arg)
{
	size_t size = (size_t)ubench_range(s, 0);
	unsigned int n = (unsigned int)ubench_range(s, 1);
	void *v[256];
	udma_addr_t h[256];
	struct udma_pool *p;

	(void)arg;
	if (!env_for(s, NULL) || (p = pool_warm(s, size)) == NULL)
		return;
	UBENCH_LOOP(s) {
		if (udma_pool_alloc_bulk(p, UDMA_GFP_ATOMIC, v, h, n) != 0) {
			ubench_skip_with_error(s, "udma_pool_alloc_bulk failed");
			break;
		}
		udma_pool_free_bulk(p, v, h, n);
	}
	ubench_set_items_processed(s, ubench_iterations(s) * n);
	ubench_set_bytes_processed(s, ubench_iterations(s) * n * (int64_t)size);
	udma_pool_destroy(p);
}

/* ---- streaming maps -------------------------------------------------------- */

/* map_single+unmap_single of memseg memory (P6 in pa/va, P7 in sim); arg: the mode */
static void bm_map(ubench_state *s, void *arg)
{
	size_t len = (size_t)ubench_range(s, 0);

	if (!env_for(s, arg))
		return;
	UBENCH_LOOP(s) {
		udma_addr_t a = udma_map_single(g_env.dev, g_env.coh[0] + 64, len, UDMA_TO_DEVICE);

		ubench_do_not_optimize(a);
		udma_unmap_single(g_env.dev, a, len, UDMA_TO_DEVICE);
	}
	ubench_set_items_processed(s, ubench_iterations(s));
	ubench_set_bytes_processed(s, ubench_iterations(s) * (int64_t)len);
}

/* map_sg+unmap_sg of n scattered 4 KiB pages, nothing merges (P8); items are entries */
static void bm_map_sg(ubench_state *s, void *arg)
{
	int n = (int)ubench_range(s, 0);
	struct udma_sg sg[256];

	(void)arg;
	if (!env_for(s, NULL))
		return;
	udma_sg_init_table(sg, (unsigned int)n);
	for (int i = 0; i < n; i++)
		udma_sg_set_buf(&sg[i], CHUNK_AT((size_t)i * 8192), 4096);
	UBENCH_LOOP(s) {
		if (udma_map_sg(g_env.dev, sg, n, UDMA_TO_DEVICE) == 0) {
			ubench_skip_with_error(s, "udma_map_sg failed");
			break;
		}
		udma_unmap_sg(g_env.dev, sg, n, UDMA_TO_DEVICE);
	}
	ubench_set_items_processed(s, ubench_iterations(s) * n);
	ubench_set_bytes_processed(s, ubench_iterations(s) * n * 4096);
}

/* a receive through a bounce buffer: map, the device writes, sync_for_cpu, unmap (P10 rx) */
static void bm_bounce_rx(ubench_state *s, void *arg)
{
	size_t len = (size_t)ubench_range(s, 0);

	(void)arg;
	if (!env_for(s, NULL))
		return;
	UBENCH_LOOP(s) {
		udma_addr_t a = udma_map_single(g_env.dev, g_env.foreign, len, UDMA_FROM_DEVICE);

		if (udma_mapping_error(g_env.dev, a)) {
			ubench_skip_with_error(s, "bounce mapping failed");
			break;
		}
		udma_sync_single_for_cpu(g_env.dev, a, len, UDMA_FROM_DEVICE);
		udma_unmap_single(g_env.dev, a, len, UDMA_FROM_DEVICE);
	}
	ubench_set_items_processed(s, ubench_iterations(s));
	ubench_set_bytes_processed(s, ubench_iterations(s) * (int64_t)len);
}

/* a transmit through a bounce buffer: map (one copy), unmap (P10 tx) */
static void bm_bounce_tx(ubench_state *s, void *arg)
{
	size_t len = (size_t)ubench_range(s, 0);

	(void)arg;
	if (!env_for(s, NULL))
		return;
	UBENCH_LOOP(s) {
		udma_addr_t a = udma_map_single(g_env.dev, g_env.foreign, len, UDMA_TO_DEVICE);

		if (udma_mapping_error(g_env.dev, a)) {
			ubench_skip_with_error(s, "bounce mapping failed");
			break;
		}
		udma_unmap_single(g_env.dev, a, len, UDMA_TO_DEVICE);
	}
	ubench_set_items_processed(s, ubench_iterations(s));
	ubench_set_bytes_processed(s, ubench_iterations(s) * (int64_t)len);
}

/* ---- coherent memory and translation -------------------------------------- */

/* alloc_coherent+free_coherent (zeroed memory, P9) */
static void bm_coherent(ubench_state *s, void *arg)
{
	size_t len = (size_t)ubench_range(s, 0);
	udma_addr_t h;

	(void)arg;
	if (!env_for(s, NULL))
		return;
	UBENCH_LOOP(s) {
		void *p = udma_alloc_coherent(g_env.dev, len, &h, UDMA_GFP_ATOMIC);

		if (p == NULL) {
			ubench_skip_with_error(s, "udma_alloc_coherent failed");
			break;
		}
		udma_free_coherent(g_env.dev, len, p, h);
	}
	ubench_set_items_processed(s, ubench_iterations(s));
	ubench_set_bytes_processed(s, ubench_iterations(s) * (int64_t)len);
}

/* udma_virt2iova over 1 MiB of memseg memory (P5) */
static void bm_virt2iova(ubench_state *s, void *arg)
{
	const uint8_t *base;
	size_t off = 0;

	(void)arg;
	if (!env_for(s, NULL))
		return;
	base = g_env.coh[0]; /* in a register: the loop is the translation and the walk */
	UBENCH_LOOP(s) {
		udma_addr_t a = udma_virt2iova(base + off);

		ubench_do_not_optimize(a);
		off = (off + 4160) & (CHUNK - 1);
	}
	ubench_set_items_processed(s, ubench_iterations(s));
}

/* ---- registration --------------------------------------------------------- */

static const char *const k_size[] = {"size"};
static const char *const k_size_n[] = {"size", "n"};
static const char *const k_nents[] = {"nents"};

/* the modes map+unmap runs in: those that initialise here */
static bool mode_works(const char *mode)
{
	bool ok = env_up(mode);

	env_down();
	return ok;
}

static void register_all(void)
{
	static const char *const modes[] = {"pa", "va", "sim"};
	ubench *b;

	b = ubench_register("pool/pair", bm_pool_pair, NULL);
	ubench_arg_names(ubench_range_args(ubench_range_multiplier(b, 4), 16, 4096), k_size, 1);

	b = ubench_register("pool/bulk", bm_pool_bulk, NULL);
	ubench_range_multiplier(b, 4);
	ubench_arg_names(ubench_ranges2(b, 64, 64, 1, 256), k_size_n, 2);
	ubench_arg_names(ubench_ranges2(ubench_register("pool/bulk", bm_pool_bulk, NULL), 16, 4096,
					32, 32), k_size_n, 2);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char name[32];

		if (!mode_works(modes[i])) {
			fprintf(stderr, "udma-bench: map/%s not registered: udma_eal_init fails in %s mode\n",
				modes[i], modes[i]);
			continue;
		}
		snprintf(name, sizeof(name), "map/%s", modes[i]);
		b = ubench_register(name, bm_map, (void *)modes[i]);
		ubench_arg_names(ubench_range_args(ubench_range_multiplier(b, 4), 64, 65536), k_size, 1);
	}

	b = ubench_register("map_sg", bm_map_sg, NULL);
	ubench_arg_names(ubench_range_args(ubench_range_multiplier(b, 4), 1, 256), k_nents, 1);

	b = ubench_register("bounce/rx", bm_bounce_rx, NULL);
	ubench_arg_names(ubench_range_args(ubench_range_multiplier(b, 4), 64, 65536), k_size, 1);
	b = ubench_register("bounce/tx", bm_bounce_tx, NULL);
	ubench_arg_names(ubench_range_args(ubench_range_multiplier(b, 4), 64, 65536), k_size, 1);

	b = ubench_register("coherent", bm_coherent, NULL);
	ubench_arg_names(ubench_range_args(ubench_range_multiplier(b, 16), 256, 1 << 20), k_size, 1);

	ubench_register("virt2iova", bm_virt2iova, NULL);
}

int main(int argc, char **argv)
{
	int gb_argc = argc;

	/* Google Benchmark's options before "--", udma's after */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			gb_argc = i;
			break;
		}
	g_base[g_nbase++] = argv[0];
	g_base[g_nbase++] = "--file-prefix=ubench";
	g_base[g_nbase++] = "--log-level=3";
	for (int i = gb_argc + 1; i < argc; i++) {
		if (g_nbase >= MAX_ARGS) {
			fprintf(stderr, "udma-bench: too many udma options\n");
			return 1;
		}
		g_base[g_nbase++] = argv[i];
	}
	argv[gb_argc] = NULL;
	if (ubench_init(&gb_argc, argv) != 0)
		return 1;
	/* the base options must work: a typo after "--" is an error, not empty results */
	if (!env_up(NULL)) {
		if (g_init_rc == -ECANCELED) /* "-- --help": udma printed its options */
			return 0;
		fprintf(stderr, "udma-bench: udma_eal_init with the options after -- failed\n");
		return 1;
	}
	env_down();
	register_all();
	ubench_run();
	env_down();
	ubench_shutdown();
	return 0;
}
