/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The batch sg mapper: one pass translates (or bounces) each entry and merges it
 * into the previous segment when IOVA-adjacent, within max segment size and
 * segment boundary: the direct path (pa/va). A device with DMA ops (an IOMMU
 * such as sim) maps its lists itself (ops->map_sg).
 *
 * The direct path's loop is specialised for runs of entries in one page: the
 * thread keeps the page of its last entry (VA, size, IOVA delta), checked once
 * per call against the device's mask and segment boundary, so an entry inside it
 * costs a range test and an add, with no call, no table load and no per-entry
 * limit test. Any other entry (another page or list, an empty or bad one, one
 * that crosses a page, needs a bounce or is registered memory) takes the
 * out-of-line entry path, which moves the cache when the new page qualifies.
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
 * The walk's state. The hot loop keeps the page cache and the limits it needs in
 * registers; the out-of-line entry path (entry_iova()) reads and updates it here.
 */
struct sg_walk {
	struct udma_device *dev;
	struct udma_sg *sgl;
	int nents;
	enum udma_data_direction dir;
	unsigned long flags;
	uint64_t mask;         /* the device's DMA mask */
	uint64_t nbmask;       /* ~seg_boundary: the bits a segment may not cross */
	/* the memseg list of the last translated entry: base, bytes, table, page shift */
	uintptr_t lbase, llen; /* llen 0: none */
	const udma_addr_t *ltab;
	unsigned int lshift;
	/*
	 * The page cache while the loop is out of line: an entry within [pg, pg + psz)
	 * maps to va + delta with no other check (the page is under the mask and
	 * inside one boundary segment). psz 0: none.
	 */
	uintptr_t pg, psz;
	udma_addr_t delta;
	udma_addr_t seg_addr;  /* until the first merge: the open segment's IOVA */
};

/*
 * The page the calling thread's last translated sg entry was in, kept across
 * calls (the walk's pg, psz, delta when it returned). Filled only by the direct
 * path (pa/va, which holds for the whole of an init) from the memseg tables,
 * whose entries never change once populated; the init generation (bumped at init
 * and cleanup) retires it. A call takes it when the page is under the device's
 * mask and inside one of its boundary segments (page_ok()).
 */
struct sg_page_cache {
	uintptr_t pg;
	uintptr_t psz;        /* 0: none */
	udma_addr_t delta;
	unsigned int gen;     /* the init generation (udma_pvt_gen) it belongs to */
};
static __thread struct sg_page_cache t_sg_page __attribute__((tls_model("initial-exec")));

/*
 * [pg, pg + psz) at pg + delta: under @mask and inside one boundary segment. The
 * tables hold IOVAs of real pages (below 2^57), so p1 does not wrap; psz 0 (no
 * page) may pass, and matches no entry anyway.
 */
static inline bool page_ok(uintptr_t pg, uintptr_t psz, udma_addr_t delta, uint64_t mask,
			   uint64_t nbmask)
{
	udma_addr_t p0 = (udma_addr_t)pg + delta, p1 = p0 + psz - 1;

	return p1 <= mask && ((p0 ^ p1) & nbmask) == 0;
}

/* point the list cache at the list holding @va; false when @va is not memseg memory */
static bool walk_list_load(struct sg_walk *w, uintptr_t va)
{
	const uintptr_t mbase = g_mem.va_base;
	const size_t mlen = g_mem.va_len;
	uintptr_t off = va - mbase, lstart;
	const struct memseg_xlat *x;

	if (off >= mlen || !g_dma.map_direct) /* not memseg, or not a pa/va direct mapping */
		return false;
	x = &g_xlat[off >> MEMSEG_LIST_SHIFT];
	lstart = off & ~(uintptr_t)(UDMA_MEMSEG_LIST_VA_SIZE - 1);
	w->lbase = mbase + lstart;
	w->llen = mlen - lstart < UDMA_MEMSEG_LIST_VA_SIZE ? mlen - lstart : UDMA_MEMSEG_LIST_VA_SIZE;
	w->ltab = x->iova;
	w->lshift = (unsigned int)x->shift;
	return w->ltab != NULL;
}

/*
 * The IOVA of a good entry of memseg memory inside one page, under the mask and
 * inside one boundary segment, else ERROR. Caches the entry's page when the
 * whole page is under the mask and inside one boundary segment.
 */
static udma_addr_t walk_page_iova(struct sg_walk *w, uintptr_t va, unsigned int len)
{
	uintptr_t loff = va - w->lbase, psz, pg;
	udma_addr_t e, iova, end;

	if (loff >= w->llen) { /* another list (or the first entry) */
		if (!walk_list_load(w, va))
			return UDMA_MAPPING_ERROR;
		loff = va - w->lbase;
	}
	/* within one page: the first and the last byte index the same entry */
	if (((loff ^ (loff + len - 1)) >> w->lshift) != 0)
		return UDMA_MAPPING_ERROR;
	e = w->ltab[loff >> w->lshift];
	if (e == 0) /* not populated */
		return UDMA_MAPPING_ERROR;
	iova = (udma_addr_t)va + e - 1;
	end = iova + len - 1;
	if (end > w->mask || ((iova ^ end) & w->nbmask) != 0)
		return UDMA_MAPPING_ERROR;
	/* the whole page qualifies: the next entries in it need no check */
	psz = (uintptr_t)1 << w->lshift;
	pg = va & ~(psz - 1);
	if (page_ok(pg, psz, e - 1, w->mask, w->nbmask)) {
		w->pg = pg;
		w->psz = psz;
		w->delta = e - 1;
	}
	return iova;
}

