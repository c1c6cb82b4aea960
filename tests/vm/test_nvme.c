/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe driver on the host, against a fake controller in memory: its registers
 * are a plain array (doorbells land there), and it fetches submission entries, PRP
 * lists and data, and posts completions, through the sim device model
 * (udma_sim_dma_read/write: only what udma mapped is reachable). Checked: the PRP
 * builder (one page, two pages, lists, what PRPs cannot describe, one list page at
 * most), SQ entries and doorbells, the phase tag across ring wraps (stale entries
 * not consumed), status decoding, queue-full push back, the bounce of a list PRPs
 * cannot describe, timeouts and controller fatal status, and that every mapping,
 * list block and bounce buffer is released. The guest (tests/vm/vm_nvme.c) runs
 * the driver against QEMU's NVMe controller.
 */
#include "test_common.h"
#include "nvme_private.h"

#define LBA 512u
static uint32_t g_bar[0x2000 / 4];
static struct udma_device *g_dev;
static struct udma_nvme_ctrlr g_c;

/* the fake controller's view of one queue pair */
struct fake {
	struct udma_nvme_qpair *qp;
	uint16_t sq_head, cq_tail, phase;
	uint8_t data[1u << 20]; /* what writes carried / what reads return */
};
static struct fake g_f;

static int setup(void **state)
{
	(void)state;
	if (t_init_args("--iova-mode=sim", "-m", "64", "--log-level=2", NULL) < 0)
		return -1;
	g_dev = udma_device_create("nvme-host", NULL, -1);
	return g_dev ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	udma_device_destroy(g_dev);
	udma_eal_cleanup();
	return 0;
}

/* a controller with CAP: MQES 1023, CQR, TO 1, DSTRD 0, CSS NVM, MPSMIN 4 KiB */
static void fake_ctrlr(void)
{
	uint64_t cap = 1023u | (1u << 16) | (1u << 24) | (1ull << 37);

	memset(g_bar, 0, sizeof(g_bar));
	memcpy(g_bar, &cap, 8);
	memset(&g_c, 0, sizeof(g_c));
	g_c.timeout_ms = 1000;
	assert_int_equal(nvme_ctrlr_setup(&g_c, g_dev, g_bar, sizeof(g_bar)), 0);
	g_c.info.nsid = 1;
	g_c.info.lba_size = LBA;
	g_c.info.nlbas = 1u << 20;
}

static void fake_ctrlr_fini(void)
{
	udma_pool_destroy(g_c.list_pool);
	g_c.list_pool = NULL;
}

static void fake_attach(struct udma_nvme_qpair *qp)
{
	memset(&g_f, 0, sizeof(g_f) - sizeof(g_f.data));
	g_f.qp = qp;
	g_f.phase = 1;
}

