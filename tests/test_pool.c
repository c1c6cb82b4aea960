/* SPDX-License-Identifier: BSD-3-Clause */
/* dmapool: the Linux dmapool test shapes, bulk, GFP, bad arguments. */
#include <pthread.h>

#include "test_common.h"

struct shape {
	size_t size, align, boundary;
	int blocks;
};

static const struct shape shapes[] = {
	{16, 16, 0, 4096},     {64, 64, 0, 4096},       {256, 256, 0, 4096},
	{1024, 1024, 0, 2048}, {4096, 4096, 0, 512},    {68, 32, 4096, 4096},
	{3000, 0, 4096, 512},  {100, 0, 0, 2048},
};

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

static void check_shape(struct udma_device *d, const struct shape *sh)
{
	struct udma_pool *p = udma_pool_create("shape", d, sh->size, sh->align, sh->boundary);
	size_t align = sh->align ? sh->align : 8;
	void **v = calloc((size_t)sh->blocks, sizeof(*v));
	uintptr_t *sorted = calloc((size_t)sh->blocks, sizeof(*sorted));
	udma_addr_t *h = calloc((size_t)sh->blocks, sizeof(*h));
	uint8_t *back = malloc(sh->size);
	struct udma_pool_stats st;
	uint64_t cap = 0;

	assert_non_null(p);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < sh->blocks; i++) {
			uintptr_t va;

			v[i] = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h[i]);
			assert_non_null(v[i]);
			va = (uintptr_t)v[i];
			assert_int_equal(va % align, 0);
			assert_int_equal(h[i] % align, 0);
			assert_int_equal(h[i], udma_virt2iova(v[i]));
			if (sh->boundary) {
				assert_int_equal(va / sh->boundary, (va + sh->size - 1) / sh->boundary);
				assert_int_equal(h[i] / sh->boundary,
						 (h[i] + sh->size - 1) / sh->boundary);
			}
			t_fill(v[i], sh->size, (unsigned)i + 7 * (unsigned)round);
			sorted[i] = va;
		}
		/* no two blocks overlap */
		qsort(sorted, (size_t)sh->blocks, sizeof(*sorted), cmp_ptr);
		for (int i = 1; i < sh->blocks; i++)
			assert_true(sorted[i] >= sorted[i - 1] + sh->size);
		/* the device reads every block's bytes at its handle, and writes back */
		for (int i = 0; i < sh->blocks; i++) {
			assert_int_equal(udma_sim_dma_read(d, h[i], back, sh->size), 0);
			assert_true(t_check(back, sh->size, (unsigned)i + 7 * (unsigned)round));
		}
		t_fill(back, sh->size, 99);
		assert_int_equal(udma_sim_dma_write(d, h[0], back, sh->size), 0);
		assert_true(t_check(v[0], sh->size, 99));
		for (int i = 0; i < sh->blocks; i++)
			udma_pool_free(p, v[i], h[i]);
		assert_int_equal(udma_pool_stats(p, &st), 0);
		assert_int_equal(st.in_use, 0);
		assert_int_equal(st.free, st.capacity);
		if (round > 0)
			assert_int_equal(st.capacity, cap); /* blocks are reused, no growth */
		cap = st.capacity;
	}
	udma_pool_destroy(p);
	free(v);
	free(sorted);
	free(h);
	free(back);
}

static void shapes_in(enum t_mode m)
{
	struct udma_device *d;

	if (t_init_mode(m, "32"))
		skip();
	d = t_dev64("pool");
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check_shape(d, &shapes[i]);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_shapes_sim(void **s) { (void)s; shapes_in(T_SIM); }
static void test_shapes_va(void **s) { (void)s; shapes_in(T_VA); }
static void test_shapes_pa(void **s) { (void)s; shapes_in(T_PA); }

static int setup(void **s)
{
	*s = NULL;
	if (t_init_args("--iova-mode=sim", "-m", "32", "--log-level=2", NULL) < 0)
		return -1;
	*s = t_dev64("pooldev");
	return 0;
}

static int teardown(void **s)
{
	udma_device_destroy(*s);
	return udma_eal_cleanup();
}

static void test_zalloc(void **s)
{
	struct udma_pool *p = udma_pool_create("z", *s, 200, 0, 0);
	udma_addr_t h;
	uint8_t *b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h);

	memset(b, 0xee, 200);
	udma_pool_free(p, b, h);
	b = udma_pool_zalloc(p, UDMA_GFP_KERNEL, &h);
	for (int i = 0; i < 200; i++)
		assert_int_equal(b[i], 0);
	udma_pool_free(p, b, h);
	udma_pool_destroy(p);
}

static void test_bulk(void **s)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp), .max_blocks = 100};
	struct udma_pool *p = udma_pool_create("bulk", *s, 64, 64, 0);
	struct udma_pool *capped = udma_pool_create_params("capped", *s, 64, 64, 0, &pp);
	void *v[1000];
	udma_addr_t h[1000];
	struct udma_pool_stats st;
	unsigned int ns[] = {1, 32, 1000};

	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, h, ns[k]), 0);
		for (unsigned int i = 0; i < ns[k]; i++)
			assert_int_equal(h[i], udma_virt2iova(v[i]));
		udma_pool_free_bulk(p, v, h, ns[k]);
	}
	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, NULL, 10), 0);
	udma_pool_free_bulk(p, v, NULL, 10);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 0);
	/* all or nothing */
	assert_int_equal(udma_pool_alloc_bulk(capped, UDMA_GFP_KERNEL, v, h, 150), -ENOMEM);
	udma_pool_stats(capped, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(udma_pool_alloc_bulk(capped, UDMA_GFP_KERNEL, v, h, 100), 0);
	assert_null(udma_pool_alloc(capped, UDMA_GFP_KERNEL, &h[100]));
	assert_int_equal(errno, ENOMEM);
	udma_pool_free_bulk(capped, v, h, 100);
	udma_pool_destroy(capped);
	udma_pool_destroy(p);
}

