/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mempool ops "udma": an rte_mempool whose objects (mbufs) live in udma coherent
 * memory, at IOVAs udma and DPDK agree on (each object's header carries udma's
 * handle, so rte_mempool_virt2iova / rte_mbuf_data_iova give udma_virt2iova).
 * The object store is an rte_ring as in "ring_mp_mc"; only the memory differs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "udma_dpdk.h"

#define CHUNK (2UL << 20) /* one coherent allocation: IOVA-contiguous in every mode */

struct udma_mp {
	struct rte_ring *ring;
	struct udma_device *dev;
	unsigned int nchunks, cap;
	struct {
		void *va;
		udma_addr_t handle;
	} *chunk;
};

static pthread_mutex_t g_dev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct udma_device *g_dev;
static unsigned int g_dev_pools; /* pools allocating from g_dev */

/* udma_dpdk_detach(): drop the default device unless a pool still uses it */
void udma_dpdk_mempool_release(void)
{
	pthread_mutex_lock(&g_dev_lock);
	if (g_dev && g_dev_pools == 0) {
		udma_device_destroy(g_dev);
		g_dev = NULL;
	}
	pthread_mutex_unlock(&g_dev_lock);
}

struct udma_device *udma_dpdk_mempool_device(void)
{
	pthread_mutex_lock(&g_dev_lock);
	if (g_dev == NULL && udma_eal_initialized()) {
		g_dev = udma_device_create("udma_dpdk_mempool", NULL, -1);
		if (g_dev && udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64)) != 0) {
			udma_device_destroy(g_dev);
			g_dev = NULL;
		}
	}
	pthread_mutex_unlock(&g_dev_lock);
	return g_dev;
}

static int udma_mp_alloc(struct rte_mempool *mp)
{
	char name[RTE_RING_NAMESIZE];
	struct udma_mp *u;

	if (!udma_eal_initialized()) {
		udma_log(UDMA_LOG_ERR, "udma_dpdk: mempool %s: udma is not initialised "
			 "(udma_dpdk_attach() first)", mp->name);
		return -ENODEV;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->dev = mp->pool_config ? mp->pool_config : udma_dpdk_mempool_device();
	if (u->dev == NULL) {
		free(u);
		return -ENODEV;
	}
	if (snprintf(name, sizeof(name), "U_%s", mp->name) >= (int)sizeof(name)) {
		free(u);
		return -ENAMETOOLONG;
	}
	u->ring = rte_ring_create(name, rte_align32pow2(mp->size + 1), mp->socket_id, 0);
	if (u->ring == NULL) {
		free(u);
		return -rte_errno;
	}
	/* counted once the pool exists: a failure above holds nothing */
	if (u->dev == g_dev)
		__atomic_add_fetch(&g_dev_pools, 1, __ATOMIC_RELAXED);
	mp->pool_data = u;
	return 0;
}

static void udma_mp_free(struct rte_mempool *mp)
{
	struct udma_mp *u = mp->pool_data;

	if (u == NULL)
		return;
	for (unsigned int i = 0; i < u->nchunks; i++)
		udma_free_coherent(u->dev, CHUNK, u->chunk[i].va, u->chunk[i].handle);
	free(u->chunk);
	rte_ring_free(u->ring);
	if (u->dev == g_dev)
		__atomic_sub_fetch(&g_dev_pools, 1, __ATOMIC_RELAXED);
	free(u);
	mp->pool_data = NULL;
}

static int udma_mp_enqueue(struct rte_mempool *mp, void *const *objs, unsigned int n)
{
	struct udma_mp *u = mp->pool_data;

	return rte_ring_enqueue_bulk(u->ring, objs, n, NULL) == 0 ? -ENOBUFS : 0;
}

static int udma_mp_dequeue(struct rte_mempool *mp, void **objs, unsigned int n)
{
	struct udma_mp *u = mp->pool_data;

	return rte_ring_dequeue_bulk(u->ring, objs, n, NULL) == 0 ? -ENOBUFS : 0;
}

static unsigned int udma_mp_get_count(const struct rte_mempool *mp)
{
	const struct udma_mp *u = mp->pool_data;

	return rte_ring_count(u->ring);
}

/* DPDK's memzone for the pool stays minimal: the objects go to udma memory */
static ssize_t udma_mp_calc_mem_size(const struct rte_mempool *mp, uint32_t obj_num,
				     uint32_t pg_shift, size_t *min_chunk_size, size_t *align)
{
	(void)mp;
	(void)obj_num;
	(void)pg_shift;
	*min_chunk_size = RTE_CACHE_LINE_SIZE;
	*align = RTE_CACHE_LINE_SIZE;
	return RTE_CACHE_LINE_SIZE;
}

/* ignore DPDK's chunk: populate every object in udma coherent chunks */
static int udma_mp_populate(struct rte_mempool *mp, unsigned int max_objs, void *vaddr,
			    rte_iova_t iova, size_t len, rte_mempool_populate_obj_cb_t *obj_cb,
			    void *obj_cb_arg)
{
	struct udma_mp *u = mp->pool_data;
	size_t esz = mp->header_size + mp->elt_size + mp->trailer_size;
	unsigned int done = 0;

	(void)vaddr;
	(void)iova;
	(void)len;
	if (esz > CHUNK) {
		udma_log(UDMA_LOG_ERR, "udma_dpdk: mempool %s: object of %zu bytes > %lu",
			 mp->name, esz, CHUNK);
		return -EINVAL;
	}
	while (done < max_objs) {
		udma_addr_t h;
		void *p;
		int n;

		if (u->nchunks == u->cap) {
			unsigned int cap = u->cap ? u->cap * 2 : 8;
			void *c = realloc(u->chunk, cap * sizeof(*u->chunk));

			if (c == NULL)
				break;
			u->chunk = c;
			u->cap = cap;
		}
		p = udma_alloc_coherent(u->dev, CHUNK, &h, UDMA_GFP_KERNEL);
		if (p == NULL)
			break;
		u->chunk[u->nchunks].va = p;
		u->chunk[u->nchunks++].handle = h;
		n = rte_mempool_op_populate_helper(mp, 0, max_objs - done, p, h, CHUNK, obj_cb,
						   obj_cb_arg);
		if (n <= 0)
			break;
		done += (unsigned int)n;
	}
	if (done < max_objs)
		udma_log(UDMA_LOG_ERR, "udma_dpdk: mempool %s: udma memory for %u of %u objects "
			 "only (-m?)", mp->name, done, max_objs);
	return done ? (int)done : -ENOMEM;
}

static const struct rte_mempool_ops udma_mp_ops = {
	.name = "udma",
	.alloc = udma_mp_alloc,
	.free = udma_mp_free,
	.enqueue = udma_mp_enqueue,
	.dequeue = udma_mp_dequeue,
	.get_count = udma_mp_get_count,
	.calc_mem_size = udma_mp_calc_mem_size,
	.populate = udma_mp_populate,
};

RTE_MEMPOOL_REGISTER_OPS(udma_mp_ops);
