/* SPDX-License-Identifier: BSD-3-Clause */
/* Pool life cycle: create, destroy, stats, and the registry lcores flush through. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dma_debug.h"
#include "pool_depot.h"
#include "pool_private.h"
#include "pool_slab.h"

#define DEFAULT_CACHE 256
#define MAX_CACHE 1024
#define MAG_MAX 128 /* pointers in a magazine at most */
#define MAX_BLOCK (1UL << 20)

/* The pool subsystem's state; a pool's own state is its struct udma_pool. */
static struct pool_state {
	pthread_mutex_t lock; /* the list */
	struct udma_pool *pools;
	bool debug; /* --dma-debug: every pool checks its blocks */
} g_pool_state = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct udma_pool_cache_pvt pool_no_cache = {.slab = 1}; /* len 0, cap 0: never written */

static bool is_pow2(size_t v)
{
	return v && !(v & (v - 1));
}

/* natural alignment: the largest power of two dividing the size rounded to 8 */
static size_t natural_align(size_t size)
{
	size_t s = (size + 7) & ~(size_t)7;
	size_t a = s & -s;

	return a > UDMA_PAGE_SIZE ? UDMA_PAGE_SIZE : a;
}

static int check_args(const char *name, struct udma_device *dev, size_t size, size_t align,
		      size_t boundary, const struct udma_pool_params *pp)
{
	const char *why = NULL;

	if (!dma_dev_ok(dev, "udma_pool_create"))
		return -EINVAL;
	if (name == NULL || name[0] == '\0' || strlen(name) >= POOL_NAME_LEN)
		why = "name must be 1..31 characters";
	else if (size == 0 || size > MAX_BLOCK)
		why = "size must be 1..1 MiB";
	else if (align != 0 && (!is_pow2(align) || align > MAX_BLOCK))
		why = "align must be 0 or a power of two <= 1 MiB";
	else if (boundary != 0 && (!is_pow2(boundary) || boundary < size))
		why = "boundary must be 0 or a power of two >= size";
	else if (pp && (pp->struct_size < offsetof(struct udma_pool_params, reserved) ||
			pp->cache_size > MAX_CACHE || pp->numa_node < -1 ||
			pp->numa_node >= udma_numa_node_count() || (pp->flags & ~UDMA_POOL_F_DEBUG) ||
			(pp->struct_size >= sizeof(*pp) &&
			 (pp->reserved[0] | pp->reserved[1] | pp->reserved[2] | pp->reserved[3]))))
		why = "bad params (struct_size, cache_size <= 1024, numa_node, flags, reserved)";
	else if (pp && pp->max_blocks && pp->initial_blocks > pp->max_blocks)
		why = "initial_blocks is above max_blocks";
	if (why) {
		udma_log(UDMA_LOG_ERR, "udma_pool_create(): %s: %s (size %zu, align %zu, boundary %zu)",
			 name ? name : "(null)", why, size, align, boundary);
		return -EINVAL;
	}
	return 0;
}

/*
 * The depot's magazine cap (pool_depot.c): the floor is twice the blocks every
 * cache (each lcore's and the shared one) can hold, in magazines, so the steady
 * traffic between caches, the rings between them and the depot never spill; beyond
 * it one magazine per MAG_PER_MAGS magazines' worth of blocks carved, so a pool
 * whose blocks are all free holds at most 1/MAG_PER_MAGS of them in magazines:
 * 576 B per 64 blocks (9 B a block) / 4 = 2.25 B a block (P4's budget beyond the
 * slabs is 6.8 B for 64 B blocks, 2.9 B for 16 B blocks).
 */
#define MAG_PER_MAGS 4
static unsigned int mag_floor(const struct udma_pool *p)
{
	unsigned int caches = (udma_lcore_count() < UDMA_MAX_LCORES ? udma_lcore_count() :
			       UDMA_MAX_LCORES) + 1;

	return 2 * caches * ((p->cache_size + 2 * p->chain - 1) / p->chain);
}

