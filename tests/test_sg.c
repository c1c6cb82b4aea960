/* SPDX-License-Identifier: BSD-3-Clause */
/* Scatterlists and the batch mapper in every mode. */
#include "test_common.h"

static struct udma_device *g_dev;
static enum t_mode g_mode;

/* the device reads the segments in order: their concatenation is the entries' bytes */
static void device_reads_list(struct udma_sg *sgl, int nents, int count)
{
	size_t total = 0, off = 0;
	struct udma_sg *sg;
	uint8_t *want, *got;
	int i;

	udma_for_each_sg(sgl, sg, nents, i)
		total += sg->length;
	want = malloc(total);
	got = malloc(total);
	udma_for_each_sg(sgl, sg, nents, i) {
		memcpy(want + off, sg->buf, sg->length);
		off += sg->length;
	}
	off = 0;
	udma_for_each_sg(sgl, sg, count, i) {
		assert_true(off + udma_sg_dma_len(sg) <= total);
		assert_int_equal(udma_sim_dma_read(g_dev, udma_sg_dma_address(sg), got + off,
						   udma_sg_dma_len(sg)), 0);
		off += udma_sg_dma_len(sg);
	}
	assert_int_equal(off, total);
	assert_memory_equal(want, got, total);
	free(want);
	free(got);
}

static void mixed_list(void)
{
	udma_addr_t h;
	uint8_t *coh = udma_alloc_coherent(g_dev, 64 << 10, &h, UDMA_GFP_KERNEL);
	uint8_t *foreign = aligned_alloc(4096, 64 << 10), *reg = aligned_alloc(4096, 64 << 10);
	struct udma_sg sg[9];
	int count;

	assert_int_equal(udma_mem_register(reg, 64 << 10), 0);
	udma_sg_init_table(sg, 9);
	for (int i = 0; i < 9; i++) {
		uint8_t *base = i % 3 == 0 ? coh : i % 3 == 1 ? foreign : reg;
		uint8_t *p = base + (size_t)i * 4096 + (i == 4 ? 100 : 0);
		unsigned int len = i == 4 ? 1000 : 4096;

		t_fill(p, len, (unsigned)i);
		udma_sg_set_buf(&sg[i], p, len);
	}
	count = udma_map_sg(g_dev, sg, 9, UDMA_TO_DEVICE);
	assert_true(count > 0 && count <= 9);
	device_reads_list(sg, 9, count);
	udma_unmap_sg(g_dev, sg, 9, UDMA_TO_DEVICE);
	/* adjacent memseg pieces merge */
	udma_sg_init_table(sg, 4);
	for (int i = 0; i < 4; i++)
		udma_sg_set_buf(&sg[i], coh + i * 4096, 4096);
	count = udma_map_sg(g_dev, sg, 4, UDMA_BIDIRECTIONAL);
	if (g_mode != T_FORCE)
		assert_true(count < 4);
	device_reads_list(sg, 4, count);
	udma_unmap_sg(g_dev, sg, 4, UDMA_BIDIRECTIONAL);
	/* limits: max segment size and boundary are never exceeded */
	udma_set_max_seg_size(g_dev, 8192);
	udma_set_seg_boundary(g_dev, 0x3fff);
	udma_sg_init_table(sg, 8);
	for (int i = 0; i < 8; i++)
		udma_sg_set_buf(&sg[i], coh + 2048 + i * 4096, 4096);
	count = udma_map_sg(g_dev, sg, 8, UDMA_TO_DEVICE);
	assert_true(count > 0);
	struct udma_sg *s;
	int i;

	udma_for_each_sg(sg, s, count, i) {
		assert_true(udma_sg_dma_len(s) <= 8192);
		assert_int_equal(udma_sg_dma_address(s) / 0x4000,
				 (udma_sg_dma_address(s) + udma_sg_dma_len(s) - 1) / 0x4000);
	}
	device_reads_list(sg, 8, count);
	udma_unmap_sg(g_dev, sg, 8, UDMA_TO_DEVICE);
	udma_set_max_seg_size(g_dev, 65536);
	udma_set_seg_boundary(g_dev, UDMA_BIT_MASK(32));
	assert_int_equal(udma_mem_unregister(reg, 64 << 10), 0);
	free(reg);
	free(foreign);
	udma_free_coherent(g_dev, 64 << 10, coh, h);
}