/* walk DPTR (PRP or SGL) of @sqe: move @len bytes between the data and the host */
static void fake_dma(const struct nvme_sqe *e, size_t len, int to_host)
{
	udma_addr_t a[600];
	uint32_t l[600];
	int n = 0, i;
	size_t off = 0;

	if (e->cdw0 & NVME_PSDT_SGL) {
		struct nvme_sgl_desc d, list[256];

		memcpy(&d, &e->prp1, sizeof(d));
		if (d.type == NVME_SGL_DATA_BLOCK) {
			a[n] = d.addr, l[n++] = d.len;
		} else {
			assert_int_equal(d.type, NVME_SGL_LAST_SEGMENT);
			assert_int_equal(udma_sim_dma_read(g_dev, d.addr, list, d.len), 0);
			for (i = 0; i < (int)(d.len / 16); i++)
				a[n] = list[i].addr, l[n++] = list[i].len;
		}
	} else {
		uint32_t first = 4096 - (uint32_t)(e->prp1 & 4095);

		a[n] = e->prp1, l[n++] = (uint32_t)(len < first ? len : first);
		if (len > first) {
			size_t rest = len - first;

			if (rest <= 4096) {
				a[n] = e->prp2, l[n++] = (uint32_t)rest;
			} else {
				uint64_t list[512];
				int m = (int)((rest + 4095) / 4096);

				assert_int_equal(e->prp2 & 7, 0);
				assert_int_equal(udma_sim_dma_read(g_dev, e->prp2, list, m * 8u), 0);
				for (i = 0; i < m; i++, rest -= 4096)
					a[n] = list[i], l[n++] = (uint32_t)(rest < 4096 ? rest : 4096);
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (to_host)
			assert_int_equal(udma_sim_dma_write(g_dev, a[i], g_f.data + off, l[i]), 0);
		else
			assert_int_equal(udma_sim_dma_read(g_dev, a[i], g_f.data + off, l[i]), 0);
		off += l[i];
	}
	assert_int_equal(off, len);
}

/* fetch the next SQ entry, do it, post a completion with status @sc (SCT << 8 | SC);
 * @return the entry */
static struct nvme_sqe fake_step(uint16_t sc)
{
	struct udma_nvme_qpair *qp = g_f.qp;
	struct nvme_sqe e;
	struct nvme_cqe c = {0};

	assert_int_equal(udma_sim_dma_read(g_dev, qp->sq_iova + g_f.sq_head * 64u, &e, 64), 0);
	if (++g_f.sq_head == qp->depth)
		g_f.sq_head = 0;
	if (sc == 0 && ((e.cdw0 & 0xff) == NVME_CMD_READ || (e.cdw0 & 0xff) == NVME_CMD_WRITE))
		fake_dma(&e, ((e.cdw12 & 0xffff) + 1u) * LBA, (e.cdw0 & 0xff) == NVME_CMD_READ);
	c.cid = (uint16_t)(e.cdw0 >> 16);
	c.sqhd = g_f.sq_head;
	c.sqid = qp->qid;
	c.status = (uint16_t)(sc << 1 | g_f.phase);
	assert_int_equal(udma_sim_dma_write(g_dev, qp->cq_iova + g_f.cq_tail * 16u, &c, 16), 0);
	if (++g_f.cq_tail == qp->depth) {
		g_f.cq_tail = 0;
		g_f.phase ^= 1;
	}
	return e;
}

struct done {
	int n, status;
	uint16_t nvme_status;
};
static void cb(void *arg, int status, uint16_t nvme_status)
{
	struct done *d = arg;

	d->n++;
	d->status = status;
	d->nvme_status = nvme_status;
}

/* ---- the PRP builder ---------------------------------------------------------- */

static void test_prp_builder(void **state)
{
	uint64_t list[512], p1, p2;
	udma_addr_t a[40];
	uint32_t l[40];
	struct t_log lg;
	char *txt;
	int i;

	(void)state;
	/* within one page: PRP1 only */
	a[0] = 0x10000200, l[0] = 1024;
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 4096, list, 0x900000, &p1, &p2), 0);
	assert_int_equal(p1, 0x10000200);
	assert_int_equal(p2, 0);
	/* two pages: PRP2 is the second page */
	a[0] = 0x10000e00, l[0] = 1024;
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 4096, NULL, 0, &p1, &p2), 0);
	assert_int_equal(p2, 0x10001000);
	/* three pages: a list (not needed without one: -ENOBUFS) */
	a[0] = 0x10000200, l[0] = 3 * 4096;
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 4096, NULL, 0, &p1, &p2), -ENOBUFS);
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 4096, list, 0x900000, &p1, &p2), 3);
	assert_int_equal(p1, 0x10000200);
	assert_int_equal(p2, 0x900000);
	assert_int_equal(list[0], 0x10001000);
	assert_int_equal(list[2], 0x10003000);
	/* 32 scattered 4 KiB pages: 128 KiB, 31 list entries */
	for (i = 0; i < 32; i++)
		a[i] = 0x40000000ull + (uint64_t)(31 - i) * 0x3000, l[i] = 4096;
	assert_int_equal(udma_nvme_build_prp(a, l, 32, 4096, list, 0x900000, &p1, &p2), 31);
	assert_int_equal(p1, a[0]);
	for (i = 1; i < 32; i++)
		assert_int_equal(list[i - 1], a[i]);
	/* first segment mid-page ending on a page, last one short: fine */
	a[0] = 0x5000800, l[0] = 0x800, a[1] = 0x7000000, l[1] = 100;
	assert_int_equal(udma_nvme_build_prp(a, l, 2, 4096, list, 0x900000, &p1, &p2), 0);
	assert_int_equal(p2, 0x7000000);
	/* what PRPs cannot describe: -EINVAL, and no log line (the driver bounces) */
	t_log_begin(&lg);
	a[0] = 0x5000000, l[0] = 0x800, a[1] = 0x7000000, l[1] = 100; /* first ends mid-page */
	assert_int_equal(udma_nvme_build_prp(a, l, 2, 4096, list, 0x900000, &p1, &p2), -EINVAL);
	a[0] = 0x5000000, l[0] = 0x1000, a[1] = 0x7000200, l[1] = 100; /* second starts mid-page */
	assert_int_equal(udma_nvme_build_prp(a, l, 2, 4096, list, 0x900000, &p1, &p2), -EINVAL);
	a[0] = 0x5000003, l[0] = 100; /* not dword aligned */
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 4096, list, 0x900000, &p1, &p2), -EINVAL);
	a[0] = 0x5000000, l[0] = 0;
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 4096, list, 0x900000, &p1, &p2), -EINVAL);
	/* more than one list page: -E2BIG */
	a[0] = 0x5000000, l[0] = 514u * 4096;
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 4096, list, 0x900000, &p1, &p2), -E2BIG);
	txt = t_log_end(&lg);
	assert_int_equal(t_count(txt, "\n"), 0);
	free(txt);
	/* bad arguments: one log line each */
	t_log_begin(&lg);
	assert_int_equal(udma_nvme_build_prp(NULL, l, 1, 4096, list, 0, &p1, &p2), -EINVAL);
	assert_int_equal(udma_nvme_build_prp(a, l, 0, 4096, list, 0, &p1, &p2), -EINVAL);
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 3000, list, 0, &p1, &p2), -EINVAL);
	assert_int_equal(udma_nvme_build_prp(a, l, 1, 4096, list, 0, NULL, &p2), -EINVAL);
	assert_int_equal(udma_nvme_build_prp_sg(NULL, 1, 4096, list, 0, &p1, &p2), -EINVAL);
	txt = t_log_end(&lg);
	assert_int_equal(t_count(txt, "\n"), 5);
	free(txt);
}

