/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Streaming mappings. Every entry point has one shape: validate,
 * then the direct path (pa/va: a translation, else a bounce slot; inline, no
 * indirect call) or the device's ops (get_dma_ops: an IOMMU such as sim), then
 * the dma-debug hook.
 */
#include <string.h>

#include "dma_private.h"
#include "iova_private.h"
#include "udma_map.h"
#include "dma_debug.h"

void udma_set_attr(enum udma_attr attr, struct udma_attrs *attrs)
{
	if (attrs != NULL && (unsigned int)attr < UDMA_ATTR_MAX)
		attrs->flags |= 1UL << attr;
}

int udma_get_attr(enum udma_attr attr, const struct udma_attrs *attrs)
{
	return attrs != NULL && (unsigned int)attr < UDMA_ATTR_MAX && (attrs->flags >> attr) & 1;
}

__thread const char *dma_log_call __attribute__((tls_model("initial-exec")));

/* a failed map: one line under @fn (NULL: the name the caller stored in dma_log_call) */
static __attribute__((noinline, cold)) udma_addr_t map_fail_as(struct udma_device *dev,
							       const void *va, size_t size,
							       unsigned long flags, const char *why,
							       const char *fn)
{
	if (fn == NULL)
		fn = dma_log_call ? dma_log_call : "udma_map_single";
	if (!(flags & (1UL << UDMA_ATTR_NO_WARN)))
		UDMA_LOG_AS(ERR, fn, "%s: cannot map %p (%zu bytes): %s", dev->name, va, size, why);
	return UDMA_MAPPING_ERROR;
}

udma_addr_t dma_map_fail(struct udma_device *dev, const void *va, size_t size,
			    unsigned long flags, const char *why)
{
	return map_fail_as(dev, va, size, flags, why, NULL);
}

/*
 * Argument checks shared by every map, before any mode-specific code: a device, a
 * buffer, a size that neither is 0 nor wraps the address space nor ends beyond the
 * largest user address space (57-bit VAs), a direction. One log line naming @fn.
 */
#define MAP_VA_LIMIT (1ULL << 57)

static __attribute__((noinline)) bool map_args_bad(const struct udma_device *dev, const void *va,
						   size_t size, enum udma_data_direction dir,
						   const char *fn)
{
	uintptr_t v = (uintptr_t)va;
	const char *why = NULL;

	if (!dma_dev_ok(dev, fn))
		return true;
	if (va == NULL)
		why = "NULL cpu_addr";
	else if (size == 0)
		why = "size 0";
	else if (!dma_dir_ok(dir))
		why = "not a direction";
	else if (size - 1 > UINTPTR_MAX - v || v + (size - 1) >= MAP_VA_LIMIT)
		why = "the range wraps or ends beyond the address space";
	else if (g_iova.ops == NULL)
		why = "udma is not initialised";
	if (why == NULL)
		return false;
	UDMA_LOG_AS(ERR, fn, "%s: bad argument (cpu_addr %p, size %zu, dir %d): %s", dev->name, va,
		    size, (int)dir, why);
	return true;
}

/* the same for a handle: unmap and sync forms; [addr + off, + size) may not wrap */
static __attribute__((noinline)) bool handle_args_bad(const struct udma_device *dev,
						      udma_addr_t addr, size_t off, size_t size,
						      enum udma_data_direction dir, const char *fn)
{
	const char *why = NULL;

	if (!dma_dev_ok(dev, fn))
		return true;
	if (addr == UDMA_MAPPING_ERROR)
		why = "the mapping-error handle";
	else if (size == 0)
		why = "size 0";
	else if (!dma_dir_ok(dir))
		why = "not a direction";
	else if (off > UINT64_MAX - addr || size - 1 > UINT64_MAX - addr - off)
		why = "the range wraps the IOVA space";
	else if (g_iova.ops == NULL)
		why = "udma is not initialised";
	if (why == NULL)
		return false;
	UDMA_LOG_AS(ERR, fn, "%s: bad argument (addr %#llx, offset %zu, size %zu, dir %d): %s",
		    dev->name, (unsigned long long)addr, off, size, (int)dir, why);
	return true;
}

