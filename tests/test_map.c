/* SPDX-License-Identifier: BSD-3-Clause */
/* Streaming mappings in every mode, proven through the sim device model. */
#include <pthread.h>

#include "test_common.h"

struct ctx {
	enum t_mode mode;
	struct udma_device *dev;
	uint8_t *coh;      /* memseg memory */
	udma_addr_t coh_h;
	uint8_t *foreign;  /* plain process memory */
};

static struct ctx g;

static int up(enum t_mode m)
{
	memset(&g, 0, sizeof(g));
	g.mode = m;
	if (t_init_mode(m, "16"))
		return 1;
	g.dev = t_dev64("map");
	g.coh = udma_alloc_coherent(g.dev, 64 << 10, &g.coh_h, UDMA_GFP_KERNEL);
	g.foreign = aligned_alloc(4096, 64 << 10);
	assert_non_null(g.coh);
	assert_non_null(g.foreign);
	return 0;
}

static void down(void)
{
	struct udma_swiotlb_stats st;

	assert_int_equal(udma_swiotlb_stats(&st), 0);
	assert_int_equal(st.used, 0); /* every bounce slot came back */
	udma_free_coherent(g.dev, 64 << 10, g.coh, g.coh_h);
	free(g.foreign);
	udma_device_destroy(g.dev);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static bool bounced(const uint8_t *mem)
{
	return g.mode == T_FORCE || mem == g.foreign;
}

/* TO_DEVICE: the device reads exactly the CPU's bytes; in sim it may not write */
static void to_device(uint8_t *mem)
{
	uint8_t back[5000];
	unsigned long f0 = udma_sim_fault_count();
	udma_addr_t a;

	t_fill(mem + 100, 5000, 1);
	a = udma_map_single(g.dev, mem + 100, 5000, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, 5000), 0);
	assert_true(t_check(back, 5000, 1));
	if (g.mode == T_SIM || g.mode == T_FORCE) {
		assert_int_equal(udma_sim_dma_write(g.dev, a, back, 16), -EFAULT);
		assert_int_equal(udma_sim_fault_count(), f0 + 1);
	}
	udma_unmap_single(g.dev, a, 5000, UDMA_TO_DEVICE);
}

/* FROM_DEVICE: visible after sync/unmap (bounced: not before); unwritten bytes kept */
static void from_device(uint8_t *mem)
{
	uint8_t dev_bytes[2000], back[16];
	udma_addr_t a;

	memset(mem, 0x33, 4096);
	a = udma_map_single(g.dev, mem, 4096, UDMA_FROM_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	if (g.mode == T_SIM || g.mode == T_FORCE)
		assert_int_equal(udma_sim_dma_read(g.dev, a, back, 16), -EFAULT);
	t_fill(dev_bytes, sizeof(dev_bytes), 2);
	assert_int_equal(udma_sim_dma_write(g.dev, a, dev_bytes, sizeof(dev_bytes)), 0);
	if (bounced(mem))
		assert_int_equal(mem[0], 0x33); /* not before the sync */
	else
		assert_true(t_check(mem, sizeof(dev_bytes), 2));
	udma_sync_single_for_cpu(g.dev, a, 4096, UDMA_FROM_DEVICE);
	assert_true(t_check(mem, sizeof(dev_bytes), 2));
	assert_int_equal(mem[2000], 0x33);
	/* the device writes more; unmap makes it visible */
	t_fill(dev_bytes, 100, 3);
	udma_sync_single_for_device(g.dev, a, 4096, UDMA_FROM_DEVICE);
	assert_int_equal(udma_sim_dma_write(g.dev, a + 3000, dev_bytes, 100), 0);
	udma_unmap_single(g.dev, a, 4096, UDMA_FROM_DEVICE);
	assert_true(t_check(mem + 3000, 100, 3));
	assert_int_equal(mem[2999], 0x33);
	assert_int_equal(mem[3100], 0x33);
}

/* BIDIRECTIONAL with Linux's sync_single: it hands the buffer back and forth */
static void bidirectional(uint8_t *mem)
{
	uint8_t back[256];
	udma_addr_t a;

	t_fill(mem, 256, 4);
	a = udma_map_single(g.dev, mem, 256, UDMA_BIDIRECTIONAL);
	assert_false(udma_mapping_error(g.dev, a));
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, 256), 0);
	assert_true(t_check(back, 256, 4));
	t_fill(back, 256, 5);
	assert_int_equal(udma_sim_dma_write(g.dev, a, back, 256), 0);
	udma_sync_single(g.dev, a, 256, UDMA_BIDIRECTIONAL); /* to the CPU */
	assert_true(t_check(mem, 256, 5));
	t_fill(mem, 256, 6);
	udma_sync_single(g.dev, a, 256, UDMA_BIDIRECTIONAL); /* back to the device */
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, 256), 0);
	assert_true(t_check(back, 256, 6));
	udma_unmap_single(g.dev, a, 256, UDMA_BIDIRECTIONAL);
}

