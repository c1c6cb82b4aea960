/* SPDX-License-Identifier: BSD-3-Clause */
/* The sim device model: faults for what the device may not reach, in every mode. */
#include "test_common.h"

static void faults_in(enum t_mode m)
{
	struct udma_device *d;
	struct udma_sim_fault f[4];
	unsigned long n0;
	udma_addr_t h;
	uint8_t *p, buf[64];

	if (t_init_mode(m, "8"))
		skip();
	d = udma_device_create("simdev", NULL, -1); /* 32-bit masks */
	assert_non_null(d);
	n0 = udma_sim_fault_count();
	/* an IOVA that maps nothing */
	assert_int_equal(udma_sim_dma_read(d, 0x10000, buf, 8), -EFAULT);
	assert_int_equal(udma_sim_fault_count(), n0 + 1);
	assert_int_equal(udma_sim_fault_log(f, 4), 1);
	assert_int_equal(f[0].iova, 0x10000);
	assert_int_equal(f[0].write, 0);
	assert_int_equal(f[0].reason, -ENOENT);
	assert_string_equal(f[0].device, "simdev");
	/* above the device's mask: never leaves the device */
	assert_int_equal(udma_sim_dma_write(d, 0x100000000ULL + 0x1000, buf, 8), -EFAULT);
	assert_int_equal(udma_sim_fault_log(f, 4), 2);
	assert_int_equal(f[0].reason, -ERANGE);
	assert_int_equal(f[0].write, 1);
	assert_int_equal(udma_sim_fault_count(), n0 + 2);
	/* bad arguments are not faults */
	assert_int_equal(udma_sim_dma_read(d, 0x200000, NULL, 8), -EINVAL);
	assert_int_equal(udma_sim_dma_read(d, 0x200000, buf, 0), -EINVAL);
	assert_int_equal(udma_sim_fault_count(), n0 + 2);
	udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64));
	p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	/* straddling the end of what is mapped: faults, copies nothing */
	if (udma_iova2virt(h + 4096) == NULL) {
		memset(buf, 0x11, sizeof(buf));
		assert_int_equal(udma_sim_dma_read(d, h + 4096 - 32, buf, 64), -EFAULT);
		for (int i = 0; i < 64; i++)
			assert_int_equal(buf[i], 0x11);
	}
	assert_int_equal(udma_sim_dma_read(d, ~0ULL - 16, buf, 8), -EFAULT);
	udma_free_coherent(d, 4096, p, h);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_sim(void **s) { (void)s; faults_in(T_SIM); }
static void test_va(void **s) { (void)s; faults_in(T_VA); }
static void test_pa(void **s) { (void)s; faults_in(T_PA); }

/* sim: a streaming mapping, once unmapped, is gone from the IOMMU */
static void test_unmapped_iova_faults(void **s)
{
	struct udma_device *d;
	uint8_t *p, buf[16];
	udma_addr_t h, a;

	(void)s;
	t_init_mode(T_SIM, "8");
	d = t_dev64("iommu");
	p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);
	a = udma_map_single(d, p, 4096, UDMA_BIDIRECTIONAL);
	assert_false(udma_mapping_error(d, a));
	assert_int_equal(udma_sim_dma_read(d, a, buf, 16), 0);
	udma_unmap_single(d, a, 4096, UDMA_BIDIRECTIONAL);
	assert_int_equal(udma_sim_dma_read(d, a, buf, 16), -EFAULT);
	assert_int_equal(udma_sim_dma_write(d, a, buf, 16), -EFAULT);
	udma_free_coherent(d, 4096, p, h);
	udma_device_destroy(d);
	udma_eal_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim),
		cmocka_unit_test(test_va),
		cmocka_unit_test(test_pa),
		cmocka_unit_test(test_unmapped_iova_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
