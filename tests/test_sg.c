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

static void run(enum t_mode m)
{
	g_mode = m;
	if (t_init_mode(m, "32"))
		skip();
	g_dev = t_dev64("sg");
	mixed_list();
	chained_and_table();
	from_device_and_failure();
	udma_device_destroy(g_dev);
	assert_int_equal(udma_eal_cleanup(), 0);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
