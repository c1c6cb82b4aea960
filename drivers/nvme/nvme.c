/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A poll-mode NVMe driver on udma (see udma_nvme.h, doc/nvme.md). The shape of
 * every udma PMD (drivers/dma/edu is the small one):
 *   1. the controller's limits go into its udma_device (DMA mask, largest segment,
 *      segment boundary), so udma_map_sg() hands back segments the device takes;
 *   2. everything the device reads or writes is coherent memory (rings, Identify
 *      buffers), a pool block (PRP lists) or a streaming mapping (data);
 *   3. registers and doorbells only through udma_read32/udma_write32 (ordered:
 *      the SQ entry is in memory before the doorbell says so);
 *   4. completion is polled with a deadline, and every mapping, list block and
 *      bounce buffer is released when its command completes or fails.
 */
#include <errno.h>
#include <numa.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvme_private.h"

#define ADMIN_DEPTH 32u
#define DEFAULT_DEPTH 128u
#define MAX_DEPTH 1024u
#define CID_NONE UINT16_MAX

/* the deadlines' clock: every submission reads it, and timeouts are milliseconds,
 * so the coarse clock (a tick's resolution, always a vDSO read: ~3 ns against ~20 ns,
 * and never a system call where the clocksource has no vDSO read, as in TCG guests) */
uint64_t nvme_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pause_us(long us)
{
	struct timespec ts = {0, us * 1000};

	nanosleep(&ts, NULL);
}

static const char *cname(const struct udma_nvme_ctrlr *c)
{
	return c->dev ? udma_device_name(c->dev) : "nvme";
}

const char *udma_nvme_status_str(uint16_t st)
{
	unsigned int sct = st >> 8, sc = st & 0xffu;

	if (sct == 0) {
		switch (sc) {
		case 0x00: return "successful completion";
		case 0x01: return "invalid command opcode";
		case 0x02: return "invalid field in command";
		case 0x03: return "command id conflict";
		case 0x04: return "data transfer error";
		case 0x05: return "aborted: power loss";
		case 0x06: return "internal error";
		case 0x07: return "aborted: requested";
		case 0x08: return "aborted: SQ deleted";
		case 0x0b: return "invalid namespace or format";
		case 0x0d: return "invalid SGL segment descriptor";
		case 0x0e: return "invalid number of SGL descriptors";
		case 0x0f: return "data SGL length invalid";
		case 0x11: return "SGL descriptor type invalid";
		case 0x13: return "invalid PRP offset";
		case 0x15: return "SGL offset invalid";
		case 0x80: return "LBA out of range";
		case 0x81: return "capacity exceeded";
		case 0x82: return "namespace not ready";
		default: return "generic command status";
		}
	}
	if (sct == 1) {
		switch (sc) {
		case 0x00: return "completion queue invalid";
		case 0x01: return "invalid queue identifier";
		case 0x02: return "invalid queue size";
		case 0x0d: return "feature not changeable";
		default: return "command specific status";
		}
	}
	if (sct == 2) {
		switch (sc) {
		case 0x80: return "write fault";
		case 0x81: return "unrecovered read error";
		case 0x86: return "access denied";
		default: return "media or data integrity error";
		}
	}
	if (sct == 3)
		return "path related status";
	return "vendor specific status";
}

/* ---- PRP building ---------------------------------------------------------- */

/*
 * One walk over the segments, from arrays or from a mapped scatterlist (from_sg),
 * with or without a list block (have_list): both flags are constants at each call,
 * so each use compiles to its own loop. PRP1 takes the first segment's start; the
 * pages after it go to the list (or, without one, the first of them to *e0, and a
 * second is -ENOBUFS: the caller allocates a block and walks again).
 */
static inline __attribute__((always_inline)) int
prp_walk(struct udma_sg *sg, const udma_addr_t *seg_addr, const uint32_t *seg_len, int nseg,
	 uint32_t page_size, uint64_t *list, uint64_t *prp1, unsigned int *np, uint64_t *e0,
	 const int from_sg, const int have_list)
{
	const uint64_t pmask = page_size - 1;
	const unsigned int shift = (unsigned int)__builtin_ctz(page_size), max = page_size / 8;
	unsigned int n = 0;
	int i;

	for (i = 0; i < nseg; i++) {
		uint64_t a, end, p;
		uint32_t l;

		if (from_sg) {
			if (i > 0)
				sg = udma_sg_next(sg);
			if (sg == NULL)
				return -EINVAL;
			a = sg->dma_address;
			l = sg->dma_length;
		} else {
			a = seg_addr[i];
			l = seg_len[i];
		}
		end = a + l;
		if (l == 0 || (a & 3u) != 0 || (i > 0 && (a & pmask) != 0) ||
		    (i < nseg - 1 && (end & pmask) != 0))
			return -EINVAL;
		if (i == 0) {
			*prp1 = a;
			p = (a | pmask) + 1;
		} else {
			p = a;
		}
		if (p >= end)
			continue;
		if (have_list) {
			unsigned int pages = (unsigned int)((end - p + pmask) >> shift);

			if (n + pages > max)
				return -E2BIG;
			for (; p < end; p += page_size)
				list[n++] = p;
		} else {
			for (; p < end; p += page_size) {
				if (n == 0)
					*e0 = p;
				if (++n > 1)
					return -ENOBUFS;
			}
		}
	}
	*np = n;
	return 0;
}

/* PRP2 from the walk: nothing, the second page itself, or the list */
static inline int prp_finish(unsigned int n, uint64_t e0, udma_addr_t list_iova, uint64_t *prp2)
{
	if (n == 0) {
		*prp2 = 0;
		return 0;
	}
	if (n == 1) {
		*prp2 = e0;
		return 0;
	}
	*prp2 = list_iova;
	return (int)n;
}

static int prp_bad_args(bool have_segs, int nseg, uint32_t page_size, const uint64_t *prp1,
			const uint64_t *prp2, const char *fn)
{
	if (have_segs && nseg > 0 && page_size >= 4096 && (page_size & (page_size - 1)) == 0 &&
	    prp1 != NULL && prp2 != NULL)
		return 0;
	udma_log(UDMA_LOG_ERR, "nvme: %s: bad argument (nseg %d, page size %u)", fn, nseg, page_size);
	return -EINVAL;
}

