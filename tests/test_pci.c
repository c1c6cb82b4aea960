/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI layer against a fake sysfs tree (udma_set_sysfs_pci_root) and the fake
 * VFIO of fake_vfio.h: functions opened through VFIO share udma's container and
 * group fds, regions come from the device fd, BARs map at their offsets, config
 * space reads and writes reach the device, bus mastering and reset work; through
 * sysfs the resource and config files serve. Every error says what to do.
 */
#include <sys/stat.h>

#include "test_common.h"

#include "fake_vfio.h"

static char g_root[256], g_devs[300];

static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void putstr(const char *dir, const char *name, const char *s)
{
	put(dir, name, s, strlen(s));
}

static void link_to(const char *target, const char *dir, const char *name)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(symlink(target, path), 0);
}

/* a function: ids, node, config (vendor/device), BAR0 as resource0, group, driver */
static void make_fn(const char *addr, int group, const char *driver, const char *node)
{
	char dir[400], path[600], cfg[256] = {0x34, 0x12, 0xe8, 0x11};
	char bar0[4096] = {0};
	static const char resource[] =
		"0x00000000fea00000 0x00000000fea00fff 0x0000000000040200\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x000000000000c000 0x000000000000c01f 0x0000000000040101\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n";

	snprintf(dir, sizeof(dir), "%s/%s", g_devs, addr);
	assert_int_equal(mkdir(dir, 0755), 0);
	putstr(dir, "vendor", "0x1234\n");
	putstr(dir, "device", "0x11e8\n");
	putstr(dir, "class", "0x00ff00\n");
	putstr(dir, "numa_node", node);
	put(dir, "config", cfg, sizeof(cfg));
	put(dir, "resource", resource, strlen(resource));
	put(dir, "resource0", bar0, sizeof(bar0));
	put(dir, "reset", "", 0);
	if (group >= 0) {
		char gdir[400];

		snprintf(gdir, sizeof(gdir), "%s/groups/%d", g_root, group);
		mkdir(gdir, 0755);
		snprintf(path, sizeof(path), "%s/devices", gdir);
		mkdir(path, 0755);
		link_to(dir, path, addr);
		link_to(gdir, dir, "iommu_group");
	}
	if (driver) {
		snprintf(path, sizeof(path), "%s/drivers/%s", g_root, driver);
		mkdir(path, 0755);
		link_to(path, dir, "driver");
	}
}

