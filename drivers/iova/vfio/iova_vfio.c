/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio: an IOMMU through VFIO type1. One container, one group (--vfio-group=N, or
 * the only group under /dev/vfio), IOVA = VA: every memseg chunk and every
 * registered region is mapped with VFIO_IOMMU_MAP_DMA once, at growth or
 * registration, so streaming maps of them are a translation, as in va mode.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "eal_private.h"
#include "iova_private.h"
#include "iova_vfio.h"

static int real_open(const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}

static int real_ioctl(int fd, unsigned long req, uintptr_t arg)
{
	return ioctl(fd, req, arg);
}

static const struct vfio_sys g_real = {real_open, real_ioctl, close};
static const struct vfio_sys *g_sys = &g_real;
static int g_container = -1, g_group_fd = -1;

void vfio_sys_inject(const struct vfio_sys *s)
{
	g_sys = s ? s : &g_real;
}

/* the group to use: --vfio-group, else the only numbered node under /dev/vfio */
static long find_group(void)
{
	struct dirent *de;
	long found = -1;
	int n = 0;
	DIR *d;

	if (g_iova_opts.vfio_group >= 0)
		return g_iova_opts.vfio_group;
	d = opendir("/dev/vfio");
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long g = strtol(de->d_name, &end, 10);

		if (de->d_name[0] != '\0' && *end == '\0' && g >= 0) {
			found = g;
			n++;
		}
	}
	closedir(d);
	return n == 1 ? found : -1;
}

static void close_all(void)
{
	if (g_group_fd >= 0)
		g_sys->close(g_group_fd);
	if (g_container >= 0)
		g_sys->close(g_container);
	g_group_fd = g_container = -1;
}

static int vfio_probe(char *why, size_t len)
{
	int fd = g_sys->open("/dev/vfio/vfio", O_RDWR);
	long group;

	if (fd < 0) {
		snprintf(why, len, "/dev/vfio/vfio absent (no VFIO in this kernel, or not loaded)");
		return -ENODEV;
	}
	g_sys->close(fd);
	group = find_group();
	if (group < 0) {
		snprintf(why, len, "no VFIO group: bind a device to vfio-pci, or pass --vfio-group=N");
		return -ENODEV;
	}
	snprintf(why, len, "container and group %ld present, chosen", group);
	return 0;
}

/* container + group + type1 IOMMU; each step says what failed */
static int vfio_init(void)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char path[64];
	const char *fail = NULL;

	snprintf(path, sizeof(path), "/dev/vfio/%ld", find_group());
	g_container = g_sys->open("/dev/vfio/vfio", O_RDWR);
	if (g_container < 0)
		fail = "open /dev/vfio/vfio";
	else if (g_sys->ioctl(g_container, VFIO_GET_API_VERSION, 0) != VFIO_API_VERSION)
		fail = "VFIO API version";
	else if (g_sys->ioctl(g_container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		fail = "no type1v2 IOMMU support";
	else if ((g_group_fd = g_sys->open(path, O_RDWR)) < 0)
		fail = "open the group";
	else if (g_sys->ioctl(g_group_fd, VFIO_GROUP_GET_STATUS, (uintptr_t)&st) != 0 ||
		 !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		fail = "group not viable (every device of the group must be bound to vfio)";
	else if (g_sys->ioctl(g_group_fd, VFIO_GROUP_SET_CONTAINER, (uintptr_t)&g_container) != 0)
		fail = "VFIO_GROUP_SET_CONTAINER";
	else if (g_sys->ioctl(g_container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0)
		fail = "VFIO_SET_IOMMU type1v2";
	if (fail) {
		UDMA_LOG(ERR, "vfio: %s (%s): %s", fail, path, strerror(errno));
		close_all();
		return -ENODEV;
	}
	return 0;
}

static void vfio_fini(void)
{
	close_all(); /* closing the container drops every DMA mapping */
}

static int dma_map(void *va, size_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = (uintptr_t)va,
		.size = len,
	};

	if (g_sys->ioctl(g_container, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m) != 0) {
		int err = errno ? errno : EIO;

		UDMA_LOG(ERR, "vfio: VFIO_IOMMU_MAP_DMA %p+%zu: %s", va, len, strerror(err));
		return -err;
	}
	return 0;
}

static void dma_unmap(void *va, size_t len)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = (uintptr_t)va,
		.size = len,
	};

	if (g_container >= 0 && g_sys->ioctl(g_container, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u) != 0)
		UDMA_LOG(ERR, "vfio: VFIO_IOMMU_UNMAP_DMA %p+%zu: %s", va, len, strerror(errno));
}

/* memseg chunks: one DMA mapping each, IOVA = VA */
static int vfio_seg_map(void *va, size_t len, unsigned int page_shift, udma_addr_t *iova)
{
	size_t pgsz = 1UL << page_shift;
	int ret = dma_map(va, len);

	for (size_t i = 0; ret == 0 && i < len / pgsz; i++)
		iova[i] = (udma_addr_t)(uintptr_t)va + i * pgsz;
	return ret;
}

static void vfio_seg_unmap(void *va, size_t len, unsigned int page_shift, const udma_addr_t *iova)
{
	(void)page_shift;
	(void)iova;
	dma_unmap(va, len);
}

static udma_addr_t vfio_min_iova(void)
{
	return memseg_min_iova();
}

static void vfio_dump(FILE *f)
{
	fprintf(f, "vfio: container fd %d, group fd %d, type1v2, IOVA = VA\n", g_container,
		g_group_fd);
}

static const struct udma_iova_ops vfio_ops = {
	.name = "vfio",
	.mode = UDMA_IOVA_VFIO,
	.auto_rank = 90,
	.probe = vfio_probe,
	.init = vfio_init,
	.fini = vfio_fini,
	.seg_map = vfio_seg_map,
	.seg_unmap = vfio_seg_unmap,
	.reg_map = dma_map,
	.reg_unmap = dma_unmap,
	.dev_resolve = iova_memseg_resolve,
	.min_iova = vfio_min_iova,
	.dump = vfio_dump,
};

__attribute__((constructor)) static void vfio_register(void)
{
	iova_ops_register(&vfio_ops);
}
