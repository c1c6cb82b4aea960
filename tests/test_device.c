/* SPDX-License-Identifier: BSD-3-Clause */
/* Devices and DMA addressing limits, with bad arguments for each call. */
#include "test_common.h"

static int setup(void **s)
{
	(void)s;
	return t_init_args("--iova-mode=sim", "-m", "8", "--log-level=2", NULL) < 0;
}

static int teardown(void **s)
{
	(void)s;
	return udma_eal_cleanup();
}

static void test_create_destroy(void **s)
{
	char longname[80];
	struct udma_device *p, *c;
	struct t_log log;
	char *text;

	(void)s;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	t_log_begin(&log);
	assert_null(udma_device_create(NULL, NULL, -1));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_device_create("", NULL, -1));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_device_create(longname, NULL, -1));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_device_create("x", NULL, -2));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_device_create("x", (struct udma_device *)longname, -1));
	assert_int_equal(errno, EINVAL);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "ERR"), 5); /* one line each */
	free(text);
	p = udma_device_create("bridge", NULL, -1);
	c = udma_device_create("child", p, 0);
	assert_non_null(p);
	assert_non_null(c);
	assert_string_equal(udma_device_name(c), "child");
	assert_ptr_equal(udma_device_parent(c), p);
	assert_int_equal(udma_device_numa_node(c), 0);
	udma_device_destroy(p); /* the child lives on without its parent */
	assert_null(udma_device_parent(c));
	udma_device_destroy(c);
	udma_device_destroy(NULL);
}

static void test_masks(void **s)
{
	struct udma_device *d = udma_device_create("m", NULL, -1);
	uint64_t req;

	(void)s;
	assert_int_equal(udma_get_mask(d), UDMA_BIT_MASK(32));
	assert_int_equal(udma_get_coherent_mask(d), UDMA_BIT_MASK(32));
	assert_int_equal(udma_get_max_seg_size(d), 65536);
	assert_int_equal(udma_get_seg_boundary(d), UDMA_BIT_MASK(32));
	assert_int_equal(udma_supported(d, 0), 0);
	assert_int_equal(udma_supported(d, UDMA_BIT_MASK(12)), 0); /* nothing below 4 KiB */
	assert_int_equal(udma_supported(d, UDMA_BIT_MASK(64)), 1);
	assert_int_equal(udma_set_mask(d, UDMA_BIT_MASK(12)), -EIO);
	assert_int_equal(udma_get_mask(d), UDMA_BIT_MASK(32)); /* unchanged */
	assert_int_equal(udma_set_mask(d, UDMA_BIT_MASK(64)), 0);
	assert_int_equal(udma_get_mask(d), UDMA_BIT_MASK(64));
	assert_int_equal(udma_get_coherent_mask(d), UDMA_BIT_MASK(32));
	assert_int_equal(udma_set_coherent_mask(d, UDMA_BIT_MASK(40)), 0);
	assert_int_equal(udma_get_coherent_mask(d), UDMA_BIT_MASK(40));
	assert_int_equal(udma_set_mask_and_coherent(d, UDMA_BIT_MASK(36)), 0);
	assert_int_equal(udma_get_mask(d), UDMA_BIT_MASK(36));
	assert_int_equal(udma_get_coherent_mask(d), UDMA_BIT_MASK(36));
	req = udma_get_required_mask(d);
	assert_true(req != 0 && (req & (req + 1)) == 0); /* 2^n - 1 */
	assert_true(req <= udma_get_mask(d));
	assert_int_equal(udma_set_max_seg_size(d, 0), -EINVAL);
	assert_int_equal(udma_set_max_seg_size(d, 4096), 0);
	assert_int_equal(udma_get_max_seg_size(d), 4096);
	assert_int_equal(udma_set_seg_boundary(d, 0x1234), -EINVAL);
	assert_int_equal(udma_set_seg_boundary(d, 0xfff), 0);
	assert_int_equal(udma_get_seg_boundary(d), 0xfff);
	udma_device_destroy(d);
}

