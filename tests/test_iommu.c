/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The strict sim IOMMU: a domain per device, memory reachable only while it is
 * the device's, unmaps and syncs that must match a live mapping; and every
 * streaming map checks every page of the buffer (all modes).
 */
#include "test_common.h"

#define PG 4096

/* most tests: a fresh sim EAL and two devices, devA and devB, with their own domains */
static struct udma_device *g_a, *g_b;

static int two_devices(void **s)
{
	(void)s;
	t_init_mode(T_SIM, "8");
	g_a = t_dev64("devA");
	g_b = t_dev64("devB");
	return 0;
}

static int two_devices_done(void **s)
{
	(void)s;
	udma_device_destroy(g_b);
	udma_device_destroy(g_a);
	assert_int_equal(udma_eal_cleanup(), 0);
	return 0;
}

/* the newest fault is @dev's access at @iova for @why */
static void last_fault_is(const char *dev, udma_addr_t iova, int write, int why)
{
	struct udma_sim_fault f;

	assert_int_equal(udma_sim_fault_log(&f, 1), 1);
	assert_string_equal(f.device, dev);
	assert_int_equal(f.iova, iova);
	assert_int_equal(f.write, write);
	assert_int_equal(f.reason, why);
}

/* device B neither reads, writes nor unmaps device A's streaming mapping */
static void test_other_device_mapping(void **s)
{
	struct udma_device *a = g_a, *b = g_b;
	uint8_t *p, back[PG];
	udma_addr_t h, m;
	unsigned long f0;
	struct t_log l;
	char *text;

	(void)s;
	p = udma_alloc_coherent(a, 2 * PG, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	t_fill(p + PG, PG, 1);
	m = udma_map_single(a, p + PG, PG, UDMA_BIDIRECTIONAL);
	assert_false(udma_mapping_error(a, m));
	f0 = udma_sim_fault_count();
	assert_int_equal(udma_sim_dma_read(b, m, back, 64), -EFAULT);
	last_fault_is("devB", m, 0, -ENOENT);
	assert_int_equal(udma_sim_dma_write(b, m, back, 64), -EFAULT);
	last_fault_is("devB", m, 1, -ENOENT);
	/* nor A's coherent memory */
	assert_int_equal(udma_sim_dma_read(b, h, back, 64), -EFAULT);
	last_fault_is("devB", h, 0, -ENOENT);
	assert_int_equal(udma_sim_fault_count(), f0 + 3);
	/* B's unmap of A's mapping: refused, one line, A's mapping intact */
	t_log_begin(&l);
	udma_unmap_single(b, m, PG, UDMA_BIDIRECTIONAL);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 1);
	assert_int_equal(t_count(text, "refused"), 1);
	free(text);
	memset(back, 0, sizeof(back));
	assert_int_equal(udma_sim_dma_read(a, m, back, PG), 0);
	assert_true(t_check(back, PG, 1));
	udma_unmap_single(a, m, PG, UDMA_BIDIRECTIONAL);
	udma_free_coherent(a, 2 * PG, p, h);
}