static void pages_and_attrs(uint8_t *mem)
{
	UDMA_DEFINE_ATTRS(attrs);
	uint8_t back[64];
	udma_addr_t a;
	struct t_log log;
	char *text;

	t_fill(mem + 4096 + 64, 64, 8);
	a = udma_map_page(g.dev, mem + 4096, 64, 64, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, 64), 0);
	assert_true(t_check(back, 64, 8));
	udma_unmap_page(g.dev, a, 64, UDMA_TO_DEVICE);
	assert_int_equal(udma_map_page(g.dev, mem + 1, 0, 64, UDMA_TO_DEVICE), UDMA_MAPPING_ERROR);
	/* SKIP_CPU_SYNC: unmap of a bounced FROM_DEVICE mapping leaves the CPU bytes alone */
	udma_set_attr(UDMA_ATTR_SKIP_CPU_SYNC, &attrs);
	assert_int_equal(udma_get_attr(UDMA_ATTR_SKIP_CPU_SYNC, &attrs), 1);
	assert_int_equal(udma_get_attr(UDMA_ATTR_NO_WARN, &attrs), 0);
	assert_int_equal(udma_get_attr(UDMA_ATTR_NO_WARN, NULL), 0);
	memset(mem, 0x44, 64);
	a = udma_map_single_attrs(g.dev, mem, 64, UDMA_FROM_DEVICE, &attrs);
	memset(back, 0x55, 64);
	assert_int_equal(udma_sim_dma_write(g.dev, a, back, 64), 0);
	udma_unmap_single_attrs(g.dev, a, 64, UDMA_FROM_DEVICE, &attrs);
	assert_int_equal(mem[0], bounced(mem) ? 0x44 : 0x55);
	/* NO_WARN: a failing map says nothing */
	udma_set_attr(UDMA_ATTR_NO_WARN, &attrs);
	t_log_begin(&log);
	a = udma_map_single_attrs(g.dev, mem, 1 << 20, UDMA_TO_DEVICE, &attrs);
	text = t_log_end(&log);
	if (udma_mapping_error(g.dev, a))
		assert_int_equal(t_count(text, "ERR"), 0);
	else
		udma_unmap_single_attrs(g.dev, a, 1 << 20, UDMA_TO_DEVICE, NULL);
	free(text);
}

static void everything(enum t_mode m)
{
	if (up(m))
		skip();
	for (int pass = 0; pass < 2; pass++) {
		uint8_t *mem = pass ? g.foreign : g.coh;

		to_device(mem);
		from_device(mem);
		bidirectional(mem);
		pages_and_attrs(mem);
	}
	down();
}

static void test_sim(void **s) { (void)s; everything(T_SIM); }
static void test_va(void **s) { (void)s; everything(T_VA); }
static void test_pa(void **s) { (void)s; everything(T_PA); }
static void test_force(void **s) { (void)s; everything(T_FORCE); }