static void test_gfp(void **s)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp), .initial_blocks = 64,
				      .max_blocks = 64};
	struct udma_pool *p = udma_pool_create_params("atomic", *s, 128, 0, 0, &pp);
	struct udma_pool *g = udma_pool_create("grow", *s, 4096, 4096, 0);
	struct udma_pool_stats st;
	void *v[64];
	udma_addr_t h[64];

	assert_non_null(p);
	for (int i = 0; i < 64; i++)
		assert_non_null(v[i] = udma_pool_alloc(p, UDMA_GFP_ATOMIC, &h[i]));
	assert_null(udma_pool_alloc(p, UDMA_GFP_ATOMIC, &h[0]));
	assert_int_equal(errno, ENOMEM);
	for (int i = 0; i < 64; i++)
		udma_pool_free(p, v[i], h[i]);
	/* KERNEL grows: well past the 32 MiB reserved at init */
	for (int i = 0; i < 64; i++) {
		void *blocks[160];

		assert_int_equal(udma_pool_alloc_bulk(g, UDMA_GFP_KERNEL, blocks, NULL, 160), 0);
	}
	udma_pool_stats(g, &st);
	assert_true(st.capacity >= 64 * 160);
	assert_true(st.bytes_held >= 64ULL * 160 * 4096);
	udma_pool_destroy(p);
	udma_pool_destroy(g); /* in use: reported and kept */
}

static void test_bad_args(void **s)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp)};
	struct udma_pool *p = udma_pool_create("args", *s, 64, 64, 0);
	struct udma_pool *other = udma_pool_create("other", *s, 64, 64, 0);
	udma_addr_t h, ho, hc;
	void *b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h);
	void *ob = udma_pool_alloc(other, UDMA_GFP_KERNEL, &ho);
	void *co = udma_alloc_coherent(*s, 4096, &hc, UDMA_GFP_KERNEL);
	void *heap = malloc(64);
	struct udma_pool_stats st;
	struct t_log log;
	char *text;
	int stack;

	t_fill(b, 64, 5);
	t_log_begin(&log);
	assert_null(udma_pool_create(NULL, *s, 64, 0, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_pool_create("", *s, 64, 0, 0));
	assert_null(udma_pool_create("0123456789012345678901234567890123", *s, 64, 0, 0));
	assert_null(udma_pool_create("x", NULL, 64, 0, 0));
	assert_null(udma_pool_create("x", *s, 0, 0, 0));
	assert_null(udma_pool_create("x", *s, (1 << 20) + 1, 0, 0));
	assert_null(udma_pool_create("x", *s, 64, 3, 0));
	assert_null(udma_pool_create("x", *s, 64, 48, 0));
	assert_null(udma_pool_create("x", *s, 64, 0, 100));
	assert_null(udma_pool_create("x", *s, 64, 0, 32));
	pp.reserved[1] = 1;
	assert_null(udma_pool_create_params("x", *s, 64, 0, 0, &pp));
	pp.reserved[1] = 0;
	pp.cache_size = 5000;
	assert_null(udma_pool_create_params("x", *s, 64, 0, 0, &pp));
	assert_int_equal(errno, EINVAL);
	assert_null(udma_pool_alloc(NULL, UDMA_GFP_KERNEL, &h));
	assert_null(udma_pool_alloc(p, UDMA_GFP_KERNEL, NULL));
	assert_null(udma_pool_alloc(p, 0, &h));
	assert_null(udma_pool_alloc(p, 0x80, &h));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, NULL, NULL, 4), -EINVAL);
	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, &heap, NULL, 0), -EINVAL);
	udma_pool_free(NULL, b, h);
	udma_pool_free(p, &stack, 0);
	udma_pool_free(p, heap, 0);
	udma_pool_free(p, co, hc);
	udma_pool_free(p, ob, ho);                 /* another pool's block */
	udma_pool_free(p, b, h + 64);              /* wrong handle */
	udma_pool_free(p, (uint8_t *)b + 1, h + 1); /* not a block start */
	assert_int_equal(udma_pool_stats(p, NULL), -EINVAL);
	udma_pool_destroy(NULL);
	text = t_log_end(&log);
	/* 12 creates + 4 allocs + 2 bulk + 7 frees + 1 stats, one line each */
	assert_int_equal(t_count(text, "ERR"), 12 + 4 + 2 + 7 + 1);
	free(text);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 1);
	assert_true(t_check(b, 64, 5));
	udma_pool_free(p, b, h);
	udma_pool_free(other, ob, ho);
	udma_free_coherent(*s, 4096, co, hc);
	free(heap);
	udma_pool_destroy(p);
	udma_pool_destroy(other);
}

static void test_debug_double_free(void **s)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp), .flags = UDMA_POOL_F_DEBUG};
	struct udma_pool *p = udma_pool_create_params("dbg", *s, 48, 16, 0, &pp);
	struct udma_pool_stats st;
	void *b;
	udma_addr_t hb;
	struct t_log log;
	char *text;

	b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &hb);
	udma_pool_free(p, b, hb);
	t_log_begin(&log);
	udma_pool_free(p, b, hb); /* double */
	udma_pool_free(p, (uint8_t *)b + 16, hb + 16); /* inside a block */
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "double free"), 1);
	assert_int_equal(t_count(text, "not a block start"), 1);
	free(text);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 0);
	/* b comes back exactly once: every free block handed out, b among them once (a
	 * burst of 300 alone may not reach it: it can sit in a cache the burst skips) */
	int seen = 0;
	uint64_t nfree = st.free;
	void **all = calloc(nfree, sizeof(*all));
	udma_addr_t *hall = calloc(nfree, sizeof(*hall));

	assert_non_null(all);
	assert_non_null(hall);
	for (uint64_t i = 0; i < nfree; i++) {
		all[i] = udma_pool_alloc(p, UDMA_GFP_ATOMIC, &hall[i]);
		assert_non_null(all[i]);
		seen += all[i] == b;
	}
	assert_int_equal(seen, 1); /* back, and once: the double free added no second copy */
	for (uint64_t i = 0; i < nfree; i++)
		udma_pool_free(p, all[i], hall[i]);
	free(all);
	free(hall);
	udma_pool_destroy(p);
}