/* dma_map_bounce(), its failures logged under @fn (NULL: dma_log_call's name) */
static inline udma_addr_t map_bounce_as(struct udma_device *dev, void *va, size_t size,
					enum udma_data_direction dir, unsigned long flags,
					const char *fn)
{
	bool copy = !(flags & (1UL << UDMA_ATTR_SKIP_CPU_SYNC));
	udma_addr_t iova;
	void *slot;

	/* a hole in udma's own memory, or a range that wraps: no caller's buffer to copy
	 * (the memseg window first, then backed, then the lists' reservations: memseg
	 * memory and memory outside the window pay one compare each, as before) */
	if (udma_unlikely(size - 1 > UINTPTR_MAX - (uintptr_t)va ||
			  (memseg_list_of(va) != NULL && !dma_cpu_backed(va, size) &&
			   dma_in_memseg_va(va))))
		return map_fail_as(dev, va, size, flags, "not all of it is populated memory", fn);
	slot = swiotlb_bounce(dev, va, size, dir, copy, &iova);
	if (udma_unlikely(slot == NULL))
		return map_fail_as(dev, va, size, flags,
				   "out of the device's reach and no bounce slot", fn);
	if (udma_unlikely(iova == UDMA_MAPPING_ERROR || iova + size - 1 > dev->dma_mask)) {
		swiotlb_release(dev, slot, size, dir, false, true);
		return map_fail_as(dev, va, size, flags, "the bounce region is above the DMA mask",
				   fn);
	}
	return iova;
}

udma_addr_t dma_map_bounce(struct udma_device *dev, void *va, size_t size,
			      enum udma_data_direction dir, unsigned long flags)
{
	return map_bounce_as(dev, va, size, dir, flags, NULL);
}

/*
 * A direct mapping while registrations exist: counted in its region, so that
 * udma_mem_unregister() refuses while it lives. Unregistered meanwhile: undone.
 */
static __attribute__((noinline)) udma_addr_t reg_count_map(struct udma_device *dev, void *va,
							   size_t size,
							   enum udma_data_direction dir,
							   unsigned long flags, udma_addr_t iova)
{
	if (!reg_mem(va) || reg_ref(va, size, +1) == 0)
		return iova;
	return dma_map_bounce(dev, va, size, dir, flags);
}

static inline udma_addr_t map_one(struct udma_device *dev, void *va, size_t size,
				  enum udma_data_direction dir, unsigned long flags, const char *fn)
{
	const struct udma_dma_ops *ops;
	udma_addr_t iova;

	if (udma_unlikely(map_args_bad(dev, va, size, dir, fn)))
		return UDMA_MAPPING_ERROR;
	ops = get_dma_ops(dev);
	if (ops) {
		dma_log_call = fn; /* the op logs under the public call's name */
		return ops->map_page(dev, va, size, dir, flags);
	}
	if (udma_likely(!swiotlb_forced())) {
		iova = dma_map_direct(dev, va, size);
		if (udma_likely(iova != UDMA_MAPPING_ERROR && !reg_active()))
			return iova;
		if (iova != UDMA_MAPPING_ERROR) {
			dma_log_call = fn; /* reg_count_map() may bounce */
			return reg_count_map(dev, va, size, dir, flags, iova);
		}
	}
	dma_log_call = fn; /* dma_map_fail() names it */
	return dma_map_bounce(dev, va, size, dir, flags);
}

static inline udma_addr_t map_traced(struct udma_device *dev, void *va, size_t size,
				     enum udma_data_direction dir, unsigned long flags,
				     enum dbg_type t, const char *fn, const void *caller)
{
	udma_addr_t iova = map_one(dev, va, size, dir, flags, fn);

	if (udma_unlikely(g_dma_debug.on))
		dbg_map(dev, t, va, iova, size, (int)dir, caller);
	return iova;
}