static void pool_setup(struct udma_pool *p, const char *name, struct udma_device *dev,
		       size_t size, size_t align, size_t boundary, const struct udma_pool_params *pp)
{
	memcpy(p->name, name, strlen(name) + 1);
	p->dev = dev;
	p->size = size;
	p->align = align ? align : natural_align(size);
	if (p->align < sizeof(void *))
		p->align = sizeof(void *); /* free blocks hold links the depot updates atomically */
	p->stride = (size + p->align - 1) & ~(p->align - 1);
	if (p->stride < POOL_MIN_STRIDE)
		p->stride = POOL_MIN_STRIDE;
	p->mark_shift = 63u - (unsigned int)__builtin_clzll(p->stride);
	p->boundary_req = boundary;
	p->debug = (pp && (pp->flags & UDMA_POOL_F_DEBUG)) || g_pool_state.debug;
	p->cache_size = pp && pp->cache_size ? pp->cache_size : DEFAULT_CACHE;
	/* magazine size: half the cache, 8 to MAG_MAX pointers (each magazine is a pop
	 * and a push on the depot's shared stacks: fewer, larger ones move blocks
	 * between lcores with fewer line transfers) */
	p->chain = p->cache_size / 2 < 8 ? 8 : p->cache_size / 2;
	if (p->chain > MAG_MAX)
		p->chain = MAG_MAX;
	depot_init(&p->depot, p->chain);
	depot_limit(&p->depot, mag_floor(p), MAG_PER_MAGS * p->chain);
	p->node = pp && pp->numa_node >= 0 ? pp->numa_node : udma_device_numa_node(dev);
	p->max_blocks = pp ? pp->max_blocks : 0;
	slab_layout(p, slab_size_for(p));
}

