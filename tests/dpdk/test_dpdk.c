/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma inside a DPDK 22.11 application, one process: udma_dpdk_attach() makes an
 * rte_malloc buffer map at DPDK's IOVA without a bounce, the device model reads it
 * there, memory DPDK adds later is followed, lcore ids agree. When attach
 * initialises udma (dpdk-first) udma's heap is DPDK memzones: no hugepage file of
 * udma's, and detach gives every memzone back.
 * Usage: test_dpdk udma-first|dpdk-first pa|va|sim
 */
#include <inttypes.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_memzone.h>
#include <rte_ring.h>
#include <sys/wait.h>

#include "test_common.h"
#include "udma_dpdk.h"

static const char *g_order, *g_mode;
static struct udma_device *g_dev;
static char g_umode[32];
static char *g_uargv[] = {"test_dpdk", g_umode, "-m", "16", "--log-level=2",
			  "--file-prefix=udmadpdk", NULL};
#define UARGC ((int)(sizeof(g_uargv) / sizeof(g_uargv[0])) - 1)
/* DPDK before attach: memzones, bytes its malloc heaps hand out */
static unsigned int g_mz0;
static size_t g_dpdk_alloc0;
static uintptr_t g_alone_base; /* DPDK's lowest memseg list VA in a process without udma */
#define DPDK_BASE_VA 0x100000000ULL /* DPDK's default --base-virtaddr on 64-bit Linux */

static bool is_sim(void)
{
	return strcmp(g_mode, "sim") == 0;
}

static bool dpdk_first(void)
{
	return strcmp(g_order, "dpdk-first") == 0;
}

static void count_mz(const struct rte_memzone *mz, void *arg)
{
	unsigned int *n = arg;

	n[0]++;
	if (strncmp(mz->name, "udma_heap_", 10) == 0)
		n[1]++;
}

struct mz_iova {
	unsigned int n;
	rte_iova_t iova[64];
	size_t len[64];
};

static void collect_mz(const struct rte_memzone *mz, void *arg)
{
	struct mz_iova *z = arg;

	if (strncmp(mz->name, "udma_heap_", 10) == 0 && z->n < 64) {
		z->iova[z->n] = mz->iova;
		z->len[z->n++] = mz->len;
	}
}

/* all memzones, or (@heap) those of udma's heap */
static unsigned int memzones(bool heap)
{
	unsigned int n[2] = {0, 0};

	rte_memzone_walk(count_mz, n);
	return n[heap];
}

static size_t dpdk_alloc_bytes(void)
{
	struct rte_malloc_socket_stats st;
	size_t sum = 0;

	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

/* the MiB of udma's memsegs, from udma_dump() */
static size_t udma_mem_mib(void)
{
	char *dump = t_dump(), *p;
	size_t mib = 0;

	p = strstr(dump, "memsegs: ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "memsegs: %zu MiB", &mib), 1);
	free(dump);
	return mib;
}

/* /proc/self/maps: lines whose path contains @needle; @va: only the line holding it */
static unsigned int maps_lines(const char *needle, const void *va)
{
	char line[512];
	unsigned int n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) != 2)
			continue;
		if (va && ((uintptr_t)va < lo || (uintptr_t)va >= hi))
			continue;
		if (strstr(line, needle))
			n++;
	}
	fclose(f);
	return n;
}

/* DPDK's hugepage file names: <file-prefix>map_<n> */
static const char *dpdk_files(void)
{
	static char name[96];

	snprintf(name, sizeof(name), "udma_dpdk_%s_%s_%dmap_", g_order, g_mode, (int)getpid());
	return name;
}

static int dpdk_init_as(const char *who)
{
	char prefix[80], mode[32];
	char *argv[] = {"test_dpdk", "--no-pci", "--no-telemetry", "-l", "0", "-m", "64",
			prefix, mode, "--log-level=lib.eal:warning", NULL};

	snprintf(prefix, sizeof(prefix), "--file-prefix=udma_dpdk_%s_%s_%d", who, g_mode,
		 (int)getpid());
	snprintf(mode, sizeof(mode), "--iova-mode=%s", strcmp(g_mode, "pa") == 0 ? "pa" : "va");
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
}

static int dpdk_init(void)
{
	return dpdk_init_as(g_order);
}