int udma_nvme_build_prp(const udma_addr_t *seg_addr, const uint32_t *seg_len, int nseg,
			uint32_t page_size, uint64_t *list, udma_addr_t list_iova, uint64_t *prp1,
			uint64_t *prp2)
{
	unsigned int n = 0;
	uint64_t e0 = 0;
	int ret;

	if (prp_bad_args(seg_addr != NULL && seg_len != NULL, nseg, page_size, prp1, prp2,
			 "build_prp"))
		return -EINVAL;
	if (list != NULL) {
		ret = prp_walk(NULL, seg_addr, seg_len, nseg, page_size, list, prp1, &n, &e0, 0, 1);
		e0 = n ? list[0] : 0;
	} else {
		ret = prp_walk(NULL, seg_addr, seg_len, nseg, page_size, NULL, prp1, &n, &e0, 0, 0);
	}
	return ret ? ret : prp_finish(n, e0, list_iova, prp2);
}

/* the data path's builder (its arguments are the driver's own: not checked again) */
static int prp_sg(struct udma_sg *sgl, int nseg, uint32_t page_size, uint64_t *list,
		  udma_addr_t list_iova, uint64_t *prp1, uint64_t *prp2)
{
	unsigned int n = 0;
	uint64_t e0 = 0;
	int ret;

	if (list != NULL) {
		ret = prp_walk(sgl, NULL, NULL, nseg, page_size, list, prp1, &n, &e0, 1, 1);
		e0 = n ? list[0] : 0;
	} else {
		ret = prp_walk(sgl, NULL, NULL, nseg, page_size, NULL, prp1, &n, &e0, 1, 0);
	}
	return ret ? ret : prp_finish(n, e0, list_iova, prp2);
}

int udma_nvme_build_prp_sg(struct udma_sg *sgl, int nseg, uint32_t page_size, uint64_t *list,
			   udma_addr_t list_iova, uint64_t *prp1, uint64_t *prp2)
{
	if (prp_bad_args(sgl != NULL, nseg, page_size, prp1, prp2, "build_prp_sg"))
		return -EINVAL;
	return prp_sg(sgl, nseg, page_size, list, list_iova, prp1, prp2);
}

/* ---- queue pairs ------------------------------------------------------------ */

static volatile uint32_t *doorbell(struct udma_nvme_ctrlr *c, uint16_t qid, int cq)
{
	return (volatile uint32_t *)(c->regs + NVME_REG_DBS + (2u * qid + (cq ? 1u : 0u)) * c->dstrd);
}

static int thread_node(void)
{
	int cpu = sched_getcpu(), node;

	if (cpu < 0 || numa_available() < 0)
		return -1;
	node = numa_node_of_cpu(cpu);
	return node >= 0 && node < udma_numa_node_count() ? node : -1;
}

int nvme_qpair_init(struct udma_nvme_ctrlr *c, struct udma_nvme_qpair *qp, uint16_t qid,
		    unsigned int depth)
{
	int node = qid == 0 ? -1 : thread_node();
	unsigned int i;

	memset(qp, 0, sizeof(*qp));
	qp->ctrlr = c;
	qp->qid = qid;
	qp->depth = (uint16_t)depth;
	qp->phase = 1;
	qp->sq_bytes = (size_t)depth * sizeof(struct nvme_sqe);
	qp->cq_bytes = (size_t)depth * sizeof(struct nvme_cqe);
	/* rings on the node of the thread that will poll them: a device on another node
	 * gets its coherent memory from its own node, so the rings come from a pool
	 * placed on the lcore's node (one block each, page aligned, IOVA contiguous) */
	if (node >= 0 && node != udma_device_numa_node(c->dev)) {
		struct udma_pool_params pp = {.struct_size = sizeof(pp), .numa_node = node,
					      .cache_size = 1};
		char name[32];

		snprintf(name, sizeof(name), "nvme-q%u", qid);
		qp->ring_pool = udma_pool_create_params(name, c->dev, qp->sq_bytes, 4096, 0, &pp);
		if (qp->ring_pool != NULL) {
			qp->sq = udma_pool_zalloc(qp->ring_pool, UDMA_GFP_KERNEL, &qp->sq_iova);
			qp->cq = udma_pool_zalloc(qp->ring_pool, UDMA_GFP_KERNEL, &qp->cq_iova);
		}
	} else {
		qp->sq = udma_alloc_coherent(c->dev, qp->sq_bytes, &qp->sq_iova, UDMA_GFP_KERNEL);
		qp->cq = udma_alloc_coherent(c->dev, qp->cq_bytes, &qp->cq_iova, UDMA_GFP_KERNEL);
	}
	qp->reqs = calloc(depth, sizeof(*qp->reqs));
	if (qp->sq == NULL || qp->cq == NULL || qp->reqs == NULL) {
		udma_log(UDMA_LOG_ERR, "nvme: %s: no memory for queue %u (%u entries)", cname(c), qid, depth);
		nvme_qpair_fini(qp);
		return -ENOMEM;
	}
	/* CIDs 0..depth-2: depth - 1 in flight at most, so neither ring overflows */
	for (i = 0; i + 1 < depth; i++)
		qp->reqs[i].next_free = (uint16_t)(i + 2 < depth ? i + 1 : CID_NONE);
	qp->free_head = depth > 1 ? 0 : CID_NONE;
	qp->sq_db = doorbell(c, qid, 0);
	qp->cq_db = doorbell(c, qid, 1);
	return 0;
}

static void req_release(struct udma_nvme_qpair *qp, struct nvme_req *r, int copy_back);

