/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edu DMA round trips through udma, in the guest: QEMU's edu device copies bytes
 * between memory and its own buffer at the addresses udma gave (coherent handles,
 * pool blocks, streaming mappings of memseg, registered and foreign (bounced)
 * memory, scatter-gather segments), through the IOMMU in vfio mode or at physical
 * addresses in pa mode. Every transfer is checked byte for byte, with guard bytes
 * around it. In vfio mode a DMA to an IOVA udma never mapped must not land, and
 * the guest kernel must log the DMAR fault.
 *
 * usage: vm_edu PCI-ADDR MASK-BITS [--tests=GLOB | --skip-tests=GLOB] UDMA-OPTIONS...
 *   MASK-BITS: the edu's dma_mask as QEMU was told (64, or 28: QEMU's default)
 *   --tests, --skip-tests: run only / skip the tests whose names match GLOB
 */
#include <sys/mman.h>

#include "test_common.h"
#include "udma_edu.h"
#include "udma_pci.h"

static const char *g_addr;
static unsigned int g_bits;
static int g_vfio;
static struct udma_device *g_dev;
static void *g_bar0;
static struct udma_edu g_edu;

#define XFER UDMA_EDU_MAX_XFER

/* memory -> edu at @off, edu at @off -> other memory: both checked */
static void round_trip(udma_addr_t src, void *src_va, udma_addr_t dst, void *dst_va, uint32_t len,
		       uint32_t off, unsigned int seed)
{
	t_fill(src_va, len, seed);
	memset(dst_va, 0xee, len + 1);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_TO_DEVICE, src, off, len), 0);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_FROM_DEVICE, dst, off, len), 0);
	assert_true(t_check(dst_va, len, seed));
	assert_int_equal(((uint8_t *)dst_va)[len], 0xee); /* nothing past the end */
}

static void test_coherent(void **state)
{
	udma_addr_t a, b;
	uint8_t *pa, *pb;

	(void)state;
	pa = udma_alloc_coherent(g_dev, 8192, &a, UDMA_GFP_KERNEL);
	pb = udma_alloc_coherent(g_dev, 8192, &b, UDMA_GFP_KERNEL);
	assert_non_null(pa);
	assert_non_null(pb);
	printf("coherent: iova %#llx and %#llx\n", (unsigned long long)a, (unsigned long long)b);
	round_trip(a, pa, b, pb, XFER, 0, 1);
	udma_free_coherent(g_dev, 8192, pa, a);
	udma_free_coherent(g_dev, 8192, pb, b);
}

static void test_pool(void **state)
{
	struct udma_pool *pool = udma_pool_create("edu", g_dev, 2048, 64, 0);
	udma_addr_t a, b;
	void *pa, *pb;

	(void)state;
	assert_non_null(pool);
	pa = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &a);
	pb = udma_pool_alloc(pool, UDMA_GFP_KERNEL, &b);
	assert_non_null(pa);
	assert_non_null(pb);
	round_trip(a, pa, b, pb, 2047, 1000, 2);
	udma_pool_free(pool, pa, a);
	udma_pool_free(pool, pb, b);
	udma_pool_destroy(pool);
}

/* the driver's streaming path: udma_edu_write/read map, DMA, unmap */
static void stream_trip(uint8_t *src, uint8_t *dst, size_t len, uint32_t off, unsigned int seed)
{
	t_fill(src, len, seed);
	memset(dst, 0xee, len + 1);
	assert_int_equal(udma_edu_write(&g_edu, src, len, off), 0);
	assert_int_equal(udma_edu_read(&g_edu, dst, len, off), 0);
	assert_true(t_check(dst, len, seed));
	assert_int_equal(dst[len], 0xee);
}

static void test_map_single_memseg(void **state)
{
	udma_addr_t h;
	uint8_t *p = udma_alloc_coherent(g_dev, 16384, &h, UDMA_GFP_KERNEL);

	(void)state;
	assert_non_null(p);
	/* unaligned, crossing a page: both ends mid-page */
	stream_trip(p + 3000, p + 9000, 3001, 17, 3);
	udma_free_coherent(g_dev, 16384, p, h);
}

static void test_registered(void **state)
{
	uint8_t *p = aligned_alloc(65536, 65536);

	(void)state;
	assert_non_null(p);
	assert_int_equal(udma_mem_register(p, 65536), 0);
	stream_trip(p + 100, p + 40000, XFER, 0, 4);
	assert_int_equal(udma_mem_unregister(p, 65536), 0);
	free(p);
}

