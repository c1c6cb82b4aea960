/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef POOL_DEPOT_H
#define POOL_DEPOT_H

#include "pool_private.h"

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

void depot_push(struct depot *d, void *first, unsigned int n);
void *depot_pop(struct depot *d);
void depot_put(struct depot *d, void *const *objs, unsigned int n);
unsigned int depot_get(struct depot *d, void **objs, unsigned int room);

#pragma GCC visibility pop

#endif
