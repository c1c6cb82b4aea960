/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The batch sg mapper: one pass translates (or bounces) each entry and merges it
 * into the previous segment when IOVA-adjacent, within max segment size and
 * segment boundary. In sim mode the whole list shares one IOVA range.
 */
#include <string.h>

#include "dma_private.h"
#include "iova_private.h"
#include "iova_sim.h"
#include "udma_sg.h"
#include "debug_private.h"

#define SGF_BOUNCED 0x1u
#define SGF_LIST_BOUNCED 0x2u /* on the first entry: some entry of the list bounced */
#define SGF_REG 0x4u /* a direct mapping of registered memory: counted in its region */
#define PG 4096ULL

static size_t span_of(udma_addr_t start, size_t len)
{
	return ((start & (PG - 1)) + len + PG - 1) & ~(PG - 1);
}

/* add [iova, +len) to the output segments; returns the new count */
static int merge(struct udma_device *dev, struct udma_sg **out, int count, udma_addr_t iova,
		 unsigned int len)
{
	struct udma_sg *o = *out;

	if (count && o->dma_address + o->dma_length == iova &&
	    (uint64_t)o->dma_length + len <= dev->max_seg_size &&
	    ((o->dma_address ^ (iova + len - 1)) & ~dev->seg_boundary) == 0) {
		o->dma_length += len;
		return count;
	}
	if (count)
		*out = o = udma_sg_next(o);
	o->dma_address = iova;
	o->dma_length = len;
	return count + 1;
}

/* an entry past the end mark, or empty: one log line */
static bool entry_bad(struct udma_device *dev, const struct udma_sg *sg, int i, int nents)
{
	if (udma_likely(sg != NULL && sg->buf != NULL && sg->length != 0))
		return false;
	UDMA_LOG(ERR, "%s: sg entry %d of %d is %s", dev->name, i, nents,
		 sg == NULL ? "past the end mark" : "empty");
	return true;
}

/* the bounce slot of a mapped entry: pa/va hold its IOVA, sim an IOMMU address */
static void *entry_slot(const struct udma_sg *sg)
{
	if (g_iova_ops->remaps)
		return sim_translate(sg->map_iova, NULL);
	return swiotlb_slot_of_iova(sg->map_iova);
}

static void release_bounces(struct udma_sg *sgl, int n, enum udma_data_direction dir, bool copy)
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
		swiotlb_release(entry_slot(sg), sg->length, dir, copy, false);
		sg->map_flags = 0;
	}
}

/* before the IOMMU mapping exists (sim pass 1): map_iova still holds the slot */
static void release_bounces_sim_va(struct udma_sg *sgl, int n, enum udma_data_direction dir)
{
	struct udma_sg *sg;
	int i;

	for (i = 0, sg = sgl; i < n && sg; i++, sg = udma_sg_next(sg)) {
		if (sg->map_flags & SGF_BOUNCED)
			swiotlb_release((void *)(uintptr_t)sg->map_iova, sg->length, dir, false, false);
		if (sg->map_flags & SGF_REG)
			reg_ref(sg->buf, sg->length, -1);
		sg->map_flags = 0;
	}
}

/* the IOVA of an entry inside one memseg page (the common case), else ERROR */
static inline udma_addr_t one_page_iova(uintptr_t mbase, size_t mlen, const void *buf,
					unsigned int len)
{
	uintptr_t off = (uintptr_t)buf - mbase, loff;
	const struct memseg_xlat *x;
	udma_addr_t base;

	if (udma_unlikely(off >= mlen))
		return UDMA_MAPPING_ERROR;
	x = &g_xlat[off >> MEMSEG_LIST_SHIFT];
	loff = off & (UDMA_MEMSEG_LIST_VA_SIZE - 1);
	if (udma_unlikely((loff >> x->shift) != ((loff + len - 1) >> x->shift)))
		return UDMA_MAPPING_ERROR;
	base = x->iova[loff >> x->shift];
	return udma_likely(base != 0) ? (udma_addr_t)(uintptr_t)buf + base - 1 : UDMA_MAPPING_ERROR;
}

/* anything but a direct single-page entry: translation across pages, or a bounce */
static udma_addr_t map_entry_slow(struct udma_device *dev, struct udma_sg *sgl, struct udma_sg *sg,
				  enum udma_data_direction dir, unsigned long flags)
{
	udma_addr_t iova = swiotlb_forced() ? UDMA_MAPPING_ERROR :
					      dma_map_direct(dev, sg->buf, sg->length, dir);

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
	const bool fast = g_map_direct;
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
		if (udma_likely(fast))
			iova = one_page_iova(mbase, mlen, sg->buf, len);
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
	release_bounces(sgl, i, dir, false);
	return 0;
}