static void test_foreign_bounced(void **state)
{
	struct udma_swiotlb_stats before, after;
	uint8_t *src = malloc(8192), *dst = malloc(8192);

	(void)state;
	assert_non_null(src);
	assert_non_null(dst);
	assert_int_equal(udma_swiotlb_stats(&before), 0);
	stream_trip(src + 5, dst + 7, 2500, 1500, 5);
	assert_int_equal(udma_swiotlb_stats(&after), 0);
	assert_int_equal(after.bounces - before.bounces, 2); /* both went through bounce slots */
	free(src);
	free(dst);
}

/* map_sg: three pieces of registered memory to edu, one DMA per mapped segment,
 * back in one coherent buffer; then edu's bytes out into the pieces (FROM_DEVICE) */
static void test_registered_map_sg(void **state)
{
	const unsigned int len[3] = {1000, 1200, 800};
	uint8_t *mem = aligned_alloc(65536, 65536), *c;
	struct udma_sg sg[3], *s;
	udma_addr_t ch;
	uint32_t off = 0;
	int n, i;

	(void)state;
	assert_non_null(mem);
	assert_int_equal(udma_mem_register(mem, 65536), 0);
	c = udma_alloc_coherent(g_dev, 4096, &ch, UDMA_GFP_KERNEL);
	assert_non_null(c);
	udma_sg_init_table(sg, 3);
	for (i = 0; i < 3; i++) {
		t_fill(mem + 20000 * i + 11, len[i], 10 + i);
		udma_sg_set_buf(&sg[i], mem + 20000 * i + 11, len[i]);
	}
	n = udma_map_sg(g_dev, sg, 3, UDMA_TO_DEVICE);
	assert_true(n >= 1);
	udma_for_each_sg(sg, s, n, i) {
		assert_int_equal(udma_edu_dma(&g_edu, UDMA_TO_DEVICE, udma_sg_dma_address(s), off,
					      udma_sg_dma_len(s)), 0);
		off += udma_sg_dma_len(s);
	}
	udma_unmap_sg(g_dev, sg, 3, UDMA_TO_DEVICE);
	assert_int_equal(off, 3000);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_FROM_DEVICE, ch, 0, 3000), 0);
	assert_true(t_check(c, 1000, 10) && t_check(c + 1000, 1200, 11) && t_check(c + 2200, 800, 12));

	/* and back: edu's buffer (the same 3000 bytes) into cleared pieces */
	for (i = 0; i < 3; i++)
		memset(mem + 20000 * i + 11, 0, len[i]);
	n = udma_map_sg(g_dev, sg, 3, UDMA_FROM_DEVICE);
	assert_true(n >= 1);
	off = 0;
	udma_for_each_sg(sg, s, n, i) {
		assert_int_equal(udma_edu_dma(&g_edu, UDMA_FROM_DEVICE, udma_sg_dma_address(s), off,
					      udma_sg_dma_len(s)), 0);
		off += udma_sg_dma_len(s);
	}
	udma_unmap_sg(g_dev, sg, 3, UDMA_FROM_DEVICE);
	for (i = 0; i < 3; i++)
		assert_true(t_check(mem + 20000 * i + 11, len[i], 10 + i));
	udma_free_coherent(g_dev, 4096, c, ch);
	assert_int_equal(udma_mem_unregister(mem, 65536), 0);
	free(mem);
}

/* the driver refuses what the device would get wrong: nothing is started */
static void test_driver_refuses(void **state)
{
	udma_addr_t h;
	void *p = udma_alloc_coherent(g_dev, 4096, &h, UDMA_GFP_KERNEL);
	struct t_log l;
	char *txt;

	(void)state;
	assert_non_null(p);
	t_log_begin(&l);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, h, 0, 4096), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, h, 1, XFER), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_BIDIRECTIONAL, h, 0, 16), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, UDMA_MAPPING_ERROR, 0, 16), -EINVAL);
	if (g_bits < 64)
		assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, UDMA_BIT_MASK(g_bits) - 7, 0, 16),
				 -EINVAL);
	assert_int_equal(udma_edu_submit(NULL, UDMA_TO_DEVICE, h, 0, 16), -EINVAL);
	assert_int_equal(udma_edu_read(&g_edu, NULL, 16, 0), -EINVAL);
	struct udma_edu other = {0};

	assert_int_equal(udma_edu_attach(&other, g_dev, NULL, 4096, UDMA_BIT_MASK(64)), -EINVAL);
	assert_int_equal(udma_edu_attach(&other, g_dev, g_bar0, 16, UDMA_BIT_MASK(64)), -EINVAL);
	assert_int_equal(udma_edu_open(&other, NULL, UDMA_BIT_MASK(64)), -EINVAL);
	udma_edu_close(NULL);
	txt = t_log_end(&l);
	assert_int_equal(t_count(txt, "\n"), g_bits < 64 ? 10 : 9); /* one line each */
	free(txt);
	assert_int_equal(udma_edu_busy(&g_edu), 0);
	udma_free_coherent(g_dev, 4096, p, h);
}

