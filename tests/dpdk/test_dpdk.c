/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma inside a DPDK 22.11 application, one process: udma_dpdk_attach() makes an
 * rte_malloc buffer map at DPDK's IOVA without a bounce, the device model reads it
 * there, memory DPDK adds later is followed, lcore ids agree.
 * Usage: test_dpdk udma-first|dpdk-first pa|va|sim
 */
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_ring.h>
#include <sys/wait.h>

#include "test_common.h"
#include "udma_dpdk.h"

static const char *g_order, *g_mode;
static struct udma_device *g_dev;
static uintptr_t g_alone_base; /* DPDK's lowest memseg list VA in a process without udma */
#define DPDK_BASE_VA 0x100000000ULL /* DPDK's default --base-virtaddr on 64-bit Linux */

static bool is_sim(void)
{
	return strcmp(g_mode, "sim") == 0;
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
	char mode[32];
	char *uargv[] = {"test_dpdk", mode, "-m", "16", "--log-level=2", "--file-prefix=udmadpdk",
			 NULL};
	int uargc = (int)(sizeof(uargv) / sizeof(uargv[0])) - 1;

	(void)state;
	snprintf(mode, sizeof(mode), "--iova-mode=%s", g_mode);
	if (strcmp(g_order, "udma-first") == 0) {
		if (udma_eal_init(uargc, uargv) < 0)
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
		if (udma_dpdk_attach(uargc, uargv) != 0)
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
	/* detach refuses while a mapping of DPDK memory is live, stays attached */
	h = udma_map_single(g_dev, buf, 8192, UDMA_TO_DEVICE);
	assert_int_not_equal(h, UDMA_MAPPING_ERROR);
	assert_int_equal(udma_dpdk_detach(), -EBUSY);
	if (!is_sim())
		assert_int_equal(udma_virt2iova(buf), rte_malloc_virt2iova(buf));
	udma_unmap_single(g_dev, h, 8192, UDMA_TO_DEVICE);
	assert_int_equal(udma_dpdk_detach(), 0);
	assert_int_equal(udma_dpdk_nr_regions(), 0);
	{
		/* no pool is left: the mempool ops' default device went with detach */
		char *dump = NULL;
		size_t dlen = 0;
		FILE *f = open_memstream(&dump, &dlen);

		assert_non_null(f);
		udma_dump(f);
		fclose(f);
		assert_null(strstr(dump, "device udma_dpdk_mempool:"));
		free(dump);
	}
	assert_int_equal(udma_virt2iova(buf), UDMA_MAPPING_ERROR);
	{
		/* detached, DPDK memory is foreign again: a map of it bounces (the
		 * behaviour attach removes) */
		struct udma_swiotlb_stats s0, s1;

		assert_int_equal(udma_swiotlb_stats(&s0), 0);
		h = udma_map_single(g_dev, buf, 8192, UDMA_TO_DEVICE);
		assert_int_not_equal(h, UDMA_MAPPING_ERROR);
		assert_int_equal(udma_swiotlb_stats(&s1), 0);
		assert_int_equal(s1.bounces, s0.bounces + 1);
		udma_unmap_single(g_dev, h, 8192, UDMA_TO_DEVICE);
	}
	assert_int_equal(udma_dpdk_detach(), -ENOENT);
	assert_int_equal(udma_dpdk_attach(0, NULL), 0);
	map_check(buf, 0, 8192, 4);
	rte_free(buf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
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