/* without debug: a second free of a block is turned away, never handed out twice */
static void test_double_free(void **s)
{
	struct udma_pool *p = udma_pool_create("df", *s, 64, 0, 0);
	struct udma_pool_stats st;
	void *v[8], *again[300], *b, *c;
	udma_addr_t h[8], ha[300], hb, hc;
	struct t_log log;
	char *text;
	int seen = 0;

	b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &hb);
	udma_pool_free(p, b, hb);
	t_log_begin(&log);
	udma_pool_free(p, b, hb); /* double: the inline path turns it away */
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "double free"), 1);
	free(text);
	b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &hb);
	c = udma_pool_alloc(p, UDMA_GFP_KERNEL, &hc);
	assert_ptr_not_equal(b, c);
	udma_pool_free(p, b, hb);
	udma_pool_free(p, c, hc);
	/* b comes back exactly once among many */
	for (int i = 0; i < 300; i++) {
		again[i] = udma_pool_alloc(p, UDMA_GFP_KERNEL, &ha[i]);
		seen += again[i] == b;
	}
	assert_int_equal(seen, 1);
	udma_pool_free_bulk(p, again, ha, 300);
	/* free_bulk twice: the second is refused, the counters stay true */
	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, h, 8), 0);
	udma_pool_free_bulk(p, v, h, 8);
	udma_pool_stats(p, &st);
	uint64_t frees = st.frees;

	t_log_begin(&log);
	udma_pool_free_bulk(p, v, NULL, 8);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "double free"), 8);
	free(text);
	udma_pool_stats(p, &st);
	assert_int_equal(st.frees, frees); /* rejected blocks are not frees */
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.free, st.capacity);
	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, again, ha, 300), 0);
	for (int i = 0; i < 300; i++)
		for (int j = i + 1; j < 300; j++)
			assert_ptr_not_equal(again[i], again[j]);
	udma_pool_free_bulk(p, again, ha, 300);
	udma_pool_destroy(p);
}

/* every block of @p (64 of them) comes back once, each with its own IOVA */
static void all_back_once(struct udma_pool *p)
{
	void *again[64];
	udma_addr_t ha[64];

	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, again, ha, 64), 0);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(ha[i], udma_virt2iova(again[i]));
		for (int j = i + 1; j < 64; j++)
			assert_ptr_not_equal(again[i], again[j]);
	}
	udma_pool_free_bulk(p, again, ha, 64);
}

/*
 * One free_bulk mixing good and bad entries: the inline path frees the good run
 * before the first bad one, the slow path reports each bad one (one line each) and
 * frees the good ones after it; a block twice in the same call is freed once.
 */
static void test_bulk_free_mixed(void **s)
{
	struct udma_pool *p = udma_pool_create("mixed", *s, 64, 0, 0);
	struct udma_pool_stats st;
	void *v[5], *mix[8];
	udma_addr_t h[5], hm[8];
	static uint64_t foreign[8];
	struct t_log log;
	char *text;

	assert_non_null(p);
	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, h, 5), 0);
	mix[0] = v[0]; hm[0] = h[0];
	mix[1] = v[1]; hm[1] = h[1];
	mix[2] = foreign; hm[2] = 0x1000;                   /* not of this pool */
	mix[3] = v[2]; hm[3] = h[2];
	mix[4] = v[0]; hm[4] = h[0];                        /* twice in one call */
	mix[5] = (uint8_t *)v[3] + 8; hm[5] = h[3] + 8;     /* inside a block */
	mix[6] = v[3]; hm[6] = h[3] + 64;                   /* the wrong handle */
	mix[7] = v[4]; hm[7] = h[4];
	t_log_begin(&log);
	udma_pool_free_bulk(p, mix, hm, 8);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "was not allocated from this pool"), 1);
	assert_int_equal(t_count(text, "double free"), 1);
	assert_int_equal(t_count(text, "not a block start"), 1);
	assert_int_equal(t_count(text, "does not match"), 1);
	free(text);
	assert_int_equal(udma_pool_stats(p, &st), 0);
	assert_int_equal(st.in_use, 1); /* v[3]: its free was refused */
	assert_int_equal(st.free, st.capacity - 1);
	udma_pool_free(p, v[3], h[3]);
	assert_int_equal(udma_pool_stats(p, &st), 0);
	assert_int_equal(st.in_use, 0);
	/* every block comes back once: no duplicate among all the pool holds */
	all_back_once(p);
	udma_pool_destroy(p);
}

/*
 * free_bulk's run check trusts the in-use byte to turn away what a power-of-two
 * stride test passes: a pointer with a block's offset in the slab header, or past
 * the last whole block. Each must be refused as "not a block start" (not as a double
 * free), with the blocks around it freed and nothing else touched; the same for an
 * interior pointer of a pool whose stride is not a power of two, with and without
 * handles.
 */
