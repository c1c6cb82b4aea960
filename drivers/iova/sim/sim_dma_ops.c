/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA ops of sim devices (Linux's iommu_dma_ops shape): every mapping goes
 * into the device's own domain; memory the device may not be given as it is
 * (outside the memsegs and registrations) goes through a bounce slot that is
 * mapped instead. The public entries have validated the arguments.
 */
#include <string.h>

#include "dma_private.h"
#include "iova_sim.h"
#include "udma_sg.h"

/* ops run under a public call: their lines carry its name (dma_log_call) */
#define SIM_LOG(lvl, fmt, ...) \
	UDMA_LOG_AS(lvl, dma_log_call ? dma_log_call : __func__, fmt, ##__VA_ARGS__)

#define PG 4096ULL

static inline struct sim_domain *dom(const struct udma_device *dev)
{
	return dev->iommu;
}

/*
 * The copy direction of a bounce slot's sync: @for_cpu as given (1, 0), or for -1
 * (udma_sync_single(), udma_sync_sg(): by ownership) from the direction, else from
 * who owns the slot now.
 */
static int slot_for_cpu(int for_cpu, enum udma_data_direction dir, const void *slot)
{
	if (for_cpu >= 0)
		return for_cpu;
	return dir == UDMA_FROM_DEVICE ? 1 : dir == UDMA_TO_DEVICE ? 0 : !swiotlb_cpu_owned(slot);
}

/* ---- domains ---------------------------------------------------------------- */

/* a child shares its parent's domain: one IOMMU group */
static int sim_attach(struct udma_device *dev)
{
	if (dev->parent != NULL && dev->parent->iommu != NULL) {
		sim_domain_get(dev->parent->iommu);
		dev->iommu = dev->parent->iommu;
		return 0;
	}
	dev->iommu = sim_domain_new();
	return dev->iommu ? 0 : -ENOMEM;
}

static void sim_detach(struct udma_device *dev)
{
	sim_domain_put(dom(dev));
	dev->iommu = NULL;
}

/* ---- coherent memory and pool slabs ----------------------------------------- */

static int sim_map_memory(struct udma_device *dev, void *va, udma_addr_t iova, size_t size)
{
	if (sim_map_at(dom(dev), iova, va, size, DMA_PERM_R | DMA_PERM_W, SIM_KIND_MEM) == 0)
		return 0;
	SIM_LOG(ERR, "%s: no memory for the IOMMU page table (%zu bytes at iova %#llx)",
		 dev->name, size, (unsigned long long)iova);
	return -ENOMEM;
}

static void sim_unmap_memory(struct udma_device *dev, udma_addr_t iova, size_t size)
{
	unsigned int perms;
	void *va;

	if (sim_unmap(dom(dev), iova, size, SIM_KIND_MEM, &va, &perms) < 0)
		SIM_LOG(ERR, "%s: iova %#llx (%zu bytes) is not memory mapped for this device",
			 dev->name, (unsigned long long)iova, size);
}

static void *sim_alloc(struct udma_device *dev, size_t size, udma_addr_t *handle, udma_gfp_t gfp)
{
	bool declared;
	void *va = dma_direct_alloc(dev, size, handle, gfp, &declared);

	/* declared memory is device-local: the device model reaches it without the IOMMU */
	if (va == NULL || declared)
		return va;
	if (sim_map_memory(dev, va, *handle, size) < 0) {
		dma_direct_free(dev, size, va, *handle);
		errno = ENOMEM;
		return NULL;
	}
	return va;
}

static void sim_free(struct udma_device *dev, size_t size, void *cpu_addr, udma_addr_t handle)
{
	unsigned int perms;
	void *va;
	int ret;

	if (dma_is_declared(dev, cpu_addr, handle)) {
		dma_direct_free(dev, size, cpu_addr, handle);
		return;
	}
	/* the domain knows what this device holds: refuse anything else, change nothing */
	if ((handle & (PG - 1)) != 0 || sim_translate(dom(dev), handle, NULL) != cpu_addr ||
	    (ret = sim_unmap(dom(dev), handle, size, SIM_KIND_MEM, &va, &perms)) < 0) {
		SIM_LOG(ERR, "%s: %p / %#llx (%zu bytes) is not a live coherent allocation of this "
			 "device (wrong handle, size or device, or already freed): ignored",
			 dev->name, cpu_addr, (unsigned long long)handle, size);
		return;
	}
	/* the allocator may still refuse (another device of the group owns it): map it back */
	if (dma_direct_free(dev, size, cpu_addr, handle) < 0) {
		size_t off = handle & (PG - 1);

		sim_map_at(dom(dev), handle - off, (uint8_t *)va - off, size + off,
			   DMA_PERM_R | DMA_PERM_W, SIM_KIND_MEM);
	}
}

/* ---- streaming: one buffer --------------------------------------------------- */

static udma_addr_t sim_map_page(struct udma_device *dev, void *va, size_t size,
				enum udma_data_direction dir, unsigned long attrs)
{
	bool copy = !(attrs & (1UL << UDMA_ATTR_SKIP_CPU_SYNC));
	bool backed = dma_cpu_backed(va, size);
	udma_addr_t iova, unused;
	void *slot;

	/* a hole in udma's own memory, or a range that wraps: no caller's buffer */
	if (udma_unlikely(!backed && (dma_in_memseg_va(va) ||
				      size - 1 > UINTPTR_MAX - (uintptr_t)va)))
		return dma_map_fail(dev, va, size, attrs, "not all of it is populated memory");
	if (udma_likely(backed && !swiotlb_forced())) {
		/* registered memory is counted in its region while mapped (gone meanwhile: bounce) */
		bool reg = reg_active() && reg_mem(va);

		if (udma_likely(!reg || reg_ref(va, size, +1) == 0)) {
			iova = sim_map(dom(dev), va, size, dma_dir_perms(dir), dev->dma_mask);
			if (udma_likely(iova != UDMA_MAPPING_ERROR))
				return iova;
			if (reg)
				reg_ref(va, size, -1);
			return dma_map_fail(dev, va, size, attrs, "no IOVA range under the DMA mask");
		}
	}
	slot = swiotlb_bounce(dev, va, size, dir, copy, &unused);
	if (slot == NULL)
		return dma_map_fail(dev, va, size, attrs, "out of the device's reach and no bounce slot");
	iova = sim_map(dom(dev), slot, size, dma_dir_perms(dir), dev->dma_mask);
	if (iova == UDMA_MAPPING_ERROR) {
		swiotlb_release(dev, slot, size, dir, false, true);
		return dma_map_fail(dev, va, size, attrs, "no IOVA range under the DMA mask");
	}
	return iova;
}

static const char *unmap_why(int ret)
{
	return ret == -ENOENT ? "this device has nothing mapped there" :
			       "not the size it was mapped with";
}

static void sim_unmap_page(struct udma_device *dev, udma_addr_t addr, size_t size,
			   enum udma_data_direction dir, unsigned long attrs)
{
	unsigned int perms;
	void *va;
	int ret = sim_unmap(dom(dev), addr, size, SIM_KIND_STREAM, &va, &perms);
	bool quiet = attrs & DMA_ATTR_PVT_REPORTED; /* dma-debug reported it: one line */

	if (ret < 0) {
		if (!quiet)
			SIM_LOG(ERR, "%s: unmap of iova %#llx (%zu bytes): %s: refused", dev->name,
				 (unsigned long long)addr, size, unmap_why(ret));
		return;
	}
	if (perms != dma_dir_perms(dir) && !quiet)
		SIM_LOG(ERR, "%s: iova %#llx mapped for direction with perms %u, unmapped with dir %d",
			 dev->name, (unsigned long long)addr, perms, (int)dir);
	if (swiotlb_has_va(va))
		swiotlb_release(dev, va, size, dir, !(attrs & (1UL << UDMA_ATTR_SKIP_CPU_SYNC)), false);
	else
		reg_count_unmap(va, size);
}

/* for_cpu: 1, 0, or -1 by direction and ownership */
static void sim_sync(struct udma_device *dev, udma_addr_t addr, size_t off, size_t size,
		     enum udma_data_direction dir, int for_cpu)
{
	unsigned int kind = 0;
	void *slot;

	/* the domain knows the mapping: a sync past its end or after unmap is refused */
	if (off > UINT64_MAX - addr ||
	    sim_check(dom(dev), addr, off + size, 0, &kind) < 0 || off + size < off) {
		SIM_LOG(ERR, "%s: sync of iova %#llx [%zu, +%zu): not inside a live mapping of "
			 "this device: refused", dev->name, (unsigned long long)addr, off, size);
		return;
	}
	if (kind == SIM_KIND_MEM) {
		/* noncoherent memory: copy between the views; coherent memory: nothing to do */
		dma_nc_sync_handle(addr, off, size, for_cpu < 0 ? dir : for_cpu ? UDMA_FROM_DEVICE :
			       UDMA_TO_DEVICE);
		return;
	}
	slot = sim_translate(dom(dev), addr, NULL);
	if (slot == NULL || !swiotlb_has_va(slot))
		return; /* direct: the device reads the CPU's memory itself */
	swiotlb_sync(dev, slot, off, size, slot_for_cpu(for_cpu, dir, slot));
}

static void sim_sync_single_for_cpu(struct udma_device *dev, udma_addr_t addr, size_t off,
				    size_t size, enum udma_data_direction dir, bool by_owner)
{
	sim_sync(dev, addr, off, size, dir, by_owner ? -1 : 1);
}

static void sim_sync_single_for_device(struct udma_device *dev, udma_addr_t addr, size_t off,
				       size_t size, enum udma_data_direction dir)
{
	sim_sync(dev, addr, off, size, dir, 0);
}

/* ---- streaming: lists -------------------------------------------------------- */

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

/* before the IOMMU mapping exists (pass 1): map_iova still holds the CPU address */
static void release_bounces_va(const struct udma_device *dev, struct udma_sg *sgl, int n,
			       enum udma_data_direction dir)
{
	struct udma_sg *sg;
	int i;

	for (i = 0, sg = sgl; i < n && sg; i++, sg = udma_sg_next(sg)) {
		if (sg->map_flags & SGF_BOUNCED)
			swiotlb_release(dev, (void *)(uintptr_t)sg->map_iova, sg->length, dir, false,
					false);
		if (sg->map_flags & SGF_REG)
			reg_ref(sg->buf, sg->length, -1);
		sg->map_flags = 0;
	}
}

/* an entry past the end mark, or empty: one log line */
static bool entry_bad(struct udma_device *dev, const struct udma_sg *sg, int i, int nents)
{
	if (udma_likely(sg != NULL && sg->buf != NULL && sg->length != 0))
		return false;
	SIM_LOG(ERR, "%s: sg entry %d of %d is %s", dev->name, i, nents,
		 sg == NULL ? "past the end mark" : "empty");
	return true;
}

/* would an entry at page offset @off cross one of @dev's boundary windows? (its page
 * starts window-aligned; an entry longer than a window cannot help it: false) */
static inline bool sg_straddles(const struct udma_device *dev, size_t off, size_t len)
{
	return len <= dev->seg_boundary + 1 && ((off ^ (off + len - 1)) & ~dev->seg_boundary) != 0;
}

/* pass 1: the CPU memory behind each entry (bounce slots for foreign memory) */
static int sg_backing(struct udma_device *dev, struct udma_sg *sgl, int nents,
		      enum udma_data_direction dir, unsigned long flags)
{
	bool copy = !(flags & (1UL << UDMA_ATTR_SKIP_CPU_SYNC)), forced = swiotlb_forced();
	struct udma_sg *sg;
	udma_addr_t unused;
	int i;

	for (i = 0, sg = sgl; i < nents; i++, sg = udma_sg_next(sg)) {
		bool backed, straddles;
		void *va;

		if (entry_bad(dev, sg, i, nents)) {
			release_bounces_va(dev, sgl, i, dir);
			return -EINVAL;
		}
		va = sg->buf;
		sg->map_flags = 0;
		backed = dma_cpu_backed(va, sg->length);
		/* an IOVA keeps the page offset: an entry that crosses a boundary window
		 * from there bounces into a slot at offset 0, as on the direct path */
		straddles = sg_straddles(dev, (uintptr_t)va & (PG - 1), sg->length);
		if (!forced && backed && !straddles && reg_active() && reg_mem(va)) {
			/* registered: counted until the unmap (unregistered meanwhile: bounce) */
			if (reg_ref(va, sg->length, +1) == 0)
				sg->map_flags = SGF_REG;
			else
				backed = false;
		}
		if (forced || !backed || straddles) {
			if (!backed && dma_in_memseg_va(va)) {
				release_bounces_va(dev, sgl, i, dir);
				dma_map_fail(dev, va, sg->length, flags,
					     "not all of it is populated memory");
				return -EINVAL;
			}
			va = swiotlb_bounce(dev, sg->buf, sg->length, dir, copy, &unused);
			if (va == NULL) {
				release_bounces_va(dev, sgl, i, dir);
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
static size_t sg_layout(struct udma_device *dev, struct udma_sg *sgl, int nents, bool pad)
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
		pos += sim_span(off, sg->length);
	}
	return pos;
}

/* the whole list shares one IOVA range in the device's domain */
static int sim_map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
		      enum udma_data_direction dir, unsigned long flags)
{
	size_t total, align = 1;
	struct udma_sg *sg, *out = sgl;
	udma_addr_t base;
	int i, count = 0;

	if (sg_backing(dev, sgl, nents, dir, flags) < 0)
		return 0;
	total = sg_layout(dev, sgl, nents, false);
	if (total > dev->seg_boundary + 1) {
		total = sg_layout(dev, sgl, nents, true);
		align = dev->seg_boundary + 1;
	} else {
		while (align < total)
			align <<= 1; /* a pow2-aligned range stays inside one boundary window */
	}
	base = sim_range_alloc(total, align, dev->dma_mask);
	if (base == UDMA_MAPPING_ERROR) {
		release_bounces_va(dev, sgl, nents, dir);
		dma_map_fail(dev, sgl->buf, total, flags, "no IOVA range under the DMA mask");
		return 0;
	}
	udma_for_each_sg(sgl, sg, nents, i) {
		void *va = (void *)(uintptr_t)sg->map_iova;
		udma_addr_t iova = base + ((size_t)sg->dma_length << 12) + ((uintptr_t)va & (PG - 1));

		if (sim_range_map(dom(dev), iova, va, sg->length, dma_dir_perms(dir), i == 0,
				  i == nents - 1) < 0) {
			sim_range_free(dom(dev), base, total);
			release_bounces_va(dev, sgl, nents, dir);
			dma_map_fail(dev, sg->buf, sg->length, flags, "no memory for the page table");
			return 0;
		}
		sg->map_iova = iova;
		count = merge(dev, &out, count, iova, sg->length);
	}
	return count;
}

/* the list's IOVA range: from the first entry's page to the last's end */
static size_t sg_range(struct udma_sg *sgl, int nents, udma_addr_t *base)
{
	struct udma_sg *sg, *last = sgl;
	int i;

	for (i = 0, sg = sgl; i < nents && sg; i++, sg = udma_sg_next(sg))
		last = sg;
	*base = sgl->map_iova & ~(PG - 1);
	return (last->map_iova & ~(PG - 1)) + sim_span(last->map_iova, last->length) - *base;
}

static void sim_unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
			 enum udma_data_direction dir, unsigned long attrs)
{
	bool copy = !(attrs & (1UL << UDMA_ATTR_SKIP_CPU_SYNC));
	unsigned int kind, perms;
	struct udma_sg *sg;
	udma_addr_t base;
	size_t len = sg_range(sgl, nents, &base);
	void *va;
	int i, ret;

	ret = sim_check(dom(dev), base, len, SIM_WHOLE | SIM_GAPS, &kind);
	if (ret < 0 || kind != SIM_KIND_STREAM) {
		if (attrs & DMA_ATTR_PVT_REPORTED)
			return; /* dma-debug reported it: one line */
		SIM_LOG(ERR, "%s: sg list at iova %#llx: %s (or nents differs from map): refused",
			 dev->name, (unsigned long long)base, unmap_why(ret < 0 ? ret : -ENOENT));
		return;
	}
	for (i = 0, sg = sgl; i < nents && sg; i++, sg = udma_sg_next(sg)) {
		if (sg->map_flags & SGF_REG)
			reg_ref(sg->buf, sg->length, -1);
		if (sg->map_flags & SGF_BOUNCED)
			swiotlb_release(dev, sim_translate(dom(dev), sg->map_iova, NULL), sg->length,
					dir, copy, false);
		sg->map_flags = 0;
	}
	if (sim_unmap(dom(dev), base, len, SIM_KIND_STREAM | SIM_GAPS, &va, &perms) < 0)
		SIM_LOG(ERR, "%s: sg list at iova %#llx unmapped by another thread meanwhile",
			 dev->name, (unsigned long long)base);
}

static void sim_sync_sg(struct udma_device *dev, struct udma_sg *sgl, int nelems,
			enum udma_data_direction dir, int for_cpu)
{
	struct udma_sg *sg;
	int i;

	if (sim_translate(dom(dev), sgl->map_iova, NULL) == NULL) {
		SIM_LOG(ERR, "%s: sync of an sg list at iova %#llx that this device has not mapped: "
			 "refused", dev->name, (unsigned long long)sgl->map_iova);
		return;
	}
	for (i = 0, sg = sgl; i < nelems && sg; i++, sg = udma_sg_next(sg)) {
		void *slot;

		if (!(sg->map_flags & SGF_BOUNCED) ||
		    (slot = sim_translate(dom(dev), sg->map_iova, NULL)) == NULL)
			continue;
		swiotlb_sync(dev, slot, 0, sg->length, slot_for_cpu(for_cpu, dir, slot));
	}
}

static void sim_sync_sg_for_cpu(struct udma_device *dev, struct udma_sg *sgl, int nents,
				enum udma_data_direction dir, bool by_owner)
{
	sim_sync_sg(dev, sgl, nents, dir, by_owner ? -1 : 1);
}

static void sim_sync_sg_for_device(struct udma_device *dev, struct udma_sg *sgl, int nents,
				   enum udma_data_direction dir)
{
	sim_sync_sg(dev, sgl, nents, dir, 0);
}

/* ---- the device side ----------------------------------------------------------- */

static int sim_dev_resolve(const struct udma_device *dev, udma_addr_t iova, int write, void **va,
			   size_t *contig)
{
	return sim_resolve(dom(dev), iova, write, va, contig);
}

const struct udma_dma_ops g_sim_dma_ops = {
	.name = "sim",
	.attach = sim_attach,
	.detach = sim_detach,
	.alloc = sim_alloc,
	.free = sim_free,
	.alloc_noncoherent = dma_nc_alloc_views,
	.free_noncoherent = dma_nc_free_views,
	.map_memory = sim_map_memory,
	.unmap_memory = sim_unmap_memory,
	.map_page = sim_map_page,
	.unmap_page = sim_unmap_page,
	.map_sg = sim_map_sg,
	.unmap_sg = sim_unmap_sg,
	.sync_single_for_cpu = sim_sync_single_for_cpu,
	.sync_single_for_device = sim_sync_single_for_device,
	.sync_sg_for_cpu = sim_sync_sg_for_cpu,
	.sync_sg_for_device = sim_sync_sg_for_device,
	.resolve = sim_dev_resolve,
};
