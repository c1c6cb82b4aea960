/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the system calls the vfio backend makes, replaceable by tests (this
 * machine has no IOMMU and no VFIO: tests drive the backend against a fake of the
 * kernel's VFIO ioctl interface).
 */
#ifndef IOVA_VFIO_H
#define IOVA_VFIO_H

#include <stdint.h>

struct vfio_sys {
	int (*open)(const char *path, int flags);
	int (*ioctl)(int fd, unsigned long req, uintptr_t arg);
	int (*close)(int fd);
};

/* NULL restores the real system calls; stays in force across init/cleanup */
void vfio_sys_inject(const struct vfio_sys *s);

#endif