static void bulk_free_layout(struct udma_device *d, size_t size, bool handles)
{
	struct udma_pool *p = udma_pool_create("layout", d, size, 16, 0);
	struct udma_pool_stats st;
	void *v[8], *mix[9];
	udma_addr_t h[8], hm[9];
	uintptr_t s, b, off, r, stride, slab;
	uint8_t back[64];
	struct t_log log;
	char *text;
	int bad = 0;

	assert_non_null(p);
	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, h, 8), 0);
	assert_int_equal(udma_pool_stats(p, &st), 0);
	stride = st.block_stride;
	slab = st.slab_size;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(h[i], udma_virt2iova(v[i]));
		t_fill(v[i], size, 40u + (unsigned)i);
	}
	b = (uintptr_t)v[0];
	s = b & ~(slab - 1);
	off = b - s;
	r = off % stride;
	assert_true(r < off); /* s + r lies in the header, before the first block */
	for (int i = 0; i < 9; i++)
		hm[i] = 0;
	mix[0] = v[1]; hm[0] = h[1];
	mix[1] = (void *)(s + r); hm[1] = h[0] - (off - r);          /* in the header */
	bad++;
	mix[2] = v[2]; hm[2] = h[2];
	mix[3] = (uint8_t *)v[3] + 16; hm[3] = h[3] + 16;            /* inside a block */
	bad++;
	mix[4] = v[3]; hm[4] = h[3];
	mix[5] = v[1]; hm[5] = h[1];                                 /* twice in one call */
	mix[6] = v[4]; hm[6] = h[4];
	if ((stride & (stride - 1)) == 0) {
		/* the last offset with a block's residue: its block would run past the end */
		uintptr_t t = slab - stride + r;

		assert_true(t + size > slab);
		mix[7] = (void *)(s + t); hm[7] = h[0] + (t - off);
		bad++;
	} else {
		mix[7] = (uint8_t *)v[5] + 8; hm[7] = h[5] + 8;      /* inside a block */
		bad++;
	}
	mix[8] = v[6]; hm[8] = h[6];
	t_log_begin(&log);
	udma_pool_free_bulk(p, mix, handles ? hm : NULL, 9);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "not a block start"), bad);
	assert_int_equal(t_count(text, "double free"), 1);
	assert_int_equal(t_count(text, "ignored"), bad + 1);
	free(text);
	/* one by one (the single free's short check): the same names, whatever the handle */
	t_log_begin(&log);
	for (int i = 1; i < 8; i += 2) {
		if (i == 3 || i == 5)
			continue;
		udma_pool_free(p, mix[i], hm[i]);
		udma_pool_free(p, mix[i], hm[i] + 64);
	}
	udma_pool_free(p, mix[3], hm[3]);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "not a block start"), 5);
	assert_int_equal(t_count(text, "double free"), 0);
	free(text);
	/* v[0], v[5], v[7] are still in use, their bytes as they were */
	assert_int_equal(udma_pool_stats(p, &st), 0);
	assert_int_equal(st.in_use, 3);
	assert_int_equal(st.free, st.capacity - 3);
	for (int i = 0; i < 8; i++) {
		if (i != 0 && i != 5 && i != 7)
			continue;
		assert_true(t_check(v[i], size, 40u + (unsigned)i));
		assert_int_equal(udma_sim_dma_read(d, h[i], back, size), 0);
		assert_true(t_check(back, size, 40u + (unsigned)i));
	}
	udma_pool_free(p, v[0], h[0]);
	udma_pool_free(p, v[5], h[5]);
	udma_pool_free(p, v[7], h[7]);
	assert_int_equal(udma_pool_stats(p, &st), 0);
	assert_int_equal(st.in_use, 0);
	/* every block comes back once, with its IOVA */
	all_back_once(p);
	udma_pool_destroy(p);
}

static void test_bulk_free_layout(void **s)
{
	bulk_free_layout(*s, 64, true);  /* stride 64: the power-of-two run check */
	bulk_free_layout(*s, 64, false);
	bulk_free_layout(*s, 48, true);  /* stride 48: range and divisibility */
	bulk_free_layout(*s, 48, false);
}

/*
 * Bulk calls whose blocks span several slabs (freed in a shuffled order, so runs
 * change slab within a call): every handle is the block's IOVA (the device reads
 * the block's bytes there), a double free in a later run is refused alone, and every
 * block comes back exactly once.
 */
static void test_bulk_many_slabs(void **s)
{
	enum { N = 3200, B = 32 };
	struct udma_pool *p = udma_pool_create("slabs", *s, 64, 0, 0);
	void **v = calloc(N, sizeof(*v));
	udma_addr_t *h = calloc(N, sizeof(*h));
	uintptr_t *sorted = calloc(N, sizeof(*sorted));
	struct udma_pool_stats st;
	uint8_t back[64];
	uint32_t seed = 12345;
	struct t_log log;
	char *text;

	assert_non_null(p);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i += B)
			assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v + i, h + i, B), 0);
		assert_int_equal(udma_pool_stats(p, &st), 0);
		assert_true(st.slabs >= 3);
		for (int i = 0; i < N; i++) {
			assert_int_equal(h[i], udma_virt2iova(v[i]));
			t_fill(v[i], 64, (unsigned)i);
			sorted[i] = (uintptr_t)v[i];
		}
		qsort(sorted, N, sizeof(*sorted), cmp_ptr);
		for (int i = 1; i < N; i++)
			assert_true(sorted[i] >= sorted[i - 1] + 64);
		for (int i = 0; i < N; i += 97) {
			assert_int_equal(udma_sim_dma_read(*s, h[i], back, 64), 0);
			assert_true(t_check(back, 64, (unsigned)i));
		}
		/* shuffle (blocks and handles together), then free in bursts */
		for (int i = N - 1; i > 0; i--) {
			int j;
			void *tv;
			udma_addr_t th;

			seed = seed * 1103515245u + 12345u;
			j = (int)((seed >> 8) % (uint32_t)(i + 1));
			tv = v[i]; v[i] = v[j]; v[j] = tv;
			th = h[i]; h[i] = h[j]; h[j] = th;
		}
		for (int i = 0; i < N; i += B) {
			if (i == B * 10) {
				/* an earlier burst's block again, in the middle of this one */
				void *tv = v[i + 20];
				udma_addr_t th = h[i + 20];

				v[i + 20] = v[3];
				h[i + 20] = h[3];
				t_log_begin(&log);
				udma_pool_free_bulk(p, v + i, h + i, B);
				text = t_log_end(&log);
				assert_int_equal(t_count(text, "double free"), 1);
				free(text);
				assert_int_equal(udma_pool_stats(p, &st), 0);
				assert_int_equal(st.in_use, (uint64_t)(N - i - B + 1));
				udma_pool_free(p, tv, th);
				continue;
			}
			udma_pool_free_bulk(p, v + i, round ? NULL : h + i, B); /* handles, then none */
		}
		assert_int_equal(udma_pool_stats(p, &st), 0);
		assert_int_equal(st.in_use, 0);
		assert_int_equal(st.free, st.capacity);
	}
	free(sorted);
	free(h);
	free(v);
	udma_pool_destroy(p);
}

/*
 * Regression: a pool whose first slab needed the memory to grow kept the boundary of
 * the smallest slab size tried (4 KiB): its blocks were laid out around 4 KiB lines
 * it never asked for, and every free took the several-segment check. A pool without
 * a boundary has one segment a slab, and its blocks cross 4 KiB lines.
 */
static void test_first_slab_boundary(void **s)
{
	enum { N = 1200 };
	struct udma_pool *p = udma_pool_create("first", *s, 64, 16, 0);
	const struct udma_pool_pvt *pv = (const struct udma_pool_pvt *)(const void *)p;
	void **v = calloc(N, sizeof(*v));
	udma_addr_t *h = calloc(N, sizeof(*h));
	int crossing = 0;

	assert_non_null(p);
	for (int i = 0; i < N; i++) {
		v[i] = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h[i]);
		assert_non_null(v[i]);
		crossing += (uintptr_t)v[i] / 4096 != ((uintptr_t)v[i] + 63) / 4096;
	}
	assert_int_equal(pv->boundary, pv->slab_size);
	assert_true(crossing > 0);
	udma_pool_free_bulk(p, v, h, N);
	free(h);
	free(v);
	udma_pool_destroy(p);
}