/*
 * The direct path, when pa/va translation is all there is to do (not sim, not
 * forced bouncing, no dma-debug): the argument checks, one translation, the mask.
 */
static inline bool map_fast_ok(const struct udma_device *dev, const void *va, size_t size,
			       enum udma_data_direction dir)
{
	/* size - 1 below a memseg list: not 0, and never a span that could wrap */
	return udma_likely(g_dma.map_direct && dma_dev_is(dev) && va != NULL &&
			   size - 1 < UDMA_MEMSEG_LIST_VA_SIZE && dma_dir_ok(dir));
}

/*
 * The bounce fast path's arguments: what map_args_bad() checks, for a direct
 * device (no dma ops) with dma-debug off, in a bound map_fast_ok() style.
 */
static inline bool bounce_fast_ok(const struct udma_device *dev, const void *va, size_t size,
				  enum udma_data_direction dir)
{
	return dma_dev_is(dev) && get_dma_ops(dev) == NULL && !g_dma_debug.on && va != NULL &&
	       size - 1 < UDMA_MEMSEG_LIST_VA_SIZE && (uintptr_t)va < MAP_VA_LIMIT - size &&
	       dma_dir_ok(dir) && g_iova.ops != NULL;
}

/*
 * udma_map_single() past its inline one-page path: a span of pages, a bounce, or
 * anything else. Out of line with the public call's arguments (all in registers),
 * so the inline path needs no stack frame and ends in a tail call here.
 */
__attribute__((noinline)) udma_addr_t dma_map_single_slow(struct udma_device *dev, void *va,
							   size_t size, enum udma_data_direction dir,
							   const void *caller)
{
	if (map_fast_ok(dev, va, size, dir)) {
		udma_addr_t iova = memseg_contig_iova(va, size);

		if (udma_likely(iova != UDMA_MAPPING_ERROR && iova + size - 1 <= dev->dma_mask))
			return iova;
		/* not udma's memory and nothing registered: no translation, a bounce slot */
		if (iova == UDMA_MAPPING_ERROR && !reg_active() && !dma_in_memseg_va(va) &&
		    (uintptr_t)va < MAP_VA_LIMIT - size)
			return map_bounce_as(dev, va, size, dir, 0, "udma_map_single");
	} else if (swiotlb_forced() && bounce_fast_ok(dev, va, size, dir)) {
		return map_bounce_as(dev, va, size, dir, 0, "udma_map_single"); /* as map_one() */
	}
	return map_traced(dev, va, size, dir, 0, DBG_SINGLE, "udma_map_single", caller);
}

/*
 * udma_map_single() under --swiotlb=force of a buffer in udma's memory window:
 * bounced from the magazine when it is populated, else the full path says why not.
 */
static __attribute__((noinline)) udma_addr_t map_single_forced(struct udma_device *dev, void *va,
							       size_t size,
							       enum udma_data_direction dir,
							       const void *caller)
{
	if (dma_cpu_backed(va, size))
		return swiotlb_map_fast(dev, va, size, dir, caller);
	return dma_map_single_slow(dev, va, size, dir, caller);
}

/*
 * udma_map_single() of a buffer the inline path did not map, when the bounce fast
 * paths may run (g_swiotlb.fast): a buffer that is not udma's (no memseg, no
 * registration), or any populated buffer under --swiotlb=force, takes a slot from
 * the lcore's magazine (swiotlb_map_fast()); everything else, and whatever that
 * cannot serve, goes on to dma_map_single_slow(). Tail calls only: no frame.
 */
static __attribute__((noinline)) udma_addr_t map_single_bounce(struct udma_device *dev, void *va,
							       size_t size,
							       enum udma_data_direction dir,
							       const void *caller)
{
	bool foreign = !dma_in_memseg_va(va);

	if (udma_likely(bounce_fast_ok(dev, va, size, dir))) {
		if (swiotlb_forced())
			return foreign ? swiotlb_map_fast(dev, va, size, dir, caller)
				       : map_single_forced(dev, va, size, dir, caller);
		if (g_dma.map_direct && foreign && !reg_active())
			return swiotlb_map_fast(dev, va, size, dir, caller);
	}
	return dma_map_single_slow(dev, va, size, dir, caller);
}

