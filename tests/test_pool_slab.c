/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * White-box (SPDK's *_ut style): the slab index math of the pool, for many
 * (size, align, boundary) combinations, against a naive reference layout written
 * here from the rule alone: blocks at round_up(size, align) strides after the
 * header, moved to the next boundary multiple when one would cross it, and a block
 * that falls in a new boundary segment starts at that segment's base (so every
 * segment holds blocks at base + k * stride, the form the block-start check tests).
 * Checked: the slab's walk (first_off, slab_next_off), the block-start test at
 * every offset, the in-use mark's index, the IOVA of every block found by masking, and
 * that no block crosses a boundary in IOVA.
 */
#include "test_common.h"

#include "pool_slab.h"

#define MAXBLK (1u << 17)

static size_t g_ref[MAXBLK];

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* the reference: block offsets in a slab, computed one block at a time */
static size_t ref_layout(size_t slab, size_t hdr, size_t size, size_t stride, size_t align,
			 size_t boundary)
{
	size_t n = 0, off = round_up(hdr, align);

	for (;;) {
		if (n > 0 && off / boundary != g_ref[n - 1] / boundary) /* a new segment */
			off = off / boundary * boundary;
		if (off / boundary != (off + size - 1) / boundary) /* crosses: next multiple */
			off = round_up(off, boundary);
		if (off + size > slab)
			return n;
		assert_true(n < MAXBLK);
		g_ref[n++] = off;
		off += stride;
	}
}

static void set_pool(struct udma_pool *p, size_t size, size_t align, size_t boundary, bool debug)
{
	memset(p, 0, sizeof(*p));
	p->size = size;
	p->align = align;
	p->stride = round_up(size, align);
	if (p->stride < POOL_MIN_STRIDE)
		p->stride = POOL_MIN_STRIDE;
	p->boundary_req = boundary;
	p->debug = debug;
	p->mark_shift = 63u - (unsigned int)__builtin_clzll(p->stride); /* as pool_setup() */
	slab_layout(p, slab_size_for(p));
}

static unsigned long g_combos, g_blocks;

static void check_combo(size_t size, size_t align, size_t boundary, bool debug, uint8_t *mem)
{
	struct udma_pool *p = calloc(1, sizeof(*p));
	struct slab *s = (struct slab *)mem;
	size_t slab, hdr, eff_boundary, n, off, k;
	udma_addr_t iova;

	assert_non_null(p);
	set_pool(p, size, align, boundary, debug);
	slab = p->slab_size;
	assert_true(slab >= (64u << 10) && slab <= (2u << 20) && (slab & (slab - 1)) == 0);
	/* aligned to a multiple of the boundary, no block can cross it: one segment */
	eff_boundary = boundary == 0 || boundary > slab || align >= boundary ? slab : boundary;
	assert_int_equal(p->boundary, eff_boundary);
	hdr = sizeof(struct slab) + (slab >> p->mark_shift) + 1; /* the in-use bytes */
	n = ref_layout(slab, hdr, size, p->stride, align, eff_boundary);
	assert_true(n > 0);

	/* the slab's own walk gives the same offsets */
	off = p->first_off;
	for (k = 0; k < n; k++) {
		assert_int_equal(off, g_ref[k]);
		off = slab_next_off(p, off);
	}
	assert_true(off + size > slab);

	/* block start: true exactly at the reference offsets (every offset of the slab) */
	k = 0;
	for (off = 0; off < slab; off++) {
		bool is = k < n && g_ref[k] == off;

		if (udma_pvt_block_start_ok(pool_pvt(p), off) != is)
			fail_msg("size %zu align %zu boundary %zu debug %d: offset %zu is%s a block "
				 "start", size, align, boundary, debug, off, is ? "" : " not");
		if (is)
			k++;
	}
	/* in-use mark indexes are unique (one byte a block) and fit the slab's map */
	for (k = 1; k < n; k++)
		assert_true(g_ref[k] >> p->mark_shift > g_ref[k - 1] >> p->mark_shift);
	assert_true(g_ref[n - 1] >> p->mark_shift <= slab >> p->mark_shift);

	/* IOVA by masking, with the slab at a slab-aligned IOVA; no boundary crossed */
	iova = ((udma_addr_t)0x1234567 * slab) & UDMA_BIT_MASK(47);
	s->magic = SLAB_MAGIC;
	s->pool = p;
	s->iova = iova;
	p->slab_mask = ~(uintptr_t)(slab - 1);
	for (k = 0; k < n; k++) {
		void *b = mem + g_ref[k];
		udma_addr_t bi = iova + g_ref[k];

		assert_ptr_equal(slab_of(p, b), s);
		assert_ptr_equal(slab_of(p, (uint8_t *)b + size - 1), s);
		assert_int_equal(udma_pvt_block_iova(pool_pvt(p), b), bi);
		assert_int_equal(bi / eff_boundary, (bi + size - 1) / eff_boundary);
		if (boundary)
			assert_int_equal(bi / boundary, (bi + size - 1) / boundary);
	}
	g_combos++;
	g_blocks += n;
	free(p);
}

