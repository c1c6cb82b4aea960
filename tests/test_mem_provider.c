/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma's heap on another framework's memory (the provider hook libudma_dpdk uses,
 * udma_pvt_mem_provider_set), tested without DPDK: a provider of memfd pages that
 * the "owner" also maps at its own VA, at the IOVAs the owner gives. Coherent
 * memory, a pool and the swiotlb come from it and the device model sees their
 * bytes at the returned IOVAs; every chunk goes back at cleanup; bad arguments are
 * refused with one log line.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "test_common.h"
#include "udma_eal_pvt.h"

#define MAX_CHUNKS 64

struct chunk {
	int fd;
	uint8_t *owner_va; /* the owner's own mapping of the same pages */
	udma_addr_t iova;
	size_t len;
};

static struct {
	udma_addr_t next_iova;
	unsigned int grows, shrinks, fail_at; /* fail_at: the grow that fails (1-based), 0 none */
	size_t out;                           /* bytes given and not back */
	struct chunk c[MAX_CHUNKS];
	unsigned int n;
} g;

static int fake_grow(void *ctx, int node, void *va, size_t len, int mode, udma_addr_t *iova,
		     void **cookie)
{
	struct chunk *c;

	(void)ctx;
	(void)node;
	if (g.fail_at && g.grows + 1 == g.fail_at)
		return -ENOMEM;
	assert_true(g.n < MAX_CHUNKS);
	c = &g.c[g.n];
	c->fd = memfd_create("owner", MFD_CLOEXEC);
	assert_true(c->fd >= 0);
	assert_int_equal(ftruncate(c->fd, (off_t)len), 0);
	c->owner_va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, c->fd, 0);
	assert_true(c->owner_va != MAP_FAILED);
	assert_true(mmap(va, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
			 c->fd, 0) == va);
	c->iova = g.next_iova;
	c->len = len;
	g.next_iova += len + (1UL << 21); /* a hole between chunks */
	for (size_t i = 0; i < len / 4096; i++)
		iova[i] = c->iova + i * 4096;
	*cookie = c;
	g.n++;
	g.grows++;
	g.out += len;
	return mode == UDMA_IOVA_SIM ? 0 : 1;
}

static void fake_shrink(void *ctx, void *va, size_t len, void *cookie)
{
	struct chunk *c = cookie;

	(void)ctx;
	(void)va;
	assert_int_equal(len, c->len);
	munmap(c->owner_va, c->len);
	close(c->fd);
	c->owner_va = NULL;
	g.shrinks++;
	g.out -= len;
}

static const struct udma_pvt_mem_provider g_fake = {
	.name = "fake owner",
	.page_size = 4096,
	.grow = fake_grow,
	.shrink = fake_shrink,
};

static void fake_reset(udma_addr_t base)
{
	memset(&g, 0, sizeof(g));
	g.next_iova = base;
}

/* the owner's view of udma memory at IOVA @h (provider IOVAs only), or NULL */
static uint8_t *owner_view(udma_addr_t h)
{
	for (unsigned int i = 0; i < g.n; i++)
		if (g.c[i].owner_va && h - g.c[i].iova < g.c[i].len)
			return g.c[i].owner_va + (h - g.c[i].iova);
	return NULL;
}

/* the device reads and writes @va's bytes at @h; with provider IOVAs the owner sees them */
static void check(struct udma_device *dev, uint8_t *va, udma_addr_t h, size_t len, bool sim,
		  unsigned int seed)
{
	t_device_sees(dev, va, h, len, seed);
	if (!sim) {
		uint8_t *o = owner_view(h);

		assert_non_null(o);
		assert_ptr_not_equal(o, va);
		assert_memory_equal(o, va, len);
	}
}