/* a device write to freed coherent memory faults; the next owner's bytes hold */
static void test_write_after_free_coherent(void **s)
{
	struct udma_device *a = g_a, *b = g_b;
	uint8_t *p, *q, junk[PG], back[PG];
	udma_addr_t h, hq;
	unsigned long f0;

	(void)s;
	p = udma_alloc_coherent(a, PG, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	memset(junk, 0xee, sizeof(junk));
	assert_int_equal(udma_sim_dma_write(a, h, junk, 64), 0); /* while A holds it */
	udma_free_coherent(a, PG, p, h);
	f0 = udma_sim_fault_count();
	assert_int_equal(udma_sim_dma_write(a, h, junk, 64), -EFAULT);
	last_fault_is("devA", h, 1, -ENOENT);
	/* the memory goes to B (the heap hands the same page back) */
	q = udma_alloc_coherent(b, PG, &hq, UDMA_GFP_KERNEL);
	assert_non_null(q);
	assert_ptr_equal(q, p);
	t_fill(q, PG, 9);
	assert_int_equal(udma_sim_dma_write(a, h, junk, PG), -EFAULT);
	assert_int_equal(udma_sim_dma_read(a, h, back, 16), -EFAULT);
	assert_int_equal(udma_sim_fault_count(), f0 + 3);
	assert_true(t_check(q, PG, 9));
	assert_int_equal(udma_sim_dma_read(b, hq, back, PG), 0);
	assert_true(t_check(back, PG, 9));
	/* A freeing it again is refused and B keeps it mapped */
	udma_free_coherent(a, PG, p, h);
	assert_int_equal(udma_sim_dma_read(b, hq, back, PG), 0);
	udma_free_coherent(b, PG, q, hq);
	assert_int_equal(udma_sim_dma_read(b, hq, back, 16), -EFAULT);
}

/* a stale double unmap does not tear down the live mapping that reused the IOVA */
static void test_stale_double_unmap(void **s)
{
	struct udma_device *a = g_a, *b = g_b;
	uint8_t *p, back[2 * PG];
	udma_addr_t h, x, y, z;
	struct t_log l;
	char *text;

	(void)s;
	p = udma_alloc_coherent(a, 4 * PG, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	t_fill(p + 2 * PG, 2 * PG, 3);
	x = udma_map_single(a, p, PG, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(a, x));
	udma_unmap_single(a, x, PG, UDMA_TO_DEVICE);
	/* the IOVA comes back from the allocator's cache for the next map */
	y = udma_map_single(b, p + 2 * PG, PG, UDMA_TO_DEVICE);
	assert_int_equal(y, x);
	t_log_begin(&l);
	udma_unmap_single(a, x, PG, UDMA_TO_DEVICE);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 1);
	assert_int_equal(t_count(text, "refused"), 1);
	free(text);
	assert_int_equal(udma_sim_dma_read(b, y, back, PG), 0);
	assert_true(t_check(back, PG, 3));
	udma_unmap_single(b, y, PG, UDMA_TO_DEVICE);
	/* the same device, another size: refused, the mapping intact */
	z = udma_map_single(a, p + 2 * PG, 2 * PG, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(a, z));
	t_log_begin(&l);
	udma_unmap_single(a, z, PG, UDMA_TO_DEVICE);
	udma_unmap_single(a, z + PG, PG, UDMA_TO_DEVICE);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "refused"), 2);
	free(text);
	assert_int_equal(udma_sim_dma_read(a, z, back, 2 * PG), 0);
	assert_true(t_check(back, 2 * PG, 3));
	udma_unmap_single(a, z, 2 * PG, UDMA_TO_DEVICE);
	assert_int_equal(udma_sim_dma_read(a, z, back, 16), -EFAULT);
	udma_free_coherent(a, 4 * PG, p, h);
}

/* a pool block is the device's while the pool lives; after destroy it faults */
static void test_pool_block_after_destroy(void **s)
{
	struct udma_device *a = g_a, *b = g_b;
	struct udma_pool *pool;
	uint8_t out[256], back[256];
	udma_addr_t bh;
	void *blk;

	(void)s;
	pool = udma_pool_create("p", a, 256, 64, 0);
	assert_non_null(pool);
	blk = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &bh);
	assert_non_null(blk);
	t_fill(out, sizeof(out), 5);
	assert_int_equal(udma_sim_dma_write(a, bh, out, sizeof(out)), 0);
	assert_true(t_check(blk, sizeof(out), 5));
	assert_int_equal(udma_sim_dma_read(b, bh, back, 16), -EFAULT); /* not B's pool */
	udma_pool_free(pool, blk, bh);
	udma_pool_destroy(pool);
	assert_int_equal(udma_sim_dma_write(a, bh, out, sizeof(out)), -EFAULT);
	last_fault_is("devA", bh, 1, -ENOENT);
	assert_int_equal(udma_sim_dma_read(a, bh, back, 16), -EFAULT);
}

/* without --dma-debug the domain still knows the mapping: bad syncs are refused */
static void test_sync_refused(void **s)
{
	struct udma_device *a = g_a, *b = g_b;
	uint8_t *p;
	udma_addr_t h, m;
	struct t_log l;
	char *text;

	(void)s;
	p = udma_alloc_coherent(a, 4 * PG, &h, UDMA_GFP_KERNEL);
	m = udma_map_single(a, p, PG, UDMA_BIDIRECTIONAL);
	assert_false(udma_mapping_error(a, m));
	t_log_begin(&l);
	udma_sync_single_for_cpu(a, m, PG, UDMA_BIDIRECTIONAL);     /* fine */
	udma_sync_single_for_device(a, m, 100, UDMA_BIDIRECTIONAL); /* fine */
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 0);
	free(text);
	t_log_begin(&l);
	udma_sync_single_for_cpu(a, m, 2 * PG, UDMA_BIDIRECTIONAL);          /* past the end */
	udma_sync_single_range_for_device(a, m, PG, 16, UDMA_BIDIRECTIONAL); /* past the end */
	udma_sync_single_for_cpu(b, m, PG, UDMA_BIDIRECTIONAL);              /* not B's */
	udma_unmap_single(a, m, PG, UDMA_BIDIRECTIONAL);
	udma_sync_single_for_cpu(a, m, PG, UDMA_BIDIRECTIONAL);              /* after unmap */
	udma_sync_single_for_device(a, m, PG, UDMA_BIDIRECTIONAL);           /* after unmap */
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 5);
	assert_int_equal(t_count(text, "refused"), 5);
	free(text);
	udma_free_coherent(a, 4 * PG, p, h);
}

