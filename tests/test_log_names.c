/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log lines name the public call the user made, never an internal helper: each
 * misuse below logs lines that all start "UDMA: ERR: <udma call>(): ", and the call
 * is the one the test made.
 */
#include "test_common.h"

/* every line of @text names @call */
static void assert_names(char *text, const char *call)
{
	char want[96];
	int lines = 0;

	snprintf(want, sizeof(want), "UDMA: ERR: %s(): ", call);
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"), lines++)
		if (strncmp(l, want, strlen(want)) != 0)
			fail_msg("expected a line from %s(), got: %s", call, l);
	assert_true(lines >= 1);
	free(text);
}

#define EXPECT(call, stmt)                    \
	do {                                  \
		struct t_log l_;              \
		t_log_begin(&l_);             \
		stmt;                         \
		assert_names(t_log_end(&l_), call); \
	} while (0)

static void check_mode(enum t_mode mode, const char *extra)
{
	struct udma_device *d;
	static uint8_t stack_buf[256];
	struct udma_sg sg[2];
	udma_addr_t h;
	UDMA_DEFINE_ATTRS(attrs);

	if (extra)
		assert_true(t_init_args("--iova-mode=va", "--no-huge", "-m", "16", extra,
					"--log-level=2", NULL) >= 0);
	else if (t_init_mode(mode, "16"))
		return;
	d = t_dev64("names");
	EXPECT("udma_map_single", udma_map_single(d, NULL, 8, UDMA_TO_DEVICE));
	EXPECT("udma_map_single", udma_map_single(NULL, stack_buf, 8, UDMA_TO_DEVICE));
	EXPECT("udma_map_single_attrs", udma_map_single_attrs(d, stack_buf, 0, UDMA_TO_DEVICE,
							      &attrs));
	EXPECT("udma_map_page", udma_map_page(d, (void *)4096, 0, 0, UDMA_TO_DEVICE));
	EXPECT("udma_unmap_single", udma_unmap_single(d, UDMA_MAPPING_ERROR, 8, UDMA_TO_DEVICE));
	EXPECT("udma_unmap_page", udma_unmap_page(d, 4096, 0, UDMA_TO_DEVICE));
	EXPECT("udma_alloc_coherent", udma_alloc_coherent(d, 0, &h, UDMA_GFP_KERNEL));
	EXPECT("udma_alloc_coherent", udma_alloc_coherent(NULL, 4096, &h, UDMA_GFP_KERNEL));
	udma_sg_init_table(sg, 2);
	udma_sg_set_buf(&sg[0], stack_buf, 64);
	EXPECT("udma_map_sg", udma_map_sg(d, sg, 2, UDMA_TO_DEVICE)); /* entry 1 is empty */
	EXPECT("udma_declare_coherent_memory",
	       udma_declare_coherent_memory(d, NULL, 0, 4096, UDMA_MEMORY_MAP));
	if (extra) { /* --swiotlb=off: foreign memory cannot be mapped */
		EXPECT("udma_map_single", udma_map_single(d, stack_buf, 64, UDMA_TO_DEVICE));
		udma_sg_init_table(sg, 1);
		udma_sg_set_buf(&sg[0], stack_buf, 64);
		EXPECT("udma_map_sg", udma_map_sg(d, sg, 1, UDMA_TO_DEVICE));
		/* a list that maps but is not one segment: named after a map_single failed */
		uint8_t *coh = udma_alloc_coherent(d, 3 * 4096, &h, UDMA_GFP_KERNEL);

		assert_non_null(coh);
		udma_sg_init_table(sg, 2);
		udma_sg_set_buf(&sg[0], coh, 64);
		udma_sg_set_buf(&sg[1], coh + 2 * 4096, 64);
		udma_set_attr(UDMA_ATTR_FORCE_CONTIGUOUS, &attrs);
		EXPECT("udma_map_single", udma_map_single(d, stack_buf, 64, UDMA_TO_DEVICE));
		EXPECT("udma_map_sg", assert_int_equal(udma_map_sg_attrs(d, sg, 2, UDMA_TO_DEVICE,
									 &attrs), 0));
		udma_free_coherent(d, 3 * 4096, coh, h);
	}
	if (mode == T_SIM && !extra) { /* sim: an IOVA nothing is mapped at */
		EXPECT("udma_unmap_single", udma_unmap_single(d, 1ULL << 40, 64, UDMA_TO_DEVICE));
		udma_sg_init_table(sg, 1);
		udma_sg_set_buf(&sg[0], stack_buf, 64);
		sg[0].map_iova = 1ULL << 40;
		udma_sg_dma_address(&sg[0]) = 1ULL << 40;
		EXPECT("udma_unmap_sg", udma_unmap_sg(d, sg, 1, UDMA_TO_DEVICE));
	}
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_names_sim(void **state)
{
	(void)state;
	check_mode(T_SIM, NULL);
}

static void test_names_va(void **state)
{
	(void)state;
	check_mode(T_VA, NULL);
}

static void test_names_no_bounce(void **state)
{
	(void)state;
	check_mode(T_VA, "--swiotlb=off");
}

/*
 * A bounced mapping misused: another device's unmap and syncs (single and sg), an
 * unmap with the wrong size, a range sync past its end. The swiotlb's refusals
 * name the call the user made, whichever path (the fast one or the full one) got
 * there.
 */
static void test_names_bounce(void **state)
{
	static uint8_t buf[4096]; /* not udma's memory: it bounces */
	struct udma_device *d, *other;
	struct udma_swiotlb_stats st;
	struct udma_sg sg[1];
	udma_addr_t a;

	(void)state;
	assert_true(t_init_args("--iova-mode=va", "--no-huge", "-m", "16", "--log-level=2",
				NULL) >= 0);
	d = t_dev64("names");
	other = t_dev64("other");
	a = udma_map_single(d, buf, 256, UDMA_BIDIRECTIONAL);
	assert_false(udma_mapping_error(d, a));
	assert_int_equal(udma_swiotlb_stats(&st), 0);
	assert_true(st.used > 0); /* bounced */
	EXPECT("udma_unmap_single", udma_unmap_single(other, a, 256, UDMA_BIDIRECTIONAL));
	EXPECT("udma_sync_single_for_cpu",
	       udma_sync_single_for_cpu(other, a, 256, UDMA_BIDIRECTIONAL));
	EXPECT("udma_sync_single_for_device",
	       udma_sync_single_for_device(other, a, 256, UDMA_BIDIRECTIONAL));
	EXPECT("udma_sync_single_range_for_cpu",
	       udma_sync_single_range_for_cpu(d, a, 128, 256, UDMA_BIDIRECTIONAL));
	EXPECT("udma_unmap_single", udma_unmap_single(d, a, 255, UDMA_BIDIRECTIONAL));
	udma_unmap_single(d, a, 256, UDMA_BIDIRECTIONAL);
	udma_sg_init_table(sg, 1);
	udma_sg_set_buf(&sg[0], buf, 256);
	assert_int_equal(udma_map_sg(d, sg, 1, UDMA_BIDIRECTIONAL), 1);
	EXPECT("udma_sync_sg_for_cpu", udma_sync_sg_for_cpu(other, sg, 1, UDMA_BIDIRECTIONAL));
	EXPECT("udma_sync_sg_for_device",
	       udma_sync_sg_for_device(other, sg, 1, UDMA_BIDIRECTIONAL));
	EXPECT("udma_unmap_sg", udma_unmap_sg(other, sg, 1, UDMA_BIDIRECTIONAL));
	udma_unmap_sg(d, sg, 1, UDMA_BIDIRECTIONAL);
	assert_int_equal(udma_swiotlb_stats(&st), 0);
	assert_int_equal(st.used, 0);
	udma_device_destroy(other);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_sim),
		cmocka_unit_test(test_names_va),
		cmocka_unit_test(test_names_no_bounce),
		cmocka_unit_test(test_names_bounce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
