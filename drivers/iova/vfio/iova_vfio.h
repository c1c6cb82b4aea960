/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the vfio backend's container and groups, for the PCI layer, and the
 * system calls the backend makes, replaceable by tests (the development machines
 * have no IOMMU and no VFIO: tests drive the backend against a fake of the
 * kernel's VFIO ioctl interface).
 */
#ifndef IOVA_VFIO_H
#define IOVA_VFIO_H

#include <stdbool.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct vfio_sys {
	int (*open)(const char *path, int flags);
	int (*ioctl)(int fd, unsigned long req, uintptr_t arg);
	int (*close)(int fd);
};

/* NULL restores the real system calls; stays in force across init/cleanup */
void vfio_sys_inject(const struct vfio_sys *s);
/* the calls in force (the PCI layer's VFIO ioctls go through them too) */
const struct vfio_sys *vfio_sys(void);

/* is the vfio backend initialised (container with a type1 IOMMU)? */
bool vfio_ready(void);
/*
 * Join group @group to the container (or take another reference when it is in
 * already): 0 and *fd, or -errno with one log line saying what to do. The IOVA
 * ranges are read again after a new group joins.
 */
int vfio_group_get(int group, int *fd);
/* drop a reference; the group leaves the container at 0 (never the last one) */
void vfio_group_put(int group);

#pragma GCC visibility pop

#endif
