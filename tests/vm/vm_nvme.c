/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe driver against QEMU's NVMe controller, in the guest. Patterns are
 * written at random LBAs with random sizes and scatterlist shapes (one buffer,
 * page-sized entries, many small entries, unaligned foreign memory, a buffer
 * across a hugepage boundary, two coherent allocations, registered memory), read
 * back through another shape and compared; every write is printed as a manifest
 * line "@@UDMA-NVME W <lba> <nlb> <pattern>" (zeroed ranges "@@UDMA-NVME Z <lba> <nlb>")
 * that devtools/vm checks against the raw backing file on the host after the guest
 * powered off. Then: Write Zeroes, Flush, an LBA out of range (an error status,
 * nothing written), a full queue pushing back, an I/O over MDTS refused; with
 * --dma-debug no report over the run and no leak at close.
 *
 * usage: vm_nvme PCI-ADDR [--ios=N] [--seed=N] [--sgl] UDMA-OPTIONS...
 */
#include <stdlib.h>

#include "test_common.h"
#include "udma_nvme.h"

static const char *g_addr;
static unsigned int g_ios = 24, g_seed = 1, g_sgl;
static struct udma_nvme_ctrlr *g_c;
static struct udma_nvme_qpair *g_qp;
static struct udma_nvme_info g_info;
static struct udma_device *g_dev;

/* memory the shapes carve from */
static uint8_t *g_coh, *g_coh2, *g_reg, *g_foreign;
static udma_addr_t g_coh_h, g_coh2_h;
#define COH_LEN (4u << 20)   /* two hugepages: a buffer straddles the 2 MiB line */
#define COH2_LEN (1u << 20)
#define REG_LEN (4u << 20)
#define FOREIGN_LEN (2u << 20)
#define NSHAPES 7
static const char *const shape_name[NSHAPES] = {
	"coherent-single", "registered-pages", "small-entries", "foreign-unaligned",
	"hugepage-cross", "two-allocations", "registered-offset"};

static uint64_t g_rng;
static uint32_t rnd(uint32_t n)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (uint32_t)(g_rng % n);
}

/* a list of @len bytes in shape @s, in @sg (room for 512 entries); @base offsets
 * the memory so that the read-back buffer differs from the written one */
static int make_sg(struct udma_sg *sg, int s, uint32_t len, uint32_t base)
{
	uint32_t off = 0, n = 0, piece;

	udma_sg_init_table(sg, 512);
	switch (s) {
	case 0:
		udma_sg_set_buf(&sg[n++], g_coh + base, len);
		break;
	case 1: /* 4 KiB entries on every other page: a PRP list */
		for (off = 0; off < len; off += piece) {
			piece = len - off < 4096 ? len - off : 4096;
			udma_sg_set_buf(&sg[n++], g_reg + base + 2 * off, piece);
		}
		break;
	case 2: /* 512-byte entries 1 KiB apart: neither PRPs nor one segment, bounced */
		for (off = 0; off < len; off += 512)
			udma_sg_set_buf(&sg[n++], g_reg + (2u << 20) + base + 2 * off + 64, 512);
		break;
	case 3: /* malloc'd memory at an odd address */
		udma_sg_set_buf(&sg[n++], g_foreign + base + 3, len);
		break;
	case 4: /* across the first 2 MiB hugepage boundary of a coherent allocation */
		udma_sg_set_buf(&sg[n++], g_coh + (2u << 20) - len / 2 - (len / 2) % 4096 + base % 4096,
				len);
		break;
	case 5: /* the end of one coherent allocation, the start of another */
		piece = len > 4096 ? (len / 2) & ~4095u : len;
		udma_sg_set_buf(&sg[n++], g_coh + COH_LEN - piece - base % 65536, piece);
		if (len > piece)
			udma_sg_set_buf(&sg[n++], g_coh2 + base % 65536, len - piece);
		break;
	default:
		udma_sg_set_buf(&sg[n++], g_reg + 512 + base, len);
		break;
	}
	udma_sg_mark_end(&sg[n - 1]);
	return (int)n;
}

/* gather / scatter the bytes of a list */
static void sg_fill(struct udma_sg *sg, int n, unsigned int seed)
{
	uint32_t off = 0;
	uint8_t *tmp;
	struct udma_sg *s;
	int i;

	udma_for_each_sg(sg, s, n, i) off += s->length;
	tmp = malloc(off);
	t_fill(tmp, off, seed);
	off = 0;
	udma_for_each_sg(sg, s, n, i) {
		memcpy(s->buf, tmp + off, s->length);
		off += s->length;
	}
	free(tmp);
}