/* a thread without an lcore slot takes the slow path with the same verdict */
static void *unregistered_double_free(void *arg)
{
	struct udma_pool *p = arg;
	udma_addr_t h;
	void *b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h);

	udma_pool_free(p, b, h);
	udma_pool_free(p, b, h);
	return b;
}

static void test_double_free_shared(void **s)
{
	struct udma_pool *p = udma_pool_create("dfs", *s, 64, 0, 0);
	struct udma_pool_stats st;
	struct t_log log;
	pthread_t t;
	void *b;
	char *text;

	t_log_begin(&log);
	assert_int_equal(pthread_create(&t, NULL, unregistered_double_free, p), 0);
	pthread_join(t, &b);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "double free"), 1);
	free(text);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.free, st.capacity);
	udma_pool_destroy(p);
}

/* a pool keeps its device: destroying the device is refused, nothing dangles */
static void test_device_busy(void **s)
{
	struct udma_device *d = t_dev64("owner");
	struct udma_pool *p = udma_pool_create("onit", d, 128, 0, 0);
	udma_addr_t h;
	uint8_t *b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h), back[128];
	struct t_log log;
	char *text;

	(void)s;
	t_log_begin(&log);
	assert_int_equal(udma_device_try_destroy(d), -EBUSY);
	udma_device_destroy(d);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "busy"), 2);
	free(text);
	/* the device and the pool still work: real bytes through the block's IOVA */
	assert_string_equal(udma_device_name(d), "owner");
	t_fill(b, 128, 31);
	assert_int_equal(udma_sim_dma_read(d, h, back, 128), 0);
	assert_true(t_check(back, 128, 31));
	udma_pool_free(p, b, h);
	b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h);
	assert_non_null(b);
	udma_pool_free(p, b, h);
	udma_pool_destroy(p);
	assert_int_equal(udma_device_try_destroy(d), 0);
}

/* a pool left on a device at cleanup: torn down in order, nothing read after free */
static void test_device_busy_cleanup(void **s)
{
	struct udma_device *d = t_dev64("left");
	struct udma_pool *p = udma_pool_create("left", d, 64, 0, 0);
	udma_addr_t h;

	(void)s;
	assert_non_null(udma_pool_alloc(p, UDMA_GFP_KERNEL, &h));
	udma_device_destroy(d); /* refused */
	/* teardown's udma_eal_cleanup() destroys the pool, then the device */
}

/* initial_blocks far beyond memory: refused at once, nothing leaked */
static void test_initial_blocks_bound(void **s)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp), .initial_blocks = 4000000000u};
	struct udma_pool_stats st;
	struct udma_pool *p;
	struct t_log log;
	char *text;

	t_log_begin(&log);
	assert_null(udma_pool_create_params("huge", *s, 8, 0, 0, &pp));
	assert_int_equal(errno, ENOMEM);
	pp.initial_blocks = 100;
	pp.max_blocks = 10;
	assert_null(udma_pool_create_params("over", *s, 8, 0, 0, &pp));
	assert_int_equal(errno, EINVAL);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "ERR"), 2); /* one line each */
	assert_int_equal(t_count(text, "more than memory holds"), 1);
	free(text);
	/* a sane one still works, and carved what it was asked */
	pp.initial_blocks = 1000;
	pp.max_blocks = 0;
	p = udma_pool_create_params("ok", *s, 8, 0, 0, &pp);
	assert_non_null(p);
	udma_pool_stats(p, &st);
	assert_true(st.capacity >= 1000);
	assert_int_equal(st.free, st.capacity);
	udma_pool_destroy(p);
}

/* blocks pool @name spilled since create, read from udma_dump()'s depot line */
static unsigned long long dump_spilled(const char *name)
{
	char *text = NULL, key[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *at, *end;
	unsigned long long n;

	assert_non_null(f);
	udma_dump(f);
	fclose(f);
	snprintf(key, sizeof(key), "pool %s depot: ", name);
	at = strstr(text, key);
	assert_non_null(at);
	end = strstr(at, " spilled since create");
	assert_non_null(end);
	while (end > at && end[-1] >= '0' && end[-1] <= '9')
		end--;
	n = strtoull(end, NULL, 10);
	free(text);
	return n;
}

/* bytes_held per block carved: the pool's slabs, caches and magazines */
static double bytes_per_block(struct udma_pool *p, struct udma_pool_stats *st)
{
	assert_int_equal(udma_pool_stats(p, st), 0);
	return (double)st->bytes_held / (double)st->capacity;
}

/*
 * P4's bound with every block free (doc/perf.md): freed, the blocks fill the
 * caches and the depot, whose magazines are capped; the rest rest chained through
 * themselves on the spill stack, so bytes_held per block stays within @max with all
 * in use and with all free. Taken back (bulks of 32 through the lcore's cache:
 * magazines, then the spill stack), nothing new is carved, each block comes once,
 * and the device sees what the CPU writes in it. With @flags UDMA_POOL_F_DEBUG the
 * pool also checks, as it hands each block out, that nothing wrote it while free
 * (the spill links stay in the 16 bytes a free block lends).
 */
static void all_free_within(struct udma_device *dev, size_t size, unsigned int n, double max,
			    uint32_t flags)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp), .flags = flags};
	struct udma_pool *p = udma_pool_create_params("allfree", dev, size, 0, 0, &pp);
	void **v = malloc(n * sizeof(*v)), **w = malloc(n * sizeof(*w));
	udma_addr_t *h = malloc(n * sizeof(*h));
	uint8_t *back = malloc(size);
	struct udma_pool_stats st;
	unsigned long long spilled;
	uint64_t sum = 0;

	assert_non_null(p);
	assert_true(v && w && h && back);
	for (unsigned int i = 0; i < n; i += 1024)
		assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v + i, h + i, 1024), 0);
	assert_true(bytes_per_block(p, &st) <= max);
	assert_int_equal(st.capacity, n);
	assert_int_equal(st.in_use, n);
	assert_int_equal(dump_spilled("allfree"), 0);
	for (unsigned int i = 0; i < n; i += 1024)
		udma_pool_free_bulk(p, v + i, h + i, 1024);
	if (bytes_per_block(p, &st) > max)
		fail_msg("%zu B blocks, every one free: %.2f B per block, over %.0f B", size,
			 (double)st.bytes_held / (double)st.capacity, max);
	assert_int_equal(st.free, n);
	assert_int_equal(st.in_use, 0);
	spilled = dump_spilled("allfree"); /* magazines hold some, the rest spilled */
	assert_true(spilled > 0 && spilled < n);
	for (unsigned int i = 0; i < UDMA_MAX_LCORES; i++)
		sum += st.cached[i];
	assert_int_equal(st.free, st.depot + st.cached_shared + sum);
	/* taken back: from the magazines and the spill stack, nothing carved */
	for (unsigned int i = 0; i < n; i += 32)
		assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_ATOMIC, w + i, h + i, 32), 0);
	assert_int_equal(udma_pool_stats(p, &st), 0);
	assert_int_equal(st.capacity, n);
	assert_int_equal(st.in_use, n);
	for (unsigned int i = 0; i < n; i += 64 + i % 7) { /* the device sees the CPU's bytes */
		t_fill(w[i], size, (uint8_t)i);
		assert_int_equal(udma_sim_dma_read(dev, h[i], back, size), 0);
		assert_true(t_check(back, size, (uint8_t)i));
	}
	for (unsigned int i = 0; i < n; i += 32)
		udma_pool_free_bulk(p, w + i, h + i, 32);
	qsort(v, n, sizeof(*v), cmp_ptr);
	qsort(w, n, sizeof(*w), cmp_ptr);
	for (unsigned int i = 0; i < n; i++) /* the same blocks, each once */
		assert_ptr_equal(v[i], w[i]);
	for (unsigned int i = 1; i < n; i++)
		assert_true(v[i - 1] != v[i]);
	udma_pool_destroy(p);
	free(v);
	free(w);
	free(h);
	free(back);
}

