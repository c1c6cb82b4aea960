/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness: structured random API sequences against the sim device model.
 *
 * Input: byte 0 picks the setup (bits 0-1: sim, va, pa, sim with --swiotlb=force;
 * bit 2: --dma-debug; bit 3: --swiotlb=off outside force), then operations follow,
 * each an opcode byte and its parameters (fz_u8/fz_u16 from the front; missing
 * bytes read as 0), at most MAX_OPS. Every input is a fresh udma_eal_init()
 * (hugepages, -m 8, a 2 MiB bounce region: about 0.4 ms) with three devices of
 * different masks and limits, and ends with everything freed and udma_eal_cleanup().
 *
 * Operations: coherent alloc/free/device access, pool create/alloc/zalloc/free/
 * bulk/destroy, map/unmap single, page and sg from memseg memory, foreign (bounced)
 * memory, registered memory and the memseg tail, every sync form, mask changes,
 * registration, and invalid calls of each kind (which must fail and leave every
 * live object intact). Checked on every step: bytes (what the CPU wrote the device
 * reads at the returned IOVA, what the device wrote the CPU reads after the right
 * sync or unmap), addresses (under the mask, aligned, within the segment limits,
 * no two live blocks overlapping) and conservation (device and pool counters equal
 * the harness's own count; at the end nothing live, the bounce region empty, every
 * heap page free again, no file descriptor left; LeakSanitizer checks the heap).
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <udma.h>

#include "eal_private.h"
#include "fuzz_common.h"

#define NDEV 3
#define MAX_OPS 64
#define MAX_COH 16
#define MAX_POOLS 3
#define MAX_BLOCKS 96
#define MAX_MAPS 16
#define MAX_SGE 4
#define NSRC 4
#define NSLOT 16
#define SLOT (64u << 10)
#define SRC_LEN (NSLOT * SLOT)

enum { M_SIM, M_VA, M_PA, M_FORCE };
enum { SRC_MEMSEG, SRC_FOREIGN, SRC_REG, SRC_TAIL };
enum { K_SINGLE, K_PAGE, K_SG };

struct coh {
	int dev;
	size_t size;
	uint8_t *cpu;
	udma_addr_t h;
	unsigned int seed;
};

struct pool {
	struct udma_pool *p;
	int dev;
	size_t size, align, boundary;
	unsigned int max_blocks;
	int nblocks;
};

struct block {
	int pool;
	uint8_t *va;
	udma_addr_t h;
	unsigned int seed;
};

struct sge {
	int src, slot;
	size_t off, len;
};

struct map {
	int kind, dev, dir, nsg, nents;
	struct sge e[MAX_SGE];
	udma_addr_t iova;
	struct udma_sg sg[MAX_SGE];
	int cpu_owned;         /* synced for the CPU last (the device must not write now) */
	unsigned int dev_seed; /* the device wrote this pattern over the whole mapping */
	int same;              /* the device's view equals the CPU's (since the map) */
	int bounced;           /* some entry went through a bounce slot (swiotlb stats) */
};

static struct {
	int mode;
	struct udma_device *dev[NDEV];
	uint8_t *src[NSRC];
	size_t src_len[NSRC];
	uint16_t busy[NSRC]; /* slots under a live mapping */
	udma_addr_t arena_h;
	int reg_ok;
	struct coh coh[MAX_COH];
	int ncoh;
	struct pool pool[MAX_POOLS];
	struct block blk[MAX_BLOCKS];
	int nblk;
	struct map map[MAX_MAPS];
	int nmap;
	unsigned int seed;
	size_t heap_free0, total0;
} S;

static uint8_t *g_foreign, *g_reg;
static FILE *g_null;
static int g_pa_ok, g_trace; /* UDMA_FUZZ_TRACE=1: print each step (to read a crash) */
static unsigned long g_inputs, g_ops, g_ok_ops, g_bad_ops;
static uint8_t g_buf[MAX_SGE * SLOT + 4096], g_buf2[MAX_SGE * SLOT + 4096];

static void report(void)
{
	fprintf(stderr, "fuzz_api: %lu inputs, %lu operations (%lu succeeded, %lu invalid calls refused)\n",
		g_inputs, g_ops, g_ok_ops, g_bad_ops);
	fz_known_report();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	int free_pages = 0;

	(void)argc;
	(void)argv;
	if (f) {
		if (fscanf(f, "%d", &free_pages) != 1)
			free_pages = 0;
		fclose(f);
	}
	g_pa_ok = geteuid() == 0 && free_pages >= 64;
	g_trace = getenv("UDMA_FUZZ_TRACE") != NULL;
	g_null = fopen("/dev/null", "w");
	udma_log_set_stream(g_null);
	g_foreign = aligned_alloc(4096, SRC_LEN);
	g_reg = mmap(NULL, SRC_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g_foreign == NULL || g_reg == MAP_FAILED)
		abort();
	atexit(report);
	return 0;
}

/*
 * Patterns: byte i of pattern @seed is tape[seed's start + i % 64 KiB], so fills and
 * checks are memcpy/memcmp (fast under ASan, not traced for coverage).
 */
#define TAPE (64u << 10)
static uint8_t g_tape[2 * TAPE], g_zero[TAPE];

static const uint8_t *tape_at(unsigned int seed, size_t i)
{
	if (g_tape[1] == 0 && g_tape[2] == 0) {
		uint32_t x = 2463534242u;

		for (size_t k = 0; k < sizeof(g_tape); k++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			g_tape[k] = (uint8_t)x;
		}
	}
	return g_tape + (seed * 4099u + i) % TAPE;
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n;) {
		size_t k = n - i < TAPE ? n - i : TAPE;

		memcpy(p + i, tape_at(seed, i), k);
		i += k;
	}
}

static size_t first_bad(const uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n;) {
		size_t k = n - i < TAPE ? n - i : TAPE;
		const uint8_t *t = tape_at(seed, i);

		if (memcmp(p + i, t, k) != 0) {
			for (size_t j = 0;; j++)
				if (p[i + j] != t[j])
					return i + j;
		}
		i += k;
	}
	return n;
}

static bool zeroed(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += TAPE)
		if (memcmp(p + i, g_zero, n - i < TAPE ? n - i : TAPE) != 0)
			return false;
	return true;
}

#define CHECK_PATTERN(p, n, seed, ...)                                                   \
	do {                                                                             \
		size_t bad_ = first_bad((p), (n), (seed));                               \
		FZ_CHECK(bad_ == (n), "byte %zu of %zu wrong (mode %d): " __VA_ARGS__, bad_, \
			 (size_t)(n), S.mode);                                           \
	} while (0)

static uint64_t dev_mask(int d)
{
	return udma_get_mask(S.dev[d]);
}

static uint64_t dev_cmask(int d)
{
	return udma_get_coherent_mask(S.dev[d]);
}

/* ---- per-step checks ------------------------------------------------------ */

