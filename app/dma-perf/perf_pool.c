/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * P1-P4 and the pool half of P11: udma_pool against rte_mempool (per-lcore cache
 * 512), a mutex-protected free list (the shape of Linux's mm/dmapool.c) and
 * jemalloc mallocx/dallocx, all in this process.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "perf.h"

#define ELT 64
#define NOBJ (1 << 16)

/* ---- the mutex pool: an intrusive free list behind one lock --------------- */
struct mutex_pool {
	pthread_mutex_t lock;
	void *free;
	void *mem;
};

static void mpool_init(struct mutex_pool *m, size_t n)
{
	uint8_t *mem = aligned_alloc(64, n * ELT);

	pthread_mutex_init(&m->lock, NULL);
	m->mem = mem;
	m->free = NULL;
	for (size_t i = 0; i < n; i++) {
		*(void **)(mem + i * ELT) = m->free;
		m->free = mem + i * ELT;
	}
}

static inline void *mpool_get(struct mutex_pool *m)
{
	void *b;

	pthread_mutex_lock(&m->lock);
	b = m->free;
	if (b)
		m->free = *(void **)b;
	pthread_mutex_unlock(&m->lock);
	return b;
}

static inline void mpool_put(struct mutex_pool *m, void *b)
{
	pthread_mutex_lock(&m->lock);
	*(void **)b = m->free;
	m->free = b;
	pthread_mutex_unlock(&m->lock);
}

/* ---- single-lcore loops ---------------------------------------------------- */

static struct udma_device *g_dev;

static PERF_LOOP double loop_udma(struct udma_pool *p, long n)
{
	udma_addr_t h, s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *b = udma_pool_alloc(p, UDMA_GFP_ATOMIC, &h);

		udma_pool_free(p, b, h);
		s += h;
	}
	g_sink += s;
	return loop_end(__func__, t0, n);
}

static PERF_LOOP double loop_mempool(struct rte_mempool *mp, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *b;

		if (rte_mempool_get(mp, &b) == 0)
			rte_mempool_put(mp, b);
	}
	return loop_end(__func__, t0, n);
}

static double loop_mutex(struct mutex_pool *m, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		mpool_put(m, mpool_get(m));
	return (now_ns() - t0) / (double)n;
}

static double loop_jemalloc(long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *b = mallocx(ELT, 0);

		g_sink += (uintptr_t)b;
		dallocx(b, 0);
	}
	return (now_ns() - t0) / (double)n;
}

/* @k blocks per call (P2: 32; the BURST sweep) */
static PERF_LOOP double loop_udma_bulk(struct udma_pool *p, unsigned int k, long n)
{
	void *v[256];
	udma_addr_t h[256];
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		if (udma_pool_alloc_bulk(p, UDMA_GFP_ATOMIC, v, h, k) != 0) {
			fprintf(stderr, "dma-perf: pool: udma_pool_alloc_bulk of %u failed\n", k);
			exit(1);
		}
		udma_pool_free_bulk(p, v, h, k);
	}
	return loop_end(__func__, t0, n * k);
}

static PERF_LOOP double loop_mempool_bulk(struct rte_mempool *mp, unsigned int k, long n)
{
	void *v[256];
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		if (rte_mempool_get_bulk(mp, v, k) == 0)
			rte_mempool_put_bulk(mp, v, k);
	}
	return loop_end(__func__, t0, n * k);
}

/* P2b's baseline, like for like: the bulk get, the IOVA of each object, the bulk put */
static PERF_LOOP double loop_mempool_bulk_iova(struct rte_mempool *mp, long n)
{
	void *v[32];
	rte_iova_t h[32], sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		if (rte_mempool_get_bulk(mp, v, 32) == 0) {
			for (int k = 0; k < 32; k++)
				h[k] = rte_mempool_virt2iova(v[k]);
			sum += h[i & 31];
			rte_mempool_put_bulk(mp, v, 32);
		}
	}
	g_sink += sum;
	return loop_end(__func__, t0, n * 32);
}