/* a child device shares its parent's domain (one IOMMU group) */
static void test_child_shares_domain(void **s)
{
	struct udma_device *a, *c, *o;
	uint8_t *p, back[PG];
	udma_addr_t h, m;

	(void)s;
	t_init_mode(T_SIM, "8");
	a = t_dev64("parent");
	c = udma_device_create("child", a, -1);
	o = t_dev64("other");
	assert_non_null(c);
	assert_int_equal(udma_set_mask_and_coherent(c, UDMA_BIT_MASK(64)), 0);
	p = udma_alloc_coherent(a, PG, &h, UDMA_GFP_KERNEL);
	t_fill(p, PG, 4);
	m = udma_map_single(c, p, PG, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(c, m));
	assert_int_equal(udma_sim_dma_read(a, m, back, PG), 0);
	assert_true(t_check(back, PG, 4));
	assert_int_equal(udma_sim_dma_read(c, h, back, PG), 0);
	assert_int_equal(udma_sim_dma_read(o, m, back, 16), -EFAULT);
	udma_device_destroy(a); /* the group's domain lives on with the child */
	assert_int_equal(udma_sim_dma_read(c, m, back, PG), 0);
	assert_true(t_check(back, PG, 4));
	udma_unmap_single(c, m, PG, UDMA_TO_DEVICE);
	udma_device_destroy(c);
	udma_device_destroy(o);
	udma_eal_cleanup();
}

/* the first page that is not populated memory above coherent memory at @p */
static uint8_t *populated_end(uint8_t *p)
{
	while (udma_virt2iova(p) != UDMA_MAPPING_ERROR)
		p += PG;
	return p;
}

/*
 * Defect: sim mapped every page of [va, va+size) after checking only the first
 * (the device then read the unpopulated reservation: SIGSEGV); pa/va bounced
 * such a range and the copy crashed the same way.
 */
