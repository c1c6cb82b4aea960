/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to libudma: the device structure and its checks. */
#ifndef DMA_PRIVATE_H
#define DMA_PRIVATE_H

#include <stdatomic.h>
#include <string.h>

#include "eal_private.h"
#include "iova_private.h"
#include "dma_map_ops.h"
#include "udma_dma.h"
#include "udma_sim.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

#define UDMA_DEV_MAGIC 0x75646d6164657631ULL

struct dev_counter {
	_Atomic(int64_t) allocs;
	_Atomic(int64_t) bytes;
} __udma_cache_aligned;

struct udma_device {
	uint64_t magic;
	char name[UDMA_MAX_DEVICE_NAME];
	struct udma_device *parent;
	struct udma_device *next; /* registry */
	int node;
	uint32_t id;              /* heap owner tag; never reused */
	uint64_t dma_mask;
	uint64_t coherent_mask;
	uint64_t seg_boundary;
	unsigned int max_seg_size;
	struct declared *declared; /* one region at most */
	const struct udma_dma_ops *dma_ops; /* NULL: the direct path (get_dma_ops) */
	void *iommu;              /* the backend's domain for this device (ops->attach) */
	/* per-lcore counters (plain load/store); the last slot is shared (atomic add) */
	struct dev_counter cnt[UDMA_MAX_LCORES + 1];
};

/* is @dev a live device? The magic is read as bytes: a bogus pointer may not even
 * be aligned for the type. Silent. */
static inline bool dma_dev_is(const struct udma_device *dev)
{
	uint64_t magic = 0;

	if (udma_likely(dev != NULL))
		memcpy(&magic, dev, sizeof(magic));
	return magic == UDMA_DEV_MAGIC;
}

/*
 * validate a device argument; logs one line naming @fn when bad, rate-limited per
 * call site of dma_dev_ok() (each expansion has its own state)
 */
static inline bool dev_ok_rl(const struct udma_device *dev, const char *fn,
			     struct log_ratelimit *rl)
{
	if (udma_likely(dma_dev_is(dev)))
		return true;
	log_rl(rl, UDMA_LOG_ERR, fn, "%s(): invalid device %p", fn, (const void *)dev);
	return false;
}
#define dma_dev_ok(dev, fn)                                                                  \
	dev_ok_rl((dev), (fn), ({                                                         \
		static struct log_ratelimit dev_ok_rl_ = {.file = __FILE__};             \
		&dev_ok_rl_;                                                              \
	}))

static inline void dma_dev_count(struct udma_device *dev, int64_t allocs, int64_t bytes)
{
	unsigned int lc = lcore_id();

	if (lc < UDMA_MAX_LCORES) {
		struct dev_counter *c = &dev->cnt[lc];

		atomic_store_explicit(&c->allocs, atomic_load_explicit(&c->allocs,
					memory_order_relaxed) + allocs, memory_order_relaxed);
		atomic_store_explicit(&c->bytes, atomic_load_explicit(&c->bytes,
					memory_order_relaxed) + bytes, memory_order_relaxed);
	} else {
		atomic_fetch_add(&dev->cnt[UDMA_MAX_LCORES].allocs, allocs);
		atomic_fetch_add(&dev->cnt[UDMA_MAX_LCORES].bytes, bytes);
	}
}

void dma_sim_reset(void);

/* the device's DMA ops (Linux's get_dma_ops): NULL for the direct path */
static inline const struct udma_dma_ops *get_dma_ops(const struct udma_device *dev)
{
	return dev->dma_ops;
}

/* pool slabs and the like: map memory allocated for @dev into its IOMMU domain */
static inline int dma_domain_map(struct udma_device *dev, void *va, udma_addr_t iova, size_t size)
{
	const struct udma_dma_ops *ops = get_dma_ops(dev);

	return ops && ops->map_memory ? ops->map_memory(dev, va, iova, size) : 0;
}

static inline void dma_domain_unmap(struct udma_device *dev, udma_addr_t iova, size_t size)
{
	const struct udma_dma_ops *ops = get_dma_ops(dev);

	if (ops && ops->unmap_memory)
		ops->unmap_memory(dev, iova, size);
}

/* a gfp argument: KERNEL and/or ATOMIC, nothing else */
static inline bool dma_gfp_ok(udma_gfp_t gfp)
{
	return gfp != 0 && (gfp & ~(UDMA_GFP_KERNEL | UDMA_GFP_ATOMIC)) == 0;
}

/* ATOMIC wins when both are given: never block */
static inline bool dma_gfp_may_grow(udma_gfp_t gfp)
{
	return (gfp & UDMA_GFP_KERNEL) && !(gfp & UDMA_GFP_ATOMIC);
}