/*
 * map_single_bounce() for arguments map_fast_ok() passed (map_direct: not forced,
 * no dma-debug) that the inline path did not map: a buffer that is not udma's, with
 * nothing registered, on a direct device, takes the magazine; else the full path.
 */
static __attribute__((noinline)) udma_addr_t map_single_checked(struct udma_device *dev,
								void *va, size_t size,
								enum udma_data_direction dir,
								const void *caller)
{
	if (udma_likely(!dma_in_memseg_va(va) && !reg_active() && get_dma_ops(dev) == NULL &&
			(uintptr_t)va < MAP_VA_LIMIT - size))
		return swiotlb_map_fast(dev, va, size, dir, caller);
	return dma_map_single_slow(dev, va, size, dir, caller);
}

udma_addr_t udma_map_single_attrs(struct udma_device *dev, void *va, size_t size,
				  enum udma_data_direction dir, const struct udma_attrs *attrs)
{
	return map_traced(dev, va, size, dir, attrs ? attrs->flags : 0, DBG_SINGLE, __func__,
			  DBG_CALLER);
}

udma_addr_t udma_map_single(struct udma_device *dev, void *va, size_t size,
			    enum udma_data_direction dir)
{
	if (map_fast_ok(dev, va, size, dir)) {
		udma_addr_t iova = memseg_page_iova(va, size);

		if (udma_likely(iova != UDMA_MAPPING_ERROR && iova + size - 1 <= dev->dma_mask))
			return iova;
		if (g_swiotlb.fast)
			return map_single_checked(dev, va, size, dir, DBG_CALLER);
	}
	if (g_swiotlb.fast)
		return map_single_bounce(dev, va, size, dir, DBG_CALLER);
	return dma_map_single_slow(dev, va, size, dir, DBG_CALLER);
}

static inline udma_addr_t map_page(struct udma_device *dev, void *page, size_t offset,
				   size_t size, enum udma_data_direction dir, unsigned long flags,
				   const char *fn, const void *caller)
{
	if (udma_unlikely(((uintptr_t)page & (UDMA_PAGE_SIZE - 1)) || page == NULL ||
			  offset > UINTPTR_MAX - (uintptr_t)page)) {
		if (dma_dev_ok(dev, fn))
			UDMA_LOG_AS(ERR, fn, "%s: page %p offset %zu: not a 4 KiB-aligned page, or "
				    "the offset wraps the address space", dev->name, page, offset);
		return UDMA_MAPPING_ERROR;
	}
	return map_traced(dev, (uint8_t *)page + offset, size, dir, flags, DBG_PAGE, fn, caller);
}

udma_addr_t udma_map_page(struct udma_device *dev, void *page, size_t offset, size_t size,
			  enum udma_data_direction dir)
{
	return map_page(dev, page, offset, size, dir, 0, __func__, DBG_CALLER);
}

udma_addr_t udma_map_page_attrs(struct udma_device *dev, void *page, size_t offset, size_t size,
				enum udma_data_direction dir, const struct udma_attrs *attrs)
{
	return map_page(dev, page, offset, size, dir, attrs ? attrs->flags : 0, __func__,
			DBG_CALLER);
}

int udma_mapping_error(struct udma_device *dev, udma_addr_t addr)
{
	if (udma_unlikely(g_dma_debug.on) && dma_dev_is(dev))
		dbg_mapping_error(dev, addr);
	return addr == UDMA_MAPPING_ERROR;
}

/* ---- unmap ---------------------------------------------------------------- */

