/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma inside a DPDK 22.11 application on a real IOMMU, in the guest: DPDK starts
 * first (--no-pci, --iova-mode=va, or pa), udma_dpdk_attach() initialises udma in vfio
 * mode on DPDK's VFIO container (no second /dev/vfio/vfio), udma's PCI layer opens
 * an edu bound to vfio-pci and its group joins that container, and the edu's DMA
 * engine copies real bytes both ways between its buffer and
 *  - rte_malloc memory mapped with udma_map_single() (IOVA = rte_malloc_virt2iova,
 *    no bounce): DPDK maps its memory into its container only for groups it binds
 *    itself, so attach maps it when udma's groups are the ones in the container;
 *  - udma coherent memory;
 *  - memory DPDK adds after attach (a memory event), whose IOVAs must be free in
 *    the container again once DPDK frees it (a probe page maps there).
 *
 * Every mapping udma makes in the container (DPDK's memory too) is counted: udma's
 * count of the mappings the container still takes (udma_dump's "N more available")
 * is the kernel's (VFIO_IOMMU_GET_INFO's DMA_AVAIL, read here from the container
 * fd) right after attach, after DPDK's memory grows and after it shrinks.
 *
 * With dpdk:ADDR DPDK binds a function of its own first (rte_vfio_setup_device):
 * its group is then in the container and DPDK maps its memory itself; attach
 * must neither map it again nor, at detach, unmap what DPDK mapped.
 *
 * usage: vm_dpdk EDU-ADDR INIT-GROUP|dpdk:ADDR [va|pa]
 *   EDU-ADDR: an edu (64-bit dma_mask) bound to vfio-pci, opened through udma's PCI
 *             layer after attach (its group joins the container then)
 *   INIT-GROUP: another vfio-pci group, udma's --vfio-group at init
 *   dpdk:ADDR: another vfio-pci function DPDK sets up itself before attach; udma
 *             takes the other groups under /dev/vfio at init
 *   va|pa: DPDK's --iova-mode (default va); with pa DPDK's IOVAs are physical
 *          addresses, which udma maps in the container as they are
 */
#include <dirent.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_version.h>
#include <rte_vfio.h>

#include "test_common.h"
#include "udma_dpdk.h"
#include "udma_edu.h"
#include "udma_pci.h"

#define XFER UDMA_EDU_MAX_XFER

static const char *g_addr;
static struct udma_edu g_edu;
static int g_fds_after_eal;
static bool g_dpdk_owns, g_detached, g_edu_closed;
static long g_avail_attach[2]; /* right after attach: udma's count, the kernel's */

/* fds of this process open on /dev/vfio/vfio: one per container */
static int container_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char path[300], target[64];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			n += strcmp(target, "/dev/vfio/vfio") == 0;
		}
	}
	closedir(d);
	return n;
}

/* DMAR fault lines in the kernel log naming the edu */
static int dmar_faults(void)
{
	return t_dmar_faults(g_addr, ""); /* reads and writes */
}

/*
 * Is the IOVA page of @iova free in the container, nothing mapped there? A probe
 * page mapped there with VFIO_IOMMU_MAP_DMA answers: it succeeds (then the device
 * reaches the probe: checked, and it is taken back) or fails with EEXIST.
 */
static bool iova_unmapped(uint64_t iova)
{
	static uint8_t probe[4096] __attribute__((aligned(4096)));
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)probe,
		.iova = iova & ~4095ULL,
		.size = sizeof(probe),
	};
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = m.iova, .size = m.size};

	if (ioctl(rte_vfio_get_container_fd(), VFIO_IOMMU_MAP_DMA, &m) != 0) {
		assert_int_equal(errno, EEXIST);
		return false;
	}
	t_fill(probe, 1000, 61);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_TO_DEVICE, m.iova, 0, 1000), 0);
	memset(probe, 0, sizeof(probe));
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_FROM_DEVICE, m.iova + 2000, 0, 1000), 0);
	assert_true(t_check(probe + 2000, 1000, 61));
	assert_int_equal(ioctl(rte_vfio_get_container_fd(), VFIO_IOMMU_UNMAP_DMA, &u), 0);
	assert_int_equal(u.size, sizeof(probe));
	return true;
}

