/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * <udma_linux.h>: the Linux DMA-API document's code examples compile and run
 * unchanged (between the "Linux:" markers the text is the document's, byte for byte
 * but for indentation).
 */
#include "test_common.h"

#include <udma_linux.h>

/* the document's attrs example uses a made-up attribute, DMA_ATTR_FOO, and passes &attr */
#define DMA_ATTR_FOO DMA_ATTR_WEAK_ORDERING
#define attr attrs

static struct pci_dev g_pdev;
static uint8_t g_bufs[4][4096];

static int setup(void **s)
{
	(void)s;
	/* dma-debug on: every example here is also correct use, so it reports nothing */
	if (t_init_args("--iova-mode=sim", "-m", "16", "--dma-debug", "--log-level=2", NULL) < 0)
		return -1;
	g_pdev.dev = udma_linux_device(udma_device_create("pci0", NULL, -1));
	return pci_set_dma_mask(&g_pdev, DMA_BIT_MASK(64)) ||
	       pci_set_consistent_dma_mask(&g_pdev, DMA_BIT_MASK(64));
}

static int teardown(void **s)
{
	(void)s;
	udma_device_destroy(g_pdev.dev.udma);
	if (udma_debug_error_count() != 0) {
		udma_debug_dump(stderr);
		return -1;
	}
	return udma_eal_cleanup();
}

static void test_for_each_sg_example(void **s)
{
	struct device *dev = &g_pdev.dev;
	struct scatterlist sglist[4];
	int nents = 4;
	enum dma_data_direction direction = DMA_TO_DEVICE;
	dma_addr_t hw_address[4];
	unsigned int hw_len[4];
	size_t total = 0;

	(void)s;
	sg_init_table(sglist, 4);
	for (int k = 0; k < 4; k++) {
		t_fill(g_bufs[k], 4096, (unsigned)k);
		sg_set_buf(&sglist[k], g_bufs[k], 4096);
	}
	{
		/* Linux: */
		int i, count = dma_map_sg(dev, sglist, nents, direction);
		struct scatterlist *sg;

		for_each_sg(sglist, sg, count, i) {
			hw_address[i] = sg_dma_address(sg);
			hw_len[i] = sg_dma_len(sg);
		}
		/* :Linux */
		assert_true(count > 0);
		for (i = 0; i < count; i++) {
			uint8_t *back = malloc(hw_len[i]);

			assert_int_equal(udma_sim_dma_read(dev->udma, hw_address[i], back, hw_len[i]), 0);
			for (unsigned int k = 0; k < hw_len[i]; k += 4096)
				assert_true(t_check(back + k, 4096, (unsigned)((total + k) / 4096)));
			total += hw_len[i];
			free(back);
		}
		assert_int_equal(total, 4 * 4096);
		dma_unmap_sg(dev, sglist, nents, direction);
	}
}

static void test_attrs_example(void **s)
{
	struct device *dev = &g_pdev.dev;
	struct scatterlist sgl[2], *sg = sgl;
	int n, nents = 2;

	(void)s;
	sg_init_table(sgl, 2);
	sg_set_buf(&sgl[0], g_bufs[0], 100);
	sg_set_buf(&sgl[1], g_bufs[1], 100);
	{
		/* Linux: */
		DEFINE_DMA_ATTRS(attrs);
		dma_set_attr(DMA_ATTR_FOO, &attrs);
		n = dma_map_sg_attrs(dev, sg, nents, DMA_TO_DEVICE, &attr);
		/* :Linux */
		int foo = dma_get_attr(DMA_ATTR_FOO, &attrs);

		assert_true(n > 0);
		assert_int_equal(foo, 1);
		dma_unmap_sg_attrs(dev, sg, nents, DMA_TO_DEVICE, &attr);
	}
}

static void test_pci_names(void **s)
{
	struct pci_pool *pool;
	dma_addr_t h, hb;
	void *c, *b;
	uint8_t back[16];

	(void)s;
	c = pci_alloc_consistent(&g_pdev, 8192, &h);
	assert_non_null(c);
	t_fill(c, 16, 1);
	assert_int_equal(udma_sim_dma_read(g_pdev.dev.udma, h, back, 16), 0);
	assert_true(t_check(back, 16, 1));
	pci_free_consistent(&g_pdev, 8192, c, h);
	pool = pci_pool_create("ring", &g_pdev, 32, 32, 4096);
	b = pci_pool_alloc(pool, GFP_ATOMIC, &hb);
	assert_non_null(b);
	pci_pool_free(pool, b, hb);
	pci_pool_destroy(pool);
	h = pci_map_single(&g_pdev, g_bufs[2], 64, PCI_DMA_FROMDEVICE);
	assert_false(pci_dma_mapping_error(&g_pdev, h));
	pci_unmap_single(&g_pdev, h, 64, PCI_DMA_FROMDEVICE);
	assert_int_equal(pci_dma_supported(&g_pdev, DMA_BIT_MASK(64)), 1);
	assert_true(IS_ERR(dma_mark_declared_memory_occupied(&g_pdev.dev, 0, 4096)));
	assert_int_equal(PTR_ERR(ERR_PTR(-EBUSY)), -EBUSY);
	assert_true(dma_get_cache_alignment() >= 64);
}

