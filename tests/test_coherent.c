/* SPDX-License-Identifier: BSD-3-Clause */
/* Coherent memory in every IOVA mode, proven with the sim device model. */
#include "test_common.h"

static const size_t sizes[] = {1, 100, 4096, 4097, 65536, (2 << 20) + 1};

static void alloc_under(enum t_mode m, uint64_t mask)
{
	struct udma_device *d = udma_device_create("coh", NULL, -1);
	uint8_t *back = malloc(sizes[5]);

	assert_non_null(d);
	if (!udma_supported(d, mask)) {
		udma_addr_t h;

		/* pa with all memory above 4 GiB: refused honestly */
		assert_int_equal(udma_set_mask_and_coherent(d, mask), -EIO);
		assert_null(udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL));
		assert_int_equal(errno, ENOMEM);
		udma_device_destroy(d);
		free(back);
		return;
	}
	assert_int_equal(udma_set_mask_and_coherent(d, mask), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		udma_addr_t h;
		uint8_t *p = udma_alloc_coherent(d, n, &h, UDMA_GFP_KERNEL);

		if (p == NULL && m == T_PA && n > (2 << 20))
			continue; /* pa: no physically contiguous run that long */
		assert_non_null(p);
		assert_int_equal((uintptr_t)p & 4095, 0);
		assert_true(h + n - 1 <= mask);
		for (size_t k = 0; k < n; k++)
			if (p[k] != 0)
				fail_msg("%s: byte %zu of %zu not zero", t_mode_name[m], k, n);
		t_fill(p, n, (unsigned)i);
		assert_int_equal(udma_sim_dma_read(d, h, back, n), 0);
		assert_true(t_check(back, n, (unsigned)i));
		t_fill(back, n, (unsigned)i + 100);
		assert_int_equal(udma_sim_dma_write(d, h, back, n), 0);
		assert_true(t_check(p, n, (unsigned)i + 100));
		udma_free_coherent(d, n, p, h);
	}
	udma_device_destroy(d);
	free(back);
}

static void run_mode(enum t_mode m)
{
	if (t_init_mode(m, "16"))
		skip();
	alloc_under(m, UDMA_BIT_MASK(64));
	alloc_under(m, UDMA_BIT_MASK(32));
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_sim(void **s) { (void)s; run_mode(T_SIM); }
static void test_va(void **s) { (void)s; run_mode(T_VA); }
static void test_pa(void **s) { (void)s; run_mode(T_PA); }

static void test_rezeroed(void **s)
{
	struct udma_device *d;
	udma_addr_t h;
	uint8_t *p, *q = NULL;

	(void)s;
	t_init_mode(T_SIM, "8");
	d = t_dev64("z");
	p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_ATOMIC);
	memset(p, 0xaa, 4096);
	udma_free_coherent(d, 4096, p, h);
	for (int i = 0; i < 64 && q != p; i++) {
		q = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_ATOMIC);
		for (int k = 0; k < 4096; k++)
			assert_int_equal(q[k], 0);
		if (q != p)
			udma_free_coherent(d, 4096, q, h);
	}
	assert_ptr_equal(q, p); /* the same page came back, zeroed */
	udma_free_coherent(d, 4096, q, h);
	udma_device_destroy(d);
	udma_eal_cleanup();
}

static void test_growth(void **s)
{
	struct udma_device *d;
	udma_addr_t h;
	uint8_t *p;

	(void)s;
	assert_true(t_init_args("--iova-mode=sim", "--no-huge", "-m", "4", "--swiotlb=off",
				"--log-level=2", NULL) >= 0);
	d = t_dev64("grow");
	assert_null(udma_alloc_coherent(d, 32 << 20, &h, UDMA_GFP_ATOMIC)); /* never grows */
	assert_int_equal(errno, ENOMEM);
	p = udma_alloc_coherent(d, 32 << 20, &h, UDMA_GFP_KERNEL); /* grows */
	assert_non_null(p);
	p[(32 << 20) - 1] = 7;
	assert_int_equal(udma_virt2iova(p + (32 << 20) - 1), h + (32 << 20) - 1);
	udma_free_coherent(d, 32 << 20, p, h);
	udma_device_destroy(d);
	udma_eal_cleanup();
}