/* the container's DMA_AVAIL as the kernel reports it now (VFIO_IOMMU_GET_INFO) */
static long kernel_avail(void)
{
	int fd = udma_vfio_container_fd();
	struct vfio_iommu_type1_info *info = calloc(1, 4096);
	long avail = -1;

	assert_non_null(info);
	info->argsz = 4096;
	assert_int_equal(ioctl(fd, VFIO_IOMMU_GET_INFO, info), 0);
	assert_true(info->argsz <= 4096);
	assert_true(info->flags & VFIO_IOMMU_INFO_CAPS);
	for (uint32_t off = info->cap_offset; off; ) {
		const struct vfio_info_cap_header *h = (const void *)((uint8_t *)info + off);

		if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			avail = ((const struct vfio_iommu_type1_info_dma_avail *)h)->avail;
		off = h->next;
	}
	free(info);
	assert_true(avail >= 0); /* the guest's kernel (6.1) reports it */
	return avail;
}

/* udma's count, as udma_dump() reports it: "..., N more available" on the vfio line */
static long udma_avail(void)
{
	char *buf = t_dump(), *line;
	long avail = -2;

	line = strstr(buf, "vfio: container");
	assert_non_null(line);
	line = strstr(line, " more available\n");
	assert_non_null(line);
	while (line > buf && line[-1] != ' ')
		line--;
	avail = strtol(line, NULL, 10);
	free(buf);
	assert_true(avail >= 0);
	return avail;
}

static uint64_t bounces(void)
{
	struct udma_swiotlb_stats st;

	assert_int_equal(udma_swiotlb_stats(&st), 0);
	return st.bounces;
}

/* one container: DPDK's, and nobody opened a second */
static void test_one_container(void **state)
{
	(void)state;
	printf("containers: %d fd(s) on /dev/vfio/vfio after rte_eal_init, %d now; DPDK's "
	       "container fd %d, udma's %d\n", g_fds_after_eal, container_fds(),
	       rte_vfio_get_container_fd(), udma_vfio_container_fd());
	assert_int_equal(g_fds_after_eal, 1);
	assert_int_equal(container_fds(), 1);
	assert_true(rte_vfio_get_container_fd() >= 0);
	assert_int_equal(udma_vfio_container_fd(), rte_vfio_get_container_fd());
	assert_int_equal(container_fds(), 1);
}

/*
 * udma counts every mapping it makes in the container: its count is the kernel's
 * after attach mapped DPDK's memory, after DPDK's memory grows (an ALLOC event:
 * new pages mapped) and after it shrinks again (a FREE event: they go).
 */
static void test_dma_entries(void **state)
{
	const size_t big = 48 << 20; /* beyond DPDK's -m 32: new pages */
	long u0, k0, u1, k1, u2, k2;
	uint8_t *p;

	(void)state;
	printf("DMA mappings available after attach: udma %ld, kernel %ld\n", g_avail_attach[0],
	       g_avail_attach[1]);
	assert_int_equal(g_avail_attach[0], g_avail_attach[1]);
	u0 = udma_avail();
	k0 = kernel_avail();
	p = rte_malloc("vm_count", big, 1 << 21);
	assert_non_null(p);
	u1 = udma_avail();
	k1 = kernel_avail();
	rte_free(p);
	u2 = udma_avail();
	k2 = kernel_avail();
	printf("DMA mappings available: udma/kernel %ld/%ld, after rte_malloc(%zu MiB) "
	       "%ld/%ld, after rte_free %ld/%ld\n", u0, k0, big >> 20, u1, k1, u2, k2);
	assert_int_equal(u0, k0);
	assert_int_equal(u1, k1);
	assert_int_equal(u2, k2);
	assert_true(k1 < k0); /* the new pages took mappings */
	assert_int_equal(k2, k0); /* and gave them back */
}

