/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma-debug: each misuse class gives exactly one report, the failing call behaves
 * as without debug, and other mappings are unaffected.
 */
#include "test_common.h"

static struct udma_device *g_dev;
static uint8_t *g_coh;
static udma_addr_t g_coh_h;
static udma_addr_t g_witness; /* a mapping that must survive every misuse */

static int setup(void **s)
{
	(void)s;
	if (t_init_args("--iova-mode=sim", "-m", "16", "--dma-debug", "--log-level=2", NULL) < 0)
		return -1;
	g_dev = t_dev64("dbgdev");
	g_coh = udma_alloc_coherent(g_dev, 65536, &g_coh_h, UDMA_GFP_KERNEL);
	t_fill(g_coh + 60000, 64, 9);
	g_witness = udma_map_single(g_dev, g_coh + 60000, 64, UDMA_TO_DEVICE);
	return udma_mapping_error(g_dev, g_witness);
}

static int teardown(void **s)
{
	uint8_t back[64];

	(void)s;
	/* the witness mapping is intact */
	if (udma_sim_dma_read(g_dev, g_witness, back, 64) != 0 || !t_check(back, 64, 9))
		return -1;
	udma_unmap_single(g_dev, g_witness, 64, UDMA_TO_DEVICE);
	udma_free_coherent(g_dev, 65536, g_coh, g_coh_h);
	udma_device_destroy(g_dev);
	return udma_eal_cleanup();
}

/* run @what and assert it produced exactly @n reports mentioning @needle */
#define EXPECT(n, needle, what)                                                                \
	do {                                                                                   \
		unsigned long e0 = udma_debug_error_count();                                   \
		struct t_log log;                                                              \
		char *text;                                                                    \
		t_log_begin(&log);                                                             \
		what;                                                                          \
		text = t_log_end(&log);                                                        \
		assert_int_equal(udma_debug_error_count() - e0, n);                            \
		assert_int_equal(t_count(text, "DMA-API"), n);                                 \
		if (n)                                                                         \
			assert_non_null(strstr(text, needle));                                 \
		if (n)                                                                         \
			assert_non_null(strstr(text, "dbgdev"));                               \
		free(text);                                                                    \
	} while (0)

static udma_addr_t map_checked(void *p, size_t n, enum udma_data_direction dir)
{
	udma_addr_t a = udma_map_single(g_dev, p, n, dir);

	assert_false(udma_mapping_error(g_dev, a));
	return a;
}

static void test_clean_use_reports_nothing(void **s)
{
	udma_addr_t a;

	(void)s;
	assert_int_equal(udma_debug_enabled(), 1);
	EXPECT(0, "", {
		a = map_checked(g_coh, 128, UDMA_BIDIRECTIONAL);
		udma_sync_single_for_cpu(g_dev, a, 128, UDMA_BIDIRECTIONAL);
		udma_sync_single_for_device(g_dev, a, 128, UDMA_BIDIRECTIONAL);
		udma_unmap_single(g_dev, a, 128, UDMA_BIDIRECTIONAL);
	});
}

static void test_never_mapped(void **s)
{
	(void)s;
	EXPECT(1, "never mapped", udma_unmap_single(g_dev, 0x1234000, 64, UDMA_TO_DEVICE));
}

static void test_double_unmap(void **s)
{
	udma_addr_t a = map_checked(g_coh, 64, UDMA_TO_DEVICE);

	(void)s;
	udma_unmap_single(g_dev, a, 64, UDMA_TO_DEVICE);
	EXPECT(1, "already unmapped", udma_unmap_single(g_dev, a, 64, UDMA_TO_DEVICE));
}

static void test_size_mismatch(void **s)
{
	udma_addr_t a = map_checked(g_coh, 100, UDMA_TO_DEVICE);

	(void)s;
	EXPECT(1, "size", udma_unmap_single(g_dev, a, 200, UDMA_TO_DEVICE));
}

static void test_dir_mismatch(void **s)
{
	udma_addr_t a = map_checked(g_coh, 64, UDMA_TO_DEVICE);

	(void)s;
	EXPECT(1, "FROM_DEVICE", udma_unmap_single(g_dev, a, 64, UDMA_FROM_DEVICE));
}

static void test_wrong_free_function(void **s)
{
	udma_addr_t h;
	void *p = udma_alloc_coherent(g_dev, 4096, &h, UDMA_GFP_KERNEL);
	udma_addr_t a = map_checked(g_coh, 64, UDMA_TO_DEVICE);

	(void)s;
	EXPECT(1, "wrong free function", udma_unmap_single(g_dev, h, 4096, UDMA_TO_DEVICE));
	EXPECT(1, "matching call", udma_unmap_page(g_dev, a, 64, UDMA_TO_DEVICE));
	udma_free_coherent(g_dev, 4096, p, h); /* its entry went with the misuse */
}

