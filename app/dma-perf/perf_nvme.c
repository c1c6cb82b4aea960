/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * P14: what udma adds per NVMe I/O: the PRP list of a 128 KiB I/O from a 32 x 4 KiB
 * scatterlist (udma_map_sg, a 4 KiB list block from a udma pool, the NVMe driver's
 * PRP fill, then the block freed and the list unmapped), against the same work as a
 * DPDK driver does it (rte_malloc_virt2iova per page into an rte_mempool block).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mempool.h>

#include "perf.h"
#include "udma_nvme.h"

#define PAGES 32

static PERF_LOOP double loop_nvme_udma(struct udma_device *dev, struct udma_pool *pool,
				       struct udma_sg *sg, long n)
{
	uint64_t prp1, prp2, sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t lh;
		uint64_t *list;
		int c = udma_map_sg(dev, sg, PAGES, UDMA_TO_DEVICE);

		list = udma_pool_alloc(pool, UDMA_GFP_ATOMIC, &lh);
		if (c == 0 || list == NULL ||
		    udma_nvme_build_prp_sg(sg, c, 4096, list, lh, &prp1, &prp2) < 0)
			exit(1);
		sum += prp1 + list[PAGES - 2];
		udma_pool_free(pool, list, lh);
		udma_unmap_sg(dev, sg, PAGES, UDMA_TO_DEVICE);
	}
	g_sink += sum;
	return loop_end(__func__, t0, n);
}

/* the driver's own part: pool block + PRP fill on a list already mapped */
static PERF_LOOP double loop_nvme_fill(struct udma_pool *pool, struct udma_sg *sg, int c, long n)
{
	uint64_t prp1, prp2, sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_addr_t lh;
		uint64_t *list = udma_pool_alloc(pool, UDMA_GFP_ATOMIC, &lh);

		if (list == NULL || udma_nvme_build_prp_sg(sg, c, 4096, list, lh, &prp1, &prp2) < 0)
			exit(1);
		sum += prp1 + list[PAGES - 2];
		udma_pool_free(pool, list, lh);
	}
	g_sink += sum;
	return loop_end(__func__, t0, n);
}

static PERF_LOOP double loop_nvme_dpdk(struct rte_mempool *mp, uint8_t *const *pages, long n)
{
	uint64_t prp1, prp2, sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		uint64_t *list;
		void *obj;

		if (rte_mempool_get(mp, &obj) != 0)
			exit(1);
		list = obj;
		prp1 = rte_malloc_virt2iova(pages[0]);
		for (int p = 1; p < PAGES; p++)
			list[p - 1] = rte_malloc_virt2iova(pages[p]);
		prp2 = rte_mempool_virt2iova(obj);
		sum += prp1 + prp2 + list[PAGES - 2];
		rte_mempool_put(mp, obj);
	}
	g_sink += sum;
	return loop_end(__func__, t0, n);
}

void perf_nvme(void)
{
	struct udma_device *dev;
	struct udma_pool *pool;
	struct rte_mempool *mp;
	struct udma_sg sg[PAGES];
	uint8_t *coh, *rpages[PAGES];
	udma_addr_t ch;
	double u[SAMPLES], d[SAMPLES], f[SAMPLES];
	int c;

	if (!row_wanted("P14"))
		return;
	dev = udma_device_create("nvme-p14", NULL, -1);
	udma_set_mask_and_coherent(dev, UDMA_BIT_MASK(64));
	udma_set_max_seg_size(dev, 1u << 20);
	coh = udma_alloc_coherent(dev, 1 << 20, &ch, UDMA_GFP_KERNEL);
	pool = udma_pool_create("nvme-prp", dev, 4096, 4096, 4096);
	mp = rte_mempool_create("p14", 1023, 4096, 64, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (coh == NULL || pool == NULL || mp == NULL) {
		fprintf(stderr, "dma-perf: P14 setup failed\n");
		exit(1);
	}
	udma_sg_init_table(sg, PAGES);
	for (int i = 0; i < PAGES; i++) { /* scattered pages: nothing merges, 31 list entries */
		udma_sg_set_buf(&sg[i], coh + (size_t)(PAGES - 1 - i) * 8192, 4096);
		/* rte_malloc_virt2iova() reads the element header: one element per page */
		rpages[i] = rte_malloc(NULL, 4096, 4096);
		if (rpages[i] == NULL) {
			fprintf(stderr, "dma-perf: P14 setup failed: rte_malloc\n");
			exit(1);
		}
	}
	for (int s = 0; s < SAMPLES; s++) {
		progress("P14", s + 1, SAMPLES);
		u[s] = loop_nvme_udma(dev, pool, sg, iters(1000000));
		d[s] = loop_nvme_dpdk(mp, rpages, iters(1000000));
		c = udma_map_sg(dev, sg, PAGES, UDMA_TO_DEVICE);
		f[s] = loop_nvme_fill(pool, sg, c, iters(1000000));
		udma_unmap_sg(dev, sg, PAGES, UDMA_TO_DEVICE);
	}
	row_samples("P14", "NVMe PRP list, 128 KiB from 32 x 4 KiB sg (map_sg+pool+fill)", u,
		    "rte_malloc_virt2iova x32 + rte_mempool", d, SAMPLES, "<= 100 ns, <= 0.5x", 100,
		    0.5);
	/* the same without udma_map_sg(): what the driver itself adds (information) */
	row_samples("P14", "  of which pool block + PRP fill (list mapped)", f,
		    "rte_malloc_virt2iova x32 + rte_mempool", d, SAMPLES, "(part of the above)", 100,
		    0.5);
	rte_mempool_free(mp);
	for (int i = 0; i < PAGES; i++)
		rte_free(rpages[i]);
	udma_pool_destroy(pool);
	udma_free_coherent(dev, 1 << 20, coh, ch);
	udma_device_destroy(dev);
}