/* issue 14: the modern unsigned long attrs (this call used to compile with
 * -Wint-conversion only and crash); both forms reach the same flags */
static void test_attrs_modern(void **s)
{
	struct device *dev = &g_pdev.dev;
	uint8_t *buf = malloc(256), back[256]; /* not udma memory: bounced */
	dma_addr_t h;
	struct scatterlist sgl[2];
	int n;

	(void)s;
	assert_non_null(buf);
	for (int form = 0; form < 4; form++) {
		DEFINE_DMA_ATTRS(attrs);

		dma_set_attr(DMA_ATTR_SKIP_CPU_SYNC, &attrs);
		t_fill(buf, 64, (unsigned)form + 10);
		if (form == 0)
			h = dma_map_single_attrs(dev, buf, 64, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
		else if (form == 1)
			h = dma_map_single_attrs(dev, buf, 64, DMA_TO_DEVICE, &attrs);
		else if (form == 2)
			h = dma_map_single_attrs(dev, buf, 64, DMA_TO_DEVICE, 0);
		else
			h = dma_map_single_attrs(dev, buf, 64, DMA_TO_DEVICE, NULL);
		assert_false(dma_mapping_error(dev, h));
		assert_int_equal(udma_sim_dma_read(dev->udma, h, back, 64), 0);
		/* SKIP_CPU_SYNC: the bounce slot did not get the CPU's bytes */
		assert_int_equal(t_check(back, 64, (unsigned)form + 10), form >= 2);
		if (form == 0)
			dma_unmap_single_attrs(dev, h, 64, DMA_TO_DEVICE,
					       DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_NO_WARN);
		else
			dma_unmap_single_attrs(dev, h, 64, DMA_TO_DEVICE, &attrs);
	}
	assert_int_equal(dma_get_attr(DMA_ATTR_SKIP_CPU_SYNC, &(struct dma_attrs){
					      .flags = DMA_ATTR_SKIP_CPU_SYNC}), 1);
	/* sg and page forms */
	sg_init_table(sgl, 2);
	sg_set_buf(&sgl[0], g_bufs[0], 100);
	sg_set_buf(&sgl[1], g_bufs[1], 100);
	n = dma_map_sg_attrs(dev, sgl, 2, DMA_TO_DEVICE, DMA_ATTR_WEAK_ORDERING);
	assert_true(n > 0);
	dma_unmap_sg_attrs(dev, sgl, 2, DMA_TO_DEVICE, 0UL);
	t_fill(g_bufs[3], 4096, 77);
	h = dma_map_page_attrs(dev, virt_to_page(g_bufs[3] + 10), offset_in_page(g_bufs[3] + 10), 50,
			       DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(dev, h));
	assert_int_equal(udma_sim_dma_read(dev->udma, h, back, 50), 0);
	assert_memory_equal(back, g_bufs[3] + 10, 50);
	dma_unmap_page_attrs(dev, h, 50, DMA_TO_DEVICE, 0);
	free(buf);
}

/*
 * dma_map_page_attrs/dma_unmap_page_attrs are the page kind of mapping, whatever the
 * attributes: mixed with dma_map_page/dma_unmap_page, dma-debug reports nothing
 */
static void test_page_attrs_pair(void **s)
{
	struct device *dev = &g_pdev.dev;
	static uint8_t page[4096] __attribute__((aligned(4096)));
	unsigned long n0 = udma_debug_error_count();
	uint8_t back[64];
	dma_addr_t h;

	(void)s;
	assert_true(udma_debug_enabled());
	t_fill(page, sizeof(page), 91);
	h = dma_map_page_attrs(dev, virt_to_page(page), 128, 64, DMA_TO_DEVICE,
			       DMA_ATTR_WEAK_ORDERING);
	assert_false(dma_mapping_error(dev, h));
	assert_int_equal(udma_sim_dma_read(dev->udma, h, back, 64), 0);
	assert_memory_equal(back, page + 128, 64);
	dma_unmap_page(dev, h, 64, DMA_TO_DEVICE);
	h = dma_map_page(dev, virt_to_page(page), 256, 64, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, h));
	assert_int_equal(udma_sim_dma_read(dev->udma, h, back, 64), 0);
	assert_memory_equal(back, page + 256, 64);
	dma_unmap_page_attrs(dev, h, 64, DMA_TO_DEVICE, DMA_ATTR_NO_WARN);
	assert_int_equal(udma_debug_error_count(), n0);
	/* the attributes still act: SKIP_CPU_SYNC leaves the bounce slot without the bytes */
	h = dma_map_page_attrs(dev, virt_to_page(page), 512, 64, DMA_TO_DEVICE,
			       DMA_ATTR_SKIP_CPU_SYNC);
	assert_false(dma_mapping_error(dev, h));
	assert_int_equal(udma_sim_dma_read(dev->udma, h, back, 64), 0);
	assert_true(memcmp(back, page + 512, 64) != 0);
	dma_unmap_page_attrs(dev, h, 64, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(udma_debug_error_count(), n0);
}

/* struct sg_table with dma_map_sgtable, both iterators, sg_set_page, sync */
static void test_sgtable(void **s)
{
	struct device *dev = &g_pdev.dev;
	struct sg_table sgt;
	struct scatterlist *sg;
	static uint8_t pages[4][4096] __attribute__((aligned(4096)));
	uint8_t back[4096];
	unsigned int i, total = 0, k = 0;

	(void)s;
	assert_int_equal(sg_alloc_table(&sgt, 4, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i) {
		t_fill(pages[i], 4096, 40 + i);
		sg_set_page(sg, virt_to_page(pages[i]), 2048, 1024);
	}
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, DMA_ATTR_NO_WARN), 0);
	assert_true(sgt.nents >= 1 && sgt.nents <= 4);
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		for (unsigned int off = 0; off < sg_dma_len(sg); off += 2048, k++) {
			assert_int_equal(udma_sim_dma_read(dev->udma, sg_dma_address(sg) + off, back,
							   2048), 0);
			assert_memory_equal(back, pages[k] + 1024, 2048);
		}
		total += sg_dma_len(sg);
	}
	assert_int_equal(total, 4 * 2048);
	assert_int_equal(k, 4);
	dma_sync_sgtable_for_cpu(dev, &sgt, DMA_TO_DEVICE);
	dma_sync_sgtable_for_device(dev, &sgt, DMA_TO_DEVICE);
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	sg_free_table(&sgt);
	/* a NULL table: -EINVAL and one line, no crash */
	{
		struct t_log l;
		char *text;

		t_log_begin(&l);
		assert_int_equal(dma_map_sgtable(dev, NULL, DMA_TO_DEVICE, 0), -EINVAL);
		text = t_log_end(&l);
		assert_int_equal(t_count(text, "\n"), 1);
		free(text);
	}
}

