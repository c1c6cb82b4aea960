/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The batch sg mapper: one pass translates (or bounces) each entry and merges it
 * into the previous segment when IOVA-adjacent, within max segment size and
 * segment boundary: the direct path (pa/va). A device with DMA ops (an IOMMU
 * such as sim) maps its lists itself (ops->map_sg).
 */
#include <string.h>

#include "dma_private.h"
#include "iova_private.h"
#include "udma_sg.h"
#include "dma_debug.h"

/* an entry past the end mark, or empty: one log line */
static bool entry_bad(struct udma_device *dev, const struct udma_sg *sg, int i, int nents)
{
	if (udma_likely(sg != NULL && sg->buf != NULL && sg->length != 0))
		return false;
	UDMA_LOG_AS(ERR, "udma_map_sg", "%s: sg entry %d of %d is %s", dev->name, i, nents,
		    sg == NULL ? "past the end mark" : "empty");
	return true;
}

/* the bounce slot of a mapped entry (direct path: map_iova is the slot's IOVA) */
static void *entry_slot(const struct udma_sg *sg)
{
	return swiotlb_slot_of_iova(sg->map_iova);
}

static void release_bounces(struct udma_device *dev, struct udma_sg *sgl, int n,
			    enum udma_data_direction dir, bool copy)
{
	struct udma_sg *sg;
	int i;

	for (i = 0, sg = sgl; i < n && sg; i++, sg = udma_sg_next(sg)) {
		if (sg->map_flags & SGF_REG) {
			reg_ref(sg->buf, sg->length, -1);
			sg->map_flags = 0;
		}
		if (!(sg->map_flags & SGF_BOUNCED))
			continue;
		/* another device's bounce: refused (logged), its owner still unmaps it */
		if (swiotlb_release(dev, entry_slot(sg), sg->length, dir, copy, false) == -EPERM)
			return;
		sg->map_flags = 0;
	}
}

/*
 * The memseg list the last entry was in: its VA range, table and page shift in
 * registers, so a run of entries in one list costs one table load each (no
 * g_xlat lookup, no range check against the whole reservation).
 */
struct xlat_cache {
	uintptr_t base;        /* the list's first VA */
	uintptr_t len;         /* its bytes inside the reservation (0: none cached) */
	const udma_addr_t *tab;
	unsigned int shift;
};

/* point @c at the list holding @buf; false when @buf is not memseg memory */
static __attribute__((noinline)) bool xlat_cache_load(struct xlat_cache *c, uintptr_t mbase,
						      size_t mlen, const void *buf)
{
	uintptr_t off = (uintptr_t)buf - mbase, lstart;
	const struct memseg_xlat *x;

	if (off >= mlen || !g_dma.map_direct) /* not memseg, or not a pa/va direct mapping */
		return false;
	x = &g_xlat[off >> MEMSEG_LIST_SHIFT];
	lstart = off & ~(uintptr_t)(UDMA_MEMSEG_LIST_VA_SIZE - 1);
	c->base = mbase + lstart;
	c->len = mlen - lstart < UDMA_MEMSEG_LIST_VA_SIZE ? mlen - lstart : UDMA_MEMSEG_LIST_VA_SIZE;
	c->tab = x->iova;
	c->shift = (unsigned int)x->shift;
	return c->tab != NULL;
}

/* the IOVA of an entry inside one memseg page (the common case), else ERROR */
static inline udma_addr_t one_page_iova(struct xlat_cache *c, uintptr_t mbase, size_t mlen,
					const void *buf, unsigned int len)
{
	uintptr_t loff = (uintptr_t)buf - c->base;
	udma_addr_t base;

	if (udma_unlikely(loff >= c->len)) { /* another list (or the first entry) */
		if (!xlat_cache_load(c, mbase, mlen, buf))
			return UDMA_MAPPING_ERROR;
		loff = (uintptr_t)buf - c->base;
	}
	/* within one page: the first and the last byte index the same entry */
	if (udma_unlikely(((loff ^ (loff + len - 1)) >> c->shift) != 0))
		return UDMA_MAPPING_ERROR;
	base = c->tab[loff >> c->shift];
	return udma_likely(base != 0) ? (udma_addr_t)(uintptr_t)buf + base - 1 : UDMA_MAPPING_ERROR;
}