/* ---- submission, doorbells, completion ------------------------------------------ */

/* no coherent allocation (bounce buffer) and no PRP list block left behind */
static void check_no_leak(const struct udma_device_stats *before)
{
	struct udma_device_stats now;
	struct udma_pool_stats ps;

	assert_int_equal(udma_device_stats(g_dev, &now), 0);
	assert_int_equal(now.coherent_allocs, before->coherent_allocs);
	assert_int_equal(udma_pool_stats(g_c.list_pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
}

static void test_read_write(void **state)
{
	struct udma_nvme_qpair qp;
	struct udma_device_stats before;
	struct udma_nvme_qpair_stats st;
	struct udma_sg sg[1];
	struct nvme_sqe e;
	struct done d = {0};
	udma_addr_t h;
	uint8_t *buf;

	(void)state;
	fake_ctrlr();
	assert_int_equal(nvme_qpair_init(&g_c, &qp, 1, 8), 0);
	fake_attach(&qp);
	buf = udma_alloc_coherent(g_dev, 65536, &h, UDMA_GFP_KERNEL);
	assert_non_null(buf);
	assert_int_equal(udma_device_stats(g_dev, &before), 0);

	/* a 12 KiB write from a buffer at +512: PRP1 mid-page and a PRP list */
	t_fill(buf + 512, 12288, 3);
	udma_sg_init_table(sg, 1);
	udma_sg_set_buf(sg, buf + 512, 12288);
	assert_int_equal(udma_nvme_write(&qp, sg, 1, 0x123456789ull, 24, cb, &d), 0);
	assert_int_equal(g_bar[(0x1000 + 2 * 4) / 4], 1);   /* SQ 1 tail doorbell */
	assert_int_equal(udma_nvme_qpair_outstanding(&qp), 1);
	e = fake_step(0);
	assert_int_equal(e.cdw0 & 0xff, NVME_CMD_WRITE);
	assert_int_equal(e.nsid, 1);
	assert_int_equal(e.cdw10, 0x23456789u);
	assert_int_equal(e.cdw11, 0x1);
	assert_int_equal(e.cdw12, 23);
	assert_int_equal(e.cdw0 & NVME_PSDT_SGL, 0);
	assert_true(t_check(g_f.data, 12288, 3)); /* what the controller fetched */
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
	assert_int_equal(g_bar[(0x1000 + 3 * 4) / 4], 1);   /* CQ 1 head doorbell */
	assert_int_equal(d.n, 1);
	assert_int_equal(d.status, 0);

	/* read it back into a different place */
	memset(buf + 20480, 0, 12288);
	udma_sg_set_buf(sg, buf + 20480, 12288);
	assert_int_equal(udma_nvme_read(&qp, sg, 1, 5, 24, cb, &d), 0);
	e = fake_step(0);
	assert_int_equal(e.cdw0 & 0xff, NVME_CMD_READ);
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
	assert_true(t_check(buf + 20480, 12288, 3));

	/* flush and write zeroes carry no data */
	assert_int_equal(udma_nvme_flush(&qp, cb, &d), 0);
	assert_int_equal(udma_nvme_write_zeroes(&qp, 7, 9, cb, &d), 0);
	e = fake_step(0);
	assert_int_equal(e.cdw0 & 0xff, NVME_CMD_FLUSH);
	e = fake_step(0);
	assert_int_equal(e.cdw0 & 0xff, NVME_CMD_WRITE_ZEROES);
	assert_int_equal(e.cdw10, 7);
	assert_int_equal(e.cdw12, 8);
	assert_int_equal(e.prp1, 0);
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 2);
	assert_int_equal(d.n, 4);
	assert_int_equal(udma_nvme_qpair_stats(&qp, &st), 0);
	assert_int_equal(st.submitted, 4);
	assert_int_equal(st.completed, 4);
	assert_int_equal(st.prp_lists, 2);
	assert_int_equal(st.bounced, 0);
	check_no_leak(&before);
	nvme_qpair_fini(&qp);
	udma_free_coherent(g_dev, 65536, buf, h);
	fake_ctrlr_fini();
}

/* the phase tag across several wraps of a 4-entry ring; stale entries stay unread */
static void test_phase_wrap(void **state)
{
	struct udma_nvme_qpair qp;
	struct done d = {0};
	int i;

	(void)state;
	fake_ctrlr();
	assert_int_equal(nvme_qpair_init(&g_c, &qp, 2, 4), 0);
	fake_attach(&qp);
	for (i = 0; i < 11; i++) {
		assert_int_equal(udma_nvme_flush(&qp, cb, &d), 0);
		assert_int_equal(g_bar[(0x1000 + 4 * 4) / 4], (uint32_t)(i + 1) % 4);
		/* nothing posted yet: the entry under the head has the old phase */
		assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 0);
		fake_step(0);
		assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
		assert_int_equal(d.n, i + 1);
		assert_int_equal(qp.cq_head, (i + 1) % 4);
		assert_int_equal(qp.phase, ((i + 1) / 4) % 2 ? 0 : 1);
		assert_int_equal(g_bar[(0x1000 + 5 * 4) / 4], (uint32_t)(i + 1) % 4);
	}
	/* three at once, completions out of order by CID, reaped in one poll */
	for (i = 0; i < 3; i++)
		assert_int_equal(udma_nvme_flush(&qp, cb, &d), 0);
	fake_step(0);
	fake_step(0);
	fake_step(0);
	assert_int_equal(udma_nvme_qpair_poll(&qp, 2), 2); /* max honoured */
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
	assert_int_equal(d.n, 14);
	nvme_qpair_fini(&qp);
	fake_ctrlr_fini();
}