/* the slab bitmap: one bit per 4 KiB of the memseg reservation at most (NORESERVE) */
static int bits_map(struct udma_pool *p)
{
	p->bits_base = g_mem.va_base;
	p->bits_span = g_mem.va_len;
	p->slab_bits_len = ((g_mem.va_len >> UDMA_PAGE_SHIFT) + 7) / 8;
	p->slab_bits = mmap(NULL, p->slab_bits_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p->slab_bits == MAP_FAILED) {
		p->slab_bits = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* can memory hold @n blocks at all? (the memseg reservation and physical RAM) */
static bool initial_fits(const struct udma_pool *p, unsigned int n)
{
	uint64_t ram = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t limit = g_mem.va_len < ram ? g_mem.va_len : ram;
	uint64_t need = (uint64_t)n * p->stride;

	if (need <= limit)
		return true;
	UDMA_LOG(ERR, "pool %s: initial_blocks %u of %zu bytes need %llu MiB, more than memory "
		 "holds (%llu MiB)", p->name, n, p->stride, (unsigned long long)(need >> 20),
		 (unsigned long long)(limit >> 20));
	return false;
}

static void pool_free_mem(struct udma_pool *p)
{
	if (p->slab_bits)
		munmap(p->slab_bits, p->slab_bits_len);
	for (unsigned int i = 0; i < UDMA_MAX_LCORES; i++)
		pool_cache_free(p->lcache[i]);
	pool_cache_free(p->shared);
	depot_fini(&p->depot);
	p->magic = 0;
	free(p);
}

struct udma_pool *udma_pool_create_params(const char *name, struct udma_device *dev, size_t size,
					  size_t align, size_t boundary,
					  const struct udma_pool_params *pp)
{
	struct udma_pool *p;

	if (check_args(name, dev, size, align, boundary, pp) < 0) {
		errno = EINVAL;
		return NULL;
	}
	p = aligned_alloc(UDMA_CACHE_LINE_SIZE, (sizeof(*p) + UDMA_CACHE_LINE_SIZE - 1) &
			  ~(size_t)(UDMA_CACHE_LINE_SIZE - 1));
	if (p == NULL)
		goto nomem;
	memset(p, 0, sizeof(*p));
	pool_setup(p, name, dev, size, align, boundary, pp);
	p->magic = UDMA_POOL_PVT_MAGIC;
	p->shared = pool_cache_new(p);
	if (p->shared == NULL || bits_map(p) < 0)
		goto nomem;
	/* one cache per lcore slot, now: alloc and free never allocate metadata */
	for (unsigned int i = 0; i < udma_lcore_count() && i < UDMA_MAX_LCORES; i++)
		if ((p->lcache[i] = pool_cache_new(p)) == NULL)
			goto nomem;
	/* the inline paths' view: a debug pool's caches are the empty one (the library
	 * marks and checks each block), as is a slot without a cache */
	for (unsigned int i = 0; i < UDMA_MAX_LCORES; i++)
		p->cache[i] = p->lcache[i] && !p->debug ? p->lcache[i] : &pool_no_cache;
	p->lcore_base = udma_pvt_lcore_slot_base(__atomic_load_n(&udma_pvt_gen, __ATOMIC_RELAXED));
	if (pp && pp->initial_blocks && !initial_fits(p, pp->initial_blocks))
		goto nomem_logged;
	if (pp && pp->initial_blocks && pool_prefill(p, pp->initial_blocks) < 0) {
		slab_release_all(p);
		goto nomem;
	}
	pthread_mutex_lock(&g_pool_state.lock);
	p->next = g_pool_state.pools;
	g_pool_state.pools = p;
	pthread_mutex_unlock(&g_pool_state.lock);
	return p;
nomem:
	UDMA_LOG(ERR, "pool %s: out of memory", name);
nomem_logged:
	if (p)
		pool_free_mem(p);
	errno = ENOMEM;
	return NULL;
}

struct udma_pool *udma_pool_create(const char *name, struct udma_device *dev, size_t size,
				   size_t align, size_t boundary)
{
	return udma_pool_create_params(name, dev, size, align, boundary, NULL);
}

/*
 * Blocks freed into cache @c: every block it handed out, holds now or moved out, less
 * what it took in (moved is flushes less refills). Read while another lcore refills
 * or flushes, len and moved may come from either side of its update: the sum is then
 * off by that transfer, never below 0 (stats are a snapshot, exact when quiet).
 */
static uint64_t cache_frees(const struct udma_pool_cache_pvt *c)
{
	int64_t f = (int64_t)c->allocs + (int64_t)c->len + c->moved;

	return f > 0 ? (uint64_t)f : 0;
}

static uint64_t free_blocks(struct udma_pool *p, struct udma_pool_stats *st)
{
	uint64_t n = p->shared->len;

	for (unsigned int i = 0; i < UDMA_MAX_LCORES; i++) {
		const struct udma_pool_cache_pvt *c = p->lcache[i];

		if (c == NULL)
			continue;
		n += c->len;
		if (st) {
			st->cached[i] = c->len;
			st->allocs += c->allocs;
			st->frees += cache_frees(c);
			st->refills += c->refills;
			st->flushes += c->flushes;
		}
	}
	if (st) {
		st->cached_shared = p->shared->len;
		st->allocs += p->shared->allocs;
		st->frees += cache_frees(p->shared);
		st->refills += p->shared->refills;
		st->flushes += p->shared->flushes;
		st->depot = (uint64_t)atomic_load(&p->depot.blocks);
	}
	return n + (uint64_t)atomic_load(&p->depot.blocks);
}

int udma_pool_stats(struct udma_pool *p, struct udma_pool_stats *st)
{
	size_t bytes = sizeof(*p);

	if (!pool_is(p) || st == NULL) {
		UDMA_LOG(ERR, "invalid pool %p or stats %p", (void *)p, (void *)st);
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	eal_spin_lock(&p->carve_lock);
	st->capacity = p->capacity;
	st->slabs = p->nslabs;
	eal_spin_unlock(&p->carve_lock);
	st->free = free_blocks(p, st);
	st->in_use = st->capacity > st->free ? st->capacity - st->free : 0;
	st->block_stride = p->stride;
	st->slab_size = p->slab_size;
	for (unsigned int i = 0; i < UDMA_MAX_LCORES; i++)
		if (p->lcache[i])
			bytes += pool_cache_bytes(p);
	bytes += pool_cache_bytes(p);
	bytes += atomic_load(&p->depot.mags) * depot_mag_bytes(&p->depot);
	st->bytes_held = bytes + st->slabs * p->slab_size;
	return 0;
}

const char *udma_pool_name(const struct udma_pool *p)
{
	return pool_is(p) ? p->name : NULL;
}

static void unlink_pool(struct udma_pool *p)
{
	pthread_mutex_lock(&g_pool_state.lock);
	for (struct udma_pool **pp = &g_pool_state.pools; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&g_pool_state.lock);
}

/* debug: name every block still in use (walk the block offsets, test their bits) */
static void report_live_blocks(struct udma_pool *p)
{
	for (struct slab *s = p->slabs; s && g_dma_debug.on; s = s->next)
		for (size_t off = p->first_off; off + p->size <= p->slab_size;
		     off = slab_next_off(p, off)) {
			uint8_t *b = (uint8_t *)s + off;

			if (__atomic_load_n(udma_pvt_block_mark(pool_pvt(p), b), __ATOMIC_RELAXED))
				dbg_report(udma_device_name(p->dev), "udma_pool_destroy", NULL,
					   "leak: pool %s block %p (iova %#llx) still in use", p->name,
					   (void *)b, (unsigned long long)udma_pvt_block_iova(pool_pvt(p), b));
		}
}

void udma_pool_destroy(struct udma_pool *p)
{
	uint64_t in_use;

	if (p == NULL)
		return;
	if (!pool_is(p)) {
		UDMA_LOG(ERR, "invalid pool %p", (void *)p);
		return;
	}
	unlink_pool(p);
	in_use = p->capacity - free_blocks(p, NULL);
	if (in_use && p->debug)
		report_live_blocks(p);
	if (in_use) {
		UDMA_LOG(ERR, "pool %s destroyed with %llu block(s) in use: its %llu slab(s) "
			 "(%zu KiB) are kept, a device may still write them", p->name,
			 (unsigned long long)in_use, (unsigned long long)p->nslabs,
			 (size_t)(p->nslabs * p->slab_size) >> 10);
		for (struct slab *s = p->slabs; s; s = s->next)
			heap_set_owner(s, 0);
	} else {
		slab_release_all(p);
	}
	pool_free_mem(p);
}

/* ---- lcores and devices ------------------------------------------------- */

static void pools_flush_lcore(unsigned int lc)
{
	pthread_mutex_lock(&g_pool_state.lock);
	for (struct udma_pool *p = g_pool_state.pools; p; p = p->next)
		if (lc < UDMA_MAX_LCORES && p->lcache[lc])
			pool_cache_flush(p, p->lcache[lc], 0);
	pthread_mutex_unlock(&g_pool_state.lock);
}

/* how many pools @dev still has: udma_device_destroy() refuses while any does */
static unsigned int pools_of_device(const struct udma_device *dev)
{
	unsigned int n = 0;

	pthread_mutex_lock(&g_pool_state.lock);
	for (struct udma_pool *p = g_pool_state.pools; p; p = p->next)
		n += p->dev == dev;
	pthread_mutex_unlock(&g_pool_state.lock);
	return n;
}

static int pools_init(const struct eal_config *cfg)
{
	g_pool_state.debug = cfg->dma_debug;
	return lcore_flush_register(pools_flush_lcore);
}

static void pools_fini(void)
{
	struct udma_pool *p;

	while ((p = g_pool_state.pools) != NULL) {
		UDMA_LOG(WARNING, "pool %s still exists at cleanup: destroying it", p->name);
		udma_pool_destroy(p);
	}
}

/* udma_dump(): a line per pool, and one for its depot (the magazines against their
 * cap, the spill stack: blocks on it now, and ever since create) */
static void pools_dump(FILE *f)
{
	pthread_mutex_lock(&g_pool_state.lock);
	for (struct udma_pool *p = g_pool_state.pools; p; p = p->next) {
		struct udma_pool_stats st;
		uint64_t on_spill;

		udma_pool_stats(p, &st);
		eal_spin_lock(&p->depot.spill_lock);
		on_spill = p->depot.spill_n;
		eal_spin_unlock(&p->depot.spill_lock);
		fprintf(f, "pool %s: %zu B blocks (stride %zu), %llu carved, %llu in use, %llu slab(s), "
			"%llu bytes held (%.1f a block)\n", p->name, p->size, p->stride,
			(unsigned long long)st.capacity, (unsigned long long)st.in_use,
			(unsigned long long)st.slabs, (unsigned long long)st.bytes_held,
			st.capacity ? (double)st.bytes_held / (double)st.capacity : 0.0);
		fprintf(f, "pool %s depot: %llu free blocks, %llu magazines of %u (cap %llu), "
			"%llu blocks on the spill stack, %llu spilled since create\n", p->name,
			(unsigned long long)st.depot, (unsigned long long)atomic_load(&p->depot.mags),
			p->depot.mag_size, (unsigned long long)atomic_load(&p->depot.mag_cap),
			(unsigned long long)on_spill,
			(unsigned long long)atomic_load(&p->depot.spilled));
	}
	pthread_mutex_unlock(&g_pool_state.lock);
}

static const struct eal_hook g_pool_hook = {.name = "pool", .init = pools_init, .fini = pools_fini,
					    .dump = pools_dump};

__attribute__((constructor)) static void pool_register(void)
{
	eal_hook_register(&g_pool_hook, EAL_STAGE_POOL);
	dma_dev_busy_hook_register(pools_of_device);
}
