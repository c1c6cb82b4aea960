/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI functions: opened through VFIO (the group joins the vfio backend's
 * container, the device fd gives regions, BARs, config space and reset) or
 * through sysfs (resourceN, config: no isolation). Every function gets a
 * udma_device on its NUMA node.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dma_private.h"
#include "eal_private.h"
#include "iova_vfio.h"
#include "udma_pci.h"

#define PCI_MAGIC 0x7564706369646576ULL
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define NBARS 6
#define IORESOURCE_IO 0x100
#define IORESOURCE_MEM 0x200

struct udma_pci_device {
	uint64_t magic;
	struct udma_pci_device *next;
	struct udma_pci_info info;
	struct udma_device *dev;
	char dir[512];         /* sysfs directory of the function */
	int group_fd, dev_fd;  /* VFIO */
	int cfg_fd;            /* sysfs config */
	bool can_reset;        /* VFIO: FLR, PM or bus reset (sysfs: the reset file says) */
	struct udma_pci_region region[UDMA_PCI_NUM_REGIONS];
	void *bar[NBARS];
	size_t bar_len[NBARS];
	pthread_mutex_t lock;  /* BAR maps */
};

/* The PCI layer's state: the functions open now. */
static struct pci_state {
	pthread_mutex_t lock;
	struct udma_pci_device *open;
} g_pci = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool pdev_ok(const struct udma_pci_device *p, const char *fn)
{
	uint64_t magic = 0;

	if (p != NULL)
		memcpy(&magic, p, sizeof(magic));
	if (magic == PCI_MAGIC)
		return true;
	udma_log(UDMA_LOG_ERR, "%s(): invalid PCI device %p", fn, (const void *)p);
	return false;
}