/* anything but a direct single-page entry: translation across pages, or a bounce */
static udma_addr_t map_entry_slow(struct udma_device *dev, struct udma_sg *sgl, struct udma_sg *sg,
				  enum udma_data_direction dir, unsigned long flags)
{
	udma_addr_t iova = swiotlb_forced() ? UDMA_MAPPING_ERROR :
					      dma_map_direct(dev, sg->buf, sg->length);

	dma_log_call = "udma_map_sg"; /* a failed bounce logs under it (dma_map_fail()) */
	/* an entry that straddles the segment boundary bounces into an aligned slot */
	if (((iova ^ (iova + sg->length - 1)) & ~dev->seg_boundary) != 0 &&
	    sg->length <= dev->seg_boundary + 1)
		iova = UDMA_MAPPING_ERROR;
	if (iova != UDMA_MAPPING_ERROR && reg_active() &&
	    memseg_virt2iova(sg->buf) == UDMA_MAPPING_ERROR) {
		/* registered memory: counted, so it is not unregistered under the device */
		if (reg_ref(sg->buf, sg->length, +1) == 0) {
			sg->map_flags = SGF_REG;
			sgl->map_flags |= SGF_LIST_BOUNCED; /* unmap walks the list */
			return iova;
		}
		iova = UDMA_MAPPING_ERROR; /* unregistered meanwhile: bounce */
	}
	if (iova != UDMA_MAPPING_ERROR)
		return iova;
	iova = dma_map_bounce(dev, sg->buf, sg->length, dir, flags);
	if (iova != UDMA_MAPPING_ERROR) {
		sg->map_flags = SGF_BOUNCED;
		sgl->map_flags |= SGF_LIST_BOUNCED;
	}
	return iova;
}

/*
 * pa/va: per entry a translation (or a bounce), merged as we go. The device's
 * limits and the memseg bounds live in locals (stores to the list would otherwise
 * force reloads), and the open output segment stays in registers.
 */
static int map_sg_direct(struct udma_device *dev, struct udma_sg *sgl, int nents,
			 enum udma_data_direction dir, unsigned long flags)
{
	const uintptr_t mbase = g_mem.va_base;
	const size_t mlen = g_mem.va_len;
	const uint64_t mask = dev->dma_mask, bmask = dev->seg_boundary;
	const uint64_t maxseg = dev->max_seg_size;
	struct xlat_cache xc = {0, 0, NULL, 0};
	udma_addr_t seg_addr = 0;
	uint64_t seg_len = 0;
	struct udma_sg *sg, *out = sgl;
	int i, count = 0;

	for (i = 0, sg = sgl; i < nents; i++, sg = udma_sg_next(sg)) {
		udma_addr_t iova = UDMA_MAPPING_ERROR;
		unsigned int len;

		if (udma_unlikely(entry_bad(dev, sg, i, nents)))
			goto fail;
		len = sg->length;
		sg->map_flags = 0;
		iova = one_page_iova(&xc, mbase, mlen, sg->buf, len); /* !g_dma.map_direct: ERROR */
		if (udma_unlikely(iova == UDMA_MAPPING_ERROR || iova + len - 1 > mask ||
				  ((iova ^ (iova + len - 1)) & ~bmask) != 0)) {
			iova = map_entry_slow(dev, sgl, sg, dir, flags);
			if (iova == UDMA_MAPPING_ERROR)
				goto fail;
		}
		sg->map_iova = iova;
		if (count && seg_addr + seg_len == iova && seg_len + len <= maxseg &&
		    ((seg_addr ^ (iova + len - 1)) & ~bmask) == 0) {
			seg_len += len;
			continue;
		}
		if (count) { /* close the open segment */
			out->dma_address = seg_addr;
			out->dma_length = (unsigned int)seg_len;
			out = udma_sg_next(out);
		}
		seg_addr = iova;
		seg_len = len;
		count++;
	}
	out->dma_address = seg_addr;
	out->dma_length = (unsigned int)seg_len;
	return count;
fail:
	release_bounces(dev, sgl, i, dir, false);
	return 0;
}