static void unmap_one(struct udma_device *dev, udma_addr_t addr, size_t size,
		      enum udma_data_direction dir, const struct udma_attrs *attrs, enum dbg_type t,
		      const char *fn, const void *caller)
{
	bool copy = !udma_get_attr(UDMA_ATTR_SKIP_CPU_SYNC, attrs), quiet = false;
	const struct udma_dma_ops *ops;
	void *slot;

	if (udma_unlikely(handle_args_bad(dev, addr, 0, size, dir, fn)))
		return; /* one line: dma-debug does not report it again */
	if (udma_unlikely(g_dma_debug.on)) {
		unsigned long n0 = dbg_error_count();

		dbg_unmap(dev, t, addr, size, (int)dir, fn, caller);
		quiet = dbg_error_count() != n0; /* reported: one line per call */
	}
	ops = get_dma_ops(dev);
	if (ops) {
		dma_log_call = fn;
		ops->unmap_page(dev, addr, size, dir, (attrs ? attrs->flags : 0) |
				(quiet ? DMA_ATTR_PVT_REPORTED : 0));
		return;
	}
	slot = swiotlb_slot_of_iova(addr);
	if (udma_unlikely(slot != NULL)) {
		dma_log_call = fn; /* swiotlb_release()'s refusals name it */
		if (swiotlb_release(dev, slot, size, dir, copy, true) == -ENOENT && !quiet)
			UDMA_LOG_AS(ERR, fn, "%s: iova %#llx is in the bounce region but not a live mapping",
				 dev->name, (unsigned long long)addr);
	} else if (udma_unlikely(!iova_plausible(addr))) {
		if (!quiet)
			UDMA_LOG_AS(ERR, fn, "%s: unmap of iova %#llx that udma never mapped: ignored",
				    dev->name, (unsigned long long)addr);
	} else if (udma_unlikely(reg_active())) {
		reg_count_unmap(memseg_iova2virt(addr, NULL), size);
	}
	/* direct pa/va mappings hold no other state: nothing else to undo */
}

void udma_unmap_single_attrs(struct udma_device *dev, udma_addr_t addr, size_t size,
			     enum udma_data_direction dir, const struct udma_attrs *attrs)
{
	unmap_one(dev, addr, size, dir, attrs, DBG_SINGLE, __func__, DBG_CALLER);
}

/* udma_unmap_single() past its direct path: out of line, as dma_map_single_slow() */
__attribute__((noinline)) void dma_unmap_single_slow(struct udma_device *dev, udma_addr_t addr,
						     size_t size, enum udma_data_direction dir,
						     const void *caller)
{
	unmap_one(dev, addr, size, dir, NULL, DBG_SINGLE, "udma_unmap_single", caller);
}

/* the handle checks of handle_args_bad() for a whole mapping, bound: no log */
static inline bool handle_fast_ok(const struct udma_device *dev, udma_addr_t addr, size_t size,
				  enum udma_data_direction dir)
{
	return dma_dev_is(dev) && addr != UDMA_MAPPING_ERROR &&
	       size - 1 < UDMA_MEMSEG_LIST_VA_SIZE && dma_dir_ok(dir);
}

/*
 * udma_unmap_single() of a handle that passed handle_fast_ok(), in chunk @c of the
 * bounce region or in none (-1): nothing to do for a direct mapping, the bounce
 * fast path for a bounce IOVA, else the full path. Inline: tail calls only.
 */
static inline void unmap_single_fast(struct udma_device *dev, int32_t c, udma_addr_t addr,
				     size_t size, enum udma_data_direction dir, const void *caller)
{
	/* direct pa/va mappings hold no state: a plausible, non-bounce IOVA is done */
	if (udma_likely(c < 0)) {
		if (udma_likely(__atomic_load_n(&g_dma.unmap_direct, __ATOMIC_RELAXED) &&
				iova_plausible(addr)))
			return;
	} else if (g_swiotlb.fast && get_dma_ops(dev) == NULL) {
		/* a live bounce run of this device, size and direction, else the full path */
		swiotlb_unmap_fast(dev, addr, size, dir, caller, c);
		return;
	}
	dma_unmap_single_slow(dev, addr, size, dir, caller);
}

