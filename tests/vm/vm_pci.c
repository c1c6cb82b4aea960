/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI layer on a real kernel, in the guest: a function opened through VFIO
 * (vfio mode) or sysfs (pa mode), its identity and node against sysfs, its
 * regions and config space, BAR0 (edu's identification and liveness registers),
 * bus mastering, reset, the fds an application shares (a group node opens once:
 * the application gets the fd from udma), a second function whose group joins the
 * container at open and leaves it at close, the aperture and DMA_AVAIL the real
 * kernel reports, and an edu DMA round trip through the function's udma_device
 * (coherent memory and registered heap memory).
 *
 * usage: vm_pci PCI-ADDR [PCI-ADDR2] UDMA-OPTIONS...
 *   PCI-ADDR: an edu with a 64-bit dma_mask
 *   PCI-ADDR2 (vfio mode): an edu with QEMU's default 28-bit dma_mask in another
 *   IOMMU group, not in the container at init (pass --vfio-group=N of the first
 *   function's group)
 */
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include "test_common.h"
#include "udma_edu.h"
#include "udma_pci.h"

static const char *g_addr, *g_addr2;

static int sysfs_int(const char *addr, const char *name, int base)
{
	char path[256], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", addr, name);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return (int)strtol(buf, NULL, base);
}

static int sysfs_group(const char *addr)
{
	char path[256], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", addr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	return atoi(strrchr(target, '/') + 1);
}

/* identity, regions, config space, BAR0, bus master, reset, DMA: one function */
static void check_function(struct udma_pci_device *p, const char *addr, unsigned int bits)
{
	struct udma_pci_info info;
	struct udma_pci_region r;
	struct udma_edu edu;
	volatile uint32_t *bar;
	uint32_t id = 0;
	uint16_t cmd = 0;
	uint8_t *mem, *heap, *back;
	udma_addr_t h, a;
	size_t len = 0;
	int ret;

	assert_int_equal(udma_pci_info(p, &info), 0);
	printf("%s: %04x:%04x class %06x, node %d (sysfs %d), group %d (sysfs %d), %s\n",
	       info.addr, info.vendor_id, info.device_id, info.class_code, info.numa_node,
	       sysfs_int(addr, "numa_node", 10), info.iommu_group, sysfs_group(addr),
	       info.access == UDMA_PCI_ACCESS_VFIO ? "VFIO" : "sysfs");
	assert_string_equal(info.addr, addr);
	assert_int_equal(info.vendor_id, UDMA_EDU_VENDOR_ID);
	assert_int_equal(info.device_id, UDMA_EDU_DEVICE_ID);
	assert_int_equal(info.numa_node, sysfs_int(addr, "numa_node", 10));
	assert_int_equal(info.iommu_group, sysfs_group(addr));
	assert_int_equal(info.access, udma_iova_mode() == UDMA_IOVA_VFIO ? UDMA_PCI_ACCESS_VFIO
									 : UDMA_PCI_ACCESS_SYSFS);
	/* edu's BAR0: 1 MiB of memory */
	assert_int_equal(udma_pci_region_info(p, UDMA_PCI_BAR0, &r), 0);
	printf("BAR0 %llu bytes at fd offset %#llx flags %#x\n", (unsigned long long)r.size,
	       (unsigned long long)r.offset, r.flags);
	assert_int_equal(r.size, 1 << 20);
	assert_true(r.flags & UDMA_PCI_REGION_MMAP);
	assert_int_equal(udma_pci_region_info(p, UDMA_PCI_CONFIG, &r), 0);
	assert_true(r.size >= 256);
	/* config space: the ids again, as the device answers them */
	assert_int_equal(udma_pci_cfg_read(p, &id, 4, 0), 4);
	assert_int_equal(id, (uint32_t)UDMA_EDU_DEVICE_ID << 16 | UDMA_EDU_VENDOR_ID);
	/* BAR0: identification 0x010000ed, the liveness register inverts */
	bar = udma_pci_bar_map(p, 0, &len);
	assert_non_null(bar);
	assert_int_equal(bar[0], 0x010000ed);
	bar[1] = 0x12345678;
	assert_int_equal(bar[1], ~0x12345678u);
	/* bus mastering: on and off in PCI_COMMAND */
	assert_int_equal(udma_pci_set_bus_master(p, 1), 0);
	assert_int_equal(udma_pci_cfg_read(p, &cmd, 2, 4), 2);
	assert_true(cmd & 0x4);
	assert_true(cmd & 0x2); /* memory decode */
	assert_int_equal(udma_pci_set_bus_master(p, 0), 0);
	assert_int_equal(udma_pci_cfg_read(p, &cmd, 2, 4), 2);
	assert_false(cmd & 0x4);
	/* reset: the function may not support one (edu has no FLR) */
	ret = udma_pci_reset(p);
	printf("reset: %s\n", ret == 0 ? "done" : strerror(-ret));
	assert_true(ret == 0 || ret == -ENOTSUP || ret == -ENOTTY);
	assert_int_equal(udma_pci_set_bus_master(p, 1), 0);
	/* DMA through the function's udma_device: coherent and registered heap memory */
	assert_int_equal(udma_edu_attach(&edu, udma_pci_dma_device(p), (void *)bar, len,
					 UDMA_BIT_MASK(bits)), 0);
	printf("DMA mask %u bits\n", bits);
	mem = udma_alloc_coherent(udma_pci_dma_device(p), 8192, &h, UDMA_GFP_KERNEL);
	assert_non_null(mem);
	t_fill(mem, 2000, 21);
	assert_int_equal(udma_edu_dma(&edu, UDMA_TO_DEVICE, h, 0, 2000), 0);
	memset(mem + 4096, 0, 2000);
	assert_int_equal(udma_edu_dma(&edu, UDMA_FROM_DEVICE, h + 4096, 0, 2000), 0);
	assert_true(t_check(mem + 4096, 2000, 21));
	heap = aligned_alloc(4096, 16384);
	back = malloc(2000);
	assert_non_null(heap);
	printf("registered heap memory at %p (above 2^39: %s)\n", (void *)heap,
	       (uintptr_t)heap >> 39 ? "yes" : "no");
	assert_int_equal(udma_mem_register(heap, 16384), 0);
	t_fill(heap + 8192, 2000, 22);
	a = udma_map_single(udma_pci_dma_device(p), heap + 8192, 2000, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(udma_pci_dma_device(p), a));
	printf("registered: iova %#llx\n", (unsigned long long)a);
	assert_int_equal(udma_edu_dma(&edu, UDMA_TO_DEVICE, a, 0, 2000), 0);
	udma_unmap_single(udma_pci_dma_device(p), a, 2000, UDMA_TO_DEVICE);
	assert_int_equal(udma_edu_read(&edu, back, 2000, 0), 0);
	assert_true(t_check(back, 2000, 22));
	assert_int_equal(udma_mem_unregister(heap, 16384), 0);
	free(heap);
	free(back);
	udma_free_coherent(udma_pci_dma_device(p), 8192, mem, h);
	assert_int_equal(udma_pci_set_bus_master(p, 0), 0);
}

static void test_function(void **state)
{
	struct udma_pci_device *p;

	(void)state;
	p = udma_pci_open(g_addr, UDMA_PCI_ACCESS_AUTO);
	assert_non_null(p);
	check_function(p, g_addr, 64);
	/* one open per function */
	assert_null(udma_pci_open(g_addr, UDMA_PCI_ACCESS_AUTO));
	assert_int_equal(errno, EBUSY);
	udma_pci_close(p);
	/* and again after close */
	p = udma_pci_open(g_addr, UDMA_PCI_ACCESS_AUTO);
	assert_non_null(p);
	udma_pci_close(p);
}

/* vfio: the fds an application shares, and what the kernel says without them */
static void test_fds(void **state)
{
	struct vfio_device_info di = {.argsz = sizeof(di)};
	struct udma_pci_device *p;
	char path[64];
	int fd;

	(void)state;
	if (udma_iova_mode() != UDMA_IOVA_VFIO)
		skip();
	p = udma_pci_open(g_addr, UDMA_PCI_ACCESS_VFIO);
	assert_non_null(p);
	assert_true(udma_vfio_container_fd() >= 0);
	assert_true(udma_pci_group_fd(p) >= 0);
	assert_true(udma_pci_device_fd(p) >= 0);
	/* the kernel's rule: a group node opens once; the application uses udma's fd */
	snprintf(path, sizeof(path), "/dev/vfio/%d", sysfs_group(g_addr));
	fd = open(path, O_RDWR);
	printf("second open of %s: %s\n", path, fd < 0 ? strerror(errno) : "succeeded");
	assert_true(fd < 0 && errno == EBUSY);
	assert_int_equal(ioctl(udma_pci_device_fd(p), VFIO_DEVICE_GET_INFO, &di), 0);
	assert_true(di.flags & VFIO_DEVICE_FLAGS_PCI);
	printf("device fd %d: %u regions, %u irqs, flags %#x\n", udma_pci_device_fd(p),
	       di.num_regions, di.num_irqs, di.flags);
	udma_pci_close(p);
}

/* vfio: a function in a group not in the container at init joins it, and leaves */
static void test_second_group(void **state)
{
	struct udma_pci_device *p, *q;
	char path[64];
	FILE *dump;
	char *text = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	if (udma_iova_mode() != UDMA_IOVA_VFIO || g_addr2 == NULL)
		skip();
	p = udma_pci_open(g_addr, UDMA_PCI_ACCESS_VFIO);
	q = udma_pci_open(g_addr2, UDMA_PCI_ACCESS_VFIO);
	assert_non_null(p);
	assert_non_null(q);
	assert_true(udma_pci_group_fd(q) != udma_pci_group_fd(p));
	dump = open_memstream(&text, &len);
	udma_dump(dump);
	fclose(dump);
	fputs(text, stdout);
	assert_non_null(strstr(text, "more available")); /* DMA_AVAIL from the kernel */
	free(text);
	check_function(q, g_addr2, 28);
	udma_pci_close(q);
	/* the group left the container and its node is free again */
	snprintf(path, sizeof(path), "/dev/vfio/%d", sysfs_group(g_addr2));
	fd = open(path, O_RDWR);
	printf("open of %s after close: %s\n", path, fd < 0 ? strerror(errno) : "ok");
	assert_true(fd >= 0);
	close(fd);
	udma_pci_close(p);
}

/* the aperture the real kernel reported, in the reason */
static void test_reason(void **state)
{
	(void)state;
	printf("reason: %s\n", udma_iova_mode_reason());
	if (udma_iova_mode() != UDMA_IOVA_VFIO)
		skip();
	assert_non_null(strstr(udma_iova_mode_reason(), "aperture"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_function),
		cmocka_unit_test(test_fds),
		cmocka_unit_test(test_second_group),
	};
	int first = 2, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: vm_pci PCI-ADDR [PCI-ADDR2] UDMA-OPTIONS...\n");
		return 2;
	}
	g_addr = argv[1];
	if (argv[2][0] != '-') {
		g_addr2 = argv[2];
		first = 3;
	}
	argv[first - 1] = argv[0];
	ret = udma_eal_init(argc - first + 1, argv + first - 1);
	if (ret < 0) {
		fprintf(stderr, "vm_pci: udma_eal_init: %s\n", strerror(-ret));
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	udma_eal_cleanup();
	return ret;
}
