/* SPDX-License-Identifier: BSD-3-Clause */
/* NUMA placement through an injected two-node topology (this machine has one node). */
#include "test_common.h"

#include "eal_topology.h"

#define MAXB 256

static struct {
	uintptr_t va;
	size_t len;
	int node;
} g_binds[MAXB];
static int g_nbinds;

static int fake_nodes(void)
{
	return 2;
}

static int fake_cpu_node(void)
{
	return 0;
}

static int fake_bind(void *va, size_t len, int node)
{
	if (g_nbinds == MAXB)
		return -ENOMEM;
	g_binds[g_nbinds].va = (uintptr_t)va;
	g_binds[g_nbinds].len = len;
	g_binds[g_nbinds++].node = node;
	return 0;
}

/* where the fake put a page: the node of the bind that covered it (last wins) */
static int fake_node_of(const void *va)
{
	for (int i = g_nbinds - 1; i >= 0; i--)
		if ((uintptr_t)va - g_binds[i].va < g_binds[i].len)
			return g_binds[i].node;
	return -ENOENT;
}

static const struct eal_topology g_two_nodes = {
	.name = "fake-2-node",
	.nr_nodes = fake_nodes,
	.cpu_node = fake_cpu_node,
	.bind = fake_bind,
	.node_of = fake_node_of,
};

/* a topology that puts every page on node 0 whatever was asked */
static int wrong_node_of(const void *va)
{
	(void)va;
	return 0;
}

static const struct eal_topology g_liar = {
	.name = "liar",
	.nr_nodes = fake_nodes,
	.cpu_node = fake_cpu_node,
	.bind = fake_bind,
	.node_of = wrong_node_of,
};

static void test_two_nodes(void **state)
{
	struct udma_device *d0, *d1;
	udma_addr_t h0, h1;
	uint8_t *p0, *p1, back[64];

	(void)state;
	g_nbinds = 0;
	eal_topology_inject(&g_two_nodes);
	assert_true(t_init_args("--iova-mode=sim", "--no-huge", "--socket-mem=4,4", "--log-level=2",
				NULL) >= 0);
	assert_int_equal(udma_numa_node_count(), 2);
	assert_true(g_nbinds >= 2); /* every chunk was bound before it was touched */
	d0 = udma_device_create("n0", NULL, 0);
	d1 = udma_device_create("n1", NULL, 1);
	assert_non_null(d0);
	assert_non_null(d1);
	assert_null(udma_device_create("n2", NULL, 2));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(udma_device_numa_node(d1), 1);
	p0 = udma_alloc_coherent(d0, 8192, &h0, UDMA_GFP_ATOMIC);
	p1 = udma_alloc_coherent(d1, 8192, &h1, UDMA_GFP_ATOMIC);
	assert_non_null(p0);
	assert_non_null(p1);
	assert_int_equal(udma_virt2node(p0), 0);
	assert_int_equal(udma_virt2node(p1), 1);
	/* both nodes were asked for, before any page was touched */
	int asked[2] = {0, 0};

	for (int i = 0; i < g_nbinds; i++)
		asked[g_binds[i].node]++;
	assert_true(asked[0] > 0 && asked[1] > 0);
	/* the device still reaches its memory */
	t_fill(p1, sizeof(back), 9);
	assert_int_equal(udma_sim_dma_read(d1, h1, back, sizeof(back)), 0);
	assert_true(t_check(back, sizeof(back), 9));
	/* growth for a KERNEL caller lands on the device's node too */
	uint8_t *big = udma_alloc_coherent(d1, 16 << 20, &h1, UDMA_GFP_KERNEL);

	assert_non_null(big);
	assert_int_equal(udma_virt2node(big), 1);
	udma_free_coherent(d1, 16 << 20, big, h1);
	udma_free_coherent(d0, 8192, p0, h0);
	udma_free_coherent(d1, 8192, p1, udma_virt2iova(p1));
	udma_device_destroy(d0);
	udma_device_destroy(d1);
	assert_int_equal(udma_eal_cleanup(), 0);
	eal_topology_inject(NULL);
}

static void test_placement_verified(void **state)
{
	(void)state;
	g_nbinds = 0;
	eal_topology_inject(&g_liar);
	/* node 1 memory that lands on node 0 is refused, init fails cleanly */
	assert_true(t_init_args("--iova-mode=sim", "--no-huge", "--socket-mem=0,4", "--log-level=2",
				NULL) < 0);
	assert_false(udma_eal_initialized());
	eal_topology_inject(NULL);
	assert_true(t_init_args("--iova-mode=sim", "-m", "4", "--log-level=2", NULL) >= 0);
	assert_true(udma_numa_node_count() >= 1);
	assert_int_equal(udma_eal_cleanup(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_placement_verified),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
