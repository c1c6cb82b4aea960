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

static double loop_udma(struct udma_pool *p, long n)
{
	udma_addr_t h, s = 0;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *b = udma_pool_alloc(p, UDMA_GFP_ATOMIC, &h);

		udma_pool_free(p, b, h);
		s += h;
	}
	g_sink += s;
	return (now_ns() - t0) / (double)n;
}

static double loop_mempool(struct rte_mempool *mp, long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *b;

		if (rte_mempool_get(mp, &b) == 0)
			rte_mempool_put(mp, b);
	}
	return (now_ns() - t0) / (double)n;
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

static double loop_udma_bulk(struct udma_pool *p, long n)
{
	void *v[32];
	udma_addr_t h[32];
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		udma_pool_alloc_bulk(p, UDMA_GFP_ATOMIC, v, h, 32);
		udma_pool_free_bulk(p, v, h, 32);
	}
	return (now_ns() - t0) / (double)(n * 32);
}

static double loop_mempool_bulk(struct rte_mempool *mp, long n)
{
	void *v[32];
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		if (rte_mempool_get_bulk(mp, v, 32) == 0)
			rte_mempool_put_bulk(mp, v, 32);
	}
	return (now_ns() - t0) / (double)(n * 32);
}

/* a row from the samples (sorted here); passes when the ratio <= @limit (if > 0) */
static void add(const char *id, const char *work, double *u, const char *base, double *b,
		int n, const char *target, double limit)
{
	struct perf_row r = {0};

	r.udma = spread_of(u, n, &r.us);
	r.base = spread_of(b, n, &r.bs);
	r.ratio = r.udma / r.base;

	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.workload, sizeof(r.workload), "%s", work);
	snprintf(r.baseline, sizeof(r.baseline), "%s", base);
	snprintf(r.target, sizeof(r.target), "%s", target);
	r.pass = limit <= 0 || r.ratio <= limit;
	row_add(&r);
}

static void p1_p2(struct udma_pool *p, struct rte_mempool *mp, struct mutex_pool *m)
{
	double u[SAMPLES], r[SAMPLES], x[SAMPLES], j[SAMPLES], ub[SAMPLES], rb[SAMPLES];

	for (int s = 0; s < SAMPLES; s++) {
		progress("P1-P2", s + 1, SAMPLES);
		u[s] = loop_udma(p, iters(20000000));
		r[s] = loop_mempool(mp, iters(20000000));
		x[s] = loop_mutex(m, iters(5000000));
		j[s] = loop_jemalloc(iters(20000000));
		ub[s] = loop_udma_bulk(p, iters(1000000));
		rb[s] = loop_mempool_bulk(mp, iters(1000000));
	}
	if (row_wanted("P1")) {
		add("P1", "pool alloc+free 64 B, warm lcore cache", u,
		    "rte_mempool get+put (cache 512)", r, SAMPLES, "<= 0.5x", 0.5);
		add("P1", "pool alloc+free 64 B, warm lcore cache", u, "mutex free-list pool",
		    x, SAMPLES, "info", 0);
		add("P1", "pool alloc+free 64 B, warm lcore cache", u, "jemalloc mallocx+dallocx 64 B",
		    j, SAMPLES, "info", 0);
	}
	if (row_wanted("P2"))
		add("P2", "pool alloc_bulk+free_bulk 32, per object", ub,
		    "rte_mempool get/put_bulk 32", rb, SAMPLES, "<= 1.0x", 1.0);
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

static int consumer(void *arg)
{
	struct pc *c = arg;
	void *b;

	if (c->kind == K_UDMA)
		udma_thread_register();
	for (long i = 0; i < c->n; i++) {
		while (rte_ring_sc_dequeue(c->ring, &b) != 0)
			rte_pause();
		if (c->kind == K_UDMA)
			udma_pool_free(c->pool, b, udma_virt2iova(b));
		else if (c->kind == K_MEMPOOL)
			rte_mempool_put(c->mp, b);
		else
			mpool_put(c->m, b);
	}
	if (c->kind == K_UDMA)
		udma_thread_unregister();
	return 0;
}

static void *produce_one(struct pc *c)
{
	udma_addr_t h;
	void *b = NULL;

	while (b == NULL) {
		if (c->kind == K_UDMA)
			b = udma_pool_alloc(c->pool, UDMA_GFP_ATOMIC, &h);
		else if (c->kind == K_MEMPOOL)
			rte_mempool_get(c->mp, &b);
		else
			b = mpool_get(c->m);
		if (b == NULL)
			rte_pause(); /* the consumer is behind: wait for blocks to come back */
	}
	return b;
}

static double run_pc(struct pc *c)
{
	double t0 = now_ns();

	rte_eal_remote_launch(consumer, c, 1);
	for (long i = 0; i < c->n; i++) {
		void *b = produce_one(c);

		while (rte_ring_sp_enqueue(c->ring, b) != 0)
			rte_pause();
	}
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
	add("P3", "pool, 2 lcores: producer allocs, consumer frees", u,
	    "rte_mempool (cache 512)", r, 3, "<= 1.0x (>= 1x ops/s)", 1.0);
	add("P3", "pool, 2 lcores: producer allocs, consumer frees", u,
	    "mutex free-list pool", x, 3, "<= 0.2x (>= 5x ops/s)", 0.2);
	rte_ring_free(ring);
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
	double one[SAMPLES], two[SAMPLES], ratio;
	struct perf_row r = {.id = "P11"};
	long n = iters(10000000);

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
	r.udma = spread_of(two, SAMPLES, &r.us);
	r.base = spread_of(one, SAMPLES, &r.bs);
	ratio = r.base / r.udma;
	r.ratio = ratio;
	snprintf(r.workload, sizeof(r.workload), "pool alloc+free, 2 lcores on own pools (ns/op agg)");
	snprintf(r.baseline, sizeof(r.baseline), "one lcore (mean of lcore 0 and 1)");
	snprintf(r.target, sizeof(r.target), ">= 1.8x (ratio = speed-up)");
	r.pass = ratio >= 1.8;
	row_add(&r);
	udma_pool_destroy(q);
}

/* ---- P4: bytes per block, everything included ---------------------------- */

static double udma_bytes_per_block(size_t size, unsigned int n)
{
	struct udma_pool *p = udma_pool_create("p4", g_dev, size, 0, 0);
	void **v = malloc(n * sizeof(*v));
	struct udma_pool_stats st;
	double bpb = 0;

	if (p == NULL || v == NULL)
		return 0;
	for (unsigned int i = 0; i < n; i += 1024)
		if (udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, v + i, NULL, n - i < 1024 ? n - i : 1024))
			goto out;
	udma_pool_stats(p, &st);
	bpb = (double)st.bytes_held / (double)st.capacity;
	for (unsigned int i = 0; i < n; i += 1024)
		udma_pool_free_bulk(p, v + i, NULL, n - i < 1024 ? n - i : 1024);
out:
	udma_pool_destroy(p);
	free(v);
	return bpb;
}

