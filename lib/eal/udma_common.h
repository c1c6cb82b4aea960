/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Types and macros shared by every udma header.
 */
#ifndef UDMA_COMMON_H
#define UDMA_COMMON_H

#include <stdint.h>
#include <stddef.h>

#include "udma_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A version as one comparable number: `#if UDMA_VERSION >= UDMA_VERSION_NUM(0, 2, 0)`.
 * Each part 0..255.
 */
#define UDMA_VERSION_NUM(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (patch))
/** The version of the headers being compiled against (udma_version(): the library's). */
#define UDMA_VERSION UDMA_VERSION_NUM(UDMA_VERSION_MAJOR, UDMA_VERSION_MINOR, UDMA_VERSION_PATCH)

/** Marks a function exported from libudma. */
#define UDMA_API __attribute__((visibility("default")))

/** Branch hint: @p x is usually true. */
#define udma_likely(x) __builtin_expect(!!(x), 1)
/** Branch hint: @p x is usually false. */
#define udma_unlikely(x) __builtin_expect(!!(x), 0)
/** Align a type or variable to a cache line. */
#define __udma_cache_aligned __attribute__((aligned(UDMA_CACHE_LINE_SIZE)))

/** A bus (IOVA) address as programmed into a device: Linux's dma_addr_t. */
typedef uint64_t udma_addr_t;

/** Returned by the map calls on failure; test it with udma_mapping_error(). */
#define UDMA_MAPPING_ERROR (~(udma_addr_t)0)

/** A mask of the low @p n address bits, n in 0..64: Linux's DMA_BIT_MASK. */
#define UDMA_BIT_MASK(n) (((n) >= 64) ? ~0ULL : ((1ULL << (n)) - 1))

/** Size of a "page" for udma_map_page() and the allocation granule of coherent memory. */
#define UDMA_PAGE_SIZE (1UL << UDMA_PAGE_SHIFT)

/** Direction of a streaming mapping; values match the kernel's. */
enum udma_data_direction {
	UDMA_BIDIRECTIONAL = 0, /**< direction is not known */
	UDMA_TO_DEVICE = 1,     /**< memory -> device */
	UDMA_FROM_DEVICE = 2,   /**< device -> memory */
	UDMA_NONE = 3,          /**< no direction (debugging only) */
};

/** Allocation flags: how an allocation may behave when memory is short. */
typedef unsigned int udma_gfp_t;
/** May block: may grow memory (mmap hugepages), may wait for a lock. */
#define UDMA_GFP_KERNEL 0x1u
/** Never blocks and makes no syscall: only memory already reserved is used. */
#define UDMA_GFP_ATOMIC 0x2u

/**
 * @return the version of the library in use, "MAJOR.MINOR.PATCH" (compare it with
 *         UDMA_VERSION_STR, the headers' version). Never NULL; thread-safe.
 */
UDMA_API const char *udma_version(void);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_COMMON_H */
