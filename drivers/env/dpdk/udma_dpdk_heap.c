/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma's heap on DPDK's memory: when udma_dpdk_attach() initialises udma, every
 * chunk of udma's memsegs (coherent memory, pools, the swiotlb region) is a DPDK
 * memzone, its hugepages mapped a second time inside udma's VA reservation through
 * DPDK's page file descriptors (rte_memseg_get_fd), at DPDK's IOVAs. udma creates
 * no hugepage file of its own; udma_eal_cleanup() frees the memzones.
 * Through udma's internal provider hook (udma_pvt_mem_provider_set).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_memory.h>
#include <rte_memzone.h>

#include "udma_dpdk.h"
#include "udma_dpdk_private.h"
#include "udma_eal_pvt.h"

#define LOG(lvl, fmt, ...) udma_log(UDMA_LOG_##lvl, "udma_dpdk: " fmt, ##__VA_ARGS__)

static atomic_uint g_seq;

struct probe {
	size_t pgsz; /* the smallest hugepage size DPDK has memory lists of */
	int fd_ok;   /* a page of DPDK's has a file descriptor */
};

static int probe_list(const struct rte_memseg_list *msl, void *arg)
{
	struct probe *p = arg;

	if (msl->external || msl->page_sz < (2UL << 20))
		return 0;
	if (p->pgsz == 0 || msl->page_sz < p->pgsz)
		p->pgsz = msl->page_sz;
	return 0;
}

static int probe_seg(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	struct probe *p = arg;

	if (msl->external || msl->page_sz != p->pgsz)
		return 0;
	p->fd_ok = rte_memseg_get_fd_thread_unsafe(ms) >= 0;
	return 1; /* one page tells */
}

static unsigned int page_flag(size_t pgsz)
{
	return pgsz == (2UL << 20) ? RTE_MEMZONE_2MB : RTE_MEMZONE_1GB;
}

static void heap_shrink(void *ctx, void *va, size_t len, void *cookie)
{
	(void)ctx;
	(void)va;
	(void)len;
	if (rte_memzone_free(cookie) != 0)
		LOG(ERR, "rte_memzone_free(%s): %s", ((const struct rte_memzone *)cookie)->name,
		    rte_strerror(rte_errno));
}

static int heap_grow(void *ctx, int node, void *va, size_t len, int mode, udma_addr_t *iova,
		     void **cookie)
{
	size_t pgsz = (size_t)(uintptr_t)ctx;
	int socket = node < 0 ? SOCKET_ID_ANY : node;
	char name[RTE_MEMZONE_NAMESIZE];
	const struct rte_memzone *mz;

	/* the pid: a secondary process's udma shares DPDK's memzone names */
	snprintf(name, sizeof(name), "udma_heap_%d_%u", (int)getpid(), atomic_fetch_add(&g_seq, 1));
	/* IOVA-contiguous when DPDK has it (one run for udma's heap), else page by page */
	mz = rte_memzone_reserve_aligned(name, len, socket,
					 page_flag(pgsz) | RTE_MEMZONE_IOVA_CONTIG, pgsz);
	if (mz == NULL)
		mz = rte_memzone_reserve_aligned(name, len, socket, page_flag(pgsz), pgsz);
	if (mz == NULL)
		return rte_errno ? -rte_errno : -ENOMEM;
	for (size_t off = 0; off < len; off += pgsz) {
		uint8_t *dva = (uint8_t *)mz->addr + off;
		const struct rte_memseg *ms = rte_mem_virt2memseg(dva, NULL);
		size_t fdoff = 0;
		int fd = ms ? rte_memseg_get_fd(ms) : -1;

		if (fd < 0 || rte_memseg_get_fd_offset(ms, &fdoff) != 0 || ms->iova == RTE_BAD_IOVA) {
			LOG(ERR, "memzone %s page %p: no file descriptor or IOVA (%s)", name,
			    (void *)dva, rte_strerror(rte_errno));
			goto fail;
		}
		fdoff += (size_t)(dva - (uint8_t *)ms->addr);
		if (mmap((uint8_t *)va + off, pgsz, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, (off_t)fdoff) == MAP_FAILED) {
			LOG(ERR, "mmap of memzone %s page %p: %s", name, (void *)dva,
			    strerror(errno));
			goto fail;
		}
		iova[off / pgsz] = ms->iova + (rte_iova_t)(dva - (uint8_t *)ms->addr);
	}
	*cookie = (void *)(uintptr_t)mz;
	/* sim: the sim IOMMU gives udma's memory its own IOVAs, as for DPDK's memory */
	return mode == UDMA_IOVA_SIM ? 0 : 1;
fail:
	/* our mappings go before DPDK frees the pages (udma puts its reservation back) */
	mmap(va, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	rte_memzone_free(mz);
	return -ENOMEM;
}

int dpdk_heap_provide(void)
{
	struct probe p = {0};
	struct udma_pvt_mem_provider prov = {
		.name = "DPDK memzones",
		.grow = heap_grow,
		.shrink = heap_shrink,
	};

	rte_memseg_list_walk(probe_list, &p);
	if (p.pgsz == (2UL << 20) || p.pgsz == (1UL << 30))
		rte_memseg_walk(probe_seg, &p);
	if (!p.fd_ok) {
		LOG(NOTICE, "DPDK's memory is not in hugepage files udma can map (--no-huge, "
		    "--legacy-mem without files, or no memory yet): udma reserves hugepages of "
		    "its own (-m)");
		return 0;
	}
	prov.page_size = p.pgsz;
	prov.ctx = (void *)(uintptr_t)p.pgsz;
	return udma_pvt_mem_provider_set(&prov) == 0;
}

void dpdk_heap_forget(void)
{
	if (!udma_eal_initialized())
		udma_pvt_mem_provider_set(NULL);
}
