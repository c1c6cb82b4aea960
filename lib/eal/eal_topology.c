/* SPDX-License-Identifier: BSD-3-Clause */
/* NUMA topology through libnuma, replaceable by tests (eal_topology_inject). */
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <unistd.h>

#include "eal_private.h"
#include "eal_topology.h"

/* the L1 data cache line: at least 64, a power of two (a CPU fact) */
int eal_cache_line_size(void)
{
	long line = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
	int a = 64;

	while (line > 0 && a < line)
		a <<= 1;
	return a;
}

static int topo_nr_nodes(void)
{
	int n;

	if (numa_available() < 0)
		return 1;
	n = numa_max_node() + 1;
	if (n > UDMA_MAX_NUMA_NODES)
		n = UDMA_MAX_NUMA_NODES;
	return n < 1 ? 1 : n;
}

static int topo_cpu_node(void)
{
	int cpu = sched_getcpu();
	int node;

	if (cpu < 0 || numa_available() < 0)
		return 0;
	node = numa_node_of_cpu(cpu);
	return node < 0 ? 0 : node;
}

static int topo_bind(void *va, size_t len, int node)
{
	unsigned long mask[UDMA_MAX_NUMA_NODES / (8 * sizeof(unsigned long)) + 1] = {0};

	if (numa_available() < 0)
		return 0;
	mask[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
	if (mbind(va, len, MPOL_BIND, mask, sizeof(mask) * 8, 0) != 0)
		return -errno;
	return 0;
}

static int topo_node_of(const void *va)
{
	int node = -1;

	if (numa_available() < 0)
		return 0;
	if (get_mempolicy(&node, NULL, 0, (void *)va, MPOL_F_NODE | MPOL_F_ADDR) != 0)
		return -errno;
	return node;
}

static const struct eal_topology g_libnuma = {
	.name = "libnuma",
	.nr_nodes = topo_nr_nodes,
	.cpu_node = topo_cpu_node,
	.bind = topo_bind,
	.node_of = topo_node_of,
};

static const struct eal_topology *g_topo = &g_libnuma;

void eal_topology_inject(const struct eal_topology *t)
{
	g_topo = t ? t : &g_libnuma;
}

const struct eal_topology *eal_topology(void)
{
	return g_topo;
}

int udma_numa_node_count(void)
{
	int n = g_topo->nr_nodes();

	return n < 1 ? 1 : (n > UDMA_MAX_NUMA_NODES ? UDMA_MAX_NUMA_NODES : n);
}

int eal_topology_cpu_node(void)
{
	int n = g_topo->cpu_node();

	return n < 0 ? 0 : n % udma_numa_node_count();
}
