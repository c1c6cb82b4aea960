/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Regressions for defects the fuzzers (tests/fuzz) found outside issue 8's list.
 * Each test names the fuzz_api input class that found it.
 */
#include "test_common.h"

/*
 * Found by fuzz_api: map FROM_DEVICE (or BIDIRECTIONAL) foreign memory, the device
 * writes the whole buffer, the driver syncs only a prefix for the CPU (to read a
 * header), then unmaps. The unmap must copy back every byte the device wrote, as
 * the header promises ("the device's bytes are copied back"): the bounce slot used
 * to count as CPU-owned after the partial sync and the rest was never copied.
 */
static void test_partial_sync_then_unmap(void **s)
{
	static const int dirs[] = {UDMA_FROM_DEVICE, UDMA_BIDIRECTIONAL};
	const size_t len = 65536;
	uint8_t *buf = aligned_alloc(4096, len), *dev_bytes = malloc(len);

	(void)s;
	assert_non_null(buf);
	assert_non_null(dev_bytes);
	for (int m = 0; m < T_NMODES; m++) {
		struct udma_device *d;

		if (t_init_mode((enum t_mode)m, "8"))
			continue;
		d = t_dev64("partial");
		for (int k = 0; k < 2; k++) {
			int dir = dirs[k];
			udma_addr_t a;

			memset(buf, 0, len);
			a = udma_map_single(d, buf, len, dir);
			assert_false(udma_mapping_error(d, a));
			t_fill(dev_bytes, len, 40u + (unsigned)m * 2 + (unsigned)k);
			assert_int_equal(udma_sim_dma_write(d, a, dev_bytes, len), 0);
			udma_sync_single_range_for_cpu(d, a, 0, 4096, dir);
			assert_memory_equal(buf, dev_bytes, 4096); /* the header */
			udma_unmap_single(d, a, len, dir);
			if (memcmp(buf, dev_bytes, len) != 0)
				print_error("mode %s dir %d: bytes after the synced prefix lost\n",
					    t_mode_name[m], dir);
			assert_memory_equal(buf, dev_bytes, len);
		}
		udma_device_destroy(d);
		assert_int_equal(udma_eal_cleanup(), 0);
	}
	free(buf);
	free(dev_bytes);
}

/*
 * Found by fuzz_api (UBSan: misaligned struct chain_link in pool_depot.c): a pool
 * with a small explicit alignment and a size that is not a multiple of 8 laid its
 * blocks at odd addresses, and the free-list links the pool keeps inside free
 * blocks (atomically updated in the depot) were misaligned: undefined behaviour,
 * and on x86 a split-lock atomic when a link straddles a cache line.
 */
static void test_pool_links_aligned(void **s)
{
	static const size_t sizes[] = {17, 23, 33, 1001};
	void *v[600];
	udma_addr_t h[600];

	(void)s;
	assert_int_equal(t_init_mode(T_SIM, "8"), 0);
	struct udma_device *d = t_dev64("links");

	for (unsigned int k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct udma_pool *p = udma_pool_create("odd", d, sizes[k], 1, 0);

		assert_non_null(p);
		assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, h, 600), 0);
		for (int i = 0; i < 600; i++) {
			if ((uintptr_t)v[i] % sizeof(void *))
				print_error("size %zu align 1: block %p not pointer-aligned\n",
					    sizes[k], v[i]);
			assert_int_equal((uintptr_t)v[i] % sizeof(void *), 0);
			memset(v[i], 0x5a, sizes[k]);
		}
		udma_pool_free_bulk(p, v, h, 600); /* magazines go to the depot */
		assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, h, 600), 0);
		udma_pool_free_bulk(p, v, h, 600);
		udma_pool_destroy(p);
	}
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/*
 * Found by fuzz_api (pool counters: "4 in use, 0 handed out" right after create):
 * a pool whose block size is below the minimum stride (16 bytes) with a boundary
 * carved blocks at a stride that ran across boundary segments, while free checks
 * that a block starts at its segment's base plus a multiple of the stride. Blocks
 * past the first segment were refused on free: initial_blocks stayed in use after
 * create, and every such block the driver freed leaked.
 */
static void test_pool_small_blocks_boundary(void **s)
{
	static const size_t sizes[] = {1, 8, 12};
	static const size_t bounds[] = {64, 256, 4096};
	void *v[300];
	udma_addr_t h[300];

	(void)s;
	assert_int_equal(t_init_mode(T_SIM, "8"), 0);
	struct udma_device *d = t_dev64("smallb");

	for (unsigned int k = 0; k < 3; k++)
		for (unsigned int b = 0; b < 3; b++) {
			struct udma_pool_params pp = {.struct_size = sizeof(pp), .initial_blocks = 4};
			struct udma_pool *p = udma_pool_create_params("small", d, sizes[k], 0,
								      bounds[b], &pp);
			struct udma_pool_stats st;
			struct t_log lg;
			char *text;

			assert_non_null(p);
			assert_int_equal(udma_pool_stats(p, &st), 0);
			if (st.in_use != 0)
				print_error("size %zu boundary %zu: %llu in use after create\n",
					    sizes[k], bounds[b], (unsigned long long)st.in_use);
			assert_int_equal(st.in_use, 0);
			assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, h, 300), 0);
			for (int i = 0; i < 300; i++) /* no block crosses the boundary */
				assert_true((uintptr_t)v[i] / bounds[b] ==
					    ((uintptr_t)v[i] + sizes[k] - 1) / bounds[b]);
			t_log_begin(&lg);
			for (int i = 0; i < 300; i++)
				udma_pool_free(p, v[i], h[i]);
			text = t_log_end(&lg);
			assert_int_equal(t_count(text, "\n"), 0); /* no free refused */
			free(text);
			assert_int_equal(udma_pool_stats(p, &st), 0);
			assert_int_equal(st.in_use, 0);
			assert_int_equal(st.free, st.capacity);
			udma_pool_destroy(p);
		}
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_sync_then_unmap),
		cmocka_unit_test(test_pool_links_aligned),
		cmocka_unit_test(test_pool_small_blocks_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