void nvme_qpair_fini(struct udma_nvme_qpair *qp)
{
	struct udma_nvme_ctrlr *c = qp->ctrlr;
	unsigned int i;

	if (qp->reqs != NULL) {
		for (i = 0; i < qp->depth; i++) {
			struct nvme_req *r = &qp->reqs[i];

			if (!r->active)
				continue;
			req_release(qp, r, 0);
			if (!r->timed_out && r->cb)
				r->cb(r->arg, -ECANCELED, 0);
			r->active = 0;
		}
	}
	if (qp->ring_pool != NULL) {
		if (qp->sq)
			udma_pool_free(qp->ring_pool, qp->sq, qp->sq_iova);
		if (qp->cq)
			udma_pool_free(qp->ring_pool, qp->cq, qp->cq_iova);
		udma_pool_destroy(qp->ring_pool);
	} else {
		if (qp->sq)
			udma_free_coherent(c->dev, qp->sq_bytes, qp->sq, qp->sq_iova);
		if (qp->cq)
			udma_free_coherent(c->dev, qp->cq_bytes, qp->cq, qp->cq_iova);
	}
	free(qp->reqs);
	qp->reqs = NULL;
	qp->sq = NULL;
	qp->cq = NULL;
	qp->ring_pool = NULL;
}

/* unmap / free what a request holds; for a read, bounced data goes to the caller */
static void req_release(struct udma_nvme_qpair *qp, struct nvme_req *r, int copy_back)
{
	struct udma_nvme_ctrlr *c = qp->ctrlr;

	if (r->list != NULL) {
		udma_pool_free(c->list_pool, r->list, r->list_iova);
		r->list = NULL;
	}
	if (r->bounce != NULL) {
		if (copy_back && r->dir == UDMA_FROM_DEVICE) {
			struct udma_sg *sg;
			size_t off = 0;
			int i;

			udma_for_each_sg(r->sgl, sg, r->nents, i) {
				memcpy(sg->buf, (uint8_t *)r->bounce + off, sg->length);
				off += sg->length;
			}
		}
		udma_free_coherent(c->dev, r->len, r->bounce, r->bounce_iova);
		r->bounce = NULL;
	} else if (r->sgl != NULL) {
		udma_unmap_sg(c->dev, r->sgl, r->nents, (enum udma_data_direction)r->dir);
	}
	r->sgl = NULL;
}

/* commands holding a CID: each completion reaped frees one (timed-out ones too) */
static inline int qp_outstanding(const struct udma_nvme_qpair *qp)
{
	return (int)(qp->st.submitted - qp->st.completed);
}

static int qp_ok(const struct udma_nvme_qpair *qp, const char *fn)
{
	if (qp == NULL || qp->ctrlr == NULL || qp->reqs == NULL) {
		udma_log(UDMA_LOG_ERR, "nvme: %s(): not a queue pair (%p)", fn, (const void *)qp);
		return 0;
	}
	return 1;
}

/* take a CID, place @sqe at the tail, ring the SQ doorbell */
static int qp_submit(struct udma_nvme_qpair *qp, struct nvme_sqe *sqe, struct nvme_req *tmpl)
{
	uint16_t cid = qp->free_head;
	struct nvme_req *r;

	if (cid == CID_NONE) {
		qp->st.full++;
		return -EAGAIN;
	}
	r = &qp->reqs[cid];
	qp->free_head = r->next_free;
	*r = *tmpl;
	r->active = 1;
	r->timed_out = 0;
	r->deadline_ns = nvme_now_ns() + (uint64_t)qp->ctrlr->timeout_ms * 1000000ull;
	sqe->cdw0 = (sqe->cdw0 & 0xffffu) | ((uint32_t)cid << 16);
	memcpy(&qp->sq[qp->sq_tail], sqe, sizeof(*sqe));
	if (++qp->sq_tail == qp->depth)
		qp->sq_tail = 0;
	qp->st.submitted++;
	qp->st.prp_lists += r->list != NULL;
	/* udma_write32() orders the doorbell after the SQ entry's stores */
	udma_write32(qp->sq_tail, qp->sq_db);
	return 0;
}

static void cid_free(struct udma_nvme_qpair *qp, uint16_t cid)
{
	qp->reqs[cid].active = 0;
	qp->reqs[cid].next_free = qp->free_head;
	qp->free_head = cid;
}

static int check_fatal(struct udma_nvme_qpair *qp)
{
	struct udma_nvme_ctrlr *c = qp->ctrlr;
	uint32_t csts = udma_read32(c->regs + NVME_REG_CSTS);

	if (csts == UINT32_MAX || (csts & NVME_CSTS_CFS)) {
		udma_log(UDMA_LOG_ERR, "nvme: %s: controller fatal status (CSTS %#x): queue %u fails its %d commands",
			 cname(c), csts, qp->qid, qp_outstanding(qp));
		return -ENXIO;
	}
	return 0;
}

/* fail commands in flight: every one with -ENXIO (fatal status), the expired ones
 * with -ETIMEDOUT; the pair then refuses new commands. Their resources stay until the
 * pair is destroyed or the command completes late: the device may still write them */
static void qp_fail(struct udma_nvme_qpair *qp, int err, uint64_t now)
{
	bool failed = err != -ETIMEDOUT;
	unsigned int i;

	for (i = 0; i < qp->depth; i++) {
		struct nvme_req *r = &qp->reqs[i];

		if (!r->active || r->timed_out || (err == -ETIMEDOUT && r->deadline_ns > now))
			continue;
		r->timed_out = 1;
		failed = true;
		if (err == -ETIMEDOUT)
			udma_log(UDMA_LOG_ERR, "nvme: %s: queue %u command %u: no completion after %u ms",
				 cname(qp->ctrlr), qp->qid, i, qp->ctrlr->timeout_ms);
		if (r->cb)
			r->cb(r->arg, err, 0);
	}
	if (failed)
		qp->failed = err;
}