static void chained_and_table(void)
{
	struct udma_sg a[3], b[2], *sg;
	struct udma_sg_table t;
	static uint8_t bufs[4][512];
	int count, i, n = 0;

	udma_sg_init_table(a, 3);
	udma_sg_init_table(b, 2);
	udma_sg_set_buf(&a[0], bufs[0], 512);
	udma_sg_set_buf(&a[1], bufs[1], 512);
	udma_sg_chain(a, 3, b);
	udma_sg_set_buf(&b[0], bufs[2], 512);
	udma_sg_set_buf(&b[1], bufs[3], 512);
	for (int k = 0; k < 4; k++)
		t_fill(bufs[k], 512, (unsigned)k + 40);
	for (sg = a; sg; sg = udma_sg_next(sg))
		n++;
	assert_int_equal(n, 4);
	count = udma_map_sg(g_dev, a, 4, UDMA_TO_DEVICE);
	assert_true(count > 0);
	device_reads_list(a, 4, count);
	udma_unmap_sg(g_dev, a, 4, UDMA_TO_DEVICE);
	/* a table of 300 entries spans chained arrays */
	assert_int_equal(udma_sg_alloc_table(&t, 300), 0);
	n = 0;
	udma_for_each_sg(t.sgl, sg, 300, i) {
		udma_sg_set_buf(sg, bufs[i % 4], 64);
		n++;
	}
	assert_int_equal(n, 300);
	count = udma_map_sg(g_dev, t.sgl, 300, UDMA_TO_DEVICE);
	assert_true(count > 0);
	device_reads_list(t.sgl, 300, count);
	udma_unmap_sg(g_dev, t.sgl, 300, UDMA_TO_DEVICE);
	udma_sg_free_table(&t);
	assert_int_equal(udma_sg_alloc_table(&t, 0), -EINVAL);
}

static void from_device_and_failure(void)
{
	struct udma_swiotlb_stats before, after;
	static uint8_t bufs[3][1024];
	struct udma_sg sg[3], *s;
	uint8_t dev[1024];
	int count, i;

	udma_sg_init_table(sg, 3);
	for (int k = 0; k < 3; k++) {
		memset(bufs[k], 0x21, 1024);
		udma_sg_set_buf(&sg[k], bufs[k], 1024);
	}
	count = udma_map_sg(g_dev, sg, 3, UDMA_FROM_DEVICE);
	assert_true(count > 0);
	t_fill(dev, 1024, 50);
	udma_for_each_sg(sg, s, count, i)
		assert_int_equal(udma_sim_dma_write(g_dev, udma_sg_dma_address(s), dev, 1024), 0);
	assert_int_equal(bufs[0][0], 0x21); /* foreign memory bounces: not before the sync */
	udma_sync_sg_for_cpu(g_dev, sg, 3, UDMA_FROM_DEVICE);
	assert_true(t_check(bufs[0], 1024, 50));
	udma_unmap_sg(g_dev, sg, 3, UDMA_FROM_DEVICE);
	/* failure: an empty entry in the middle maps nothing and leaves nothing mapped */
	udma_swiotlb_stats(&before);
	udma_sg_set_buf(&sg[1], bufs[1], 0);
	assert_int_equal(udma_map_sg(g_dev, sg, 3, UDMA_TO_DEVICE), 0);
	udma_swiotlb_stats(&after);
	assert_int_equal(after.used, before.used);
	/* FORCE_CONTIGUOUS that cannot be one segment */
	UDMA_DEFINE_ATTRS(attrs);

	udma_set_attr(UDMA_ATTR_FORCE_CONTIGUOUS, &attrs);
	udma_sg_set_buf(&sg[1], bufs[1] + 100, 100);
	count = udma_map_sg_attrs(g_dev, sg, 3, UDMA_TO_DEVICE, &attrs);
	if (count)
		assert_int_equal(count, 1);
	udma_swiotlb_stats(&after);
	if (!count)
		assert_int_equal(after.used, before.used);
	else
		udma_unmap_sg_attrs(g_dev, sg, 3, UDMA_TO_DEVICE, &attrs);
	/* bad arguments */
	assert_int_equal(udma_map_sg(NULL, sg, 3, UDMA_TO_DEVICE), 0);
	assert_int_equal(udma_map_sg(g_dev, NULL, 3, UDMA_TO_DEVICE), 0);
	assert_int_equal(udma_map_sg(g_dev, sg, 0, UDMA_TO_DEVICE), 0);
	assert_int_equal(udma_map_sg(g_dev, sg, 3, UDMA_NONE), 0);
	assert_int_equal(udma_map_sg(g_dev, sg, 4, UDMA_TO_DEVICE), 0); /* past the end mark */
}

