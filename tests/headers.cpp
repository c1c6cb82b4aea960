// SPDX-License-Identifier: BSD-3-Clause
// Every public header, included from C++.
#include <udma.h>
#include <udma_linux.h>

extern "C" int headers_cpp(void);
dma_addr_t headers_cpp_attrs(struct device *dev, void *p);
void *headers_cpp_pool(struct udma_pool *pool, udma_addr_t *h);

// both attribute forms through the C++ overloads (compiled, not run)
dma_addr_t headers_cpp_attrs(struct device *dev, void *p)
{
	DEFINE_DMA_ATTRS(attrs);

	dma_set_attr(DMA_ATTR_SKIP_CPU_SYNC, &attrs);
	return dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, &attrs) +
	       dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC) +
	       dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, 0) +
	       dma_map_single_attrs(dev, p, 64, DMA_TO_DEVICE, nullptr);
}

// the inline pool fast paths compile as C++ (no flexible array member)
void *headers_cpp_pool(struct udma_pool *pool, udma_addr_t *h)
{
	void *b = udma_pool_alloc(pool, UDMA_GFP_ATOMIC, h);

	udma_pool_free(pool, b, *h);
	return udma_pool_create("cpp", NULL, 64, 0, 0);
}

int headers_cpp(void)
{
	static struct udma_sg sg[3];

	udma_sg_init_table(sg, 3);
	if (udma_sg_next(&sg[0]) != &sg[1])
		return 1;
	return sizeof(struct udma_pool_params) >= 48 && udma_is_err(udma_err_ptr(-5)) ? 0 : 1;
}