static int qp_poll(struct udma_nvme_qpair *qp, unsigned int max)
{
	unsigned int n = 0;

	for (;;) {
		volatile struct nvme_cqe *cqe = &qp->cq[qp->cq_head];
		/* an acquire load: the rest of the entry is read after the phase tag said
		 * it is new (dma_rmb() in a kernel driver) */
		uint16_t status = __atomic_load_n(&cqe->status, __ATOMIC_ACQUIRE), cid;
		struct nvme_req *r;
		udma_nvme_cb cb;
		void *arg;
		int err;

		if ((status & 1u) != qp->phase)
			break;
		cid = cqe->cid;
		if (++qp->cq_head == qp->depth) {
			qp->cq_head = 0;
			qp->phase ^= 1u;
		}
		n++;
		if (cid >= qp->depth || !qp->reqs[cid].active) {
			udma_log(UDMA_LOG_ERR, "nvme: %s: queue %u: completion for unknown command %u",
				 cname(qp->ctrlr), qp->qid, cid);
			continue;
		}
		r = &qp->reqs[cid];
		status >>= 1;
		err = (status & 0x7ffu) ? -EIO : 0;
		req_release(qp, r, err == 0);
		cb = r->timed_out ? NULL : r->cb;
		arg = r->arg;
		cid_free(qp, cid);
		qp->st.completed++;
		qp->st.errors += err != 0;
		if (cb)
			cb(arg, err, (uint16_t)(status & 0x7ffu));
		if (max && n >= max)
			break;
	}
	if (n) {
		udma_write32(qp->cq_head, qp->cq_db);
		qp->polls = 0;
	} else if (qp_outstanding(qp) > 0 && (++qp->polls & 1023u) == 0) {
		/* idle: now and then, the controller's health and the deadlines */
		int fatal = check_fatal(qp);

		qp_fail(qp, fatal ? fatal : -ETIMEDOUT, nvme_now_ns());
	}
	return (int)n;
}

int udma_nvme_qpair_poll(struct udma_nvme_qpair *qp, unsigned int max)
{
	if (!qp_ok(qp, __func__))
		return -EINVAL;
	return qp_poll(qp, max);
}

int udma_nvme_qpair_stats(const struct udma_nvme_qpair *qp, struct udma_nvme_qpair_stats *st)
{
	if (!qp_ok(qp, __func__) || st == NULL) {
		if (qp != NULL && st == NULL)
			udma_log(UDMA_LOG_ERR, "nvme: qpair_stats: NULL stats");
		return -EINVAL;
	}
	*st = qp->st;
	return 0;
}

int udma_nvme_qpair_outstanding(const struct udma_nvme_qpair *qp)
{
	if (!qp_ok(qp, __func__))
		return -EINVAL;
	return qp_outstanding(qp);
}

/* ---- admin commands -------------------------------------------------------- */

struct sync_done {
	int done;
	int status;
	uint16_t nvme_status;
};

static void sync_cb(void *arg, int status, uint16_t nvme_status)
{
	struct sync_done *d = arg;

	d->done = 1;
	d->status = status;
	d->nvme_status = nvme_status;
}

static int admin_cmd(struct udma_nvme_ctrlr *c, struct nvme_sqe *sqe, uint32_t *dw0)
{
	struct udma_nvme_qpair *qp = &c->admin;
	struct sync_done d = {0};
	struct nvme_req t = {.cb = sync_cb, .arg = &d};
	uint16_t cid;
	int ret;

	ret = qp_submit(qp, sqe, &t);
	if (ret)
		return ret;
	cid = (uint16_t)(sqe->cdw0 >> 16);
	while (!d.done) {
		const volatile struct nvme_cqe *cqe = &qp->cq[qp->cq_head];

		if ((cqe->status & 1u) == qp->phase && dw0)
			*dw0 = cqe->dw0;
		if (qp_poll(qp, 1) == 0)
			pause_us(10);
	}
	if (d.status == -EIO)
		udma_log(UDMA_LOG_ERR, "nvme: %s: admin command %#x (cid %u) failed: %s (status %#x)",
			 cname(c), sqe->cdw0 & 0xffu, cid, udma_nvme_status_str(d.nvme_status),
			 d.nvme_status);
	return d.status;
}

static int wait_csts(struct udma_nvme_ctrlr *c, uint32_t mask, uint32_t val, const char *what)
{
	uint64_t deadline = nvme_now_ns() + (uint64_t)c->ready_timeout_ms * 1000000ull;
	uint32_t csts;

	for (;;) {
		csts = udma_read32(c->regs + NVME_REG_CSTS);
		if (csts == UINT32_MAX) {
			udma_log(UDMA_LOG_ERR, "nvme: %s: registers read all ones (device gone?)", cname(c));
			return -ENXIO;
		}
		if ((csts & mask) == val)
			return 0;
		if ((csts & NVME_CSTS_CFS) && mask != NVME_CSTS_SHST_MASK) {
			udma_log(UDMA_LOG_ERR, "nvme: %s: controller fatal status while waiting for %s",
				 cname(c), what);
			return -ENXIO;
		}
		if (nvme_now_ns() > deadline) {
			udma_log(UDMA_LOG_ERR, "nvme: %s: %s not reached in %u ms (CAP.TO; CSTS %#x)",
				 cname(c), what, c->ready_timeout_ms, csts);
			return -ETIMEDOUT;
		}
		pause_us(1000);
	}
}

static void copy_str(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == 0))
		dst[--n] = 0;
}

static int set_limits(struct udma_nvme_ctrlr *c)
{
	if (udma_set_max_seg_size(c->dev, c->max_xfer) != 0 ||
	    udma_set_seg_boundary(c->dev, UDMA_BIT_MASK(32)) != 0)
		return -EIO;
	return 0;
}