static int sg_check(struct udma_sg *sg, int n, unsigned int seed, uint32_t len)
{
	uint8_t *tmp = malloc(len);
	uint32_t off = 0;
	struct udma_sg *s;
	int i, ok;

	udma_for_each_sg(sg, s, n, i) {
		memcpy(tmp + off, s->buf, s->length);
		off += s->length;
	}
	ok = t_check(tmp, len, seed);
	free(tmp);
	return ok;
}

static void sg_clear(struct udma_sg *sg, int n)
{
	struct udma_sg *s;
	int i;

	udma_for_each_sg(sg, s, n, i) memset(s->buf, 0xee, s->length);
}

static void test_info(void **state)
{
	(void)state;
	printf("nvme: %s sn %s fw %s, version %#x, %llu x %u B, page %u, max xfer %u, qdepth %u, "
	       "%u I/O queues, doorbell stride %u, SGL %s (used: %s)\n",
	       g_info.model, g_info.serial, g_info.firmware, g_info.version,
	       (unsigned long long)g_info.nlbas, g_info.lba_size, g_info.page_size, g_info.max_xfer,
	       g_info.max_qdepth, g_info.io_queues, g_info.doorbell_stride, g_info.sgl ? "yes" : "no",
	       g_sgl ? "yes" : "no");
	assert_true(g_info.nlbas >= 4096);
	assert_int_equal(g_info.page_size, 4096);
	assert_true(g_info.max_xfer >= 65536);
}

static void test_patterns(void **state)
{
	static struct udma_sg wsg[512], rsg[512];
	uint32_t maxb = 128, lbs = g_info.lba_size;
	unsigned int i, bounced, expect_bounce = 0, maybe_bounce = 0;
	struct udma_nvme_qpair_stats st0, st1;

	(void)state;
	assert_int_equal(udma_nvme_qpair_stats(g_qp, &st0), 0);
	if (maxb * lbs > g_info.max_xfer)
		maxb = g_info.max_xfer / lbs;
	for (i = 0; i < g_ios; i++) {
		uint32_t nlb = 1 + rnd(maxb), len = nlb * lbs;
		/* disjoint regions of 256 blocks, a random start in each */
		uint64_t lba = 1024 + (uint64_t)i * 256 + rnd(256 - maxb + 1);
		unsigned int seed = g_seed * 1000 + i, ws = i % NSHAPES, rs = (i + 3) % NSHAPES;
		int wn, rn, ret;
		uint16_t st = 0;

		wn = make_sg(wsg, (int)ws, len, 0);
		rn = make_sg(rsg, (int)rs, len, 8192);
		sg_fill(wsg, wn, seed);
		ret = udma_nvme_io_sync(g_qp, 1, wsg, wn, lba, nlb, &st);
		if (ret)
			printf("write %u (%s, %d entries, lba %llu, %u blocks): %d %s\n", i, shape_name[ws],
			       wn, (unsigned long long)lba, nlb, ret, udma_nvme_status_str(st));
		assert_int_equal(ret, 0);
		printf("@@UDMA-NVME W %llu %u %u\n", (unsigned long long)lba, nlb, seed);
		sg_clear(rsg, rn);
		ret = udma_nvme_io_sync(g_qp, 0, rsg, rn, lba, nlb, &st);
		assert_int_equal(ret, 0);
		if (!sg_check(rsg, rn, seed, len))
			printf("read %u (%s <- %s, lba %llu, %u blocks): bytes differ\n", i, shape_name[rs],
			       shape_name[ws], (unsigned long long)lba, nlb);
		assert_true(sg_check(rsg, rn, seed, len));
		/* PRPs cannot describe small scattered entries: the driver bounces them; an
		 * odd foreign address is bounced by udma_map_sg() itself (swiotlb, a slot
		 * aligned as PRPs need) or, when it maps in place, by the driver */
		expect_bounce += (ws == 2) + (rs == 2);
		maybe_bounce += (ws == 3) + (rs == 3);
	}
	assert_int_equal(udma_nvme_qpair_stats(g_qp, &st1), 0);
	bounced = (unsigned int)(st1.bounced - st0.bounced);
	printf("nvme: %u writes and reads compared; %u I/Os bounced (%s), %llu with a list block\n",
	       g_ios, bounced, g_sgl ? "SGL: none expected" : "PRP",
	       (unsigned long long)(st1.prp_lists - st0.prp_lists));
	if (g_sgl)
		assert_int_equal(bounced, 0);
	else
		assert_true(bounced >= expect_bounce && bounced <= expect_bounce + maybe_bounce);
}