static int lowest_msl(const struct rte_memseg_list *msl, void *arg)
{
	uintptr_t *lo = arg;

	if (!msl->external && msl->base_va != NULL && (uintptr_t)msl->base_va < *lo)
		*lo = (uintptr_t)msl->base_va;
	return 0;
}

/* the VA of DPDK's first memseg list (where its memory starts) */
static uintptr_t dpdk_base(void)
{
	uintptr_t lo = UINTPTR_MAX;

	rte_memseg_list_walk(lowest_msl, &lo);
	return lo;
}

/* DPDK alone, in a child: where it puts its memory with nothing else in the way */
static uintptr_t dpdk_alone_base(void)
{
	uintptr_t base = 0;
	int fd[2], status;
	pid_t pid;

	if (pipe(fd) != 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		if (dpdk_init_as("alone") >= 0) {
			base = dpdk_base();
			rte_eal_cleanup();
		}
		_exit(write(fd[1], &base, sizeof(base)) == (ssize_t)sizeof(base) ? 0 : 1);
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &base, sizeof(base)) != (ssize_t)sizeof(base))
		base = 0;
	close(fd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return base;
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(g_umode, sizeof(g_umode), "--iova-mode=%s", g_mode);
	if (strcmp(g_order, "udma-first") == 0) {
		if (udma_eal_init(UARGC, g_uargv) < 0)
			return -1;
		if (dpdk_init() < 0)
			return -1;
		if (udma_dpdk_attach(0, NULL) != 0)
			return -1;
	} else {
		if (dpdk_init() < 0)
			return -1;
		if (udma_eal_initialized())
			return -1;
		g_mz0 = memzones(false);
		g_dpdk_alloc0 = dpdk_alloc_bytes();
		if (udma_dpdk_attach(UARGC, g_uargv) != 0)
			return -1;
	}
	g_dev = udma_device_create("dpdk_nic", NULL, -1);
	if (g_dev == NULL || udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64)) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	udma_device_destroy(g_dev);
	udma_dpdk_detach();
	if (udma_eal_initialized()) /* udma-first: detach leaves udma running */
		udma_eal_cleanup();
	rte_eal_cleanup();
	return 0;
}

/* map @len bytes at @off of the rte_malloc buffer @base both ways; check what the
 * device sees (rte_malloc_virt2iova takes the start of an allocation only) */
static void map_check(uint8_t *base, size_t off, size_t len, unsigned int seed)
{
	uint8_t *buf = base + off;
	struct udma_swiotlb_stats s0, s1;
	uint8_t out[512];
	udma_addr_t h;

	t_fill(buf, len, seed);
	assert_int_equal(udma_swiotlb_stats(&s0), 0);
	h = udma_map_single(g_dev, buf, len, UDMA_BIDIRECTIONAL);
	assert_int_not_equal(h, UDMA_MAPPING_ERROR);
	if (!is_sim()) {
		/* DPDK's IOVA, the one udma_virt2iova gives too */
		rte_iova_t iova = rte_mem_virt2iova(buf); /* DPDK's own translation */

		if (off == 0)
			assert_int_equal(iova, rte_malloc_virt2iova(base));

		assert_int_equal(h, iova);
		assert_int_equal(udma_virt2iova(buf), iova);
		assert_int_equal(udma_virt2iova(buf + len - 1), iova + len - 1);
		assert_int_equal(rte_mem_virt2iova(buf + len - 1), iova + len - 1);
	}
	assert_int_equal(udma_swiotlb_stats(&s1), 0);
	assert_int_equal(s1.bounces, s0.bounces); /* not bounced */
	assert_int_equal(s1.used, s0.used);
	/* the device reads the buffer's bytes at h and its writes land in the buffer */
	assert_int_equal(udma_sim_dma_read(g_dev, h + len - sizeof(out), out, sizeof(out)), 0);
	assert_memory_equal(out, buf + len - sizeof(out), sizeof(out));
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(udma_sim_dma_write(g_dev, h, out, sizeof(out)), 0);
	udma_unmap_single(g_dev, h, len, UDMA_BIDIRECTIONAL);
	assert_memory_equal(buf, out, sizeof(out));
}

static void test_rte_malloc_map(void **state)
{
	uint8_t *buf = rte_malloc("udma_test", 256 * 1024, 4096);

	(void)state;
	assert_non_null(buf);
	assert_true(udma_dpdk_nr_regions() > 0);
	map_check(buf, 0, 256 * 1024, 1);
	map_check(buf, 100, 3000, 2); /* unaligned, inside one page */
	rte_free(buf);
}