static void p1_p2(struct udma_pool *p, struct rte_mempool *mp, struct mutex_pool *m)
{
	static const char p1[] = "pool alloc+free 64 B, warm lcore cache";
	double u[SAMPLES], r[SAMPLES], x[SAMPLES], j[SAMPLES], ub[SAMPLES], rb[SAMPLES];
	double ri[SAMPLES];

	for (int s = 0; s < SAMPLES; s++) {
		progress("P1-P2", s + 1, SAMPLES);
		u[s] = loop_udma(p, iters(20000000));
		r[s] = loop_mempool(mp, iters(20000000));
		x[s] = loop_mutex(m, iters(5000000));
		j[s] = loop_jemalloc(iters(20000000));
		ub[s] = loop_udma_bulk(p, 32, iters(1000000));
		rb[s] = loop_mempool_bulk(mp, 32, iters(1000000));
		ri[s] = loop_mempool_bulk_iova(mp, iters(1000000));
	}
	if (row_wanted("P1")) {
		row_samples("P1", p1, u, "rte_mempool get+put (cache 512)", r, SAMPLES, "<= 0.5x", 0,
			    0.5);
		row_samples("P1", p1, u, "mutex free-list pool", x, SAMPLES, "info", 0, 0);
		row_samples("P1", p1, u, "jemalloc mallocx+dallocx 64 B", j, SAMPLES, "info", 0, 0);
	}
	if (row_wanted("P2"))
		row_samples("P2", "pool alloc_bulk+free_bulk 32, per object", ub,
			    "rte_mempool get/put_bulk 32", rb, SAMPLES, "<= 1.0x", 0, 1.0);
	if (row_wanted("P2b"))
		row_samples("P2b", "pool alloc_bulk+free_bulk 32 with IOVAs, per object", ub,
			    "rte_mempool bulk 32 + virt2iova each", ri, SAMPLES, "<= 1.0x", 0, 1.0);
}

/* ---- P3: producer allocates on lcore 0, consumer frees on lcore 1 ---------- */

enum kind { K_UDMA, K_MEMPOOL, K_MUTEX };

struct pc {
	enum kind kind;
	struct udma_pool *pool;
	struct rte_mempool *mp;
	struct mutex_pool *m;
	struct rte_ring *ring;
	long n;
};

/* waiting on a ring, out of the loops (devtools/profile does not count it) */
static __attribute__((noinline, cold)) void wait_dequeue(struct rte_ring *r, void **b)
{
	while (rte_ring_sc_dequeue(r, b) != 0)
		rte_pause();
}

static __attribute__((noinline, cold)) void wait_enqueue(struct rte_ring *r, void *b)
{
	while (rte_ring_sp_enqueue(r, b) != 0)
		rte_pause();
}

/*
 * PERF_LOOP function @name: the PERF_BODY @body (of a struct @type *c) for the constant
 * @kind, then its count of @ops operations; one function per kind, so devtools/profile
 * sees each by name
 */
#define KIND_LOOP(name, body, type, kind, ops)						\
	static PERF_LOOP void name(struct type *c)					\
	{									\
		body(c, kind);								\
		loop_count(__func__, ops);						\
	}

/* the consumer's loop; @kind is a constant: one function per kind (p3_consume_*) */
static PERF_BODY void consume(struct pc *c, enum kind kind)
{
	void *b;

	for (long i = 0; i < c->n; i++) {
		if (rte_ring_sc_dequeue(c->ring, &b) != 0)
			wait_dequeue(c->ring, &b);
		if (kind == K_UDMA)
			udma_pool_free(c->pool, b, udma_virt2iova(b));
		else if (kind == K_MEMPOOL)
			rte_mempool_put(c->mp, b);
		else
			mpool_put(c->m, b);
	}
}

KIND_LOOP(p3_consume_udma, consume, pc, K_UDMA, c->n)
KIND_LOOP(p3_consume_mempool, consume, pc, K_MEMPOOL, c->n)
KIND_LOOP(p3_consume_mutex, consume, pc, K_MUTEX, c->n)

static int consumer(void *arg)
{
	struct pc *c = arg;

	if (c->kind == K_UDMA) {
		udma_thread_register();
		p3_consume_udma(c);
		udma_thread_unregister();
	} else if (c->kind == K_MEMPOOL) {
		p3_consume_mempool(c);
	} else {
		p3_consume_mutex(c);
	}
	return 0;
}

static PERF_BODY void *produce_one(struct pc *c, enum kind kind)
{
	udma_addr_t h;
	void *b = NULL;

	while (b == NULL) {
		if (kind == K_UDMA)
			b = udma_pool_alloc(c->pool, UDMA_GFP_ATOMIC, &h);
		else if (kind == K_MEMPOOL)
			rte_mempool_get(c->mp, &b);
		else
			b = mpool_get(c->m);
		if (b == NULL)
			rte_pause(); /* the consumer is behind: wait for blocks to come back */
	}
	return b;
}

