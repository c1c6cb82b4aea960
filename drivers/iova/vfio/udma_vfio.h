/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The VFIO container and groups of `--iova-mode=vfio`, shared with an application
 * that has its own (DPDK): use its container, adopt its group fds, read udma's.
 * udma_pci.h includes this header.
 */
#ifndef UDMA_VFIO_H
#define UDMA_VFIO_H

#include "udma_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @return the VFIO container fd in use (owned by udma unless given), or -1 outside vfio mode. */
UDMA_API int udma_vfio_container_fd(void);

/**
 * Use an existing VFIO container (e.g. DPDK's) instead of opening one: call before
 * udma_eal_init(); stays in force for later inits until called with -1. udma maps
 * its memory into it and never closes it. If the container has no IOMMU set yet,
 * udma attaches its groups and sets type1v2; otherwise it uses the IOMMU in place.
 * @param fd an open container fd, or -1 to open /dev/vfio/vfio again.
 * @return 0, -EINVAL (fd < -1), or -EBUSY when udma is initialised.
 */
UDMA_API int udma_vfio_set_container(int fd);

/**
 * Hand udma a VFIO group fd the application already opened (a group opens only
 * once): udma_pci_open() of a function in group @p group uses it, and udma never
 * closes it. Call after udma_eal_init() in vfio mode.
 * @param group the group number (/dev/vfio/N).
 * @param fd its open fd.
 * @return 0, -EINVAL, -EEXIST (udma already has that group), -ENODEV (not in vfio
 *         mode), or -errno from attaching it to the container.
 */
UDMA_API int udma_vfio_adopt_group(int group, int fd);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_VFIO_H */