/* dmam_alloc_coherent: freed at device destroy, without a leak report */
static void test_managed(void **s)
{
	struct device d2 = udma_linux_device(udma_device_create("managed", NULL, -1));
	struct udma_device_stats st;
	dma_addr_t h1, h2, h3;
	void *a, *b, *c;
	uint8_t back[16];
	struct t_log l;
	char *text;

	(void)s;
	assert_non_null(d2.udma);
	a = dmam_alloc_coherent(&d2, 4096, &h1, GFP_KERNEL);
	b = dmam_alloc_coherent(&d2, 8192, &h2, GFP_KERNEL);
	c = dma_alloc_attrs(&d2, 4096, &h3, GFP_KERNEL, DMA_ATTR_WRITE_COMBINE);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	t_fill(b, 16, 5);
	assert_int_equal(udma_sim_dma_read(d2.udma, h2, back, 16), 0);
	assert_true(t_check(back, 16, 5));
	assert_int_equal(udma_device_stats(d2.udma, &st), 0);
	assert_int_equal(st.coherent_allocs, 3);
	dmam_free_coherent(&d2, 4096, a, h1);
	dma_free_attrs(&d2, 4096, c, h3, 0);
	assert_int_equal(udma_device_stats(d2.udma, &st), 0);
	assert_int_equal(st.coherent_allocs, 1);
	t_log_begin(&l);
	dmam_free_coherent(&d2, 4096, a, h1); /* twice: logged, nothing freed */
	dmam_free_coherent(&d2, 4096, b, h2); /* wrong size: logged, kept */
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 2);
	free(text);
	assert_int_equal(udma_device_stats(d2.udma, &st), 0);
	assert_int_equal(st.coherent_allocs, 1);
	/* destroy frees b quietly (a leak would be reported at WARNING) */
	t_log_begin(&l);
	udma_log_set_level(UDMA_LOG_DEBUG);
	udma_device_destroy(d2.udma);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "leak"), 0);
	free(text);
	/* bad device: NULL, EINVAL, one line */
	t_log_begin(&l);
	errno = 0;
	assert_null(udma_dmam_alloc_coherent(NULL, 4096, &h1, GFP_KERNEL));
	assert_int_equal(errno, EINVAL);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 1);
	free(text);
}

