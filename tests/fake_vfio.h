/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake of the kernel's VFIO interface (these machines have no IOMMU and no
 * VFIO), checking what the real one checks: the API version and extension, group
 * viability and the order group -> container -> IOMMU, argsz, flags, alignment,
 * the IOVA aperture (VFIO_IOMMU_GET_INFO's IOVA-range capability, a size query
 * before the chain), the DMA mapping limit (DMA_AVAIL), overlap, whole-mapping
 * unmap; one open per group node (a second is EBUSY), devices by name in their
 * group, one device fd each. Device fds are real memfds laid out by the region
 * table, so pread/pwrite/mmap on them are real system calls.
 */
#ifndef FAKE_VFIO_H
#define FAKE_VFIO_H

#include <linux/vfio.h>
#include <sys/mman.h>

#include "iova_vfio.h"

#define FV_CONTAINER 1000
#define FV_CONTAINER2 1001 /* the application's container (udma_vfio_set_container) */
#define FV_GROUP_FD(n) (2000 + (n))
#define FV_MAXMAP 512
#define FV_MAXGROUPS 4
#define FV_BAR0_SIZE 4096
#define FV_BAR2_SIZE 32      /* an IO-port BAR: no mmap */
#define FV_CFG_SIZE 256

struct fv_group {
	int num, viable, open, attached_to;
	const char *dev;     /* its one device */
	int dev_fd;          /* the memfd handed out, -1 */
};

static struct {
	int api, type1v2, caps, map_errno;
	int open_fds;
	int iommu_set, iommu_container;
	uint64_t ranges[4][2];
	int nranges;
	long dma_avail;      /* -1: no DMA_AVAIL capability */
	struct fv_group g[FV_MAXGROUPS];
	int ngroups;
	struct { uint64_t iova, vaddr, size; } map[FV_MAXMAP];
	int nmap, maps_made, unmaps_made, info_calls, resets;
} F;

static inline void fake_reset(void)
{
	memset(&F, 0, sizeof(F));
	F.api = VFIO_API_VERSION;
	F.type1v2 = 1;
	F.caps = 1;
	F.ranges[0][0] = 0; /* 48-bit, no hole */
	F.ranges[0][1] = (1ULL << 48) - 1;
	F.nranges = 1;
	F.dma_avail = 65535;
	F.g[0] = (struct fv_group){.num = 7, .viable = 1, .dev = "0000:00:03.0", .dev_fd = -1};
	F.g[1] = (struct fv_group){.num = 8, .viable = 1, .dev = "0000:00:04.0", .dev_fd = -1};
	F.ngroups = 2;
}

/* x86 VT-d with @aw address bits: the MSI window is reserved */
static inline void fake_aperture_vtd(int aw)
{
	F.ranges[0][0] = 0;
	F.ranges[0][1] = 0xfedfffffULL;
	F.ranges[1][0] = 0xfef00000ULL;
	F.ranges[1][1] = (1ULL << aw) - 1;
	F.nranges = 2;
}

static inline int fake_fail(int e)
{
	errno = e;
	return -1;
}

static inline struct fv_group *fv_group_by_fd(int fd)
{
	for (int i = 0; i < F.ngroups; i++)
		if (FV_GROUP_FD(F.g[i].num) == fd && F.g[i].open)
			return &F.g[i];
	return NULL;
}

static inline int fake_open(const char *path, int flags)
{
	int n;

	(void)flags;
	if (strcmp(path, "/dev/vfio/vfio") == 0) {
		F.open_fds++;
		return FV_CONTAINER;
	}
	if (sscanf(path, "/dev/vfio/%d", &n) == 1)
		for (int i = 0; i < F.ngroups; i++)
			if (F.g[i].num == n) {
				if (F.g[i].open)
					return fake_fail(EBUSY); /* a group node opens once */
				F.g[i].open = 1;
				F.open_fds++;
				return FV_GROUP_FD(n);
			}
	return fake_fail(ENOENT);
}

static inline int fv_attached(int container)
{
	int n = 0;

	for (int i = 0; i < F.ngroups; i++)
		n += F.g[i].attached_to == container;
	return n;
}

static inline void fv_detach(struct fv_group *g)
{
	int c = g->attached_to;

	g->attached_to = 0;
	if (c && c == F.iommu_container && fv_attached(c) == 0) {
		F.iommu_set = 0; /* the last group gone: the IOMMU and its mappings go */
		F.nmap = 0;
	}
}