int nvme_ctrlr_setup(struct udma_nvme_ctrlr *c, struct udma_device *dev, void *bar, size_t len)
{
	uint64_t cap;
	uint32_t mpsmin;

	c->dev = dev;
	c->regs = bar;
	cap = udma_read64(c->regs + NVME_REG_CAP);
	c->cap = cap;
	c->dstrd = 4u << ((cap >> 32) & 0xfu);
	mpsmin = 12u + (uint32_t)((cap >> 48) & 0xfu);
	c->page_size = 1u << mpsmin;
	c->max_qdepth = (uint32_t)(cap & 0xffffu) + 1u;
	if (c->max_qdepth > MAX_DEPTH)
		c->max_qdepth = MAX_DEPTH;
	c->ready_timeout_ms = (unsigned int)((cap >> 24) & 0xffu) * 500u;
	if (c->ready_timeout_ms == 0)
		c->ready_timeout_ms = 500;
	if (c->timeout_ms == 0)
		c->timeout_ms = UDMA_NVME_TIMEOUT_MS;
	c->max_xfer = UDMA_NVME_MAX_XFER;
	if (c->page_size > 65536 || len < NVME_REG_DBS + 2u * c->dstrd) {
		udma_log(UDMA_LOG_ERR, "nvme: %s: page size %u / BAR0 of %zu bytes unusable", cname(c),
			 c->page_size, len);
		return -ENODEV;
	}
	/* the controller's limits, for udma_map_sg(): 64-bit addresses, segments up to
	 * the largest transfer, no boundary below 4 GiB (SGL lengths are 32 bits) */
	if (udma_set_mask_and_coherent(dev, UDMA_BIT_MASK(64)) != 0 || set_limits(c) != 0)
		return -EIO;
	c->list_pool = udma_pool_create("nvme-prp", dev, c->page_size, c->page_size, c->page_size);
	if (c->list_pool == NULL)
		return -ENOMEM;
	return 0;
}

static int bring_up(struct udma_nvme_ctrlr *c, unsigned int want_queues)
{
	struct nvme_sqe sqe;
	udma_addr_t id_iova;
	uint8_t *id;
	uint32_t cc, dw0 = 0, lbaf, sgls;
	unsigned int nsq, ncq;
	int ret;

	if (((c->cap >> 37) & 1u) == 0) {
		udma_log(UDMA_LOG_ERR, "nvme: %s: no NVM command set (CAP %#llx)", cname(c),
			 (unsigned long long)c->cap);
		return -ENODEV;
	}
	/* 1. disable, wait for RDY = 0 */
	cc = udma_read32(c->regs + NVME_REG_CC);
	if (cc & NVME_CC_EN)
		udma_write32(cc & ~NVME_CC_EN, c->regs + NVME_REG_CC);
	ret = wait_csts(c, NVME_CSTS_RDY, 0, "CSTS.RDY = 0");
	if (ret)
		return ret;
	/* 2. admin queues in coherent memory */
	ret = nvme_qpair_init(c, &c->admin, 0, ADMIN_DEPTH);
	if (ret)
		return ret;
	udma_write32((ADMIN_DEPTH - 1) << 16 | (ADMIN_DEPTH - 1), c->regs + NVME_REG_AQA);
	udma_write64(c->admin.sq_iova, c->regs + NVME_REG_ASQ);
	udma_write64(c->admin.cq_iova, c->regs + NVME_REG_ACQ);
	/* 3. enable: NVM command set, page size, 64-byte SQ and 16-byte CQ entries */
	cc = NVME_CC_EN | ((uint32_t)(__builtin_ctz(c->page_size) - 12) << 7) | NVME_CC_IOSQES |
	     NVME_CC_IOCQES;
	udma_write32(cc, c->regs + NVME_REG_CC);
	ret = wait_csts(c, NVME_CSTS_RDY, NVME_CSTS_RDY, "CSTS.RDY = 1");
	if (ret)
		return ret;
	c->info.version = udma_read32(c->regs + NVME_REG_VS);

	/* 4. Identify Controller, then Namespace 1, in one coherent page */
	id = udma_alloc_coherent(c->dev, 4096, &id_iova, UDMA_GFP_KERNEL);
	if (id == NULL)
		return -ENOMEM;
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = NVME_ADM_IDENTIFY;
	sqe.prp1 = id_iova;
	sqe.cdw10 = 1; /* CNS 1: controller */
	ret = admin_cmd(c, &sqe, NULL);
	if (ret == 0) {
		c->info.vid = (uint16_t)(id[0] | id[1] << 8);
		copy_str(c->info.serial, id + 4, 20);
		copy_str(c->info.model, id + 24, 40);
		copy_str(c->info.firmware, id + 64, 8);
		if (id[77] != 0 && (uint64_t)c->page_size << id[77] < c->max_xfer)
			c->max_xfer = c->page_size << id[77];
		memcpy(&sgls, id + 536, 4);
		c->info.sgl = (sgls & 3u) != 0;
		memset(&sqe, 0, sizeof(sqe));
		sqe.cdw0 = NVME_ADM_IDENTIFY;
		sqe.nsid = 1;
		sqe.prp1 = id_iova;
		sqe.cdw10 = 0; /* CNS 0: namespace */
		ret = admin_cmd(c, &sqe, NULL);
	}
	if (ret == 0) {
		memcpy(&c->info.nlbas, id, 8);
		memcpy(&lbaf, id + 128 + 4 * (id[26] & 0xfu), 4);
		c->info.lba_size = 1u << ((lbaf >> 16) & 0xffu);
		c->info.nsid = 1;
		if (c->info.nlbas == 0 || c->info.lba_size < 512 || c->info.lba_size > c->page_size) {
			udma_log(UDMA_LOG_ERR, "nvme: %s: namespace 1 unusable (%llu blocks of %u bytes)",
				 cname(c), (unsigned long long)c->info.nlbas, c->info.lba_size);
			ret = -ENODEV;
		}
	}
	udma_free_coherent(c->dev, 4096, id, id_iova);
	if (ret)
		return ret;

	/* 5. Set Features: Number of Queues */
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = NVME_ADM_SET_FEATURES;
	sqe.cdw10 = 0x07;
	sqe.cdw11 = (want_queues - 1) << 16 | (want_queues - 1);
	ret = admin_cmd(c, &sqe, &dw0);
	if (ret)
		return ret;
	nsq = (dw0 & 0xffffu) + 1;
	ncq = (dw0 >> 16) + 1;
	c->nqids = want_queues < nsq ? want_queues : nsq;
	if (ncq < c->nqids)
		c->nqids = ncq;
	c->qid_used = calloc(c->nqids + 1, 1);
	if (c->qid_used == NULL)
		return -ENOMEM;
	return set_limits(c);
}

