/* SPDX-License-Identifier: BSD-3-Clause */
/* lcore slots: the init thread is lcore 0, others register. */
#include "eal_private.h"

__thread unsigned int udma_pvt_lcore_id __attribute__((tls_model("initial-exec"))) =
	UDMA_LCORE_ID_ANY;

unsigned int udma_pvt_gen; /* bumped at init and cleanup: stale TLS ids are ignored */
__thread unsigned int udma_pvt_lcore_gen __attribute__((tls_model("initial-exec")));
/* the slot and generation in one word for the pool's inline paths (udma_eal_pvt.h) */
__thread unsigned int udma_pvt_lcore_slot __attribute__((tls_model("initial-exec"))) =
	0xffffffffu;

#define MAX_FLUSH 8

/*
 * The lcore subsystem's state. Not in it, as ABI the inline fast paths of the
 * public headers read (udma_eal_pvt.h): the thread-local slot and generation
 * above (a struct cannot hold thread-local members) and the init generation.
 */
static struct lcore_state {
	atomic_uchar slots[UDMA_MAX_LCORES]; /* 1: a thread holds the slot */
	unsigned int nr_lcores;
	lcore_flush_fn flush[MAX_FLUSH];
	unsigned int nr_flush;
} g_lcore;

int lcore_flush_register(lcore_flush_fn fn)
{
	for (unsigned int i = 0; i < g_lcore.nr_flush; i++)
		if (g_lcore.flush[i] == fn)
			return 0;
	return EAL_REGISTRY_ADD(g_lcore.flush, g_lcore.nr_flush, fn, "lcore flush hooks",
				"a per-lcore cache");
}

void lcore_flush_all(unsigned int lcore_id)
{
	for (unsigned int i = 0; i < g_lcore.nr_flush; i++)
		g_lcore.flush[i](lcore_id);
}

int lcore_init(unsigned int count)
{
	for (unsigned int i = 0; i < UDMA_MAX_LCORES; i++)
		atomic_store(&g_lcore.slots[i], 0);
	g_lcore.nr_lcores = count;
	atomic_store(&g_lcore.slots[0], 1);
	t_lcore_epoch = __atomic_add_fetch(&g_lcore_epoch, 1, __ATOMIC_SEQ_CST);
	g_lcore_id = 0;
	udma_pvt_lcore_slot = udma_pvt_lcore_slot_base(t_lcore_epoch);
	return 0;
}

void lcore_fini(void)
{
	for (unsigned int i = 0; i < g_lcore.nr_lcores; i++)
		lcore_flush_all(i);
	g_lcore.nr_lcores = 0;
	__atomic_add_fetch(&g_lcore_epoch, 1, __ATOMIC_SEQ_CST);
	g_lcore_id = UDMA_LCORE_ID_ANY;
	udma_pvt_lcore_slot = 0xffffffffu;
}

unsigned int udma_lcore_id(void)
{
	return lcore_id();
}

unsigned int udma_lcore_count(void)
{
	return g_lcore.nr_lcores;
}

/* give the calling thread lcore slot @id: false when another thread holds it */
static bool slot_claim(unsigned int id)
{
	unsigned char expect = 0;

	if (!atomic_compare_exchange_strong(&g_lcore.slots[id], &expect, 1))
		return false;
	t_lcore_epoch = __atomic_load_n(&g_lcore_epoch, __ATOMIC_SEQ_CST);
	g_lcore_id = id;
	udma_pvt_lcore_slot = udma_pvt_lcore_slot_base(t_lcore_epoch) + id;
	return true;
}

int udma_thread_register(void)
{
	if (!udma_eal_initialized()) {
		UDMA_LOG(ERR, "udma is not initialised");
		return -ENODEV;
	}
	if (udma_lcore_id() != UDMA_LCORE_ID_ANY)
		return -EALREADY;
	for (unsigned int i = 1; i < g_lcore.nr_lcores; i++)
		if (slot_claim(i))
			return (int)i;
	UDMA_LOG(WARNING, "all %u lcore slots taken: thread stays on the shared paths",
		 g_lcore.nr_lcores);
	return -ENOSPC;
}

int udma_thread_register_id(unsigned int id)
{
	if (!udma_eal_initialized()) {
		UDMA_LOG(ERR, "udma is not initialised");
		return -ENODEV;
	}
	if (id >= g_lcore.nr_lcores) {
		UDMA_LOG(ERR, "lcore id %u out of range (%u slots: --lcores)", id,
			 g_lcore.nr_lcores);
		return -EINVAL;
	}
	if (udma_lcore_id() == id)
		return (int)id;
	if (udma_lcore_id() != UDMA_LCORE_ID_ANY)
		return -EALREADY;
	if (!slot_claim(id)) {
		UDMA_LOG(ERR, "lcore slot %u is taken by another thread", id);
		return -EBUSY;
	}
	return (int)id;
}

void udma_thread_unregister(void)
{
	unsigned int id = udma_lcore_id();

	if (id == UDMA_LCORE_ID_ANY)
		return;
	lcore_flush_all(id);
	g_lcore_id = UDMA_LCORE_ID_ANY;
	udma_pvt_lcore_slot = 0xffffffffu;
	if (id != 0)
		atomic_store(&g_lcore.slots[id], 0);
}