/* called by udma_device_destroy() so upper layers report what the device still has */
typedef void (*dma_dev_destroy_fn)(struct udma_device *dev);
/* 0, or -ENOSPC: logged, and init refuses to run */
int dma_dev_destroy_hook_register(dma_dev_destroy_fn fn);
/* upper layers say how many objects (pools) still use a device: destroy refuses then */
typedef unsigned int (*dma_dev_busy_fn)(const struct udma_device *dev);
/* 0, or -ENOSPC: logged, and init refuses to run */
int dma_dev_busy_hook_register(dma_dev_busy_fn fn);


/* ---- swiotlb -------------------------------------------------------------- */
/*
 * The bounce region: chunks that are each IOVA-contiguous (2 MiB when the mode
 * allows, down to 4 KiB). An IOVA or a CPU address finds its chunk by arithmetic:
 * its offset from the lowest chunk indexes a dense table (one entry per chunk-sized
 * step of the span, -1 in the holes between chunks), so a lookup is a compare, a
 * shift and a load. Only when the chunks are scattered too widely for that table
 * (more than DENSE_MAX steps) do two small open-addressed hash tables serve instead.
 */
struct swiotlb_region {
	unsigned int chunk_shift;
	unsigned int nchunks;
	unsigned int hash_bits;
	uint8_t **chunk_va;
	udma_addr_t *chunk_iova;
	int32_t *by_iova;
	int32_t *by_va;
	size_t size;
	/* dense tables: [iova_lo, iova_lo + iova_span) and [va_lo, va_lo + va_span) */
	uint64_t iova_lo, iova_span;
	uint64_t va_lo, va_span;
	int32_t *dense_iova; /* NULL: the chunks are too scattered, the hash serves */
	int32_t *dense_va;
};
/*
 * The swiotlb's state the inline lookups read; the slot allocator's own state
 * (buddy lists, per-lcore magazines, counters) is g_tlb, static in dma_swiotlb.c.
 */
struct swiotlb_state {
	struct swiotlb_region region;
	bool forced; /* --swiotlb=force, taken at the swiotlb's init stage */
	/* a region, no dma ops in the mode, no dma-debug: the bounce fast paths may run */
	bool fast;
};
extern struct swiotlb_state g_swiotlb;

static inline unsigned int swiotlb_hash(uint64_t key)
{
	return (unsigned int)((key * 0x9e3779b97f4a7c15ULL) >> (64 - g_swiotlb.region.hash_bits));
}

/* the hash probe behind swiotlb_chunk() when there are no dense tables (out of line) */
int32_t swiotlb_chunk_hashed(uint64_t addr, bool by_iova);

/* the chunk holding @addr (an IOVA when @by_iova, else a CPU address), or -1 */
static inline int32_t swiotlb_chunk(uint64_t addr, bool by_iova)
{
	const struct swiotlb_region *r = &g_swiotlb.region;
	const int32_t *d = by_iova ? r->dense_iova : r->dense_va;
	uint64_t off = addr - (by_iova ? r->iova_lo : r->va_lo);

	if (udma_likely(d != NULL))
		return off < (by_iova ? r->iova_span : r->va_span) ? d[off >> r->chunk_shift] : -1;
	return swiotlb_chunk_hashed(addr, by_iova);
}

/*
 * swiotlb_chunk() by IOVA through the dense table, for paths that must not call
 * out (no stack frame): the chunk, or -1. Only when swiotlb_dense_iova().
 */
static inline bool swiotlb_dense_iova(void)
{
	return g_swiotlb.region.dense_iova != NULL;
}

static inline int32_t swiotlb_chunk_dense_iova(uint64_t iova)
{
	const struct swiotlb_region *r = &g_swiotlb.region;
	uint64_t off = iova - r->iova_lo;

	return off < r->iova_span ? r->dense_iova[off >> r->chunk_shift] : -1;
}

static inline bool swiotlb_forced(void)
{
	return g_swiotlb.forced;
}

/* the slot a pa/va handle points at, or NULL when it is not a bounce IOVA */
static inline void *swiotlb_slot_of_iova(udma_addr_t iova)
{
	int32_t c = swiotlb_chunk(iova, true);

	return c < 0 ? NULL
		     : g_swiotlb.region.chunk_va[c] + (iova - g_swiotlb.region.chunk_iova[c]);
}

static inline bool swiotlb_has_va(const void *va)
{
	return swiotlb_chunk((uintptr_t)va, false) >= 0;
}