/* the producer's loop; @kind is a constant: one function per kind (p3_produce_*) */
static PERF_BODY void produce(struct pc *c, enum kind kind)
{
	for (long i = 0; i < c->n; i++) {
		void *b = produce_one(c, kind);

		if (rte_ring_sp_enqueue(c->ring, b) != 0)
			wait_enqueue(c->ring, b);
	}
}

KIND_LOOP(p3_produce_udma, produce, pc, K_UDMA, c->n)
KIND_LOOP(p3_produce_mempool, produce, pc, K_MEMPOOL, c->n)
KIND_LOOP(p3_produce_mutex, produce, pc, K_MUTEX, c->n)

static double run_pc(struct pc *c)
{
	double t0 = now_ns();

	rte_eal_remote_launch(consumer, c, 1);
	if (c->kind == K_UDMA)
		p3_produce_udma(c);
	else if (c->kind == K_MEMPOOL)
		p3_produce_mempool(c);
	else
		p3_produce_mutex(c);
	rte_eal_wait_lcore(1);
	return (now_ns() - t0) / (double)c->n;
}

static void p3(struct udma_pool *p, struct rte_mempool *mp, struct mutex_pool *m)
{
	struct rte_ring *ring = rte_ring_create("p3ring", 1024, SOCKET_ID_ANY,
						RING_F_SP_ENQ | RING_F_SC_DEQ);
	double u[3], r[3], x[3];

	if (ring == NULL)
		return;
	for (int s = 0; s < 3; s++) {
		struct pc cu = {K_UDMA, p, mp, m, ring, iters(4000000)};
		struct pc cr = {K_MEMPOOL, p, mp, m, ring, iters(4000000)};
		struct pc cx = {K_MUTEX, p, mp, m, ring, iters(4000000)};

		progress("P3", s + 1, 3);
		u[s] = run_pc(&cu);
		r[s] = run_pc(&cr);
		x[s] = run_pc(&cx);
	}
	row_samples("P3", "pool, 2 lcores: producer allocs, consumer frees", u,
		    "rte_mempool (cache 512)", r, 3, "<= 1.0x (>= 1x ops/s)", 0, 1.0);
	row_samples("P3", "pool, 2 lcores: producer allocs, consumer frees", u,
		    "mutex free-list pool", x, 3, "<= 0.2x (>= 5x ops/s)", 0, 0.2);
	rte_ring_free(ring);
}

/* ---- P3b and the pairs of P12: producer alloc_bulk 32 -> SPSC ring -> consumer free_bulk 32 */

#define BULK 32
#define MAX_PAIRS 8

struct pairb {
	enum kind kind;
	struct udma_pool *pool;
	struct rte_mempool *mp;
	struct rte_ring *ring;
	long n; /* bursts */
	bool main_lcore;
};

static struct rte_ring *g_pair_ring[MAX_PAIRS];

static struct rte_ring *pair_ring(int i)
{
	char name[32];