static void beyond_memseg_in(enum t_mode mode)
{
	static const size_t sizes[] = {2 * PG, 64 * 1024, 1 << 20};
	struct udma_device *d;
	uint8_t *p, *end, back[64];
	udma_addr_t h, m;
	struct udma_sg sg[2];

	if (t_init_mode(mode, "8"))
		skip();
	d = t_dev64("dev");
	p = udma_alloc_coherent(d, PG, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	end = populated_end(p);
	t_fill(end - PG, PG, 6);
	/* from the last populated page into the unpopulated reservation: refused */
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		m = udma_map_single(d, end - PG, sizes[i], UDMA_TO_DEVICE);
		assert_true(udma_mapping_error(d, m));
		m = udma_map_single(d, end - PG, sizes[i], UDMA_FROM_DEVICE);
		assert_true(udma_mapping_error(d, m));
	}
	udma_sg_init_table(sg, 2);
	udma_sg_set_buf(&sg[0], p, 64);
	udma_sg_set_buf(&sg[1], end - PG, 2 * PG);
	assert_int_equal(udma_map_sg(d, sg, 2, UDMA_TO_DEVICE), 0);
	/* the last page alone still maps, and reads right */
	m = udma_map_single(d, end - PG, PG, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(d, m));
	assert_int_equal(udma_sim_dma_read(d, m, back, 64), 0);
	assert_true(t_check(back, 64, 6));
	udma_unmap_single(d, m, PG, UDMA_TO_DEVICE);
	udma_free_coherent(d, PG, p, h);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_beyond_memseg_sim(void **s) { (void)s; beyond_memseg_in(T_SIM); }
static void test_beyond_memseg_va(void **s) { (void)s; beyond_memseg_in(T_VA); }
static void test_beyond_memseg_pa(void **s) { (void)s; beyond_memseg_in(T_PA); }
static void test_beyond_memseg_force(void **s) { (void)s; beyond_memseg_in(T_FORCE); }

/* defect: a SIZE_MAX map in sim returned a valid-looking IOVA (the span wrapped) */
static void test_size_max_sim(void **s)
{
	struct udma_device *d;
	uint8_t *p, *heap = malloc(64);
	udma_addr_t h;

	(void)s;
	t_init_mode(T_SIM, "8");
	d = t_dev64("dev");
	p = udma_alloc_coherent(d, PG, &h, UDMA_GFP_KERNEL);
	assert_true(udma_mapping_error(d, udma_map_single(d, p, SIZE_MAX, UDMA_TO_DEVICE)));
	assert_true(udma_mapping_error(d, udma_map_single(d, p + 100, SIZE_MAX - 99,
							   UDMA_FROM_DEVICE)));
	assert_true(udma_mapping_error(d, udma_map_single(d, heap, SIZE_MAX, UDMA_TO_DEVICE)));
	/* nothing lost: a normal map still works */
	assert_false(udma_mapping_error(d, udma_map_single(d, p, 64, UDMA_TO_DEVICE)));
	udma_free_coherent(d, PG, p, h);
	udma_device_destroy(d);
	udma_eal_cleanup();
	free(heap);
}

/* a refused free leaves the allocation mapped: the device still reads it */
static void test_bad_free_keeps_mapping(void **s)
{
	struct udma_device *a, *c, *b;
	uint8_t *p, back[PG];
	udma_addr_t h;

	(void)s;
	t_init_mode(T_SIM, "8");
	a = t_dev64("parent");
	c = udma_device_create("child", a, -1);
	b = t_dev64("other");
	assert_non_null(c);
	p = udma_alloc_coherent(a, 100, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	t_fill(p, 100, 7);
	udma_free_coherent(a, 100, p + 64, h + 64);    /* not the allocation's start */
	udma_free_coherent(a, 100 + PG, p, h);         /* another size */
	udma_free_coherent(a, 100, p, h + PG);         /* another handle */
	udma_free_coherent(b, 100, p, h);              /* another device */
	udma_free_coherent(c, 100, p, h);              /* its group, not its owner */
	assert_int_equal(udma_sim_dma_read(a, h, back, 100), 0);
	assert_true(t_check(back, 100, 7));
	assert_int_equal(udma_sim_dma_read(c, h, back, 100), 0);
	udma_free_coherent(a, 100, p, h);
	assert_int_equal(udma_sim_dma_read(a, h, back, 16), -EFAULT);
	udma_device_destroy(c);
	udma_device_destroy(b);
	udma_device_destroy(a);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/* noncoherent memory: the device view is the owner's only; sync copies views */
static void test_noncoherent_domain(void **s)
{
	struct udma_device *a = g_a, *b = g_b;
	uint8_t *p, back[PG];
	udma_addr_t h;
	struct t_log l;
	char *text;

	(void)s;
	p = udma_alloc_noncoherent(a, PG, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	t_fill(p, PG, 8);
	udma_sync_single_for_device(a, h, PG, UDMA_TO_DEVICE);
	assert_int_equal(udma_sim_dma_read(a, h, back, PG), 0);
	assert_true(t_check(back, PG, 8));
	assert_int_equal(udma_sim_dma_read(b, h, back, 16), -EFAULT);
	/* a sync past the end of the allocation is refused */
	t_log_begin(&l);
	udma_sync_single_for_cpu(a, h, 2 * PG, UDMA_FROM_DEVICE);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "refused"), 1);
	free(text);
	udma_free_noncoherent(a, PG, p, h);
	assert_int_equal(udma_sim_dma_read(a, h, back, 16), -EFAULT);
}

/* an sg list is one mapping of one device: another device's unmap or sync is refused */
static void test_sg_other_device(void **s)
{
	struct udma_device *a = g_a, *b = g_b;
	struct udma_sg sg[3];
	uint8_t *p, back[PG];
	udma_addr_t h;
	struct t_log l;
	char *text;
	int n;

	(void)s;
	p = udma_alloc_coherent(a, 8 * PG, &h, UDMA_GFP_KERNEL);
	t_fill(p, 8 * PG, 2);
	udma_sg_init_table(sg, 3);
	udma_sg_set_buf(&sg[0], p, PG);
	udma_sg_set_buf(&sg[1], p + 3 * PG, 100);
	udma_sg_set_buf(&sg[2], p + 6 * PG + 8, 2 * PG - 8);
	n = udma_map_sg(a, sg, 3, UDMA_TO_DEVICE);
	assert_true(n >= 1);
	assert_int_equal(udma_sim_dma_read(b, udma_sg_dma_address(&sg[0]), back, 16), -EFAULT);
	t_log_begin(&l);
	udma_unmap_sg(b, sg, 3, UDMA_TO_DEVICE);
	udma_sync_sg_for_cpu(b, sg, 3, UDMA_TO_DEVICE);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 2);
	assert_int_equal(t_count(text, "refused"), 2);
	free(text);
	assert_int_equal(udma_sim_dma_read(a, udma_sg_dma_address(&sg[0]), back, PG), 0);
	assert_true(t_check(back, PG, 2));
	udma_unmap_sg(a, sg, 3, UDMA_TO_DEVICE);
	assert_int_equal(udma_sim_dma_read(a, udma_sg_dma_address(&sg[0]), back, 16), -EFAULT);
	/* a second unmap of the same list: refused */
	t_log_begin(&l);
	udma_unmap_sg(a, sg, 3, UDMA_TO_DEVICE);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "refused"), 1);
	free(text);
	udma_free_coherent(a, 8 * PG, p, h);
}