/* the list's own arguments; entries are checked by the walk that uses them */
static bool sg_args_ok(struct udma_device *dev, struct udma_sg *sgl, int nents,
		       enum udma_data_direction dir, const char *fn)
{
	if (udma_unlikely(!dma_dev_ok(dev, fn)))
		return false;
	if (udma_unlikely(sgl == NULL || nents <= 0 || !dma_dir_ok(dir) || g_iova.ops == NULL)) {
		UDMA_LOG_AS(ERR, fn, "%s: bad argument (sgl %p, nents %d, dir %d)", dev->name,
			    (void *)sgl, nents, (int)dir);
		return false;
	}
	return true;
}

static void unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		     enum udma_data_direction dir, const struct udma_attrs *attrs, const void *caller);

/* out of line: udma_map_sg()'s direct path needs no stack frame */
static __attribute__((noinline)) int map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		  enum udma_data_direction dir, const struct udma_attrs *attrs, const void *caller)
{
	unsigned long flags = attrs ? attrs->flags : 0;
	const struct udma_dma_ops *ops;
	int count;

	if (!sg_args_ok(dev, sgl, nents, dir, "udma_map_sg"))
		return 0;
	ops = get_dma_ops(dev);
	if (ops)
		dma_log_call = "udma_map_sg"; /* the op logs under it */
	count = ops ? ops->map_sg(dev, sgl, nents, dir, flags) :
		      map_sg_direct(dev, sgl, nents, dir, flags);
	if (count > 1 && (flags & (1UL << UDMA_ATTR_FORCE_CONTIGUOUS))) {
		unmap_sg(dev, sgl, nents, dir, NULL, NULL);
		dma_log_call = "udma_map_sg";
		dma_map_fail(dev, sgl->buf, 0, flags, "FORCE_CONTIGUOUS list is not one segment");
		return 0;
	}
	if (udma_unlikely(g_dma_debug.on))
		dbg_map_sg(dev, sgl, nents, count, (int)dir, caller);
	return count;
}

int udma_map_sg_attrs(struct udma_device *dev, struct udma_sg *sgl, int nents,
		      enum udma_data_direction dir, const struct udma_attrs *attrs)
{
	return map_sg(dev, sgl, nents, dir, attrs, DBG_CALLER);
}

/*
 * g_dma.map_direct (pa/va, no ops, no dma-debug, no forced bouncing) and good list
 * arguments: what map_sg() and unmap_sg() would check and find, in one branch
 */
static inline bool sg_direct_ok(const struct udma_device *dev, const struct udma_sg *sgl,
				int nents, enum udma_data_direction dir)
{
	return udma_likely(g_dma.map_direct && dma_dev_is(dev) && sgl != NULL && nents > 0 &&
			   dma_dir_ok(dir));
}

int udma_map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		enum udma_data_direction dir)
{
	if (sg_direct_ok(dev, sgl, nents, dir))
		return map_sg_direct(dev, sgl, nents, dir, 0);
	return map_sg(dev, sgl, nents, dir, NULL, DBG_CALLER);
}

