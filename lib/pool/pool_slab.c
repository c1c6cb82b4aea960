/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Slabs: a power-of-two span of coherent memory aligned to its own size in VA and
 * IOVA, a small header at its start, then blocks packed at @stride, moved past a
 * boundary multiple whenever a block would cross one.
 */
#include <string.h>

#include "pool_private.h"
#include "pool_slab.h"

#define SLAB_MIN (64UL << 10)
#define SLAB_MAX (2UL << 20)

/* bytes of a slab's in-use map: one per possible index off >> mark_shift */
static size_t map_len(const struct udma_pool *p, size_t slab_size)
{
	return (slab_size >> p->mark_shift) + 1;
}

static size_t header_size(const struct udma_pool *p, size_t slab_size)
{
	return sizeof(struct slab) + map_len(p, slab_size);
}

/* the first block offset at or after @off that does not cross a boundary */
static size_t fit_boundary(const struct udma_pool *p, size_t off)
{
	if ((off & (p->boundary - 1)) + p->size > p->boundary)
		off = (off + p->boundary - 1) & ~(p->boundary - 1);
	return off;
}

/* a block that lands in a new boundary segment starts at its base, as the check expects */
size_t slab_next_off(const struct udma_pool *p, size_t off)
{
	size_t next = off + p->stride;

	if ((next >> p->boundary_shift) != (off >> p->boundary_shift))
		next &= ~(p->boundary - 1);
	return fit_boundary(p, next);
}

/* choose slab size, effective boundary and the first block offset */
void slab_layout(struct udma_pool *p, size_t slab_size)
{
	size_t hdr;

	p->slab_size = slab_size;
	p->slab_shift = (unsigned int)__builtin_ctzl(slab_size);
	/* a slab never crosses a larger boundary, and blocks aligned to a multiple of the
	 * boundary (size <= boundary) never cross it: one segment, the check's short path.
	 * From the boundary asked for, every time: the first slab may be laid out at
	 * several sizes before one is allocated (a smaller one must not stick). */
	p->boundary = p->boundary_req;
	if (p->boundary == 0 || p->boundary > slab_size || p->align >= p->boundary)
		p->boundary = slab_size;
	p->boundary_shift = (unsigned int)__builtin_ctzl(p->boundary);
	/* the inline checks' short form: a block start is a residue mod the stride */
	p->start_mask = (p->stride & (p->stride - 1)) == 0 && p->boundary == slab_size ?
				p->stride - 1 : 0;
	p->start_test = p->start_mask ? p->start_mask : ~(uintptr_t)0;
	p->stride_magic = UINT64_MAX / p->stride + 1;
	hdr = header_size(p, slab_size);
	p->first_off = fit_boundary(p, (hdr + p->align - 1) & ~(p->align - 1));
}

/* the smallest slab size that holds its header and 32 blocks (SLAB_MIN..SLAB_MAX) */
size_t slab_size_for(const struct udma_pool *p)
{
	size_t sz = SLAB_MIN;

	while (sz < SLAB_MAX && header_size(p, sz) + 32 * p->stride > sz)
		sz <<= 1;
	return sz;
}

/* publish (or withdraw) a slab in the pool's bitmap, read locklessly by free */
static void slab_mark(struct udma_pool *p, const struct slab *s, bool on)
{
	size_t idx = ((uintptr_t)s - p->bits_base) >> p->slab_shift;
	uint64_t bit = 1ULL << (idx % 64);

	if (on)
		__atomic_fetch_or(&p->slab_bits[idx / 64], bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&p->slab_bits[idx / 64], ~bit, __ATOMIC_RELEASE);
}

/* a new slab from the device's coherent memory; the pool's carve lock is held */
struct slab *slab_new(struct udma_pool *p)
{
	udma_addr_t iova;
	size_t pages = p->slab_size >> UDMA_PAGE_SHIFT;
	struct slab *s = heap_alloc(pages, pages, p->dev->coherent_mask, p->node, p->dev->id, &iova);

	if (s == NULL)
		return NULL;
	/* an IOMMU (sim): the slab is reachable by the pool's device only while it lives */
	if (dma_domain_map(p->dev, s, iova, p->slab_size) != 0) {
		heap_free(s, pages, p->dev->id);
		return NULL;
	}
	memset(s, 0, header_size(p, p->slab_size));
	s->magic = SLAB_MAGIC;
	s->pool = p;
	s->iova = iova;
	s->map_len = (uint32_t)map_len(p, p->slab_size);
	s->next = p->slabs;
	p->slabs = s;
	p->nslabs++;
	slab_mark(p, s, true);
	return s;
}

void slab_release_all(struct udma_pool *p)
{
	struct slab *s = p->slabs, *n;

	while (s) {
		n = s->next;
		slab_mark(p, s, false);
		s->magic = 0;
		dma_domain_unmap(p->dev, s->iova, p->slab_size);
		heap_free(s, p->slab_size >> UDMA_PAGE_SHIFT, p->dev->id);
		s = n;
	}
	p->slabs = NULL;
}
