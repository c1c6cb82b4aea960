/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma inside a DPDK application: DPDK's memsegs registered with udma at DPDK's
 * IOVAs, followed through DPDK's memory events; DPDK's lcore ids; DPDK's VFIO
 * container. Everything here goes through udma's public API, but for udma's heap on
 * DPDK memzones (udma_dpdk_heap.c, udma's internal provider hook) and DPDK's pages
 * in the VFIO container (the vfio backend's counted mappings, udma_vfio_pvt.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memory.h>
#include <rte_vfio.h>

#include "udma_dpdk.h"
#include "udma_dpdk_private.h"
#include "udma_eal_pvt.h"
#include "udma_vfio.h"
#include "udma_vfio_pvt.h"

/* through udma's log (its level, stream and error count) */
#define LOG(fmt, ...) udma_log(UDMA_LOG_ERR, "udma_dpdk: " fmt, ##__VA_ARGS__)

struct region {
	uintptr_t va;
	size_t len;
	uint64_t iova;
	size_t pgsz;
};

/* taken inside DPDK's memory hotplug lock, never around it */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct region *g_rg;
static size_t g_nrg, g_cap;
static bool g_attached, g_sim;
static bool g_inited; /* attach initialised udma (on DPDK's memory): detach ends it */

/*
 * DPDK memory in the shared VFIO container. DPDK maps its memsegs into its default
 * container (and follows its memory events) only once it binds a group of its own
 * (rte_vfio_setup_device); when the groups in the container are udma's, nobody
 * does, and the device faults on every DPDK buffer. So in vfio mode attach maps
 * each DPDK page at DPDK's IOVA (one type1 mapping per page, as DPDK does: type1v2
 * cannot unmap part of a mapping, and DPDK frees page by page), through the vfio
 * backend (udma_vfio_pvt.h): every mapping udma makes in the container is counted
 * against its DMA entry limit and shown by udma_dump.
 * The backend tells what an EEXIST is: udma's own mapping or IOVA space (an error:
 * the page cannot be at DPDK's IOVA), or another user's mapping (1): DPDK's own when
 * it has a group in the container, since DPDK maps every memseg at ms->iova. The
 * kernel cannot say whether that mapping reaches this page (type1 has no query of
 * the CPU address behind an IOVA); it is left to its owner, recorded as shared and
 * never unmapped here. DPDK maps all of its memory or none: attach warns when
 * some pages were mapped by udma and others found mapped already.
 * (udma's heap, DPDK first, is DPDK memzones at DPDK's IOVAs: the same pages.)
 */
struct cmap {
	uintptr_t va;
	uint64_t iova;
	size_t len;
	bool shared; /* another user's mapping (EEXIST): not udma's to unmap */
};

static bool g_cm_on; /* map DPDK memory into udma's container (vfio mode) */
static struct cmap *g_cm;
static size_t g_ncm, g_cmcap;
static unsigned long g_cm_own, g_cm_shared; /* pages udma mapped / found mapped */

static int cm_map(uintptr_t va, uint64_t iova, size_t len)
{
	int ret;

	if (!g_cm_on)
		return 0;
	if (g_ncm == g_cmcap) {
		size_t cap = g_cmcap ? g_cmcap * 2 : 256;
		struct cmap *n = realloc(g_cm, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		g_cm = n;
		g_cmcap = cap;
	}
	ret = udma_pvt_vfio_dma_map((void *)va, iova, len); /* counted; logs its errors */
	if (ret < 0) {
		LOG("DPDK memory va %#" PRIxPTR " iova %#" PRIx64 " +%zu is not in the VFIO "
		    "container: %s", va, iova, len, strerror(-ret));
		return ret;
	}
	g_cm[g_ncm++] = (struct cmap){va, iova, len, ret == 1};
	if (ret == 1)
		g_cm_shared++;
	else
		g_cm_own++;
	return 0;
}

/* drop record @i (udma's mapping goes; a shared one stays its owner's): shared? */
static bool cm_drop(size_t i)
{
	bool shared = g_cm[i].shared;

	if (!shared && udma_vfio_container_fd() >= 0) /* after udma_eal_cleanup(): gone */
		udma_pvt_vfio_dma_unmap(g_cm[i].iova, g_cm[i].len);
	g_cm[i] = g_cm[--g_ncm];
	return shared;
}

/* take out of the container what attach put there in [va, va+len) */
static void cm_unmap_range(uintptr_t va, size_t len)
{
	struct udma_pvt_vfio_dma_stats st;
	bool shared = false;

	for (size_t i = g_ncm; i-- > 0;)
		if (g_cm[i].va >= va && g_cm[i].va + g_cm[i].len <= va + len)
			shared |= cm_drop(i);
	/* DPDK's own VFIO unmaps its pages (its callback ran first when it has a group
	 * from before attach): udma's count follows the kernel's */
	if (shared)
		udma_pvt_vfio_dma_stats(&st, 1);
}

static void cm_clear(void)
{
	while (g_ncm)
		cm_drop(g_ncm - 1);
	free(g_cm);
	g_cm = NULL;
	g_cmcap = 0;
	g_cm_own = g_cm_shared = 0;
}

/* udma learns the region: at DPDK's IOVAs, or (sim) at its own */
static int rg_register(const struct region *r)
{
	return g_sim ? udma_mem_register((void *)r->va, r->len)
		     : udma_mem_register_iova((void *)r->va, r->len, r->iova, r->pgsz);
}

static int rg_add(const struct region *r)
{
	int ret;

	if (g_nrg == g_cap) {
		size_t cap = g_cap ? g_cap * 2 : 64;
		struct region *n = realloc(g_rg, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		g_rg = n;
		g_cap = cap;
	}
	ret = rg_register(r);
	if (ret == 0)
		g_rg[g_nrg++] = *r;
	return ret;
}

static int rg_del(size_t i)
{
	int ret = udma_mem_unregister((void *)g_rg[i].va, g_rg[i].len);

	if (ret == 0) {
		memmove(&g_rg[i], &g_rg[i + 1], (g_nrg - i - 1) * sizeof(*g_rg));
		g_nrg--;
	}
	return ret;
}

/* a run of memsegs contiguous in VA and IOVA, flushed into a registration */
struct walk {
	struct region run;
	int ret;
};

static int walk_flush(struct walk *w)
{
	if (w->run.len && w->ret == 0)
		w->ret = rg_add(&w->run);
	w->run.len = 0;
	return w->ret;
}

static int walk_page(struct walk *w, uintptr_t va, size_t len, uint64_t iova, size_t pgsz)
{
	struct region *r = &w->run;

	if (iova == RTE_BAD_IOVA)
		return walk_flush(w); /* external memory without IOVAs: not DMA-able */
	if (r->len && r->va + r->len == va && r->iova + r->len == iova && r->pgsz == pgsz) {
		r->len += len;
		return 0;
	}
	if (walk_flush(w) != 0)
		return w->ret;
	*r = (struct region){.va = va, .len = len, .iova = iova, .pgsz = pgsz};
	return 0;
}

/* one DPDK page into the shared container (vfio mode), then into the walk's run */
static int walk_seg(struct walk *w, uintptr_t va, size_t len, uint64_t iova, size_t pgsz)
{
	if (iova != RTE_BAD_IOVA && w->ret == 0) {
		int ret = cm_map(va, iova, len);

		if (ret != 0) {
			w->ret = ret;
			return ret;
		}
	}
	return walk_page(w, va, len, iova, pgsz);
}

static int memseg_cb(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	if (msl->external)
		return 0; /* rte_extmem: the application registers it itself */
	return walk_seg(arg, (uintptr_t)ms->addr, ms->len, ms->iova, msl->page_sz) ? -1 : 0;
}

/* [va, va+len) was just allocated by DPDK: register its memsegs */
static void event_alloc(uintptr_t va, size_t len)
{
	struct walk w = {0};

	for (uintptr_t p = va; p < va + len;) {
		struct rte_memseg_list *msl = rte_mem_virt2memseg_list((void *)p);
		struct rte_memseg *ms = rte_mem_virt2memseg((void *)p, msl);

		if (ms == NULL || msl == NULL)
			break;
		walk_seg(&w, (uintptr_t)ms->addr, ms->len, ms->iova, msl->page_sz);
		p = (uintptr_t)ms->addr + ms->len;
	}
	if (walk_flush(&w) != 0)
		LOG("cannot register memory DPDK added [%#" PRIxPTR ", +%zu): %s; maps of it bounce",
		    va, len, strerror(-w.ret));
}

/* [va, va+len) is about to be freed by DPDK: drop it, keep the rest registered */
static void event_free(uintptr_t va, size_t len)
{
	for (size_t i = 0; i < g_nrg;) {
		struct region r = g_rg[i], lo = r, hi = r;
		int ret;

		if (r.va >= va + len || va >= r.va + r.len) {
			i++;
			continue;
		}
		ret = rg_del(i);
		if (ret != 0) {
			LOG("DPDK frees [%#" PRIxPTR ", +%zu) while udma maps it (%s): unmap first",
			    va, len, strerror(-ret));
			i++;
			continue;
		}
		lo.len = va > r.va ? va - r.va : 0;
		if (va + len < r.va + r.len) {
			hi.va = va + len;
			hi.iova = r.iova + (hi.va - r.va);
			hi.len = r.va + r.len - hi.va;
		} else {
			hi.len = 0;
		}
		if ((lo.len && rg_add(&lo) != 0) || (hi.len && rg_add(&hi) != 0))
			LOG("cannot re-register the rest of [%#" PRIxPTR ", +%zu)", r.va, r.len);
		i = 0; /* the parts re-added went to the end and miss the range: rescan */
	}
	/* DPDK unmaps the pages after this callback: the device must not reach them */
	cm_unmap_range(va, len);
}

static void mem_event_cb(enum rte_mem_event type, const void *addr, size_t len, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_lock);
	if (g_attached) {
		if (type == RTE_MEM_EVENT_ALLOC)
			event_alloc((uintptr_t)addr, len);
		else
			event_free((uintptr_t)addr, len);
	}
	pthread_mutex_unlock(&g_lock);
}

static void rg_clear(void)
{
	while (g_nrg && rg_del(g_nrg - 1) == 0)
		;
}

/* udma and DPDK agree on what an IOVA is? 0, or -ENOTSUP with one line saying why */
static int modes_agree(void)
{
	enum rte_iova_mode d = rte_eal_iova_mode();
	enum udma_iova_mode u = udma_iova_mode();

	g_sim = u == UDMA_IOVA_SIM;
	if ((u == UDMA_IOVA_PA && d == RTE_IOVA_PA) || (u == UDMA_IOVA_VA && d == RTE_IOVA_VA) ||
	    g_sim)
		return 0;
	if (u == UDMA_IOVA_VFIO) {
		int fd = rte_vfio_get_container_fd();

		if (fd >= 0 && fd == udma_vfio_container_fd())
			return 0;
		LOG("udma's VFIO container (fd %d) is not DPDK's (fd %d): let udma_dpdk_attach() "
		    "initialise udma, or call udma_vfio_set_container(rte_vfio_get_container_fd()) "
		    "before udma_eal_init()", udma_vfio_container_fd(), fd);
		return -ENOTSUP;
	}
	LOG("IOVA modes disagree: udma --iova-mode=%s, DPDK --iova-mode=%s; give both the same "
	    "(pa or va)", udma_iova_mode_name(u), d == RTE_IOVA_PA ? "pa" : "va");
	return -ENOTSUP;
}

int udma_dpdk_attach(int argc, char **argv)
{
	struct walk w = {0};
	bool inited_here = false;
	int ret;

	if (argc < 0 || (argc > 0 && argv == NULL)) {
		LOG("bad argument (argc %d, argv %p)", argc, (void *)argv);
		return -EINVAL;
	}
	if (rte_lcore_count() == 0) {
		LOG("DPDK is not initialised: call rte_eal_init() first");
		return -EPERM;
	}
	pthread_mutex_lock(&g_lock);
	ret = g_attached ? -EALREADY : 0;
	pthread_mutex_unlock(&g_lock);
	if (ret) {
		LOG("already attached");
		return ret;
	}
	if (!udma_eal_initialized()) {
		/* one VFIO container for both: udma's vfio mode uses DPDK's */
		if (rte_vfio_is_enabled("vfio") && rte_vfio_get_container_fd() >= 0)
			udma_vfio_set_container(rte_vfio_get_container_fd());
		dpdk_heap_provide(); /* udma's heap on DPDK memzones: no hugepages of its own */
		ret = udma_eal_init(argc, argv);
		if (ret < 0) {
			dpdk_heap_forget();
			return ret;
		}
		inited_here = true;
	}
	ret = modes_agree();
	if (ret)
		goto fail;
	/* vfio: DPDK's container, where DPDK's memory may be missing (see struct cmap) */
	g_cm_on = udma_iova_mode() == UDMA_IOVA_VFIO;
	/* DPDK's hotplug lock, then ours: as the event callback runs */
	rte_mcfg_mem_read_lock();
	pthread_mutex_lock(&g_lock);
	if (rte_mem_event_callback_register("udma", mem_event_cb, NULL) != 0 &&
	    rte_errno != ENOTSUP) { /* ENOTSUP: --legacy-mem, memory never changes */
		ret = -rte_errno;
		LOG("rte_mem_event_callback_register: %s", rte_strerror(rte_errno));
	} else {
		rte_memseg_walk_thread_unsafe(memseg_cb, &w);
		ret = walk_flush(&w);
		if (ret) {
			rg_clear();
			cm_clear();
			rte_mem_event_callback_unregister("udma", NULL);
		} else {
			g_attached = true;
		}
	}
	pthread_mutex_unlock(&g_lock);
	rte_mcfg_mem_read_unlock();
	if (ret)
		goto fail;
	if (g_cm_on)
		udma_log(UDMA_LOG_INFO, "udma_dpdk: DPDK's memory in the VFIO container (fd %d): "
			 "%lu page(s) mapped by udma, %lu already mapped by another user (DPDK's "
			 "own VFIO)", udma_vfio_container_fd(), g_cm_own, g_cm_shared);
	if (g_cm_own && g_cm_shared) /* DPDK maps all of its memory or none */
		udma_log(UDMA_LOG_WARNING, "udma_dpdk: %lu page(s) of DPDK's memory were mapped "
			 "in the VFIO container by a user other than udma and DPDK (DPDK maps all "
			 "or none): the kernel cannot tell what their IOVAs reach", g_cm_shared);
	if (rte_lcore_id() != LCORE_ID_ANY && udma_lcore_id() != rte_lcore_id()) {
		udma_thread_unregister();
		if (udma_thread_register_id(rte_lcore_id()) < 0)
			LOG("lcore %u: no udma slot of that id (--lcores): shared paths",
			    rte_lcore_id());
	}
	g_inited = inited_here;
	return 0;
fail:
	LOG("attach failed: %s", strerror(-ret));
	if (inited_here)
		udma_eal_cleanup();
	return ret;
}

/* udma memory a user still holds: 0, or -EBUSY with one line */
static int udma_in_use(void)
{
	struct udma_swiotlb_stats st = {0};
	unsigned long live = udma_pvt_heap_live();

	if (udma_swiotlb_stats(&st) != 0)
		st.used = 0; /* --swiotlb=off: no region */
	if (live == 0 && st.used == 0)
		return 0;
	LOG("udma memory is in use (%lu coherent or pool allocation(s), %zu bytes of bounce "
	    "slots): free and unmap it first, detach ends the udma attach initialised",
	    live, (size_t)st.used);
	return -EBUSY;
}

int udma_dpdk_detach(void)
{
	bool end_udma = false;
	int ret = 0;

	pthread_mutex_lock(&g_lock);
	ret = g_attached && g_inited ? udma_in_use() : 0;
	pthread_mutex_unlock(&g_lock);
	if (ret)
		return ret;
	rte_mcfg_mem_read_lock();
	pthread_mutex_lock(&g_lock);
	if (!g_attached) {
		ret = -ENOENT;
		LOG("not attached");
	} else {
		for (size_t i = 0; i < g_nrg; i++)
			if (udma_mem_unregister((void *)g_rg[i].va, g_rg[i].len) == -EBUSY) {
				ret = -EBUSY;
				/* put back what went */
				for (size_t j = 0; j < i; j++)
					rg_register(&g_rg[j]);
				break;
			}
		if (ret == 0) {
			udma_dpdk_mempool_release();
			cm_clear(); /* what udma mapped into DPDK's container goes */
			g_cm_on = false;
			g_nrg = 0;
			rte_mem_event_callback_unregister("udma", NULL);
			g_attached = false;
			end_udma = g_inited;
			g_inited = false;
		}
	}
	pthread_mutex_unlock(&g_lock);
	rte_mcfg_mem_read_unlock();
	/* outside DPDK's lock: the memzones of udma's heap go back to DPDK */
	if (end_udma)
		udma_eal_cleanup();
	return ret;
}

int udma_dpdk_thread_attach(void)
{
	unsigned int id = rte_lcore_id();

	if (id == LCORE_ID_ANY) {
		LOG("not a DPDK lcore thread");
		return -EINVAL;
	}
	return udma_thread_register_id(id);
}

unsigned int udma_dpdk_nr_regions(void)
{
	unsigned int n;

	pthread_mutex_lock(&g_lock);
	n = (unsigned int)g_nrg;
	pthread_mutex_unlock(&g_lock);
	return n;
}