/* a small LCG: the same lists on every run */
static uint32_t g_rnd = 12345;
static uint32_t rnd(uint32_t n)
{
	g_rnd = g_rnd * 1103515245u + 12345u;
	return (g_rnd >> 8) % n;
}

/*
 * Random lists (runs of adjacent entries, scattered ones, entries across pages,
 * chained arrays) under random segment limits. Every mode: the device reads the
 * entries' bytes and no segment breaks a limit. pa/va: each entry maps to its own
 * IOVA (udma_virt2iova()) and the segments are exactly what the DMA-API
 * document's merge rules give, entry by entry.
 */
static void merge_model(void)
{
	static const unsigned int maxsegs[] = {65536, 8192, 12288, 4096, 1u << 20};
	static const uint64_t bounds[] = {0xffffffffULL, 0xffff, 0x3fff, 0x1fffff};
	const size_t coh_len = 256 << 10;
	udma_addr_t h;
	uint8_t *coh = udma_alloc_coherent(g_dev, coh_len, &h, UDMA_GFP_KERNEL);
	bool direct = g_mode == T_PA || g_mode == T_VA;

	assert_non_null(coh);
	t_fill(coh, coh_len, 77);
	for (int round = 0; round < 150; round++) {
		unsigned int maxseg = maxsegs[rnd(5)];
		uint64_t bmask = bounds[rnd(4)];
		int n = round % 10 == 9 ? 130 + (int)rnd(170) : 1 + (int)rnd(40);
		struct udma_sg_table t;
		struct udma_sg *sg;
		uint64_t seg_addr = 0, seg_len = 0;
		size_t prev_end = 0;
		int count, want = 0, i;

		assert_int_equal(udma_set_max_seg_size(g_dev, maxseg), 0);
		assert_int_equal(udma_set_seg_boundary(g_dev, bmask), 0);
		assert_int_equal(udma_sg_alloc_table(&t, (unsigned int)n), 0);
		udma_for_each_sg(t.sgl, sg, n, i) {
			size_t off = rnd(2) && prev_end < coh_len - 64 ? prev_end :
				     rnd((uint32_t)(coh_len - 64));
			size_t len = 1 + rnd(rnd(4) ? 4096 : 12288);
			udma_addr_t iova = udma_virt2iova(coh + off);

			if (len > coh_len - off)
				len = coh_len - off;
			if (direct && ((iova ^ (iova + len - 1)) & ~bmask) != 0)
				len = (size_t)((iova | bmask) - iova + 1); /* not across a boundary */
			udma_sg_set_buf(sg, coh + off, (unsigned int)len);
			prev_end = off + len;
		}
		count = udma_map_sg(g_dev, t.sgl, n, round % 2 ? UDMA_TO_DEVICE : UDMA_BIDIRECTIONAL);
		assert_true(count > 0 && count <= n);
		udma_for_each_sg(t.sgl, sg, count, i) {
			udma_addr_t a = udma_sg_dma_address(sg);
			unsigned int l = udma_sg_dma_len(sg);

			assert_true(l > 0);
			assert_int_equal((a ^ (a + l - 1)) & ~bmask, 0);
		}
		device_reads_list(t.sgl, n, count);
		if (direct) {
			struct udma_sg *out = t.sgl;

			udma_for_each_sg(t.sgl, sg, n, i) {
				udma_addr_t iova = udma_virt2iova(sg->buf);
				uint64_t end = iova + sg->length - 1;

				if (want && seg_addr + seg_len == iova && seg_len + sg->length <= maxseg &&
				    ((seg_addr ^ end) & ~bmask) == 0) {
					seg_len += sg->length;
					continue;
				}
				if (want) {
					assert_int_equal(udma_sg_dma_address(out), seg_addr);
					assert_int_equal(udma_sg_dma_len(out), seg_len);
					out = udma_sg_next(out);
				}
				seg_addr = iova;
				seg_len = sg->length;
				want++;
			}
			assert_int_equal(udma_sg_dma_address(out), seg_addr);
			assert_int_equal(udma_sg_dma_len(out), seg_len);
			assert_int_equal(count, want);
		}
		udma_unmap_sg(g_dev, t.sgl, n, round % 2 ? UDMA_TO_DEVICE : UDMA_BIDIRECTIONAL);
		udma_sg_free_table(&t);
	}
	assert_int_equal(udma_set_max_seg_size(g_dev, 65536), 0);
	assert_int_equal(udma_set_seg_boundary(g_dev, UDMA_BIT_MASK(32)), 0);
	udma_free_coherent(g_dev, coh_len, coh, h);
}