static void check_counters(void)
{
	for (int d = 0; d < NDEV; d++) {
		struct udma_device_stats st;
		uint64_t n = d == 0; /* the memseg arena */

		for (int i = 0; i < S.ncoh; i++)
			n += S.coh[i].dev == d;
		FZ_CHECK(udma_device_stats(S.dev[d], &st) == 0, "device stats");
		FZ_CHECK(st.coherent_allocs == n, "device %d holds %llu coherent allocations, expected %llu",
			 d, (unsigned long long)st.coherent_allocs, (unsigned long long)n);
	}
	for (int p = 0; p < MAX_POOLS; p++) {
		struct udma_pool_stats st;

		if (S.pool[p].p == NULL)
			continue;
		FZ_CHECK(udma_pool_stats(S.pool[p].p, &st) == 0, "pool stats");
		FZ_CHECK(st.in_use == (uint64_t)S.pool[p].nblocks,
			 "pool %d: %llu in use, %d handed out", p, (unsigned long long)st.in_use,
			 S.pool[p].nblocks);
		FZ_CHECK(st.free + st.in_use == st.capacity, "pool %d: free %llu + in use %llu != capacity %llu",
			 p, (unsigned long long)st.free, (unsigned long long)st.in_use,
			 (unsigned long long)st.capacity);
		FZ_CHECK(S.pool[p].max_blocks == 0 || st.capacity <= S.pool[p].max_blocks,
			 "pool %d: capacity %llu above max_blocks %u", p,
			 (unsigned long long)st.capacity, S.pool[p].max_blocks);
	}
	if (S.nmap == 0) {
		struct udma_swiotlb_stats st;

		FZ_CHECK(udma_swiotlb_stats(&st) == 0 && st.used == 0,
			 "no live mapping but %llu bounce bytes used", (unsigned long long)st.used);
	}
}

/* the device reads what the CPU holds */
static void check_dev_reads(int d, udma_addr_t iova, const uint8_t *cpu, size_t n, const char *what)
{
	if (n > sizeof(g_buf))
		n = sizeof(g_buf);
	FZ_CHECK(udma_sim_dma_read(S.dev[d], iova, g_buf, n) == 0, "%s: device read at %#llx faulted",
		 what, (unsigned long long)iova);
	FZ_CHECK(memcmp(g_buf, cpu, n) == 0, "%s: device reads other bytes than the CPU wrote", what);
}

/* a live object, chosen by the step number, still holds its bytes */
static void check_one_live(unsigned int step)
{
	if (S.ncoh && step % 2 == 0) {
		struct coh *c = &S.coh[step / 2 % (unsigned)S.ncoh];
		size_t n = c->size < 256 ? c->size : 256;

		CHECK_PATTERN(c->cpu, n, c->seed, "coherent allocation lost its bytes");
		check_dev_reads(c->dev, c->h, c->cpu, n, "live coherent");
	} else if (S.nblk) {
		struct block *b = &S.blk[step / 2 % (unsigned)S.nblk];
		size_t n = S.pool[b->pool].size;

		CHECK_PATTERN(b->va, n, b->seed, "pool block lost its bytes");
		check_dev_reads(S.pool[b->pool].dev, b->h, b->va, n, "live pool block");
	}
}

/* ---- coherent memory ------------------------------------------------------ */

static void op_coh_alloc(struct fz_in *in)
{
	int d = fz_u8(in) % NDEV;
	uint8_t sel = fz_u8(in);
	size_t size = (sel & 7) == 7 ? ((size_t)(sel >> 3) + 1) << 16 : (size_t)fz_u16(in) + 1;
	udma_gfp_t gfp = (sel & 8) ? UDMA_GFP_ATOMIC : UDMA_GFP_KERNEL;
	udma_addr_t h = 0;
	uint8_t *p;
	struct coh *c;

	if (S.ncoh == MAX_COH)
		return;
	p = udma_alloc_coherent(S.dev[d], size, &h, gfp);
	if (p == NULL) {
		FZ_CHECK(errno == ENOMEM || errno == EINVAL, "alloc_coherent errno %d", errno);
		return;
	}
	g_ok_ops++;
	FZ_CHECK(((uintptr_t)p & 4095) == 0 && (h & 4095) == 0, "coherent memory not page aligned");
	FZ_CHECK(h + size - 1 >= h && h + size - 1 <= dev_cmask(d),
		 "coherent [%#llx, +%zu) above the coherent mask %#llx", (unsigned long long)h, size,
		 (unsigned long long)dev_cmask(d));
	FZ_CHECK(zeroed(p, size), "coherent memory not zeroed");
	c = &S.coh[S.ncoh++];
	*c = (struct coh){.dev = d, .size = size, .cpu = p, .h = h, .seed = ++S.seed};
	fill(p, size, c->seed);
	check_dev_reads(d, h, p, size, "new coherent");
	if (size > 4096)
		check_dev_reads(d, h + size - 4096, p + size - 4096, 4096, "coherent tail");
}

static void coh_free(int i)
{
	struct coh *c = &S.coh[i];

	CHECK_PATTERN(c->cpu, c->size, c->seed, "coherent allocation lost its bytes before free");
	udma_free_coherent(S.dev[c->dev], c->size, c->cpu, c->h);
	S.coh[i] = S.coh[--S.ncoh];
}

static void op_coh_free(struct fz_in *in)
{
	int i = fz_u8(in);

	if (S.ncoh == 0)
		return;
	coh_free(i % S.ncoh);
	g_ok_ops++;
}

static void op_coh_free_bad(struct fz_in *in)
{
	uint8_t v = fz_u8(in);
	struct coh *c;

	if (S.ncoh == 0)
		return;
	c = &S.coh[fz_u8(in) % S.ncoh];
	switch (v % 5) {
	case 0: udma_free_coherent(S.dev[c->dev], c->size + 8192, c->cpu, c->h); break;
	case 1: udma_free_coherent(S.dev[c->dev], c->size, c->cpu, c->h + 4096); break;
	case 2: udma_free_coherent(S.dev[(c->dev + 1) % NDEV], c->size, c->cpu, c->h); break;
	case 3: udma_free_coherent(S.dev[c->dev], c->size, c->cpu + 64, c->h + 64); break;
	default: udma_free_coherent(NULL, c->size, c->cpu, c->h); break;
	}
	g_bad_ops++;
	/* the allocation is untouched: counters (checked after the step) and bytes */
	CHECK_PATTERN(c->cpu, c->size, c->seed, "a refused free_coherent changed the memory");
	check_dev_reads(c->dev, c->h, c->cpu, c->size < 4096 ? c->size : 4096, "after a bad free");
}

static void op_coh_rw(struct fz_in *in)
{
	struct coh *c;
	size_t off, len;
	unsigned int s;

	if (S.ncoh == 0)
		return;
	c = &S.coh[fz_u8(in) % S.ncoh];
	off = fz_u16(in) % c->size;
	len = fz_u16(in) % (c->size - off) + 1;
	if (len > SLOT)
		len = SLOT;
	s = ++S.seed;
	fill(g_buf2, len, s);
	FZ_CHECK(udma_sim_dma_write(S.dev[c->dev], c->h + off, g_buf2, len) == 0,
		 "device write to coherent memory faulted");
	CHECK_PATTERN(c->cpu + off, len, s, "the CPU does not see the device's write");
	fill(c->cpu, c->size, c->seed); /* and back, as the CPU writes it */
	check_dev_reads(c->dev, c->h + off, c->cpu + off, len, "coherent");
	g_ok_ops++;
}