static inline int fake_close(int fd)
{
	struct fv_group *g = fv_group_by_fd(fd);

	if (fd == FV_CONTAINER || fd == FV_CONTAINER2) {
		F.open_fds--;
		for (int i = 0; i < F.ngroups; i++)
			if (F.g[i].attached_to == fd)
				F.g[i].attached_to = 0;
		if (F.iommu_container == fd) { /* the kernel drops every mapping */
			F.nmap = 0;
			F.iommu_set = 0;
		}
		return 0;
	}
	if (g) {
		fv_detach(g);
		g->open = 0;
		F.open_fds--;
		return 0;
	}
	for (int i = 0; i < F.ngroups; i++)
		if (F.g[i].dev_fd == fd) {
			F.g[i].dev_fd = -1;
			F.open_fds--;
			return close(fd);
		}
	return fake_fail(EBADF);
}

static inline bool fv_in_aperture(uint64_t iova, uint64_t size)
{
	for (int i = 0; i < F.nranges; i++)
		if (iova >= F.ranges[i][0] && iova + size - 1 <= F.ranges[i][1])
			return true;
	return false;
}

static inline int fv_map_dma(int fd, struct vfio_iommu_type1_dma_map *m)
{
	if (!F.iommu_set || fd != F.iommu_container || m->argsz < sizeof(*m))
		return fake_fail(EINVAL);
	if (m->flags != (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) || m->size == 0 ||
	    (m->iova | m->vaddr | m->size) & 4095)
		return fake_fail(EINVAL);
	if (!fv_in_aperture(m->iova, m->size))
		return fake_fail(EINVAL); /* vfio_iommu_iova_dma_valid() */
	if (F.map_errno)
		return fake_fail(F.map_errno);
	for (int i = 0; i < F.nmap; i++)
		if (m->iova < F.map[i].iova + F.map[i].size && F.map[i].iova < m->iova + m->size)
			return fake_fail(EEXIST);
	if (F.dma_avail == 0 || F.nmap == FV_MAXMAP)
		return fake_fail(ENOSPC);
	F.map[F.nmap].iova = m->iova;
	F.map[F.nmap].vaddr = m->vaddr;
	F.map[F.nmap++].size = m->size;
	F.maps_made++;
	if (F.dma_avail > 0)
		F.dma_avail--;
	return 0;
}

static inline int fv_unmap_dma(int fd, struct vfio_iommu_type1_dma_unmap *u)
{
	uint64_t unmapped = 0;
	int kept = 0;

	if (!F.iommu_set || fd != F.iommu_container || u->argsz < sizeof(*u))
		return fake_fail(EINVAL);
	for (int i = 0; i < F.nmap; i++) {
		bool inside = F.map[i].iova >= u->iova &&
			      F.map[i].iova + F.map[i].size <= u->iova + u->size;
		bool overlap = F.map[i].iova < u->iova + u->size &&
			       u->iova < F.map[i].iova + F.map[i].size;

		if (overlap && !inside)
			return fake_fail(EINVAL); /* type1v2: no splitting a mapping */
	}
	for (int i = 0; i < F.nmap; i++) {
		if (F.map[i].iova >= u->iova && F.map[i].iova + F.map[i].size <= u->iova + u->size) {
			if (F.dma_avail >= 0)
				F.dma_avail++;
			unmapped += F.map[i].size;
			continue;
		}
		F.map[kept++] = F.map[i];
	}
	F.nmap = kept;
	F.unmaps_made++;
	u->size = unmapped; /* the kernel answers with what it unmapped */
	return 0;
}

/* the kernel's layout: the info, then the chain at sizeof(info); too small an argsz
 * gets the size needed back and no chain (cap_offset 0) */
