/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The Linux names for udma: dma_*, pci_*, scatterlist, dma_pool, DMA attributes,
 * error pointers. Opt-in: include it in a driver ported from the kernel; never
 * included by <udma.h>.
 *
 * struct device is a thin handle: point its `udma` member at a udma device (or
 * use udma_linux_device()), and embed it in struct pci_dev as `dev`, as the kernel
 * does. struct scatterlist, struct dma_pool, struct pci_pool and struct dma_attrs
 * are the udma types under macro names, so those words are reserved once this
 * header is included.
 */
#ifndef UDMA_LINUX_H
#define UDMA_LINUX_H

#include "udma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The kernel's struct device: a handle on a udma device. */
struct device {
	struct udma_device *udma; /**< the device DMA is done for */
};

/** The kernel's struct pci_dev, reduced to what the DMA API uses. */
struct pci_dev {
	struct device dev; /**< as in the kernel: &pdev->dev */
};

/** @return @p d pointed at @p u: `struct device dev = udma_linux_device(u);` */
static inline struct device udma_linux_device(struct udma_device *u)
{
	struct device d = {u};

	return d;
}

/** @cond LINUX_ALIASES (each name below is the udma one under its kernel name) */
typedef udma_addr_t dma_addr_t;
typedef udma_gfp_t gfp_t;
typedef uint64_t u64;
#define GFP_KERNEL UDMA_GFP_KERNEL
#define GFP_ATOMIC UDMA_GFP_ATOMIC
#define DMA_BIT_MASK(n) UDMA_BIT_MASK(n)
#define DMA_MAPPING_ERROR UDMA_MAPPING_ERROR

#define dma_data_direction udma_data_direction
#define DMA_BIDIRECTIONAL UDMA_BIDIRECTIONAL
#define DMA_TO_DEVICE UDMA_TO_DEVICE
#define DMA_FROM_DEVICE UDMA_FROM_DEVICE
#define DMA_NONE UDMA_NONE
#define PCI_DMA_BIDIRECTIONAL 0
#define PCI_DMA_TODEVICE 1
#define PCI_DMA_FROMDEVICE 2
#define PCI_DMA_NONE 3

/* ---- coherent buffers ---------------------------------------------------- */
static inline void *dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *handle,
				       gfp_t flag)
{
	return udma_alloc_coherent(dev->udma, size, handle, flag);
}
static inline void dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
				     dma_addr_t handle)
{
	udma_free_coherent(dev->udma, size, cpu_addr, handle);
}
/* the Linux DMA-API document: pci_alloc_consistent assumes GFP_ATOMIC */
static inline void *pci_alloc_consistent(struct pci_dev *pdev, size_t size, dma_addr_t *handle)
{
	return udma_alloc_coherent(pdev->dev.udma, size, handle, GFP_ATOMIC);
}
static inline void pci_free_consistent(struct pci_dev *pdev, size_t size, void *cpu_addr,
				       dma_addr_t handle)
{
	udma_free_coherent(pdev->dev.udma, size, cpu_addr, handle);
}

/* ---- dma pools ----------------------------------------------------------- */
#define dma_pool udma_pool
#define pci_pool udma_pool
static inline struct udma_pool *dma_pool_create(const char *name, struct device *dev, size_t size,
						size_t align, size_t alloc)
{
	return udma_pool_create(name, dev->udma, size, align, alloc);
}
static inline struct udma_pool *pci_pool_create(const char *name, struct pci_dev *pdev,
						size_t size, size_t align, size_t alloc)
{
	return udma_pool_create(name, pdev->dev.udma, size, align, alloc);
}
#define dma_pool_alloc(pool, gfp, handle) udma_pool_alloc(pool, gfp, handle)
#define dma_pool_zalloc(pool, gfp, handle) udma_pool_zalloc(pool, gfp, handle)
#define dma_pool_free(pool, vaddr, addr) udma_pool_free(pool, vaddr, addr)
#define dma_pool_destroy(pool) udma_pool_destroy(pool)
#define pci_pool_alloc(pool, gfp, handle) udma_pool_alloc(pool, gfp, handle)
#define pci_pool_free(pool, vaddr, addr) udma_pool_free(pool, vaddr, addr)
#define pci_pool_destroy(pool) udma_pool_destroy(pool)