/* udma memory at @va, @dev's handle @h: the device model sees its bytes at @h both ways;
 * dpdk-first, the page is DPDK's (its hugepage file, and DPDK's view of the IOVA) */
static void heap_check(struct udma_device *dev, uint8_t *va, udma_addr_t h, size_t len,
		       unsigned int seed)
{
	t_device_sees(dev, va, h, len, seed);
	if (dpdk_first()) {
		assert_int_equal(maps_lines(dpdk_files(), va), 1);
		if (!is_sim()) {
			/* the same page at DPDK's VA for the same IOVA */
			uint8_t *d = rte_mem_iova2virt(h);

			assert_non_null(d);
			assert_ptr_not_equal(d, va);
			assert_memory_equal(d, va, len);
		}
	} else {
		assert_int_equal(maps_lines("/udmadpdk.", va), 1);
	}
}

/* dpdk-first: udma's heap (coherent memory, pools, the swiotlb) is DPDK memzones,
 * no hugepage file of udma's own; udma-first keeps its own */
static void test_heap(void **state)
{
	struct udma_device *d32;
	struct udma_pool *pool;
	udma_addr_t h;
	uint8_t *va, *buf;

	(void)state;
	if (dpdk_first()) {
		assert_true(memzones(true) > 0);
		assert_true(dpdk_alloc_bytes() - g_dpdk_alloc0 >= udma_mem_mib() << 20);
		assert_int_equal(maps_lines("/udmadpdk.", NULL), 0);
	} else {
		assert_int_equal(memzones(true), 0);
		assert_true(maps_lines("/udmadpdk.", NULL) > 0);
	}
	/* coherent memory, also past what init took (more chunks) */
	va = udma_alloc_coherent(g_dev, 65536, &h, UDMA_GFP_KERNEL);
	assert_non_null(va);
	heap_check(g_dev, va, h, 65536, 1);
	udma_free_coherent(g_dev, 65536, va, h);
	{
		size_t n = udma_mem_mib() + 4, mz = memzones(true);
		uint8_t **v = calloc(n, sizeof(*v));
		udma_addr_t *hv = calloc(n, sizeof(*hv));

		assert_true(v && hv);
		for (size_t i = 0; i < n; i++) {
			v[i] = udma_alloc_coherent(g_dev, 1 << 20, &hv[i], UDMA_GFP_KERNEL);
			assert_non_null(v[i]);
			heap_check(g_dev, v[i], hv[i], 1 << 20, 10 + (unsigned int)i);
		}
		if (dpdk_first())
			assert_true(memzones(true) > mz); /* grown from DPDK */
		if (dpdk_first() && !is_sim()) {
			/* DPDK memory right around udma's memzones (in the IOVA range of a
			 * DPDK registration that holds the memzone too): the device finds it */
			struct mz_iova zones = {0};
			unsigned int checked = 0;

			rte_memzone_walk(collect_mz, &zones);
			assert_true(zones.n > 0);
			for (unsigned int i = 0; i < zones.n; i++) {
				rte_iova_t around[2] = {zones.iova[i] + zones.len[i], zones.iova[i] - 4096};

				for (unsigned int k = 0; k < 2; k++) {
					uint8_t *d = rte_mem_iova2virt(around[k]);
					uint8_t out[64];

					if (d == NULL || rte_mem_virt2memseg(d, NULL) == NULL)
						continue; /* no DPDK memory there */
					assert_int_equal(udma_sim_dma_read(g_dev, around[k], out,
									   sizeof(out)), 0);
					assert_memory_equal(out, d, sizeof(out));
					checked++;
				}
			}
			assert_true(checked > 0);
			heap_check(g_dev, v[n - 1], hv[n - 1], 1 << 20, 30);
		}
		for (size_t i = 0; i < n; i++)
			udma_free_coherent(g_dev, 1 << 20, v[i], hv[i]);
		free(v);
		free(hv);
	}
	/* a pool */
	pool = udma_pool_create("dpdk_heap", g_dev, 256, 64, 0);
	assert_non_null(pool);
	va = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &h);
	assert_non_null(va);
	heap_check(g_dev, va, h, 256, 3);
	udma_pool_free(pool, va, h);
	udma_pool_destroy(pool);
	/* a bounce: malloc memory is foreign to both, its slot is in udma's heap */
	buf = malloc(8192);
	assert_non_null(buf);
	t_fill(buf, 8192, 4);
	h = t_map_bounced(g_dev, buf, 8192, UDMA_BIDIRECTIONAL);
	{
		uint8_t out[512];

		assert_int_equal(udma_sim_dma_read(g_dev, h + 1024, out, sizeof(out)), 0);
		assert_memory_equal(out, buf + 1024, sizeof(out));
		if (dpdk_first() && !is_sim()) {
			uint8_t *d = rte_mem_iova2virt(h); /* the slot is DPDK memory */

			assert_non_null(d);
			assert_memory_equal(d, buf, 8192);
		}
		t_fill(out, sizeof(out), 5);
		assert_int_equal(udma_sim_dma_write(g_dev, h + 4096, out, sizeof(out)), 0);
		udma_unmap_single(g_dev, h, 8192, UDMA_BIDIRECTIONAL);
		assert_memory_equal(buf + 4096, out, sizeof(out));
	}
	free(buf);
	/* under a 32-bit mask: DPDK memory that fits, or ENOMEM (in va mode DPDK's
	 * IOVAs are its VAs, above 4 GiB) */
	d32 = udma_device_create("dpdk_d32", NULL, -1);
	assert_non_null(d32);
	if (udma_set_mask_and_coherent(d32, UDMA_BIT_MASK(32)) != 0) {
		/* no memory below the mask at all: refused at the mask (documented -EIO) */
		assert_int_equal(udma_supported(d32, UDMA_BIT_MASK(32)), 0);
		assert_int_equal(udma_set_mask_and_coherent(d32, UDMA_BIT_MASK(32)), -EIO);
	} else {
		errno = 0;
		va = udma_alloc_coherent(d32, 4096, &h, UDMA_GFP_KERNEL);
		if (va != NULL) {
			assert_true(h + 4095 <= UDMA_BIT_MASK(32));
			heap_check(d32, va, h, 4096, 6);
			udma_free_coherent(d32, 4096, va, h);
		} else {
			assert_int_equal(errno, ENOMEM);
		}
	}
	udma_device_destroy(d32);
}