/* ---- pools ---------------------------------------------------------------- */

static void op_pool_create(struct fz_in *in)
{
	int i = fz_u8(in) % MAX_POOLS, d = fz_u8(in) % NDEV;
	uint8_t a = fz_u8(in), b = fz_u8(in), f = fz_u8(in);
	size_t size = fz_u16(in) % 4200, align, boundary;
	struct udma_pool_params pp = {.struct_size = sizeof(pp)};
	struct pool *p = &S.pool[i];
	bool valid;
	char name[16];

	if (p->p != NULL)
		return;
	align = (a & 15) == 15 ? 3 * (size_t)(a >> 4) : (a & 15) > 12 ? 0 : (size_t)1 << (a & 15);
	boundary = b & 1 ? (size_t)1 << (b >> 1 & 31) : 0;
	pp.initial_blocks = f & 1 ? fz_u8(in) % 64 : 0;
	pp.max_blocks = f & 2 ? fz_u8(in) % 96 : 0;
	pp.flags = f & 4 ? UDMA_POOL_F_DEBUG : 0;
	pp.cache_size = f & 8 ? fz_u8(in) * 5u : 0;
	pp.numa_node = -1;
	valid = size > 0 && (align == 0 || (align & (align - 1)) == 0) &&
		(boundary == 0 || boundary >= size) && ((f & 16) || pp.cache_size <= 1024);
	if (pp.max_blocks && pp.initial_blocks > pp.max_blocks)
		pp.initial_blocks = pp.max_blocks;
	snprintf(name, sizeof(name), "fzpool%d", i);
	p->p = udma_pool_create_params(name, S.dev[d], size, align, boundary,
				       f & 16 ? NULL : &pp);
	if (!valid) {
		FZ_CHECK(p->p == NULL, "pool created with size %zu align %zu boundary %zu", size,
			 align, boundary);
		g_bad_ops++;
		return;
	}
	if (p->p == NULL) {
		FZ_CHECK(errno == ENOMEM || errno == EINVAL, "pool_create errno %d", errno);
		return;
	}
	g_ok_ops++;
	*p = (struct pool){.p = p->p, .dev = d, .size = size, .align = align,
			   .boundary = boundary, .max_blocks = f & 16 ? 0 : pp.max_blocks};
}

static void block_check_new(int pi, uint8_t *va, udma_addr_t h, bool zero)
{
	struct pool *p = &S.pool[pi];
	struct block *b;

	FZ_CHECK(p->align == 0 || ((uintptr_t)va % p->align == 0 && h % p->align == 0),
		 "block %p/%#llx not aligned to %zu", (void *)va, (unsigned long long)h, p->align);
	FZ_CHECK(p->boundary == 0 ||
		 ((uintptr_t)va / p->boundary == ((uintptr_t)va + p->size - 1) / p->boundary &&
		  h / p->boundary == (h + p->size - 1) / p->boundary),
		 "block crosses a %zu boundary", p->boundary);
	FZ_CHECK(h + p->size - 1 <= dev_cmask(p->dev), "block above the coherent mask");
	if (zero)
		FZ_CHECK(zeroed(va, p->size), "zalloc block not zero");
	for (int i = 0; i < S.nblk; i++) {
		struct block *o = &S.blk[i];
		size_t osz = S.pool[o->pool].size;

		FZ_CHECK(va + p->size <= o->va || o->va + osz <= va,
			 "block %p of pool %d overlaps live block %p of pool %d", (void *)va, pi,
			 (void *)o->va, o->pool);
	}
	for (int i = 0; i < S.ncoh; i++)
		FZ_CHECK(va + p->size <= S.coh[i].cpu || S.coh[i].cpu + S.coh[i].size <= va,
			 "pool block inside a live coherent allocation");
	b = &S.blk[S.nblk++];
	*b = (struct block){.pool = pi, .va = va, .h = h, .seed = ++S.seed};
	p->nblocks++;
	fill(va, p->size, b->seed);
	check_dev_reads(p->dev, h, va, p->size, "new pool block");
}

static int pick_pool(struct fz_in *in)
{
	int i = fz_u8(in) % MAX_POOLS;

	for (int k = 0; k < MAX_POOLS; k++)
		if (S.pool[(i + k) % MAX_POOLS].p)
			return (i + k) % MAX_POOLS;
	return -1;
}

static void op_pool_alloc(struct fz_in *in)
{
	int pi = pick_pool(in);
	uint8_t f = fz_u8(in);
	udma_gfp_t gfp = f & 1 ? UDMA_GFP_ATOMIC : UDMA_GFP_KERNEL;
	udma_addr_t h = 0;
	uint8_t *va;

	if (pi < 0 || S.nblk == MAX_BLOCKS || S.pool[pi].size == 0)
		return;
	va = f & 2 ? udma_pool_zalloc(S.pool[pi].p, gfp, &h)
		   : f & 4 ? udma_pool_alloc_slow(S.pool[pi].p, gfp, &h)
			   : udma_pool_alloc(S.pool[pi].p, gfp, &h);
	if (va == NULL) {
		FZ_CHECK(errno == ENOMEM, "pool_alloc errno %d", errno);
		return;
	}
	g_ok_ops++;
	block_check_new(pi, va, h, f & 2);
}

static void op_pool_bulk_alloc(struct fz_in *in)
{
	int pi = pick_pool(in);
	unsigned int n = fz_u8(in) % 16 + 1;
	void *v[16];
	udma_addr_t h[16];

	if (pi < 0 || S.nblk + (int)n > MAX_BLOCKS)
		return;
	if (udma_pool_alloc_bulk(S.pool[pi].p, UDMA_GFP_KERNEL, v, h, n) != 0)
		return;
	g_ok_ops++;
	for (unsigned int i = 0; i < n; i++)
		block_check_new(pi, v[i], h[i], false);
}

static void blk_remove(int i)
{
	S.pool[S.blk[i].pool].nblocks--;
	S.blk[i] = S.blk[--S.nblk];
}

static void op_pool_free(struct fz_in *in)
{
	struct block *b;
	int i;

	if (S.nblk == 0)
		return;
	i = fz_u8(in) % S.nblk;
	b = &S.blk[i];
	CHECK_PATTERN(b->va, S.pool[b->pool].size, b->seed, "pool block lost its bytes before free");
	if (fz_u8(in) & 1)
		udma_pool_free_slow(S.pool[b->pool].p, b->va, b->h);
	else
		udma_pool_free(S.pool[b->pool].p, b->va, b->h);
	blk_remove(i);
	g_ok_ops++;
}

static void op_pool_bulk_free(struct fz_in *in)
{
	int pi = pick_pool(in);
	unsigned int n = fz_u8(in) % 16 + 1, k = 0;
	void *v[16];
	udma_addr_t h[16];

	if (pi < 0)
		return;
	for (int i = S.nblk - 1; i >= 0 && k < n; i--)
		if (S.blk[i].pool == pi) {
			v[k] = S.blk[i].va;
			h[k++] = S.blk[i].h;
			blk_remove(i);
		}
	if (k == 0)
		return;
	udma_pool_free_bulk(S.pool[pi].p, v, n & 1 ? h : NULL, k);
	g_ok_ops++;
}

