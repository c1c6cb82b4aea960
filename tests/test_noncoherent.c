/* SPDX-License-Identifier: BSD-3-Clause */
/* Noncoherent memory: the cache alignment, the device view in sim, free sync points in pa/va. */
#include "test_common.h"

static void test_cache_alignment(void **s)
{
	int a = udma_get_cache_alignment();
	long line = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);

	(void)s;
	assert_true(a >= 64);
	assert_int_equal(a & (a - 1), 0);
	if (line > 0)
		assert_true(a >= line && a % line == 0);
}

/* sim: the device view moves only at the sync points */
static void test_noncoherent_sim(void **s)
{
	struct udma_device *d;
	uint8_t *cpu, dev[256], back[64];
	udma_addr_t h;
	struct t_log log;
	char *text;

	(void)s;
	t_init_mode(T_SIM, "8");
	d = t_dev64("nc");
	cpu = udma_alloc_noncoherent(d, 8192, &h, UDMA_GFP_KERNEL);
	assert_non_null(cpu);
	assert_int_equal(udma_is_consistent(d, h), 0);
	t_fill(cpu, 256, 1);
	assert_int_equal(udma_sim_dma_read(d, h, dev, 256), 0);
	assert_false(t_check(dev, 256, 1)); /* forgot the sync: stale */
	udma_cache_sync(d, cpu, 256, UDMA_TO_DEVICE);
	assert_int_equal(udma_sim_dma_read(d, h, dev, 256), 0);
	assert_true(t_check(dev, 256, 1));
	t_fill(dev, 256, 2);
	assert_int_equal(udma_sim_dma_write(d, h + 4096, dev, 256), 0);
	assert_false(t_check(cpu + 4096, 256, 2));
	udma_sync_single_for_cpu(d, h + 4096, 256, UDMA_FROM_DEVICE);
	assert_true(t_check(cpu + 4096, 256, 2));
	t_fill(dev, 128, 3);
	assert_int_equal(udma_sim_dma_write(d, h + 64, dev, 128), 0);
	memcpy(back, cpu + 128, 64);
	assert_memory_not_equal(back, dev + 64, 64);
	udma_sync_single_range_for_cpu(d, h, 64, 64, UDMA_FROM_DEVICE);
	assert_true(t_check(cpu + 64, 64, 3));
	assert_memory_equal(cpu + 128, back, 64); /* only the range moved */
	/* misuse: one line each, and neither view moves */
	assert_int_equal(udma_sim_dma_read(d, h + 8192 - 64, dev, 64), 0);
	t_fill(cpu + 8192 - 64, 64, 5);
	t_log_begin(&log);
	udma_cache_sync(d, cpu + 8192 + 4096, 16, UDMA_TO_DEVICE); /* not noncoherent */
	udma_cache_sync(d, cpu + 8192 - 64, 128, UDMA_TO_DEVICE);  /* past its end */
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "\n"), 2);
	assert_int_equal(t_count(text, "is not noncoherent memory"), 1);
	assert_int_equal(t_count(text, "outside a noncoherent allocation"), 1);
	free(text);
	assert_int_equal(udma_sim_dma_read(d, h + 8192 - 64, back, 64), 0);
	assert_memory_equal(back, dev, 64);
	udma_free_noncoherent(d, 8192, cpu, h);
	udma_device_destroy(d);
	udma_eal_cleanup();
}

/* pa/va: noncoherent is coherent, the sync points are free */
static void test_noncoherent_va(void **s)
{
	struct udma_device *d;
	uint8_t *cpu, dev[64];
	udma_addr_t h;

	(void)s;
	t_init_mode(T_VA, "8");
	d = t_dev64("ncva");
	cpu = udma_alloc_noncoherent(d, 4096, &h, UDMA_GFP_KERNEL);
	assert_int_equal(udma_is_consistent(d, h), 1);
	t_fill(cpu, 64, 4);
	assert_int_equal(udma_sim_dma_read(d, h, dev, 64), 0);
	assert_true(t_check(dev, 64, 4));
	udma_cache_sync(d, cpu, 64, UDMA_BIDIRECTIONAL);
	udma_free_noncoherent(d, 4096, cpu, h);
	udma_device_destroy(d);
	udma_eal_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_alignment),
		cmocka_unit_test(test_noncoherent_sim),
		cmocka_unit_test(test_noncoherent_va),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