/* memory DPDK adds after attach (beyond -m 64) is registered by the event callback,
 * and dropped when DPDK frees it */
static void test_mem_event(void **state)
{
	unsigned int n0 = udma_dpdk_nr_regions();
	size_t len = 80UL << 20;
	uint8_t *big = rte_malloc("udma_big", len, 4096);

	(void)state;
	assert_non_null(big);
	assert_true(udma_dpdk_nr_regions() > n0); /* the alloc event registered it */
	if (!is_sim())
		assert_int_equal(udma_virt2iova(big + len - 64), rte_mem_virt2iova(big + len - 64));
	/* within one hugepage: IOVA-contiguous in pa mode too */
	map_check(big, (((uintptr_t)big + len / 2 + (2UL << 20) - 1) & ~((2UL << 20) - 1)) -
			       (uintptr_t)big, 8192, 3);
	rte_free(big);
	/* DPDK gives the pages beyond -m back (dynamic memory): the free event dropped
	 * their registrations, udma no longer translates them */
	assert_int_equal(udma_dpdk_nr_regions(), n0);
	assert_int_equal(udma_virt2iova(big + len - 64), UDMA_MAPPING_ERROR);
}

/* mbufs from mempool ops "udma" live in udma memory; DPDK and udma agree on their IOVAs */
static void test_mempool(void **state)
{
	enum { N = 1023 };
	struct udma_device *pdev = udma_dpdk_mempool_device();
	struct rte_mbuf **m = calloc(N, sizeof(*m));
	struct rte_mempool *mp;
	uint8_t out[128];

	(void)state;
	assert_non_null(pdev);
	assert_non_null(m);
	{
		/* a pool whose ring cannot be made (the name is taken) fails, and keeps
		 * no hold on the default device: detach releases it (test_misuse) */
		struct rte_ring *taken = rte_ring_create("U_udma_taken", 64, SOCKET_ID_ANY, 0);

		assert_non_null(taken);
		assert_null(rte_pktmbuf_pool_create_by_ops("udma_taken", 63, 0, 0,
							   RTE_MBUF_DEFAULT_BUF_SIZE,
							   SOCKET_ID_ANY, "udma"));
		rte_ring_free(taken);
	}
	mp = rte_pktmbuf_pool_create_by_ops("udma_mbufs", N, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					    SOCKET_ID_ANY, "udma");
	assert_non_null(mp);
	assert_string_equal(rte_mempool_get_ops(mp->ops_index)->name, "udma");
	assert_int_equal(rte_mempool_avail_count(mp), N);
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, m, N), 0);
	for (unsigned int i = 0; i < N; i++) {
		uint8_t *d = rte_pktmbuf_mtod(m[i], uint8_t *);

		/* udma memory (a memseg of udma's), not DPDK's */
		assert_null(rte_mem_virt2memseg(d, NULL));
		assert_int_equal(rte_mbuf_data_iova(m[i]), udma_virt2iova(d));
		assert_int_equal(rte_mempool_virt2iova(m[i]), udma_virt2iova(m[i]));
		if (i % 97 == 0) {
			/* what the device sees at the mbuf's IOVA is the mbuf's data */
			t_fill(d, sizeof(out), i);
			assert_int_equal(udma_sim_dma_read(pdev, rte_mbuf_data_iova(m[i]), out,
							   sizeof(out)), 0);
			assert_true(t_check(out, sizeof(out), i));
			t_fill(out, sizeof(out), i + 1);
			assert_int_equal(udma_sim_dma_write(pdev, rte_mbuf_data_iova(m[i]) + 64,
							    out, sizeof(out)), 0);
			assert_memory_equal(d + 64, out, sizeof(out));
		}
	}
	assert_int_equal(rte_mempool_avail_count(mp), 0);
	if (!is_sim()) {
		/* a streaming map of an mbuf by another device: the same IOVA, no bounce */
		struct udma_swiotlb_stats s0, s1;
		udma_addr_t h;

		assert_int_equal(udma_swiotlb_stats(&s0), 0);
		h = udma_map_single(g_dev, rte_pktmbuf_mtod(m[5], void *), 1500, UDMA_TO_DEVICE);
		assert_int_equal(h, rte_mbuf_data_iova(m[5]));
		udma_unmap_single(g_dev, h, 1500, UDMA_TO_DEVICE);
		assert_int_equal(udma_swiotlb_stats(&s1), 0);
		assert_int_equal(s1.bounces, s0.bounces);
	}
	for (unsigned int i = 0; i < N; i++)
		rte_pktmbuf_free(m[i]);
	assert_int_equal(rte_mempool_avail_count(mp), N);
	rte_mempool_free(mp);
	free(m);
}

