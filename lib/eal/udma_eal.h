/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * udma environment: init/cleanup, options, lcores, memsegs, virt->iova, logging.
 */
#ifndef UDMA_EAL_H
#define UDMA_EAL_H

#include <stdio.h>
#include <stdarg.h>

#include "udma_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How device addresses (IOVAs) relate to process memory; chosen at init. */
enum udma_iova_mode {
	UDMA_IOVA_DC = 0, /**< not initialised */
	UDMA_IOVA_PA = 1, /**< IOVA = physical address (from /proc/self/pagemap) */
	UDMA_IOVA_VA = 2, /**< IOVA = process virtual address */
	UDMA_IOVA_VFIO = 3, /**< IOMMU through VFIO type1 */
	UDMA_IOVA_SIM = 4, /**< the software IOMMU: own IOVA space, page table, fault log */
};

/** lcore id of a thread that is neither the init thread nor registered. */
#define UDMA_LCORE_ID_ANY (~0u)

/**
 * Initialise udma: parse options, choose the IOVA backend, reserve memsegs.
 *
 * Options (see `--help`): `--iova-mode=auto|pa|va|vfio|sim`, `--no-huge`,
 * `--huge-dir=PATH`, `--file-prefix=NAME`, `--socket-mem=MB[,MB...]`, `-m MB`,
 * `--lcores=N`, `--dma-debug`, `--swiotlb=auto|force|off`, `--swiotlb-size=MB`,
 * `--log-level=N` and `--log-level=TYPE:N` (repeatable), `--help`. Parsing stops
 * at `--` (consumed) or at the first argument that does not start with `-`.
 *
 * The calling thread becomes lcore 0. May run again after udma_eal_cleanup().
 * Not thread-safe against itself or cleanup; may block (mmap, hugepage faults).
 *
 * @param argc argument count, argv[0] is the program name.
 * @param argv arguments; on success argv[ret] is overwritten with argv[0] so the
 *             application can do `argc -= ret; argv += ret;` as with DPDK.
 * @return the number of arguments consumed (not counting argv[0]) on success;
 *         -EINVAL for a bad option or value (named in the log), -EALREADY when
 *         already initialised, -ECANCELED after `--help` printed the usage,
 *         -ENOMEM/-EPERM/-ENODEV/-ENOTSUP when memory or the IOVA backend could not
 *         be set up. On failure nothing is left allocated.
 */
UDMA_API int udma_eal_init(int argc, char **argv);

/** --swiotlb as a value: how streaming maps use bounce buffers. */
enum udma_swiotlb_mode {
	UDMA_SWIOTLB_AUTO = 0,  /**< bounce what the device cannot reach directly */
	UDMA_SWIOTLB_FORCE = 1, /**< bounce every map (testing) */
	UDMA_SWIOTLB_OFF = 2,   /**< no bounce region */
};

/**
 * Initialisation options as a structure (SPDK's spdk_env_opts shape): fill it
 * with udma_eal_opts_init(), change what you need, pass it to
 * udma_eal_init_opts(). Each field is one option of udma_eal_init(); 0/NULL (or
 * -1 where noted) keeps the default. New fields are only ever appended: opts_size
 * tells the library which ones the application knows.
 */
struct udma_eal_opts {
	size_t opts_size;               /**< set by udma_eal_opts_init(): sizeof as compiled */
	const char *name;               /**< program name in messages (argv[0]); NULL: "udma" */
	enum udma_iova_mode iova_mode;  /**< --iova-mode; UDMA_IOVA_DC = auto */
	int no_huge;                    /**< --no-huge when non-zero */
	const char *huge_dir;           /**< --huge-dir; NULL: the first hugetlbfs mount */
	const char *file_prefix;        /**< --file-prefix; NULL: "udma" */
	unsigned int mem_mb;            /**< -m; 0: the default amount */
	const unsigned int *socket_mem_mb; /**< --socket-mem: MiB per node, node 0 first */
	unsigned int socket_mem_count;  /**< entries in socket_mem_mb; 0: no --socket-mem */
	unsigned int lcores;            /**< --lcores; 0: the CPU count */
	int dma_debug;                  /**< --dma-debug when non-zero */
	int dma_debug_limit;            /**< --dma-debug-limit; -1: default (32) */
	enum udma_swiotlb_mode swiotlb; /**< --swiotlb */
	unsigned int swiotlb_size_mb;   /**< --swiotlb-size; 0: default (32) */
	int log_level;                  /**< --log-level (0..7); -1: keep the current one */
	const char *log_levels;         /**< "pool:7,map:debug": --log-level=TYPE:N each */
	long vfio_group;                /**< --vfio-group; -1: every group it can open */
	/**
	 * Further options exactly as on the command line ("--opt=value" each, NULL
	 * terminated), after the fields above: an option with no field yet is still
	 * reachable. NULL: none.
	 */
	const char *const *extra_args;
	/**
	 * --base-virtaddr: where udma's memory goes, the start of a window of memseg
	 * list slots (VA reserved only as memory is taken). A non-zero multiple of
	 * 2 MiB (of the hugepage size in use); 0: free VA chosen at init.
	 */
	uintptr_t base_virtaddr;
};

