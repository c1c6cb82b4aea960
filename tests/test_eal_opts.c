/* SPDX-License-Identifier: BSD-3-Clause */
/* udma_eal_init_opts(): every option from the structure, validated as argv is. */
#include <sys/mman.h>

#include "test_common.h"

static void opts_default(struct udma_eal_opts *o)
{
	assert_int_equal(udma_eal_opts_init(o, sizeof(*o)), 0);
	o->iova_mode = UDMA_IOVA_SIM;
	o->mem_mb = 8;
	o->log_level = UDMA_LOG_ERR;
}

static void test_defaults(void **s)
{
	struct udma_eal_opts o;

	(void)s;
	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(udma_eal_opts_init(&o, sizeof(o)), 0);
	assert_int_equal(o.opts_size, sizeof(o));
	assert_int_equal(o.iova_mode, UDMA_IOVA_DC);
	assert_null(o.huge_dir);
	assert_null(o.file_prefix);
	assert_int_equal(o.mem_mb, 0);
	assert_int_equal(o.lcores, 0);
	assert_int_equal(o.dma_debug_limit, -1);
	assert_int_equal(o.log_level, -1);
	assert_int_equal(o.vfio_group, -1);
	assert_int_equal(o.swiotlb, UDMA_SWIOTLB_AUTO);
	{
		struct t_log l;
		char *text;

		t_log_begin(&l);
		assert_int_equal(udma_eal_opts_init(NULL, sizeof(o)), -EINVAL);
		assert_int_equal(udma_eal_opts_init(&o, 1), -EINVAL);
		text = t_log_end(&l);
		assert_int_equal(t_count(text, "\n"), 2);
		free(text);
	}
}

/* a memseg window's worth of VA free now (probed and released), 1 GiB aligned */
static uintptr_t free_window(void)
{
	size_t len = (size_t)UDMA_MAX_MEMSEG_LISTS * UDMA_MEMSEG_LIST_VA_SIZE + (1UL << 30);
	uint8_t *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	assert_true(p != MAP_FAILED);
	munmap(p, len);
	return ((uintptr_t)p + (1UL << 30) - 1) & ~((1UL << 30) - 1);
}

/* each field reaches the library */
static void test_every_option(void **s)
{
	static const unsigned int socket_mem[] = {8};
	struct udma_eal_opts o;
	struct udma_swiotlb_stats tlb;
	int global = udma_log_get_level();

	(void)s;
	opts_default(&o);
	o.name = "opts-app";
	o.no_huge = 1;
	o.file_prefix = "optstest";
	o.mem_mb = 0;
	o.socket_mem_mb = socket_mem;
	o.socket_mem_count = 1;
	o.lcores = 3;
	o.dma_debug = 1;
	o.dma_debug_limit = 5;
	o.swiotlb = UDMA_SWIOTLB_FORCE;
	o.swiotlb_size_mb = 4;
	o.log_levels = "pool:0,map:debug";
	{
		static const char *const extra[] = {"--lcores=3", NULL};

		o.lcores = 2;
		o.extra_args = extra; /* after the fields: the later --lcores wins */
	}
	o.base_virtaddr = free_window();
	assert_int_equal(udma_eal_init_opts(&o), 0);
	assert_int_equal(udma_iova_mode(), UDMA_IOVA_SIM);
	assert_int_equal(udma_lcore_count(), 3);
	{
		/* the memsegs are where base_virtaddr says */
		struct udma_device *d = t_dev64("opts");
		udma_addr_t h;
		uint8_t *p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);

		assert_non_null(p);
		assert_true((uintptr_t)p >= o.base_virtaddr &&
			    (uintptr_t)p < o.base_virtaddr + UDMA_MEMSEG_LIST_VA_SIZE);
		udma_free_coherent(d, 4096, p, h);
		udma_device_destroy(d);
	}
	assert_int_equal(udma_debug_enabled(), 1);
	assert_int_equal(udma_swiotlb_stats(&tlb), 0);
	assert_int_equal(tlb.forced, 1);
	assert_int_equal(tlb.size, 4u << 20);
	assert_int_equal(udma_log_get_level(), UDMA_LOG_ERR);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_POOL), 0);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_MAP), UDMA_LOG_DEBUG);
	/* the same init twice: -EALREADY as with argv */
	{
		struct t_log l;

		t_log_begin(&l);
		assert_int_equal(udma_eal_init_opts(&o), -EALREADY);
		free(t_log_end(&l));
	}
	assert_int_equal(udma_eal_cleanup(), 0);
	udma_log_set_type_level(UDMA_LOGTYPE_POOL, -1);
	udma_log_set_type_level(UDMA_LOGTYPE_MAP, -1);
	udma_log_set_level(global);
}