static int tree_setup(void **s)
{
	char path[400];

	(void)s;
	snprintf(g_root, sizeof(g_root), "/tmp/udma-test-pci.XXXXXX");
	assert_non_null(mkdtemp(g_root));
	snprintf(g_devs, sizeof(g_devs), "%s/devices", g_root);
	assert_int_equal(mkdir(g_devs, 0755), 0);
	snprintf(path, sizeof(path), "%s/groups", g_root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/drivers", g_root);
	assert_int_equal(mkdir(path, 0755), 0);
	make_fn("0000:00:03.0", 7, "vfio-pci", "0\n");
	make_fn("0000:00:03.1", 7, "e1000e", "0\n");   /* makes group 7 not viable when bound */
	make_fn("0000:00:04.0", 8, "vfio-pci", "3\n");  /* a node udma does not see */
	make_fn("0000:00:05.0", 9, "e1000e", "-1\n");
	make_fn("0000:00:06.0", -1, NULL, "-1\n");       /* no IOMMU group, no driver */
	assert_int_equal(udma_set_sysfs_pci_root(g_devs), 0);
	return 0;
}

static int tree_teardown(void **s)
{
	char cmd[300];

	(void)s;
	udma_set_sysfs_pci_root(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int init_vfio(void)
{
	return t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
			   "--swiotlb-size=1", "--log-level=2", NULL);
}

static uint16_t dev_cfg16(int dev_fd, size_t off)
{
	struct vfio_region_info ri;
	uint16_t v = 0;

	fv_region(VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	assert_int_equal(pread(dev_fd, &v, 2, (off_t)(ri.offset + off)), 2);
	return v;
}

static void test_pci_vfio(void **s)
{
	struct udma_pci_device *p, *q;
	struct udma_pci_info info;
	struct udma_pci_region r;
	struct udma_device *d;
	uint32_t id = 0, word = 0xdeadbeef, back = 0;
	volatile uint32_t *bar;
	uint8_t *mem, buf[64];
	udma_addr_t h;
	size_t len = 0;

	(void)s;
	assert_true(init_vfio() >= 0);
	p = udma_pci_open("0000:00:03.0", UDMA_PCI_ACCESS_AUTO);
	assert_non_null(p);
	assert_int_equal(udma_pci_info(p, &info), 0);
	assert_string_equal(info.addr, "0000:00:03.0");
	assert_int_equal(info.vendor_id, 0x1234);
	assert_int_equal(info.device_id, 0x11e8);
	assert_int_equal(info.class_code, 0x00ff00);
	assert_int_equal(info.iommu_group, 7);
	assert_int_equal(info.numa_node, 0);
	assert_int_equal(info.access, UDMA_PCI_ACCESS_VFIO);
	/* the fds: the group fd is the one init opened (a group node opens once) */
	assert_int_equal(udma_pci_group_fd(p), FV_GROUP_FD(7));
	assert_int_equal(udma_vfio_container_fd(), FV_CONTAINER);
	assert_true(udma_pci_device_fd(p) >= 0);
	assert_int_equal(udma_pci_device_fd(p), F.g[0].dev_fd);
	/* regions from VFIO_DEVICE_GET_REGION_INFO */
	assert_int_equal(udma_pci_region_info(p, UDMA_PCI_BAR0, &r), 0);
	assert_int_equal(r.size, FV_BAR0_SIZE);
	assert_int_equal(r.offset, 1 << 20);
	assert_true(r.flags & UDMA_PCI_REGION_MMAP);
	assert_int_equal(udma_pci_region_info(p, UDMA_PCI_BAR0 + 2, &r), 0);
	assert_int_equal(r.size, FV_BAR2_SIZE);
	assert_false(r.flags & UDMA_PCI_REGION_MMAP);
	assert_int_equal(udma_pci_region_info(p, UDMA_PCI_CONFIG, &r), 0);
	assert_int_equal(r.size, FV_CFG_SIZE);
	/* BAR0 mapped at its offset in the device fd: a store lands in the device */
	bar = udma_pci_bar_map(p, 0, &len);
	assert_non_null(bar);
	assert_int_equal(len, FV_BAR0_SIZE);
	bar[2] = word;
	assert_int_equal(pread(udma_pci_device_fd(p), &back, 4, (1 << 20) + 8), 4);
	assert_int_equal(back, word);
	assert_ptr_equal(udma_pci_bar_map(p, 0, NULL), (void *)bar); /* mapped once */
	assert_null(udma_pci_bar_map(p, 2, NULL)); /* IO ports: not mappable */
	assert_int_equal(errno, EINVAL);
	assert_null(udma_pci_bar_map(p, 1, NULL)); /* absent */
	/* config space through the config region */
	assert_int_equal(udma_pci_cfg_read(p, &id, 4, 0), 4);
	assert_int_equal(id, 0x11e81234);
	assert_int_equal(dev_cfg16(udma_pci_device_fd(p), 4), 0x2); /* memory decode on, not master */
	assert_int_equal(udma_pci_set_bus_master(p, 1), 0);
	assert_true(dev_cfg16(udma_pci_device_fd(p), 4) & 0x4);
	assert_int_equal(udma_pci_set_bus_master(p, 0), 0);
	assert_false(dev_cfg16(udma_pci_device_fd(p), 4) & 0x4);
	assert_int_equal(udma_pci_set_bus_master(p, 1), 0);
	assert_int_equal(udma_pci_reset(p), 0); /* VFIO_DEVICE_RESET: the command register clears */
	assert_int_equal(F.resets, 1);
	assert_false(dev_cfg16(udma_pci_device_fd(p), 4) & 0x4);
	/* the udma_device: named by the address, on the function's node; DMA through it */
	d = udma_pci_dma_device(p);
	assert_non_null(d);
	assert_string_equal(udma_device_name(d), "0000:00:03.0");
	assert_int_equal(udma_device_numa_node(d), 0);
	assert_int_equal(udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64)), 0);
	mem = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);
	assert_non_null(mem);
	t_fill(mem, 64, 11);
	assert_int_equal(fv_dev_read(h, buf, 64), 0);
	assert_true(t_check(buf, 64, 11));
	udma_free_coherent(d, 4096, mem, h);
	/* a function in another group: that group joins the same container */
	q = udma_pci_open("04:00.0", UDMA_PCI_ACCESS_VFIO); /* no such function */
	assert_null(q);
	q = udma_pci_open("00:04.0", UDMA_PCI_ACCESS_VFIO);
	assert_non_null(q);
	assert_int_equal(F.g[1].attached_to, FV_CONTAINER);
	assert_int_equal(udma_pci_group_fd(q), FV_GROUP_FD(8));
	assert_int_equal(udma_pci_info(q, &info), 0);
	assert_int_equal(info.numa_node, 3); /* sysfs says 3, udma sees one node: */
	assert_true(udma_device_numa_node(udma_pci_dma_device(q)) >= 0);
	/* one open per function */
	assert_null(udma_pci_open("0000:00:03.0", UDMA_PCI_ACCESS_AUTO));
	assert_int_equal(errno, EBUSY);
	udma_pci_close(q); /* group 8 leaves the container */
	assert_int_equal(F.g[1].open, 0);
	assert_int_equal(F.g[1].attached_to, 0);
	assert_int_equal(F.g[1].dev_fd, -1);
	udma_pci_close(p); /* group 7 came from init: it stays */
	assert_int_equal(F.g[0].attached_to, FV_CONTAINER);
	assert_int_equal(F.g[0].dev_fd, -1);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.open_fds, 0);
}