/* KiB of sim IOVA space allocated (outside the small-size caches), from udma_dump */
static size_t sim_iova_kib(void)
{
	char *buf = NULL, *at;
	size_t len = 0, kib = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	udma_dump(f);
	fclose(f);
	at = strstr(buf, "sim iommu: IOVA space");
	assert_non_null(at);
	at = strstr(at, "), ");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "), %zu KiB allocated", &kib), 1);
	free(buf);
	return kib;
}

/* a device destroyed with live mappings: its domain goes, its IOVA ranges come back */
static void test_destroy_with_mappings(void **s)
{
	const size_t big = 64 * PG; /* above the allocator's per-lcore cache sizes */
	struct udma_device *a, *b;
	struct udma_sg sg[2];
	uint8_t *p, back[16];
	udma_addr_t h, m;
	size_t kib0;

	(void)s;
	t_init_mode(T_SIM, "8");
	b = t_dev64("devB");
	p = udma_alloc_coherent(b, big + 4 * PG, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	kib0 = sim_iova_kib();
	for (int round = 0; round < 3; round++) {
		a = t_dev64("devA");
		m = udma_map_single(a, p, big, UDMA_BIDIRECTIONAL);
		assert_false(udma_mapping_error(a, m));
		udma_sg_init_table(sg, 2);
		udma_sg_set_buf(&sg[0], p, 64);
		udma_sg_set_buf(&sg[1], p + 2 * PG, big);
		assert_true(udma_map_sg(a, sg, 2, UDMA_FROM_DEVICE) >= 1);
		assert_true(sim_iova_kib() >= kib0 + 2 * big / 1024);
		udma_device_destroy(a);
		assert_int_equal(sim_iova_kib(), kib0);
		/* B's mappings are not A's: B still maps and reads */
		m = udma_map_single(b, p, big, UDMA_BIDIRECTIONAL);
		assert_false(udma_mapping_error(b, m));
		assert_int_equal(udma_sim_dma_read(b, m, back, 16), 0);
		udma_unmap_single(b, m, big, UDMA_BIDIRECTIONAL);
	}
	udma_free_coherent(b, big + 4 * PG, p, h);
	udma_device_destroy(b);
	assert_int_equal(udma_eal_cleanup(), 0);
}

#define TWO_DEVICES(t) cmocka_unit_test_setup_teardown(t, two_devices, two_devices_done)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TWO_DEVICES(test_other_device_mapping),
		TWO_DEVICES(test_write_after_free_coherent),
		TWO_DEVICES(test_stale_double_unmap),
		TWO_DEVICES(test_pool_block_after_destroy),
		TWO_DEVICES(test_sync_refused),
		cmocka_unit_test(test_child_shares_domain),
		cmocka_unit_test(test_bad_free_keeps_mapping),
		TWO_DEVICES(test_noncoherent_domain),
		TWO_DEVICES(test_sg_other_device),
		cmocka_unit_test(test_destroy_with_mappings),
		cmocka_unit_test(test_beyond_memseg_sim),
		cmocka_unit_test(test_beyond_memseg_va),
		cmocka_unit_test(test_beyond_memseg_pa),
		cmocka_unit_test(test_beyond_memseg_force),
		cmocka_unit_test(test_size_max_sim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