static void fill_info(struct udma_nvme_ctrlr *c)
{
	c->info.page_size = c->page_size;
	c->info.max_xfer = c->max_xfer;
	c->info.max_qdepth = c->max_qdepth;
	c->info.io_queues = c->nqids;
	c->info.doorbell_stride = c->dstrd;
}

static void ctrlr_free(struct udma_nvme_ctrlr *c)
{
	if (c->admin.reqs != NULL)
		nvme_qpair_fini(&c->admin);
	if (c->list_pool != NULL)
		udma_pool_destroy(c->list_pool);
	free(c->qid_used);
	if (c->pdev != NULL) {
		udma_pci_set_bus_master(c->pdev, 0);
		udma_pci_close(c->pdev);
	}
	free(c);
}

int udma_nvme_open(struct udma_nvme_ctrlr **out, const char *pci_addr,
		   const struct udma_nvme_opts *opts)
{
	struct udma_nvme_ctrlr *c;
	struct udma_pci_info pi;
	unsigned int want;
	size_t len = 0;
	void *bar0;
	int ret;

	if (out == NULL || pci_addr == NULL) {
		udma_log(UDMA_LOG_ERR, "nvme: open: bad argument (out %p, address %p)", (void *)out,
			 (const void *)pci_addr);
		return -EINVAL;
	}
	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : UDMA_NVME_TIMEOUT_MS;
	want = opts && opts->io_queues ? opts->io_queues : udma_lcore_count();
	if (want == 0)
		want = 1;
	if (want > 64)
		want = 64;
	c->pdev = udma_pci_open(pci_addr, UDMA_PCI_ACCESS_AUTO);
	if (c->pdev == NULL) {
		ret = -errno;
		free(c);
		return ret;
	}
	ret = udma_pci_info(c->pdev, &pi);
	if (ret == 0 && pi.class_code != UDMA_NVME_CLASS) {
		udma_log(UDMA_LOG_ERR, "nvme: %s is class %06x, not an NVMe controller (%06x)", pi.addr,
			 pi.class_code, UDMA_NVME_CLASS);
		ret = -ENODEV;
	}
	bar0 = ret == 0 ? udma_pci_bar_map(c->pdev, 0, &len) : NULL;
	if (ret == 0 && bar0 == NULL)
		ret = -errno ? -errno : -EIO;
	if (ret == 0)
		ret = udma_pci_set_bus_master(c->pdev, 1);
	if (ret == 0)
		ret = nvme_ctrlr_setup(c, udma_pci_dma_device(c->pdev), bar0, len);
	if (ret == 0)
		ret = bring_up(c, want);
	if (ret != 0) {
		if (c->regs != NULL && c->admin.reqs != NULL)
			udma_write32(0, c->regs + NVME_REG_CC); /* the device stops using the rings */
		ctrlr_free(c);
		return ret;
	}
	c->use_sgl = opts && opts->use_sgl && c->info.sgl;
	fill_info(c);
	udma_log(UDMA_LOG_INFO,
		 "nvme: %s: %s (sn %s, fw %s), NVMe %u.%u, %llu x %u-byte blocks, max transfer %u, %u I/O queues, %s",
		 pi.addr, c->info.model, c->info.serial, c->info.firmware, c->info.version >> 16,
		 (c->info.version >> 8) & 0xffu, (unsigned long long)c->info.nlbas, c->info.lba_size,
		 c->max_xfer, c->nqids, c->use_sgl ? "SGL" : "PRP");
	*out = c;
	return 0;
}

void udma_nvme_close(struct udma_nvme_ctrlr *c)
{
	uint32_t cc;

	if (c == NULL)
		return;
	if (c->regs != NULL && c->admin.reqs != NULL) {
		/* normal shutdown, then disable: the controller lets go of every ring */
		cc = udma_read32(c->regs + NVME_REG_CC);
		udma_write32((cc & ~(3u << 14)) | NVME_CC_SHN_NORMAL, c->regs + NVME_REG_CC);
		if (wait_csts(c, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_DONE, "shutdown (CSTS.SHST)") == 0)
			udma_log(UDMA_LOG_INFO, "nvme: %s: shut down", cname(c));
		udma_write32(0, c->regs + NVME_REG_CC);
		wait_csts(c, NVME_CSTS_RDY, 0, "CSTS.RDY = 0");
	}
	ctrlr_free(c);
}

int udma_nvme_get_info(const struct udma_nvme_ctrlr *c, struct udma_nvme_info *info)
{
	if (c == NULL || info == NULL) {
		udma_log(UDMA_LOG_ERR, "nvme: get_info: bad argument");
		return -EINVAL;
	}
	*info = c->info;
	return 0;
}

struct udma_device *udma_nvme_dma_device(const struct udma_nvme_ctrlr *c)
{
	return c ? c->dev : NULL;
}

struct udma_nvme_qpair *udma_nvme_qpair_create(struct udma_nvme_ctrlr *c, unsigned int depth)
{
	struct udma_nvme_qpair *qp;
	struct nvme_sqe sqe;
	uint16_t qid = 0;
	uint32_t i;
	int ret;