/* the same when the bounce region has no dense table (its hash probe is a call) */
static __attribute__((noinline)) void unmap_single_hashed(struct udma_device *dev,
							  udma_addr_t addr, size_t size,
							  enum udma_data_direction dir,
							  const void *caller)
{
	unmap_single_fast(dev, swiotlb_chunk(addr, true), addr, size, dir, caller);
}

void udma_unmap_single(struct udma_device *dev, udma_addr_t addr, size_t size,
		       enum udma_data_direction dir)
{
	/* sim and dma-debug (neither flag) go straight to the full path */
	if (udma_likely((__atomic_load_n(&g_dma.unmap_direct, __ATOMIC_RELAXED) ||
			 g_swiotlb.fast) && handle_fast_ok(dev, addr, size, dir))) {
		if (udma_unlikely(!swiotlb_dense_iova())) {
			unmap_single_hashed(dev, addr, size, dir, DBG_CALLER);
			return;
		}
		unmap_single_fast(dev, swiotlb_chunk_dense_iova(addr), addr, size, dir, DBG_CALLER);
		return;
	}
	dma_unmap_single_slow(dev, addr, size, dir, DBG_CALLER);
}

void udma_unmap_page(struct udma_device *dev, udma_addr_t addr, size_t size,
		     enum udma_data_direction dir)
{
	unmap_one(dev, addr, size, dir, NULL, DBG_PAGE, __func__, DBG_CALLER);
}

void udma_unmap_page_attrs(struct udma_device *dev, udma_addr_t addr, size_t size,
			   enum udma_data_direction dir, const struct udma_attrs *attrs)
{
	unmap_one(dev, addr, size, dir, attrs, DBG_PAGE, __func__, DBG_CALLER);
}

/* ---- sync ----------------------------------------------------------------- */

/* for_cpu: 1, for_device: 0, by ownership (BIDIRECTIONAL sync_single): -1 */
static void sync_range(struct udma_device *dev, udma_addr_t addr, size_t off, size_t size,
		       enum udma_data_direction dir, int for_cpu, const char *fn, const void *caller)
{
	const struct udma_dma_ops *ops;
	void *slot;

	if (udma_unlikely(handle_args_bad(dev, addr, off, size, dir, fn)))
		return;
	if (udma_unlikely(g_dma_debug.on))
		dbg_sync(dev, addr, off, size, (int)dir, fn, caller);
	ops = get_dma_ops(dev);
	if (ops) {
		dma_log_call = fn;
		if (for_cpu)
			ops->sync_single_for_cpu(dev, addr, off, size, dir, for_cpu < 0);
		else
			ops->sync_single_for_device(dev, addr, off, size, dir);
		return;
	}
	slot = swiotlb_slot_of_iova(addr);
	if (slot == NULL) {
		/* x86 DMA is coherent: a direct mapping needs no sync */
		if (udma_unlikely(!iova_plausible(addr)))
			UDMA_LOG_AS(ERR, fn, "%s: iova %#llx: udma never mapped it: ignored",
				    dev->name, (unsigned long long)addr);
		/* pa/va direct mappings hold no state: past-end and after-unmap need debug */
		return;
	}
	if (for_cpu < 0)
		for_cpu = dir == UDMA_FROM_DEVICE ? 1 : dir == UDMA_TO_DEVICE ? 0 :
			  !swiotlb_cpu_owned(slot);
	dma_log_call = fn; /* swiotlb_sync()'s refusals name it */
	if (swiotlb_sync(dev, slot, off, size, for_cpu) == -ENOENT)
		UDMA_LOG_AS(ERR, fn, "%s: iova %#llx is in the bounce region but no live mapping "
			    "starts there (unmapped?): ignored", dev->name, (unsigned long long)addr);
}