/*
 * Either order, DPDK's memory is where DPDK puts it alone (its base-virtaddr,
 * 0x100000000 by default): udma reserves only the VA its memory takes, so a DPDK
 * secondary process can map the primary's memory. udma's memory is outside DPDK's
 * memseg lists, DPDK's is foreign to udma's memsegs.
 */
static void test_placement(void **state)
{
	size_t len = 2UL << 20;
	uintptr_t base = dpdk_base();
	uint8_t *u, *d = rte_malloc("udma_place", 4096, 4096);
	udma_addr_t h;

	(void)state;
	assert_int_not_equal(g_alone_base, 0);
	if (g_alone_base - DPDK_BASE_VA < (1ULL << 40)) {
		if (base != g_alone_base)
			fail_msg("DPDK's memory at %#lx, alone at %#lx: udma (%s) moved it",
				 (unsigned long)base, (unsigned long)g_alone_base, g_order);
	} else {
		/* ASan's shadow covers DPDK's base even alone: the kernel places it */
		printf("DPDK alone could not use its base-virtaddr (%#lx): placement not "
		       "compared\n", (unsigned long)g_alone_base);
	}
	u = udma_alloc_coherent(g_dev, len, &h, UDMA_GFP_KERNEL);
	assert_non_null(u);
	assert_null(rte_mem_virt2memseg_list(u));
	assert_null(rte_mem_virt2memseg_list(u + len - 1));
	assert_non_null(d);
	assert_non_null(rte_mem_virt2memseg_list(d));
	if (strcmp(g_order, "udma-first") == 0 && (uintptr_t)u < base)
		assert_true((uintptr_t)u + len <= base); /* below DPDK's, not across it */
	udma_free_coherent(g_dev, len, u, h);
	rte_free(d);
}

static void test_lcore(void **state)
{
	(void)state;
	assert_int_equal(udma_lcore_id(), rte_lcore_id());
	assert_int_equal(udma_dpdk_thread_attach(), (int)rte_lcore_id());
}