static void op_pool_free_bad(struct fz_in *in)
{
	uint8_t v = fz_u8(in);
	struct block *b;
	struct pool *p;
	uint8_t *va;
	udma_addr_t h;

	if (S.nblk == 0)
		return;
	b = &S.blk[fz_u8(in) % S.nblk];
	p = &S.pool[b->pool];
	switch (v % 6) {
	case 0: udma_pool_free(p->p, NULL, 0); break;
	case 1: udma_pool_free(p->p, g_foreign, 0); break;
	case 2:
		if (p->size > 1)
			udma_pool_free(p->p, b->va + 1, b->h + 1); /* inside a live block */
		break;
	case 3: udma_pool_free(p->p, b->va, b->h ^ 4096); break; /* wrong handle */
	case 4: udma_pool_free(NULL, b->va, b->h); break;
	default:
		/* double free: free a block, then again */
		va = b->va;
		h = b->h;
		udma_pool_free(p->p, va, h);
		blk_remove((int)(b - S.blk));
		udma_pool_free(p->p, va, h);
		break;
	}
	g_bad_ops++;
}

static void pool_destroy(int pi)
{
	for (int i = S.nblk - 1; i >= 0; i--)
		if (S.blk[i].pool == pi) {
			udma_pool_free(S.pool[pi].p, S.blk[i].va, S.blk[i].h);
			blk_remove(i);
		}
	udma_pool_destroy(S.pool[pi].p);
	S.pool[pi].p = NULL;
}

static void op_pool_destroy(struct fz_in *in)
{
	int pi = pick_pool(in);

	if (pi < 0)
		return;
	pool_destroy(pi);
	g_ok_ops++;
}

/* ---- streaming mappings --------------------------------------------------- */

static uint8_t *sge_cpu(const struct sge *e)
{
	return S.src[e->src] + (size_t)e->slot * SLOT + e->off;
}

/* a free slot of a source; -1 when none */
static int take_slot(int src, int want)
{
	for (int k = 0; k < NSLOT; k++) {
		int s = (want + k) % NSLOT;

		if (!(S.busy[src] & (1u << s)) && (size_t)(s + 1) * SLOT <= S.src_len[src]) {
			S.busy[src] |= (uint16_t)(1u << s);
			return s;
		}
	}
	return -1;
}

static void put_slot(int src, int slot)
{
	S.busy[src] &= (uint16_t)~(1u << slot);
}

static bool read_ok(int dir)
{
	return dir == UDMA_TO_DEVICE || dir == UDMA_BIDIRECTIONAL;
}

static bool write_ok(int dir)
{
	return dir == UDMA_FROM_DEVICE || dir == UDMA_BIDIRECTIONAL;
}

/* the memseg tail: the last bytes of the first populated list (read only: not ours) */
static uint8_t *memseg_tail(size_t *len)
{
	for (unsigned int i = 0; i < g_mem.nr_lists; i++) {
		struct memseg_list *l = &g_mem.lists[i];
		size_t used = atomic_load(&l->used);

		if (l->in_use && used >= SLOT) {
			*len = SLOT;
			return (uint8_t *)l->va_base + used - SLOT;
		}
	}
	*len = 0;
	return NULL;
}

/* a segment as long as one entry may be that entry alone: limits bind merges only */
static bool entry_len(const struct map *m, size_t len)
{
	for (int i = 0; i < m->nsg; i++)
		if (m->e[i].len == len)
			return true;
	return false;
}

/* the IOVA range of a mapped segment is under the device's mask */
static void check_seg(int d, udma_addr_t iova, size_t len)
{
	FZ_CHECK(iova != UDMA_MAPPING_ERROR && iova + len - 1 >= iova &&
		 iova + len - 1 <= dev_mask(d),
		 "mapping [%#llx, +%zu) above the mask %#llx of device %d", (unsigned long long)iova,
		 len, (unsigned long long)dev_mask(d), d);
}

static void op_map(struct fz_in *in, int kind)
{
	int d = fz_u8(in) % NDEV, dir = fz_u8(in) % 3;
	uint8_t nsg = kind == K_SG ? fz_u8(in) % MAX_SGE + 1 : 1;
	struct udma_swiotlb_stats tlb0, tlb1;
	struct map *m;
	int attr = fz_u8(in);

	if (S.nmap == MAX_MAPS)
		return;
	m = &S.map[S.nmap];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->dev = d;
	m->dir = dir;
	for (int i = 0; i < nsg; i++) {
		struct sge *e = &m->e[i];
		uint8_t s = fz_u8(in);

		e->src = s % NSRC;
		if (e->src == SRC_REG && !S.reg_ok)
			e->src = SRC_FOREIGN;
		if (e->src == SRC_TAIL) {
			/* not our memory: only mapped to the device and read */
			if (m->dir != UDMA_TO_DEVICE || S.src_len[SRC_TAIL] == 0)
				e->src = SRC_MEMSEG;
		}
		e->slot = take_slot(e->src, s >> 2);
		if (e->slot < 0) {
			for (int k = 0; k < i; k++)
				put_slot(m->e[k].src, m->e[k].slot);
			return;
		}
		e->off = kind == K_PAGE ? fz_u16(in) % 4096 : fz_u16(in) % SLOT;
		e->len = fz_u16(in) % (SLOT - e->off) + 1;
		if (e->src != SRC_TAIL)
			fill(sge_cpu(e), e->len, ++S.seed);
		m->nsg = i + 1;
	}
	udma_swiotlb_stats(&tlb0);
	if (kind == K_SG) {
		struct udma_attrs at = {0};

		udma_sg_init_table(m->sg, m->nsg);
		for (int i = 0; i < m->nsg; i++)
			udma_sg_set_buf(&m->sg[i], sge_cpu(&m->e[i]), (unsigned int)m->e[i].len);
		if (attr & 1)
			udma_set_attr(UDMA_ATTR_FORCE_CONTIGUOUS, &at);
		m->nents = udma_map_sg_attrs(S.dev[d], m->sg, m->nsg, dir, &at);
		FZ_CHECK(m->nents >= 0 && m->nents <= m->nsg, "map_sg returned %d for %d entries",
			 m->nents, m->nsg);
		if (m->nents == 0)
			goto failed;
		if (attr & 1)
			FZ_CHECK(m->nents == 1, "FORCE_CONTIGUOUS gave %d segments", m->nents);
	} else if (kind == K_PAGE) {
		uint8_t *page = sge_cpu(&m->e[0]) - m->e[0].off;

		m->iova = udma_map_page(S.dev[d], page, m->e[0].off, m->e[0].len, dir);
		if (udma_mapping_error(S.dev[d], m->iova))
			goto failed;
	} else {
		m->iova = udma_map_single(S.dev[d], sge_cpu(&m->e[0]), m->e[0].len, dir);
		if (udma_mapping_error(S.dev[d], m->iova))
			goto failed;
	}
	g_ok_ops++;
	S.nmap++;
	m->same = read_ok(dir);
	udma_swiotlb_stats(&tlb1);
	m->bounced = tlb1.bounces != tlb0.bounces;
	if (g_trace)
		for (int i = 0; i < m->nsg; i++)
			fprintf(stderr, "  mapped dev %d dir %d kind %d: src %d slot %d off %zu len %zu -> %#llx\n",
				d, dir, kind, m->e[i].src, m->e[i].slot, m->e[i].off, m->e[i].len,
				(unsigned long long)(kind == K_SG ? m->sg[i].dma_address : m->iova));
	/* what the CPU holds, the device reads */
	if (kind == K_SG) {
		size_t total = 0, got = 0;
		unsigned int maxseg = udma_get_max_seg_size(S.dev[d]);
		uint64_t bmask = udma_get_seg_boundary(S.dev[d]);

		for (int i = 0; i < m->nsg; i++) {
			memcpy(g_buf2 + total, sge_cpu(&m->e[i]), m->e[i].len);
			total += m->e[i].len;
		}
		for (int i = 0; i < m->nents; i++) {
			struct udma_sg *sg = &m->sg[i];

			FZ_CHECK(sg->dma_length > 0 && got + sg->dma_length <= total,
				 "sg segment %d of length %u (total %zu)", i, sg->dma_length, total);
			check_seg(d, sg->dma_address, sg->dma_length);
			if (!(attr & 1) && !entry_len(m, sg->dma_length)) {
				FZ_CHECK(sg->dma_length <= maxseg, "segment %u > max_seg_size %u",
					 sg->dma_length, maxseg);
				FZ_CHECK((sg->dma_address & ~bmask) ==
					 ((sg->dma_address + sg->dma_length - 1) & ~bmask),
					 "segment crosses the boundary %#llx", (unsigned long long)bmask);
			}
			if (read_ok(dir))
				check_dev_reads(d, sg->dma_address, g_buf2 + got, sg->dma_length, "sg");
			got += sg->dma_length;
		}
		FZ_CHECK(got == total, "sg segments hold %zu bytes of %zu", got, total);
	} else {
		check_seg(d, m->iova, m->e[0].len);
		if (read_ok(dir))
			check_dev_reads(d, m->iova, sge_cpu(&m->e[0]), m->e[0].len, "map");
	}
	return;
failed:
	for (int k = 0; k < m->nsg; k++)
		put_slot(m->e[k].src, m->e[k].slot);
}