/**
 * Set every field of @p opts to its default and opts->opts_size to @p opts_size.
 * Call as `udma_eal_opts_init(&opts, sizeof(opts))`.
 * @return 0, or -EINVAL (NULL, or @p opts_size too small for opts_size itself).
 */
UDMA_API int udma_eal_opts_init(struct udma_eal_opts *opts, size_t opts_size);

/**
 * udma_eal_init() from a structure: the same options, validated the same way
 * (a bad value is -EINVAL with the line udma_eal_init() would print for it).
 * Fields past opts->opts_size (an application built against an older header)
 * take their defaults; a larger opts_size (a newer header) is accepted when the
 * fields this library does not know are zero, else -EINVAL.
 * @return 0 on success; otherwise as udma_eal_init().
 */
UDMA_API int udma_eal_init_opts(const struct udma_eal_opts *opts);

/**
 * Release everything udma_eal_init() set up: memsegs, hugepage files, the IOVA
 * backend. Devices still alive are reported as leaks and destroyed.
 * @return 0, or -EALREADY when not initialised.
 */
UDMA_API int udma_eal_cleanup(void);

/** @return 1 when udma_eal_init() has succeeded and cleanup has not run. */
UDMA_API int udma_eal_initialized(void);

/** @return the IOVA mode chosen at init (UDMA_IOVA_DC when not initialised). */
UDMA_API enum udma_iova_mode udma_iova_mode(void);

/** @return the name of an IOVA mode ("pa", "va", "vfio", "sim", "dc"). */
UDMA_API const char *udma_iova_mode_name(enum udma_iova_mode mode);

/**
 * Why the IOVA backend in force was chosen: for `--iova-mode=auto` the reasons
 * the better backends were passed over (e.g. "vfio: /dev/vfio/vfio absent; pa:
 * chosen, root reads PFNs"), else "requested".
 * @return a string valid until the next udma_eal_init(); "" when not initialised.
 */
UDMA_API const char *udma_iova_mode_reason(void);

/** @return the calling thread's lcore id, or UDMA_LCORE_ID_ANY. Thread-safe. */
UDMA_API unsigned int udma_lcore_id(void);

/** @return the number of lcore slots (`--lcores`), 0 when not initialised. */
UDMA_API unsigned int udma_lcore_count(void);

/**
 * Give the calling thread an lcore slot, so it uses the per-lcore fast paths.
 * @return the lcore id (>= 0); -EALREADY if the thread already has one (the id
 *         stays valid); -ENOSPC when every slot is taken (the thread keeps
 *         working on the shared paths); -ENODEV when udma is not initialised.
 */
UDMA_API int udma_thread_register(void);

/**
 * Give the calling thread lcore slot @p id exactly (a framework's own lcore id,
 * e.g. DPDK's rte_lcore_id(), so both libraries' per-lcore caches line up).
 * @return @p id (also when the thread already holds it); -EINVAL when @p id is
 *         not below udma_lcore_count(); -EBUSY when another thread holds it;
 *         -EALREADY when the thread holds another slot; -ENODEV when udma is not
 *         initialised.
 */
UDMA_API int udma_thread_register_id(unsigned int id);

/** Give the slot back; per-lcore caches are flushed. No-op without a slot. */
UDMA_API void udma_thread_unregister(void);

/**
 * Translate an address inside udma memory (memsegs) to its IOVA.
 * O(1): a range check, a shift, a table load and an add, inline in the caller
 * (udma_virt2iova_inline()). Thread-safe, no syscall.
 * Outside the memsegs it looks up registered memory (udma_mem_register(),
 * udma_mem_register_iova(): DPDK's memory once attached), a slower search.
 * @return the IOVA, or UDMA_MAPPING_ERROR when @p va is in neither (or registered
 *         in sim mode, where its IOVA exists only per streaming mapping).
 */