static void test_all_free_bytes_bound(void **s)
{
	struct t_log log;
	char *text;

	all_free_within(*s, 16, 1u << 20, 20, 0);
	all_free_within(*s, 64, 1u << 18, 72, 0);
	t_log_begin(&log);
	all_free_within(*s, 64, 1u << 16, 72, UDMA_POOL_F_DEBUG);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "ERR"), 0); /* no block written while free */
	free(text);
}

static void test_destroy_in_use(void **s)
{
	struct udma_pool *p = udma_pool_create("busy", *s, 256, 0, 0);
	udma_addr_t h;
	uint8_t *b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h), back[256];
	struct t_log log;
	char *text;

	t_log_begin(&log);
	udma_pool_destroy(p);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "busy"), 1);
	assert_int_equal(t_count(text, "1 block(s) in use"), 1);
	free(text);
	/* the memory was kept: the CPU and the device can still use it */
	t_fill(b, 256, 77);
	assert_int_equal(udma_sim_dma_read(*s, h, back, 256), 0);
	assert_true(t_check(back, 256, 77));
}


/* a thread without an lcore slot: @n single allocs and frees through the shared cache */
static void *unregistered_pairs(void *arg)
{
	struct udma_pool *p = arg;
	void *v[10];
	udma_addr_t h[10];

	for (int i = 0; i < 10; i++)
		if ((v[i] = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h[i])) == NULL)
			return (void *)1;
	for (int i = 0; i < 10; i++)
		udma_pool_free(p, v[i], h[i]);
	return NULL;
}

/*
 * The counters are exact on every path: inline allocs and frees, a free into a
 * full cache (the slow path flushes), refills, bulk calls, the shared cache of an
 * unregistered thread, with and without debug (a debug pool's inline paths find
 * empty caches and go to the library); refused frees are not counted. The frees
 * are derived (allocs + cached + moved): they must still match the calls made.
 */
static void test_stats_exact(void **s)
{
	for (int dbg = 0; dbg < 2; dbg++) {
		struct udma_pool_params pp = {.struct_size = sizeof(pp), .cache_size = 64,
					      .flags = dbg ? UDMA_POOL_F_DEBUG : 0};
		struct udma_pool *p = udma_pool_create_params("cnt", *s, 64, 0, 0, &pp);
		struct udma_pool_stats st;
		void *v[300];
		udma_addr_t h[300];
		uint64_t allocs = 0, frees = 0;
		struct t_log log;
		char *text;
		pthread_t t;
		void *r;

		assert_non_null(p);
		for (int i = 0; i < 300; i++) { /* refills from the depot and carving */
			v[i] = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h[i]);
			assert_non_null(v[i]);
			assert_int_equal(h[i], udma_virt2iova(v[i]));
		}
		allocs += 300;
		udma_pool_stats(p, &st);
		assert_int_equal(st.allocs, allocs);
		assert_int_equal(st.frees, frees);
		assert_int_equal(st.in_use, 300);
		for (int i = 0; i < 200; i++) /* the cache (80) fills: flushes */
			udma_pool_free(p, v[i], h[i]);
		frees += 200;
		udma_pool_stats(p, &st);
		assert_int_equal(st.allocs, allocs);
		assert_int_equal(st.frees, frees);
		assert_int_equal(st.in_use, 100);
		assert_true(st.flushes > 0);
		t_log_begin(&log);
		udma_pool_free(p, v[0], h[0]);   /* double */
		udma_pool_free(p, v[250], h[250] + 64); /* wrong handle */
		text = t_log_end(&log);
		assert_int_equal(t_count(text, "double free"), 1);
		assert_int_equal(t_count(text, "does not match"), 1);
		free(text);
		udma_pool_free_bulk(p, v + 200, h + 200, 100);
		frees += 100;
		assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v, h, 32), 0);
		allocs += 32;
		udma_pool_free_bulk(p, v, h, 32);
		frees += 32;
		assert_int_equal(pthread_create(&t, NULL, unregistered_pairs, p), 0);
		pthread_join(t, &r);
		assert_null(r);
		allocs += 10;
		frees += 10;
		udma_pool_stats(p, &st);
		assert_int_equal(st.allocs, allocs);
		assert_int_equal(st.frees, frees);
		assert_int_equal(st.in_use, 0);
		assert_int_equal(st.free, st.capacity);
		assert_true(st.refills > 0);
		udma_pool_destroy(p);
	}
}