/* segment i of a live mapping: IOVA and length (single/page: the one range) */
static size_t map_len(const struct map *m)
{
	size_t n = 0;

	for (int i = 0; i < m->nsg; i++)
		n += m->e[i].len;
	return n;
}

/* the device writes @seed's pattern over the whole mapping (sim: faults if not allowed) */
static void dev_write_all(struct map *m, unsigned int seed)
{
	size_t total = map_len(m), got = 0;

	fill(g_buf2, total, seed);
	if (m->kind != K_SG) {
		FZ_CHECK(udma_sim_dma_write(S.dev[m->dev], m->iova, g_buf2, total) == 0,
			 "device write to a writable mapping faulted");
		return;
	}
	for (int i = 0; i < m->nents; i++) {
		FZ_CHECK(udma_sim_dma_write(S.dev[m->dev], m->sg[i].dma_address, g_buf2 + got,
					    m->sg[i].dma_length) == 0,
			 "device write to a writable sg segment faulted");
		got += m->sg[i].dma_length;
	}
}

/* the device may write again: sync for the device after a sync for the CPU */
static void give_to_device(struct map *m)
{
	if (!m->cpu_owned)
		return;
	if (m->kind == K_SG)
		udma_sync_sg_for_device(S.dev[m->dev], m->sg, m->nsg, m->dir);
	else
		udma_sync_single_for_device(S.dev[m->dev], m->iova, map_len(m), m->dir);
	m->cpu_owned = 0;
}

/* the CPU side holds @seed's pattern over the whole mapping */
static void cpu_check_all(struct map *m, unsigned int seed, const char *what)
{
	size_t got = 0;

	fill(g_buf2, map_len(m), seed);
	for (int i = 0; i < m->nsg; i++) {
		FZ_CHECK(memcmp(sge_cpu(&m->e[i]), g_buf2 + got, m->e[i].len) == 0,
			 "%s: the CPU does not see what the device wrote (entry %d, kind %d, dir %d, src %d)",
			 what, i, m->kind, m->dir, m->e[i].src);
		got += m->e[i].len;
	}
}

static void map_remove(int i)
{
	struct map *m = &S.map[i];

	for (int k = 0; k < m->nsg; k++)
		put_slot(m->e[k].src, m->e[k].slot);
	S.map[i] = S.map[--S.nmap];
}

static void unmap(int i, bool dev_writes)
{
	struct map *m = &S.map[i];
	unsigned int s = ++S.seed;

	dev_writes = dev_writes && write_ok(m->dir) && !m->cpu_owned;
	if (dev_writes)
		dev_write_all(m, s);
	else if (write_ok(m->dir) && m->cpu_owned && m->dev_seed)
		s = m->dev_seed; /* synced for the CPU (maybe in part): unmap copies all back */
	dev_writes = dev_writes || (write_ok(m->dir) && m->dev_seed);
	if (m->kind == K_SG)
		udma_unmap_sg(S.dev[m->dev], m->sg, m->nsg, m->dir);
	else if (m->kind == K_PAGE)
		udma_unmap_page(S.dev[m->dev], m->iova, m->e[0].len, m->dir);
	else
		udma_unmap_single(S.dev[m->dev], m->iova, m->e[0].len, m->dir);
	if (dev_writes)
		cpu_check_all(m, s, "unmap");
	map_remove(i);
}

static void op_unmap(struct fz_in *in)
{
	if (S.nmap == 0)
		return;
	unmap(fz_u8(in) % S.nmap, true);
	g_ok_ops++;
}

/*
 * Sync a single mapping for the CPU (@for_cpu) or for the device, one of four ways
 * by @v: bit 0, the range [@off, +@o2) or the whole mapping; bit 1, the
 * direction-led udma_sync_single*() where @m's direction means that side, else the
 * explicit _for_cpu/_for_device call.
 */
static void sync_single_one_way(const struct map *m, uint8_t v, size_t off, size_t o2,
				bool for_cpu)
{
	struct udma_device *d = S.dev[m->dev];
	size_t len = m->e[0].len;
	bool led = (v & 2) && m->dir == (for_cpu ? UDMA_FROM_DEVICE : UDMA_TO_DEVICE);

	if ((v & 1) && led)
		udma_sync_single_range(d, m->iova, off, o2, m->dir);
	else if ((v & 1) && for_cpu)
		udma_sync_single_range_for_cpu(d, m->iova, off, o2, m->dir);
	else if (v & 1)
		udma_sync_single_range_for_device(d, m->iova, off, o2, m->dir);
	else if (led)
		udma_sync_single(d, m->iova, len, m->dir);
	else if (for_cpu)
		udma_sync_single_for_cpu(d, m->iova, len, m->dir);
	else
		udma_sync_single_for_device(d, m->iova, len, m->dir);
}

