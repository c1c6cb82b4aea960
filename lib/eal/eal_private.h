/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to libudma: logging, lcores, options, memsegs, the page heap. */
#ifndef EAL_PRIVATE_H
#define EAL_PRIVATE_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "udma_eal.h"
#include "udma_eal_pvt.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

/* ---- spinlocks: the slow-path locks GFP_ATOMIC callers may take (never sleep) */
static inline void eal_spin_lock(atomic_flag *f)
{
	while (atomic_flag_test_and_set_explicit(f, memory_order_acquire))
		__builtin_ia32_pause();
}

static inline void eal_spin_unlock(atomic_flag *f)
{
	atomic_flag_clear_explicit(f, memory_order_release);
}

/* ---- logging ---------------------------------------------------------- */
/*
 * Every UDMA_LOG call site is rate-limited on its own (log_rl): data-path misuse
 * in a loop prints a burst, then one "N messages suppressed" line per interval.
 * Every message, printed or not, is counted (udma_log_error_count(),
 * udma_log_suppressed_count()).
 */
#define LOG_RL_INTERVAL_NS 5000000000ULL
#define LOG_RL_BURST 10
struct log_ratelimit {
	uint64_t begin;   /* the window's start (CLOCK_MONOTONIC_COARSE ns + 1), 0: none */
	uint64_t printed; /* messages printed in the window */
	uint64_t missed;  /* messages suppressed in the window */
	const char *file; /* the call site's source file: gives its log type */
	int type;         /* enum udma_log_type + 1, found from file at first use; 0: not yet */
};
/* the component of a source file ("../lib/pool/pool.c": UDMA_LOGTYPE_POOL) */
enum udma_log_type log_type_of_file(const char *file);
void log_rl(struct log_ratelimit *rl, int level, const char *site, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define UDMA_LOG(lvl, fmt, ...)                                                          \
	do {                                                                              \
		static struct log_ratelimit udma_log_rl_ = {.file = __FILE__};           \
		log_rl(&udma_log_rl_, UDMA_LOG_##lvl, __func__, "%s(): " fmt, __func__,   \
		       ##__VA_ARGS__);                                                    \
	} while (0)
/* the same from a helper: @fn names the public call the user made */
#define UDMA_LOG_AS(lvl, fn, fmt, ...)                                                   \
	do {                                                                              \
		static struct log_ratelimit udma_log_rl_ = {.file = __FILE__};           \
		log_rl(&udma_log_rl_, UDMA_LOG_##lvl, fn, "%s(): " fmt, fn, ##__VA_ARGS__); \
	} while (0)
/* inside the library a plain udma_log() logs under its file's type too */
#ifndef EAL_LOG_C
#define udma_log(level, ...)                                                             \
	udma_log_type(({                                                                  \
		static int udma_log_t_;                                                   \
		if (udma_unlikely(udma_log_t_ == 0))                                       \
			udma_log_t_ = (int)log_type_of_file(__FILE__) + 1;                 \
		(enum udma_log_type)(udma_log_t_ - 1);                                    \
	}), level, __VA_ARGS__)
#endif
void eal_log_reset_counters(void);
/* per-type levels: -1 follows the global level */
void log_type_levels_save(int *buf);
void log_type_levels_restore(const int *buf);

/* ---- options (filled by eal_options.c) -------------------------------- */
enum swiotlb_mode { SWIOTLB_AUTO = 0, SWIOTLB_FORCE, SWIOTLB_OFF };

struct eal_config {
	enum udma_iova_mode iova_mode; /* UDMA_IOVA_DC = auto */
	bool no_huge;
	char huge_dir[256];            /* empty: first hugetlbfs mount, else memfd */
	char file_prefix[64];
	uint64_t socket_mem[UDMA_MAX_NUMA_NODES]; /* bytes per node */
	bool socket_mem_set;
	uint64_t total_mem;            /* -m, bytes */
	bool total_mem_set;
	unsigned int lcores;
	bool dma_debug;
	int dma_debug_limit;           /* reports printed; 0 = all */
	enum swiotlb_mode swiotlb;
	uint64_t swiotlb_size;         /* bytes */
	bool swiotlb_size_set;         /* --swiotlb-size given: a region that cannot be had fails init */
	int log_level;
	int log_type_level[UDMA_LOGTYPE_MAX]; /* --log-level=TYPE:N; -2: not given */
	long vfio_group;               /* --vfio-group, -1: every group under /dev/vfio */
	unsigned int vfio_mask_bits;   /* --vfio-dma-mask: narrowest device mask; 0 = 64 */
	uint64_t base_virtaddr;        /* --base-virtaddr: the memseg window; 0 = chosen at init */
};
extern struct eal_config g_cfg;

/* parse argv into g_cfg; returns consumed count or -errno; -ECANCELED after --help */
int eal_parse_args(int argc, char **argv);
void eal_usage(FILE *f, const char *prgname);
/* the option values the parser takes for a mode ("auto", "force"...), or NULL */
const char *eal_iova_mode_arg(enum udma_iova_mode mode);
const char *eal_swiotlb_arg(enum udma_swiotlb_mode mode);

/* ---- lcores ----------------------------------------------------------- */
/* the TLS slot and generations live in udma_eal_pvt.h (inline fast paths read them) */
#define g_lcore_id udma_pvt_lcore_id
#define t_lcore_epoch udma_pvt_lcore_gen
#define g_lcore_epoch udma_pvt_gen

/* the calling thread's lcore id; a slot from an earlier init reads as ANY */
static inline unsigned int lcore_id(void)
{
	if (udma_unlikely(t_lcore_epoch != __atomic_load_n(&g_lcore_epoch, __ATOMIC_RELAXED)))
		g_lcore_id = UDMA_LCORE_ID_ANY;
	return g_lcore_id;
}
int lcore_init(unsigned int count);
void lcore_fini(void);

/* Per-lcore caches register a flush callback run by thread_unregister and cleanup. */
typedef void (*lcore_flush_fn)(unsigned int lcore_id);
/* 0 (also when already there), or -ENOSPC: logged, and init refuses to run */
int lcore_flush_register(lcore_flush_fn fn);
void lcore_flush_all(unsigned int lcore_id);

/* ---- pagemap ---------------------------------------------------------- */
/* physical address of a touched page, 0 when unknown (no privilege), or UDMA_MAPPING_ERROR */
int pagemap_open(void);
void pagemap_close(int fd);
udma_addr_t pagemap_pa(int fd, const void *va);

/* ---- memsegs ---------------------------------------------------------- */
#define MEMSEG_LIST_SHIFT (__builtin_ctzll(UDMA_MEMSEG_LIST_VA_SIZE))

struct memseg_list {
	uintptr_t va_base;          /* the list's slot in the window */
	_Atomic(size_t) used;       /* bytes populated from va_base */
	unsigned int page_shift;    /* 12, 21 or 30 */
	int node;
	int hugetlb;
	int in_use;
	udma_addr_t *iova;          /* per page: xlat_entry(iova, va), 0 when not populated */
	size_t iova_tbl_len;        /* bytes of the iova table mapping */
	struct page_meta *meta;     /* per 4 KiB page, for the heap */
	size_t meta_len;
	unsigned int chunks;
	int full;                   /* the VA after its reservation is another mapping's */
};

/* a chunk a memory provider placed (udma_pvt_mem_provider_set) */
struct prov_chunk {
	uintptr_t va;
	size_t len;
	void *cookie;
	bool seg_mapped; /* udma's IOVA mode gave the IOVAs (sim): seg_unmap at release */
};

struct memseg_state {
	/*
	 * The window: list i's slot is [va_base + i * UDMA_MEMSEG_LIST_VA_SIZE, + that
	 * size), clipped to va_base + va_len. Free when chosen at init, never reserved
	 * as a whole: each list reserves only the VA its memory takes, as it grows.
	 */
	uintptr_t va_base;
	size_t va_len;
	struct memseg_list lists[UDMA_MAX_MEMSEG_LISTS];
	unsigned int nr_lists;      /* slots opened or skipped (taken by another mapping) */
	unsigned int max_lists;     /* slots in the window */
	/* per list: bytes of VA reserved from its va_base, >= used (atomic; apart from
	 * the lists so that a list stays 72 bytes: memseg_list_of() indexes them) */
	size_t resv[UDMA_MAX_MEMSEG_LISTS];
	pthread_mutex_t grow_lock;
	size_t hugepage_size;       /* 0 when --no-huge */
	char huge_dir[256];         /* hugetlbfs mount in use, "" for memfd */
	pthread_rwlock_t rev_lock;  /* reverse map (iova -> va) */
	struct iova_run *runs;
	size_t nr_runs, cap_runs;
	size_t total;               /* bytes populated */
	udma_addr_t iova_lo, iova_hi; /* bounds of every run (memsegs and registrations) */
	udma_addr_t *zero_tbl;      /* shared by unused lists: reads as "not populated" */
	int pagemap_fd;             /* pa mode's /proc/self/pagemap, else -1 */
	unsigned int chunk_seq;     /* names the chunks' hugetlbfs files */
	/*
	 * IOVA runs overlap when udma's heap is on a provider's memory that is also
	 * registered at the provider's VA (DPDK memzones): the reverse map then scans,
	 * preferring udma's own memory, instead of a binary search.
	 */
	bool runs_overlap;
	struct {                    /* a memory provider: every chunk comes from it */
		struct udma_pvt_mem_provider ops;
		bool set;
		struct prov_chunk *chunks;
		size_t n, cap;
	} prov;
};
/*
 * The memseg subsystem's state. The translation tables (g_xlat, below) stay apart:
 * the fast paths read 16 bytes a list of them (see doc/design.md, State).
 */
extern struct memseg_state g_mem;

/* does [va, va+len) meet the VA a memseg list has reserved (populated or not)? */
bool memseg_va_overlaps(uintptr_t va, size_t len);

/* A maximal IOVA- and VA-contiguous run of populated memory. */
struct iova_run {
	udma_addr_t iova;
	uintptr_t va;
	size_t len;
	int node;
};

int memseg_init(void);
void memseg_fini(void);
/* add >= @bytes of memory on @node; GFP_KERNEL paths only. Returns 0 or -errno. */
int memseg_grow(int node, size_t bytes);
int memseg_reserve_initial(void);

static inline struct memseg_list *memseg_list_of(const void *va)
{
	uintptr_t off = (uintptr_t)va - g_mem.va_base;

	if (udma_unlikely(off >= g_mem.va_len))
		return NULL;
	return &g_mem.lists[off >> MEMSEG_LIST_SHIFT];
}

/* is @va inside the VA a memseg list has reserved (populated or not)? Another
 * mapping may sit in the window outside the lists' reservations (e.g. DPDK's) */
static inline bool memseg_va_reserved(const void *va)
{
	uintptr_t off = (uintptr_t)va - g_mem.va_base;

	return off < g_mem.va_len &&
	       (off & (UDMA_MEMSEG_LIST_VA_SIZE - 1)) <
		       __atomic_load_n(&g_mem.resv[off >> MEMSEG_LIST_SHIFT], __ATOMIC_ACQUIRE);
}

/*
 * The translation tables, apart from the lists: 16 bytes a list on the hot path.
 * An entry holds (IOVA - VA) of its page plus one, so 0 (a NORESERVE table never
 * written) means "not populated" and a translation is va + entry - 1: one lea.
 */
struct memseg_xlat {
	udma_addr_t *iova;       /* the list's table (4 KiB granular in size) */
	uint64_t shift;          /* the list's page shift */
};

static inline udma_addr_t xlat_entry(udma_addr_t iova, uintptr_t va)
{
	return iova - (udma_addr_t)va + 1;
}
extern struct memseg_xlat g_xlat[UDMA_MAX_MEMSEG_LISTS];

/* The hot path: a range check, a shift, a table load and an add. */
static inline udma_addr_t memseg_virt2iova(const void *va)
{
	uintptr_t off = (uintptr_t)va - g_mem.va_base;
	const struct memseg_xlat *x;
	uintptr_t loff;
	udma_addr_t base;

	if (udma_unlikely(off >= g_mem.va_len))
		return UDMA_MAPPING_ERROR;
	x = &g_xlat[off >> MEMSEG_LIST_SHIFT];
	loff = off & (UDMA_MEMSEG_LIST_VA_SIZE - 1);
	base = x->iova[loff >> x->shift];
	if (udma_unlikely(base == 0)) /* 0: not populated */
		return UDMA_MAPPING_ERROR;
	return (udma_addr_t)(uintptr_t)va + base - 1;
}

void *memseg_iova2virt(udma_addr_t iova, size_t *contig);
/* the reverse map (device side): memseg chunks and registered memory add runs */
int iova_runs_add(int node, uintptr_t va, const udma_addr_t *iova, size_t npages, size_t pgsz);
void iova_runs_remove(uintptr_t va, size_t len);
udma_addr_t memseg_contig_walk(const void *va, size_t size, udma_addr_t first);

/* IOVA of [va, va+size) when it is inside one populated memseg page, else ERROR */
static inline udma_addr_t memseg_page_iova(const void *va, size_t size)
{
	uintptr_t off = (uintptr_t)va - g_mem.va_base;
	const struct memseg_xlat *x;
	udma_addr_t base;

	if (udma_unlikely(off >= g_mem.va_len))
		return UDMA_MAPPING_ERROR;
	x = &g_xlat[off >> MEMSEG_LIST_SHIFT];
	off &= UDMA_MEMSEG_LIST_VA_SIZE - 1;
	if (udma_unlikely(size - 1 >= UDMA_MEMSEG_LIST_VA_SIZE - off ||
			  (off >> x->shift) != ((off + size - 1) >> x->shift)))
		return UDMA_MAPPING_ERROR;
	base = x->iova[off >> x->shift];
	if (udma_unlikely(base == 0)) /* 0: not populated */
		return UDMA_MAPPING_ERROR;
	return (udma_addr_t)(uintptr_t)va + base - 1;
}

/* first IOVA of [va, va+size) when it is memseg memory with contiguous IOVAs */
static inline udma_addr_t memseg_contig_iova(const void *va, size_t size)
{
	udma_addr_t first = memseg_page_iova(va, size), last;
	const struct memseg_xlat *x;

	if (udma_likely(first != UDMA_MAPPING_ERROR))
		return first; /* one page: contiguous by definition */
	first = memseg_virt2iova(va);
	if (udma_unlikely(first == UDMA_MAPPING_ERROR))
		return first;
	x = &g_xlat[((uintptr_t)va - g_mem.va_base) >> MEMSEG_LIST_SHIFT];
	last = memseg_virt2iova((const uint8_t *)va + size - 1);
	if (udma_unlikely(last - first != size - 1))
		return UDMA_MAPPING_ERROR;
	if (udma_likely(size <= (1UL << x->shift)))
		return first; /* two pages: first and last decide */
	return memseg_contig_walk(va, size, first);
}
/* could @iova belong to any run? (two compares: a plausibility check) */
static inline bool iova_plausible(udma_addr_t iova)
{
	return iova >= __atomic_load_n(&g_mem.iova_lo, __ATOMIC_RELAXED) &&
	       iova <= __atomic_load_n(&g_mem.iova_hi, __ATOMIC_RELAXED);
}
udma_addr_t memseg_min_iova(void);
udma_addr_t memseg_max_iova(void);
void memseg_dump(FILE *f);

/* ---- the page heap (coherent memory) ---------------------------------- */
enum page_state {
	PM_NONE = 0,   /* not populated */
	PM_FREE,       /* head of a free extent (npages) */
	PM_FREE_TAIL,  /* last page of a free extent of more than one page (npages) */
	PM_ALLOC,      /* head of an allocation (npages, owner) */
	PM_CACHED,     /* one free page held in an lcore cache */
	PM_INNER,      /* inside an extent or allocation */
};

struct page_meta {
	uint32_t npages;
	_Atomic(uint8_t) state;
	uint8_t pad[3];
	uint32_t owner;  /* PM_ALLOC: device id; PM_FREE: next free extent (page index) */
	uint32_t prev;   /* PM_FREE: previous free extent (page index) */
};

#define HEAP_NIL UINT32_MAX

int heap_init(void);
void heap_fini(void);
/* populated memory [va, va+len) in list @l joins the heap as free pages */
void heap_add(struct memseg_list *l, uintptr_t va, size_t len);
/*
 * Allocate @npages 4 KiB pages, IOVA-contiguous, aligned to @align_pages (power of
 * two, in IOVA and VA), wholly at or below @mask, preferring @node. Owner tagged.
 * Never grows memory, never makes a syscall.
 */
void *heap_alloc(size_t npages, size_t align_pages, uint64_t mask, int node, uint32_t owner,
		 udma_addr_t *iova);
/* 0, or -EINVAL when (va, npages, owner) is not a live allocation (nothing freed) */
int heap_free(void *va, size_t npages, uint32_t owner);
/* call @fn for every live allocation of @owner */
void heap_for_each_alloc(uint32_t owner, void (*fn)(void *va, size_t npages, void *arg), void *arg);
/* re-tag allocations of @owner (leaks of a destroyed device) */
void heap_disown(uint32_t owner);
/* re-tag the live allocation at @va (e.g. slabs kept after a pool's destroy) */
void heap_set_owner(void *va, uint32_t owner);
size_t heap_free_pages(void);

/* the calling thread's node (in the topology in force) */
int eal_topology_cpu_node(void);
/* the CPU's L1 data cache line in bytes: at least 64, a power of two */
int eal_cache_line_size(void);

/* ---- init hooks: later layers hook in without eal knowing them -------- */
/*
 * The init stages after memsegs, in the order they run (DPDK's RTE_PRIORITY_*,
 * Linux's initcall levels); cleanup runs them backwards. One stage, one hook.
 */
enum eal_stage {
	EAL_STAGE_DEBUG,       /* dma-debug: on before anything maps */
	EAL_STAGE_DEVICE,      /* the device registry */
	EAL_STAGE_NONCOHERENT, /* noncoherent allocations */
	EAL_STAGE_REGISTER,    /* udma_mem_register() regions */
	EAL_STAGE_SWIOTLB,     /* the bounce region */
	EAL_STAGE_POOL,        /* dma pools */
	EAL_STAGE_MAP_DIRECT,  /* the direct map path reads every setting above */
	EAL_STAGE_BUS,         /* buses (PCI): no init; at cleanup, closed before the devices */
};

struct eal_hook {
	const char *name;
	/* after memsegs: the subsystem takes its options from @cfg; 0 or -errno */
	int (*init)(const struct eal_config *cfg);
	void (*fini)(void);  /* reverse order at cleanup */
	void (*dump)(FILE *f);
};
/* 0, or -ENOSPC (logged, and udma_eal_init() refuses to run) when the table is full */
int eal_hook_register(const struct eal_hook *h, enum eal_stage stage);

/*
 * A registration from a constructor found its table full: log it and make every
 * udma_eal_init() fail with -ENOSPC naming it (a constructor cannot return an error).
 */
void eal_register_failed(const char *registry, unsigned int slots, const char *name);
/*
 * The registries later layers fill from constructors (init hooks, lcore flushes,
 * IOVA backends, device hooks): append @item to the array @table, @n of its slots
 * in use. 0, or -ENOSPC through eal_register_failed(@registry, @name) when full.
 */
#define EAL_REGISTRY_ADD(table, n, item, registry, name)                                   \
	((n) < sizeof(table) / sizeof((table)[0])                                           \
		 ? ((table)[(n)++] = (item), 0)                                               \
		 : (eal_register_failed(registry,                                             \
					(unsigned int)(sizeof(table) / sizeof((table)[0])), name), \
		    -ENOSPC))

#pragma GCC visibility pop

#endif /* EAL_PRIVATE_H */