/* rte_malloc -> edu -> another rte_malloc buffer, each mapped with udma_map_single
 * at DPDK's IOVA, no bounce */
static void test_rte_malloc_both_ways(void **state)
{
	uint8_t *src = rte_malloc("vm_src", 8192, 4096), *dst = rte_malloc("vm_dst", 8192, 4096);
	uint64_t b0 = bounces();
	udma_addr_t hs, hd;
	int faults = dmar_faults();

	(void)state;
	assert_non_null(src);
	assert_non_null(dst);
	t_fill(src + 100, XFER, 21);
	memset(dst, 0xee, 8192);
	hs = udma_map_single(g_edu.dev, src + 100, XFER, UDMA_TO_DEVICE);
	hd = udma_map_single(g_edu.dev, dst + 200, XFER, UDMA_FROM_DEVICE);
	printf("rte_malloc: src %p iova %#llx (DPDK %#llx), dst %p iova %#llx (DPDK %#llx)\n",
	       (void *)src, (unsigned long long)hs, (unsigned long long)rte_malloc_virt2iova(src),
	       (void *)dst, (unsigned long long)hd, (unsigned long long)rte_malloc_virt2iova(dst));
	assert_int_equal(hs, rte_malloc_virt2iova(src) + 100);
	assert_int_equal(hd, rte_malloc_virt2iova(dst) + 200);
	assert_int_equal(bounces(), b0); /* a translation, not a bounce */
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_TO_DEVICE, hs, 0, XFER), 0);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_FROM_DEVICE, hd, 0, XFER), 0);
	udma_unmap_single(g_edu.dev, hs, XFER, UDMA_TO_DEVICE);
	udma_unmap_single(g_edu.dev, hd, XFER, UDMA_FROM_DEVICE);
	printf("DMAR faults: %d before, %d after\n", faults, dmar_faults());
	assert_int_equal(dmar_faults(), faults);
	assert_true(t_check(dst + 200, XFER, 21));
	assert_int_equal(dst[199], 0xee);
	assert_int_equal(dst[200 + XFER], 0xee);
	rte_free(src);
	rte_free(dst);
}

/* rte_malloc -> edu -> udma coherent, and coherent -> edu -> rte_malloc */
static void test_rte_malloc_coherent(void **state)
{
	uint8_t *r = rte_malloc("vm_r", 4096, 4096), *c;
	udma_addr_t hc, hr;
	int faults = dmar_faults();

	(void)state;
	c = udma_alloc_coherent(g_edu.dev, 4096, &hc, UDMA_GFP_KERNEL);
	assert_non_null(r);
	assert_non_null(c);
	t_fill(r, XFER, 31);
	memset(c, 0xee, 4096);
	hr = udma_map_single(g_edu.dev, r, XFER, UDMA_TO_DEVICE);
	assert_int_equal(hr, rte_malloc_virt2iova(r));
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_TO_DEVICE, hr, 0, XFER), 0);
	udma_unmap_single(g_edu.dev, hr, XFER, UDMA_TO_DEVICE);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_FROM_DEVICE, hc, 0, XFER), 0);
	assert_true(t_check(c, XFER, 31));
	assert_int_equal(c[XFER], 0xee);

	t_fill(c, 3000, 32);
	memset(r, 0xee, 4096);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_TO_DEVICE, hc, 1000, 3000), 0);
	hr = udma_map_single(g_edu.dev, r + 50, 3000, UDMA_FROM_DEVICE);
	assert_int_equal(hr, rte_malloc_virt2iova(r) + 50);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_FROM_DEVICE, hr, 1000, 3000), 0);
	udma_unmap_single(g_edu.dev, hr, 3000, UDMA_FROM_DEVICE);
	assert_true(t_check(r + 50, 3000, 32));
	assert_int_equal(r[49], 0xee);
	assert_int_equal(r[3050], 0xee);
	assert_int_equal(dmar_faults(), faults);
	udma_free_coherent(g_edu.dev, 4096, c, hc);
	rte_free(r);
}

