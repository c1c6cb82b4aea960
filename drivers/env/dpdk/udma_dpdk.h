/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * udma inside a DPDK application (libudma_dpdk, pkg-config udma-dpdk): udma maps
 * DPDK's memory at DPDK's IOVAs (no bounce, no second translation), follows DPDK's
 * memory hotplug events, takes DPDK's lcore ids and DPDK's VFIO container.
 * Call udma_dpdk_attach() after rte_eal_init(). See doc/dpdk.md.
 */
#ifndef UDMA_DPDK_H
#define UDMA_DPDK_H

#include "udma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Exported by libudma_dpdk (not libudma). */
#define UDMA_DPDK_API __attribute__((visibility("default")))

/**
 * Attach udma to the running DPDK EAL. When udma is not initialised yet it is
 * initialised here with @p argc / @p argv (udma_eal_init(); in vfio mode on DPDK's
 * VFIO container; its heap, i.e. coherent memory, pools and the swiotlb, on DPDK
 * memzones at DPDK's IOVAs with no hugepage of its own, unless DPDK's memory
 * cannot be mapped so: one NOTICE line); when it is, @p argv is ignored and the IOVA modes must agree
 * (udma pa with DPDK pa, udma va with DPDK va, udma vfio on DPDK's container).
 * Then every DPDK memseg is registered at DPDK's IOVA (udma_mem_register_iova(),
 * one registration per VA- and IOVA-contiguous run), memory DPDK adds or frees
 * later is followed (rte_mem_event_callback_register), and the calling thread
 * takes udma lcore slot rte_lcore_id(). In vfio mode each DPDK page is also mapped
 * into the shared container at DPDK's IOVA unless already there (DPDK maps its
 * memory only for groups it binds itself), and unmapped when DPDK frees it or at
 * udma_dpdk_detach(); give DPDK --iova-mode=va then (doc/dpdk.md).
 * In sim mode DPDK's memory is registered with udma_mem_register() instead: the
 * sim IOMMU gives its own IOVAs.
 * @return 0; -EINVAL (argc < 0, or argv NULL with argc > 0); -EPERM when DPDK
 *         is not initialised; -EALREADY when attached; -ENOTSUP when the IOVA
 *         modes disagree; or the -errno of udma_eal_init() / a registration
 *         (nothing stays registered then).
 */
UDMA_DPDK_API int udma_dpdk_attach(int argc, char **argv);

/**
 * Undo udma_dpdk_attach(): unregister DPDK's memory and the event callback, and
 * in vfio mode unmap from the container what attach mapped there. When
 * attach initialised udma, udma is ended too (udma_eal_cleanup(): every memzone
 * of its heap goes back to DPDK); when udma was initialised first it stays.
 * Every streaming mapping of DPDK memory must be unmapped and, when udma is to
 * end, every coherent and pool allocation freed and every bounce unmapped.
 * @return 0; -ENOENT when not attached; -EBUSY (still attached, one log line)
 *         while a mapping of DPDK memory or such udma memory is live.
 */
UDMA_DPDK_API int udma_dpdk_detach(void);

/**
 * Give the calling DPDK lcore (an rte_eal_remote_launch() worker) udma's lcore
 * slot of the same id, so udma_lcore_id() == rte_lcore_id().
 * @return the id; -EINVAL for a non-EAL thread (rte_lcore_id() is LCORE_ID_ANY)
 *         or an id beyond udma's --lcores; -EBUSY when taken; -ENODEV.
 */
UDMA_DPDK_API int udma_dpdk_thread_attach(void);

/** @return the number of udma registrations covering DPDK memory now (0: not attached). */
UDMA_DPDK_API unsigned int udma_dpdk_nr_regions(void);

/**
 * The device mempool ops "udma" allocate from when a pool names none
 * (rte_pktmbuf_pool_create_by_ops(..., "udma")): "udma_dpdk_mempool", 64-bit
 * masks, created at the first call and destroyed by udma_dpdk_detach() when no
 * pool uses it. To use another device, give it as the ops'
 * pool_config: rte_mempool_set_ops_byname(mp, "udma", dev).
 *
 * Mempool ops "udma" (registered when libudma_dpdk loads): objects live in udma
 * coherent memory (2 MiB IOVA-contiguous chunks), so rte_mempool_virt2iova() and
 * rte_mbuf_data_iova() give udma's handles, equal to udma_virt2iova(). The pool's
 * memory list (rte_mempool_mem_iter) shows only DPDK's small placeholder memzone.
 * @return the device, or NULL when udma is not initialised or it cannot be made.
 */
UDMA_DPDK_API struct udma_device *udma_dpdk_mempool_device(void);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_DPDK_H */