	if (g_pair_ring[i] == NULL) {
		snprintf(name, sizeof(name), "pairb%d", i);
		g_pair_ring[i] = rte_ring_create(name, 1024, SOCKET_ID_ANY,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (g_pair_ring[i] == NULL) {
			fprintf(stderr, "dma-perf: ring %s failed\n", name);
			exit(1);
		}
	}
	return g_pair_ring[i];
}

/* waiting on a ring, out of the loops (devtools/profile does not count it) */
static __attribute__((noinline, cold)) void wait_dequeue_bulk(struct rte_ring *r, void **v)
{
	while (rte_ring_sc_dequeue_bulk(r, v, BULK, NULL) == 0)
		rte_pause();
}

static __attribute__((noinline, cold)) void wait_enqueue_bulk(struct rte_ring *r, void **v)
{
	while (rte_ring_sp_enqueue_bulk(r, v, BULK, NULL) == 0)
		rte_pause();
}

/* the consumer's loop; @kind is a constant: one function per kind (p3b_consume_*) */
static PERF_BODY void consume_bulk(struct pairb *c, enum kind kind)
{
	void *v[BULK];

	for (long i = 0; i < c->n; i++) {
		if (rte_ring_sc_dequeue_bulk(c->ring, v, BULK, NULL) == 0)
			wait_dequeue_bulk(c->ring, v);
		if (kind == K_UDMA)
			udma_pool_free_bulk(c->pool, v, NULL, BULK);
		else
			rte_mempool_put_bulk(c->mp, v, BULK);
	}
}

KIND_LOOP(p3b_consume_udma, consume_bulk, pairb, K_UDMA, c->n * BULK)
KIND_LOOP(p3b_consume_mempool, consume_bulk, pairb, K_MEMPOOL, c->n * BULK)

static int bulk_consumer(void *arg)
{
	struct pairb *c = arg;

	if (c->kind == K_UDMA) {
		udma_thread_register();
		p3b_consume_udma(c);
		udma_thread_unregister();
	} else {
		p3b_consume_mempool(c);
	}
	return 0;
}

/* the producer's loop; @kind is a constant: one function per kind (p3b_produce_*) */
static PERF_BODY void produce_bulk(struct pairb *c, enum kind kind)
{
	void *v[BULK];
	udma_addr_t h[BULK], sum = 0;

	for (long i = 0; i < c->n; i++) {
		if (kind == K_UDMA) {
			while (udma_pool_alloc_bulk(c->pool, UDMA_GFP_ATOMIC, v, h, BULK) != 0)
				rte_pause(); /* the consumers are behind */
			sum += h[i & (BULK - 1)];
		} else {
			while (rte_mempool_get_bulk(c->mp, v, BULK) != 0)
				rte_pause();
		}
		if (rte_ring_sp_enqueue_bulk(c->ring, v, BULK, NULL) == 0)
			wait_enqueue_bulk(c->ring, v);
	}
	g_sink += sum;
}

KIND_LOOP(p3b_produce_udma, produce_bulk, pairb, K_UDMA, c->n * BULK)
KIND_LOOP(p3b_produce_mempool, produce_bulk, pairb, K_MEMPOOL, c->n * BULK)

static int bulk_producer(void *arg)
{
	struct pairb *c = arg;

	if (c->kind == K_UDMA) {
		if (!c->main_lcore)
			udma_thread_register();
		p3b_produce_udma(c);
		if (!c->main_lcore)
			udma_thread_unregister();
	} else {
		p3b_produce_mempool(c);
	}
	return 0;
}

/* @np pairs at once (pair 0's producer on the main lcore), aggregate ns per object */
static double run_pairs(enum kind kind, struct udma_pool *p, struct rte_mempool *mp, int np,
			long n)
{
	struct pairb pb[MAX_PAIRS];
	unsigned int lc[2 * MAX_PAIRS], nl = 0, w;
	double t0;

	lc[nl++] = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(w)
		if (nl < 2 * MAX_PAIRS)
			lc[nl++] = w;
	if (np > (int)nl / 2)
		np = (int)nl / 2;
	for (int i = 0; i < np; i++)
		pb[i] = (struct pairb){kind, p, mp, pair_ring(i), n, i == 0};
	t0 = now_ns();
	for (int i = 0; i < np; i++) {
		rte_eal_remote_launch(bulk_consumer, &pb[i], lc[2 * i + 1]);
		if (i > 0)
			rte_eal_remote_launch(bulk_producer, &pb[i], lc[2 * i]);
	}
	bulk_producer(&pb[0]);
	rte_eal_mp_wait_lcore();
	return (now_ns() - t0) / ((double)n * BULK * np);
}

static void p3b(struct udma_pool *p, struct rte_mempool *mp)
{
	double u[3], r[3];

	for (int s = 0; s < 3; s++) {
		progress("P3b", s + 1, 3);
		u[s] = run_pairs(K_UDMA, p, mp, 1, iters(200000));
		r[s] = run_pairs(K_MEMPOOL, p, mp, 1, iters(200000));
	}
	row_samples("P3b", "pool bulk 32, 2 lcores: alloc_bulk -> ring -> free_bulk, per object", u,
		    "rte_mempool get/put_bulk 32 (cache 512)", r, 3, "<= 1.0x", 0, 1.0);
}

/* ---- P13: the pair on every lcore, in 5 processes ------------------------- */

#define P13_PROCS 5
#define P13_ENV "UDMA_DMA_PERF_P13_CHILD"

struct p13w {
	struct udma_pool *pool;
	struct rte_mempool *mp;
	long n;
	bool main_lcore;
	double u, r;
};

static int p13_lcore(void *arg)
{
	struct p13w *w = arg;
	double u[3], r[3];

	if (!w->main_lcore)
		udma_thread_register();
	loop_udma(w->pool, 10000); /* warm this lcore's cache */
	loop_mempool(w->mp, 10000);
	for (int s = 0; s < 3; s++) {
		u[s] = loop_udma(w->pool, w->n);
		r[s] = loop_mempool(w->mp, w->n);
	}
	w->u = median(u, 3);
	w->r = median(r, 3);
	if (!w->main_lcore)
		udma_thread_unregister();
	return 0;
}

/* a child: one line per lcore, "P13 <lcore> <udma ns> <rte_mempool ns>" */
static void p13_child(struct udma_pool *p, struct rte_mempool *mp)
{
	struct p13w w = {p, mp, iters(5000000), true, 0, 0};
	unsigned int lc;

	p13_lcore(&w);
	printf("P13 %u %.4f %.4f\n", rte_get_main_lcore(), w.u, w.r);
	RTE_LCORE_FOREACH_WORKER(lc) {
		w.main_lcore = false;
		rte_eal_remote_launch(p13_lcore, &w, lc);
		rte_eal_wait_lcore(lc);
		printf("P13 %u %.4f %.4f\n", lc, w.u, w.r);
	}
	fflush(stdout);
}

bool perf_p13_child(void)
{
	return getenv(P13_ENV) != NULL;
}

/* the parent, before any init: five fresh processes of this binary, each measuring
 * every lcore; the rows compare the worst (process, lcore) with the best */
void perf_p13(void)
{
	double uw = 0, ub = 1e30, rw = 0, rb = 1e30;
	int got = 0;
	char it[32], cmd[600], line[256], exe[512];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len <= 0)
		return;
	exe[len] = '\0';
	snprintf(it, sizeof(it), "%g", g_opts.scale);
	snprintf(cmd, sizeof(cmd), "%s=1 '%s' --rows P13 --iterations %s", P13_ENV, exe, it);
	for (int i = 0; i < P13_PROCS; i++) {
		FILE *f = popen(cmd, "r");

		progress("P13", i + 1, P13_PROCS);
		if (f == NULL)
			return;
		while (fgets(line, sizeof(line), f)) {
			unsigned int lc;
			double u, r;

			if (sscanf(line, "P13 %u %lf %lf", &lc, &u, &r) != 3)
				continue;
			got++;
			uw = u > uw ? u : uw;
			ub = u < ub ? u : ub;
			rw = r > rw ? r : rw;
			rb = r < rb ? r : rb;
		}
		pclose(f);
	}
	if (got == 0) {
		fprintf(stderr, "dma-perf: P13: no child measured anything\n");
		return;
	}
	{
		struct perf_row a = {.id = "P13"}, b = {.id = "P13"};

		a.udma = uw;
		a.base = ub;
		a.ratio = uw / ub;
		snprintf(a.workload, sizeof(a.workload),
			 "pool alloc+free, every lcore x %d processes: worst", P13_PROCS);
		snprintf(a.baseline, sizeof(a.baseline), "the best (process, lcore) (%d)", got);
		snprintf(a.target, sizeof(a.target), "<= 1.1x");
		a.pass = a.ratio <= 1.1;
		row_add(&a);
		b.udma = uw;
		b.base = rw;
		b.ratio = uw / rw;
		snprintf(b.workload, sizeof(b.workload), "%s", a.workload);
		snprintf(b.baseline, sizeof(b.baseline), "rte_mempool's worst (best %.2f ns)", rb);
		snprintf(b.target, sizeof(b.target), "<= 1.0x");
		b.pass = b.ratio <= 1.0;
		row_add(&b);
	}
}