/* memory DPDK adds after attach is reachable; once DPDK frees it, it is not */
static void test_memory_events(void **state)
{
	const size_t big = 48 << 20; /* beyond DPDK's -m 32: new pages, an ALLOC event */
	unsigned int regions = udma_dpdk_nr_regions();
	uint8_t *p = rte_malloc("vm_big", big, 1 << 21), *tail;
	udma_addr_t h, gone;
	int faults = dmar_faults();

	(void)state;
	assert_non_null(p);
	tail = p + big - 8192;
	printf("memory events: %u registrations before, %u with %zu MiB more\n", regions,
	       udma_dpdk_nr_regions(), big >> 20);
	t_fill(tail, XFER, 41);
	h = udma_map_single(g_edu.dev, tail, XFER, UDMA_TO_DEVICE);
	assert_int_equal(h, rte_mem_virt2iova(tail));
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_TO_DEVICE, h, 0, XFER), 0);
	udma_unmap_single(g_edu.dev, h, XFER, UDMA_TO_DEVICE);
	memset(tail, 0, XFER);
	h = udma_map_single(g_edu.dev, tail + 4096, XFER, UDMA_FROM_DEVICE);
	assert_int_equal(udma_edu_dma(&g_edu, UDMA_FROM_DEVICE, h, 0, XFER), 0);
	udma_unmap_single(g_edu.dev, h, XFER, UDMA_FROM_DEVICE);
	assert_true(t_check(tail + 4096, XFER, 41));
	assert_int_equal(dmar_faults(), faults);

	/* DPDK gives the pages back: nothing may stay mapped at their IOVAs (the
	 * container would keep them pinned and the device would reach freed memory) */
	gone = rte_mem_virt2iova(tail);
	assert_false(iova_unmapped(gone));
	rte_free(p);
	printf("memory events: %u registrations after rte_free; IOVA %#llx %s\n",
	       udma_dpdk_nr_regions(), (unsigned long long)gone,
	       iova_unmapped(gone) ? "unmapped" : "STILL MAPPED");
	assert_int_equal(udma_dpdk_nr_regions(), regions);
	assert_true(iova_unmapped(gone));
}

/* udma_dpdk_detach() (which ends udma here: attach initialised it) leaves DPDK's
 * container open and, with a DPDK group in it, DPDK's own mappings in place */
static void test_detach(void **state)
{
	uint8_t *r = rte_malloc("vm_det", 4096, 4096);
	uint64_t iova;

	(void)state;
	assert_non_null(r);
	iova = rte_malloc_virt2iova(r);
	assert_false(iova_unmapped(iova));
	udma_edu_close(&g_edu);
	g_edu_closed = true;
	assert_int_equal(udma_dpdk_detach(), 0);
	g_detached = true;
	assert_int_equal(container_fds(), 1);
	assert_true(fcntl(rte_vfio_get_container_fd(), F_GETFD) != -1);
	if (g_dpdk_owns) {
		printf("after detach, DPDK's IOVA %#llx is still mapped (DPDK's own mapping)\n",
		       (unsigned long long)iova);
		assert_false(iova_unmapped(iova)); /* EEXIST: no DMA through the closed edu */
	}
	rte_free(r);
}