/* a bounce slot holding a copy of [orig, orig+size), owned by @dev; NULL when out of room */
void *swiotlb_bounce(const struct udma_device *dev, void *orig, size_t size,
		     enum udma_data_direction dir, bool copy, udma_addr_t *slot_iova);
/*
 * Release the run at @slot (copy back for FROM/BIDI when @copy); 0, -ENOENT,
 * -EPERM (logged, kept) when @dev did not map it, or -EINVAL when size/dir differ
 * from the map's and @strict (else logged and released as mapped: for callers that
 * already removed the mapping's IOVA).
 */
int swiotlb_release(const struct udma_device *dev, void *slot, size_t size,
		    enum udma_data_direction dir, bool copy, bool strict);
/* copy [off, off+size) toward the CPU or the device by direction; -EPERM: not @dev's */
int swiotlb_sync(const struct udma_device *dev, void *slot, size_t off, size_t size, bool for_cpu);
int swiotlb_cpu_owned(const void *slot);
/*
 * The bounce fast paths of the public calls, each reached by a tail call once the
 * call's arguments are checked (g_swiotlb.fast, a device without dma ops), each
 * ending in a tail call: to its copy, or, for anything it does not serve, to the
 * full path below with the public call's arguments (which decides and logs).
 *
 * udma_map_single() of a buffer of CPU memory that needs no checks beyond the
 * public call's: a slot run from the lcore's magazine, filled; else (no magazine,
 * an empty one, a size past the cached orders, the DMA mask) dma_map_single_slow().
 */
udma_addr_t swiotlb_map_fast(struct udma_device *dev, void *orig, size_t size,
			     enum udma_data_direction dir, const void *caller);
/*
 * udma_unmap_single() of @iova in chunk @c (swiotlb_chunk(); last, so that the
 * full path's arguments stay in their registers): releases a live run
 * that @dev mapped at @iova with @size and @dir (copying back as unmap does), else
 * dma_unmap_single_slow().
 */
void swiotlb_unmap_fast(struct udma_device *dev, udma_addr_t iova, size_t size,
			enum udma_data_direction dir, const void *caller, int32_t c);
/* the same for udma_sync_single_for_cpu()/for_device() of a whole mapping */
void swiotlb_sync_for_cpu_fast(struct udma_device *dev, udma_addr_t iova, size_t size,
			       enum udma_data_direction dir, const void *caller, int32_t c);
void swiotlb_sync_for_device_fast(struct udma_device *dev, udma_addr_t iova, size_t size,
				  enum udma_data_direction dir, const void *caller, int32_t c);
/* the full paths of those public calls (dma_map.c), @caller for dma-debug */
udma_addr_t dma_map_single_slow(struct udma_device *dev, void *va, size_t size,
				enum udma_data_direction dir, const void *caller);
void dma_unmap_single_slow(struct udma_device *dev, udma_addr_t addr, size_t size,
			   enum udma_data_direction dir, const void *caller);
void dma_sync_single_slow(struct udma_device *dev, udma_addr_t addr, size_t size,
			  enum udma_data_direction dir, const void *caller, bool for_cpu);

/* ---- declared memory --------------------------------------------------------- */
int declared_alloc(struct udma_device *dev, size_t size, void **va, udma_addr_t *handle);
int declared_free_range(struct udma_device *dev, size_t size, void *va, udma_addr_t handle);
void *declared_resolve(const struct udma_device *dev, udma_addr_t iova, size_t *contig);
void declared_destroy(struct udma_device *dev);
/* the sysfs PCI root udma_set_sysfs_pci_root() set (the PCI layer reads it too) */
const char *dma_sysfs_pci_root(void);

/* ---- the dma subsystem's state ------------------------------------------- */
#define DMA_MAX_DESTROY_HOOKS 4
#define DMA_MAX_BUSY_HOOKS 2

/*
 * Everything lib/dma keeps but the swiotlb (g_swiotlb and g_tlb, dma_swiotlb.c) and the
 * dma-debug hook table (g_dma_debug, dma_debug.h); the thread-local name of the
 * public call being logged (dma_log_call) cannot be a member. The flags the fast
 * paths read come first, the rest (locks, lists, counters written at run time) on
 * lines of their own.
 */
struct dma_state {
	/*
	 * pa/va, bouncing not forced, dma-debug off: streaming maps of memseg memory
	 * are a translation and nothing else. Set at init (after every hook), cleared
	 * at cleanup.
	 */
	bool map_direct;
	/* map_direct and no registration: a pa/va unmap that is not a bounce does nothing */
	bool unmap_direct;
	unsigned int reg_count; /* nregs, read without the lock by reg_active() */

