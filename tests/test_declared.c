/* SPDX-License-Identifier: BSD-3-Clause */
/* Declared device memory: regions, occupied ranges, IO memory, PCI BARs, IO accessors. */
#include <sys/stat.h>

#include "test_common.h"

static void test_declared(void **s)
{
	struct udma_device *bridge, *child, *other;
	uint8_t *region = aligned_alloc(4096, 16 * 4096), *p, *q, *r, back[32];
	udma_addr_t hp, hq, hr, dev_base = 0xd0000000ULL;
	void *occ;

	(void)s;
	t_init_mode(T_SIM, "8");
	bridge = t_dev64("bridge");
	child = udma_device_create("child", bridge, -1);
	other = udma_device_create("other", bridge, -1);
	udma_set_mask_and_coherent(child, UDMA_BIT_MASK(64));
	assert_int_equal(udma_declare_coherent_memory(bridge, region, dev_base, 16 * 4096, 0), 0);
	assert_int_equal(udma_declare_coherent_memory(bridge, region, dev_base, 100,
						      UDMA_MEMORY_MAP), 0);
	assert_int_equal(udma_declare_coherent_memory(bridge, region, dev_base, 16 * 4096,
		UDMA_MEMORY_MAP | UDMA_MEMORY_INCLUDES_CHILDREN | UDMA_MEMORY_EXCLUSIVE),
		UDMA_MEMORY_MAP);
	/* a second region for one device fails */
	assert_int_equal(udma_declare_coherent_memory(bridge, region, dev_base, 4096,
						      UDMA_MEMORY_MAP), 0);
	p = udma_alloc_coherent(bridge, 8192, &hp, UDMA_GFP_KERNEL);
	assert_ptr_equal(p, region);
	assert_int_equal(hp, dev_base);
	/* the device reaches its declared memory at the device address */
	t_fill(p, 32, 6);
	assert_int_equal(udma_sim_dma_read(bridge, hp, back, 32), 0);
	assert_true(t_check(back, 32, 6));
	/* children allocate from the parent's region */
	q = udma_alloc_coherent(child, 4096, &hq, UDMA_GFP_KERNEL);
	assert_ptr_equal(q, region + 8192);
	assert_int_equal(hq, dev_base + 8192);
	/* occupied: handed out never; a second claim is -EBUSY; outside is -EINVAL */
	occ = udma_mark_declared_memory_occupied(bridge, dev_base + 4 * 4096, 4096);
	assert_false(udma_is_err(occ));
	assert_ptr_equal(occ, region + 4 * 4096);
	occ = udma_mark_declared_memory_occupied(bridge, dev_base + 4 * 4096, 100);
	assert_true(udma_is_err(occ));
	assert_int_equal(udma_ptr_err(occ), -EBUSY);
	assert_int_equal(udma_ptr_err(udma_mark_declared_memory_occupied(bridge, 0x1000, 4096)),
			 -EINVAL);
	/* exclusive: when the region is full there is no fallback */
	r = udma_alloc_coherent(other, 12 * 4096, &hr, UDMA_GFP_KERNEL);
	assert_null(r);
	assert_int_equal(errno, ENOMEM);
	r = udma_alloc_coherent(other, 4096, &hr, UDMA_GFP_KERNEL);
	assert_ptr_equal(r, region + 3 * 4096);
	udma_free_coherent(other, 4096, r, hr);
	udma_free_coherent(child, 4096, q, hq);
	udma_free_coherent(bridge, 8192, p, hp);
	udma_free_coherent(bridge, 8192, p, hp); /* double: logged, ignored */
	udma_release_declared_memory(bridge);
	/* released: system memory again */
	p = udma_alloc_coherent(bridge, 4096, &hp, UDMA_GFP_KERNEL);
	assert_true(p != NULL && udma_virt2iova(p) == hp);
	udma_free_coherent(bridge, 4096, p, hp);
	udma_device_destroy(other);
	udma_device_destroy(child);
	udma_device_destroy(bridge);
	udma_eal_cleanup();
	free(region);
}

