/* SPDX-License-Identifier: BSD-3-Clause */
/* memsegs: translation, contiguity, the reverse map, against our own pagemap read in pa. */
#include <sys/mman.h>

#include "test_common.h"

#define SLOT UDMA_MEMSEG_LIST_VA_SIZE

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
	char *text;
	unsigned long long iova, va;
	int runs = 0;

	(void)s;
	if (t_init_mode(T_PA, "64"))
		skip();
	text = t_dump();
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

/* the end of the last mapping that starts in [lo, hi) (what the kernel shows), or lo */
static uintptr_t maps_end(uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long a, b;
	uintptr_t end = lo;
	char line[512];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a >= lo && a < hi && b > end)
			end = b;
	fclose(f);
	return end;
}

/* 1 GiB-aligned VA free for @len now (probed and released): all of it user space */
static uintptr_t free_va(size_t len)
{
	uint8_t *p = mmap(NULL, len + (1UL << 30), PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	assert_true(p != MAP_FAILED);
	munmap(p, len + (1UL << 30));
	return ((uintptr_t)p + (1UL << 30) - 1) & ~((1UL << 30) - 1);
}

/* @len of PROT_NONE exactly at @at, or NULL when something is there */
static void *map_at(uintptr_t at, size_t len)
{
	void *p = mmap((void *)at, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != MAP_FAILED && (uintptr_t)p != at) {
		munmap(p, len);
		return NULL;
	}
	return p == MAP_FAILED ? NULL : p;
}

/* coherent memory at @p: written by the CPU, what the device reads at @h */
/*
 * --base-virtaddr puts the memsegs there, and a list reserves only the VA its
 * memory takes: the VA after it is free for others. Another mapping there ends the
 * list: more memory opens the next slot. That mapping is foreign memory to udma
 * (no translation, registrable, bounced), and cleanup leaves no VA reserved.
 */
static void check_window(enum t_mode m)
{
	uintptr_t base = free_va((size_t)UDMA_MAX_MEMSEG_LISTS * SLOT), end; /* the window */
	char opt[64], mb[] = "16";
	struct udma_swiotlb_stats s0, s1;
	struct udma_device *d;
	enum { NQ = 64 };
	uint8_t *p, *q, *f, *qs[NQ];
	udma_addr_t h, hq = 0, hf, hqs[NQ];
	int ret, n;

	snprintf(opt, sizeof(opt), "--base-virtaddr=%#lx", (unsigned long)base);
	if (m == T_PA && !t_pa_possible())
		skip();
	if (m == T_SIM)
		ret = t_init_args("--iova-mode=sim", "-m", mb, opt, "--log-level=2", NULL);
	else if (m == T_VA)
		ret = t_init_args("--iova-mode=va", "--no-huge", "-m", mb, opt, "--log-level=2", NULL);
	else
		ret = t_init_args("--iova-mode=pa", "-m", mb, opt, "--log-level=2", NULL);
	if (ret < 0)
		fail_msg("init with %s: %d", opt, ret);
	d = t_dev64("window");
	p = udma_alloc_coherent(d, 1 << 20, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	assert_true((uintptr_t)p >= base && (uintptr_t)p < base + SLOT);
	t_device_sees(d, p, h, 1 << 20, 1);
	/* the list holds what was asked (-m, the swiotlb region...), not its 32 GiB slot */
	end = maps_end(base, base + SLOT);
	assert_true(end > (uintptr_t)p && end - base <= (256UL << 20));
	/* the VA right after it is free: another mapping takes it */
	f = map_at(end, 2UL << 20);
	assert_non_null(f);
	assert_int_equal(udma_virt2iova(f), UDMA_MAPPING_ERROR);
	/* more memory than the list has left (2 MiB at a time: IOVA-contiguous in pa
	 * too): the list cannot grow into the mapping, the next slot opens */
	for (n = 0, q = NULL; n < NQ && (q == NULL || (uintptr_t)q < base + SLOT); n++) {
		q = qs[n] = udma_alloc_coherent(d, 2UL << 20, &hqs[n], UDMA_GFP_KERNEL);
		assert_non_null(q);
		hq = hqs[n];
		assert_true((uintptr_t)q < (uintptr_t)f || (uintptr_t)q >= base + SLOT);
	}
	assert_true((uintptr_t)q >= base + SLOT && (uintptr_t)q < base + 2 * SLOT);
	t_device_sees(d, q, hq, 2UL << 20, 2);
	t_device_sees(d, p, h, 1 << 20, 3);
	assert_int_equal(maps_end(base, base + SLOT), (uintptr_t)f + (2UL << 20));
	/* the foreign mapping in the window is memory udma does not own: readable and
	 * writable it can be registered, and a map of it bounces (not refused as a hole) */
	assert_int_equal(mprotect(f, 2UL << 20, PROT_READ | PROT_WRITE), 0);
	t_fill(f, 4096, 4);
	hf = t_map_bounced(d, f, 4096, UDMA_TO_DEVICE);
	{
		uint8_t back[64];

		assert_int_equal(udma_sim_dma_read(d, hf, back, sizeof(back)), 0);
		assert_true(t_check(back, sizeof(back), 4));
	}
	udma_unmap_single(d, hf, 4096, UDMA_TO_DEVICE);
	/* registered, it maps without a bounce */
	assert_int_equal(udma_mem_register(f, 2UL << 20), 0);
	assert_int_equal(udma_swiotlb_stats(&s0), 0);
	hf = udma_map_single(d, f, 4096, UDMA_TO_DEVICE);
	assert_int_not_equal(hf, UDMA_MAPPING_ERROR);
	assert_int_equal(udma_swiotlb_stats(&s1), 0);
	assert_int_equal(s1.bounces, s0.bounces);
	if (m != T_SIM)
		assert_int_equal(hf, udma_virt2iova(f));
	{
		uint8_t back[256]; /* to the device: it reads (its last bytes) */
		size_t o = 4096 - sizeof(back);

		t_fill(f + o, sizeof(back), 5);
		assert_int_equal(udma_sim_dma_read(d, hf + o, back, sizeof(back)), 0);
		assert_true(t_check(back, sizeof(back), 5));
	}
	udma_unmap_single(d, hf, 4096, UDMA_TO_DEVICE);
	assert_int_equal(udma_mem_unregister(f, 2UL << 20), 0);
	/* udma's own VA is not: a registration overlapping a list's reservation is refused */
	{
		struct t_log log;
		char *text;

		t_log_begin(&log);
		assert_int_equal(udma_mem_register(p, 4096), -EBUSY);
		text = t_log_end(&log);
		assert_int_equal(t_count(text, "\n"), 1);
		free(text);
	}
	while (n > 0) {
		n--;
		udma_free_coherent(d, 2UL << 20, qs[n], hqs[n]);
	}
	udma_free_coherent(d, 1 << 20, p, h);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
	munmap(f, 2UL << 20);
	/* cleanup released every list's VA */
	assert_int_equal(maps_end(base, base + 2 * SLOT), base);
}

static void test_window_sim(void **s)
{
	(void)s;
	check_window(T_SIM);
}

static void test_window_va(void **s)
{
	(void)s;
	check_window(T_VA);
}

static void test_window_pa(void **s)
{
	(void)s;
	check_window(T_PA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim),
		cmocka_unit_test(test_va),
		cmocka_unit_test(test_pa),
		cmocka_unit_test(test_pa_layout),
		cmocka_unit_test(test_window_sim),
		cmocka_unit_test(test_window_va),
		cmocka_unit_test(test_window_pa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
