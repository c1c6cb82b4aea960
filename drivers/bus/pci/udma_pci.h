/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * PCI functions for poll-mode drivers: open a function by its address and get a
 * udma_device bound to it, its BARs, its configuration space, bus mastering and
 * function reset — through VFIO (the device isolated behind the IOMMU, in
 * `--iova-mode=vfio`) or, without an IOMMU, through sysfs (`resourceN`, `config`;
 * the device is not isolated). The VFIO container, group and device fds are
 * readable so an application (DPDK) can share them.
 *
 * The sysfs root is the one udma_set_sysfs_pci_root() sets (tests point it at a
 * fake tree).
 */
#ifndef UDMA_PCI_H
#define UDMA_PCI_H

#include <sys/types.h>

#include "udma_common.h"
#include "udma_dma.h"
#include "udma_vfio.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open PCI function. Opaque. */
struct udma_pci_device;

/** How a PCI function is reached. */
enum udma_pci_access {
	UDMA_PCI_ACCESS_AUTO = 0,  /**< VFIO in `--iova-mode=vfio`, sysfs otherwise */
	UDMA_PCI_ACCESS_VFIO = 1,  /**< through its VFIO group (needs `--iova-mode=vfio`) */
	UDMA_PCI_ACCESS_SYSFS = 2, /**< resourceN / config files: no isolation (pa, sim) */
};

/** Region indexes of udma_pci_region_info(): BAR 0..5, then these. */
enum udma_pci_region_index {
	UDMA_PCI_BAR0 = 0,       /**< BAR 0 (BARs 1..5 follow) */
	UDMA_PCI_ROM = 6,        /**< the expansion ROM */
	UDMA_PCI_CONFIG = 7,     /**< the configuration space */
	UDMA_PCI_NUM_REGIONS = 8 /**< number of region indexes */
};

/** Region flags. */
#define UDMA_PCI_REGION_READ 0x1u  /**< readable */
#define UDMA_PCI_REGION_WRITE 0x2u /**< writable */
#define UDMA_PCI_REGION_MMAP 0x4u  /**< may be mapped (udma_pci_bar_map()) */

/** A region of a PCI function (a BAR, the ROM, the config space). */
struct udma_pci_region {
	uint64_t size;   /**< bytes; 0 when the region does not exist */
	uint64_t offset; /**< offset in the VFIO device fd (0 for sysfs) */
	uint32_t flags;  /**< UDMA_PCI_REGION_* */
};

/** What udma_pci_info() tells about a function. */
struct udma_pci_info {
	char addr[16];        /**< canonical address, "0000:00:03.0" */
	uint16_t vendor_id;   /**< PCI vendor id */
	uint16_t device_id;   /**< PCI device id */
	uint32_t class_code;  /**< class, subclass, programming interface */
	int numa_node;        /**< from sysfs; -1 when the platform does not say */
	int iommu_group;      /**< VFIO group number; -1 without an IOMMU group */
	enum udma_pci_access access; /**< how it was opened (VFIO or SYSFS) */
};

/**
 * Open a PCI function and create a udma_device for it (named by the address,
 * on the function's NUMA node, masks at 32 bits as Linux starts PCI devices).
 *
 * Through VFIO: the function's IOMMU group joins udma's one container (a group
 * already in it is shared, not reopened), the device fd comes from
 * VFIO_GROUP_GET_DEVICE_FD. Through sysfs: a warning that the device is not
 * isolated is logged. Errors are logged with what to do (the driver_override and
 * bind to write, the other devices of a group that is not viable).
 *
 * @param addr "DDDD:BB:DD.F" (or "BB:DD.F", domain 0).
 * @param access UDMA_PCI_ACCESS_AUTO, _VFIO or _SYSFS.
 * @return the device, or NULL with errno EINVAL (bad argument), ENODEV (udma not
 *         initialised, no such function, no VFIO group), EBUSY (the group is held
 *         elsewhere, or the function is already open), EPERM, ENOTSUP (the access
 *         does not fit the IOVA mode), ENOMEM. Thread-safe; may block.
 */
UDMA_API struct udma_pci_device *udma_pci_open(const char *addr, enum udma_pci_access access);

/**
 * Close a function: BAR mappings unmapped, the udma_device destroyed (with its
 * leak reports), the device fd closed, the group left when no other open function
 * and no init option holds it. NULL is ignored; a bad pointer is logged.
 */
UDMA_API void udma_pci_close(struct udma_pci_device *pdev);

/** @return the udma_device bound to the function (valid until close), or NULL. */
UDMA_API struct udma_device *udma_pci_dma_device(const struct udma_pci_device *pdev);

/** Fill @p info. @return 0, or -EINVAL. */
UDMA_API int udma_pci_info(const struct udma_pci_device *pdev, struct udma_pci_info *info);

/**
 * Describe region @p index (UDMA_PCI_BAR0 + n, UDMA_PCI_ROM, UDMA_PCI_CONFIG).
 * @return 0 (size 0 for an absent BAR), or -EINVAL.
 */
UDMA_API int udma_pci_region_info(const struct udma_pci_device *pdev, unsigned int index,
				  struct udma_pci_region *region);

/**
 * Map BAR @p bar (0..5) read/write into the process, once; later calls return the
 * same mapping. Unmapped by udma_pci_close().
 * @param pdev the function.
 * @param bar 0..5.
 * @param len receives the BAR size (may be NULL).
 * @return the mapping, or NULL with errno EINVAL (bad argument, no such BAR, an IO
 *         port BAR, or not mappable) or the mmap error.
 */
UDMA_API void *udma_pci_bar_map(struct udma_pci_device *pdev, unsigned int bar, size_t *len);

/**
 * Read @p len bytes of configuration space at @p off.
 * @return bytes read, or -EINVAL (bad argument, past the end), or -errno.
 */
UDMA_API ssize_t udma_pci_cfg_read(struct udma_pci_device *pdev, void *buf, size_t len, size_t off);

/**
 * Write @p len bytes of configuration space at @p off.
 * @return bytes written, or -EINVAL (bad argument, past the end), or -errno.
 */
UDMA_API ssize_t udma_pci_cfg_write(struct udma_pci_device *pdev, const void *buf, size_t len,
				    size_t off);

/**
 * Turn bus mastering (PCI_COMMAND bit 2) on or off; vfio-pci leaves it off.
 * @return 0, or -EINVAL, or -errno from the config access.
 */
UDMA_API int udma_pci_set_bus_master(struct udma_pci_device *pdev, int enable);

/**
 * Reset the function (VFIO_DEVICE_RESET; sysfs: the `reset` file).
 * @return 0, -ENOTSUP when the function cannot be reset, -EINVAL, or -errno.
 */
UDMA_API int udma_pci_reset(struct udma_pci_device *pdev);

/** @return the VFIO device fd (owned by udma: do not close), or -1 (sysfs, bad pdev). */
UDMA_API int udma_pci_device_fd(const struct udma_pci_device *pdev);

/** @return the VFIO group fd of the function (owned by udma), or -1. */
UDMA_API int udma_pci_group_fd(const struct udma_pci_device *pdev);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_PCI_H */