/* misuse: one line, -errno, attachment intact */
static void test_misuse(void **state)
{
	uint8_t *buf = rte_malloc("udma_test", 8192, 4096);
	struct t_log log;
	udma_addr_t h;
	char *text;

	(void)state;
	t_log_begin(&log);
	assert_int_equal(udma_dpdk_attach(-1, NULL), -EINVAL);
	assert_int_equal(udma_dpdk_attach(1, NULL), -EINVAL);
	assert_int_equal(udma_dpdk_attach(0, NULL), -EALREADY);
	/* DPDK memory cannot be registered a second time */
	assert_int_equal(udma_mem_register(buf, 8192), -EBUSY);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "\n"), 4);
	free(text);
	if (dpdk_first()) {
		/* detach ends the udma attach initialised: refused while udma memory is
		 * held, with one line */
		udma_addr_t hc;
		void *c = udma_alloc_coherent(g_dev, 4096, &hc, UDMA_GFP_KERNEL);

		assert_non_null(c);
		t_log_begin(&log);
		assert_int_equal(udma_dpdk_detach(), -EBUSY);
		text = t_log_end(&log);
		assert_int_equal(t_count(text, "\n"), 1);
		assert_non_null(strstr(text, "in use"));
		free(text);
		assert_true(udma_eal_initialized());
		udma_free_coherent(g_dev, 4096, c, hc);
	}
	/* detach refuses while a mapping of DPDK memory is live, stays attached */
	h = udma_map_single(g_dev, buf, 8192, UDMA_TO_DEVICE);
	assert_int_not_equal(h, UDMA_MAPPING_ERROR);
	assert_int_equal(udma_dpdk_detach(), -EBUSY);
	if (!is_sim())
		assert_int_equal(udma_virt2iova(buf), rte_malloc_virt2iova(buf));
	udma_unmap_single(g_dev, h, 8192, UDMA_TO_DEVICE);
	if (dpdk_first()) {
		size_t before = dpdk_alloc_bytes(), mem = udma_mem_mib() << 20;

		assert_int_equal(udma_dpdk_detach(), 0);
		/* udma ended: every memzone of its heap back to DPDK */
		assert_false(udma_eal_initialized());
		assert_int_equal(memzones(true), 0);
		assert_int_equal(memzones(false), g_mz0);
		assert_true(before - dpdk_alloc_bytes() >= mem);
		assert_int_equal(udma_dpdk_nr_regions(), 0);
		assert_int_equal(udma_dpdk_detach(), -ENOENT);
		/* attach again: udma on new memzones */
		assert_int_equal(udma_dpdk_attach(UARGC, g_uargv), 0);
		assert_true(memzones(true) > 0);
		g_dev = udma_device_create("dpdk_nic", NULL, -1);
		assert_non_null(g_dev);
		assert_int_equal(udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64)), 0);
		map_check(buf, 0, 8192, 4);
		rte_free(buf);
		return;
	}
	assert_int_equal(udma_dpdk_detach(), 0);
	assert_int_equal(udma_dpdk_nr_regions(), 0);
	{
		/* no pool is left: the mempool ops' default device went with detach */
		char *dump = t_dump();

		assert_null(strstr(dump, "device udma_dpdk_mempool:"));
		free(dump);
	}
	assert_int_equal(udma_virt2iova(buf), UDMA_MAPPING_ERROR);
	/* detached, DPDK memory is foreign again: a map of it bounces (the behaviour
	 * attach removes) */
	h = t_map_bounced(g_dev, buf, 8192, UDMA_TO_DEVICE);
	udma_unmap_single(g_dev, h, 8192, UDMA_TO_DEVICE);
	assert_int_equal(udma_dpdk_detach(), -ENOENT);
	assert_int_equal(udma_dpdk_attach(0, NULL), 0);
	map_check(buf, 0, 8192, 4);
	rte_free(buf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap),
		cmocka_unit_test(test_rte_malloc_map),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_mem_event),
		cmocka_unit_test(test_mempool),
		cmocka_unit_test(test_lcore),
		cmocka_unit_test(test_misuse),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s udma-first|dpdk-first pa|va|sim\n", argv[0]);
		return 2;
	}
	g_order = argv[1];
	g_mode = argv[2];
	if (strcmp(g_mode, "pa") == 0 && !t_pa_possible()) {
		fprintf(stderr, "pa mode needs root and free hugepages: skipped\n");
		return 77;
	}
	g_alone_base = dpdk_alone_base(); /* before either library runs here */
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