/* error statuses decoded; a full queue pushes back */
static void test_status_and_full(void **state)
{
	struct udma_nvme_qpair qp;
	struct udma_nvme_qpair_stats st;
	struct done d = {0};

	(void)state;
	fake_ctrlr();
	assert_int_equal(nvme_qpair_init(&g_c, &qp, 1, 4), 0);
	fake_attach(&qp);
	assert_int_equal(udma_nvme_write_zeroes(&qp, 1u << 30, 1, cb, &d), 0);
	fake_step(0x080); /* LBA out of range */
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
	assert_int_equal(d.status, -EIO);
	assert_int_equal(d.nvme_status, 0x080);
	assert_string_equal(udma_nvme_status_str(0x080), "LBA out of range");
	assert_string_equal(udma_nvme_status_str(0x281), "unrecovered read error");
	/* depth 4: three in flight, the fourth -EAGAIN until a completion is reaped */
	assert_int_equal(udma_nvme_flush(&qp, cb, &d), 0);
	assert_int_equal(udma_nvme_flush(&qp, cb, &d), 0);
	assert_int_equal(udma_nvme_flush(&qp, cb, &d), 0);
	assert_int_equal(udma_nvme_flush(&qp, cb, &d), -EAGAIN);
	fake_step(0);
	assert_int_equal(udma_nvme_flush(&qp, cb, &d), -EAGAIN); /* posted, not yet reaped */
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
	assert_int_equal(udma_nvme_flush(&qp, cb, &d), 0);
	fake_step(0);
	fake_step(0);
	fake_step(0);
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 3);
	assert_int_equal(udma_nvme_qpair_stats(&qp, &st), 0);
	assert_int_equal(st.full, 2);
	assert_int_equal(st.errors, 1);
	nvme_qpair_fini(&qp);
	fake_ctrlr_fini();
}