	if (depth == 0)
		depth = DEFAULT_DEPTH;
	if (c == NULL || c->qid_used == NULL || depth < 2 || depth > c->max_qdepth) {
		udma_log(UDMA_LOG_ERR, "nvme: qpair_create: bad argument (ctrlr %p, depth %u, max %u)",
			 (void *)c, depth, c ? c->max_qdepth : 0);
		errno = EINVAL;
		return NULL;
	}
	for (i = 1; i <= c->nqids && qid == 0; i++)
		if (!c->qid_used[i])
			qid = (uint16_t)i;
	if (qid == 0) {
		udma_log(UDMA_LOG_ERR, "nvme: %s: all %u I/O queues in use", cname(c), c->nqids);
		errno = ENOSPC;
		return NULL;
	}
	qp = calloc(1, sizeof(*qp));
	if (qp == NULL || nvme_qpair_init(c, qp, qid, depth) != 0) {
		free(qp);
		errno = ENOMEM;
		return NULL;
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = NVME_ADM_CREATE_CQ;
	sqe.prp1 = qp->cq_iova;
	sqe.cdw10 = (depth - 1) << 16 | qid;
	sqe.cdw11 = 1; /* physically contiguous, no interrupts */
	ret = admin_cmd(c, &sqe, NULL);
	if (ret == 0) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.cdw0 = NVME_ADM_CREATE_SQ;
		sqe.prp1 = qp->sq_iova;
		sqe.cdw10 = (depth - 1) << 16 | qid;
		sqe.cdw11 = (uint32_t)qid << 16 | 1;
		ret = admin_cmd(c, &sqe, NULL);
		if (ret != 0) {
			memset(&sqe, 0, sizeof(sqe));
			sqe.cdw0 = NVME_ADM_DELETE_CQ;
			sqe.cdw10 = qid;
			admin_cmd(c, &sqe, NULL);
		}
	}
	if (ret != 0) {
		nvme_qpair_fini(qp);
		free(qp);
		errno = ret == -EAGAIN ? EBUSY : EIO;
		return NULL;
	}
	c->qid_used[qid] = 1;
	return qp;
}