/* sim, pass 1: the CPU memory behind each entry (bounce slots for foreign memory) */
static int sim_backing(struct udma_device *dev, struct udma_sg *sgl, int nents,
		       enum udma_data_direction dir, unsigned long flags)
{
	bool copy = !(flags & (1UL << UDMA_ATTR_SKIP_CPU_SYNC)), forced = swiotlb_forced();
	struct udma_sg *sg;
	udma_addr_t unused;
	int i;

	for (i = 0, sg = sgl; i < nents; i++, sg = udma_sg_next(sg)) {
		void *va;

		if (entry_bad(dev, sg, i, nents)) {
			release_bounces_sim_va(sgl, i, dir);
			return -EINVAL;
		}
		va = sg->buf;
		sg->map_flags = 0;
		if (!forced && memseg_contig_iova(va, sg->length) == UDMA_MAPPING_ERROR &&
		    reg_active() && reg_ref(va, sg->length, +1) == 0) {
			sg->map_flags = SGF_REG; /* registered: counted until the unmap */
		} else if (forced || memseg_contig_iova(va, sg->length) == UDMA_MAPPING_ERROR) {
			va = swiotlb_bounce(sg->buf, sg->length, dir, copy, &unused);
			if (va == NULL) {
				release_bounces_sim_va(sgl, i, dir);
				dma_map_fail(dev, sg->buf, sg->length, flags, "no bounce slot");
				return -ENOMEM;
			}
			sg->map_flags = SGF_BOUNCED;
		}
		sg->map_iova = (uintptr_t)va;
	}
	return 0;
}

/* offsets of each entry in the list's range; a segment never straddles a boundary */
static size_t sim_layout(struct udma_device *dev, struct udma_sg *sgl, int nents, bool pad)
{
	uint64_t b = dev->seg_boundary;
	struct udma_sg *sg;
	size_t pos = 0;
	int i;

	udma_for_each_sg(sgl, sg, nents, i) {
		size_t off = sg->map_iova & (PG - 1);

		if (pad && sg->length <= b + 1 &&
		    ((pos + off) & ~b) != ((pos + off + sg->length - 1) & ~b))
			pos = (pos + b) & ~b;
		sg->dma_length = (unsigned int)(pos >> 12); /* page index, until pass 2 */
		pos += span_of(off, sg->length);
	}
	return pos;
}

static int map_sg_sim(struct udma_device *dev, struct udma_sg *sgl, int nents,
		      enum udma_data_direction dir, unsigned long flags)
{
	size_t total, align = 1;
	struct udma_sg *sg, *out = sgl;
	udma_addr_t base;
	int i, count = 0;

	if (sim_backing(dev, sgl, nents, dir, flags) < 0)
		return 0;
	total = sim_layout(dev, sgl, nents, false);
	if (total > dev->seg_boundary + 1) {
		total = sim_layout(dev, sgl, nents, true);
		align = dev->seg_boundary + 1;
	} else {
		while (align < total)
			align <<= 1; /* a pow2-aligned range stays inside one boundary window */
	}
	base = sim_range_alloc(total, align, dev->dma_mask);
	if (base == UDMA_MAPPING_ERROR) {
		release_bounces_sim_va(sgl, nents, dir);
		dma_map_fail(dev, sgl->buf, total, flags, "no IOVA range under the DMA mask");
		return 0;
	}
	udma_for_each_sg(sgl, sg, nents, i) {
		void *va = (void *)(uintptr_t)sg->map_iova;
		udma_addr_t iova = base + ((size_t)sg->dma_length << 12) + ((uintptr_t)va & (PG - 1));

		if (sim_range_map(iova, va, sg->length, dir_perms(dir), i == 0, i == nents - 1) < 0) {
			sim_range_free(base, total);
			release_bounces_sim_va(sgl, nents, dir);
			dma_map_fail(dev, sg->buf, sg->length, flags, "no memory for the page table");
			return 0;
		}
		sg->map_iova = iova;
		count = merge(dev, &out, count, iova, sg->length);
	}
	return count;
}

/* the list's own arguments; entries are checked by the walk that uses them */
static bool sg_args_ok(struct udma_device *dev, struct udma_sg *sgl, int nents,
		       enum udma_data_direction dir, const char *fn)
{
	if (udma_unlikely(!dev_ok(dev, fn)))
		return false;
	if (udma_unlikely(sgl == NULL || nents <= 0 || !dir_ok(dir) || g_iova_ops == NULL)) {
		UDMA_LOG_FN(ERR, fn, "%s: bad argument (sgl %p, nents %d, dir %d)", dev->name,
			    (void *)sgl, nents, (int)dir);
		return false;
	}
	return true;
}