/* a 32-bit device never gets a handle above 4 GiB */
static void limits_in(enum t_mode m)
{
	struct udma_device *d32;
	udma_addr_t a;

	if (up(m))
		skip();
	d32 = udma_device_create("d32", NULL, -1);
	for (int pass = 0; pass < 2; pass++) {
		uint8_t *mem = pass ? g.foreign : g.coh;

		a = udma_map_single(d32, mem, 8192, UDMA_BIDIRECTIONAL);
		if (!udma_mapping_error(d32, a)) {
			assert_true(a + 8192 - 1 <= 0xffffffffULL);
			udma_unmap_single(d32, a, 8192, UDMA_BIDIRECTIONAL);
		}
		a = udma_map_single(g.dev, mem, 8192, UDMA_BIDIRECTIONAL);
		assert_false(udma_mapping_error(g.dev, a));
		udma_unmap_single(g.dev, a, 8192, UDMA_BIDIRECTIONAL);
	}
	udma_device_destroy(d32);
	down();
}

static void test_limits_sim(void **s) { (void)s; limits_in(T_SIM); }
static void test_limits_va(void **s) { (void)s; limits_in(T_VA); }
static void test_limits_pa(void **s) { (void)s; limits_in(T_PA); }
static void test_limits_force(void **s) { (void)s; limits_in(T_FORCE); }

static void test_swiotlb_off(void **s)
{
	struct udma_swiotlb_stats st;
	uint8_t *buf = malloc(4096);
	struct udma_device *d;

	(void)s;
	assert_true(t_init_args("--iova-mode=sim", "--swiotlb=off", "-m", "4", "--log-level=2",
				NULL) >= 0);
	d = t_dev64("nobounce");
	udma_swiotlb_stats(&st);
	assert_int_equal(st.size, 0);
	assert_int_equal(udma_map_single(d, buf, 4096, UDMA_TO_DEVICE), UDMA_MAPPING_ERROR);
	assert_int_equal(udma_swiotlb_stats(NULL), -EINVAL);
	udma_device_destroy(d);
	udma_eal_cleanup();
	free(buf);
}

static void register_in(enum t_mode m)
{
	struct udma_swiotlb_stats before, after;
	uint8_t back[4096];
	udma_addr_t a;

	if (up(m))
		skip();
	assert_int_equal(udma_mem_register(g.foreign, 64 << 10), 0);
	assert_int_equal(udma_mem_register(g.foreign + 4096, 100), -EBUSY);
	assert_int_equal(udma_mem_register(g.coh, 4096), -EBUSY);
	assert_int_equal(udma_mem_register(NULL, 4096), -EINVAL);
	assert_int_equal(udma_mem_register(g.foreign, 0), -EINVAL);
	udma_swiotlb_stats(&before);
	t_fill(g.foreign + 8192, 4096, 11);
	a = udma_map_single(g.dev, g.foreign + 8192, 4096, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, 4096), 0);
	assert_true(t_check(back, 4096, 11));
	udma_unmap_single(g.dev, a, 4096, UDMA_TO_DEVICE);
	udma_swiotlb_stats(&after);
	if (m != T_FORCE)
		assert_int_equal(after.bounces, before.bounces); /* direct, no bounce */
	assert_int_equal(udma_mem_unregister(g.foreign, 4096), -ERANGE);
	assert_int_equal(udma_mem_unregister(g.foreign + 4096, 64 << 10), -ERANGE);
	assert_int_equal(udma_mem_unregister(g.foreign, 64 << 10), 0);
	assert_int_equal(udma_mem_unregister(g.foreign, 64 << 10), -EINVAL);
	/* afterwards it maps again, by bouncing */
	a = udma_map_single(g.dev, g.foreign + 8192, 4096, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, 4096), 0);
	assert_true(t_check(back, 4096, 11));
	udma_unmap_single(g.dev, a, 4096, UDMA_TO_DEVICE);
	down();
}

static void test_register_sim(void **s) { (void)s; register_in(T_SIM); }
static void test_register_va(void **s) { (void)s; register_in(T_VA); }
static void test_register_pa(void **s) { (void)s; register_in(T_PA); }