/* three 512-byte pieces 1 KiB apart: PRPs cannot describe them, so one bounce
 * buffer carries the data, copied out after a read; SGLs describe them as they are */
static void test_bounce_and_sgl(void **state)
{
	struct udma_nvme_qpair qp;
	struct udma_nvme_qpair_stats st;
	struct udma_device_stats before;
	struct udma_sg sg[3];
	struct nvme_sqe e;
	struct done d = {0};
	udma_addr_t h;
	uint8_t *buf;
	int i, pass;

	(void)state;
	fake_ctrlr();
	assert_int_equal(nvme_qpair_init(&g_c, &qp, 1, 8), 0);
	fake_attach(&qp);
	buf = udma_alloc_coherent(g_dev, 16384, &h, UDMA_GFP_KERNEL);
	assert_non_null(buf);
	assert_int_equal(udma_device_stats(g_dev, &before), 0);
	for (pass = 0; pass < 2; pass++) {
		g_c.use_sgl = pass;
		t_fill(g_f.data, 1536, 9 + pass);
		memset(buf, 0, 16384);
		udma_sg_init_table(sg, 3);
		for (i = 0; i < 3; i++)
			udma_sg_set_buf(&sg[i], buf + 1024 * i + 64, 512);
		assert_int_equal(udma_nvme_read(&qp, sg, 3, 0, 3, cb, &d), 0);
		e = fake_step(0);
		assert_int_equal(!!(e.cdw0 & NVME_PSDT_SGL), pass);
		assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
		assert_int_equal(d.status, 0);
		for (i = 0; i < 3; i++) {
			uint8_t want[512];

			t_fill(g_f.data, 1536, 9 + pass);
			memcpy(want, g_f.data + 512 * i, 512);
			assert_memory_equal(buf + 1024 * i + 64, want, 512);
		}
		for (size_t k = 0; k < 16384; k++) /* and nothing around the pieces */
			if (k >= 3072 || k % 1024 < 64 || k % 1024 >= 576)
				assert_int_equal(buf[k], 0);
		assert_int_equal(udma_nvme_qpair_stats(&qp, &st), 0);
		assert_int_equal(st.bounced, 1); /* the PRP pass only */
		check_no_leak(&before); /* the bounce buffer is gone */
	}
	g_c.use_sgl = 0;
	/* a pair torn down with a command in flight: the callback gets
	 * -ECANCELED and the mapping, list block and bounce buffer are released */
	udma_sg_init_table(sg, 3);
	for (i = 0; i < 3; i++)
		udma_sg_set_buf(&sg[i], buf + 1024 * i + 64, 512);
	d.n = 0;
	assert_int_equal(udma_nvme_write(&qp, sg, 3, 0, 3, cb, &d), 0);
	nvme_qpair_fini(&qp);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.status, -ECANCELED);
	{
		struct udma_device_stats now;
		struct udma_pool_stats ps;

		assert_int_equal(udma_device_stats(g_dev, &now), 0);
		assert_int_equal(now.coherent_allocs, before.coherent_allocs - 2); /* the rings went too */
		assert_int_equal(udma_pool_stats(g_c.list_pool, &ps), 0);
		assert_int_equal(ps.in_use, 0);
	}
	udma_free_coherent(g_dev, 16384, buf, h);
	fake_ctrlr_fini();
}