/* CPU writes, sync for the device, the device reads */
static void op_sync_to_dev(struct fz_in *in)
{
	struct map *m;
	uint8_t v = fz_u8(in);
	size_t len, off, o2;
	unsigned int s = ++S.seed;

	if (S.nmap == 0)
		return;
	m = &S.map[fz_u8(in) % S.nmap];
	if (!read_ok(m->dir) || m->e[0].src == SRC_TAIL)
		return;
	if (m->kind == K_SG) {
		size_t got = 0;

		for (int i = 0; i < m->nsg; i++)
			fill(sge_cpu(&m->e[i]), m->e[i].len, s + (unsigned)i);
		m->cpu_owned = 0;
		m->dev_seed = 0;
		if (v & 1)
			udma_sync_sg_for_device(S.dev[m->dev], m->sg, m->nsg, m->dir);
		else if (m->dir == UDMA_TO_DEVICE)
			udma_sync_sg(S.dev[m->dev], m->sg, m->nsg, m->dir);
		else
			udma_sync_sg_for_device(S.dev[m->dev], m->sg, m->nsg, m->dir);
		for (int i = 0; i < m->nsg; i++) {
			memcpy(g_buf2 + got, sge_cpu(&m->e[i]), m->e[i].len);
			got += m->e[i].len;
		}
		got = 0;
		for (int i = 0; i < m->nents; i++) {
			check_dev_reads(m->dev, m->sg[i].dma_address, g_buf2 + got, m->sg[i].dma_length,
					"sync_sg_for_device");
			got += m->sg[i].dma_length;
		}
		g_ok_ops++;
		return;
	}
	len = m->e[0].len;
	off = fz_u16(in) % len;
	o2 = fz_u16(in) % (len - off) + 1;
	fill(sge_cpu(&m->e[0]) + off, o2, s);
	m->cpu_owned = 0;
	m->dev_seed = 0;
	sync_single_one_way(m, v, off, o2, false);
	check_dev_reads(m->dev, m->iova + off, sge_cpu(&m->e[0]) + off, o2, "sync_for_device");
	g_ok_ops++;
}

/* the device writes, sync for the CPU, the CPU reads */
static void op_sync_to_cpu(struct fz_in *in)
{
	struct map *m;
	uint8_t v = fz_u8(in);
	size_t len, off, o2;
	unsigned int s = ++S.seed;

	if (S.nmap == 0)
		return;
	m = &S.map[fz_u8(in) % S.nmap];
	if (!write_ok(m->dir))
		return;
	give_to_device(m);
	m->same = 0;
	dev_write_all(m, s);
	m->dev_seed = s;
	m->cpu_owned = 1;
	if (m->kind == K_SG) {
		if ((v & 1) || m->dir != UDMA_FROM_DEVICE)
			udma_sync_sg_for_cpu(S.dev[m->dev], m->sg, m->nsg, m->dir);
		else
			udma_sync_sg(S.dev[m->dev], m->sg, m->nsg, m->dir);
		cpu_check_all(m, s, "sync_sg_for_cpu");
		g_ok_ops++;
		return;
	}
	len = m->e[0].len;
	off = fz_u16(in) % len;
	o2 = fz_u16(in) % (len - off) + 1;
	sync_single_one_way(m, v, off, o2, true);
	fill(g_buf2, len, s);
	FZ_CHECK(memcmp(sge_cpu(&m->e[0]) + off, g_buf2 + off, o2) == 0,
		 "sync_for_cpu of [%zu, +%zu) of %zu: the CPU does not see the device's bytes", off,
		 o2, len);
	g_ok_ops++;
}

/* invalid map calls: each must fail, and nothing live changes */
static void op_map_bad(struct fz_in *in)
{
	int d = fz_u8(in) % NDEV;
	uint8_t v = fz_u8(in);
	uint8_t *p = S.src[SRC_MEMSEG];
	udma_addr_t a = 0;
	struct udma_sg sg[2];
	int n = 0;
	size_t tl, off;
	uint8_t *tail;

	switch (v % 10) {
	case 0: a = udma_map_single(S.dev[d], p, 0, UDMA_TO_DEVICE); break;
	case 1: a = udma_map_single(S.dev[d], NULL, 64, UDMA_TO_DEVICE); break;
	case 2: a = udma_map_single(S.dev[d], p, 64, (enum udma_data_direction)(7 + v)); break;
	case 3: a = udma_map_single(NULL, p, 64, UDMA_TO_DEVICE); break;
	case 4:
		a = udma_map_single(S.dev[d], p, SIZE_MAX - 8192 + (v >> 4), UDMA_TO_DEVICE);
		break;
	case 5: a = udma_map_page(S.dev[d], p + 1 + (v >> 4), 0, 64, UDMA_TO_DEVICE); break;
	case 6:
		udma_sg_init_table(sg, 2);
		udma_sg_set_buf(&sg[0], p, 64);
		udma_sg_set_buf(&sg[1], p + 4096, 64);
		n = udma_map_sg(S.dev[d], sg, v & 16 ? 0 : -1, UDMA_TO_DEVICE);
		break;
	case 7:
		udma_sg_init_table(sg, 1);
		n = udma_map_sg(S.dev[d], sg, 1, UDMA_TO_DEVICE); /* NULL buffer, length 0 */
		break;
	case 8: a = udma_map_single(S.dev[d], p, 64, UDMA_NONE); break;
	default:
		/* past the end of the memsegs: the tail page and beyond */
		tail = memseg_tail(&tl);
		if (tail == NULL)
			return;
		off = tl - 4096 + (fz_u16(in) % 4096);
		a = udma_map_single(S.dev[d], tail + off, (size_t)fz_u16(in) + 1 + (tl - off) + (v & 0x10 ? 1u << 20 : 0),
				    UDMA_TO_DEVICE);
		if (!udma_mapping_error(S.dev[d], a)) {
			/* memory that is not there cannot be mapped (it would bounce or reach past) */
			FZ_CHECK(0, "a map past the end of the memsegs succeeded at %#llx",
				 (unsigned long long)a);
		}
		g_bad_ops++;
		return;
	}
	g_bad_ops++;
	FZ_CHECK(n == 0 && (a == 0 || udma_mapping_error(S.dev[d], a)),
		 "invalid map %d succeeded (%#llx, %d)", v % 10, (unsigned long long)a, n);
}