/* bad arguments and wrong setups: NULL/-errno, one log line each, nothing lost */
static void test_pci_errors(void **s)
{
	static const char *const bad[] = {"", "zz", "0000:00:20.0", "0000:00:03.8",
					  "10000:00:03.0", "0000:00:03.0x", "0000:100:03.0"};
	struct udma_pci_device *p;
	struct udma_pci_info info;
	struct udma_pci_region r;
	struct t_log l;
	char *text, junk[64] = {0}, buf[8];

	(void)s;
	assert_null(udma_pci_open("0000:00:03.0", UDMA_PCI_ACCESS_AUTO)); /* not initialised */
	assert_int_equal(errno, ENODEV);
	assert_true(init_vfio() >= 0);
	p = udma_pci_open("0000:00:03.0", UDMA_PCI_ACCESS_AUTO);
	assert_non_null(p);
	t_log_begin(&l);
	assert_null(udma_pci_open(NULL, UDMA_PCI_ACCESS_AUTO));
	assert_int_equal(errno, EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(udma_pci_open(bad[i], UDMA_PCI_ACCESS_AUTO));
		assert_int_equal(errno, EINVAL);
	}
	assert_null(udma_pci_open("0000:00:04.0", (enum udma_pci_access)7));
	assert_int_equal(errno, EINVAL);
	/* bad device pointers: refused, no crash */
	assert_int_equal(udma_pci_info((void *)junk, &info), -EINVAL);
	assert_int_equal(udma_pci_info(p, NULL), -EINVAL);
	assert_null(udma_pci_dma_device(NULL));
	assert_int_equal(udma_pci_region_info(p, UDMA_PCI_NUM_REGIONS, &r), -EINVAL);
	assert_int_equal(udma_pci_region_info(p, 0, NULL), -EINVAL);
	assert_null(udma_pci_bar_map((void *)junk, 0, NULL));
	assert_null(udma_pci_bar_map(p, 6, NULL));
	assert_int_equal(udma_pci_cfg_read(p, buf, 8, FV_CFG_SIZE - 4), -EINVAL);
	assert_int_equal(udma_pci_cfg_read(p, NULL, 8, 0), -EINVAL);
	assert_int_equal(udma_pci_cfg_write(p, buf, 0, 0), -EINVAL);
	assert_int_equal(udma_pci_cfg_write(p, buf, 2, SIZE_MAX), -EINVAL);
	assert_int_equal(udma_pci_set_bus_master(NULL, 1), -EINVAL);
	assert_int_equal(udma_pci_reset((void *)junk), -EINVAL);
	assert_int_equal(udma_pci_device_fd(NULL), -1);
	assert_int_equal(udma_pci_group_fd((void *)junk), -1);
	udma_pci_close((void *)junk);
	text = t_log_end(&l);
	assert_int_equal(t_count(text, "\n"), 25); /* one line each */
	free(text);
	/* the function is still fine */
	assert_int_equal(udma_pci_cfg_read(p, buf, 2, 0), 2);
	/* wrong setups: each error says what to do */
	t_log_begin(&l);
	assert_null(udma_pci_open("0000:00:09.0", UDMA_PCI_ACCESS_AUTO));
	assert_int_equal(errno, ENODEV);
	assert_null(udma_pci_open("0000:00:05.0", UDMA_PCI_ACCESS_AUTO)); /* bound to e1000e */
	assert_int_equal(errno, ENODEV);
	assert_null(udma_pci_open("0000:00:06.0", UDMA_PCI_ACCESS_AUTO)); /* no IOMMU group */
	assert_null(udma_pci_open("0000:00:06.0", UDMA_PCI_ACCESS_SYSFS)); /* vfio mode */
	assert_int_equal(errno, ENOTSUP);
	text = t_log_end(&l);
	assert_non_null(strstr(text, "lspci"));
	assert_non_null(strstr(text, "driver_override"));
	assert_non_null(strstr(text, "0000:00:05.0/driver/unbind"));
	assert_non_null(strstr(text, "intel_iommu=on"));
	assert_non_null(strstr(text, "open it through VFIO"));
	free(text);
	udma_pci_close(p);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.open_fds, 0);
	/* a group that is not viable: the other devices in it are named */
	F.g[1].viable = 0;
	assert_true(init_vfio() >= 0);
	t_log_begin(&l);
	assert_null(udma_pci_open("0000:00:04.0", UDMA_PCI_ACCESS_VFIO));
	text = t_log_end(&l);
	assert_non_null(strstr(text, "not viable"));
	assert_non_null(strstr(text, "0000:00:04.0 (vfio-pci)"));
	free(text);
	assert_int_equal(F.g[1].open, 0); /* closed again */
	/* a group held elsewhere (another process): EBUSY, and how to hand it over */
	F.g[1].viable = 1;
	assert_int_equal(fake_open("/dev/vfio/8", O_RDWR), FV_GROUP_FD(8));
	t_log_begin(&l);
	assert_null(udma_pci_open("0000:00:04.0", UDMA_PCI_ACCESS_VFIO));
	assert_int_equal(errno, EBUSY);
	text = t_log_end(&l);
	assert_non_null(strstr(text, "udma_vfio_adopt_group"));
	free(text);
	/* handed over: used, not closed by udma */
	assert_int_equal(udma_vfio_adopt_group(8, -1), -EINVAL);
	assert_int_equal(udma_vfio_adopt_group(8, FV_GROUP_FD(8)), 0);
	assert_int_equal(udma_vfio_adopt_group(8, FV_GROUP_FD(8)), -EEXIST);
	p = udma_pci_open("0000:00:04.0", UDMA_PCI_ACCESS_VFIO);
	assert_non_null(p);
	assert_int_equal(udma_pci_group_fd(p), FV_GROUP_FD(8));
	udma_pci_close(p);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.g[1].open, 1);
	assert_int_equal(udma_vfio_adopt_group(8, FV_GROUP_FD(8)), -ENODEV);
	fake_close(FV_GROUP_FD(8));
	assert_int_equal(F.open_fds, 0);
}