/* dma_map_resource: refused in sim (an IOMMU is in between) with one line */
static void test_map_resource(void **s)
{
	struct device *dev = &g_pdev.dev;
	struct t_log l;
	char *text;

	(void)s;
	t_log_begin(&l);
	assert_true(dma_mapping_error(dev, dma_map_resource(dev, 0xfe000000ULL, 4096,
							    DMA_BIDIRECTIONAL, 0)));
	assert_true(dma_mapping_error(dev, udma_map_resource(dev->udma, 0xfe000000ULL, 0,
							     DMA_BIDIRECTIONAL)));
	udma_unmap_resource(dev->udma, 0xfe000000ULL, 4096, DMA_NONE);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 3);
	assert_int_equal(t_count(text, "not supported in iova mode sim"), 1);
	free(text);
}

/* the kernel helper names: byte order, 32-bit halves, BIT, unmap bookkeeping */
/* dev_err..dev_dbg: the application's log type ("user"), the device's name first */
static int g_log_type = -1, g_log_level = -1;
static char g_log_line[256];

static void record_log(void *ctx, enum udma_log_type type, int level, const char *line)
{
	(void)ctx;
	g_log_type = (int)type;
	g_log_level = level;
	snprintf(g_log_line, sizeof(g_log_line), "%s", line);
}

static void test_dev_log(void **s)
{
	struct device *dev = &g_pdev.dev;
	int old = udma_log_get_type_level(UDMA_LOGTYPE_USER);

	(void)s;
	udma_log_set_handler(record_log, NULL);
	/* --log-level=user:debug shows the driver's messages while udma's stay quiet */
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_USER, UDMA_LOG_DEBUG), 0);
	dev_err(dev, "ring %d lost", 3);
	assert_int_equal(g_log_type, UDMA_LOGTYPE_USER);
	assert_int_equal(g_log_level, UDMA_LOG_ERR);
	assert_non_null(strstr(g_log_line, "pci0: ring 3 lost"));
	g_log_type = -1;
	dev_dbg(dev, "tail %u", 7u);
	assert_int_equal(g_log_type, UDMA_LOGTYPE_USER);
	assert_int_equal(g_log_level, UDMA_LOG_DEBUG);
	assert_non_null(strstr(g_log_line, "pci0: tail 7"));
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_USER, old), 0);
	g_log_type = -1;
	dev_info(dev, "quiet");
	assert_int_equal(g_log_type, -1);
	udma_log_set_handler(NULL, NULL);
}

static void test_kernel_names(void **s)
{
	struct {
		DEFINE_DMA_UNMAP_ADDR(addr);
		DEFINE_DMA_UNMAP_LEN(len);
	} st;
	__le32 le = cpu_to_le32(0x11223344u);
	__be32 be = cpu_to_be32(0x11223344u);
	u8 *lb = (u8 *)&le, *bb = (u8 *)&be;
	u64 v = 0x1234567890abcdefULL;

	(void)s;
	assert_int_equal(lb[0], 0x44);
	assert_int_equal(bb[0], 0x11);
	assert_int_equal(le32_to_cpu(le), 0x11223344u);
	assert_int_equal(be32_to_cpu(be), 0x11223344u);
	assert_int_equal(be16_to_cpu(cpu_to_be16(0xabcd)), 0xabcd);
	assert_int_equal(le64_to_cpu(cpu_to_le64(v)), v);
	assert_int_equal(be64_to_cpu(cpu_to_be64(v)), v);
	assert_int_equal(upper_32_bits(v), 0x12345678u);
	assert_int_equal(lower_32_bits(v), 0x90abcdefu);
	assert_int_equal(BIT(5), 32);
	dma_unmap_addr_set(&st, addr, 0xabc000);
	dma_unmap_len_set(&st, len, 300);
	assert_int_equal(dma_unmap_addr(&st, addr), 0xabc000);
	assert_int_equal(dma_unmap_len(&st, len), 300);
	mb();
	rmb();
	wmb();
	dma_rmb();
	dma_wmb();
	assert_int_equal(sizeof(s64) + sizeof(s32) + sizeof(s16) + sizeof(s8), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_for_each_sg_example),
		cmocka_unit_test(test_attrs_example),
		cmocka_unit_test(test_pci_names),
		cmocka_unit_test(test_attrs_modern),
		cmocka_unit_test(test_page_attrs_pair),
		cmocka_unit_test(test_sgtable),
		cmocka_unit_test(test_managed),
		cmocka_unit_test(test_map_resource),
		cmocka_unit_test(test_kernel_names),
		cmocka_unit_test(test_dev_log),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