/* ---- P11 (pool): two lcores on independent pools vs one ------------------- */

struct solo {
	struct udma_pool *pool;
	long n;
	double ns;
};

static int solo_run(void *arg)
{
	struct solo *s = arg;

	udma_thread_register();
	s->ns = loop_udma(s->pool, 1000); /* warm the cache */
	s->ns = loop_udma(s->pool, s->n);
	udma_thread_unregister();
	return 0;
}

/* one lcore: the mean of a run on lcore 0 and a run on lcore 1 (VM vCPUs differ) */
static double p11_pool_one(struct udma_pool *p, struct udma_pool *q, long n)
{
	struct solo b = {q, n, 0};
	double t0 = loop_udma(p, n);

	rte_eal_remote_launch(solo_run, &b, 1);
	rte_eal_wait_lcore(1);
	return (t0 + b.ns) / 2;
}

static void p11_pool(struct udma_pool *p)
{
	struct udma_pool *q = udma_pool_create("p11", g_dev, ELT, 0, 0);
	double one[SAMPLES], two[SAMPLES];
	long n = iters(10000000);

	if (q == NULL) {
		fprintf(stderr, "dma-perf: P11 setup failed: udma_pool_create\n");
		exit(1);
	}
	for (int s = 0; s < SAMPLES; s++) {
		struct solo b = {q, n, 0};
		double t0;

		progress("P11", s + 1, SAMPLES);
		one[s] = p11_pool_one(p, q, n);
		t0 = now_ns();
		rte_eal_remote_launch(solo_run, &b, 1);
		loop_udma(p, n);
		rte_eal_wait_lcore(1);
		two[s] = (now_ns() - t0) / (2.0 * (double)n);
	}
	row_speedup("P11", "pool alloc+free, 2 lcores on own pools (ns/op agg)", two,
		    "one lcore (mean of lcore 0 and 1)", one, SAMPLES, ">= 1.8x (ratio = speed-up)",
		    1.8);
	udma_pool_destroy(q);
}