/* without an IOMMU: resourceN and config files, and a warning */
static void test_pci_sysfs(void **s)
{
	struct udma_pci_device *p;
	struct udma_pci_info info;
	struct udma_pci_region r;
	struct t_log l;
	char path[400], *text, rst[4] = {0};
	volatile uint32_t *bar;
	uint32_t id = 0, v = 0;
	uint16_t cmd = 0;
	size_t len;
	FILE *f;
	int fd;

	(void)s;
	assert_true(t_init_args("--iova-mode=sim", "-m", "4", "--log-level=2", NULL) >= 0);
	assert_null(udma_pci_open("0000:00:06.0", UDMA_PCI_ACCESS_VFIO)); /* sim mode */
	assert_int_equal(errno, ENOTSUP);
	t_log_begin(&l);
	udma_log_set_level(UDMA_LOG_WARNING);
	p = udma_pci_open("0000:00:06.0", UDMA_PCI_ACCESS_AUTO);
	text = t_log_end(&l);
	assert_non_null(p);
	assert_non_null(strstr(text, "NOT isolated"));
	free(text);
	assert_int_equal(udma_pci_info(p, &info), 0);
	assert_int_equal(info.access, UDMA_PCI_ACCESS_SYSFS);
	assert_int_equal(info.iommu_group, -1);
	assert_int_equal(udma_pci_device_fd(p), -1);
	assert_int_equal(udma_pci_group_fd(p), -1);
	/* regions from the resource file */
	assert_int_equal(udma_pci_region_info(p, 0, &r), 0);
	assert_int_equal(r.size, 4096);
	assert_true(r.flags & UDMA_PCI_REGION_MMAP);
	assert_int_equal(udma_pci_region_info(p, 2, &r), 0);
	assert_int_equal(r.size, 32);
	assert_false(r.flags & UDMA_PCI_REGION_MMAP); /* IO ports */
	assert_int_equal(udma_pci_region_info(p, 1, &r), 0);
	assert_int_equal(r.size, 0);
	/* BAR0 is resource0 */
	bar = udma_pci_bar_map(p, 0, &len);
	assert_non_null(bar);
	assert_int_equal(len, 4096);
	bar[4] = 0x5a5a1234;
	snprintf(path, sizeof(path), "%s/0000:00:06.0/resource0", g_devs);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &v, 4, 16), 4);
	close(fd);
	assert_int_equal(v, 0x5a5a1234);
	/* config is the config file */
	assert_int_equal(udma_pci_cfg_read(p, &id, 4, 0), 4);
	assert_int_equal(id, 0x11e81234);
	assert_int_equal(udma_pci_set_bus_master(p, 1), 0);
	snprintf(path, sizeof(path), "%s/0000:00:06.0/config", g_devs);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, &cmd, 2, 4), 2);
	close(fd);
	assert_true(cmd & 0x4);
	assert_int_equal(udma_pci_reset(p), 0);
	snprintf(path, sizeof(path), "%s/0000:00:06.0/reset", g_devs);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(rst, 1, 3, f), 1);
	fclose(f);
	assert_string_equal(rst, "1");
	/* left open: cleanup closes it, and says so */
	t_log_begin(&l);
	udma_log_set_level(UDMA_LOG_WARNING);
	assert_int_equal(udma_eal_cleanup(), 0);
	text = t_log_end(&l);
	assert_non_null(strstr(text, "still open at cleanup"));
	free(text);
}