/* bad arguments: errors and log lines, never a crash; an earlier mapping stays valid */
static void test_bad_args(void **s)
{
	uint8_t back[64], stack[64];
	struct t_log log;
	udma_addr_t a;
	char *text;

	(void)s;
	if (up(T_SIM))
		skip();
	t_fill(g.coh, 64, 12);
	a = udma_map_single(g.dev, g.coh, 64, UDMA_TO_DEVICE);
	t_log_begin(&log);
	assert_int_equal(udma_map_single(NULL, g.coh, 64, UDMA_TO_DEVICE), UDMA_MAPPING_ERROR);
	assert_int_equal(udma_map_single(g.dev, NULL, 64, UDMA_TO_DEVICE), UDMA_MAPPING_ERROR);
	assert_int_equal(udma_map_single(g.dev, g.coh, 0, UDMA_TO_DEVICE), UDMA_MAPPING_ERROR);
	assert_int_equal(udma_map_single(g.dev, g.coh, 64, UDMA_NONE), UDMA_MAPPING_ERROR);
	assert_int_equal(udma_map_single(g.dev, g.coh, 64, (enum udma_data_direction)7),
			 UDMA_MAPPING_ERROR);
	udma_unmap_single(NULL, a, 64, UDMA_TO_DEVICE);
	udma_unmap_single(g.dev, UDMA_MAPPING_ERROR, 64, UDMA_TO_DEVICE);
	udma_unmap_single(g.dev, a, 0, UDMA_TO_DEVICE);
	udma_unmap_single(g.dev, a, 64, UDMA_NONE);
	udma_unmap_single(g.dev, 0x1234000, 64, UDMA_TO_DEVICE); /* never mapped */
	udma_unmap_single(g.dev, a, 3 * 4096, UDMA_TO_DEVICE);   /* not its size */
	udma_sync_single_for_cpu(NULL, a, 64, UDMA_TO_DEVICE);
	udma_sync_single_for_cpu(g.dev, a, 0, UDMA_TO_DEVICE);
	udma_sync_single_for_device(g.dev, a, 64, UDMA_NONE);
	udma_sync_single_range(g.dev, UDMA_MAPPING_ERROR, 0, 64, UDMA_TO_DEVICE);
	assert_int_equal(udma_mem_unregister(stack, 64), -EINVAL);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "ERR"), 16);
	free(text);
	/* the first mapping is untouched */
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, 64), 0);
	assert_true(t_check(back, 64, 12));
	udma_unmap_single(g.dev, a, 64, UDMA_TO_DEVICE);
	/* sync past the end of a bounced mapping: refused */
	a = udma_map_single(g.dev, g.foreign, 64, UDMA_FROM_DEVICE);
	t_log_begin(&log);
	udma_sync_single_range_for_cpu(g.dev, a, 32, 64, UDMA_FROM_DEVICE);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "ERR"), 1);
	free(text);
	udma_unmap_single(g.dev, a, 64, UDMA_FROM_DEVICE);
	down();
}

/* two threads mapping and unmapping concurrently, every byte checked */
static void *mapper(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg, seed = id + 1;
	uint8_t *own = aligned_alloc(4096, 16384), back[4096];
	uint8_t *coh = g.coh + id * 16384;

	udma_thread_register();
	for (int it = 0; it < 3000; it++) {
		uint8_t *mem = (it & 1) ? own : coh;
		size_t len = 64 + (size_t)(rand_r(&seed) % 4000);
		enum udma_data_direction dir = (enum udma_data_direction)(rand_r(&seed) % 3);
		udma_addr_t a;

		t_fill(mem, len, (unsigned)it + id);
		a = udma_map_single(g.dev, mem, len, dir);
		if (udma_mapping_error(g.dev, a))
			return (void *)1;
		if (dir != UDMA_FROM_DEVICE &&
		    (udma_sim_dma_read(g.dev, a, back, len) || !t_check(back, len, (unsigned)it + id)))
			return (void *)2;
		if (dir != UDMA_TO_DEVICE) {
			t_fill(back, len, (unsigned)it * 3 + id);
			if (udma_sim_dma_write(g.dev, a, back, len))
				return (void *)3;
		}
		udma_unmap_single(g.dev, a, len, dir);
		if (dir != UDMA_TO_DEVICE && !t_check(mem, len, (unsigned)it * 3 + id))
			return (void *)4;
	}
	free(own);
	udma_thread_unregister();
	return NULL;
}