/*
 * The mapper remembers the last entry's page across calls: a device with a
 * narrower mask or a smaller segment boundary must not inherit it. A 64-bit
 * device maps entries of a page first; then a 32-bit device and a device with a
 * 4 KiB boundary map entries of the same page: each of their segments is under
 * their mask and inside their boundary, and the device reads the right bytes.
 */
static void cache_per_device(void)
{
	struct udma_device *d32 = udma_device_create("sg32", NULL, -1), *dsmall = t_dev64("sgb");
	struct udma_device *devs[2] = {d32, dsmall};
	udma_addr_t h;
	uint8_t *coh = udma_alloc_coherent(g_dev, 64 << 10, &h, UDMA_GFP_KERNEL);
	struct udma_sg sg[4], *s;
	int count, i;

	assert_non_null(coh);
	assert_non_null(d32);
	/* pa mode on a machine with no memory below 4 GiB cannot have a 32-bit device */
	if (udma_set_mask(d32, UDMA_BIT_MASK(32)) != 0)
		devs[0] = NULL;
	assert_int_equal(udma_set_seg_boundary(dsmall, 0xfff), 0);
	t_fill(coh, 64 << 10, 91);
	for (int k = 0; k < 2; k++) {
		struct udma_device *d = devs[k];
		uint64_t lim = k == 0 ? UDMA_BIT_MASK(32) : UDMA_BIT_MASK(64);

		if (d == NULL)
			continue;

		udma_sg_init_table(sg, 4);
		for (i = 0; i < 4; i++) /* 3 KiB pieces 8 KiB apart: two of them cross a 4 KiB line */
			udma_sg_set_buf(&sg[i], coh + 2048 + (size_t)i * 8192, 3072);
		count = udma_map_sg(g_dev, sg, 4, UDMA_TO_DEVICE); /* the wide device first */
		assert_int_equal(count, g_mode == T_PA || g_mode == T_VA ? 4 : count);
		udma_unmap_sg(g_dev, sg, 4, UDMA_TO_DEVICE);
		count = udma_map_sg(d, sg, 4, UDMA_TO_DEVICE);
		if (count == 0) /* 32-bit: pa mode may have no bounce region below 4 GiB */
			continue;
		udma_for_each_sg(sg, s, count, i) {
			udma_addr_t a = udma_sg_dma_address(s);
			unsigned int l = udma_sg_dma_len(s);

			assert_true(a + l - 1 <= lim);
			/* an entry across the boundary bounces into a slot (every mode: sim
			 * keeps the page offset in the IOVA, so it must bounce too) */
			if (k == 1)
				assert_int_equal(a >> 12, (a + l - 1) >> 12);
		}
		{
			struct udma_device *keep = g_dev;

			g_dev = d; /* device_reads_list reads through g_dev */
			device_reads_list(sg, 4, count);
			g_dev = keep;
		}
		udma_unmap_sg(d, sg, 4, UDMA_TO_DEVICE);
	}
	udma_free_coherent(g_dev, 64 << 10, coh, h);
	udma_device_destroy(dsmall);
	udma_device_destroy(d32);
}