/*
 * Sharing with DPDK: the application's container already has a group and its
 * IOMMU, and a mapping of its own where udma would allocate. udma joins it, steps
 * around the mapping (EEXIST), uses the application's group fd for a function of
 * that group, and at cleanup leaves the container, the group and the mapping as
 * they were.
 */
static void test_pci_shared_container(void **s)
{
	static uint8_t app_mem[4 << 20] __attribute__((aligned(4096)));
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)app_mem, .iova = 0x400000, .size = sizeof(app_mem)};
	struct udma_pci_device *p;
	struct udma_device *d;
	int c, g8, c2;
	uint8_t *mem;
	udma_addr_t h;

	(void)s;
	fake_aperture_vtd(39);
	c = fake_open("/dev/vfio/vfio", O_RDWR);
	g8 = fake_open("/dev/vfio/8", O_RDWR);
	assert_int_equal(fake_ioctl(g8, VFIO_GROUP_SET_CONTAINER, (uintptr_t)&c), 0);
	assert_int_equal(fake_ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(fake_ioctl(c, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m), 0);
	assert_int_equal(udma_vfio_set_container(c), 0);
	assert_true(init_vfio() >= 0);
	assert_int_equal(udma_vfio_container_fd(), c);
	assert_int_equal(F.g[0].attached_to, c); /* udma's group joined the app's container */
	for (int i = 1; i < F.nmap; i++)         /* udma's mappings step around the app's */
		assert_true(F.map[i].iova >= 0x800000 || F.map[i].iova + F.map[i].size <= 0x400000);
	/* the function of the application's group: EBUSY, then through its fd */
	assert_null(udma_pci_open("0000:00:04.0", UDMA_PCI_ACCESS_VFIO));
	assert_int_equal(errno, EBUSY);
	assert_int_equal(udma_vfio_adopt_group(8, g8), 0);
	p = udma_pci_open("0000:00:04.0", UDMA_PCI_ACCESS_VFIO);
	assert_non_null(p);
	assert_int_equal(udma_pci_group_fd(p), g8);
	d = udma_pci_dma_device(p);
	assert_int_equal(udma_set_mask_and_coherent(d, UDMA_BIT_MASK(39)), 0);
	mem = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);
	assert_non_null(mem);
	assert_ptr_equal(fv_translate(h, 4096), mem);
	assert_true(h >= 0x800000); /* the first range tried, 0x400000, was the app's: EEXIST */
	udma_free_coherent(d, 4096, mem, h);
	udma_pci_close(p);
	assert_int_equal(udma_eal_cleanup(), 0);
	/* as found: the container, its IOMMU, group 8 and the app's one mapping */
	assert_int_equal(F.nmap, 1);
	assert_int_equal(F.map[0].iova, 0x400000);
	assert_int_equal(F.iommu_set, 1);
	assert_int_equal(F.g[1].attached_to, c);
	assert_int_equal(F.g[0].open, 0);
	c2 = udma_vfio_set_container(-1);
	assert_int_equal(c2, 0);
	fake_close(g8);
	fake_close(c);
	assert_int_equal(F.open_fds, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pci_vfio, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_pci_errors, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_pci_sysfs, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_pci_shared_container, fv_setup, fv_teardown),
	};

	return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
