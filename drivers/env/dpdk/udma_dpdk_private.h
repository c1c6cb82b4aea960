/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to libudma_dpdk: what its files call of each other. */
#ifndef UDMA_DPDK_PRIVATE_H
#define UDMA_DPDK_PRIVATE_H

/* udma_dpdk_mempool.c: destroy the default mempool device when no pool uses it */
void udma_dpdk_mempool_release(void);

/*
 * udma_dpdk_heap.c: make the next udma_eal_init() take udma's memory from DPDK
 * memzones: 1 when set, 0 (one NOTICE line) when DPDK's memory cannot serve.
 */
int dpdk_heap_provide(void);
/* forget the provider when the init it was set for did not happen */
void dpdk_heap_forget(void);

#endif /* UDMA_DPDK_PRIVATE_H */