static void run(enum t_mode mode, udma_addr_t base)
{
	bool sim = mode == T_SIM;
	struct udma_swiotlb_stats s0, s1;
	struct udma_device *dev;
	struct udma_pool *pool;
	unsigned int grows;
	uint8_t *va, *buf;
	udma_addr_t h;
	char *dump;

	fake_reset(base);
	assert_int_equal(udma_pvt_mem_provider_set(&g_fake), 0);
	if (t_init_mode(mode, "4") != 0) {
		udma_pvt_mem_provider_set(NULL);
		return;
	}
	assert_true(g.grows > 0);
	dump = t_dump();
	assert_non_null(strstr(dump, "fake owner"));
	free(dump);
	dev = t_dev64("prov");
	/* coherent */
	va = udma_alloc_coherent(dev, 65536, &h, UDMA_GFP_KERNEL);
	assert_non_null(va);
	assert_int_equal(udma_pvt_heap_live(), 1);
	check(dev, va, h, 65536, sim, 1);
	assert_int_equal(udma_virt2iova(va), h);
	udma_free_coherent(dev, 65536, va, h);
	assert_int_equal(udma_pvt_heap_live(), 0);
	/* beyond what init took: more chunks */
	grows = g.grows;
	va = udma_alloc_coherent(dev, 8 << 20, &h, UDMA_GFP_KERNEL);
	assert_non_null(va);
	assert_true(g.grows > grows);
	check(dev, va, h, 8 << 20, sim, 2);
	udma_free_coherent(dev, 8 << 20, va, h);
	/* a pool */
	pool = udma_pool_create("prov", dev, 512, 64, 0);
	assert_non_null(pool);
	va = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &h);
	assert_non_null(va);
	assert_true(udma_pvt_heap_live() > 0);
	check(dev, va, h, 512, sim, 3);
	udma_pool_free(pool, va, h);
	udma_pool_destroy(pool);
	/* a bounce (sim: forced; pa/va: foreign malloc memory) into a provider slot */
	buf = malloc(8192);
	assert_non_null(buf);
	t_fill(buf, 8192, 4);
	assert_int_equal(udma_swiotlb_stats(&s0), 0);
	h = udma_map_single_attrs(dev, buf, 8192, UDMA_BIDIRECTIONAL, 0);
	assert_int_not_equal(h, UDMA_MAPPING_ERROR);
	assert_int_equal(udma_swiotlb_stats(&s1), 0);
	if (!sim) {
		assert_int_equal(s1.bounces, s0.bounces + 1);
		assert_non_null(owner_view(h));
		assert_memory_equal(owner_view(h), buf, 8192);
	}
	{
		uint8_t out[256];

		assert_int_equal(udma_sim_dma_read(dev, h + 100, out, sizeof(out)), 0);
		assert_memory_equal(out, buf + 100, sizeof(out));
		t_fill(out, sizeof(out), 5);
		assert_int_equal(udma_sim_dma_write(dev, h + 4096, out, sizeof(out)), 0);
		udma_unmap_single(dev, h, 8192, UDMA_BIDIRECTIONAL);
		assert_memory_equal(buf + 4096, out, sizeof(out));
	}
	free(buf);
	udma_device_destroy(dev);
	/* every chunk back, and the provider served that one init */
	assert_true(g.out > 0);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(g.shrinks, g.grows);
	assert_int_equal(g.out, 0);
	assert_int_equal(udma_pvt_heap_live(), 0);
	grows = g.grows;
	assert_int_equal(t_init_mode(T_SIM, "4"), 0);
	assert_int_equal(g.grows, grows);
	udma_eal_cleanup();
}

static void test_provider_va(void **state)
{
	(void)state;
	run(T_VA, 0x7f1200000000ULL);
}

static void test_provider_pa(void **state)
{
	(void)state;
	run(T_PA, 0x40000000ULL);
}

static void test_provider_sim(void **state)
{
	(void)state;
	run(T_SIM, 0x7f1200000000ULL);
}