static inline int fv_get_info(int fd, struct vfio_iommu_type1_info *info)
{
	size_t base = sizeof(*info);
	size_t rsz = sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
		     (size_t)F.nranges * sizeof(struct vfio_iova_range);
	size_t asz = F.dma_avail >= 0 ? sizeof(struct vfio_iommu_type1_info_dma_avail) : 0;
	size_t need = base + (F.caps ? ((rsz + 7) & ~7UL) + asz : 0);

	F.info_calls++;
	if (!F.iommu_set || fd != F.iommu_container)
		return fake_fail(EINVAL);
	if (info->argsz < offsetof(struct vfio_iommu_type1_info, cap_offset) + 4)
		return fake_fail(EINVAL);
	info->flags = VFIO_IOMMU_INFO_PGSIZES;
	info->iova_pgsizes = 0x40201000ULL; /* 4K, 2M, 1G */
	info->cap_offset = 0;
	if (!F.caps)
		return 0;
	info->flags |= VFIO_IOMMU_INFO_CAPS;
	if (info->argsz < need) {
		info->argsz = (uint32_t)need;
		return 0;
	}
	{
		struct vfio_iommu_type1_info_cap_iova_range *r = (void *)((uint8_t *)info + base);

		r->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
		r->header.version = 1;
		r->header.next = asz ? (uint32_t)(base + ((rsz + 7) & ~7UL)) : 0;
		r->nr_iovas = (uint32_t)F.nranges;
		for (int i = 0; i < F.nranges; i++) {
			r->iova_ranges[i].start = F.ranges[i][0];
			r->iova_ranges[i].end = F.ranges[i][1];
		}
		if (asz) {
			struct vfio_iommu_type1_info_dma_avail *a = (void *)((uint8_t *)info +
									    r->header.next);

			a->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
			a->header.version = 1;
			a->header.next = 0;
			a->avail = (uint32_t)F.dma_avail;
		}
		info->cap_offset = (uint32_t)base;
	}
	return 0;
}

/* region i of a fake device: offset (i + 1) MiB in its memfd */
static inline void fv_region(unsigned int i, struct vfio_region_info *ri)
{
	uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	ri->offset = (uint64_t)(i + 1) << 20;
	ri->flags = 0;
	ri->size = 0;
	if (i == VFIO_PCI_BAR0_REGION_INDEX) {
		ri->size = FV_BAR0_SIZE;
		ri->flags = rw | VFIO_REGION_INFO_FLAG_MMAP;
	} else if (i == VFIO_PCI_BAR2_REGION_INDEX) {
		ri->size = FV_BAR2_SIZE;
		ri->flags = rw;
	} else if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
		ri->size = FV_CFG_SIZE;
		ri->flags = rw;
	}
}

static inline int fv_device_fd(struct fv_group *g, const char *name)
{
	struct vfio_region_info ri;
	uint16_t id[2] = {0x1234, 0x11e8};
	int fd;

	if (!F.iommu_set || g->attached_to != F.iommu_container)
		return fake_fail(EINVAL); /* no container/IOMMU: no device fd */
	if (strcmp(name, g->dev) != 0)
		return fake_fail(ENODEV);
	if (g->dev_fd >= 0)
		return fake_fail(EBUSY);
	fd = memfd_create("fake-vfio-device", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 10 << 20), 0);
	fv_region(VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	assert_int_equal(pwrite(fd, id, sizeof(id), (off_t)ri.offset), 4);
	g->dev_fd = fd;
	F.open_fds++;
	return fd;
}