static void test_layout_against_reference(void **state)
{
	static const size_t sizes[] = {1, 7, 8, 16, 17, 24, 48, 63, 64, 100, 128, 192, 200, 511,
				       512, 1000, 1024, 1500, 2048, 3000, 4096, 5000, 8192, 20000};
	static const size_t aligns[] = {1, 8, 16, 64, 128, 512, 4096};
	static const size_t bounds[] = {0, 64, 256, 1024, 4096, 8192, 65536, 1u << 20, 4u << 20};
	uint8_t *mem = aligned_alloc(2u << 20, 2u << 20);

	(void)state;
	assert_non_null(mem);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++)
			for (size_t k = 0; k < sizeof(bounds) / sizeof(bounds[0]); k++) {
				if (bounds[k] && bounds[k] < sizes[i])
					continue; /* refused by udma_pool_create() */
				check_combo(sizes[i], aligns[j], bounds[k], false, mem);
				if (j == 0 || k == 1)
					check_combo(sizes[i], aligns[j], bounds[k], true, mem);
			}
	print_message("%lu layouts, %lu blocks checked\n", g_combos, g_blocks);
	assert_true(g_combos > 500);
	free(mem);
}

/*
 * Regression, through the public calls: 8-byte blocks (a 16-byte stride) under a
 * 64-byte boundary. The slab walk used to carry the stride across a segment that no
 * block crossed (blocks at 56, 72, ...) while the free check expects each segment to
 * start at its base: frees of such blocks were refused as "not a block start".
 */
static void test_small_blocks_small_boundary_free(void **state)
{
	struct udma_device *dev;
	struct udma_pool *pool;
	static void *b[4096];
	static udma_addr_t h[4096];
	struct t_log log;
	char *text;
	int n;

	(void)state;
	assert_int_equal(t_init_args("--iova-mode=sim", "--no-huge", "-m", "32", "--log-level=2",
				     NULL) >= 0, 1);
	dev = t_dev64("slab-ut");
	for (size_t size = 1; size <= 8; size++) {
		pool = udma_pool_create("small", dev, size, 0, 64);
		assert_non_null(pool);
		t_log_begin(&log);
		for (n = 0; n < 4096; n++) {
			b[n] = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &h[n]);
			assert_non_null(b[n]);
			assert_int_equal(h[n] / 64, (h[n] + size - 1) / 64);
			assert_int_equal(udma_sim_dma_write(dev, h[n], "abcdefgh", size), 0);
			assert_memory_equal(b[n], "abcdefgh", size);
		}
		for (n = 0; n < 4096; n++)
			udma_pool_free(pool, b[n], h[n]);
		text = t_log_end(&log);
		assert_int_equal(t_count(text, "udma_pool"), 0); /* every free accepted */
		free(text);
		udma_pool_destroy(pool);
	}
	udma_device_destroy(dev);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/*
 * Regression: with a boundary smaller than the slab header, offsets in the header's
 * segments passed the block-start check, so a free of slab + 16 put the header into
 * the cache and a later alloc handed it out. Now refused, with one log line.
 */
static void test_free_into_header_refused(void **state)
{
	struct udma_device *dev;
	struct udma_pool *pool;
	static void *b[2048];
	static udma_addr_t h[2048];
	struct t_log log;
	uintptr_t base;
	char *text;

	(void)state;
	assert_int_equal(t_init_args("--iova-mode=sim", "--no-huge", "-m", "32", "--log-level=2",
				     NULL) >= 0, 1);
	dev = t_dev64("slab-ut");
	pool = udma_pool_create("hdr", dev, 8, 0, 16);
	assert_non_null(pool);
	b[0] = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &h[0]);
	assert_non_null(b[0]);
	base = (uintptr_t)b[0] & pool->slab_mask;
	t_log_begin(&log);
	for (uintptr_t off = 0; off < pool->first_off; off += 8)
		udma_pool_free(pool, (void *)(base + off), h[0] - ((uintptr_t)b[0] - base) + off);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "\n"), (int)(pool->first_off / 8)); /* one line each */
	free(text);
	for (int n = 1; n < 2048; n++) {
		b[n] = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &h[n]);
		assert_non_null(b[n]);
		assert_true((uintptr_t)b[n] - base >= pool->first_off ||
			    ((uintptr_t)b[n] & pool->slab_mask) != base);
	}
	for (int n = 0; n < 2048; n++)
		udma_pool_free(pool, b[n], h[n]);
	udma_pool_destroy(pool);
	udma_device_destroy(dev);
	assert_int_equal(udma_eal_cleanup(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_against_reference),
		cmocka_unit_test(test_small_blocks_small_boundary_free),
		cmocka_unit_test(test_free_into_header_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