/*
 * An entry the page cache does not cover: checked (one log line when bad), then
 * translated through its list, else mapped by map_entry_slow() (translation
 * across pages, registered memory, a bounce). ERROR: the walk fails at entry @i.
 */
static __attribute__((noinline)) udma_addr_t entry_iova(struct sg_walk *w, struct udma_sg *sg,
							 int i)
{
	udma_addr_t iova;

	if (entry_bad(w->dev, sg, i, w->nents))
		return UDMA_MAPPING_ERROR;
	sg->map_flags = 0;
	iova = walk_page_iova(w, (uintptr_t)sg->buf, sg->length);
	if (iova == UDMA_MAPPING_ERROR)
		iova = map_entry_slow(w->dev, w->sgl, sg, w->dir, w->flags);
	return iova;
}

/* past the end mark before @nents entries (or a chain link to NULL): one line */
static __attribute__((noinline)) int walk_fail(struct sg_walk *w, struct udma_sg *sg, int i)
{
	if (sg == NULL)
		entry_bad(w->dev, sg, i, w->nents);
	release_bounces(w->dev, w->sgl, i, w->dir, false);
	return 0;
}

/* the next output entry: it exists (it is at or before the entry being mapped) */
static inline struct udma_sg *out_next(struct udma_sg *out)
{
	out++;
	if (udma_unlikely(out->flags & UDMA_SG_CHAIN))
		out = (struct udma_sg *)out->buf;
	return out;
}

/*
 * GCC: walk_chain() keeps its pointer argument (noipa: no argument loaded ahead in
 * the loop), and map_sg_direct() keeps the page cache in general registers (the
 * SLP vectoriser would pair pg and psz in an SSE register and split it per entry).
 */
#if defined(__clang__)
#define SG_NOIPA __attribute__((noinline))
#define SG_NO_SLP
#else
#define SG_NOIPA __attribute__((noipa))
#define SG_NO_SLP __attribute__((optimize("no-tree-slp-vectorize")))
#endif

/* entries the loop prefetches ahead (their 40 bytes: buf, length and flags) */
#define SG_PREFETCH 8

/*
 * Translate @sg into iova (and lm1, its length - 1). Inside the cached page: one
 * add. Else, inline, the remembered list: a page of it that qualifies becomes
 * the cached page (one table load). Anything else goes to entry_iova(), out of
 * line, which checks the entry and may move either cache; on failure the walk
 * ends with nothing left mapped. A macro: the failure returns from the walk, and
 * the hit path needs no test of the result.
 */
#define WALK_ENTRY(w, sg, left)                                                       \
	do {                                                                           \
		uintptr_t va_ = (uintptr_t)(sg)->buf, off_ = va_ - pg;                 \
		__builtin_prefetch((const void *)((uintptr_t)(sg) +                    \
						  SG_PREFETCH * sizeof(*(sg))));       \
		/* length - 1: an empty entry wraps to 4 GiB - 1, which no page holds */ \
		lm1 = (sg)->length - 1u;                                               \
		if (udma_unlikely((off_ | (off_ + lm1)) >= psz)) {                     \
			uintptr_t lo_ = va_ - (w)->lbase, psz_;                        \
			unsigned int sh_ = (w)->lshift;                                \
			udma_addr_t e_;                                                \
			if (udma_likely(lo_ < (w)->llen &&                             \
					((lo_ ^ (lo_ + lm1)) >> sh_) == 0 &&           \
					(e_ = (w)->ltab[lo_ >> sh_]) != 0 &&           \
					page_ok(va_ & ~(((uintptr_t)1 << sh_) - 1),    \
						(uintptr_t)1 << sh_, e_ - 1, mask,     \
						nbmask))) {                            \
				psz_ = (uintptr_t)1 << sh_;                            \
				pg = va_ & ~(psz_ - 1);                                \
				psz = psz_;                                            \
				delta = e_ - 1;                                        \
			} else {                                                       \
				(w)->pg = pg;                                          \
				(w)->psz = psz;                                        \
				(w)->delta = delta;                                    \
				iova = entry_iova((w), (sg), (w)->nents - (left));     \
				if (udma_unlikely(iova == UDMA_MAPPING_ERROR))         \
					return walk_fail((w), (sg), (w)->nents - (left)); \
				lm1 = (sg)->length - 1u; /* checked: not empty */      \
				pg = (w)->pg;                                          \
				psz = (w)->psz;                                        \
				delta = (w)->delta;                                    \
				break;                                                 \
			}                                                              \
		}                                                                      \
		(sg)->map_flags = 0;                                                   \
		iova = va_ + delta;                                                    \
	} while (0)