/* "DDDD:BB:DD.F" or "BB:DD.F" to the canonical form; 0 or -EINVAL */
static int parse_addr(const char *s, char out[16])
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	if (s == NULL || strlen(s) > 12)
		return -EINVAL;
	if (sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return -EINVAL;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, 16, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

/* the first line of @dir/@name, trimmed; 0 or -errno */
static int read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[640];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static long read_num(const char *dir, const char *name, long dflt)
{
	char buf[64];

	return read_attr(dir, name, buf, sizeof(buf)) == 0 ? strtol(buf, NULL, 0) : dflt;
}

/* basename of the symlink @path (relative to @dfd) into @out ("" when absent) */
static void link_base_at(int dfd, const char *path, char *out, size_t len)
{
	char target[512];
	ssize_t n;
	const char *b;

	out[0] = '\0';
	n = readlinkat(dfd, path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	b = strrchr(target, '/');
	b = b ? b + 1 : target;
	if (strlen(b) < len)
		memcpy(out, b, strlen(b) + 1);
}

/* basename of the symlink @dir/@name into @out ("" when absent) */
static void link_base(const char *dir, const char *name, char *out, size_t len)
{
	char path[640];

	out[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path))
		link_base_at(AT_FDCWD, path, out, len);
}

/* "0000:00:03.0 (vfio-pci), 0000:00:03.1 (no driver)": the devices of the group */
static void group_members(const char *dir, char *out, size_t len)
{
	char gdir[600];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	out[0] = '\0';
	snprintf(gdir, sizeof(gdir), "%s/iommu_group/devices", dir);
	d = opendir(gdir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < len) {
		char drv_link[sizeof(de->d_name) + 8], drv[64];

		if (de->d_name[0] == '.')
			continue;
		/* relative to the open directory: no path longer than the parts */
		snprintf(drv_link, sizeof(drv_link), "%s/driver", de->d_name);
		link_base_at(dirfd(d), drv_link, drv, sizeof(drv));
		n += (size_t)snprintf(out + n, len - n, "%s%s (%s)", n ? ", " : "", de->d_name,
				      drv[0] ? drv : "no driver");
	}
	closedir(d);
}

/* ---- VFIO ----------------------------------------------------------------------- */

static int vfio_region(struct udma_pci_device *p, unsigned int idx)
{
	struct vfio_region_info ri = {.argsz = sizeof(ri), .index = idx};

	if (vfio_sys()->ioctl(p->dev_fd, VFIO_DEVICE_GET_REGION_INFO, (uintptr_t)&ri) != 0)
		return -errno;
	p->region[idx] = (struct udma_pci_region){
		.size = ri.size, .offset = ri.offset,
		.flags = ((ri.flags & VFIO_REGION_INFO_FLAG_READ) ? UDMA_PCI_REGION_READ : 0) |
			 ((ri.flags & VFIO_REGION_INFO_FLAG_WRITE) ? UDMA_PCI_REGION_WRITE : 0) |
			 ((ri.flags & VFIO_REGION_INFO_FLAG_MMAP) ? UDMA_PCI_REGION_MMAP : 0),
	};
	return 0;
}

static int open_vfio(struct udma_pci_device *p, const char *driver)
{
	struct vfio_device_info di = {.argsz = sizeof(di)};
	const char *a = p->info.addr;
	int ret;

	if (p->info.iommu_group < 0) {
		UDMA_LOG(ERR, "%s has no IOMMU group: turn the IOMMU on (intel_iommu=on or "
			 "amd_iommu=on on the kernel command line), or init with --iova-mode=pa "
			 "and open it through sysfs", a);
		return -ENODEV;
	}
	if (strcmp(driver, "vfio-pci") != 0) {
		char unbind[700] = "";

		if (driver[0])
			snprintf(unbind, sizeof(unbind), "echo %s > %s/driver/unbind; ", a, p->dir);
		UDMA_LOG(ERR, "%s is bound to %s, not vfio-pci: as root, %secho vfio-pci > "
			 "%s/driver_override; echo %s > /sys/bus/pci/drivers_probe (modprobe "
			 "vfio-pci first)", a, driver[0] ? driver : "no driver", unbind, p->dir, a);
		return -ENODEV;
	}
	ret = vfio_group_get(p->info.iommu_group, &p->group_fd);
	if (ret < 0) {
		char members[512];

		group_members(p->dir, members, sizeof(members));
		if (members[0])
			UDMA_LOG(ERR, "%s: IOMMU group %d holds %s: every one must be bound to "
				 "vfio-pci or to no driver", a, p->info.iommu_group, members);
		p->group_fd = -1;
		return ret;
	}
	p->dev_fd = vfio_sys()->ioctl(p->group_fd, VFIO_GROUP_GET_DEVICE_FD, (uintptr_t)a);
	if (p->dev_fd < 0) {
		ret = -errno;
		UDMA_LOG(ERR, "%s: VFIO_GROUP_GET_DEVICE_FD: %s%s", a, strerror(-ret),
			 ret == -EBUSY ? " (another process or udma_pci_open() has it)" : "");
		p->dev_fd = -1;
		return ret;
	}
	if (vfio_sys()->ioctl(p->dev_fd, VFIO_DEVICE_GET_INFO, (uintptr_t)&di) != 0 ||
	    !(di.flags & VFIO_DEVICE_FLAGS_PCI) || di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		UDMA_LOG(ERR, "%s: VFIO_DEVICE_GET_INFO: not a PCI device with a config region", a);
		return -ENODEV;
	}
	p->can_reset = di.flags & VFIO_DEVICE_FLAGS_RESET;
	for (unsigned int i = 0; i < UDMA_PCI_NUM_REGIONS; i++) {
		ret = vfio_region(p, i);
		if (ret < 0 && i == UDMA_PCI_CONFIG) {
			UDMA_LOG(ERR, "%s: VFIO_DEVICE_GET_REGION_INFO %u: %s", a, i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* ---- sysfs ----------------------------------------------------------------------- */

static int open_sysfs(struct udma_pci_device *p, const char *driver)
{
	char path[640];
	struct stat st;
	FILE *f;

	if (driver[0] && strcmp(driver, "uio_pci_generic") != 0) {
		UDMA_LOG(ERR, "%s is bound to %s: unbind it first (as root: echo %s > "
			 "%s/driver/unbind)", p->info.addr, driver, p->info.addr, p->dir);
		return -EBUSY;
	}
	snprintf(path, sizeof(path), "%s/config", p->dir);
	p->cfg_fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->cfg_fd < 0 || fstat(p->cfg_fd, &st) != 0) {
		int err = errno;

		UDMA_LOG(ERR, "%s: cannot open %s: %s%s", p->info.addr, path, strerror(err),
			 err == EACCES ? " (config writes need root)" : "");
		return -err;
	}
	p->region[UDMA_PCI_CONFIG] = (struct udma_pci_region){
		.size = (uint64_t)st.st_size,
		.flags = UDMA_PCI_REGION_READ | UDMA_PCI_REGION_WRITE};
	snprintf(path, sizeof(path), "%s/resource", p->dir);
	f = fopen(path, "re");
	for (unsigned int i = 0; f && i <= UDMA_PCI_ROM; i++) {
		unsigned long long s, e, fl;

		if (fscanf(f, "%llx %llx %llx", &s, &e, &fl) != 3)
			break;
		if (s == 0 && e == 0)
			continue;
		p->region[i].size = e - s + 1;
		p->region[i].flags = UDMA_PCI_REGION_READ |
				     (i < NBARS ? UDMA_PCI_REGION_WRITE : 0) |
				     (i < NBARS && (fl & IORESOURCE_MEM) ? UDMA_PCI_REGION_MMAP : 0);
	}
	if (f)
		fclose(f);
	UDMA_LOG(WARNING, "%s opened through sysfs: the device is NOT isolated (no IOMMU confines it): it "
		 "can read and write any memory; use vfio-pci with an IOMMU to confine it",
		 p->info.addr);
	return 0;
}

/* ---- open / close ----------------------------------------------------------------- */

static void release(struct udma_pci_device *p)
{
	for (unsigned int i = 0; i < NBARS; i++)
		if (p->bar[i])
			munmap(p->bar[i], p->bar_len[i]);
	if (p->dev)
		udma_device_destroy(p->dev);
	if (p->dev_fd >= 0)
		vfio_sys()->close(p->dev_fd);
	if (p->group_fd >= 0)
		vfio_group_put(p->info.iommu_group);
	if (p->cfg_fd >= 0)
		close(p->cfg_fd);
	pthread_mutex_destroy(&p->lock);
	p->magic = 0;
	free(p);
}

static ssize_t cfg_io(struct udma_pci_device *pdev, void *buf, size_t len, size_t off, bool wr,
		      const char *fn);

/* memory decode on when a BAR is memory (pci_enable_device); bus mastering stays off */
static int enable_memory(struct udma_pci_device *p)
{
	uint16_t cmd;
	bool mem = false;

	for (unsigned int i = 0; i < NBARS; i++)
		mem |= p->region[i].size && (p->region[i].flags & UDMA_PCI_REGION_MMAP);
	if (!mem)
		return 0;
	if (cfg_io(p, &cmd, sizeof(cmd), PCI_COMMAND, false, __func__) != sizeof(cmd))
		return -EIO;
	if (cmd & PCI_COMMAND_MEMORY)
		return 0;
	cmd |= PCI_COMMAND_MEMORY;
	return cfg_io(p, &cmd, sizeof(cmd), PCI_COMMAND, true, __func__) == sizeof(cmd) ? 0 : -EIO;
}

static int choose_access(enum udma_pci_access want, const char *addr,
			 enum udma_pci_access *got)
{
	enum udma_iova_mode mode = udma_iova_mode();

	if (want == UDMA_PCI_ACCESS_AUTO)
		want = mode == UDMA_IOVA_VFIO ? UDMA_PCI_ACCESS_VFIO : UDMA_PCI_ACCESS_SYSFS;
	if (want == UDMA_PCI_ACCESS_VFIO && mode != UDMA_IOVA_VFIO) {
		UDMA_LOG(ERR, "%s: VFIO access needs --iova-mode=vfio (udma runs in %s mode)", addr,
			 udma_iova_mode_name(mode));
		return -ENOTSUP;
	}
	if (want == UDMA_PCI_ACCESS_SYSFS && mode != UDMA_IOVA_PA && mode != UDMA_IOVA_SIM) {
		UDMA_LOG(ERR, "%s: sysfs access gives the device no IOMMU: it needs physical "
			 "addresses (--iova-mode=pa), not %s mode%s", addr, udma_iova_mode_name(mode),
			 mode == UDMA_IOVA_VFIO ? " (open it through VFIO)" : "");
		return -ENOTSUP;
	}
	*got = want;
	return 0;
}

struct udma_pci_device *udma_pci_open(const char *addr, enum udma_pci_access access)
{
	struct udma_pci_device *p;
	char canon[16], driver[64], grp[32];
	struct stat st;
	int ret, node;

	if (!udma_eal_initialized()) {
		UDMA_LOG(ERR, "udma is not initialised");
		errno = ENODEV;
		return NULL;
	}
	if (parse_addr(addr, canon) != 0 || (unsigned int)access > UDMA_PCI_ACCESS_SYSFS) {
		UDMA_LOG(ERR, "bad argument (address %s, access %d): expected \"DDDD:BB:DD.F\"",
			 addr ? addr : "(null)", (int)access);
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->group_fd = p->dev_fd = p->cfg_fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	memcpy(p->info.addr, canon, sizeof(canon));
	snprintf(p->dir, sizeof(p->dir), "%s/%s", dma_sysfs_pci_root(), canon);
	if (stat(p->dir, &st) != 0) {
		UDMA_LOG(ERR, "no PCI function %s (%s absent: see lspci -D)", canon, p->dir);
		ret = -ENODEV;
		goto fail;
	}
	ret = choose_access(access, canon, &p->info.access);
	if (ret < 0)
		goto fail;
	p->info.vendor_id = (uint16_t)read_num(p->dir, "vendor", 0xffff);
	p->info.device_id = (uint16_t)read_num(p->dir, "device", 0xffff);
	p->info.class_code = (uint32_t)read_num(p->dir, "class", 0);
	p->info.numa_node = (int)read_num(p->dir, "numa_node", -1);
	link_base(p->dir, "iommu_group", grp, sizeof(grp));
	p->info.iommu_group = grp[0] ? (int)strtol(grp, NULL, 10) : -1;
	link_base(p->dir, "driver", driver, sizeof(driver));

	pthread_mutex_lock(&g_pci.lock);
	for (struct udma_pci_device *o = g_pci.open; o; o = o->next)
		if (strcmp(o->info.addr, canon) == 0) {
			pthread_mutex_unlock(&g_pci.lock);
			UDMA_LOG(ERR, "%s is already open", canon);
			ret = -EBUSY;
			goto fail;
		}
	ret = p->info.access == UDMA_PCI_ACCESS_VFIO ? open_vfio(p, driver) : open_sysfs(p, driver);
	if (ret == 0) {
		node = p->info.numa_node;
		if (node >= udma_numa_node_count()) {
			UDMA_LOG(NOTICE, "%s: sysfs node %d is not one udma sees: no node", canon, node);
			node = -1;
		}
		p->dev = udma_device_create(canon, NULL, node < 0 ? -1 : node);
		ret = p->dev ? 0 : -errno;
	}
	if (ret == 0) {
		p->magic = PCI_MAGIC;
		ret = enable_memory(p);
	}
	if (ret == 0) {
		p->next = g_pci.open;
		g_pci.open = p;
	}
	pthread_mutex_unlock(&g_pci.lock);
	if (ret == 0)
		return p;
fail:
	release(p);
	errno = -ret;
	return NULL;
}

void udma_pci_close(struct udma_pci_device *pdev)
{
	if (pdev == NULL || !pdev_ok(pdev, __func__))
		return;
	pthread_mutex_lock(&g_pci.lock);
	for (struct udma_pci_device **pp = &g_pci.open; *pp; pp = &(*pp)->next)
		if (*pp == pdev) {
			*pp = pdev->next;
			break;
		}
	pthread_mutex_unlock(&g_pci.lock);
	release(pdev);
}

/* ---- accessors -------------------------------------------------------------------- */

struct udma_device *udma_pci_dma_device(const struct udma_pci_device *pdev)
{
	return pdev_ok(pdev, __func__) ? pdev->dev : NULL;
}

int udma_pci_info(const struct udma_pci_device *pdev, struct udma_pci_info *info)
{
	if (!pdev_ok(pdev, __func__))
		return -EINVAL;
	if (info == NULL) {
		UDMA_LOG(ERR, "NULL info");
		return -EINVAL;
	}
	*info = pdev->info;
	return 0;
}

int udma_pci_region_info(const struct udma_pci_device *pdev, unsigned int index,
			 struct udma_pci_region *region)
{
	if (!pdev_ok(pdev, __func__))
		return -EINVAL;
	if (index >= UDMA_PCI_NUM_REGIONS || region == NULL) {
		UDMA_LOG(ERR, "%s: bad argument (region %u, out %p)", pdev->info.addr, index,
			 (void *)region);
		return -EINVAL;
	}
	*region = pdev->region[index];
	return 0;
}

void *udma_pci_bar_map(struct udma_pci_device *pdev, unsigned int bar, size_t *len)
{
	const struct udma_pci_region *r;
	void *map;

	if (!pdev_ok(pdev, __func__)) {
		errno = EINVAL;
		return NULL;
	}
	r = bar < NBARS ? &pdev->region[bar] : NULL;
	if (r == NULL || r->size == 0 || !(r->flags & UDMA_PCI_REGION_MMAP)) {
		UDMA_LOG(ERR, "%s: BAR %u %s", pdev->info.addr, bar, r == NULL ? "out of 0..5" :
			 r->size == 0 ? "is absent" : "cannot be mapped (IO ports or not mmap-able)");
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&pdev->lock);
	map = pdev->bar[bar];
	if (map == NULL) {
		int fd = pdev->dev_fd;
		off_t off = (off_t)r->offset;

		if (pdev->info.access == UDMA_PCI_ACCESS_SYSFS) {
			char path[640];

			snprintf(path, sizeof(path), "%s/resource%u", pdev->dir, bar);
			fd = open(path, O_RDWR | O_CLOEXEC);
			off = 0;
		}
		map = fd < 0 ? MAP_FAILED : mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
						  fd, off);
		if (map == MAP_FAILED) {
			int err = errno;

			UDMA_LOG(ERR, "%s: mmap of BAR %u (%llu bytes): %s", pdev->info.addr, bar,
				 (unsigned long long)r->size, strerror(err));
			map = NULL;
			errno = err;
		} else {
			pdev->bar[bar] = map;
			pdev->bar_len[bar] = r->size;
		}
		if (pdev->info.access == UDMA_PCI_ACCESS_SYSFS && fd >= 0)
			close(fd);
	}
	pthread_mutex_unlock(&pdev->lock);
	if (map && len)
		*len = pdev->bar_len[bar];
	return map;
}

static ssize_t cfg_io(struct udma_pci_device *pdev, void *buf, size_t len, size_t off, bool wr,
		      const char *fn)
{
	const struct udma_pci_region *r;
	ssize_t n;
	int fd;

	if (!pdev_ok(pdev, fn))
		return -EINVAL;
	r = &pdev->region[UDMA_PCI_CONFIG];
	if (buf == NULL || len == 0 || off > r->size || len > r->size - off) {
		udma_log(UDMA_LOG_ERR, "%s(): %s: bad argument (buf %p, %zu bytes at %zu; config "
			 "space is %llu bytes)", fn, pdev->info.addr, buf, len, off,
			 (unsigned long long)r->size);
		return -EINVAL;
	}
	fd = pdev->info.access == UDMA_PCI_ACCESS_VFIO ? pdev->dev_fd : pdev->cfg_fd;
	n = wr ? pwrite(fd, buf, len, (off_t)(r->offset + off))
	       : pread(fd, buf, len, (off_t)(r->offset + off));
	if (n < 0) {
		n = -errno;
		udma_log(UDMA_LOG_ERR, "%s(): %s: config %s at %zu: %s", fn, pdev->info.addr,
			 wr ? "write" : "read", off, strerror(errno));
	}
	return n;
}

ssize_t udma_pci_cfg_read(struct udma_pci_device *pdev, void *buf, size_t len, size_t off)
{
	return cfg_io(pdev, buf, len, off, false, __func__);
}

ssize_t udma_pci_cfg_write(struct udma_pci_device *pdev, const void *buf, size_t len, size_t off)
{
	return cfg_io(pdev, (void *)(uintptr_t)buf, len, off, true, __func__);
}

int udma_pci_set_bus_master(struct udma_pci_device *pdev, int enable)
{
	uint16_t cmd;
	ssize_t n;

	if (!pdev_ok(pdev, __func__))
		return -EINVAL;
	n = cfg_io(pdev, &cmd, sizeof(cmd), PCI_COMMAND, false, __func__);
	if (n != sizeof(cmd))
		return n < 0 ? (int)n : -EIO;
	cmd = enable ? (uint16_t)(cmd | PCI_COMMAND_MASTER) : (uint16_t)(cmd & ~PCI_COMMAND_MASTER);
	n = cfg_io(pdev, &cmd, sizeof(cmd), PCI_COMMAND, true, __func__);
	return n == sizeof(cmd) ? 0 : n < 0 ? (int)n : -EIO;
}

int udma_pci_reset(struct udma_pci_device *pdev)
{
	char path[640];
	int fd;

	if (!pdev_ok(pdev, __func__))
		return -EINVAL;
	if (pdev->info.access == UDMA_PCI_ACCESS_VFIO) {
		if (!pdev->can_reset) {
			UDMA_LOG(ERR, "%s: the function cannot be reset (no FLR, PM or bus reset)",
				 pdev->info.addr);
			return -ENOTSUP;
		}
		if (vfio_sys()->ioctl(pdev->dev_fd, VFIO_DEVICE_RESET, 0) != 0) {
			UDMA_LOG(ERR, "%s: VFIO_DEVICE_RESET: %s", pdev->info.addr, strerror(errno));
			return -errno;
		}
		return 0;
	}
	snprintf(path, sizeof(path), "%s/reset", pdev->dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		UDMA_LOG(ERR, "%s: %s: %s", pdev->info.addr, path, strerror(err));
		return err == ENOENT ? -ENOTSUP : -err;
	}
	close(fd);
	return 0;
}

int udma_pci_device_fd(const struct udma_pci_device *pdev)
{
	return pdev_ok(pdev, __func__) ? pdev->dev_fd : -1;
}

int udma_pci_group_fd(const struct udma_pci_device *pdev)
{
	return pdev_ok(pdev, __func__) ? pdev->group_fd : -1;
}

/* ---- cleanup: functions still open are closed (before devices and the backend) ---- */

static void pci_fini(void)
{
	for (;;) {
		struct udma_pci_device *p;

		pthread_mutex_lock(&g_pci.lock);
		p = g_pci.open;
		pthread_mutex_unlock(&g_pci.lock);
		if (p == NULL)
			break;
		UDMA_LOG(WARNING, "PCI function %s still open at cleanup: closing it", p->info.addr);
		udma_pci_close(p);
	}
}

static void pci_dump(FILE *f)
{
	pthread_mutex_lock(&g_pci.lock);
	for (const struct udma_pci_device *p = g_pci.open; p; p = p->next)
		fprintf(f, "pci %s: %04x:%04x class %06x, node %d, %s, group %d, device fd %d\n",
			p->info.addr, p->info.vendor_id, p->info.device_id, p->info.class_code,
			p->info.numa_node, p->info.access == UDMA_PCI_ACCESS_VFIO ? "vfio" :
			"sysfs (not isolated)", p->info.iommu_group, p->dev_fd);
	pthread_mutex_unlock(&g_pci.lock);
}

static const struct eal_hook g_pci_hook = {.name = "pci", .fini = pci_fini, .dump = pci_dump};

__attribute__((constructor)) static void pci_hook_register(void)
{
	eal_hook_register(&g_pci_hook, EAL_STAGE_BUS);
}