static void test_bad_args(void **s)
{
	struct udma_device *d, *other;
	struct udma_device_stats st;
	udma_addr_t h, h2;
	uint8_t *p, *p2, back[64], stack[64];
	struct t_log log;
	char *text;

	(void)s;
	t_init_mode(T_SIM, "8");
	d = t_dev64("args");
	other = t_dev64("other");
	p = udma_alloc_coherent(d, 8192, &h, UDMA_GFP_KERNEL);
	t_fill(p, 8192, 3);
	t_log_begin(&log);
	assert_null(udma_alloc_coherent(d, 0, &h2, UDMA_GFP_KERNEL));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_alloc_coherent(d, 4096, NULL, UDMA_GFP_KERNEL));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_alloc_coherent(d, 4096, &h2, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_alloc_coherent(d, 4096, &h2, 0x80));
	assert_int_equal(errno, EINVAL);
	udma_free_coherent(d, 4096, p, h);         /* wrong size */
	udma_free_coherent(d, 8192, p, h + 4096);  /* wrong handle */
	udma_free_coherent(d, 8192, stack, h);     /* foreign pointer */
	udma_free_coherent(d, 8192, NULL, h);      /* NULL */
	udma_free_coherent(other, 8192, p, h);     /* wrong device */
	udma_free_coherent(d, 8192, p + 4096, h + 4096); /* inside, not the start */
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "ERR"), 10);
	free(text);
	/* the allocation is intact and still the device's */
	assert_true(t_check(p, 8192, 3));
	assert_int_equal(udma_sim_dma_read(d, h, back, sizeof(back)), 0);
	assert_true(t_check(back, sizeof(back), 3));
	udma_device_stats(d, &st);
	assert_int_equal(st.coherent_allocs, 1);
	udma_free_coherent(d, 8192, p, h);
	udma_device_stats(d, &st);
	assert_int_equal(st.coherent_allocs, 0);
	/* double free: refused, and the pages are not handed out twice */
	p2 = udma_alloc_coherent(d, 8192, &h2, UDMA_GFP_KERNEL);
	t_log_begin(&log);
	udma_free_coherent(d, 8192, p, h);
	text = t_log_end(&log);
	if (p2 != p)
		assert_int_equal(t_count(text, "ERR"), 1);
	free(text);
	udma_free_coherent(d, 8192, p2, h2);
	udma_device_destroy(d);
	udma_device_destroy(other);
	udma_eal_cleanup();
}

/* free pages, from udma_dump(): every page comes back after any mix of sizes */
static long heap_free_pages(void)
{
	char *text = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	long v;

	udma_dump(f);
	fclose(f);
	p = strstr(text, "heap: ");
	v = p ? atol(p + 6) : -1;
	free(text);
	return v;
}

static void conservation_in(enum t_mode m)
{
	void *p[256] = {0};
	udma_addr_t h[256];
	size_t sz[256];
	unsigned int seed = 7;
	struct udma_device *d;
	long before;

	if (t_init_mode(m, "64"))
		skip();
	d = t_dev64("conserve");
	before = heap_free_pages();
	assert_true(before > 0);
	for (int it = 0; it < 50000; it++) {
		int k = rand_r(&seed) % 256;

		if (p[k]) {
			assert_true(t_check(p[k], 32, (unsigned)k));
			udma_free_coherent(d, sz[k], p[k], h[k]);
			p[k] = NULL;
			continue;
		}
		sz[k] = (size_t)(1 + rand_r(&seed) % 40) * 4096 - (size_t)(rand_r(&seed) % 4096);
		p[k] = udma_alloc_coherent(d, sz[k], &h[k], UDMA_GFP_ATOMIC);
		if (p[k] == NULL)
			continue; /* ATOMIC: the reserve may be fragmented, never grown */
		assert_int_equal(udma_virt2iova((uint8_t *)p[k] + sz[k] - 1), h[k] + sz[k] - 1);
		t_fill(p[k], 32, (unsigned)k);
	}
	for (int k = 0; k < 256; k++)
		if (p[k])
			udma_free_coherent(d, sz[k], p[k], h[k]);
	udma_thread_unregister(); /* the lcore's page cache goes back to the heap */
	assert_int_equal(heap_free_pages(), before);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_conservation_sim(void **s) { (void)s; conservation_in(T_SIM); }
static void test_conservation_pa(void **s) { (void)s; conservation_in(T_PA); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim),
		cmocka_unit_test(test_va),
		cmocka_unit_test(test_pa),
		cmocka_unit_test(test_rezeroed),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_conservation_sim),
		cmocka_unit_test(test_conservation_pa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