/* bad values: -EINVAL and one line naming the option, nothing left initialised */
static void test_bad_values(void **s)
{
	struct udma_eal_opts o;
	static const unsigned int too_many[64] = {0};
	char big[sizeof(o) + 16];
	struct t_log l;
	char *text;

	(void)s;
	static const char *const bad_extra[] = {"--no-such-option", NULL};
	static const char *const not_option[] = {"app-arg", NULL};

	/* what case k's line must say: the bad value itself, not some later failure */
	static const char *const why[15] = {
		"iova_mode 77: expected", "--lcores value 1000000: expected",
		"--file-prefix value a/b:", "--huge-dir value :", "--log-level value 9:",
		"--log-level value bogus:3: unknown log type", "swiotlb 5: expected",
		"socket_mem_count 2 with socket_mem_mb NULL", "more nodes than UDMA_MAX_NUMA_NODES",
		"--dma-debug-limit value -7:", "--log-level value :",
		"--no-such-option: unknown option", "\"app-arg\": expected an option",
		"--vfio-group value -3:", "--base-virtaddr value 0x1234: expected a non-zero",
	};

	for (int k = 0; k < 15; k++) {
		opts_default(&o);
		switch (k) {
		case 0: o.iova_mode = (enum udma_iova_mode)77; break;
		case 1: o.lcores = 1000000; break;
		case 2: o.file_prefix = "a/b"; break;
		case 3: o.huge_dir = ""; break;
		case 4: o.log_level = 9; break;
		case 5: o.log_levels = "bogus:3"; break;
		case 6: o.swiotlb = (enum udma_swiotlb_mode)5; break;
		case 7: o.socket_mem_count = 2; break; /* NULL array */
		case 8: o.socket_mem_mb = too_many; o.socket_mem_count = 64; break;
		case 9: o.dma_debug_limit = -7; break;
		case 10: o.log_levels = "pool:1,"; break; /* an empty entry */
		case 11: o.extra_args = bad_extra; break;
		case 12: o.extra_args = not_option; break;
		case 13: o.vfio_group = -3; break;
		default: o.base_virtaddr = 0x1234; break;
		}
		t_log_begin(&l);
		assert_int_equal(udma_eal_init_opts(&o), -EINVAL);
		text = t_log_end(&l);
		if (t_count(text, "\n") != 1 || strstr(text, why[k]) == NULL)
			fail_msg("case %d (want \"%s\"): %s", k, why[k], text);
		free(text);
		assert_int_equal(udma_eal_initialized(), 0);
	}
	t_log_begin(&l);
	assert_int_equal(udma_eal_init_opts(NULL), -EINVAL);
	o.opts_size = 0;
	assert_int_equal(udma_eal_init_opts(&o), -EINVAL);
	/* a newer application: unknown trailing fields must be zero */
	memset(big, 0, sizeof(big));
	opts_default((struct udma_eal_opts *)big);
	((struct udma_eal_opts *)big)->opts_size = sizeof(big);
	big[sizeof(o) + 3] = 1;
	assert_int_equal(udma_eal_init_opts((struct udma_eal_opts *)big), -EINVAL);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 3);
	free(text);
	big[sizeof(o) + 3] = 0;
	assert_int_equal(udma_eal_init_opts((struct udma_eal_opts *)big), 0);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/* an older application: only the fields up to lcores; the rest is garbage */
static void test_older_layout(void **s)
{
	struct udma_eal_opts o;

	(void)s;
	memset(&o, 0x5a, sizeof(o));
	o.opts_size = offsetof(struct udma_eal_opts, dma_debug);
	o.name = NULL;
	o.iova_mode = UDMA_IOVA_SIM;
	o.no_huge = 0;
	o.huge_dir = NULL;
	o.file_prefix = NULL;
	o.mem_mb = 8;
	o.socket_mem_mb = NULL;
	o.socket_mem_count = 0;
	o.lcores = 2;
	assert_int_equal(udma_eal_init_opts(&o), 0);
	assert_int_equal(udma_lcore_count(), 2);
	assert_int_equal(udma_debug_enabled(), 0); /* dma_debug past opts_size: default */
	assert_int_equal(udma_eal_cleanup(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_older_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