void udma_nvme_qpair_destroy(struct udma_nvme_qpair *qp)
{
	struct udma_nvme_ctrlr *c;
	struct nvme_sqe sqe;

	if (qp == NULL || qp->ctrlr == NULL)
		return;
	c = qp->ctrlr;
	/* give commands in flight a last chance to complete */
	if (qp_outstanding(qp) > 0 && !qp->failed) {
		uint64_t deadline = nvme_now_ns() + (uint64_t)c->timeout_ms * 1000000ull;

		while (qp_outstanding(qp) > 0 && nvme_now_ns() < deadline)
			if (qp_poll(qp, 0) == 0)
				pause_us(10);
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = NVME_ADM_DELETE_SQ;
	sqe.cdw10 = qp->qid;
	admin_cmd(c, &sqe, NULL);
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = NVME_ADM_DELETE_CQ;
	sqe.cdw10 = qp->qid;
	admin_cmd(c, &sqe, NULL);
	c->qid_used[qp->qid] = 0;
	nvme_qpair_fini(qp);
	free(qp);
}

/* ---- I/O --------------------------------------------------------------------- */

/* SGL: one data block in DPTR, or a Last Segment descriptor to a list of them */
static int build_sgl(struct udma_nvme_qpair *qp, struct nvme_req *r, int nseg, struct nvme_sqe *sqe)
{
	struct udma_nvme_ctrlr *c = qp->ctrlr;
	struct nvme_sgl_desc *d = (struct nvme_sgl_desc *)&sqe->prp1, *l;
	struct udma_sg *sg = r->sgl;
	int i;

	sqe->cdw0 |= NVME_PSDT_SGL;
	if (nseg == 1) {
		d->addr = sg->dma_address;
		d->len = sg->dma_length;
		memset(d->rsvd, 0, 3);
		d->type = NVME_SGL_DATA_BLOCK;
		return 0;
	}
	if ((size_t)nseg > c->page_size / sizeof(*l))
		return -EINVAL;
	r->list = udma_pool_alloc(c->list_pool, UDMA_GFP_ATOMIC, &r->list_iova);
	if (r->list == NULL)
		return -EAGAIN;
	l = r->list;
	for (i = 0; i < nseg; i++, sg = udma_sg_next(sg)) {
		l[i].addr = sg->dma_address;
		l[i].len = sg->dma_length;
		memset(l[i].rsvd, 0, 3);
		l[i].type = NVME_SGL_DATA_BLOCK;
	}
	d->addr = r->list_iova;
	d->len = (uint32_t)(nseg * sizeof(*l));
	memset(d->rsvd, 0, 3);
	d->type = NVME_SGL_LAST_SEGMENT;
	return 0;
}

static int build_prp(struct udma_nvme_qpair *qp, struct nvme_req *r, int nseg, struct nvme_sqe *sqe)
{
	struct udma_nvme_ctrlr *c = qp->ctrlr;
	int ret;

	ret = prp_sg(r->sgl, nseg, c->page_size, NULL, 0, &sqe->prp1, &sqe->prp2);
	if (ret != -ENOBUFS)
		return ret < 0 ? ret : 0;
	r->list = udma_pool_alloc(c->list_pool, UDMA_GFP_ATOMIC, &r->list_iova);
	if (r->list == NULL)
		return -EAGAIN;
	ret = prp_sg(r->sgl, nseg, c->page_size, r->list, r->list_iova, &sqe->prp1, &sqe->prp2);
	return ret < 0 ? ret : 0;
}

/* what PRPs (or SGLs) cannot describe: one coherent buffer, page aligned, takes the
 * mapped list's place. The list is unmapped only once the buffer is had (until then
 * req_release() unmaps it); a list block a builder left behind is reused. */
static int bounce(struct udma_nvme_qpair *qp, struct nvme_req *r, struct nvme_sqe *sqe)
{
	struct udma_nvme_ctrlr *c = qp->ctrlr;
	uint32_t len = (uint32_t)r->len;
	struct udma_sg *sg;
	size_t off = 0;
	int i, ret;

	r->bounce = udma_alloc_coherent(c->dev, r->len, &r->bounce_iova, UDMA_GFP_KERNEL);
	if (r->bounce == NULL)
		return -ENOMEM;
	udma_unmap_sg(c->dev, r->sgl, r->nents, (enum udma_data_direction)r->dir);
	if (r->dir == UDMA_TO_DEVICE)
		udma_for_each_sg(r->sgl, sg, r->nents, i) {
			memcpy((uint8_t *)r->bounce + off, sg->buf, sg->length);
			off += sg->length;
		}
	sqe->cdw0 &= ~NVME_PSDT_SGL;
	if (r->list == NULL)
		r->list = udma_pool_alloc(c->list_pool, UDMA_GFP_ATOMIC, &r->list_iova);
	if (r->list == NULL)
		return -EAGAIN;
	ret = udma_nvme_build_prp(&r->bounce_iova, &len, 1, c->page_size, r->list, r->list_iova,
				  &sqe->prp1, &sqe->prp2);
	qp->st.bounced++;
	return ret < 0 ? ret : 0;
}

int nvme_submit_io(struct udma_nvme_qpair *qp, uint8_t opc, struct udma_sg *sgl, int nents,
		   uint64_t lba, uint32_t nlb, udma_nvme_cb cb, void *arg)
{
	struct udma_nvme_ctrlr *c = qp->ctrlr;
	struct nvme_req r = {.cb = cb, .arg = arg, .sgl = NULL};
	struct nvme_sqe sqe;
	int nseg = 0, ret;

	if (qp->failed)
		return -ENXIO;
	if (qp->free_head == CID_NONE) {
		qp->st.full++;
		return -EAGAIN;
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = opc;
	sqe.nsid = c->info.nsid;
	if (opc != NVME_CMD_FLUSH) {
		sqe.cdw10 = (uint32_t)lba;
		sqe.cdw11 = (uint32_t)(lba >> 32);
		sqe.cdw12 = nlb - 1;
	}
	if (sgl != NULL) {
		r.sgl = sgl;
		r.nents = nents;
		r.dir = opc == NVME_CMD_WRITE ? UDMA_TO_DEVICE : UDMA_FROM_DEVICE;
		r.len = (size_t)nlb * c->info.lba_size;
		nseg = udma_map_sg(c->dev, sgl, nents, (enum udma_data_direction)r.dir);
		if (nseg <= 0)
			return -EIO;
		ret = c->use_sgl ? build_sgl(qp, &r, nseg, &sqe) : build_prp(qp, &r, nseg, &sqe);
		if (ret == -EINVAL || ret == -E2BIG) /* not describable: a bounce buffer instead */
			ret = bounce(qp, &r, &sqe);
		if (ret != 0) {
			req_release(qp, &r, 0);
			return ret == -EINVAL ? -EIO : ret;
		}
	}
	return qp_submit(qp, &sqe, &r);
}

/* an LBA out of range is the controller's to say (LBA Out of Range: -EIO) */
static int io_args(struct udma_nvme_qpair *qp, const char *fn, struct udma_sg *sgl, int nents,
		   uint32_t nlb, int data)
{
	struct udma_nvme_ctrlr *c;
	uint64_t total = 0;
	struct udma_sg *sg;
	int i;

	if (!qp_ok(qp, fn))
		return -EINVAL;
	c = qp->ctrlr;
	if (nlb == 0 || nlb > 65536 || (data && (sgl == NULL || nents <= 0))) {
		udma_log(UDMA_LOG_ERR, "nvme: %s: %s(): bad argument (sgl %p, nents %d, nlb %u)", cname(c),
			 fn, (void *)sgl, nents, nlb);
		return -EINVAL;
	}
	if (!data)
		return 0;
	if ((uint64_t)nlb * c->info.lba_size > c->max_xfer)
		return -E2BIG;
	udma_for_each_sg(sgl, sg, nents, i) {
		if (sg == NULL || sg->buf == NULL || sg->length == 0) {
			udma_log(UDMA_LOG_ERR, "nvme: %s: %s(): entry %d empty or list shorter than %d",
				 cname(c), fn, i, nents);
			return -EINVAL;
		}
		total += sg->length;
	}
	if (total != (uint64_t)nlb * c->info.lba_size) {
		udma_log(UDMA_LOG_ERR, "nvme: %s: %s(): list holds %llu bytes, %u blocks are %llu", cname(c),
			 fn, (unsigned long long)total, nlb, (unsigned long long)nlb * c->info.lba_size);
		return -EINVAL;
	}
	return 0;
}

int udma_nvme_read(struct udma_nvme_qpair *qp, struct udma_sg *sgl, int nents, uint64_t lba,
		   uint32_t nlb, udma_nvme_cb cb, void *arg)
{
	int ret = io_args(qp, __func__, sgl, nents, nlb, 1);

	return ret ? ret : nvme_submit_io(qp, NVME_CMD_READ, sgl, nents, lba, nlb, cb, arg);
}

int udma_nvme_write(struct udma_nvme_qpair *qp, struct udma_sg *sgl, int nents, uint64_t lba,
		    uint32_t nlb, udma_nvme_cb cb, void *arg)
{
	int ret = io_args(qp, __func__, sgl, nents, nlb, 1);

	return ret ? ret : nvme_submit_io(qp, NVME_CMD_WRITE, sgl, nents, lba, nlb, cb, arg);
}

int udma_nvme_flush(struct udma_nvme_qpair *qp, udma_nvme_cb cb, void *arg)
{
	if (!qp_ok(qp, __func__))
		return -EINVAL;
	return nvme_submit_io(qp, NVME_CMD_FLUSH, NULL, 0, 0, 1, cb, arg);
}

int udma_nvme_write_zeroes(struct udma_nvme_qpair *qp, uint64_t lba, uint32_t nlb, udma_nvme_cb cb,
			   void *arg)
{
	int ret = io_args(qp, __func__, NULL, 0, nlb, 0);

	return ret ? ret : nvme_submit_io(qp, NVME_CMD_WRITE_ZEROES, NULL, 0, lba, nlb, cb, arg);
}

int udma_nvme_io_sync(struct udma_nvme_qpair *qp, int write, struct udma_sg *sgl, int nents,
		      uint64_t lba, uint32_t nlb, uint16_t *nvme_status)
{
	struct sync_done d = {0};
	int ret;

	ret = write ? udma_nvme_write(qp, sgl, nents, lba, nlb, sync_cb, &d)
		    : udma_nvme_read(qp, sgl, nents, lba, nlb, sync_cb, &d);
	if (ret)
		return ret;
	while (!d.done) {
		ret = qp_poll(qp, 0);
		if (ret == 0)
			pause_us(5);
	}
	if (nvme_status)
		*nvme_status = d.nvme_status;
	return d.status;
}