static void op_unmap_bad(struct fz_in *in)
{
	uint8_t v = fz_u8(in);
	struct map *m;

	if (S.nmap == 0)
		return;
	m = &S.map[fz_u8(in) % S.nmap];
	if (g_trace)
		fprintf(stderr, "  bad unmap %d of map dev %d kind %d iova %#llx\n", v % 4, m->dev,
			m->kind, (unsigned long long)m->iova);
	switch (v % 4) {
	case 0: udma_unmap_single(S.dev[m->dev], UDMA_MAPPING_ERROR, 64, m->dir); break;
	case 1: udma_unmap_single(NULL, m->iova, 64, m->dir); break;
	case 2: udma_unmap_sg(S.dev[m->dev], NULL, 1, m->dir); break;
	default:
		/*
		 * another device unmapping this one's mapping: only an IOMMU knows whose
		 * mapping it is (sim: a domain per device refuses it); pa/va have none, and a
		 * bounce slot is released by whichever device unmaps it (as in Linux)
		 */
		if (S.mode != M_SIM && S.mode != M_FORCE)
			return;
		if (m->kind != K_SG)
			udma_unmap_single(S.dev[(m->dev + 1) % NDEV], m->iova, m->e[0].len, m->dir);
		break;
	}
	g_bad_ops++;
	/* still mapped: the device reads what the CPU holds */
	if (m->same && m->kind != K_SG && m->e[0].src != SRC_TAIL)
		check_dev_reads(m->dev, m->iova, sge_cpu(&m->e[0]), m->e[0].len, "after a bad unmap");
}

static void op_sync_bad(struct fz_in *in)
{
	uint8_t v = fz_u8(in);
	struct udma_device *d = S.dev[v % NDEV];

	switch (v >> 2 & 3) {
	case 0: udma_sync_single_for_cpu(NULL, 4096, 64, UDMA_FROM_DEVICE); break;
	case 1: udma_sync_single_for_device(d, UDMA_MAPPING_ERROR, 64, UDMA_TO_DEVICE); break;
	case 2: udma_sync_sg_for_cpu(d, NULL, 1, UDMA_FROM_DEVICE); break;
	default: udma_sync_single_range_for_cpu(d, UDMA_MAPPING_ERROR, SIZE_MAX, 64, UDMA_BIDIRECTIONAL); break;
	}
	g_bad_ops++;
}

static bool dev_busy(int d)
{
	for (int i = 0; i < S.ncoh; i++)
		if (S.coh[i].dev == d)
			return true;
	for (int i = 0; i < S.nmap; i++)
		if (S.map[i].dev == d)
			return true;
	for (int i = 0; i < MAX_POOLS; i++)
		if (S.pool[i].p && S.pool[i].dev == d)
			return true;
	return d == 0; /* the arena */
}

static void op_set_mask(struct fz_in *in)
{
	int d = fz_u8(in) % NDEV;
	unsigned int bits = 20 + fz_u8(in) % 45;
	uint64_t old = udma_get_mask(S.dev[d]), oldc = udma_get_coherent_mask(S.dev[d]);
	int ret;

	if (dev_busy(d))
		return;
	ret = udma_set_mask_and_coherent(S.dev[d], UDMA_BIT_MASK(bits));
	FZ_CHECK(ret == 0 || ret == -EIO, "set_mask returned %d", ret);
	if (ret == 0) {
		FZ_CHECK(udma_get_mask(S.dev[d]) == UDMA_BIT_MASK(bits), "mask not set");
		g_ok_ops++;
	} else {
		FZ_CHECK(udma_get_mask(S.dev[d]) == old && udma_get_coherent_mask(S.dev[d]) == oldc,
			 "a refused set_mask changed the masks");
		g_bad_ops++;
	}
}

static bool reg_mapped(void)
{
	for (int i = 0; i < S.nmap; i++)
		for (int k = 0; k < S.map[i].nsg; k++)
			if (S.map[i].e[k].src == SRC_REG && !S.map[i].bounced)
				return true;
	return false;
}

/*
 * A live mapping of registered memory that bounced (--swiotlb=force, pages not
 * IOVA-contiguous in pa, a narrow mask) reaches the bounce slot, not the region:
 * it does not hold the registration. For a list that bounced only in part the
 * harness cannot tell which entries did: either answer of unregister is right.
 */
static bool reg_maybe_mapped(void)
{
	for (int i = 0; i < S.nmap; i++)
		for (int k = 0; k < S.map[i].nsg; k++)
			if (S.map[i].e[k].src == SRC_REG)
				return true;
	return false;
}

static void op_register(struct fz_in *in)
{
	uint8_t v = fz_u8(in);
	int ret;

	switch (v % 5) {
	case 0: /* overlaps the live registration */
		if (!S.reg_ok)
			return;
		ret = udma_mem_register(g_reg + 4096, 8192);
		FZ_CHECK(ret == -EBUSY, "an overlapping registration returned %d", ret);
		break;
	case 1: /* memseg memory */
		ret = udma_mem_register(S.src[SRC_MEMSEG], 8192);
		FZ_CHECK(ret == -EBUSY, "registering memseg memory returned %d", ret);
		break;
	case 2: /* part of the registration */
		if (!S.reg_ok)
			return;
		ret = udma_mem_unregister(g_reg, 8192);
		FZ_CHECK(ret == -ERANGE || ret == -EINVAL, "unregistering part returned %d", ret);
		break;
	case 3:
		ret = udma_mem_register(NULL, 4096);
		FZ_CHECK(ret == -EINVAL, "registering NULL returned %d", ret);
		break;
	default: /* unregister and register again (not under a live mapping) */
		if (!S.reg_ok)
			return;
		ret = udma_mem_unregister(g_reg, SRC_LEN);
		if (reg_mapped() || (reg_maybe_mapped() && ret == -EBUSY)) {
			FZ_CHECK(ret == -EBUSY, "unregister under a live mapping returned %d", ret);
			g_bad_ops++;
			return;
		}
		FZ_CHECK(ret == 0, "unregister returned %d", ret);
		ret = udma_mem_register(g_reg, SRC_LEN);
		FZ_CHECK(ret == 0, "register again returned %d", ret);
		g_ok_ops++;
		return;
	}
	g_bad_ops++;
}

/* sg tables: a chain of arrays walked to the end, or a refused size */
static void op_sg_table(struct fz_in *in)
{
	uint8_t v = fz_u8(in);
	unsigned int n = v & 1 ? fz_u16(in) % 600 + 1 : 0, k = 0;
	struct udma_sg_table t;
	struct udma_sg *sg;
	int ret;

	if (v & 2) { /* far more than memory holds */
		n = UINT32_MAX - (v >> 2);
	}
	memset(&t, 0, sizeof(t));
	ret = udma_sg_alloc_table(&t, n);
	if (n == 0 || n > (1u << 28)) {
		FZ_CHECK(ret == -EINVAL || ret == -ENOMEM, "sg_alloc_table(%u) returned %d", n, ret);
		g_bad_ops++;
		return;
	}
	if (ret != 0) {
		FZ_CHECK(ret == -ENOMEM, "sg_alloc_table(%u) returned %d", n, ret);
		return;
	}
	FZ_CHECK(t.orig_nents == n, "table of %u entries says %u", n, t.orig_nents);
	for (sg = t.sgl; sg != NULL && k <= n; sg = udma_sg_next(sg))
		k++;
	FZ_CHECK(k == n, "walked %u entries of a table of %u", k, n);
	udma_sg_free_table(&t);
	g_ok_ops++;
}