static void threads_in(enum t_mode m)
{
	pthread_t t[2];

	if (up(m))
		skip();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, mapper, (void *)(uintptr_t)i);
	for (int i = 0; i < 2; i++) {
		void *r;

		pthread_join(t[i], &r);
		if (r)
			fail_msg("%s: thread %d failed with %ld", t_mode_name[m], i, (long)(intptr_t)r);
	}
	down();
}

static void test_threads_sim(void **s) { (void)s; threads_in(T_SIM); }
static void test_threads_va(void **s) { (void)s; threads_in(T_VA); }
static void test_threads_force(void **s) { (void)s; threads_in(T_FORCE); }

/* ---- the bounce fast paths: every size class, bytes on both sides, no spill ----- */

#define GUARD 64

static void guard_set(uint8_t *p, size_t n)
{
	memset(p - GUARD, 0xa5, GUARD);
	memset(p + n, 0x5a, GUARD);
}

static void guard_ok(const uint8_t *p, size_t n)
{
	for (int k = 0; k < GUARD; k++) {
		assert_int_equal(p[-1 - k], 0xa5);
		assert_int_equal(p[n + (size_t)k], 0x5a);
	}
}

/* one size through tx, rx (device writes half), bidi unmap without sync, for_device */
static void bounce_bytes(uint8_t *p, size_t n, unsigned int seed)
{
	uint8_t *back = malloc(n);
	udma_addr_t a;

	assert_non_null(back);
	guard_set(p, n);
	/* tx: the device reads the CPU's bytes; unmap leaves them alone */
	t_fill(p, n, seed);
	a = udma_map_single(g.dev, p, n, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, n), 0);
	assert_true(t_check(back, n, seed));
	udma_unmap_single(g.dev, a, n, UDMA_TO_DEVICE);
	assert_true(t_check(p, n, seed));
	guard_ok(p, n);
	/* rx: the device writes the first half; the CPU sees it and keeps the rest */
	a = udma_map_single(g.dev, p, n, UDMA_FROM_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	t_fill(back, n / 2 + 1, seed + 1);
	assert_int_equal(udma_sim_dma_write(g.dev, a, back, n / 2 + 1), 0);
	udma_sync_single_for_cpu(g.dev, a, n, UDMA_FROM_DEVICE);
	assert_true(t_check(p, n / 2 + 1, seed + 1));
	t_fill(back, n, seed);
	assert_memory_equal(p + n / 2 + 1, back + n / 2 + 1, n - n / 2 - 1);
	udma_unmap_single(g.dev, a, n, UDMA_FROM_DEVICE);
	assert_true(t_check(p, n / 2 + 1, seed + 1));
	guard_ok(p, n);
	/* bidi, unmapped without a sync: the unmap copies the device's bytes */
	a = udma_map_single(g.dev, p, n, UDMA_BIDIRECTIONAL);
	assert_false(udma_mapping_error(g.dev, a));
	t_fill(back, n, seed + 2);
	assert_int_equal(udma_sim_dma_write(g.dev, a, back, n), 0);
	udma_unmap_single(g.dev, a, n, UDMA_BIDIRECTIONAL);
	assert_true(t_check(p, n, seed + 2));
	guard_ok(p, n);
	/*
	 * bidi both ways: the CPU sees the device's bytes, writes half of the buffer,
	 * the device sees that half and the rest it wrote; the device writes again and
	 * the unmap (the device owned it since sync_for_device) copies that back
	 */
	a = udma_map_single(g.dev, p, n, UDMA_BIDIRECTIONAL);
	assert_false(udma_mapping_error(g.dev, a));
	t_fill(back, n, seed + 4);
	assert_int_equal(udma_sim_dma_write(g.dev, a, back, n), 0);
	udma_sync_single_for_cpu(g.dev, a, n, UDMA_BIDIRECTIONAL);
	assert_true(t_check(p, n, seed + 4));
	t_fill(p, n / 2 + 1, seed + 5);
	udma_sync_single_for_device(g.dev, a, n, UDMA_BIDIRECTIONAL);
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, n), 0);
	assert_true(t_check(back, n / 2 + 1, seed + 5));
	assert_memory_equal(back + n / 2 + 1, p + n / 2 + 1, n - n / 2 - 1);
	t_fill(back, n, seed + 6);
	assert_int_equal(udma_sim_dma_write(g.dev, a, back, n), 0);
	udma_unmap_single(g.dev, a, n, UDMA_BIDIRECTIONAL);
	assert_true(t_check(p, n, seed + 6));
	guard_ok(p, n);
	/* rx synced in part: the CPU sees the prefix at once, the unmap copies the rest */
	if (n > 1) {
		t_fill(p, n, seed);
		a = udma_map_single(g.dev, p, n, UDMA_FROM_DEVICE);
		assert_false(udma_mapping_error(g.dev, a));
		t_fill(back, n, seed + 7);
		assert_int_equal(udma_sim_dma_write(g.dev, a, back, n), 0);
		udma_sync_single_for_cpu(g.dev, a, n / 2, UDMA_FROM_DEVICE);
		assert_true(t_check(p, n / 2, seed + 7));
		t_fill(back, n, seed);
		assert_memory_equal(p + n / 2, back + n / 2, n - n / 2); /* not synced yet */
		udma_unmap_single(g.dev, a, n, UDMA_FROM_DEVICE);
		assert_true(t_check(p, n, seed + 7));
		guard_ok(p, n);
	}
	/* for_device: the CPU's new bytes reach the device */
	a = udma_map_single(g.dev, p, n, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	t_fill(p, n, seed + 3);
	udma_sync_single_for_device(g.dev, a, n, UDMA_TO_DEVICE);
	assert_int_equal(udma_sim_dma_read(g.dev, a, back, n), 0);
	assert_true(t_check(back, n, seed + 3));
	udma_unmap_single(g.dev, a, n, UDMA_TO_DEVICE);
	guard_ok(p, n);
	free(back);
}