struct done {
	int n, status;
};
static void cb(void *arg, int status, uint16_t nvme_status)
{
	struct done *d = arg;

	(void)nvme_status;
	d->n++;
	if (status)
		d->status = status;
}

static void wait_all(struct udma_nvme_qpair *qp, struct done *d, int n)
{
	while (d->n < n)
		assert_true(udma_nvme_qpair_poll(qp, 0) >= 0);
}

static void test_write_zeroes_flush(void **state)
{
	static struct udma_sg sg[512];
	uint64_t lba = 512;
	struct done d = {0};
	int n;

	(void)state;
	n = make_sg(sg, 0, 16 * g_info.lba_size, 0);
	sg_fill(sg, n, 77);
	assert_int_equal(udma_nvme_io_sync(g_qp, 1, sg, n, lba, 16, NULL), 0);
	assert_int_equal(udma_nvme_write_zeroes(g_qp, lba + 4, 8, cb, &d), 0);
	wait_all(g_qp, &d, 1);
	assert_int_equal(d.status, 0);
	assert_int_equal(udma_nvme_flush(g_qp, cb, &d), 0);
	wait_all(g_qp, &d, 2);
	assert_int_equal(d.status, 0);
	sg_clear(sg, n);
	assert_int_equal(udma_nvme_io_sync(g_qp, 0, sg, n, lba, 16, NULL), 0);
	{
		uint8_t *b = g_coh, *want = malloc(16 * g_info.lba_size);
		uint32_t z = 4 * g_info.lba_size;

		t_fill(want, 16 * g_info.lba_size, 77);
		memset(want + z, 0, 8 * g_info.lba_size);
		assert_memory_equal(b, want, 16 * g_info.lba_size);
		free(want);
	}
	printf("@@UDMA-NVME Z %llu 8\n", (unsigned long long)lba + 4);
}

/* an LBA out of range: LBA Out of Range status, -EIO, and the last block unchanged */
static void test_out_of_range(void **state)
{
	static struct udma_sg sg[512];
	uint64_t last = g_info.nlbas - 1;
	uint16_t st = 0;
	struct done d = {0};
	int n;

	(void)state;
	assert_int_equal(udma_nvme_write_zeroes(g_qp, last, 1, cb, &d), 0);
	wait_all(g_qp, &d, 1);
	assert_int_equal(d.status, 0);
	n = make_sg(sg, 0, 4 * g_info.lba_size, 0);
	sg_fill(sg, n, 99);
	assert_int_equal(udma_nvme_io_sync(g_qp, 1, sg, n, last, 4, &st), -EIO);
	printf("out of range: status %#x (%s)\n", st, udma_nvme_status_str(st));
	assert_int_equal(st, 0x080);
	assert_int_equal(udma_nvme_io_sync(g_qp, 1, sg, n, g_info.nlbas + 100, 4, &st), -EIO);
	assert_int_equal(st, 0x080);
	n = make_sg(sg, 0, g_info.lba_size, 0);
	sg_clear(sg, n);
	assert_int_equal(udma_nvme_io_sync(g_qp, 0, sg, n, last, 1, NULL), 0);
	for (uint32_t i = 0; i < g_info.lba_size; i++)
		assert_int_equal(g_coh[i], 0);
	printf("@@UDMA-NVME Z %llu 1\n", (unsigned long long)last);
}

/* depth 4: three in flight, the fourth pushed back until a poll */
static void test_queue_full(void **state)
{
	static struct udma_sg sg[4][512];
	struct udma_nvme_qpair *qp;
	struct done d = {0};
	int i, n[4];

	(void)state;
	qp = udma_nvme_qpair_create(g_c, 4);
	if (qp == NULL && errno == ENOSPC) {
		printf("no second I/O queue granted: skipped\n");
		skip();
	}
	assert_non_null(qp);
	for (i = 0; i < 4; i++)
		n[i] = make_sg(sg[i], 0, g_info.lba_size, 65536u * (unsigned)i);
	for (i = 0; i < 3; i++)
		assert_int_equal(udma_nvme_read(qp, sg[i], n[i], 100 + i, 1, cb, &d), 0);
	assert_int_equal(udma_nvme_qpair_outstanding(qp), 3);
	assert_int_equal(udma_nvme_read(qp, sg[3], n[3], 103, 1, cb, &d), -EAGAIN);
	wait_all(qp, &d, 3);
	assert_int_equal(d.status, 0);
	assert_int_equal(udma_nvme_read(qp, sg[3], n[3], 103, 1, cb, &d), 0);
	wait_all(qp, &d, 4);
	udma_nvme_qpair_destroy(qp);
}