static void unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		     enum udma_data_direction dir, const struct udma_attrs *attrs, const void *caller);

static int map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		  enum udma_data_direction dir, const struct udma_attrs *attrs, const void *caller)
{
	unsigned long flags = attrs ? attrs->flags : 0;
	int count;

	if (!sg_args_ok(dev, sgl, nents, dir, __func__))
		return 0;
	count = g_iova_ops->remaps ? map_sg_sim(dev, sgl, nents, dir, flags) :
				     map_sg_direct(dev, sgl, nents, dir, flags);
	if (count > 1 && (flags & (1UL << UDMA_ATTR_FORCE_CONTIGUOUS))) {
		unmap_sg(dev, sgl, nents, dir, NULL, NULL);
		dma_map_fail(dev, sgl->buf, 0, flags, "FORCE_CONTIGUOUS list is not one segment");
		return 0;
	}
	if (udma_unlikely(g_dma_debug))
		dbg_map_sg(dev, sgl, nents, count, (int)dir, caller);
	return count;
}

int udma_map_sg_attrs(struct udma_device *dev, struct udma_sg *sgl, int nents,
		      enum udma_data_direction dir, const struct udma_attrs *attrs)
{
	return map_sg(dev, sgl, nents, dir, attrs, DBG_CALLER);
}

int udma_map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		enum udma_data_direction dir)
{
	return map_sg(dev, sgl, nents, dir, NULL, DBG_CALLER);
}

/* the list's IOVA range in sim mode: from the first entry's page to the last's end */
static void unmap_sim_range(struct udma_device *dev, struct udma_sg *sgl, int nents)
{
	struct udma_sg *sg, *last = sgl;
	udma_addr_t base = sgl->map_iova & ~(PG - 1);
	unsigned int perms;
	void *va;
	int i;

	for (i = 0, sg = sgl; i < nents && sg; i++, sg = udma_sg_next(sg))
		last = sg;
	if (sim_unmap(base, (last->map_iova & ~(PG - 1)) + span_of(last->map_iova, last->length) -
		      base, &va, &perms) < 0)
		UDMA_LOG(ERR, "%s: sg list at iova %#llx is not mapped (or nents differs from map)",
			 dev->name, (unsigned long long)base);
}

static void unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		     enum udma_data_direction dir, const struct udma_attrs *attrs, const void *caller)
{
	if (!sg_args_ok(dev, sgl, nents, dir, "udma_unmap_sg"))
		return;
	if (udma_unlikely(g_dma_debug) && caller)
		dbg_unmap_sg(dev, sgl, nents, (int)dir, "udma_unmap_sg", caller);
	/* pa/va with nothing bounced: direct mappings hold no state, nothing to walk */
	if (!g_iova_ops->remaps && !(sgl->map_flags & SGF_LIST_BOUNCED))
		return;
	release_bounces(sgl, nents, dir, !udma_get_attr(UDMA_ATTR_SKIP_CPU_SYNC, attrs));
	if (g_iova_ops->remaps)
		unmap_sim_range(dev, sgl, nents);
}

void udma_unmap_sg_attrs(struct udma_device *dev, struct udma_sg *sgl, int nents,
			 enum udma_data_direction dir, const struct udma_attrs *attrs)
{
	unmap_sg(dev, sgl, nents, dir, attrs, DBG_CALLER);
}

void udma_unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		   enum udma_data_direction dir)
{
	unmap_sg(dev, sgl, nents, dir, NULL, DBG_CALLER);
}

/* for_cpu 1 / 0, or -1: by direction as the seed's dma_sync_sg */
static void sync_sg(struct udma_device *dev, struct udma_sg *sgl, int nelems,
		    enum udma_data_direction dir, int for_cpu, const char *fn)
{
	struct udma_sg *sg;
	int i;

	if (!sg_args_ok(dev, sgl, nelems, dir, fn))
		return;
	for (i = 0, sg = sgl; i < nelems && sg; i++, sg = udma_sg_next(sg)) {
		void *slot;
		int cpu = for_cpu;

		if (!(sg->map_flags & SGF_BOUNCED) || (slot = entry_slot(sg)) == NULL)
			continue;
		if (cpu < 0)
			cpu = dir == UDMA_FROM_DEVICE ? 1 : dir == UDMA_TO_DEVICE ? 0 :
			      !swiotlb_cpu_owned(slot);
		swiotlb_sync(slot, 0, sg->length, cpu);
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