/*
 * A stride that is not a power of two (48 B blocks, 16-aligned): the inline free
 * takes the exact block-start test. A pointer inside a block, one into the slab
 * header, a wrong handle and a double free are refused, one line each, and the
 * block comes back once.
 */
static void test_odd_stride_refusals(void **s)
{
	struct udma_pool *p = udma_pool_create("odd", *s, 48, 16, 0);
	const struct udma_pool_pvt *pv = (const struct udma_pool_pvt *)(void *)p;
	struct udma_pool_stats st;
	void *b, *again[64];
	udma_addr_t hb, ha[64];
	struct t_log log;
	char *text;
	uint8_t *slab;
	int seen = 0;

	assert_non_null(p);
	b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &hb);
	assert_non_null(b);
	assert_int_equal(pv->start_mask, 0);
	slab = (uint8_t *)((uintptr_t)b & pv->slab_mask);
	t_log_begin(&log);
	udma_pool_free(p, (uint8_t *)b + 16, hb + 16); /* inside the block */
	udma_pool_free(p, slab + 48, hb);                /* in the slab header */
	udma_pool_free(p, b, hb + 48);                   /* wrong handle */
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "not a block start"), 2);
	assert_int_equal(t_count(text, "does not match"), 1);
	free(text);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 1);
	udma_pool_free(p, b, hb);
	t_log_begin(&log);
	udma_pool_free(p, b, hb); /* double */
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "double free"), 1);
	free(text);
	assert_int_equal(udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, again, ha, 64), 0);
	for (int i = 0; i < 64; i++)
		seen += again[i] == b;
	assert_int_equal(seen, 1);
	udma_pool_free_bulk(p, again, ha, 64);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 0);
	udma_pool_destroy(p);
}


/*
 * After a good free the lcore remembers the block's slab (a free of a block in it
 * needs no slab bit): a foreign pointer, another pool's block, NULL, a pointer
 * inside a block or into the slab header, a wrong handle and a double free are
 * still refused, one line each, whether they fall in the remembered slab or not;
 * a block of another slab of the pool is freed and remembered in turn.
 */
static void test_remembered_slab_refusals(void **s)
{
	struct udma_pool *p = udma_pool_create("mem", *s, 64, 0, 0);
	struct udma_pool *other = udma_pool_create("mem2", *s, 64, 0, 0);
	const struct udma_pool_pvt *pv = (const struct udma_pool_pvt *)(void *)p;
	struct udma_pool_stats st;
	enum { N = 3000 }; /* three slabs of 64 KiB at least */
	void **v = calloc(N, sizeof(*v));
	udma_addr_t *h = calloc(N, sizeof(*h));
	void *heap = malloc(64), *ob;
	udma_addr_t ho;
	struct t_log log;
	char *text;
	int far = -1;

	assert_non_null(p);
	assert_non_null(other);
	ob = udma_pool_alloc(other, UDMA_GFP_KERNEL, &ho);
	for (int i = 0; i < N; i++) {
		v[i] = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h[i]);
		assert_non_null(v[i]);
		if (far < 0 && ((uintptr_t)v[i] & pv->slab_mask) != ((uintptr_t)v[0] & pv->slab_mask))
			far = i;
	}
	assert_true(far > 0);
	udma_pool_free(p, v[0], h[0]); /* v[0]'s slab is remembered */
	t_log_begin(&log);
	udma_pool_free(p, heap, 0);
	udma_pool_free(p, NULL, 0);
	udma_pool_free(p, ob, ho);                            /* another pool's block */
	udma_pool_free(p, (uint8_t *)v[1] + 8, h[1] + 8);     /* inside a block */
	udma_pool_free(p, (void *)((uintptr_t)v[1] & pv->slab_mask), 0); /* the header */
	udma_pool_free(p, v[1], h[1] + 64);                   /* wrong handle */
	udma_pool_free(p, v[0], h[0]);                        /* double */
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "was not allocated from this pool"), 3);
	assert_int_equal(t_count(text, "not a block start"), 2);
	assert_int_equal(t_count(text, "does not match"), 1);
	assert_int_equal(t_count(text, "double free"), 1);
	free(text);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, N - 1);
	udma_pool_free(p, v[far], h[far]); /* another slab: its bit, then remembered */
	t_log_begin(&log);
	udma_pool_free(p, v[far], h[far]);
	udma_pool_free(p, v[0], h[0]);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "double free"), 2);
	free(text);
	for (int i = 1; i < N; i++)
		if (i != far)
			udma_pool_free(p, v[i], h[i]);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.frees, N);
	udma_pool_free(other, ob, ho);
	free(heap);
	free(h);
	free(v);
	udma_pool_destroy(p);
	udma_pool_destroy(other);
}


/*
 * The remembered slab with the exact block-start test: pools whose stride is not a
 * power of two (48 B) or whose slabs have several boundary segments (96 B blocks,
 * 4 KiB boundary). After a good free the slab is the lcore's remembered one; a
 * pointer inside a block, into the header, into the tail of a boundary segment or
 * past the last whole block of the slab, and a wrong handle are still refused,
 * one line each, and nothing is freed by them.
 */
static void remembered_exact(struct udma_device *dev, size_t size, size_t boundary)
{
	struct udma_pool *p = udma_pool_create("exact", dev, size, 16, boundary);
	const struct udma_pool_pvt *pv = (const struct udma_pool_pvt *)(void *)p;
	struct udma_pool_stats st;
	void *b[2];
	udma_addr_t h[2];
	struct t_log log;
	char *text;
	uint8_t *slab;
	int bad = 0;

	assert_non_null(p);
	for (int i = 0; i < 2; i++) {
		b[i] = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h[i]);
		assert_non_null(b[i]);
	}
	assert_int_equal(pv->start_mask, 0);
	slab = (uint8_t *)((uintptr_t)b[0] & pv->slab_mask);
	assert_ptr_equal(slab, (uint8_t *)((uintptr_t)b[1] & pv->slab_mask));
	udma_pool_free(p, b[0], h[0]); /* the slab is remembered */
	t_log_begin(&log);
	udma_pool_free(p, (uint8_t *)b[1] + 16, h[1] + 16), bad++; /* inside a block */
	udma_pool_free(p, slab + 16, h[1]), bad++;                 /* in the header */
	/* the last bytes of the slab: past its last whole block */
	udma_pool_free(p, slab + pv->slab_size - 16, h[1]), bad++;
	if (boundary) { /* the tail of the first full segment, past its last block */
		uint8_t *seg = slab + (pv->first_off | (boundary - 1)) + 1;

		udma_pool_free(p, seg - 16, h[1]), bad++;
	}
	udma_pool_free(p, b[1], h[1] + size); /* wrong handle */
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "not a block start"), bad);
	assert_int_equal(t_count(text, "does not match"), 1);
	free(text);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 1);
	udma_pool_free(p, b[1], h[1]);
	udma_pool_stats(p, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.frees, 2);
	udma_pool_destroy(p);
}