/* ---- DMA addressing limits ----------------------------------------------- */
#define dma_supported(dev, mask) udma_supported((dev)->udma, mask)
#define dma_set_mask(dev, mask) udma_set_mask((dev)->udma, mask)
#define dma_set_coherent_mask(dev, mask) udma_set_coherent_mask((dev)->udma, mask)
#define dma_set_mask_and_coherent(dev, mask) udma_set_mask_and_coherent((dev)->udma, mask)
#define dma_get_mask(dev) udma_get_mask((dev)->udma)
#define dma_get_required_mask(dev) udma_get_required_mask((dev)->udma)
#define dma_set_max_seg_size(dev, size) udma_set_max_seg_size((dev)->udma, size)
#define dma_set_seg_boundary(dev, mask) udma_set_seg_boundary((dev)->udma, mask)
#define pci_dma_supported(pdev, mask) udma_supported((pdev)->dev.udma, mask)
#define pci_set_dma_mask(pdev, mask) udma_set_mask((pdev)->dev.udma, mask)
#define pci_set_consistent_dma_mask(pdev, mask) udma_set_coherent_mask((pdev)->dev.udma, mask)

/* ---- streaming mappings -------------------------------------------------- */
#define dma_attrs udma_attrs
#define DEFINE_DMA_ATTRS(x) UDMA_DEFINE_ATTRS(x)
#define dma_set_attr(attr, attrs) udma_set_attr(attr, attrs)
#define dma_get_attr(attr, attrs) udma_get_attr(attr, attrs)
#define DMA_ATTR_WRITE_BARRIER UDMA_ATTR_WRITE_BARRIER
#define DMA_ATTR_WEAK_ORDERING UDMA_ATTR_WEAK_ORDERING
#define DMA_ATTR_WRITE_COMBINE UDMA_ATTR_WRITE_COMBINE
#define DMA_ATTR_SKIP_CPU_SYNC UDMA_ATTR_SKIP_CPU_SYNC
#define DMA_ATTR_FORCE_CONTIGUOUS UDMA_ATTR_FORCE_CONTIGUOUS
#define DMA_ATTR_NO_WARN UDMA_ATTR_NO_WARN

#define dma_map_single(dev, p, size, dir) udma_map_single((dev)->udma, p, size, dir)
#define dma_unmap_single(dev, a, size, dir) udma_unmap_single((dev)->udma, a, size, dir)
#define dma_map_single_attrs(dev, p, size, dir, attrs) \
	udma_map_single_attrs((dev)->udma, p, size, dir, attrs)
#define dma_unmap_single_attrs(dev, a, size, dir, attrs) \
	udma_unmap_single_attrs((dev)->udma, a, size, dir, attrs)
#define dma_map_page(dev, page, off, size, dir) udma_map_page((dev)->udma, page, off, size, dir)
#define dma_unmap_page(dev, a, size, dir) udma_unmap_page((dev)->udma, a, size, dir)
#define dma_mapping_error(dev, a) udma_mapping_error((dev)->udma, a)
#define dma_sync_single(dev, a, size, dir) udma_sync_single((dev)->udma, a, size, dir)
#define dma_sync_single_for_cpu(dev, a, size, dir) udma_sync_single_for_cpu((dev)->udma, a, size, dir)
#define dma_sync_single_for_device(dev, a, size, dir) \
	udma_sync_single_for_device((dev)->udma, a, size, dir)
#define dma_sync_single_range(dev, a, off, size, dir) \
	udma_sync_single_range((dev)->udma, a, off, size, dir)
#define dma_sync_single_range_for_cpu(dev, a, off, size, dir) \
	udma_sync_single_range_for_cpu((dev)->udma, a, off, size, dir)
#define dma_sync_single_range_for_device(dev, a, off, size, dir) \
	udma_sync_single_range_for_device((dev)->udma, a, off, size, dir)

#define pci_map_single(pdev, p, size, dir) \
	udma_map_single((pdev)->dev.udma, p, size, (enum udma_data_direction)(dir))
#define pci_unmap_single(pdev, a, size, dir) \
	udma_unmap_single((pdev)->dev.udma, a, size, (enum udma_data_direction)(dir))
#define pci_map_page(pdev, page, off, size, dir) \
	udma_map_page((pdev)->dev.udma, page, off, size, (enum udma_data_direction)(dir))
#define pci_unmap_page(pdev, a, size, dir) \
	udma_unmap_page((pdev)->dev.udma, a, size, (enum udma_data_direction)(dir))
#define pci_dma_mapping_error(pdev, a) udma_mapping_error((pdev)->dev.udma, a)
#define pci_dma_sync_single(pdev, a, size, dir) \
	udma_sync_single((pdev)->dev.udma, a, size, (enum udma_data_direction)(dir))

