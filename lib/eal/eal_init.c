/* SPDX-License-Identifier: BSD-3-Clause */
/* udma_eal_init / udma_eal_cleanup: all or nothing, and again any number of times. */
#include <string.h>

#include "eal_private.h"
#include "eal_topology.h"
#include "eal_iova.h"

#define MAX_HOOKS 16

struct hook_slot {
	const struct eal_hook *h;
	enum eal_stage stage;
};

/*
 * The init subsystem's state (DPDK's struct rte_config): the hooks of later layers
 * in stage order and how far init got. The parsed options are g_cfg (eal_options.c).
 */
static struct eal_state {
	struct hook_slot hooks[MAX_HOOKS];
	unsigned int nr_hooks;
	unsigned int hooks_done; /* hooks whose init ran: cleanup runs their fini backwards */
	atomic_int initialized;
	char register_error[160]; /* the first registration that found its table full */
} g_eal;

void eal_register_failed(const char *registry, unsigned int slots, const char *name)
{
	udma_log(UDMA_LOG_ERR, "udma_eal_init(): %s: all %u slots taken, %s not registered: "
		 "init will refuse to run", registry, slots, name);
	if (g_eal.register_error[0] == '\0')
		snprintf(g_eal.register_error, sizeof(g_eal.register_error),
			 "%s full (%u slots): %s not registered", registry, slots, name);
}

int eal_hook_register(const struct eal_hook *h, enum eal_stage stage)
{
	const struct hook_slot s = {h, stage};
	unsigned int i = g_eal.nr_hooks;
	int ret = EAL_REGISTRY_ADD(g_eal.hooks, g_eal.nr_hooks, s, "init hooks", h->name);

	/* stage order: the new hook moves down past the hooks of later stages */
	for (; ret == 0 && i > 0 && g_eal.hooks[i - 1].stage > stage; i--) {
		g_eal.hooks[i] = g_eal.hooks[i - 1];
		g_eal.hooks[i - 1] = s;
	}
	return ret;
}

int udma_eal_initialized(void)
{
	return atomic_load_explicit(&g_eal.initialized, memory_order_acquire);
}

static void teardown(void)
{
	while (g_eal.hooks_done > 0) {
		const struct eal_hook *h = g_eal.hooks[--g_eal.hooks_done].h;

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
		ret = iova_select(g_cfg.iova_mode,
				  &(struct iova_mode_opts){.vfio_group = g_cfg.vfio_group,
							   .vfio_mask_bits = g_cfg.vfio_mask_bits});
	if (ret == 0)
		ret = heap_init();
	if (ret == 0)
		ret = memseg_init();
	if (ret == 0)
		ret = memseg_reserve_initial();
	for (g_eal.hooks_done = 0; ret == 0 && g_eal.hooks_done < g_eal.nr_hooks;
	     g_eal.hooks_done++) {
		const struct eal_hook *h = g_eal.hooks[g_eal.hooks_done].h;

		ret = h->init ? h->init(&g_cfg) : 0;
		if (ret < 0)
			UDMA_LOG_AS(ERR, "udma_eal_init", "%s init failed: %s", h->name, strerror(-ret));
	}
	return ret;
}

int udma_eal_init(int argc, char **argv)
{
	int consumed, saved_level = udma_log_get_level(), saved_types[UDMA_LOGTYPE_MAX], ret;

	if (udma_eal_initialized()) {
		UDMA_LOG(ERR, "already initialised: call udma_eal_cleanup() first");
		return -EALREADY;
	}
	if (argc < 1 || argv == NULL || argv[0] == NULL) {
		UDMA_LOG(ERR, "argc must be >= 1 and argv[0] the program name");
		return -EINVAL;
	}
	eal_log_reset_counters(); /* counts and rate-limit windows start at init */
	if (g_eal.register_error[0] != '\0') { /* a constructor could not register */
		UDMA_LOG(ERR, "cannot run: %s", g_eal.register_error);
		return -ENOSPC;
	}
	consumed = eal_parse_args(argc, argv);
	if (consumed < 0)
		return consumed;
	udma_log_set_level(g_cfg.log_level); /* 0..7: checked by the parser */
	log_type_levels_save(saved_types);
	for (int t = 0; t < UDMA_LOGTYPE_MAX; t++)
		if (g_cfg.log_type_level[t] != -2)
			udma_log_set_type_level((enum udma_log_type)t, g_cfg.log_type_level[t]);
	ret = setup();
	if (ret < 0) {
		teardown();
		udma_log_set_level(saved_level);
		log_type_levels_restore(saved_types);
		return ret;
	}
	if (consumed > 0)
		argv[consumed] = argv[0];
	UDMA_LOG(INFO, "udma %s: iova mode %s, %zu MiB in memsegs, %u lcore slots",
		 UDMA_VERSION_STR, g_iova.ops->name, g_mem.total >> 20, g_cfg.lcores);
	atomic_store_explicit(&g_eal.initialized, 1, memory_order_release);
	return consumed;
}

int udma_eal_cleanup(void)
{
	if (!udma_eal_initialized()) {
		UDMA_LOG(ERR, "not initialised");
		return -EALREADY;
	}
	atomic_store(&g_eal.initialized, 0);
	teardown();
	return 0;
}

enum udma_iova_mode udma_iova_mode(void)
{
	return udma_eal_initialized() && g_iova.ops ? g_iova.ops->mode : UDMA_IOVA_DC;
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
		UDMA_VERSION_STR, g_iova.ops->name, eal_topology()->name, udma_numa_node_count(),
		udma_lcore_count());
	if (g_iova.ops->dump)
		g_iova.ops->dump(f);
	memseg_dump(f);
	fprintf(f, "heap: %zu free pages (4 KiB)\n", heap_free_pages());
	fprintf(f, "log: %lu errors, %lu messages suppressed by the rate limit\n",
		udma_log_error_count(), udma_log_suppressed_count());
	for (unsigned int i = 0; i < g_eal.nr_hooks; i++)
		if (g_eal.hooks[i].h->dump)
			g_eal.hooks[i].h->dump(f);
}