__attribute__((noinline)) void dma_sync_single_slow(struct udma_device *dev, udma_addr_t addr,
						    size_t size, enum udma_data_direction dir,
						    const void *caller, bool for_cpu)
{
	sync_range(dev, addr, 0, size, dir, for_cpu,
		   for_cpu ? "udma_sync_single_for_cpu" : "udma_sync_single_for_device", caller);
}

/*
 * A whole-mapping sync (toward the CPU when @for_cpu) on a direct device with
 * dma-debug off, in chunk @c of the bounce region or in none (-1): a direct mapping
 * needs nothing (x86 DMA is coherent), a bounce IOVA takes the swiotlb's fast path;
 * anything else goes to the full path, which decides and logs. Tail calls only.
 */
static inline void sync_single_fast(struct udma_device *dev, int32_t c, udma_addr_t addr,
				    size_t size, enum udma_data_direction dir, const void *caller,
				    bool for_cpu)
{
	if (c >= 0) {
		if (for_cpu)
			swiotlb_sync_for_cpu_fast(dev, addr, size, dir, caller, c);
		else
			swiotlb_sync_for_device_fast(dev, addr, size, dir, caller, c);
		return;
	}
	if (udma_likely(iova_plausible(addr)))
		return;
	dma_sync_single_slow(dev, addr, size, dir, caller, for_cpu);
}

/* the same when the bounce region has no dense table (its hash probe is a call) */
static __attribute__((noinline)) void sync_single_hashed(struct udma_device *dev,
							 udma_addr_t addr, size_t size,
							 enum udma_data_direction dir,
							 const void *caller, bool for_cpu)
{
	sync_single_fast(dev, swiotlb_chunk(addr, true), addr, size, dir, caller, for_cpu);
}

/* udma_sync_single_for_cpu()/for_device() of a whole mapping: fast when it may be */
static inline void sync_single(struct udma_device *dev, udma_addr_t addr, size_t size,
			       enum udma_data_direction dir, const void *caller, bool for_cpu)
{
	if (udma_unlikely(!g_swiotlb.fast || !handle_fast_ok(dev, addr, size, dir) ||
			  get_dma_ops(dev) != NULL || g_dma_debug.on || g_iova.ops == NULL)) {
		dma_sync_single_slow(dev, addr, size, dir, caller, for_cpu);
		return;
	}
	if (udma_unlikely(!swiotlb_dense_iova())) {
		sync_single_hashed(dev, addr, size, dir, caller, for_cpu);
		return;
	}
	sync_single_fast(dev, swiotlb_chunk_dense_iova(addr), addr, size, dir, caller, for_cpu);
}

void udma_sync_single_for_cpu(struct udma_device *dev, udma_addr_t addr, size_t size,
			      enum udma_data_direction dir)
{
	sync_single(dev, addr, size, dir, DBG_CALLER, true);
}

void udma_sync_single_for_device(struct udma_device *dev, udma_addr_t addr, size_t size,
				 enum udma_data_direction dir)
{
	sync_single(dev, addr, size, dir, DBG_CALLER, false);
}

void udma_sync_single(struct udma_device *dev, udma_addr_t addr, size_t size,
		      enum udma_data_direction dir)
{
	sync_range(dev, addr, 0, size, dir, -1, __func__, DBG_CALLER);
}

void udma_sync_single_range(struct udma_device *dev, udma_addr_t addr, size_t offset, size_t size,
			    enum udma_data_direction dir)
{
	sync_range(dev, addr, offset, size, dir, -1, __func__, DBG_CALLER);
}

void udma_sync_single_range_for_cpu(struct udma_device *dev, udma_addr_t addr, size_t offset,
				    size_t size, enum udma_data_direction dir)
{
	sync_range(dev, addr, offset, size, dir, 1, __func__, DBG_CALLER);
}

void udma_sync_single_range_for_device(struct udma_device *dev, udma_addr_t addr, size_t offset,
				       size_t size, enum udma_data_direction dir)
{
	sync_range(dev, addr, offset, size, dir, 0, __func__, DBG_CALLER);
}