/* ---- scatterlists ------------------------------------------------------------ */
#define scatterlist udma_sg
#define sg_init_table(sgl, n) udma_sg_init_table(sgl, n)
#define sg_set_buf(sg, buf, len) udma_sg_set_buf(sg, buf, len)
#define sg_next(sg) udma_sg_next(sg)
#define sg_mark_end(sg) udma_sg_mark_end(sg)
#define sg_chain(prv, n, sgl) udma_sg_chain(prv, n, sgl)
#define for_each_sg(sgl, sg, nents, i) udma_for_each_sg(sgl, sg, nents, i)
#define sg_dma_address(sg) udma_sg_dma_address(sg)
#define sg_dma_len(sg) udma_sg_dma_len(sg)
#define sg_table udma_sg_table
#define sg_alloc_table(t, n, gfp) udma_sg_alloc_table(t, n)
#define sg_free_table(t) udma_sg_free_table(t)

#define dma_map_sg(dev, sgl, n, dir) udma_map_sg((dev)->udma, sgl, n, dir)
#define dma_unmap_sg(dev, sgl, n, dir) udma_unmap_sg((dev)->udma, sgl, n, dir)
#define dma_map_sg_attrs(dev, sgl, n, dir, attrs) udma_map_sg_attrs((dev)->udma, sgl, n, dir, attrs)
#define dma_unmap_sg_attrs(dev, sgl, n, dir, attrs) \
	udma_unmap_sg_attrs((dev)->udma, sgl, n, dir, attrs)
#define dma_sync_sg(dev, sgl, n, dir) udma_sync_sg((dev)->udma, sgl, n, dir)
#define dma_sync_sg_for_cpu(dev, sgl, n, dir) udma_sync_sg_for_cpu((dev)->udma, sgl, n, dir)
#define dma_sync_sg_for_device(dev, sgl, n, dir) udma_sync_sg_for_device((dev)->udma, sgl, n, dir)
#define pci_map_sg(pdev, sgl, n, dir) \
	udma_map_sg((pdev)->dev.udma, sgl, n, (enum udma_data_direction)(dir))
#define pci_unmap_sg(pdev, sgl, n, dir) \
	udma_unmap_sg((pdev)->dev.udma, sgl, n, (enum udma_data_direction)(dir))
#define pci_dma_sync_sg(pdev, sgl, n, dir) \
	udma_sync_sg((pdev)->dev.udma, sgl, n, (enum udma_data_direction)(dir))

/* ---- advanced usage ------------------------------------------------------ */
#define dma_alloc_noncoherent(dev, size, handle, gfp) \
	udma_alloc_noncoherent((dev)->udma, size, handle, gfp)
#define dma_free_noncoherent(dev, size, p, handle) \
	udma_free_noncoherent((dev)->udma, size, p, handle)
#define dma_is_consistent(dev, handle) udma_is_consistent((dev)->udma, handle)
#define dma_get_cache_alignment() udma_get_cache_alignment()
#define dma_cache_sync(dev, vaddr, size, dir) udma_cache_sync((dev)->udma, vaddr, size, dir)
#define DMA_MEMORY_MAP UDMA_MEMORY_MAP
#define DMA_MEMORY_IO UDMA_MEMORY_IO
#define DMA_MEMORY_INCLUDES_CHILDREN UDMA_MEMORY_INCLUDES_CHILDREN
#define DMA_MEMORY_EXCLUSIVE UDMA_MEMORY_EXCLUSIVE
#define dma_declare_coherent_memory(dev, cpu, devaddr, size, flags) \
	udma_declare_coherent_memory((dev)->udma, cpu, devaddr, size, flags)
#define dma_release_declared_memory(dev) udma_release_declared_memory((dev)->udma)
#define dma_mark_declared_memory_occupied(dev, devaddr, size) \
	udma_mark_declared_memory_occupied((dev)->udma, devaddr, size)
#define IS_ERR(p) udma_is_err(p)
#define PTR_ERR(p) udma_ptr_err(p)
#define ERR_PTR(e) udma_err_ptr(e)
#define memcpy_toio(dst, src, n) udma_memcpy_toio(dst, src, n)
#define memcpy_fromio(dst, src, n) udma_memcpy_fromio(dst, src, n)
#define readl(addr) udma_read32(addr)
#define readq(addr) udma_read64(addr)
#define writel(val, addr) udma_write32(val, addr)
#define writeq(val, addr) udma_write64(val, addr)

/** @endcond */

#ifdef __cplusplus
}
#endif

#endif /* UDMA_LINUX_H */