/* a coherent mask: provider memory that fits, or the documented error */
static void test_provider_mask(void **state)
{
	struct udma_device *dev;
	udma_addr_t h;
	void *va;

	(void)state;
	/* the owner's IOVAs are above 4 GiB: a 32-bit device is refused at the mask */
	fake_reset(0x7f1200000000ULL);
	assert_int_equal(udma_pvt_mem_provider_set(&g_fake), 0);
	assert_int_equal(t_init_mode(T_VA, "4"), 0);
	dev = udma_device_create("mask32", NULL, -1);
	assert_non_null(dev);
	assert_int_equal(udma_set_mask_and_coherent(dev, UDMA_BIT_MASK(32)), -EIO);
	udma_device_destroy(dev);
	udma_eal_cleanup();
	assert_int_equal(g.out, 0);
	/* below 4 GiB: the memory fits */
	fake_reset(0x40000000ULL);
	assert_int_equal(udma_pvt_mem_provider_set(&g_fake), 0);
	assert_int_equal(t_init_mode(T_VA, "4"), 0);
	dev = udma_device_create("mask32", NULL, -1);
	assert_non_null(dev);
	assert_int_equal(udma_set_mask_and_coherent(dev, UDMA_BIT_MASK(32)), 0);
	va = udma_alloc_coherent(dev, 4096, &h, UDMA_GFP_KERNEL);
	assert_non_null(va);
	assert_true(h + 4095 <= UDMA_BIT_MASK(32));
	check(dev, va, h, 4096, false, 6);
	udma_free_coherent(dev, 4096, va, h);
	udma_device_destroy(dev);
	udma_eal_cleanup();
	assert_int_equal(g.out, 0);
}

/* a provider that cannot give the initial memory: init fails, nothing kept */
static void test_provider_fail(void **state)
{
	struct t_log log;
	char *text;

	(void)state;
	fake_reset(0x7f1200000000ULL);
	g.fail_at = 1;
	assert_int_equal(udma_pvt_mem_provider_set(&g_fake), 0);
	t_log_begin(&log);
	assert_true(t_init_args("--iova-mode=va", "-m", "4", "--log-level=3", NULL) < 0);
	text = t_log_end(&log);
	assert_non_null(strstr(text, "fake owner cannot give"));
	free(text);
	assert_false(udma_eal_initialized());
	assert_int_equal(g.out, 0);
	/* forgotten with the init it was set for */
	assert_int_equal(t_init_mode(T_SIM, "4"), 0);
	assert_int_equal(g.grows, 0);
	udma_eal_cleanup();
}

/* misuse: one line each, -errno, nothing changed */
static void test_provider_misuse(void **state)
{
	struct udma_pvt_mem_provider bad = g_fake;
	struct t_log log;
	char *text;

	(void)state;
	assert_int_equal(t_init_mode(T_SIM, "4"), 0);
	t_log_begin(&log);
	assert_int_equal(udma_pvt_mem_provider_set(&g_fake), -EBUSY);
	udma_eal_cleanup();
	bad.grow = NULL;
	assert_int_equal(udma_pvt_mem_provider_set(&bad), -EINVAL);
	bad = g_fake;
	bad.shrink = NULL;
	assert_int_equal(udma_pvt_mem_provider_set(&bad), -EINVAL);
	bad = g_fake;
	bad.page_size = 3000;
	assert_int_equal(udma_pvt_mem_provider_set(&bad), -EINVAL);
	bad = g_fake;
	bad.name = NULL;
	assert_int_equal(udma_pvt_mem_provider_set(&bad), -EINVAL);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "\n"), 5);
	free(text);
	assert_int_equal(udma_pvt_heap_live(), 0); /* not initialised */
	assert_int_equal(udma_pvt_mem_provider_set(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_va),
		cmocka_unit_test(test_provider_pa),
		cmocka_unit_test(test_provider_sim),
		cmocka_unit_test(test_provider_mask),
		cmocka_unit_test(test_provider_fail),
		cmocka_unit_test(test_provider_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