UDMA_API udma_addr_t udma_virt2iova(const void *va);

/** @cond INTERNAL */
/**
 * @internal
 * Version of the translation layout udma_virt2iova()'s inline path reads: struct
 * udma_pvt_xlat, the table entries (IOVA - VA + 1 of a page, 0 when not
 * populated), lists of UDMA_MEMSEG_LIST_VA_SIZE. Bump it with any change to them.
 *
 * There is no object to check it at (the pool checks its layout at creation):
 * the version and the build's two layout options (UDMA_MAX_MEMSEG_LISTS,
 * UDMA_MEMSEG_LIST_VA_GB) are in the name of the symbol the inline path reads,
 * so a library with another layout does not define the symbol an application
 * built against this one needs, and the dynamic linker refuses to start the
 * application instead of letting it misread (or copy the wrong size).
 */
#define UDMA_PVT_XLAT_LAYOUT 1
/** @internal One memseg list's translation: its table and page shift. */
struct udma_pvt_xlat_list {
	udma_addr_t *iova; /**< per page: IOVA - VA + 1 of the page, 0 when not populated */
	uint64_t shift;    /**< the list's page shift */
};
/** @internal The memseg reservation and its lists' tables (read-only outside udma). */
struct udma_pvt_xlat {
	uintptr_t va_base; /**< the reservation's first VA */
	size_t va_len;     /**< its bytes (0: not initialised) */
	struct udma_pvt_xlat_list list[UDMA_MAX_MEMSEG_LISTS]; /**< one per UDMA_MEMSEG_LIST_VA_SIZE */
};
#define UDMA_PVT_XLAT_NAME_(v, n, g) udma_pvt_xlat_v##v##_##n##x##g
#define UDMA_PVT_XLAT_NAME(v, n, g) UDMA_PVT_XLAT_NAME_(v, n, g)
/**
 * @internal The symbol: udma_pvt_xlat_v<layout>_<lists>x<GiB per list>, with the
 * default options udma_pvt_xlat_v1_32x32.
 */
#define UDMA_PVT_XLAT                                                                 \
	UDMA_PVT_XLAT_NAME(UDMA_PVT_XLAT_LAYOUT, UDMA_MAX_MEMSEG_LISTS, UDMA_MEMSEG_LIST_VA_GB)
/** @internal The translation tables udma_virt2iova()'s inline path reads. */
UDMA_API extern struct udma_pvt_xlat UDMA_PVT_XLAT;

/**
 * udma_virt2iova() with its memseg path inline: a range check, a shift, a table
 * load and an add; anything else (registered memory, not udma's) calls the
 * library. Applications get this whenever they call udma_virt2iova().
 */
static inline udma_addr_t udma_virt2iova_inline(const void *va)
{
	uintptr_t off = (uintptr_t)va - UDMA_PVT_XLAT.va_base;

	if (udma_likely(off < UDMA_PVT_XLAT.va_len)) {
		const struct udma_pvt_xlat_list *x =
			&UDMA_PVT_XLAT.list[off / UDMA_MEMSEG_LIST_VA_SIZE];
		udma_addr_t base = x->iova[(off % UDMA_MEMSEG_LIST_VA_SIZE) >> x->shift];

		if (udma_likely(base != 0))
			return (udma_addr_t)(uintptr_t)va + base - 1;
	}
	return (udma_virt2iova)(va);
}
#ifndef UDMA_BUILDING_LIB
#define udma_virt2iova(va) udma_virt2iova_inline(va)
#endif
/** @endcond */

/**
 * Reverse of udma_virt2iova() for memseg memory (slow path, for device models).
 * @return the CPU address, or NULL when @p iova maps no memseg memory.
 */
UDMA_API void *udma_iova2virt(udma_addr_t iova);

/**
 * Print the memseg layout, the IOVA backend, the devices and the pools (each pool's
 * depot: magazines against their cap, the spill stack) to @p f (stdout if NULL).
 */
UDMA_API void udma_dump(FILE *f);

/** @return the NUMA node a memseg address is on, or -1 when not in a memseg. */
UDMA_API int udma_virt2node(const void *va);

/** @return the number of NUMA nodes udma sees (the injected topology in tests). */
UDMA_API int udma_numa_node_count(void);

