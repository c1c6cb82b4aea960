/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The edu driver on the host, against a BAR in plain memory: what it writes to the
 * registers (source, destination, count, command) for each direction, its argument
 * checks (one log line each, nothing written), busy and timeout handling, and attach
 * refusing what is not an edu. The guest (vm_edu) runs it against QEMU's edu.
 */
#include "test_common.h"
#include "udma_edu.h"

static uint64_t g_bar[0x100 / 8];
#define REG(off) (g_bar[(off) / 8])

static struct udma_device *g_dev;
static struct udma_edu g_edu;

static int setup(void **state)
{
	(void)state;
	if (t_init_args("--iova-mode=sim", "-m", "4", "--log-level=2", NULL) < 0)
		return -1;
	g_dev = udma_device_create("edu-host", NULL, -1);
	return g_dev ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	udma_device_destroy(g_dev);
	udma_eal_cleanup();
	return 0;
}

/* a fake edu that passed attach: the driver's view of an attached device */
static void fake_attached(uint64_t mask)
{
	memset(g_bar, 0, sizeof(g_bar));
	assert_int_equal(udma_set_mask_and_coherent(g_dev, mask), 0);
	g_edu = (struct udma_edu){.regs = (volatile uint8_t *)g_bar, .dev = g_dev, .timeout_ms = 20};
}

static void test_attach_refuses(void **state)
{
	struct udma_edu e;
	struct t_log l;
	char *txt;

	(void)state;
	memset(g_bar, 0, sizeof(g_bar));
	t_log_begin(&l);
	assert_int_equal(udma_edu_attach(&e, g_dev, g_bar, sizeof(g_bar), UDMA_BIT_MASK(64)), -ENODEV);
	g_bar[0] = 0x010000ed; /* edu's identification, but memory does not invert the liveness word */
	assert_int_equal(udma_edu_attach(&e, g_dev, g_bar, sizeof(g_bar), UDMA_BIT_MASK(64)), -ENODEV);
	assert_int_equal(udma_edu_attach(NULL, g_dev, g_bar, sizeof(g_bar), UDMA_BIT_MASK(64)), -EINVAL);
	assert_int_equal(udma_edu_attach(&e, NULL, g_bar, sizeof(g_bar), UDMA_BIT_MASK(64)), -EINVAL);
	assert_int_equal(udma_edu_attach(&e, g_dev, g_bar, 0x10, UDMA_BIT_MASK(64)), -EINVAL);
	assert_int_equal(udma_edu_attach(&e, g_dev, g_bar, sizeof(g_bar), 0), -EINVAL);
	assert_int_equal(udma_edu_open(&e, NULL, UDMA_BIT_MASK(64)), -EINVAL);
	txt = t_log_end(&l);
	assert_int_equal(t_count(txt, "\n"), 7);
	free(txt);
}

/* what reaches the registers: memory -> edu and edu -> memory */
static void test_registers(void **state)
{
	udma_addr_t h;
	void *p;

	(void)state;
	fake_attached(UDMA_BIT_MASK(64));
	p = udma_alloc_coherent(g_dev, 4096, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, h + 16, 100, 200), 0);
	assert_int_equal(REG(0x80), h + 16);
	assert_int_equal(REG(0x88), UDMA_EDU_BUF_ADDR + 100);
	assert_int_equal(REG(0x90), 200);
	assert_int_equal(REG(0x98), 0x1);
	assert_int_equal(udma_edu_busy(&g_edu), 1);
	REG(0x98) = 0; /* the device finished */
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_FROM_DEVICE, h, 0, UDMA_EDU_MAX_XFER), 0);
	assert_int_equal(REG(0x80), UDMA_EDU_BUF_ADDR);
	assert_int_equal(REG(0x88), h);
	assert_int_equal(REG(0x90), UDMA_EDU_MAX_XFER);
	assert_int_equal(REG(0x98), 0x3);
	REG(0x98) = 0;
	assert_int_equal(udma_edu_wait(&g_edu, 0), 0);
	assert_int_equal(g_edu.dmas, 1);
	udma_free_coherent(g_dev, 4096, p, h);
}

/* a running DMA: a second submit is refused, a wait times out, nothing is rewritten */
static void test_busy_and_timeout(void **state)
{
	struct t_log l;
	char *txt;

	(void)state;
	fake_attached(UDMA_BIT_MASK(64));
	REG(0x98) = 0x1;
	REG(0x80) = 0x1234;
	t_log_begin(&l);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, 0x10000, 0, 16), -EBUSY);
	assert_int_equal(udma_edu_wait(&g_edu, 5), -ETIMEDOUT);
	txt = t_log_end(&l);
	assert_int_equal(t_count(txt, "\n"), 2);
	free(txt);
	assert_int_equal(REG(0x80), 0x1234);
	assert_int_equal(g_edu.dmas, 0);
}

/* what the device would get wrong is refused before any register is written */
static void test_bad_transfers(void **state)
{
	struct udma_edu none = {0};
	struct t_log l;
	char *txt;

	(void)state;
	fake_attached(UDMA_BIT_MASK(28));
	t_log_begin(&l);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, 0x1000, 0, 0), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, 0x1000, 0, 4096), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, 0x1000, 1, UDMA_EDU_MAX_XFER), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, 0x1000, 0xffffffffu, 16), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_BIDIRECTIONAL, 0x1000, 0, 16), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, UDMA_MAPPING_ERROR, 0, 16), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, UDMA_BIT_MASK(28) + 1, 0, 16), -EINVAL);
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, UDMA_BIT_MASK(28) - 7, 0, 16), -EINVAL);
	assert_int_equal(udma_edu_submit(NULL, UDMA_TO_DEVICE, 0x1000, 0, 16), -EINVAL);
	assert_int_equal(udma_edu_submit(&none, UDMA_TO_DEVICE, 0x1000, 0, 16), -EINVAL);
	assert_int_equal(udma_edu_busy(NULL), -EINVAL);
	assert_int_equal(udma_edu_wait(NULL, 0), -EINVAL);
	assert_int_equal(udma_edu_write(&g_edu, NULL, 16, 0), -EINVAL);
	assert_int_equal(udma_edu_read(&g_edu, g_bar, 4096, 0), -EINVAL);
	udma_edu_close(NULL);
	udma_edu_close(&none);
	txt = t_log_end(&l);
	assert_int_equal(t_count(txt, "\n"), 14);
	free(txt);
	for (size_t i = 0; i < sizeof(g_bar) / 8; i++)
		assert_int_equal(g_bar[i], 0);
	/* the last byte under the mask is fine */
	assert_int_equal(udma_edu_submit(&g_edu, UDMA_TO_DEVICE, UDMA_BIT_MASK(28) - 15, 0, 16), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_refuses),
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_busy_and_timeout),
		cmocka_unit_test(test_bad_transfers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