/* no memory for the bounce buffer: the command fails with -ENOMEM, nothing is
 * submitted, and the list is unmapped once (a second unmap would be an error line
 * and would free IOVAs that are not its own); the same list maps and bounces after */
static void test_bounce_no_memory(void **state)
{
	struct udma_nvme_qpair qp;
	struct udma_nvme_qpair_stats st;
	struct udma_device_stats before;
	struct udma_sg sg[3];
	struct done d = {0};
	struct t_log lg;
	udma_addr_t h, h2;
	uint8_t *buf;
	char *txt;
	int i, k;

	(void)state;
	fake_ctrlr();
	assert_int_equal(nvme_qpair_init(&g_c, &qp, 1, 8), 0);
	fake_attach(&qp);
	buf = udma_alloc_coherent(g_dev, 16384, &h, UDMA_GFP_KERNEL);
	assert_non_null(buf);
	assert_int_equal(udma_device_stats(g_dev, &before), 0);
	udma_sg_init_table(sg, 3);
	for (i = 0; i < 3; i++)
		udma_sg_set_buf(&sg[i], buf + 1024 * i + 64, 512);
	t_fill(buf + 64, 512, 5);
	t_fill(buf + 1088, 512, 6);
	t_fill(buf + 2112, 512, 7);
	/* the narrowest coherent mask udma accepts has no free memory under it:
	 * streaming maps (64-bit mask) still work, the bounce buffer cannot be had */
	for (k = 12; k < 40 && udma_set_coherent_mask(g_dev, UDMA_BIT_MASK(k)) != 0; k++)
		;
	assert_null(udma_alloc_coherent(g_dev, 4096, &h2, UDMA_GFP_KERNEL));
	t_log_begin(&lg);
	assert_int_equal(udma_nvme_write(&qp, sg, 3, 0, 3, cb, &d), -ENOMEM);
	txt = t_log_end(&lg);
	assert_int_equal(t_count(txt, "\n"), 0);
	free(txt);
	assert_int_equal(udma_set_coherent_mask(g_dev, UDMA_BIT_MASK(64)), 0);
	assert_int_equal(udma_nvme_qpair_outstanding(&qp), 0);
	assert_int_equal(g_bar[(0x1000 + 2 * 4) / 4], 0); /* no doorbell */
	check_no_leak(&before);
	/* with memory, the same list goes through the bounce buffer to the device */
	assert_int_equal(udma_nvme_write(&qp, sg, 3, 0, 3, cb, &d), 0);
	fake_step(0);
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
	assert_int_equal(d.status, 0);
	assert_true(t_check(g_f.data, 512, 5));
	assert_true(t_check(g_f.data + 512, 512, 6));
	assert_true(t_check(g_f.data + 1024, 512, 7));
	assert_int_equal(udma_nvme_qpair_stats(&qp, &st), 0);
	assert_int_equal(st.submitted, 1);
	assert_int_equal(st.bounced, 1);
	check_no_leak(&before);
	nvme_qpair_fini(&qp);
	udma_free_coherent(g_dev, 16384, buf, h);
	fake_ctrlr_fini();
}