static void test_remembered_slab_exact(void **s)
{
	remembered_exact(*s, 48, 0);
	remembered_exact(*s, 96, 4096);
}

/* a failed alloc (bad pool, bad gfp, memory out) gives NULL and UDMA_MAPPING_ERROR */
static void test_alloc_fail_handle(void **s)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp), .max_blocks = 1};
	struct udma_pool *p = udma_pool_create_params("one", *s, 64, 0, 0, &pp);
	udma_addr_t h = 0, h2 = 0;
	struct t_log log;
	char *text;
	void *b;

	assert_non_null(p);
	b = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h);
	assert_non_null(b);
	assert_int_equal(h, udma_virt2iova(b));
	t_log_begin(&log);
	assert_null(udma_pool_alloc(p, UDMA_GFP_KERNEL, &h2)); /* the one block is out */
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(h2, UDMA_MAPPING_ERROR);
	h2 = 0;
	assert_null(udma_pool_alloc(p, 0, &h2));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(h2, UDMA_MAPPING_ERROR);
	h2 = 0;
	assert_null(udma_pool_alloc(NULL, UDMA_GFP_KERNEL, &h2));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(h2, UDMA_MAPPING_ERROR);
	assert_null(udma_pool_alloc(p, UDMA_GFP_KERNEL, NULL));
	assert_int_equal(errno, EINVAL);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "bad argument (handle NULL"), 1);
	free(text);
	udma_pool_free(p, b, h);
	udma_pool_destroy(p);
}

/* a thread that registers, then waits while udma is cleaned up and initialised again */
struct stale {
	pthread_barrier_t bar;
	struct udma_pool *pool;
	unsigned int lcore_after;
	int ok;
};

static void *stale_thread(void *arg)
{
	struct stale *st = arg;
	udma_addr_t h;
	void *b;

	st->ok = udma_thread_register() == 1;
	pthread_barrier_wait(&st->bar); /* registered */
	pthread_barrier_wait(&st->bar); /* cleanup, init, a pool and a new lcore 1 */
	st->lcore_after = udma_lcore_id();
	b = udma_pool_alloc(st->pool, UDMA_GFP_KERNEL, &h);
	st->ok &= b != NULL && h == udma_virt2iova(b);
	udma_pool_free(st->pool, b, h);
	pthread_barrier_wait(&st->bar); /* done */
	return NULL;
}

static void *lcore1_hold(void *arg)
{
	pthread_barrier_t *bar = arg;

	udma_thread_register_id(1);
	pthread_barrier_wait(bar);
	pthread_barrier_wait(bar);
	udma_thread_unregister();
	return NULL;
}

/*
 * A thread registered as lcore 1 before udma_eal_cleanup() and init holds no slot
 * after them: its pool calls take the shared cache, never the cache of the new
 * lcore 1 (whose thread is another one). The inline paths tell the generations
 * apart with udma_pvt_lcore_slot (slot and generation in one word).
 */
static void test_stale_lcore_slot(void **s)
{
	struct stale st = {.ok = 0};
	struct udma_pool_stats ps;
	pthread_barrier_t bar1;
	pthread_t t, t1;

	(void)s;
	assert_true(t_init_args("--iova-mode=sim", "-m", "32", "--lcores=2", "--log-level=2",
				NULL) >= 0);
	pthread_barrier_init(&st.bar, NULL, 2);
	pthread_barrier_init(&bar1, NULL, 2);
	assert_int_equal(pthread_create(&t, NULL, stale_thread, &st), 0);
	pthread_barrier_wait(&st.bar);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_true(t_init_args("--iova-mode=sim", "-m", "32", "--lcores=2", "--log-level=2",
				NULL) >= 0);
	*s = t_dev64("stale");
	st.pool = udma_pool_create("stale", *s, 64, 0, 0);
	assert_non_null(st.pool);
	assert_int_equal(pthread_create(&t1, NULL, lcore1_hold, &bar1), 0);
	pthread_barrier_wait(&bar1); /* lcore 1 is the other thread's now */
	pthread_barrier_wait(&st.bar);
	pthread_barrier_wait(&st.bar);
	pthread_join(t, NULL);
	assert_true(st.ok);
	assert_int_equal(st.lcore_after, UDMA_LCORE_ID_ANY);
	assert_int_equal(udma_pool_stats(st.pool, &ps), 0);
	assert_int_equal(ps.cached[0], 0);      /* not lcore 0's cache */
	assert_int_equal(ps.cached[1], 0);      /* nor lcore 1's */
	assert_int_equal(ps.cached_shared + ps.depot, ps.capacity); /* the shared one */
	assert_int_equal(ps.allocs, 1);
	assert_int_equal(ps.frees, 1);
	pthread_barrier_wait(&bar1);
	pthread_join(t1, NULL);
	udma_pool_destroy(st.pool);
	pthread_barrier_destroy(&st.bar);
	pthread_barrier_destroy(&bar1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes_sim),
		cmocka_unit_test(test_shapes_va),
		cmocka_unit_test(test_shapes_pa),
		cmocka_unit_test_setup_teardown(test_zalloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gfp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_double_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_free_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_free_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_many_slabs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_slab_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_free_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_busy_cleanup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initial_blocks_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_free_bytes_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_stride_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remembered_slab_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remembered_slab_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_fail_handle, setup, teardown),
		cmocka_unit_test_teardown(test_stale_lcore_slot, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