/* ---- P4: bytes per block, everything included ---------------------------- */

/* what udma_dump() says of pool @name's depot (magazines, spill stack), on stderr */
static void print_depot(const char *name)
{
	char *text = NULL, key[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *at;

	if (f == NULL)
		return;
	udma_dump(f);
	fclose(f);
	snprintf(key, sizeof(key), "pool %s depot: ", name);
	at = strstr(text, key);
	if (at)
		fprintf(stderr, "dma-perf: %.*s\n", (int)strcspn(at, "\n"), at);
	free(text);
}

/* bytes held per block (udma_pool_stats' bytes_held / capacity) of a pool of @n
 * blocks of @size B, all in use (bpb[0]) and then all freed (bpb[1]: caches,
 * magazines and the spill stack hold them) */
static void udma_bytes_per_block(size_t size, unsigned int n, double bpb[2])
{
	struct udma_pool *p = udma_pool_create("p4", g_dev, size, 0, 0);
	void **v = malloc(n * sizeof(*v));
	struct udma_pool_stats st;

	bpb[0] = bpb[1] = 0;
	if (p == NULL || v == NULL)
		goto out;
	for (unsigned int i = 0; i < n; i += 1024)
		if (udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v + i, NULL, n - i < 1024 ? n - i : 1024))
			goto out; /* what was allocated goes with the pool */
	udma_pool_stats(p, &st);
	bpb[0] = (double)st.bytes_held / (double)st.capacity;
	for (unsigned int i = 0; i < n; i += 1024)
		udma_pool_free_bulk(p, v + i, NULL, n - i < 1024 ? n - i : 1024);
	udma_pool_stats(p, &st);
	if (st.free == st.capacity)
		bpb[1] = (double)st.bytes_held / (double)st.capacity;
	print_depot("p4");
out:
	udma_pool_destroy(p);
	free(v);
}

static void p4(void)
{
	static const struct { size_t size; unsigned int n; double target; } s[] = {
		{16, 1 << 20, 20}, {64, 1 << 19, 72}, {256, 1 << 17, 0},
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		struct rte_mempool_objsz sz;
		double bpb[2];

		rte_mempool_calc_obj_size((uint32_t)s[i].size, 0, &sz);
		udma_bytes_per_block(s[i].size, s[i].n, bpb);
		for (int k = 0; k < 2; k++) {
			struct perf_row r = {.id = "P4", .bytes = true};

			r.udma = bpb[k];
			r.base = sz.total_size;
			r.ratio = r.udma / r.base;
			snprintf(r.workload, sizeof(r.workload), "bytes per %zu B block, %u blocks, %s",
				 s[i].size, s[i].n, k == 0 ? "all in use" : "every one free");
			snprintf(r.baseline, sizeof(r.baseline), "rte_mempool element (hdr+obj+trl)");
			if (s[i].target > 0) {
				snprintf(r.target, sizeof(r.target), "<= %.0f B", s[i].target);
				r.pass = r.udma > 0 && r.udma <= s[i].target;
			} else {
				snprintf(r.target, sizeof(r.target), "info");
				r.pass = true;
			}
			row_add(&r);
		}
	}
}

