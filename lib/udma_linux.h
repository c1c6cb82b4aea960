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
 *
 * Attributes come in both forms: the Linux DMA-API document's `struct dma_attrs *`
 * (DEFINE_DMA_ATTRS, dma_set_attr) and the `unsigned long` bit mask of kernels
 * since 4.8 (`DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_NO_WARN`, or 0). C11 `_Generic`
 * (overloads in C++) picks the form from the argument's type; any other type is a
 * compile error, never a silent crash. The DMA_ATTR_* names are the bits of the
 * modern form; dma_set_attr()/dma_get_attr() take them too.
 *
 * Kernel driver code also finds here: the fixed-size and endian types (u8..u64,
 * s8..s64, __le16..__le64, __be16..__be64) with cpu_to_le* / le*_to_cpu (and be),
 * barriers (mb, rmb, wmb, dma_rmb, dma_wmb, smp_*), READ_ONCE/WRITE_ONCE,
 * upper_32_bits/lower_32_bits, BIT, the unmap-state bookkeeping
 * (DEFINE_DMA_UNMAP_ADDR/LEN, dma_unmap_addr/len and their _set), managed coherent
 * memory (dmam_alloc_coherent), dma_alloc_attrs, struct sg_table with
 * dma_map_sgtable and for_each_sgtable_(dma_)sg, sg_set_page, dma_map_resource,
 * dev_err/dev_warn/dev_info/dev_dbg. doc/porting.md lists them.
 */
#ifndef UDMA_LINUX_H
#define UDMA_LINUX_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef uint16_t __le16;
typedef uint32_t __le32;
typedef uint64_t __le64;
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint64_t __be64;
typedef uint64_t phys_addr_t;
typedef uint64_t resource_size_t;
#define __iomem
#define likely(x) udma_likely(x)
#define unlikely(x) udma_unlikely(x)
#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))
#define PAGE_SHIFT UDMA_PAGE_SHIFT
#define PAGE_SIZE UDMA_PAGE_SIZE
#define offset_in_page(p) ((unsigned long)(uintptr_t)(p) & (PAGE_SIZE - 1))
/* a struct page * is the CPU address of a 4 KiB page */
struct page;
#define virt_to_page(v) ((struct page *)((uintptr_t)(v) & ~(uintptr_t)(PAGE_SIZE - 1)))
#define page_address(pg) ((void *)(pg))

/* kernel heap calls: the C heap (the gfp flags do not matter in userspace) */
#define kmalloc(size, gfp) ((void)(gfp), malloc(size))
#define kzalloc(size, gfp) ((void)(gfp), calloc(1, size))
#define kcalloc(n, size, gfp) ((void)(gfp), calloc(n, size))
#define kfree(p) free(p)
#define vzalloc(size) calloc(1, size)
#define vfree(p) free(p)

/* ---- byte order ------------------------------------------------------------- */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define cpu_to_le16(x) ((__le16)__builtin_bswap16(x))
#define cpu_to_le32(x) ((__le32)__builtin_bswap32(x))
#define cpu_to_le64(x) ((__le64)__builtin_bswap64(x))
#define cpu_to_be16(x) ((__be16)(x))
#define cpu_to_be32(x) ((__be32)(x))
#define cpu_to_be64(x) ((__be64)(x))
#else
#define cpu_to_le16(x) ((__le16)(x))
#define cpu_to_le32(x) ((__le32)(x))
#define cpu_to_le64(x) ((__le64)(x))
#define cpu_to_be16(x) ((__be16)__builtin_bswap16(x))
#define cpu_to_be32(x) ((__be32)__builtin_bswap32(x))
#define cpu_to_be64(x) ((__be64)__builtin_bswap64(x))
#endif
#define le16_to_cpu(x) ((u16)cpu_to_le16(x))
#define le32_to_cpu(x) ((u32)cpu_to_le32(x))
#define le64_to_cpu(x) ((u64)cpu_to_le64(x))
#define be16_to_cpu(x) ((u16)cpu_to_be16(x))
#define be32_to_cpu(x) ((u32)cpu_to_be32(x))
#define be64_to_cpu(x) ((u64)cpu_to_be64(x))
#define upper_32_bits(n) ((u32)(((u64)(n) >> 16) >> 16))
#define lower_32_bits(n) ((u32)((u64)(n) & 0xffffffffu))