static void p4(void)
{
	static const struct { size_t size; unsigned int n; double target; } s[] = {
		{16, 1 << 20, 20}, {64, 1 << 19, 72}, {256, 1 << 17, 0},
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		struct rte_mempool_objsz sz;
		struct perf_row r = {.id = "P4", .bytes = true};

		rte_mempool_calc_obj_size((uint32_t)s[i].size, 0, &sz);
		r.udma = udma_bytes_per_block(s[i].size, s[i].n);
		r.base = sz.total_size;
		r.ratio = r.udma / r.base;
		snprintf(r.workload, sizeof(r.workload), "bytes per %zu B block, %u blocks, all included",
			 s[i].size, s[i].n);
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

void perf_pool(void)
{
	struct rte_mempool *mp;
	struct udma_pool *p;
	struct mutex_pool m;
	void *warm[512];

	g_dev = udma_device_create("pool", NULL, -1);
	udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64));
	p = udma_pool_create("perf", g_dev, ELT, 0, 0);
	mp = rte_mempool_create("perf", NOBJ, ELT, 512, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (p == NULL || mp == NULL) {
		fprintf(stderr, "dma-perf: pool setup failed\n");
		exit(1);
	}
	mpool_init(&m, NOBJ);
	/* warm both caches with a few blocks */
	udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, warm, NULL, 256);
	udma_pool_free_bulk(p, warm, NULL, 256);
	if (row_wanted("P1") || row_wanted("P2"))
		p1_p2(p, mp, &m);
	if (row_wanted("P3") && g_opts.lcores > 1)
		p3(p, mp, &m);
	if (row_wanted("P4"))
		p4();
	if (row_wanted("P11") && g_opts.lcores > 1)
		p11_pool(p);
	udma_pool_destroy(p);
	rte_mempool_free(mp);
	free(m.mem);
	udma_device_destroy(g_dev);
}

/* ---- sweeps: block size, burst, lcores ------------------------------------ */

static double loop_udma_bulk_n(struct udma_pool *p, unsigned int k, long n)
{
	void *v[256];
	udma_addr_t h[256];
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		if (udma_pool_alloc_bulk(p, UDMA_GFP_ATOMIC, v, h, k) != 0)
			exit(1);
		udma_pool_free_bulk(p, v, h, k);
	}
	return (now_ns() - t0) / (double)(n * k);
}

static double loop_mempool_bulk_n(struct rte_mempool *mp, unsigned int k, long n)
{
	void *v[256];
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		if (rte_mempool_get_bulk(mp, v, k) == 0)
			rte_mempool_put_bulk(mp, v, k);
	}
	return (now_ns() - t0) / (double)(n * k);
}

static struct udma_pool *warm_pool(size_t size)
{
	struct udma_pool *p = udma_pool_create("sweep", g_dev, size, 0, 0);
	void *warm[256];

	if (p == NULL || udma_pool_alloc_bulk(p, UDMA_GFP_KERNEL, warm, NULL, 256) != 0) {
		fprintf(stderr, "dma-perf: sweep pool of %zu B failed\n", size);
		exit(1);
	}
	udma_pool_free_bulk(p, warm, NULL, 256);
	return p;
}

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
			u[s] = loop_udma_bulk_n(p, k, n);
			r[s] = loop_mempool_bulk_n(mp, k, n);
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
		double u[SAMPLES], r[SAMPLES], x[SAMPLES], u2[SAMPLES];

		for (int s = 0; s < SAMPLES; s++) {
			struct lw wu = {K_UDMA, p, mp, m, iters(4000000)};
			struct lw wr = {K_MEMPOOL, p, mp, m, iters(4000000)};
			struct lw wx = {K_MUTEX, p, mp, m, iters(1000000)};

			progress("LCORES pool", i * SAMPLES + s + 1, sw->n * SAMPLES);
			u[s] = run_lcores(&wu, k);
			r[s] = run_lcores(&wr, k);
			x[s] = run_lcores(&wx, k);
		}
		memcpy(u2, u, sizeof(u));
		sweep_add("lcores", k, "pool alloc+free, shared pool (ns/op agg)", u,
			  "rte_mempool get+put (cache 512)", r, SAMPLES);
		sweep_add("lcores", k, "pool alloc+free, shared pool (ns/op agg)", u2,
			  "mutex free-list pool", x, SAMPLES);
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
