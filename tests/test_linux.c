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
	if (t_init_args("--iova-mode=sim", "-m", "16", "--log-level=2", NULL) < 0)
		return -1;
	g_pdev.dev = udma_linux_device(udma_device_create("pci0", NULL, -1));
	return pci_set_dma_mask(&g_pdev, DMA_BIT_MASK(64)) ||
	       pci_set_consistent_dma_mask(&g_pdev, DMA_BIT_MASK(64));
}

static int teardown(void **s)
{
	(void)s;
	udma_device_destroy(g_pdev.dev.udma);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_for_each_sg_example),
		cmocka_unit_test(test_attrs_example),
		cmocka_unit_test(test_pci_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