static inline int fv_device_ioctl(struct fv_group *g, unsigned long req, uintptr_t arg)
{
	if (req == VFIO_DEVICE_GET_INFO) {
		struct vfio_device_info *di = (void *)arg;

		if (di->argsz < sizeof(*di))
			return fake_fail(EINVAL);
		di->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		di->num_regions = VFIO_PCI_NUM_REGIONS;
		di->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	if (req == VFIO_DEVICE_GET_REGION_INFO) {
		struct vfio_region_info *ri = (void *)arg;

		if (ri->argsz < sizeof(*ri) || ri->index >= VFIO_PCI_NUM_REGIONS)
			return fake_fail(EINVAL);
		fv_region(ri->index, ri);
		return 0;
	}
	if (req == VFIO_DEVICE_RESET) {
		struct vfio_region_info ri;
		uint16_t zero = 0;

		fv_region(VFIO_PCI_CONFIG_REGION_INDEX, &ri); /* FLR clears PCI_COMMAND */
		assert_int_equal(pwrite(g->dev_fd, &zero, 2, (off_t)ri.offset + 4), 2);
		F.resets++;
		return 0;
	}
	return fake_fail(ENOTTY);
}

static inline int fake_ioctl(int fd, unsigned long req, uintptr_t arg)
{
	struct fv_group *g = fv_group_by_fd(fd);
	bool container = fd == FV_CONTAINER || fd == FV_CONTAINER2;

	if (container && req == VFIO_GET_API_VERSION)
		return F.api;
	if (container && req == VFIO_CHECK_EXTENSION)
		return arg == VFIO_TYPE1v2_IOMMU ? F.type1v2 : 0;
	if (g && req == VFIO_GROUP_GET_STATUS) {
		struct vfio_group_status *st = (void *)arg;

		if (st->argsz < sizeof(*st))
			return fake_fail(EINVAL);
		st->flags = (g->viable ? VFIO_GROUP_FLAGS_VIABLE : 0) |
			    (g->attached_to ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	}
	if (g && req == VFIO_GROUP_SET_CONTAINER) {
		int c = *(int *)arg;

		if ((c != FV_CONTAINER && c != FV_CONTAINER2) || !g->viable || g->attached_to)
			return fake_fail(EINVAL);
		for (int i = 0; F.iommu_set && c == F.iommu_container && i < F.nmap; i++)
			if (!fv_in_aperture(F.map[i].iova, F.map[i].size))
				return fake_fail(EINVAL); /* a mapping in the group's reserved region */
		g->attached_to = c;
		return 0;
	}
	if (g && req == VFIO_GROUP_UNSET_CONTAINER) {
		if (!g->attached_to)
			return fake_fail(EINVAL);
		fv_detach(g);
		return 0;
	}
	if (g && req == VFIO_GROUP_GET_DEVICE_FD)
		return fv_device_fd(g, (const char *)arg);
	if (container && req == VFIO_SET_IOMMU) {
		if (fv_attached(fd) == 0 || arg != VFIO_TYPE1v2_IOMMU || F.iommu_set)
			return fake_fail(EINVAL); /* the kernel needs a group first, sets once */
		F.iommu_set = 1;
		F.iommu_container = fd;
		return 0;
	}
	if (container && req == VFIO_IOMMU_GET_INFO)
		return fv_get_info(fd, (void *)arg);
	if (container && req == VFIO_IOMMU_MAP_DMA)
		return fv_map_dma(fd, (void *)arg);
	if (container && req == VFIO_IOMMU_UNMAP_DMA)
		return fv_unmap_dma(fd, (void *)arg);
	for (int i = 0; i < F.ngroups; i++)
		if (F.g[i].dev_fd == fd && fd >= 0)
			return fv_device_ioctl(&F.g[i], req, arg);
	return fake_fail(ENOTTY);
}

static const struct vfio_sys g_fake_vfio = {fake_open, fake_ioctl, fake_close};

/* cmocka setup/teardown: a fresh fake in place of the kernel's VFIO, and gone after */
static inline int fv_setup(void **s)
{
	(void)s;
	fake_reset();
	vfio_sys_inject(&g_fake_vfio);
	return 0;
}

static inline int fv_teardown(void **s)
{
	(void)s;
	if (udma_eal_initialized())
		udma_eal_cleanup();
	vfio_sys_inject(NULL);
	return 0;
}

/* the IOVA a device behind the fake IOMMU uses: its CPU address, or NULL (a fault) */
static inline void *fv_translate(uint64_t iova, size_t len)
{
	for (int i = 0; i < F.nmap; i++)
		if (iova >= F.map[i].iova && iova + len <= F.map[i].iova + F.map[i].size)
			return (void *)(uintptr_t)(F.map[i].vaddr + (iova - F.map[i].iova));
	return NULL;
}

/* does every page of [iova, iova+len) reach [va, va+len) through the fake IOMMU? */
static inline bool fv_maps_to(uint64_t iova, const void *va, size_t len)
{
	for (size_t off = 0; off < len; off += 4096)
		if (fv_translate(iova + off, 1) != (const uint8_t *)va + off)
			return false;
	return true;
}

/* a device read through the fake IOMMU: 0, or -1 when the IOVA is not mapped */
static inline int fv_dev_read(uint64_t iova, void *buf, size_t len)
{
	void *p = fv_translate(iova, len);

	if (p == NULL)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

static inline int fv_dev_write(uint64_t iova, const void *buf, size_t len)
{
	void *p = fv_translate(iova, len);

	if (p == NULL)
		return -1;
	memcpy(p, buf, len);
	return 0;
}

#endif