/* a sync past the end, and one after unmap, copy nothing into the CPU's buffer */
static void bounce_refusals(uint8_t *p, size_t n)
{
	uint8_t *junk = malloc(n + 64);
	udma_addr_t a;

	assert_non_null(junk);
	memset(junk, 0xee, n + 64);
	t_fill(p, n, 9);
	a = udma_map_single(g.dev, p, n, UDMA_FROM_DEVICE);
	assert_false(udma_mapping_error(g.dev, a));
	assert_int_equal(udma_sim_dma_write(g.dev, a, junk, n), 0);
	udma_sync_single_for_cpu(g.dev, a, n + 1, UDMA_FROM_DEVICE); /* past the end */
	assert_true(t_check(p, n, 9));
	udma_sync_single_for_cpu(g.dev, a, n, UDMA_TO_DEVICE); /* another direction */
	udma_unmap_single(g.dev, a, n + 1, UDMA_FROM_DEVICE); /* the wrong size: refused */
	udma_unmap_single(g.dev, a, n, UDMA_FROM_DEVICE);
	memset(p, 0x11, n);
	udma_sync_single_for_cpu(g.dev, a, n, UDMA_FROM_DEVICE); /* after unmap */
	udma_unmap_single(g.dev, a, n, UDMA_FROM_DEVICE); /* twice */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(p[k], 0x11);
	{ /* another device's unmap and syncs: refused one line each, nothing copied; the
	   * mapping stays its owner's, whose unmap brings the device's bytes */
		struct udma_device *other = t_dev64("bounce-other");
		struct t_log log;
		char *text;

		t_fill(p, n, 12);
		a = udma_map_single(g.dev, p, n, UDMA_FROM_DEVICE);
		assert_false(udma_mapping_error(g.dev, a));
		t_fill(junk, n, 13);
		assert_int_equal(udma_sim_dma_write(g.dev, a, junk, n), 0);
		t_log_begin(&log);
		udma_sync_single_for_cpu(other, a, n, UDMA_FROM_DEVICE);
		udma_sync_single_for_device(other, a, n, UDMA_FROM_DEVICE);
		udma_unmap_single(other, a, n, UDMA_FROM_DEVICE);
		text = t_log_end(&log);
		assert_int_equal(t_count(text, "ERR"), 3);
		assert_int_equal(t_count(text, "udma_sync_single_for_cpu"), 1);
		assert_int_equal(t_count(text, "udma_sync_single_for_device"), 1);
		assert_int_equal(t_count(text, "udma_unmap_single"), 1);
		free(text);
		assert_true(t_check(p, n, 12));
		udma_unmap_single(g.dev, a, n, UDMA_FROM_DEVICE);
		assert_true(t_check(p, n, 13));
		udma_device_destroy(other);
	}
	free(junk);
}