static int setup(void **state)
{
	struct udma_pci_info info;

	(void)state;
	if (udma_edu_open(&g_edu, g_addr, UDMA_BIT_MASK(64)) != 0 ||
	    udma_pci_info(g_edu.pdev, &info) != 0)
		return -1;
	printf("%s: IOMMU group %d, through %s; udma: %s\n", info.addr, info.iommu_group,
	       info.access == UDMA_PCI_ACCESS_VFIO ? "VFIO" : "sysfs", udma_iova_mode_reason());
	udma_dump(stdout);
	return info.access == UDMA_PCI_ACCESS_VFIO ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (!g_edu_closed)
		udma_edu_close(&g_edu);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_container),
		cmocka_unit_test(test_dma_entries),
		cmocka_unit_test(test_rte_malloc_both_ways),
		cmocka_unit_test(test_rte_malloc_coherent),
		cmocka_unit_test(test_memory_events),
		cmocka_unit_test(test_detach),
	};
	char dmode[32];
	char *dargv[] = {"vm_dpdk", "--no-pci", "--no-telemetry", "-l", "0", "-m", "32",
			 dmode, "--file-prefix=vm_dpdk", "--log-level=lib.eal:notice", NULL};
	char group[32];
	char *uargv[] = {"vm_dpdk", "--iova-mode=vfio", "-m", "16", "--file-prefix=vm_dpdk_udma",
			 "--log-level=6", group, NULL};
	int uargc = (int)(sizeof(uargv) / sizeof(uargv[0])) - 1;
	int ret;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "va") != 0 &&
					strcmp(argv[3], "pa") != 0)) {
		fprintf(stderr, "usage: vm_dpdk EDU-ADDR INIT-GROUP|dpdk:ADDR [va|pa]\n");
		return 2;
	}
	snprintf(dmode, sizeof(dmode), "--iova-mode=%s", argc == 4 ? argv[3] : "va");
	g_addr = argv[1];
	g_dpdk_owns = strncmp(argv[2], "dpdk:", 5) == 0;
	snprintf(group, sizeof(group), "--vfio-group=%s", argv[2]);
	if (g_dpdk_owns)
		uargc--; /* every group under /dev/vfio but DPDK's (open there: EBUSY, skipped) */
	if (rte_eal_init((int)(sizeof(dargv) / sizeof(dargv[0])) - 1, dargv) < 0) {
		fprintf(stderr, "vm_dpdk: rte_eal_init failed\n");
		return 1;
	}
	if (argc == 4 && strcmp(argv[3], "pa") == 0 && rte_eal_iova_mode() != RTE_IOVA_PA) {
		fprintf(stderr, "vm_dpdk: DPDK is not in IOVA mode pa\n");
		return 1;
	}
	g_fds_after_eal = container_fds();
	if (g_dpdk_owns) {
		struct vfio_device_info info = {.argsz = sizeof(info)};
		int fd;

		if (rte_vfio_setup_device("/sys/bus/pci/devices", argv[2] + 5, &fd, &info) != 0) {
			fprintf(stderr, "vm_dpdk: rte_vfio_setup_device(%s) failed\n", argv[2] + 5);
			return 1;
		}
		printf("DPDK set up %s itself: device fd %d\n", argv[2] + 5, fd);
	}
	if (udma_dpdk_attach(uargc, uargv) != 0) {
		fprintf(stderr, "vm_dpdk: udma_dpdk_attach failed\n");
		return 1;
	}
	/* before the edu's group joins (udma reads the kernel's count again then) */
	g_avail_attach[0] = udma_avail();
	g_avail_attach[1] = kernel_avail();
	printf("DPDK %s, IOVA mode %s; udma %s, %u registration(s) of DPDK memory\n",
	       rte_version(), rte_eal_iova_mode() == RTE_IOVA_VA ? "va" : "pa",
	       udma_iova_mode_name(udma_iova_mode()), udma_dpdk_nr_regions());
	ret = cmocka_run_group_tests(tests, setup, teardown);
	printf("edu DMAs completed: %llu\n", (unsigned long long)g_edu.dmas);
	if (!g_detached && udma_dpdk_detach() != 0)
		ret = 1;
	if (udma_eal_initialized())
		udma_eal_cleanup();
	rte_eal_cleanup();
	return ret;
}
