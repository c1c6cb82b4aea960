/* SPDX-License-Identifier: BSD-3-Clause */
/* memsegs: translation, contiguity, the reverse map, against our own pagemap read in pa. */
#include "test_common.h"

static void check_translation(enum t_mode m)
{
	struct udma_device *d;
	udma_addr_t h;
	uint8_t *p;
	int stack = 0;

	/* no init yet (or cleaned up): nothing translates, inline or in the library */
	assert_int_equal(udma_virt2iova(&stack), UDMA_MAPPING_ERROR);
	if (t_init_mode(m, "16"))
		skip();
	d = t_dev64("ms");
	p = udma_alloc_coherent(d, 1 << 20, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	for (size_t off = 0; off < (1 << 20); off += 4096 + 123) {
		assert_int_equal(udma_virt2iova(p + off), h + off);
		assert_ptr_equal(udma_iova2virt(h + off), p + off);
		if (m == T_PA)
			assert_int_equal(udma_virt2iova(p + off), t_pagemap_pa(p + off));
		if (m == T_VA)
			assert_int_equal(h + off, (udma_addr_t)(uintptr_t)(p + off));
	}
	assert_int_equal(udma_virt2iova(&stack), UDMA_MAPPING_ERROR);
	assert_int_equal(udma_virt2iova(NULL), UDMA_MAPPING_ERROR);
	/* the header's inline path and the library's function agree everywhere */
	{
		const uint8_t *probe[] = {p, p + 4095, p + (1 << 20) - 1, (uint8_t *)&stack, NULL,
					  p + (1ULL << 33), /* the reservation, not populated */
					  (uint8_t *)(uintptr_t)UINTPTR_MAX};

		for (size_t k = 0; k < sizeof(probe) / sizeof(probe[0]); k++)
			assert_int_equal(udma_virt2iova(probe[k]), (udma_virt2iova)(probe[k]));
		assert_int_equal(udma_virt2iova(p + (1ULL << 33)), UDMA_MAPPING_ERROR);
	}
	assert_int_equal(udma_virt2node(&stack), -1);
	assert_null(udma_iova2virt(0xdead00000000ULL));
	assert_int_equal(udma_virt2node(p), udma_device_numa_node(d));
	udma_free_coherent(d, 1 << 20, p, h);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
	/* after cleanup the inline path reads no table (they are gone) */
	assert_int_equal(udma_virt2iova(p), UDMA_MAPPING_ERROR);
}

static void test_sim(void **s)
{
	(void)s;
	check_translation(T_SIM);
}

static void test_va(void **s)
{
	(void)s;
	check_translation(T_VA);
}

static void test_pa(void **s)
{
	(void)s;
	check_translation(T_PA);
}

/* pa: every populated hugepage of the memsegs matches pagemap, not only allocations */
static void test_pa_layout(void **s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	unsigned long long iova, va;
	int runs = 0;

	(void)s;
	if (t_init_mode(T_PA, "64"))
		skip();
	f = open_memstream(&text, &len);
	udma_dump(f);
	fclose(f);
	for (char *l = strstr(text, "iova run"); l; l = strstr(l + 1, "iova run")) {
		if (sscanf(strstr(l, "iova 0x"), "iova %llx va %llx", &iova, &va) != 2)
			continue;
		assert_int_equal(t_pagemap_pa((void *)(uintptr_t)va), iova);
		assert_int_equal(udma_virt2iova((void *)(uintptr_t)va), iova);
		runs++;
	}
	assert_true(runs > 0);
	assert_non_null(strstr(text, "longest"));
	free(text);
	assert_int_equal(udma_eal_cleanup(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim),
		cmocka_unit_test(test_va),
		cmocka_unit_test(test_pa),
		cmocka_unit_test(test_pa_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