/* nothing lost: the whole region maps again in runs of 256 KiB (magazines drained) */
static void region_whole(uint64_t size)
{
	size_t run = 256 << 10, n = size / run;
	udma_addr_t *h = calloc(n, sizeof(*h));
	uint8_t *big = malloc(run);

	assert_non_null(h);
	assert_non_null(big);
	memset(big, 0x3c, run);
	for (size_t k = 0; k < n; k++) {
		h[k] = udma_map_single(g.dev, big, run, UDMA_TO_DEVICE);
		assert_false(udma_mapping_error(g.dev, h[k]));
	}
	for (size_t k = 0; k < n; k++)
		udma_unmap_single(g.dev, h[k], run, UDMA_TO_DEVICE);
	free(big);
	free(h);
}

/*
 * A device whose mask ends inside the slot at @seen (a slot the fast path handed
 * out, 4 KiB): a slot above its mask goes back (no capacity lost) and the full
 * path decides; a map that succeeds is under the mask and carries the bytes.
 */
static void bounce_above_mask(uint8_t *p, udma_addr_t seen)
{
	uint64_t mask = seen + 4094; /* not a power of two less one: udma takes any mask */
	struct udma_swiotlb_stats s1, s2;
	struct udma_device *d = udma_device_create("bounce-mask", NULL, -1);
	udma_addr_t a;

	assert_non_null(d);
	if (udma_set_mask(d, mask) != 0) { /* it reaches no memory: nothing to test */
		udma_device_destroy(d);
		return;
	}
	assert_int_equal(udma_swiotlb_stats(&s1), 0);
	for (int k = 0; k < 40; k++) { /* past a magazine's worth */
		t_fill(p, 4096, 40 + (unsigned int)k);
		a = udma_map_single(d, p, 4096, UDMA_TO_DEVICE);
		if (!udma_mapping_error(d, a)) {
			uint8_t back[64];

			assert_true(a + 4095 <= mask);
			assert_int_equal(udma_sim_dma_read(d, a, back, sizeof(back)), 0);
			assert_true(t_check(back, sizeof(back), 40 + (unsigned int)k));
			udma_unmap_single(d, a, 4096, UDMA_TO_DEVICE);
		}
	}
	assert_int_equal(udma_swiotlb_stats(&s2), 0);
	assert_int_equal(s2.used, s1.used);
	assert_int_equal(s1.used, 0);
	region_whole(s2.size);
	udma_device_destroy(d);
}

static const size_t g_sizes[] = {1, 31, 32, 33, 1000, 2047, 2048, 2049, 2079, 4096, 4097,
				 5000, 8191, 8192, 8193, 16391, 65539};