/* out of line: udma_unmap_sg()'s direct path needs no stack frame */
static __attribute__((noinline)) void unmap_sg(struct udma_device *dev, struct udma_sg *sgl,
					       int nents, enum udma_data_direction dir,
					       const struct udma_attrs *attrs, const void *caller)
{
	unsigned long flags = attrs ? attrs->flags : 0;
	const struct udma_dma_ops *ops;

	if (!sg_args_ok(dev, sgl, nents, dir, "udma_unmap_sg"))
		return;
	if (udma_unlikely(g_dma_debug.on) && caller) {
		unsigned long n0 = dbg_error_count();

		dbg_unmap_sg(dev, sgl, nents, (int)dir, "udma_unmap_sg", caller);
		if (dbg_error_count() != n0) /* reported: the ops log nothing more */
			flags |= DMA_ATTR_PVT_REPORTED;
	}
	ops = get_dma_ops(dev);
	if (ops) {
		dma_log_call = "udma_unmap_sg";
		ops->unmap_sg(dev, sgl, nents, dir, flags);
		return;
	}
	/* nothing bounced or counted: direct mappings hold no state, nothing to walk */
	if (!(sgl->map_flags & SGF_LIST_BOUNCED))
		return;
	release_bounces(dev, sgl, nents, dir, !udma_get_attr(UDMA_ATTR_SKIP_CPU_SYNC, attrs));
}

void udma_unmap_sg_attrs(struct udma_device *dev, struct udma_sg *sgl, int nents,
			 enum udma_data_direction dir, const struct udma_attrs *attrs)
{
	unmap_sg(dev, sgl, nents, dir, attrs, DBG_CALLER);
}

void udma_unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		   enum udma_data_direction dir)
{
	/* nothing bounced or counted: direct mappings hold no state */
	if (sg_direct_ok(dev, sgl, nents, dir) && !(sgl->map_flags & SGF_LIST_BOUNCED))
		return;
	unmap_sg(dev, sgl, nents, dir, NULL, DBG_CALLER);
}

/* for_cpu 1 / 0, or -1: by direction as Linux's dma_sync_sg */
static void sync_sg(struct udma_device *dev, struct udma_sg *sgl, int nelems,
		    enum udma_data_direction dir, int for_cpu, const char *fn)
{
	const struct udma_dma_ops *ops;
	struct udma_sg *sg;
	int i;

	if (!sg_args_ok(dev, sgl, nelems, dir, fn))
		return;
	ops = get_dma_ops(dev);
	if (ops) {
		dma_log_call = fn;
		if (for_cpu)
			ops->sync_sg_for_cpu(dev, sgl, nelems, dir, for_cpu < 0);
		else
			ops->sync_sg_for_device(dev, sgl, nelems, dir);
		return;
	}
	for (i = 0, sg = sgl; i < nelems && sg; i++, sg = udma_sg_next(sg)) {
		void *slot;
		int cpu = for_cpu;

		if (!(sg->map_flags & SGF_BOUNCED) || (slot = entry_slot(sg)) == NULL)
			continue;
		if (cpu < 0)
			cpu = dir == UDMA_FROM_DEVICE ? 1 : dir == UDMA_TO_DEVICE ? 0 :
			      !swiotlb_cpu_owned(slot);
		if (swiotlb_sync(dev, slot, 0, sg->length, cpu) == -EPERM)
			return; /* another device's: one line */
	}
}

void udma_sync_sg_for_cpu(struct udma_device *dev, struct udma_sg *sgl, int nelems,
			  enum udma_data_direction dir)
{
	sync_sg(dev, sgl, nelems, dir, 1, __func__);
}

void udma_sync_sg_for_device(struct udma_device *dev, struct udma_sg *sgl, int nelems,
			     enum udma_data_direction dir)
{
	sync_sg(dev, sgl, nelems, dir, 0, __func__);
}

void udma_sync_sg(struct udma_device *dev, struct udma_sg *sgl, int nelems,
		  enum udma_data_direction dir)
{
	sync_sg(dev, sgl, nelems, dir, -1, __func__);
}