/* a CPU range another device has, declared or coherent, is refused: no aliases */
static void test_declared_overlap(void **s)
{
	struct udma_device *a, *b, *c;
	uint8_t *region = aligned_alloc(4096, 8 * 4096), *pa, *pb, *coh;
	udma_addr_t ha, hb, hc;
	struct t_log log;
	char *text;

	(void)s;
	t_init_mode(T_SIM, "8");
	a = t_dev64("decl-a");
	b = t_dev64("decl-b");
	c = t_dev64("decl-c");
	assert_int_equal(udma_declare_coherent_memory(a, region, 0xd0000000ULL, 4 * 4096,
		UDMA_MEMORY_MAP | UDMA_MEMORY_EXCLUSIVE), UDMA_MEMORY_MAP);
	coh = udma_alloc_coherent(c, 4096, &hc, UDMA_GFP_KERNEL);
	assert_non_null(coh);
	t_log_begin(&log);
	/* the same range, a range inside, a range straddling the end: all a's */
	assert_int_equal(udma_declare_coherent_memory(b, region, 0xe0000000ULL, 4 * 4096,
						      UDMA_MEMORY_MAP), 0);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(udma_declare_coherent_memory(b, region + 4096, 0xe0000000ULL, 4096,
						      UDMA_MEMORY_MAP), 0);
	assert_int_equal(udma_declare_coherent_memory(b, region + 3 * 4096, 0xe0000000ULL,
						      2 * 4096, UDMA_MEMORY_MAP), 0);
	/* c's live coherent memory */
	assert_int_equal(udma_declare_coherent_memory(b, coh, 0xe0000000ULL, 4096,
						      UDMA_MEMORY_MAP), 0);
	assert_int_equal(errno, EBUSY);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "ERR"), 4);
	assert_int_equal(t_count(text, "-EBUSY"), 4);
	free(text);
	/* the range next to a's is b's to declare; a and b never share an address */
	assert_int_equal(udma_declare_coherent_memory(b, region + 4 * 4096, 0xe0000000ULL, 4 * 4096,
		UDMA_MEMORY_MAP | UDMA_MEMORY_EXCLUSIVE), UDMA_MEMORY_MAP);
	pa = udma_alloc_coherent(a, 4 * 4096, &ha, UDMA_GFP_KERNEL);
	pb = udma_alloc_coherent(b, 4 * 4096, &hb, UDMA_GFP_KERNEL);
	assert_ptr_equal(pa, region);
	assert_ptr_equal(pb, region + 4 * 4096);
	t_fill(pa, 64, 1);
	t_fill(pb, 64, 2);
	assert_true(t_check(pa, 64, 1));
	udma_free_coherent(a, 4 * 4096, pa, ha);
	udma_free_coherent(b, 4 * 4096, pb, hb);
	/* released: the range may be declared again, by another device */
	udma_release_declared_memory(a);
	assert_int_equal(udma_declare_coherent_memory(c, region, 0xd0000000ULL, 4 * 4096,
						      UDMA_MEMORY_MAP), UDMA_MEMORY_MAP);
	udma_free_coherent(c, 4096, coh, hc);
	udma_device_destroy(a);
	udma_device_destroy(b);
	udma_device_destroy(c);
	assert_int_equal(udma_eal_cleanup(), 0);
	free(region);
}

static void test_declared_io_and_bar(void **s)
{
	char root[] = "/tmp/udma-pci-XXXXXX", dir[128], res[160];
	struct udma_device *d;
	uint8_t *p, back[16];
	udma_addr_t h;
	FILE *f;

	(void)s;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/0000:03:00.0", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(res, sizeof(res), "%s/resource2", dir);
	f = fopen(res, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 64 * 4096), 0);
	fclose(f);
	t_init_mode(T_SIM, "8");
	d = t_dev64("barred");
	assert_int_equal(udma_set_sysfs_pci_root(root), 0);
	assert_int_equal(udma_declare_coherent_bar(d, "0000:03:00.0", 7, 0, 0xe0000000ULL, 4096,
						   UDMA_MEMORY_IO), 0); /* bad BAR */
	assert_int_equal(udma_declare_coherent_bar(d, "nonsense", 2, 0, 0xe0000000ULL, 4096,
						   UDMA_MEMORY_IO), 0);
	assert_int_equal(udma_declare_coherent_bar(d, "0000:03:00.0", 2, 4096, 0xe0000000ULL,
						   8 * 4096, UDMA_MEMORY_IO), UDMA_MEMORY_IO);
	p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0xe0000000ULL);
	assert_int_equal(udma_read32(p), 0);
	udma_write32(0xdeadbeef, p);
	udma_write64(0x0123456789abcdefULL, p + 8);
	assert_int_equal(udma_read32(p), 0xdeadbeef);
	assert_int_equal(udma_read64(p + 8), 0x0123456789abcdefULL);
	udma_memcpy_toio(p + 16, "hello", 6);
	udma_memcpy_fromio(back, p + 16, 6);
	assert_string_equal((char *)back, "hello");
	assert_int_equal(udma_sim_dma_read(d, h + 16, back, 6), 0);
	assert_string_equal((char *)back, "hello");
	udma_free_coherent(d, 4096, p, h);
	udma_release_declared_memory(d);
	/* the bytes went to the file standing in for the BAR, at the offset */
	f = fopen(res, "r");
	fseek(f, 4096 + 16, SEEK_SET);
	assert_int_equal(fread(back, 1, 6, f), 6);
	fclose(f);
	assert_string_equal((char *)back, "hello");
	udma_set_sysfs_pci_root(NULL);
	udma_device_destroy(d);
	udma_eal_cleanup();
	unlink(res);
	rmdir(dir);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_declared),
		cmocka_unit_test(test_declared_io_and_bar),
		cmocka_unit_test(test_declared_overlap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