/* a pool asked for more initial blocks than memory holds fails at once */
static void op_pool_huge(struct fz_in *in)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp)};
	uint8_t v = fz_u8(in);
	struct udma_pool *p;

	pp.initial_blocks = UINT32_MAX - v;
	p = udma_pool_create_params("fzhuge", S.dev[v % NDEV], 4096, 0, 0, &pp);
	FZ_CHECK(p == NULL && errno == ENOMEM, "a pool of %u initial blocks: %p",
		 pp.initial_blocks, (void *)p);
	g_bad_ops++;
}

/* ---- one input ------------------------------------------------------------ */

static int setup(uint8_t cfg)
{
	static const char *const modes[] = {"--iova-mode=sim", "--iova-mode=va", "--iova-mode=pa",
					    "--iova-mode=sim"};
	const char *argv[16] = {"fz", modes[cfg & 3], "-m", "8", "--swiotlb-size=2",
				"--file-prefix=udmafzapi", "--lcores=2", "--log-level=3"};
	int argc = 8, ret;

	memset(&S, 0, sizeof(S));
	S.mode = cfg & 3;
	if (S.mode == M_PA && !g_pa_ok)
		S.mode = M_VA, argv[1] = modes[M_VA];
	if (S.mode == M_FORCE)
		argv[argc++] = "--swiotlb=force";
	else if (cfg & 8)
		argv[argc++] = "--swiotlb=off";
	if (cfg & 4)
		argv[argc++] = "--dma-debug";
	ret = udma_eal_init(argc, (char **)argv);
	if (ret < 0)
		return ret;
	S.dev[0] = udma_device_create("fz0", NULL, -1);
	S.dev[1] = udma_device_create("fz1", NULL, -1);
	S.dev[2] = udma_device_create("fz2", NULL, -1);
	FZ_CHECK(S.dev[0] && S.dev[1] && S.dev[2], "device create");
	/* a mask the mode cannot serve gives -EIO and the device keeps 32 bits */
	FZ_CHECK(udma_set_mask_and_coherent(S.dev[0], UDMA_BIT_MASK(64)) == 0, "mask 64");
	udma_set_mask_and_coherent(S.dev[1], UDMA_BIT_MASK(32));
	udma_set_mask(S.dev[2], UDMA_BIT_MASK(40));
	FZ_CHECK(udma_set_max_seg_size(S.dev[2], 16384) == 0, "max seg");
	FZ_CHECK(udma_set_seg_boundary(S.dev[2], 0xffff) == 0, "boundary");
	/* streaming buffers: memseg memory (a coherent allocation), foreign, registered */
	S.src[SRC_MEMSEG] = udma_alloc_coherent(S.dev[0], SRC_LEN, &S.arena_h, UDMA_GFP_KERNEL);
	FZ_CHECK(S.src[SRC_MEMSEG] != NULL, "arena");
	S.src_len[SRC_MEMSEG] = SRC_LEN;
	S.src[SRC_FOREIGN] = g_foreign;
	S.src_len[SRC_FOREIGN] = SRC_LEN;
	S.reg_ok = udma_mem_register(g_reg, SRC_LEN) == 0;
	S.src[SRC_REG] = g_reg;
	S.src_len[SRC_REG] = S.reg_ok ? SRC_LEN : 0;
	S.src[SRC_TAIL] = memseg_tail(&S.src_len[SRC_TAIL]);
	S.heap_free0 = heap_free_pages();
	S.total0 = g_mem.total;
	return 0;
}

static void teardown(void)
{
	struct udma_swiotlb_stats st;

	while (S.nmap)
		unmap(S.nmap - 1, true);
	for (int p = 0; p < MAX_POOLS; p++)
		if (S.pool[p].p)
			pool_destroy(p);
	while (S.ncoh)
		coh_free(S.ncoh - 1);
	check_counters();
	FZ_CHECK(udma_swiotlb_stats(&st) == 0 && st.used == 0, "bounce bytes left: %llu",
		 (unsigned long long)st.used);
	/* every page taken since setup is free again (growth adds free pages) */
	lcore_flush_all(udma_lcore_id());
	FZ_CHECK(heap_free_pages() == S.heap_free0 + (g_mem.total - S.total0) / 4096,
		 "heap: %zu free pages, expected %zu + %zu grown", heap_free_pages(), S.heap_free0,
		 (g_mem.total - S.total0) / 4096);
	udma_free_coherent(S.dev[0], SRC_LEN, S.src[SRC_MEMSEG], S.arena_h);
	if (S.reg_ok)
		FZ_CHECK(udma_mem_unregister(g_reg, SRC_LEN) == 0, "unregister at the end");
	for (int d = 0; d < NDEV; d++)
		udma_device_destroy(S.dev[d]);
	FZ_CHECK(udma_eal_cleanup() == 0, "cleanup");
}

#define NOPS 24
static const char *const op_name[NOPS] = {
	"coh_alloc", "coh_free", "coh_free_bad", "coh_rw", "pool_create", "pool_alloc",
	"pool_bulk_alloc", "pool_free", "pool_bulk_free", "pool_free_bad", "pool_destroy",
	"map_single", "map_page", "map_sg", "unmap", "sync_to_dev", "sync_to_cpu", "map_bad",
	"unmap_bad", "sync_bad", "set_mask", "register", "sg_table", "pool_huge",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	int fds = fz_fd_count();

	if (size == 0)
		return 0;
	if (setup(fz_u8(&in)) < 0)
		return 0;
	g_inputs++;
	for (unsigned int step = 0; in.n > 0 && step < MAX_OPS; step++) {
		uint8_t op = fz_u8(&in);

		g_ops++;
		if (g_trace)
			fprintf(stderr, "step %u: %s (maps %d, coherent %d, blocks %d)\n", step,
				op_name[op % NOPS], S.nmap, S.ncoh, S.nblk);
		switch (op % NOPS) {
		case 0: op_coh_alloc(&in); break;
		case 1: op_coh_free(&in); break;
		case 2: op_coh_free_bad(&in); break;
		case 3: op_coh_rw(&in); break;
		case 4: op_pool_create(&in); break;
		case 5: op_pool_alloc(&in); break;
		case 6: op_pool_bulk_alloc(&in); break;
		case 7: op_pool_free(&in); break;
		case 8: op_pool_bulk_free(&in); break;
		case 9: op_pool_free_bad(&in); break;
		case 10: op_pool_destroy(&in); break;
		case 11: op_map(&in, K_SINGLE); break;
		case 12: op_map(&in, K_PAGE); break;
		case 13: op_map(&in, K_SG); break;
		case 14: op_unmap(&in); break;
		case 15: op_sync_to_dev(&in); break;
		case 16: op_sync_to_cpu(&in); break;
		case 17: op_map_bad(&in); break;
		case 18: op_unmap_bad(&in); break;
		case 19: op_sync_bad(&in); break;
		case 20: op_set_mask(&in); break;
		case 21: op_register(&in); break;
		case 22: op_sg_table(&in); break;
		default: op_pool_huge(&in); break;
		}
		check_counters();
		check_one_live(step);
	}
	teardown();
	FZ_CHECK(fz_fd_count() == fds, "an input left %d file descriptors open", fz_fd_count() - fds);
	return 0;
}