	/* devices (dma_device.c) */
	pthread_mutex_t dev_lock __udma_cache_aligned;
	struct udma_device *devices;
	atomic_uint next_id; /* 0 tags orphaned memory */
	dma_dev_destroy_fn destroy_hooks[DMA_MAX_DESTROY_HOOKS];
	unsigned int nr_destroy_hooks;
	dma_dev_busy_fn busy_hooks[DMA_MAX_BUSY_HOOKS];
	unsigned int nr_busy_hooks;
	/* registered memory (dma_register.c), sorted by VA */
	pthread_rwlock_t reg_lock;
	struct reg *regs;
	size_t nregs;
	/* declared memory (dma_declared.c) */
	pthread_mutex_t declared_lock;
	struct declared *declared;
	char pci_root[256];
	/* noncoherent allocations (dma_noncoherent.c) */
	pthread_mutex_t nc_lock;
	struct nc_alloc *nc;
	atomic_uint nc_count;
	/* managed (devres) allocations (dma_managed.c) */
	pthread_mutex_t managed_lock;
	struct managed *managed;
	/* the sim device model's fault log (dma_sim.c) */
	pthread_mutex_t fault_lock;
	struct udma_sim_fault faults[UDMA_SIM_FAULT_LOG];
	unsigned long nr_faults;
};
extern struct dma_state g_dma;

/* ---- streaming ------------------------------------------------------------- */
static inline bool dma_dir_ok(enum udma_data_direction dir)
{
	return (unsigned int)dir <= UDMA_FROM_DEVICE;
}

bool dma_reg_lookup(const void *va, size_t size, udma_addr_t *iova);
/* live-mapping count of registered memory (dma_register.c); reg_active(): any region */
int reg_ref(const void *va, size_t size, int delta);
static inline bool reg_active(void)
{
	return __atomic_load_n(&g_dma.reg_count, __ATOMIC_RELAXED) != 0;
}

/* the memory a direct mapping reaches is not memseg memory: registered memory */
static inline bool reg_mem(const void *va)
{
	return memseg_virt2iova(va) == UDMA_MAPPING_ERROR;
}

/* an unmapped direct mapping of @va: out of its region's count, if registered */
static inline void reg_count_unmap(const void *va, size_t size)
{
	if (udma_unlikely(reg_active()) && va != NULL && reg_mem(va))
		reg_ref(va, size, -1);
}

/*
 * The direct path (no ops): memseg or registered memory the device reaches at
 * its own IOVA, else UDMA_MAPPING_ERROR.
 */
static inline udma_addr_t dma_map_direct(struct udma_device *dev, void *va, size_t size)
{
	udma_addr_t iova = memseg_contig_iova(va, size);

	if (udma_unlikely(iova == UDMA_MAPPING_ERROR))
		dma_reg_lookup(va, size, &iova);
	if (udma_unlikely(iova == UDMA_MAPPING_ERROR || iova + size - 1 > dev->dma_mask))
		return UDMA_MAPPING_ERROR;
	return iova;
}
/* in the VA udma's memseg lists reserved, populated or not */
static inline bool dma_in_memseg_va(const void *va)
{
	return memseg_va_reserved(va);
}

/*
 * Memory a device may be given as it is: every page of [va, va+size) populated
 * memseg memory, or all of it in one registration. False when the range wraps.
 */
static inline bool dma_cpu_backed(const void *va, size_t size)
{
	uintptr_t v = (uintptr_t)va, last = v + size - 1;
	udma_addr_t unused;

	if (udma_unlikely(size == 0 || last < v))
		return false;
	if (udma_likely(memseg_virt2iova(va) != UDMA_MAPPING_ERROR)) {
		uintptr_t pg = 1UL << memseg_list_of(va)->page_shift;

		for (uintptr_t p = (v & ~(pg - 1)) + pg; p - 1 < last; p += pg) {
			const struct memseg_list *l = memseg_list_of((const void *)p);

			if (l == NULL || memseg_virt2iova((const void *)p) == UDMA_MAPPING_ERROR)
				return false;
			pg = 1UL << l->page_shift;
			p &= ~(pg - 1);
		}
		return true;
	}
	return dma_reg_lookup(va, size, &unused);
}

/* through a bounce slot (copy unless SKIP_CPU_SYNC in @flags) */
udma_addr_t dma_map_bounce(struct udma_device *dev, void *va, size_t size,
			   enum udma_data_direction dir, unsigned long flags);
/*
 * The public call running on this thread (udma_map_single, udma_map_sg, ...): set by
 * the entry points before their slow paths, so helpers and ops log under its name.
 */
extern __thread const char *dma_log_call __attribute__((tls_model("initial-exec")));



#pragma GCC visibility pop

#endif