static void test_sync_outside_or_wrong_dir(void **s)
{
	udma_addr_t a = map_checked(g_coh, 256, UDMA_TO_DEVICE);

	(void)s;
	EXPECT(1, "not inside", udma_sync_single_for_cpu(g_dev, 0x777000, 64, UDMA_TO_DEVICE));
	EXPECT(1, "synced FROM_DEVICE", udma_sync_single_for_cpu(g_dev, a, 64, UDMA_FROM_DEVICE));
	EXPECT(1, "runs past", udma_sync_single_range_for_device(g_dev, a, 200, 100,
								     UDMA_TO_DEVICE));
	udma_unmap_single(g_dev, a, 256, UDMA_TO_DEVICE);
}

static void test_unchecked_mapping(void **s)
{
	udma_addr_t a = udma_map_single(g_dev, g_coh, 64, UDMA_TO_DEVICE);

	(void)s;
	EXPECT(1, "never checked", udma_unmap_single(g_dev, a, 64, UDMA_TO_DEVICE));
}

static void test_sg_nents_mismatch(void **s)
{
	struct udma_sg sg[3];
	int count;

	(void)s;
	udma_sg_init_table(sg, 3);
	for (int i = 0; i < 3; i++)
		udma_sg_set_buf(&sg[i], g_coh + i * 8192, 512);
	count = udma_map_sg(g_dev, sg, 3, UDMA_TO_DEVICE);
	assert_true(count > 0);
	EXPECT(1, "nents", udma_unmap_sg(g_dev, sg, count == 3 ? 2 : count, UDMA_TO_DEVICE));
	if (count == 3)
		udma_unmap_single(g_dev, sg[2].map_iova, 512, UDMA_TO_DEVICE);
}

static void test_shared_cacheline(void **s)
{
	udma_addr_t a = map_checked(g_coh + 8192, 100, UDMA_FROM_DEVICE), b;

	(void)s;
	EXPECT(1, "cache line", b = map_checked(g_coh + 8192 + 100, 100, UDMA_FROM_DEVICE));
	udma_unmap_single(g_dev, b, 100, UDMA_FROM_DEVICE);
	udma_unmap_single(g_dev, a, 100, UDMA_FROM_DEVICE);
}

static void test_pool_misuse(void **s)
{
	struct udma_pool *p = udma_pool_create("dbgpool", g_dev, 64, 64, 0);
	udma_addr_t h;
	void *b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h);
	int stack;

	(void)s;
	udma_pool_free(p, b, h);
	EXPECT(1, "double free", udma_pool_free(p, b, h));
	EXPECT(1, "not allocated from this pool", udma_pool_free(p, &stack, 0));
	b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h);
	EXPECT(1, "still in use", udma_pool_destroy(p));
}

static void test_leak_at_destroy(void **s)
{
	struct udma_device *d = t_dev64("dbgdev2");
	udma_addr_t h;
	void *p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);

	(void)s;
	udma_addr_t mine = map_checked(g_coh, 64, UDMA_TO_DEVICE); /* g_dev's: not d's leak */
	udma_addr_t a = udma_map_single(d, p, 64, UDMA_TO_DEVICE);

	udma_mapping_error(d, a);
	assert_int_equal(udma_device_try_destroy(d), -EBUSY); /* the allocation: refused */
	udma_free_coherent(d, 4096, p, h);
	EXPECT(1, "leak", udma_device_destroy(d)); /* the mapping */
	udma_unmap_single(g_dev, mine, 64, UDMA_TO_DEVICE);
}

static void test_rate_limit_and_dump(void **s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)s;
	f = open_memstream(&text, &len);
	udma_debug_dump(f);
	fclose(f);
	assert_non_null(strstr(text, "dma-debug: on"));
	assert_non_null(strstr(text, "map_single"));
	free(text);
	assert_int_equal(udma_eal_cleanup(), 0);
	/* with a limit of 2, reports past the second are counted but not printed */
	assert_true(t_init_args("--iova-mode=sim", "-m", "8", "--dma-debug", "--dma-debug-limit=2",
				"--log-level=2", NULL) >= 0);
	struct udma_device *d = t_dev64("dbgdev");
	struct t_log log;

	t_log_begin(&log);
	for (int i = 0; i < 5; i++)
		udma_unmap_single(d, 0x1000 * (i + 1), 64, UDMA_TO_DEVICE);
	text = t_log_end(&log);
	assert_int_equal(udma_debug_error_count(), 5);
	assert_int_equal(t_count(text, "DMA-API: device"), 2);
	free(text);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_true(t_init_args("--iova-mode=sim", "-m", "16", "--log-level=2", NULL) >= 0);
	assert_int_equal(udma_debug_enabled(), 0); /* off by default */
	assert_int_equal(udma_eal_cleanup(), 0);
	setup(NULL); /* for the group teardown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_use_reports_nothing),
		cmocka_unit_test(test_never_mapped),
		cmocka_unit_test(test_double_unmap),
		cmocka_unit_test(test_size_mismatch),
		cmocka_unit_test(test_dir_mismatch),
		cmocka_unit_test(test_wrong_free_function),
		cmocka_unit_test(test_sync_outside_or_wrong_dir),
		cmocka_unit_test(test_unchecked_mapping),
		cmocka_unit_test(test_sg_nents_mismatch),
		cmocka_unit_test(test_shared_cacheline),
		cmocka_unit_test(test_pool_misuse),
		cmocka_unit_test(test_leak_at_destroy),
		cmocka_unit_test(test_rate_limit_and_dump),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