static void run(enum t_mode m)
{
	g_mode = m;
	if (t_init_mode(m, "32"))
		skip();
	g_dev = t_dev64("sg");
	mixed_list();
	chained_and_table();
	from_device_and_failure();
	merge_model();
	cache_per_device();
	udma_device_destroy(g_dev);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/*
 * The remembered page belongs to one init: map in pa mode, clean up, init in va
 * mode on hugepages too (the same VA layout, other IOVAs) and map at the same
 * place again: the handle is the new mode's translation, never the old one.
 */
static void test_reinit(void **st)
{
	const char *modes[2] = {"--iova-mode=pa", "--iova-mode=va"};
	uint8_t *first = NULL;

	(void)st;
	if (!t_pa_possible())
		skip();
	for (int k = 0; k < 2; k++) {
		struct udma_device *d;
		struct udma_sg sg[1];
		udma_addr_t h;
		uint8_t *coh, *p;

		assert_true(t_init_args(modes[k], "-m", "32", "--log-level=2", NULL) >= 0);
		d = t_dev64("sgre");
		coh = udma_alloc_coherent(d, 64 << 10, &h, UDMA_GFP_KERNEL);
		assert_non_null(coh);
		t_fill(coh, 64 << 10, 5 + (unsigned int)k);
		p = coh + 64;
		if (k == 0)
			first = p;
		else if (udma_virt2iova(first) != UDMA_MAPPING_ERROR)
			p = first; /* memseg memory in this init too: the very page remembered */
		else
			print_message("test_reinit: %p is not memseg memory after re-init\n",
				      (void *)first);
		for (int r = 0; r < 2; r++) { /* the second map finds the page remembered */
			udma_sg_init_table(sg, 1);
			udma_sg_set_buf(sg, p, 512);
			assert_int_equal(udma_map_sg(d, sg, 1, UDMA_TO_DEVICE), 1);
			assert_int_equal(udma_sg_dma_address(sg), udma_virt2iova(p));
			g_dev = d;
			device_reads_list(sg, 1, 1);
			udma_unmap_sg(d, sg, 1, UDMA_TO_DEVICE);
		}
		udma_free_coherent(d, 64 << 10, coh, h);
		udma_device_destroy(d);
		assert_int_equal(udma_eal_cleanup(), 0);
	}
}

static void test_sim(void **s) { (void)s; run(T_SIM); }
static void test_va(void **s) { (void)s; run(T_VA); }
static void test_pa(void **s) { (void)s; run(T_PA); }
static void test_force(void **s) { (void)s; run(T_FORCE); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim),
		cmocka_unit_test(test_va),
		cmocka_unit_test(test_pa),
		cmocka_unit_test(test_force),
		cmocka_unit_test(test_reinit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
