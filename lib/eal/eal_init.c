/* SPDX-License-Identifier: BSD-3-Clause */
/* udma_eal_init / udma_eal_cleanup: all or nothing, and again any number of times. */
#include <string.h>

#include "eal_private.h"
#include "eal_topology.h"
#include "iova_private.h"

#define MAX_HOOKS 8

static struct {
	const struct eal_hook *h;
	int order;
} g_hooks[MAX_HOOKS];
static unsigned int g_nr_hooks;
static unsigned int g_hooks_done;
static atomic_int g_initialized;

void eal_hook_register(const struct eal_hook *h, int order)
{
	unsigned int i;

	if (g_nr_hooks == MAX_HOOKS)
		return;
	for (i = g_nr_hooks; i > 0 && g_hooks[i - 1].order > order; i--)
		g_hooks[i] = g_hooks[i - 1];
	g_hooks[i].h = h;
	g_hooks[i].order = order;
	g_nr_hooks++;
}

int udma_eal_initialized(void)
{
	return atomic_load_explicit(&g_initialized, memory_order_acquire);
}

static void teardown(void)
{
	while (g_hooks_done > 0) {
		const struct eal_hook *h = g_hooks[--g_hooks_done].h;

		if (h->fini)
			h->fini();
	}
	lcore_fini();
	heap_fini();
	memseg_fini();
	iova_release();
}

static int setup(void)
{
	int ret;

	ret = lcore_init(g_cfg.lcores);
	if (ret == 0)
		ret = iova_select(g_cfg.iova_mode);
	if (ret == 0)
		ret = heap_init();
	if (ret == 0)
		ret = memseg_init();
	if (ret == 0)
		ret = memseg_reserve_initial();
	for (g_hooks_done = 0; ret == 0 && g_hooks_done < g_nr_hooks; g_hooks_done++) {
		const struct eal_hook *h = g_hooks[g_hooks_done].h;

		ret = h->init ? h->init() : 0;
		if (ret < 0)
			UDMA_LOG(ERR, "%s init failed: %s", h->name, strerror(-ret));
	}
	return ret;
}

int udma_eal_init(int argc, char **argv)
{
	int consumed, saved_level = g_log_level, ret;

	if (udma_eal_initialized()) {
		UDMA_LOG(ERR, "already initialised: call udma_eal_cleanup() first");
		return -EALREADY;
	}
	if (argc < 1 || argv == NULL || argv[0] == NULL) {
		UDMA_LOG(ERR, "argc must be >= 1 and argv[0] the program name");
		return -EINVAL;
	}
	log_reset_counters(); /* counts and rate-limit windows start at init */
	consumed = eal_parse_args(argc, argv);
	if (consumed < 0)
		return consumed;
	g_log_level = g_cfg.log_level;
	ret = setup();
	if (ret < 0) {
		teardown();
		g_log_level = saved_level;
		return ret;
	}
	if (consumed > 0)
		argv[consumed] = argv[0];
	UDMA_LOG(INFO, "udma %s: iova mode %s, %zu MiB in memsegs, %u lcore slots",
		 UDMA_VERSION, g_iova_ops->name, g_mem.total >> 20, g_cfg.lcores);
	atomic_store_explicit(&g_initialized, 1, memory_order_release);
	return consumed;
}

int udma_eal_cleanup(void)
{
	if (!udma_eal_initialized()) {
		UDMA_LOG(ERR, "not initialised");
		return -EALREADY;
	}
	atomic_store(&g_initialized, 0);
	teardown();
	return 0;
}

enum udma_iova_mode udma_iova_mode(void)
{
	return udma_eal_initialized() && g_iova_ops ? g_iova_ops->mode : UDMA_IOVA_DC;
}

const char *udma_iova_mode_name(enum udma_iova_mode mode)
{
	switch (mode) {
	case UDMA_IOVA_PA: return "pa";
	case UDMA_IOVA_VA: return "va";
	case UDMA_IOVA_VFIO: return "vfio";
	case UDMA_IOVA_SIM: return "sim";
	default: return "dc";
	}
}

void udma_dump(FILE *f)
{
	if (f == NULL)
		f = stdout;
	if (!udma_eal_initialized()) {
		fprintf(f, "udma: not initialised\n");
		return;
	}
	fprintf(f, "udma %s: iova mode %s, topology %s with %d node(s), %u lcore slots\n",
		UDMA_VERSION, g_iova_ops->name, eal_topology()->name, udma_numa_node_count(),
		udma_lcore_count());
	if (g_iova_ops->dump)
		g_iova_ops->dump(f);
	memseg_dump(f);
	fprintf(f, "heap: %zu free pages (4 KiB)\n", heap_free_pages());
	fprintf(f, "log: %lu errors, %lu messages suppressed by the rate limit\n",
		udma_log_error_count(), udma_log_suppressed_count());
	for (unsigned int i = 0; i < g_nr_hooks; i++)
		if (g_hooks[i].h->dump)
			g_hooks[i].h->dump(f);
}
