/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiled by tests/compile_check.sh, never linked: every attrs form the kernel
 * has compiles; with -DBAD=N one wrong type must be a compile error (C11 _Generic
 * finds no association), never code that runs.
 */
#include <udma_linux.h>

struct pair {
	int a, b;
};

dma_addr_t attrs_forms(struct device *dev, void *p);

dma_addr_t attrs_forms(struct device *dev, void *p)
{
	DEFINE_DMA_ATTRS(attrs);
	const struct dma_attrs *cattrs = &attrs;
	unsigned long ul = DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_NO_WARN;
	dma_addr_t h = 0;

	dma_set_attr(DMA_ATTR_SKIP_CPU_SYNC, &attrs);
	h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, &attrs);
	h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, cattrs);
	h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, NULL);
	h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, ul);
	h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, 0);
	h += dma_map_resource(dev, 0x1000, 64, DMA_TO_DEVICE, 0);
#if BAD == 1
	{
		double d = 1.0;

		h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, d);
	}
#elif BAD == 2
	{
		int *wrong = (int *)p;

		h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, wrong);
	}
#elif BAD == 3
	{
		struct pair pr = {1, 2};

		h += dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, pr);
	}
#elif BAD == 4
	h += (dma_addr_t)(uintptr_t)dma_alloc_attrs(dev, 64, &h, GFP_KERNEL, &attrs);
#elif BAD == 5
	dma_unmap_sg_attrs(dev, (struct scatterlist *)p, 1, DMA_TO_DEVICE, 1.5f);
#endif
	return h;
}
