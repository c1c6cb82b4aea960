/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest tests' access to a PCI function, for the edu driver: BAR0 mapped and
 * bus mastering on, through VFIO (the device fd from the group udma's vfio backend
 * opened: a group opens only once, so the test catches its fd with the backend's
 * system-call hook) or through sysfs (resource0, config; no IOMMU isolation).
 * Until udma_pci.h (drivers/bus/pci) is merged, this is the minimal internal VFIO
 * open of the guest tests.
 */
#ifndef VM_DEV_H
#define VM_DEV_H

#include <ctype.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iova_vfio.h"

struct vm_dev {
	int vfio;          /* 1: through VFIO, 0: sysfs */
	int dev_fd;        /* VFIO device fd, or sysfs resource0 */
	int cfg_fd;        /* sysfs config (-1 with VFIO) */
	uint64_t cfg_off;  /* VFIO config region offset */
	void *bar0;
	size_t bar0_len;
};

static int g_vm_group_fd = -1;

static int vm_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd >= 0 && strncmp(path, "/dev/vfio/", 10) == 0 && isdigit((unsigned char)path[10]))
		g_vm_group_fd = fd;
	return fd;
}

static int vm_ioctl(int fd, unsigned long req, uintptr_t arg)
{
	return ioctl(fd, req, arg);
}

static int vm_close(int fd)
{
	if (fd == g_vm_group_fd)
		g_vm_group_fd = -1;
	return close(fd);
}

static const struct vfio_sys g_vm_sys = {vm_open, vm_ioctl, vm_close};

/* call before udma_eal_init() in vfio mode: remember the group fd udma opens */
static inline void vm_dev_hook_vfio(void)
{
	vfio_sys_inject(&g_vm_sys);
}

static inline int vm_cfg_rw(struct vm_dev *d, void *buf, size_t len, off_t off, int wr)
{
	int fd = d->vfio ? d->dev_fd : d->cfg_fd;
	off_t o = (off_t)(d->vfio ? d->cfg_off : 0) + off;
	ssize_t n = wr ? pwrite(fd, buf, len, o) : pread(fd, buf, len, o);

	return n == (ssize_t)len ? 0 : -1;
}

/* open @addr (VFIO when udma runs in vfio mode), map BAR0, memory decode and bus master on */
static inline int vm_dev_open(struct vm_dev *d, const char *addr, int vfio)
{
	char path[128];
	uint16_t cmd;

	memset(d, 0, sizeof(*d));
	d->vfio = vfio;
	d->cfg_fd = -1;
	if (vfio) {
		struct vfio_region_info ri = {.argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX};

		if (g_vm_group_fd < 0) {
			fprintf(stderr, "vm_dev: no VFIO group open (udma not in vfio mode?)\n");
			return -1;
		}
		d->dev_fd = ioctl(g_vm_group_fd, VFIO_GROUP_GET_DEVICE_FD, addr);
		if (d->dev_fd < 0) {
			perror("VFIO_GROUP_GET_DEVICE_FD");
			return -1;
		}
		if (ioctl(d->dev_fd, VFIO_DEVICE_GET_REGION_INFO, &ri) != 0)
			return -1;
		d->bar0_len = ri.size;
		d->bar0 = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->dev_fd,
			       (off_t)ri.offset);
		ri = (struct vfio_region_info){.argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX};
		if (ioctl(d->dev_fd, VFIO_DEVICE_GET_REGION_INFO, &ri) != 0)
			return -1;
		d->cfg_off = ri.offset;
	} else {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", addr);
		d->dev_fd = open(path, O_RDWR | O_CLOEXEC);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", addr);
		d->cfg_fd = open(path, O_RDWR | O_CLOEXEC);
		if (d->dev_fd < 0 || d->cfg_fd < 0) {
			perror(path);
			return -1;
		}
		struct stat st;

		if (fstat(d->dev_fd, &st) != 0)
			return -1;
		d->bar0_len = (size_t)st.st_size;
		d->bar0 = mmap(NULL, d->bar0_len, PROT_READ | PROT_WRITE, MAP_SHARED, d->dev_fd, 0);
	}
	if (d->bar0 == MAP_FAILED) {
		perror("mmap BAR0");
		return -1;
	}
	/* PCI_COMMAND: memory decode and bus master (vfio-pci leaves bus master off) */
	if (vm_cfg_rw(d, &cmd, 2, 4, 0) != 0)
		return -1;
	cmd |= 0x6;
	return vm_cfg_rw(d, &cmd, 2, 4, 1);
}

static inline void vm_dev_close(struct vm_dev *d)
{
	uint16_t cmd;

	if (vm_cfg_rw(d, &cmd, 2, 4, 0) == 0) {
		cmd &= (uint16_t)~0x4;
		vm_cfg_rw(d, &cmd, 2, 4, 1);
	}
	if (d->bar0 && d->bar0 != MAP_FAILED)
		munmap(d->bar0, d->bar0_len);
	if (d->dev_fd >= 0)
		close(d->dev_fd);
	if (d->cfg_fd >= 0)
		close(d->cfg_fd);
}

#endif
