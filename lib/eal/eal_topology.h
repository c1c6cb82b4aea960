/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the NUMA topology udma places memory with. The default is libnuma;
 * tests inject a fake to reach a multi-node layout on a one-node machine.
 */
#ifndef EAL_TOPOLOGY_H
#define EAL_TOPOLOGY_H

#include <stddef.h>

/* internal to libudma: never exported, and reached without the GOT */
#pragma GCC visibility push(hidden)

struct eal_topology {
	const char *name;
	/* number of nodes (1..UDMA_MAX_NUMA_NODES) */
	int (*nr_nodes)(void);
	/* node of the calling thread's CPU */
	int (*cpu_node)(void);
	/* set the memory policy of [va, va+len) to @node before it is touched; 0 or -errno */
	int (*bind)(void *va, size_t len, int node);
	/* node a touched page really sits on, or -errno */
	int (*node_of)(const void *va);
};

/*
 * Replace the topology (NULL restores libnuma). Call before udma_eal_init();
 * stays in force across init/cleanup cycles until replaced.
 */
void eal_topology_inject(const struct eal_topology *t);

/* the topology in force */
const struct eal_topology *eal_topology(void);

#pragma GCC visibility pop

#endif