/* over MDTS: refused (-E2BIG), nothing mapped; bad arguments: -EINVAL, one line each */
static void test_limits(void **state)
{
	uint32_t nlb = g_info.max_xfer / g_info.lba_size + 1;
	struct udma_sg sg[2];
	struct t_log l;
	char *txt;

	(void)state;
	udma_sg_init_table(sg, 1);
	udma_sg_set_buf(&sg[0], g_reg, nlb * g_info.lba_size);
	assert_int_equal(udma_nvme_write(g_qp, sg, 1, 0, nlb, cb, NULL), -E2BIG);
	t_log_begin(&l);
	udma_sg_set_buf(&sg[0], g_reg, 1000);
	assert_int_equal(udma_nvme_write(g_qp, sg, 1, 0, 2, cb, NULL), -EINVAL);
	assert_int_equal(udma_nvme_write(g_qp, NULL, 1, 0, 2, cb, NULL), -EINVAL);
	assert_int_equal(udma_nvme_read(NULL, sg, 1, 0, 2, cb, NULL), -EINVAL);
	assert_int_equal(udma_nvme_write_zeroes(g_qp, 0, 0, cb, NULL), -EINVAL);
	txt = t_log_end(&l);
	assert_int_equal(t_count(txt, "\n"), 4);
	free(txt);
	assert_int_equal(udma_nvme_qpair_outstanding(g_qp), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_write_zeroes_flush),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_limits),
	};
	struct udma_nvme_opts o = {0};
	char *uargv[64];
	int uargc = 0, i, fails, ret;
	unsigned long errs;

	if (argc < 2) {
		fprintf(stderr, "usage: vm_nvme PCI-ADDR [--ios=N] [--seed=N] [--sgl] UDMA-OPTIONS...\n");
		return 2;
	}
	g_addr = argv[1];
	uargv[uargc++] = argv[0];
	for (i = 2; i < argc && uargc < 63; i++) {
		if (strncmp(argv[i], "--ios=", 6) == 0)
			g_ios = (unsigned int)strtoul(argv[i] + 6, NULL, 0);
		else if (strncmp(argv[i], "--seed=", 7) == 0)
			g_seed = (unsigned int)strtoul(argv[i] + 7, NULL, 0);
		else if (strcmp(argv[i], "--sgl") == 0)
			g_sgl = 1;
		else
			uargv[uargc++] = argv[i];
	}
	uargv[uargc] = NULL;
	g_rng = 0x9e3779b97f4a7c15ull ^ g_seed;
	if (udma_eal_init(uargc, uargv) < 0)
		return 1;
	o.use_sgl = g_sgl;
	ret = udma_nvme_open(&g_c, g_addr, &o);
	if (ret) {
		fprintf(stderr, "vm_nvme: open %s: %d\n", g_addr, ret);
		return 1;
	}
	udma_nvme_get_info(g_c, &g_info);
	if (g_sgl && !g_info.sgl) {
		printf("the controller has no SGL support: skipped\n");
		udma_nvme_close(g_c);
		return 77;
	}
	g_dev = udma_nvme_dma_device(g_c);
	g_qp = udma_nvme_qpair_create(g_c, 64);
	g_coh = udma_alloc_coherent(g_dev, COH_LEN, &g_coh_h, UDMA_GFP_KERNEL);
	g_coh2 = udma_alloc_coherent(g_dev, COH2_LEN, &g_coh2_h, UDMA_GFP_KERNEL);
	g_reg = aligned_alloc(1u << 21, REG_LEN);
	g_foreign = malloc(FOREIGN_LEN);
	if (g_qp == NULL || g_coh == NULL || g_coh2 == NULL || g_reg == NULL || g_foreign == NULL ||
	    udma_mem_register(g_reg, REG_LEN) != 0) {
		fprintf(stderr, "vm_nvme: setup failed\n");
		return 1;
	}
	fails = cmocka_run_group_tests_name("vm_nvme", tests, NULL, NULL);
	udma_nvme_qpair_destroy(g_qp);
	udma_free_coherent(g_dev, COH_LEN, g_coh, g_coh_h);
	udma_free_coherent(g_dev, COH2_LEN, g_coh2, g_coh2_h);
	udma_mem_unregister(g_reg, REG_LEN);
	free(g_reg);
	free(g_foreign);
	udma_nvme_close(g_c);
	errs = udma_debug_error_count();
	if (udma_debug_enabled()) {
		printf("dma-debug: %lu report(s) over the run and at close (leaks)\n", errs);
		udma_debug_dump(stdout);
		if (errs)
			fails++;
	}
	udma_eal_cleanup();
	return fails ? 1 : 0;
}