static void bounce_fast_in(const char *mode, bool force)
{
	uint8_t *buf;
	struct udma_swiotlb_stats st0, st;

	memset(&g, 0, sizeof(g));
	g.mode = force ? T_FORCE : T_VA;
	if (strcmp(mode, "--iova-mode=pa") == 0 && !t_pa_possible())
		skip();
	assert_true(t_init_args(mode, "-m", "32", "--log-level=1",
				force ? "--swiotlb=force" : "--swiotlb=auto",
				strcmp(mode, "--iova-mode=va") == 0 ? "--no-huge" : NULL, NULL) >= 0);
	g.dev = t_dev64("bounce");
	buf = malloc(70000 + 2 * GUARD + 64);
	assert_non_null(buf);
	assert_int_equal(udma_swiotlb_stats(&st0), 0);
	for (size_t k = 0; k < sizeof(g_sizes) / sizeof(g_sizes[0]); k++)
		for (size_t off = 0; off < 64; off += 37) /* aligned and not */
			bounce_bytes(buf + GUARD + off, g_sizes[k], (unsigned int)(k * 7 + off));
	bounce_refusals(buf + GUARD, 4096);
	{ /* each bounce counted once, on the lcore's magazine line */
		struct udma_swiotlb_stats s1, s2;
		udma_addr_t a;

		assert_int_equal(udma_swiotlb_stats(&s1), 0);
		a = udma_map_single(g.dev, buf + GUARD, 4096, UDMA_TO_DEVICE);
		assert_false(udma_mapping_error(g.dev, a));
		assert_int_equal(udma_swiotlb_stats(&s2), 0);
		assert_int_equal(s2.bounces, s1.bounces + 1);
		assert_int_equal(s2.used, s1.used + 4096);
		udma_unmap_single(g.dev, a, 4096, UDMA_TO_DEVICE);
		assert_int_equal(udma_swiotlb_stats(&s2), 0);
		assert_int_equal(s2.bounces, s1.bounces + 1);
		assert_int_equal(s2.used, s1.used);
		bounce_above_mask(buf + GUARD, a);
	}
	if (force) { /* memseg memory bounces too, through the same fast path */
		udma_addr_t h;
		uint8_t *coh = udma_alloc_coherent(g.dev, 80 << 10, &h, UDMA_GFP_KERNEL);

		assert_non_null(coh);
		bounce_bytes(coh + GUARD, 4096, 77);
		bounce_bytes(coh + GUARD + 5, 65539, 78);
		udma_free_coherent(g.dev, 80 << 10, coh, h);
	}
	assert_int_equal(udma_swiotlb_stats(&st), 0);
	assert_int_equal(st.used, 0);
	assert_true(st.bounces > st0.bounces);
	free(buf);
	udma_device_destroy(g.dev);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_bounce_fast_va(void **s) { (void)s; bounce_fast_in("--iova-mode=va", false); }
static void test_bounce_fast_va_force(void **s) { (void)s; bounce_fast_in("--iova-mode=va", true); }
static void test_bounce_fast_pa(void **s) { (void)s; bounce_fast_in("--iova-mode=pa", false); }
static void test_bounce_fast_pa_force(void **s) { (void)s; bounce_fast_in("--iova-mode=pa", true); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim),
		cmocka_unit_test(test_va),
		cmocka_unit_test(test_pa),
		cmocka_unit_test(test_force),
		cmocka_unit_test(test_limits_sim),
		cmocka_unit_test(test_limits_va),
		cmocka_unit_test(test_limits_pa),
		cmocka_unit_test(test_limits_force),
		cmocka_unit_test(test_swiotlb_off),
		cmocka_unit_test(test_register_sim),
		cmocka_unit_test(test_register_va),
		cmocka_unit_test(test_register_pa),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_threads_sim),
		cmocka_unit_test(test_threads_va),
		cmocka_unit_test(test_threads_force),
		cmocka_unit_test(test_bounce_fast_va),
		cmocka_unit_test(test_bounce_fast_va_force),
		cmocka_unit_test(test_bounce_fast_pa),
		cmocka_unit_test(test_bounce_fast_pa_force),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