/* a pool of @size B blocks, warmed with a few: a pool that cannot allocate would time
 * its failures, which are quick enough to pass any target */
static struct udma_pool *warm_pool(size_t size)
{
	struct udma_pool *p = udma_pool_create("perf", g_dev, size, 0, 0);
	void *warm[256];

	if (p == NULL || udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, warm, NULL, 256) != 0) {
		fprintf(stderr, "dma-perf: pool of %zu B failed\n", size);
		exit(1);
	}
	udma_pool_free_bulk(p, warm, NULL, 256);
	return p;
}

void perf_pool(void)
{
	struct rte_mempool *mp;
	struct udma_pool *p;
	struct mutex_pool m;

	g_dev = udma_device_create("pool", NULL, -1);
	udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64));
	p = warm_pool(ELT);
	mp = rte_mempool_create("perf", NOBJ, ELT, 512, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (mp == NULL) {
		fprintf(stderr, "dma-perf: pool rows setup failed: rte_mempool_create\n");
		exit(1);
	}
	mpool_init(&m, NOBJ);
	if (perf_p13_child()) { /* a P13 child measures its lcores and nothing else */
		p13_child(p, mp);
		goto out;
	}
	if (row_wanted("P1") || row_wanted("P2") || row_wanted("P2b"))
		p1_p2(p, mp, &m);
	if (row_wanted("P3") && g_opts.lcores > 1)
		p3(p, mp, &m);
	if (row_wanted("P4"))
		p4();
	if (row_wanted("P3b") && g_opts.lcores > 1)
		p3b(p, mp);
	if (row_wanted("P11") && g_opts.lcores > 1)
		p11_pool(p);
	if (row_wanted("P1") || row_wanted("P2") || row_wanted("P2b") || row_wanted("P3") ||
	    row_wanted("P3b")) {
		/* steady traffic stays within the depot's magazines: nothing spilled */
		print_depot("perf");
	}
out:
	udma_pool_destroy(p);
	rte_mempool_free(mp);
	free(m.mem);
	udma_device_destroy(g_dev);
}

/* ---- sweeps: block size, burst, lcores ------------------------------------ */

static struct rte_mempool *sweep_mempool(size_t size)
{
	static int seq;
	char name[32];
	struct rte_mempool *mp;

	snprintf(name, sizeof(name), "sweep%d", seq++);
	mp = rte_mempool_create(name, 4096, (unsigned int)size, 512, 0, NULL, NULL, NULL, NULL,
				SOCKET_ID_ANY, 0);
	if (mp == NULL) {
		fprintf(stderr, "dma-perf: sweep rte_mempool of %zu B failed\n", size);
		exit(1);
	}
	return mp;
}

/* SIZE: alloc+free of one block per block size, against rte_mempool of that element size */
static void sweep_pool_size(void)
{
	const struct sweep *sw = &g_opts.sizes;

	for (int i = 0; i < sw->n; i++) {
		size_t size = (size_t)sw->v[i];
		struct udma_pool *p = warm_pool(size);
		struct rte_mempool *mp = sweep_mempool(size);
		double u[SAMPLES], r[SAMPLES];

		for (int s = 0; s < SAMPLES; s++) {
			progress("SIZE pool", i * SAMPLES + s + 1, sw->n * SAMPLES);
			u[s] = loop_udma(p, iters(2000000));
			r[s] = loop_mempool(mp, iters(2000000));
		}
		sweep_add("size", sw->v[i], "pool alloc+free", u, "rte_mempool get+put (cache 512)", r,
			  SAMPLES);
		rte_mempool_free(mp);
		udma_pool_destroy(p);
	}
}

/* BURST: alloc_bulk+free_bulk of n 64 B blocks, per block, against rte_mempool bulk */
static void sweep_pool_burst(struct udma_pool *p, struct rte_mempool *mp)
{
	const struct sweep *sw = &g_opts.burst;

	for (int i = 0; i < sw->n; i++) {
		unsigned int k = (unsigned int)sw->v[i];
		long n = iters(4000000 / (long)k + 1);
		double u[SAMPLES], r[SAMPLES];

		for (int s = 0; s < SAMPLES; s++) {
			progress("BURST pool", i * SAMPLES + s + 1, sw->n * SAMPLES);
			u[s] = loop_udma_bulk(p, k, n);
			r[s] = loop_mempool_bulk(mp, k, n);
		}
		sweep_add("burst", (long)k, "pool alloc_bulk+free_bulk, per block", u,
			  "rte_mempool get/put_bulk, per block", r, SAMPLES);
	}
}