/** Log levels, syslog order. */
enum udma_log_level {
	UDMA_LOG_EMERG = 0, UDMA_LOG_ALERT, UDMA_LOG_CRIT, UDMA_LOG_ERR,
	UDMA_LOG_WARNING, UDMA_LOG_NOTICE, UDMA_LOG_INFO, UDMA_LOG_DEBUG,
};

/**
 * Log types: each udma component logs under its own type, with its own level
 * (DPDK's logtypes). Names for --log-level=TYPE:LEVEL in brackets.
 */
enum udma_log_type {
	UDMA_LOGTYPE_EAL = 0, /**< [eal] init, options, lcores, udma_log() */
	UDMA_LOGTYPE_MEM,     /**< [mem] memsegs, hugepages, the page heap */
	UDMA_LOGTYPE_IOVA,    /**< [iova] IOVA mode selection and the pa/va backends */
	UDMA_LOGTYPE_DEV,     /**< [dev] devices, masks, coherent and declared memory */
	UDMA_LOGTYPE_MAP,     /**< [map] streaming maps, sync, swiotlb, registration */
	UDMA_LOGTYPE_SG,      /**< [sg] scatter-gather lists */
	UDMA_LOGTYPE_POOL,    /**< [pool] DMA pools */
	UDMA_LOGTYPE_DEBUG,   /**< [debug] dma-debug reports */
	UDMA_LOGTYPE_VFIO,    /**< [vfio] the VFIO backend */
	UDMA_LOGTYPE_PCI,     /**< [pci] the PCI bus layer */
	UDMA_LOGTYPE_SIM,     /**< [sim] the software IOMMU and device model */
	UDMA_LOGTYPE_USER,    /**< [user] the application (udma_log_type()) */
	UDMA_LOGTYPE_MAX
};

/**
 * Set the log threshold (0..7) of every type without a level of its own; messages
 * above it are dropped. @return 0 or -EINVAL (one log line).
 */
UDMA_API int udma_log_set_level(int level);
/** @return the log threshold of types without a level of their own. */
UDMA_API int udma_log_get_level(void);
/**
 * Give @p type its own threshold (0..7), or -1 to follow udma_log_set_level()
 * again. Option form: `--log-level=pool:7` (repeatable; `--log-level=7` is the
 * global one).
 * @return 0, or -EINVAL for an unknown type or a level out of range (one log line).
 */
UDMA_API int udma_log_set_type_level(enum udma_log_type type, int level);
/** @return the threshold in force for @p type, or -EINVAL for an unknown type. */
UDMA_API int udma_log_get_type_level(enum udma_log_type type);
/** @return the type named @p name ("pool"), or -EINVAL (silently) when none is. */
UDMA_API int udma_log_type_by_name(const char *name);
/** @return the name of @p type ("pool"), or NULL for an unknown type. */
UDMA_API const char *udma_log_type_name(enum udma_log_type type);

/**
 * A log handler: gets each message that passes its type's level, as one line
 * without prefix or newline (at most 511 bytes). @p ctx is the pointer given to
 * udma_log_set_handler().
 */
typedef void (*udma_log_handler_t)(void *ctx, enum udma_log_type type, int level,
				   const char *line);
/**
 * Route log messages to @p fn (e.g. into rte_log or an application's logger)
 * instead of the stream; NULL restores the stream (udma_log_set_stream()).
 * The handler may be called from any thread, concurrently: it must be
 * thread-safe; it may call udma_log(), but not udma_log_set_handler(). When this
 * call returns, the previous handler is no longer running and will not be called.
 */
UDMA_API void udma_log_set_handler(udma_log_handler_t fn, void *ctx);
/** Send log output to @p f (NULL: stderr). Used by tests to capture messages. */
UDMA_API void udma_log_set_stream(FILE *f);
/** Log a message at @p level under UDMA_LOGTYPE_EAL, printf-style; one line per call. */
UDMA_API void udma_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/**
 * Log a message of @p type at @p level (an unknown type logs as UDMA_LOGTYPE_USER),
 * printf-style; one line per call.
 */
UDMA_API void udma_log_type(enum udma_log_type type, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/**
 * @return how many messages at UDMA_LOG_ERR or worse were logged since init,
 *         printed or suppressed by the rate limit.
 */
UDMA_API unsigned long udma_log_error_count(void);
/**
 * udma's own messages are rate-limited per call site, as the kernel's
 * printk_ratelimited: 10 per 5 s, then one "N messages suppressed" line when the
 * next window opens. @return how many messages were suppressed since init.
 */
UDMA_API unsigned long udma_log_suppressed_count(void);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_EAL_H */