/*
 * ---- barriers: the instructions of the kernel's asm/barrier.h -------------------
 * The C11 fences order memory between CPUs only (arm64: dmb ish); mb/rmb/wmb and
 * dma_rmb/dma_wmb must also order against a device, so they are per architecture,
 * and an architecture not listed is a compile error rather than a weaker barrier.
 */
#if defined(__x86_64__) || defined(__i386__)
#define mb() __asm__ __volatile__("mfence" ::: "memory")
#define rmb() __asm__ __volatile__("lfence" ::: "memory")
#define wmb() __asm__ __volatile__("sfence" ::: "memory")
/* x86 keeps loads in order and stores in order: a compiler barrier suffices */
#define dma_rmb() __asm__ __volatile__("" ::: "memory")
#define dma_wmb() __asm__ __volatile__("" ::: "memory")
#elif defined(__aarch64__)
#define mb() __asm__ __volatile__("dsb sy" ::: "memory")
#define rmb() __asm__ __volatile__("dsb ld" ::: "memory")
#define wmb() __asm__ __volatile__("dsb st" ::: "memory")
#define dma_rmb() __asm__ __volatile__("dmb oshld" ::: "memory")
#define dma_wmb() __asm__ __volatile__("dmb oshst" ::: "memory")
#else
#error "udma_linux.h: no mb/rmb/wmb/dma_rmb/dma_wmb for this architecture (see asm/barrier.h)"
#endif
/* CPU-to-CPU only: the C11 fences are what the kernel's smp_* are */
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* ---- logging: the application's log type, with the device's name ------------------ */
#define udma_linux_dev_log_(level, dev, fmt, ...)                                          \
	udma_log_type(UDMA_LOGTYPE_USER, level, "%s: " fmt, udma_device_name((dev)->udma),  \
		      ##__VA_ARGS__)
#define dev_err(dev, fmt, ...) udma_linux_dev_log_(UDMA_LOG_ERR, dev, fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...) udma_linux_dev_log_(UDMA_LOG_WARNING, dev, fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) udma_linux_dev_log_(UDMA_LOG_INFO, dev, fmt, ##__VA_ARGS__)
#define dev_dbg(dev, fmt, ...) udma_linux_dev_log_(UDMA_LOG_DEBUG, dev, fmt, ##__VA_ARGS__)

/* ---- unmap state: what a driver keeps to unmap later ------------------------------ */
#define DEFINE_DMA_UNMAP_ADDR(name) dma_addr_t name
#define DEFINE_DMA_UNMAP_LEN(name) __u32 name
#define dma_unmap_addr(ptr, name) ((ptr)->name)
#define dma_unmap_addr_set(ptr, name, val) (((ptr)->name) = (val))
#define dma_unmap_len(ptr, name) ((ptr)->name)
#define dma_unmap_len_set(ptr, name, val) (((ptr)->name) = (val))
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
/* managed: freed at udma_device_destroy() if the driver does not free it */
static inline void *dmam_alloc_coherent(struct device *dev, size_t size, dma_addr_t *handle,
					gfp_t flag)
{
	return udma_dmam_alloc_coherent(dev->udma, size, handle, flag);
}
static inline void dmam_free_coherent(struct device *dev, size_t size, void *cpu_addr,
				      dma_addr_t handle)
{
	udma_dmam_free_coherent(dev->udma, size, cpu_addr, handle);
}
#define dma_zalloc_coherent(dev, size, handle, flag) dma_alloc_coherent(dev, size, handle, flag)
/* the modern form only: attrs is an unsigned long (DMA_ATTR_WRITE_COMBINE etc. accepted) */
#define dma_alloc_attrs(dev, size, handle, flag, attrs) \
	((void)udma_linux_ul_(attrs), dma_alloc_coherent(dev, size, handle, flag))
#define dma_free_attrs(dev, size, cpu_addr, handle, attrs) \
	((void)udma_linux_ul_(attrs), dma_free_coherent(dev, size, cpu_addr, handle))
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
/* the modern (unsigned long) form: one bit per enum udma_attr, as struct udma_attrs */
#define DMA_ATTR_WRITE_BARRIER (1UL << UDMA_ATTR_WRITE_BARRIER)
#define DMA_ATTR_WEAK_ORDERING (1UL << UDMA_ATTR_WEAK_ORDERING)
#define DMA_ATTR_WRITE_COMBINE (1UL << UDMA_ATTR_WRITE_COMBINE)
#define DMA_ATTR_SKIP_CPU_SYNC (1UL << UDMA_ATTR_SKIP_CPU_SYNC)
#define DMA_ATTR_FORCE_CONTIGUOUS (1UL << UDMA_ATTR_FORCE_CONTIGUOUS)
#define DMA_ATTR_NO_WARN (1UL << UDMA_ATTR_NO_WARN)
/* modern names with no effect in userspace: accepted and ignored */
#define DMA_ATTR_NO_KERNEL_MAPPING (1UL << 16)
#define DMA_ATTR_ALLOC_SINGLE_PAGES (1UL << 17)
#define DMA_ATTR_PRIVILEGED (1UL << 18)

/* a DMA_ATTR_* bit -> its enum udma_attr (UDMA_ATTR_MAX: none) */
static inline enum udma_attr udma_linux_attr_index_(unsigned long bit)
{
	if (bit == 0 || (bit & (bit - 1)) != 0 || __builtin_ctzl(bit) >= UDMA_ATTR_MAX)
		return UDMA_ATTR_MAX;
	return (enum udma_attr)__builtin_ctzl(bit);
}
#define dma_set_attr(attr, attrs) udma_set_attr(udma_linux_attr_index_(attr), attrs)
#define dma_get_attr(attr, attrs) udma_get_attr(udma_linux_attr_index_(attr), attrs)

/*
 * Either form -> the flags word of struct udma_attrs (udma_linux_attrs_), and
 * either form -> a const struct udma_attrs * for the udma_*_attrs() calls
 * (udma_linux_attrs_p_: a temporary that lives until the end of the call).
 */
static inline unsigned long udma_linux_attrs_ptr_(const struct udma_attrs *a)
{
	return a ? a->flags : 0;
}
static inline unsigned long udma_linux_attrs_ul_(unsigned long a)
{
	return a;
}
#ifndef __cplusplus
/* the integer types an attrs mask may have; any other type has no association */
#define udma_linux_int_assoc_(f)                                                       \
	int: f, unsigned int: f, long: f, unsigned long: f, long long: f,             \
		unsigned long long: f
/* an integer type, or a compile error ("not compatible with any association") */
#define udma_linux_ul_(a) _Generic((a), udma_linux_int_assoc_(udma_linux_attrs_ul_))(a)
#define udma_linux_attrs_(a)                                                           \
	_Generic((a), struct udma_attrs *: udma_linux_attrs_ptr_,                      \
		 const struct udma_attrs *: udma_linux_attrs_ptr_,                     \
		 void *: udma_linux_attrs_ptr_,                                        \
		 udma_linux_int_assoc_(udma_linux_attrs_ul_))(a)
#define udma_linux_attrs_p_(a) (&(const struct udma_attrs){udma_linux_attrs_(a)})
#else
} /* extern "C" */
static inline unsigned long udma_linux_ul_(unsigned long a) { return a; }
static inline unsigned long udma_linux_attrs_(const struct udma_attrs *a)
{
	return udma_linux_attrs_ptr_(a);
}
static inline unsigned long udma_linux_attrs_(unsigned long a) { return a; }
static inline unsigned long udma_linux_attrs_(unsigned long long a) { return (unsigned long)a; }
static inline unsigned long udma_linux_attrs_(long a) { return (unsigned long)a; }
static inline unsigned long udma_linux_attrs_(int a) { return (unsigned long)a; }
static inline unsigned long udma_linux_attrs_(unsigned int a) { return a; }
static inline unsigned long udma_linux_attrs_(decltype(nullptr)) { return 0; }
static inline const struct udma_attrs *udma_linux_attrs_ref_(const struct udma_attrs &a)
{
	return &a;
}
#define udma_linux_attrs_p_(a) udma_linux_attrs_ref_(udma_attrs{udma_linux_attrs_(a)})
extern "C" {
#endif

#define dma_map_single(dev, p, size, dir) udma_map_single((dev)->udma, p, size, dir)
#define dma_unmap_single(dev, a, size, dir) udma_unmap_single((dev)->udma, a, size, dir)
#define dma_map_single_attrs(dev, p, size, dir, attrs) \
	udma_map_single_attrs((dev)->udma, p, size, dir, udma_linux_attrs_p_(attrs))
#define dma_unmap_single_attrs(dev, a, size, dir, attrs) \
	udma_unmap_single_attrs((dev)->udma, a, size, dir, udma_linux_attrs_p_(attrs))
#define dma_map_page_attrs(dev, page, off, size, dir, attrs) \
	udma_map_page_attrs((dev)->udma, page, off, size, dir, udma_linux_attrs_p_(attrs))
#define dma_unmap_page_attrs(dev, a, size, dir, attrs) \
	udma_unmap_page_attrs((dev)->udma, a, size, dir, udma_linux_attrs_p_(attrs))
#define dma_map_resource(dev, phys, size, dir, attrs) \
	((void)udma_linux_ul_(attrs), udma_map_resource((dev)->udma, phys, size, dir))
#define dma_unmap_resource(dev, a, size, dir, attrs) \
	((void)udma_linux_ul_(attrs), udma_unmap_resource((dev)->udma, a, size, dir))
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
#define sg_set_page(sg, page, len, offset) \
	udma_sg_set_buf(sg, (char *)page_address(page) + (offset), len)
#define sg_virt(sg) ((sg)->buf)
#define sg_page(sg) virt_to_page((sg)->buf)
#define sg_is_last(sg) (((sg)->flags & UDMA_SG_END) != 0)
#define sg_next(sg) udma_sg_next(sg)
#define sg_mark_end(sg) udma_sg_mark_end(sg)
#define sg_chain(prv, n, sgl) udma_sg_chain(prv, n, sgl)
#define for_each_sg(sgl, sg, nents, i) udma_for_each_sg(sgl, sg, nents, i)
#define sg_dma_address(sg) udma_sg_dma_address(sg)
#define sg_dma_len(sg) udma_sg_dma_len(sg)
#define sg_table udma_sg_table
#define sg_alloc_table(t, n, gfp) udma_sg_alloc_table(t, n)
#define sg_free_table(t) udma_sg_free_table(t)
/* every entry of a table (CPU side) / every mapped segment (after dma_map_sgtable) */
#define for_each_sgtable_sg(sgt, sg, i) for_each_sg((sgt)->sgl, sg, (sgt)->orig_nents, i)
#define for_each_sgtable_dma_sg(sgt, sg, i) for_each_sg((sgt)->sgl, sg, (sgt)->nents, i)

/* dma_map_sgtable: 0 with sgt->nents = mapped segments; -EINVAL, -EIO (one log line) */
static inline int udma_linux_map_sgtable_(struct udma_device *dev, struct udma_sg_table *sgt,
					  enum udma_data_direction dir,
					  const struct udma_attrs *attrs)
{
	int n;

	if (sgt == NULL) {
		udma_log(UDMA_LOG_ERR, "dma_map_sgtable(): NULL table");
		return -EINVAL;
	}
	n = udma_map_sg_attrs(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs);
	if (n <= 0)
		return -EIO;
	sgt->nents = (unsigned int)n;
	return 0;
}
static inline void udma_linux_unmap_sgtable_(struct udma_device *dev, struct udma_sg_table *sgt,
					     enum udma_data_direction dir,
					     const struct udma_attrs *attrs)
{
	if (sgt == NULL) {
		udma_log(UDMA_LOG_ERR, "dma_unmap_sgtable(): NULL table");
		return;
	}
	udma_unmap_sg_attrs(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs);
}
#define dma_map_sgtable(dev, sgt, dir, attrs) \
	udma_linux_map_sgtable_((dev)->udma, sgt, dir, udma_linux_attrs_p_(attrs))
#define dma_unmap_sgtable(dev, sgt, dir, attrs) \
	udma_linux_unmap_sgtable_((dev)->udma, sgt, dir, udma_linux_attrs_p_(attrs))
#define dma_sync_sgtable_for_cpu(dev, sgt, dir) \
	udma_sync_sg_for_cpu((dev)->udma, (sgt)->sgl, (int)(sgt)->orig_nents, dir)
#define dma_sync_sgtable_for_device(dev, sgt, dir) \
	udma_sync_sg_for_device((dev)->udma, (sgt)->sgl, (int)(sgt)->orig_nents, dir)

#define dma_map_sg(dev, sgl, n, dir) udma_map_sg((dev)->udma, sgl, n, dir)
#define dma_unmap_sg(dev, sgl, n, dir) udma_unmap_sg((dev)->udma, sgl, n, dir)
#define dma_map_sg_attrs(dev, sgl, n, dir, attrs) \
	udma_map_sg_attrs((dev)->udma, sgl, n, dir, udma_linux_attrs_p_(attrs))
#define dma_unmap_sg_attrs(dev, sgl, n, dir, attrs) \
	udma_unmap_sg_attrs((dev)->udma, sgl, n, dir, udma_linux_attrs_p_(attrs))
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