/* LCORES: k lcores at once on one shared pool (each through its own lcore cache) */
struct lw {
	enum kind kind;
	struct udma_pool *pool;
	struct rte_mempool *mp;
	struct mutex_pool *m;
	long n;
};

static int lcore_work(void *arg)
{
	struct lw *w = arg;

	if (w->kind == K_UDMA) {
		udma_thread_register();
		loop_udma(w->pool, w->n);
		udma_thread_unregister();
	} else if (w->kind == K_MEMPOOL) {
		loop_mempool(w->mp, w->n);
	} else {
		loop_mutex(w->m, w->n);
	}
	return 0;
}

/* aggregate ns per operation of @k lcores running @w each */
static double run_lcores(struct lw *w, int k)
{
	double t0 = now_ns();
	unsigned int lc;
	int started = 1;

	RTE_LCORE_FOREACH_WORKER(lc) {
		if (started >= k)
			break;
		rte_eal_remote_launch(lcore_work, w, lc);
		started++;
	}
	if (w->kind == K_UDMA)
		loop_udma(w->pool, w->n);
	else if (w->kind == K_MEMPOOL)
		loop_mempool(w->mp, w->n);
	else
		loop_mutex(w->m, w->n);
	rte_eal_mp_wait_lcore();
	return (now_ns() - t0) / ((double)w->n * k);
}

static void sweep_pool_lcores(struct udma_pool *p, struct rte_mempool *mp, struct mutex_pool *m)
{
	const struct sweep *sw = &g_opts.lcore_list;

	for (int i = 0; i < sw->n; i++) {
		int k = (int)sw->v[i];
		double u[SAMPLES], r[SAMPLES], x[SAMPLES];

		for (int s = 0; s < SAMPLES; s++) {
			struct lw wu = {K_UDMA, p, mp, m, iters(4000000)};
			struct lw wr = {K_MEMPOOL, p, mp, m, iters(4000000)};
			struct lw wx = {K_MUTEX, p, mp, m, iters(1000000)};

			progress("LCORES pool", i * SAMPLES + s + 1, sw->n * SAMPLES);
			u[s] = run_lcores(&wu, k);
			r[s] = run_lcores(&wr, k);
			x[s] = run_lcores(&wx, k);
		}
		sweep_add("lcores", k, "pool alloc+free, shared pool (ns/op agg)", u,
			  "rte_mempool get+put (cache 512)", r, SAMPLES);
		sweep_add("lcores", k, "pool alloc+free, shared pool (ns/op agg)", u,
			  "mutex free-list pool", x, SAMPLES);
		if (k < 2)
			continue;
		for (int s = 0; s < SAMPLES; s++) { /* P12: k/2 bulk pairs (P3b's pattern) */
			progress("LCORES pairs", i * SAMPLES + s + 1, sw->n * SAMPLES);
			u[s] = run_pairs(K_UDMA, p, mp, k / 2, iters(100000));
			r[s] = run_pairs(K_MEMPOOL, p, mp, k / 2, iters(100000));
		}
		sweep_add("lcores", k, "pool bulk 32 pairs, alloc_bulk -> ring -> free_bulk (ns/obj agg)",
			  u, "rte_mempool get/put_bulk 32 pairs", r, SAMPLES);
	}
}

void sweep_pool(void)
{
	struct rte_mempool *mp;
	struct udma_pool *p;
	struct mutex_pool m;

	if (!sweep_wanted("SIZE") && !sweep_wanted("BURST") && !sweep_wanted("LCORES"))
		return;
	g_dev = udma_device_create("sweep", NULL, -1);
	udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64));
	p = warm_pool(ELT);
	mp = sweep_mempool(ELT);
	mpool_init(&m, NOBJ);
	if (sweep_wanted("SIZE"))
		sweep_pool_size();
	if (sweep_wanted("BURST"))
		sweep_pool_burst(p, mp);
	if (sweep_wanted("LCORES"))
		sweep_pool_lcores(p, mp, &m);
	udma_pool_destroy(p);
	rte_mempool_free(mp);
	free(m.mem);
	udma_device_destroy(g_dev);
}