/* DMAR fault lines in the kernel log naming this device */
static int dmar_faults(void)
{
	return t_dmar_faults(g_addr, "Write");
}

/* vfio: a DMA to an IOVA udma never mapped does not land, and the IOMMU says so */
static void test_unmapped_iova_faults(void **state)
{
	uint8_t *victim = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	udma_addr_t iova;
	int before;

	(void)state;
	if (!g_vfio)
		skip();
	assert_true(victim != MAP_FAILED);
	memset(victim, 0x33, 8192);
	/* with IOVA = VA this page (neither memseg nor registered) maps nothing; with
	 * allocated IOVAs (bottom-up) the top 2 MiB under a 28-bit mask stay unused */
	iova = g_bits >= 48 ? (udma_addr_t)(uintptr_t)victim : UDMA_BIT_MASK(g_bits) + 1 - (2 << 20);
	assert_null(udma_iova2virt(iova));
	before = dmar_faults();
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_FROM_DEVICE, iova, 0, 256), 0);
	assert_int_equal(udma_edu_wait(&g_edu, 0), 0);
	for (int i = 0; i < 8192; i++)
		assert_int_equal(victim[i], 0x33);
	/* the kernel logs the fault from its interrupt handler, maybe on the other CPU */
	for (int i = 0; i < 300 && dmar_faults() == before; i++)
		usleep(10000);
	printf("DMAR faults for %s: %d before, %d after\n", g_addr, before, dmar_faults());
	assert_true(dmar_faults() > before);
	munmap(victim, 8192);
}

/* how a driver opens its device: udma_edu_open() (the PCI layer: VFIO in vfio mode,
 * sysfs in pa; BAR0; bus mastering, which vfio-pci leaves off; the DMA mask) */
static int setup(void **state)
{
	struct udma_pci_info info;

	(void)state;
	if (udma_edu_open(&g_edu, g_addr, UDMA_BIT_MASK(g_bits)) != 0 ||
	    udma_pci_info(g_edu.pdev, &info) != 0)
		return -1;
	printf("%s: %04x:%04x, node %d, IOMMU group %d, through %s\n", info.addr, info.vendor_id,
	       info.device_id, info.numa_node, info.iommu_group,
	       info.access == UDMA_PCI_ACCESS_VFIO ? "VFIO" : "sysfs");
	g_vfio = info.access == UDMA_PCI_ACCESS_VFIO;
	g_dev = g_edu.dev;
	g_bar0 = (void *)(uintptr_t)g_edu.regs;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udma_edu_close(&g_edu);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coherent),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_map_single_memseg),
		cmocka_unit_test(test_registered),
		cmocka_unit_test(test_foreign_bounced),
		cmocka_unit_test(test_registered_map_sg),
		cmocka_unit_test(test_driver_refuses),
		cmocka_unit_test(test_unmapped_iova_faults),
	};
	int ret;

	if (argc < 4) {
		fprintf(stderr, "usage: vm_edu PCI-ADDR MASK-BITS UDMA-OPTIONS...\n");
		return 2;
	}
	g_addr = argv[1];
	g_bits = (unsigned int)strtoul(argv[2], NULL, 0);
	if (strncmp(argv[3], "--tests=", 8) == 0 || strncmp(argv[3], "--skip-tests=", 13) == 0) {
		if (argv[3][2] == 't')
			cmocka_set_test_filter(argv[3] + 8);
		else
			cmocka_set_skip_filter(argv[3] + 13);
		argv[3] = argv[2];
		argv++;
		argc--;
	}
	argv[2] = (char *)"vm_edu";
	if (udma_eal_init(argc - 2, argv + 2) < 0) {
		fprintf(stderr, "vm_edu: udma_eal_init failed\n");
		return 1;
	}
	printf("edu %s, %u-bit mask, iova mode %s: %s\n", g_addr, g_bits,
	       udma_iova_mode_name(udma_iova_mode()), udma_iova_mode_reason());
	ret = cmocka_run_group_tests(tests, setup, teardown);
	printf("edu DMAs completed: %llu\n", (unsigned long long)g_edu.dmas);
	udma_eal_cleanup();
	return ret;
}
