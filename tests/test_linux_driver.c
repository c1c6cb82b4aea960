/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/linux_driver/e1000_rx.c, kernel-style driver code compiled unchanged
 * against <udma_linux.h>, runs against an e1000-like device model: the model
 * reads the ring base from the registers the driver programmed, reads each
 * descriptor and writes each packet and descriptor write-back through
 * udma_sim_dma_read/write, i.e. at the bus addresses the driver handed out, in
 * every IOVA mode.
 */
#include "test_common.h"

#include "linux_driver/e1000_rx.h"

#define RING 8
#define BUFSZ 2048

static u32 g_regs[E1000_REGS_SIZE / 4] __attribute__((aligned(64)));
static struct pci_dev g_pdev;
static struct e1000_adapter g_ad;
static unsigned int g_rx_seen, g_rx_bad;

static u32 reg(unsigned int off)
{
	return readl((u8 *)g_regs + off);
}

static void pkt_fill(u8 *p, unsigned int len, unsigned int seq)
{
	for (unsigned int k = 0; k < len; k++)
		p[k] = (u8)(seq * 31 + k * 7 + 1);
}

/* the stack: every packet must be the next one sent, byte for byte */
static void stack_receive(struct e1000_adapter *ad, void *data, unsigned int len)
{
	u8 want[BUFSZ];
	unsigned int seq = g_rx_seen++;

	(void)ad;
	pkt_fill(want, len, seq);
	if (len != 60 + (seq % 7) * 200 || memcmp(data, want, len) != 0)
		g_rx_bad++;
	kfree(data);
}

/* the device receives one packet; -ENOBUFS when it owns no descriptor */
static int model_receive(unsigned int seq)
{
	struct udma_device *dev = g_pdev.dev.udma;
	u64 base = ((u64)reg(E1000_RDBAH) << 32) | reg(E1000_RDBAL);
	unsigned int count = reg(E1000_RDLEN) / sizeof(struct e1000_rx_desc);
	unsigned int head = reg(E1000_RDH), len = 60 + (seq % 7) * 200;
	struct e1000_rx_desc d;
	u8 pkt[BUFSZ];

	assert_int_equal(count, RING);
	if (head == reg(E1000_RDT))
		return -ENOBUFS;
	assert_int_equal(udma_sim_dma_read(dev, base + head * sizeof(d), &d, sizeof(d)), 0);
	assert_int_equal(d.status, 0);
	pkt_fill(pkt, len, seq);
	assert_int_equal(udma_sim_dma_write(dev, le64_to_cpu(d.buffer_addr), pkt, len), 0);
	d.length = cpu_to_le16((u16)len);
	d.status = E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP;
	assert_int_equal(udma_sim_dma_write(dev, base + head * sizeof(d), &d, sizeof(d)), 0);
	writel((head + 1) % count, (u8 *)g_regs + E1000_RDH);
	return 0;
}

static void run_ring(enum t_mode mode)
{
	struct udma_device_stats st;
	struct udma_swiotlb_stats tlb;
	u64 old_buf = 0;
	int work, sent = 0;

	if (t_init_mode(mode, "32"))
		return;
	memset(g_regs, 0, sizeof(g_regs));
	memset(&g_ad, 0, sizeof(g_ad));
	g_rx_seen = g_rx_bad = 0;
	g_pdev.dev = udma_linux_device(udma_device_create("e1000", NULL, -1));
	assert_int_equal(dma_set_mask_and_coherent(&g_pdev.dev, DMA_BIT_MASK(64)), 0);
	g_ad.pdev = &g_pdev;
	g_ad.hw_addr = (u8 *)g_regs;
	g_ad.rx_buffer_len = BUFSZ;
	g_ad.receive = stack_receive;
	g_ad.rx_ring.count = RING;

	assert_int_equal(e1000_setup_rx_resources(&g_ad, &g_ad.rx_ring), 0);
	e1000_configure_rx(&g_ad);
	/* the device sees the ring where the driver said, and each buffer address */
	assert_int_equal(((u64)reg(E1000_RDBAH) << 32 | reg(E1000_RDBAL)), g_ad.rx_ring.dma);
	assert_int_equal(reg(E1000_RDT), RING - 2); /* e1000 holds one filled slot back */
	for (unsigned int i = 0; i < RING - 1; i++) {
		struct e1000_rx_desc d;

		assert_int_equal(udma_sim_dma_read(g_pdev.dev.udma, g_ad.rx_ring.dma + i * 16, &d,
						   16), 0);
		assert_int_equal(le64_to_cpu(d.buffer_addr),
				 dma_unmap_addr(&g_ad.rx_ring.buffer_info[i], dma));
		assert_int_equal(dma_unmap_len(&g_ad.rx_ring.buffer_info[i], len), BUFSZ);
	}
	old_buf = dma_unmap_addr(&g_ad.rx_ring.buffer_info[0], dma);

	/* 50 packets in bursts; the ring fills, the driver cleans and refills */
	while (sent < 50) {
		int burst = 0;

		while (sent < 50 && model_receive((unsigned int)sent) == 0) {
			sent++;
			burst++;
		}
		assert_true(burst > 0);
		assert_int_equal(burst == RING - 2 || sent == 50, 1);
		work = 0;
		assert_true(e1000_clean_rx_irq(&g_ad, &g_ad.rx_ring, &work, 64));
		assert_int_equal(work, burst);
	}
	assert_int_equal(g_rx_seen, 50);
	assert_int_equal(g_rx_bad, 0);
	assert_int_equal(g_ad.alloc_rx_buff_failed, 0);

	e1000_free_rx_resources(&g_ad, &g_ad.rx_ring);
	assert_int_equal(udma_device_stats(g_pdev.dev.udma, &st), 0);
	assert_int_equal(st.coherent_allocs, 0);
	assert_int_equal(udma_swiotlb_stats(&tlb), 0);
	assert_int_equal(tlb.used, 0);
	if (udma_iova_mode() == UDMA_IOVA_SIM) {
		u8 b = 0;
		struct t_log l;

		/* unmapped: the device can no longer write where the first buffer was */
		t_log_begin(&l);
		assert_int_equal(udma_sim_dma_write(g_pdev.dev.udma, old_buf, &b, 1), -EFAULT);
		free(t_log_end(&l));
	}
	udma_device_destroy(g_pdev.dev.udma);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_e1000_rx_sim(void **s)
{
	(void)s;
	run_ring(T_SIM);
}

static void test_e1000_rx_va(void **s)
{
	(void)s;
	run_ring(T_VA);
}

static void test_e1000_rx_pa(void **s)
{
	(void)s;
	if (!t_pa_possible())
		skip();
	run_ring(T_PA);
}

static void test_e1000_rx_bounced(void **s)
{
	(void)s;
	run_ring(T_FORCE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e1000_rx_sim),
		cmocka_unit_test(test_e1000_rx_va),
		cmocka_unit_test(test_e1000_rx_pa),
		cmocka_unit_test(test_e1000_rx_bounced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