/* every call with a NULL or bogus device: the documented error, one log line, no crash */
static void test_bad_device(void **s)
{
	uint64_t junk[64] = {0};
	struct udma_device *bad[2] = {NULL, (struct udma_device *)junk};
	struct udma_device_stats st;
	udma_addr_t h;
	uint8_t buf[8];
	struct t_log log;
	char *text;

	(void)s;
	t_log_begin(&log);
	for (int i = 0; i < 2; i++) {
		struct udma_device *d = bad[i];

		assert_int_equal(udma_supported(d, ~0ULL), 0);
		assert_int_equal(udma_set_mask(d, ~0ULL), -EINVAL);
		assert_int_equal(udma_set_coherent_mask(d, ~0ULL), -EINVAL);
		assert_int_equal(udma_set_mask_and_coherent(d, ~0ULL), -EINVAL);
		assert_int_equal(udma_get_mask(d), 0);
		assert_int_equal(udma_get_coherent_mask(d), 0);
		assert_int_equal(udma_get_required_mask(d), 0);
		assert_int_equal(udma_set_max_seg_size(d, 1), -EINVAL);
		assert_int_equal(udma_get_max_seg_size(d), 0);
		assert_int_equal(udma_set_seg_boundary(d, 0xfff), -EINVAL);
		assert_int_equal(udma_get_seg_boundary(d), 0);
		assert_null(udma_device_name(d));
		assert_int_equal(udma_device_numa_node(d), -1);
		assert_null(udma_device_parent(d));
		assert_int_equal(udma_device_stats(d, &st), -EINVAL);
		assert_null(udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL));
		assert_int_equal(errno, EINVAL);
		udma_free_coherent(d, 4096, buf, 0);
		assert_int_equal(udma_sim_dma_read(d, 0x200000, buf, 8), -EINVAL);
		assert_int_equal(udma_sim_dma_write(d, 0x200000, buf, 8), -EINVAL);
		udma_device_destroy(d == NULL ? NULL : d);
	}
	text = t_log_end(&log);
	/* 19 calls a device, one line each; destroy(NULL) is silent, the bogus one is not */
	assert_int_equal(t_count(text, "ERR"), 19 + 19 + 1);
	free(text);
}

static void test_stats_and_leak(void **s)
{
	struct udma_device *d = t_dev64("leaky");
	struct udma_device_stats st;
	udma_addr_t h1, h2;
	uint8_t *p1, *p2;
	struct t_log log;
	char *text;

	(void)s;
	p1 = udma_alloc_coherent(d, 100, &h1, UDMA_GFP_KERNEL);
	p2 = udma_alloc_coherent(d, 3 * 4096, &h2, UDMA_GFP_KERNEL);
	assert_int_equal(udma_device_stats(d, &st), 0);
	assert_int_equal(st.coherent_allocs, 2);
	assert_int_equal(st.coherent_bytes, 4 * 4096);
	assert_int_equal(udma_device_stats(d, NULL), -EINVAL);
	udma_free_coherent(d, 100, p1, h1);
	udma_device_stats(d, &st);
	assert_int_equal(st.coherent_allocs, 1);
	t_log_begin(&log);
	assert_int_equal(udma_device_try_destroy(d), -EBUSY); /* p2 is live: refused */
	udma_device_destroy(d);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "leaky is busy"), 2);
	assert_int_equal(t_count(text, "ERR"), 2);
	free(text);
	/* nothing was freed: the device is valid, the memory still reaches it */
	memset(p2, 0x5a, 3 * 4096);
	assert_int_equal(udma_virt2iova(p2), h2);
	udma_device_stats(d, &st);
	assert_int_equal(st.coherent_allocs, 1);
	udma_free_coherent(d, 3 * 4096, p2, h2);
	assert_int_equal(udma_device_try_destroy(d), 0);
	assert_int_equal(udma_device_try_destroy(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_and_leak, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