/* a chain link's target (out of line: the loop stays a pointer increment) */
static SG_NOIPA __attribute__((cold)) struct udma_sg *walk_chain(struct udma_sg *link)
{
	return (struct udma_sg *)link->buf; /* NULL: reported as past the end */
}

/* step to the entry after @sg (chain links followed); NULL: past the end mark */
static inline struct udma_sg *walk_next(struct udma_sg *sg)
{
	if (udma_unlikely(sg->flags & UDMA_SG_END))
		return NULL;
	sg++;
	if (udma_unlikely(sg->flags & UDMA_SG_CHAIN))
		sg = walk_chain(sg);
	return sg;
}

/*
 * pa/va: per entry a translation (or a bounce), merged as we go, in one pass.
 * An entry inside the page the last one was in translates with one add and no
 * other check (the page is known to be under the mask and in one boundary
 * segment); anything else (another page or list, an empty or bad entry, a bounce)
 * goes through entry_iova(), out of line.
 *
 * Two loops: until the first merge every entry is its own segment, written into
 * itself (no output pointer); after it, the open segment stays in registers and is
 * written into the next output entry when it closes.
 */
static SG_NO_SLP int
map_sg_direct(struct udma_device *dev, struct udma_sg *sgl, int nents,
			 enum udma_data_direction dir, unsigned long flags)
{
	struct sg_walk w = {
		.dev = dev, .sgl = sgl, .nents = nents, .dir = dir, .flags = flags,
		.mask = dev->dma_mask, .nbmask = ~dev->seg_boundary,
	};
	const uint64_t mask = w.mask, nbmask = w.nbmask, maxseg = dev->max_seg_size;
	struct sg_page_cache *pc = &t_sg_page;
	const unsigned int gen = __atomic_load_n(&udma_pvt_gen, __ATOMIC_RELAXED);
	/* the page cache in registers: the thread's, when this init's and good for @dev */
	uintptr_t pg = pc->pg, psz = pc->psz;
	udma_addr_t delta = pc->delta, seg_addr, seg_end, iova, end;
	struct udma_sg *sg = sgl, *out;
	int left = nents, count;
	unsigned int lm1;

	if (udma_unlikely(pc->gen != gen || !page_ok(pg, psz, delta, mask, nbmask)))
		psz = 0;
	/* until the first merge: entry k is segment k */
	WALK_ENTRY(&w, sg, left);
	sg->map_iova = iova;
	sg->dma_address = iova;
	sg->dma_length = lm1 + 1;
	w.seg_addr = iova;
	seg_end = iova + lm1 + 1;
	for (;;) {
		if (--left == 0) {
			count = nents;
			goto done;
		}
		sg = walk_next(sg);
		if (udma_unlikely(sg == NULL))
			return walk_fail(&w, NULL, w.nents - left);
		WALK_ENTRY(&w, sg, left);
		end = iova + lm1;
		sg->map_iova = iova;
		if (udma_unlikely(seg_end == iova)) {
			seg_addr = w.seg_addr;
			if (end - seg_addr < maxseg && ((seg_addr ^ end) & nbmask) == 0) {
				/* merges into the previous entry's segment: the general loop */
				count = w.nents - left;
				seg_end = end + 1;
				break;
			}
		}
		sg->dma_address = iova;
		sg->dma_length = lm1 + 1;
		w.seg_addr = iova; /* in memory: read only when the next entry is adjacent */
		seg_end = end + 1;
	}
	/* out: the entry holding the open segment (the previous one, found once) */
	out = sgl;
	for (int k = 1; k < count; k++)
		out = out_next(out);
	for (;;) {
		if (--left == 0)
			break;
		sg = walk_next(sg);
		if (udma_unlikely(sg == NULL))
			return walk_fail(&w, NULL, w.nents - left);
		WALK_ENTRY(&w, sg, left);
		end = iova + lm1;
		sg->map_iova = iova;
		if (seg_end == iova && end - seg_addr < maxseg && ((seg_addr ^ end) & nbmask) == 0) {
			seg_end = end + 1;
			continue;
		}
		/* close the open segment */
		out->dma_address = seg_addr;
		out->dma_length = (unsigned int)(seg_end - seg_addr);
		out = out_next(out);
		seg_addr = iova;
		seg_end = end + 1;
		count++;
	}
	out->dma_address = seg_addr;
	out->dma_length = (unsigned int)(seg_end - seg_addr);
done:
	pc->pg = pg; /* the page for the thread's next call */
	pc->psz = psz;
	pc->delta = delta;
	pc->gen = gen;
	return count;
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
	dma_log_call = "udma_unmap_sg"; /* swiotlb_release()'s refusals name it */
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
		dma_log_call = fn; /* swiotlb_sync()'s refusals name it */
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
