/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef POOL_DEPOT_H
#define POOL_DEPOT_H

#include "pool_private.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

/* the lock-free stack; a node's link is the pointer at byte @link of it */
void lfstack_push(struct lfstack *s, void *node, size_t link);
void *lfstack_pop(struct lfstack *s, size_t link);

void depot_init(struct depot *d, unsigned int mag_size);
/* cap the magazines at floor + one per @per blocks carved (per 0: floor only;
 * both 0: no cap) */
void depot_limit(struct depot *d, unsigned int floor, unsigned int per);
/* the pool holds @blocks now: move the cap with it */
void depot_capacity(struct depot *d, uint64_t blocks);
/* bytes one magazine takes (its allocation) */
size_t depot_mag_bytes(const struct depot *d);
void depot_fini(struct depot *d);
void depot_put(struct depot *d, void *const *objs, unsigned int n);
unsigned int depot_get(struct depot *d, void **objs, unsigned int room);

#pragma GCC visibility pop

#endif