/* no completion: -ETIMEDOUT to the caller, the pair refuses more; fatal status */
static void test_timeout_and_fatal(void **state)
{
	struct udma_nvme_qpair qp;
	struct udma_sg sg[1];
	struct done d = {0};
	udma_addr_t h;
	uint8_t *buf;
	long i;

	(void)state;
	fake_ctrlr();
	g_c.timeout_ms = 1;
	assert_int_equal(nvme_qpair_init(&g_c, &qp, 1, 8), 0);
	fake_attach(&qp);
	buf = udma_alloc_coherent(g_dev, 4096, &h, UDMA_GFP_KERNEL);
	udma_sg_init_table(sg, 1);
	udma_sg_set_buf(sg, buf, 512);
	assert_int_equal(udma_nvme_read(&qp, sg, 1, 0, 1, cb, &d), 0);
	for (i = 0; i < 100000000 && d.n == 0; i++)
		assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 0);
	assert_int_equal(d.status, -ETIMEDOUT);
	assert_int_equal(udma_nvme_read(&qp, sg, 1, 0, 1, cb, &d), -ENXIO);
	/* the late completion releases the mapping without a second callback */
	fake_step(0);
	assert_int_equal(udma_nvme_qpair_poll(&qp, 0), 1);
	assert_int_equal(d.n, 1);
	assert_int_equal(udma_nvme_qpair_outstanding(&qp), 0);
	nvme_qpair_fini(&qp);

	/* CSTS.CFS: commands in flight fail with -ENXIO */
	g_c.timeout_ms = 100000;
	assert_int_equal(nvme_qpair_init(&g_c, &qp, 1, 8), 0);
	fake_attach(&qp);
	d.n = 0;
	assert_int_equal(udma_nvme_flush(&qp, cb, &d), 0);
	g_bar[NVME_REG_CSTS / 4] = NVME_CSTS_RDY | NVME_CSTS_CFS;
	for (i = 0; i < 100000 && d.n == 0; i++)
		udma_nvme_qpair_poll(&qp, 0);
	assert_int_equal(d.status, -ENXIO);
	nvme_qpair_fini(&qp); /* a command still in flight: released here, no callback twice */
	assert_int_equal(d.n, 1);
	udma_free_coherent(g_dev, 4096, buf, h);
	fake_ctrlr_fini();
}

static void test_bad_arguments(void **state)
{
	struct udma_nvme_qpair qp;
	struct udma_nvme_qpair_stats st;
	struct udma_sg sg[1];
	struct udma_nvme_ctrlr *c = (void *)1;
	uint8_t b[1024];
	struct t_log lg;
	char *txt;

	(void)state;
	fake_ctrlr();
	assert_int_equal(nvme_qpair_init(&g_c, &qp, 1, 8), 0);
	udma_sg_init_table(sg, 1);
	udma_sg_set_buf(sg, b, 1000);
	t_log_begin(&lg);
	assert_int_equal(udma_nvme_read(&qp, sg, 1, 0, 2, cb, NULL), -EINVAL);  /* 1000 != 1024 */
	assert_int_equal(udma_nvme_read(&qp, NULL, 1, 0, 2, cb, NULL), -EINVAL);
	assert_int_equal(udma_nvme_read(&qp, sg, 1, 0, 0, cb, NULL), -EINVAL);
	assert_int_equal(udma_nvme_write(NULL, sg, 1, 0, 2, cb, NULL), -EINVAL);
	assert_int_equal(udma_nvme_flush(NULL, cb, NULL), -EINVAL);
	assert_int_equal(udma_nvme_qpair_poll(NULL, 0), -EINVAL);
	assert_int_equal(udma_nvme_qpair_stats(&qp, NULL), -EINVAL);
	assert_int_equal(udma_nvme_open(NULL, "0000:00:07.0", NULL), -EINVAL);
	assert_int_equal(udma_nvme_open(&c, NULL, NULL), -EINVAL);
	assert_int_equal(udma_nvme_get_info(NULL, NULL), -EINVAL);
	assert_null(udma_nvme_qpair_create(NULL, 8));
	txt = t_log_end(&lg);
	assert_int_equal(t_count(txt, "\n"), 11);
	free(txt);
	/* over the largest transfer: -E2BIG, no log line (the caller splits) */
	udma_sg_set_buf(sg, b, 1024);
	assert_int_equal(udma_nvme_read(&qp, sg, 1, 0, g_c.max_xfer / LBA + 1, cb, NULL), -E2BIG);
	assert_int_equal(udma_nvme_qpair_stats(&qp, &st), 0);
	assert_int_equal(st.submitted, 0);
	udma_nvme_close(NULL);
	udma_nvme_qpair_destroy(NULL);
	nvme_qpair_fini(&qp);
	fake_ctrlr_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prp_builder),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_phase_wrap),
		cmocka_unit_test(test_status_and_full),
		cmocka_unit_test(test_bounce_and_sgl),
		cmocka_unit_test(test_bounce_no_memory),
		cmocka_unit_test(test_timeout_and_fatal),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests_name("nvme", tests, setup, teardown);
}
