/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * White-box: the init stages run in their enum's order and hand each subsystem the
 * options, and every registry that is full says so and stops init (no silent drop).
 * The tests run in this order: the last ones fill the registries for good.
 */
#include "test_common.h"

#include "dma_private.h"
#include "eal_private.h"
#include "iova_private.h"

static struct {
	int calls;
	bool dma_debug;
	int debug_on_at_init; /* dma-debug (an earlier stage) was on when this one ran */
	int finis;
} g_seen;

static int probe_init(const struct eal_config *cfg)
{
	g_seen.calls++;
	g_seen.dma_debug = cfg->dma_debug;
	g_seen.debug_on_at_init = udma_debug_enabled();
	return 0;
}

static void probe_fini(void)
{
	g_seen.finis++;
}

static const struct eal_hook g_probe = {.name = "test-probe", .init = probe_init,
					.fini = probe_fini};

/* a hook at the last stage runs after dma-debug's and sees the options it was given */
static void test_stage_order_and_options(void **state)
{
	(void)state;
	assert_int_equal(eal_hook_register(&g_probe, EAL_STAGE_MAP_DIRECT), 0);
	assert_true(t_init_args("--iova-mode=sim", "--no-huge", "-m", "16", "--dma-debug",
				"--log-level=2", NULL) >= 0);
	assert_int_equal(g_seen.calls, 1);
	assert_true(g_seen.dma_debug);
	assert_int_equal(g_seen.debug_on_at_init, 1);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(g_seen.finis, 1);

	assert_true(t_init_args("--iova-mode=sim", "--no-huge", "-m", "16", "--log-level=2",
				NULL) >= 0);
	assert_int_equal(g_seen.calls, 2);
	assert_false(g_seen.dma_debug);
	assert_int_equal(g_seen.debug_on_at_init, 0);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/* eight distinct flush functions: more than the table's free slots */
#define NOP_FLUSH(n) static void nop_flush##n(unsigned int lc) { (void)lc; }
NOP_FLUSH(0) NOP_FLUSH(1) NOP_FLUSH(2) NOP_FLUSH(3)
NOP_FLUSH(4) NOP_FLUSH(5) NOP_FLUSH(6) NOP_FLUSH(7)

static void nop_destroy(struct udma_device *dev)
{
	(void)dev;
}

/* every registry: fill it, the next registration fails loudly and init refuses */
static void test_full_registries_fail_loudly(void **state)
{
	static struct eal_hook hooks[16];
	static struct udma_iova_ops backends[16];
	const lcore_flush_fn flush[8] = {nop_flush0, nop_flush1, nop_flush2, nop_flush3,
					 nop_flush4, nop_flush5, nop_flush6, nop_flush7};
	struct t_log log;
	char *text;
	int ret, i;

	(void)state;
	t_log_begin(&log);
	/* init hooks (16 slots: the library's, the probe's above, then fillers) */
	for (i = 0; i < 16; i++)
		hooks[i].name = "test-filler";
	for (i = 0; i < 16 && (ret = eal_hook_register(&hooks[i], EAL_STAGE_POOL)) == 0; i++)
		;
	assert_int_equal(ret, -ENOSPC);
	assert_true(i > 0 && i < 16);
	/* IOVA backends (8 slots) */
	for (i = 0; i < 16; i++) {
		backends[i].name = "test-backend";
		backends[i].mode = UDMA_IOVA_DC;
		if ((ret = iova_ops_register(&backends[i])) != 0)
			break;
	}
	assert_int_equal(ret, -ENOSPC);
	/* device-destroy hooks (4 slots): the same function may take every one */
	for (i = 0; i < 16 && (ret = dma_dev_destroy_hook_register(nop_destroy)) == 0; i++)
		;
	assert_int_equal(ret, -ENOSPC);
	/* lcore flush hooks (8 slots): a function already there is not a second entry */
	assert_int_equal(lcore_flush_register(nop_flush0), 0);
	assert_int_equal(lcore_flush_register(nop_flush0), 0);
	for (i = 1; i < 8 && (ret = lcore_flush_register(flush[i])) == 0; i++)
		;
	assert_int_equal(ret, -ENOSPC);

	ret = t_init_args("--iova-mode=sim", "--no-huge", "-m", "16", NULL);
	text = t_log_end(&log);
	assert_int_equal(ret, -ENOSPC);
	assert_int_equal(udma_eal_initialized(), 0);
	assert_true(t_count(text, "init hooks: all 16 slots taken, test-filler not registered") >= 1);
	assert_int_equal(t_count(text, "IOVA backends: all 8 slots taken, test-backend not registered"), 1);
	assert_int_equal(t_count(text, "device-destroy hooks: all 4 slots taken"), 1);
	assert_int_equal(t_count(text, "lcore flush hooks: all 8 slots taken"), 1);
	/* the refusal names the first registry that overflowed */
	assert_int_equal(t_count(text, "cannot run: init hooks full (16 slots): test-filler not "
				       "registered"), 1);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_order_and_options),
		cmocka_unit_test(test_full_registries_fail_loudly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
