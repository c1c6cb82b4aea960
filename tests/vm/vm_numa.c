/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NUMA placement on the real nodes of the running kernel, checked with
 * move_pages(2) in query mode (the kernel says where each page is, nothing moves):
 * --socket-mem with a share on every node, with hugepages and with --no-huge, and
 * coherent memory of a device on each node. In the guest there are two nodes; on a
 * one-node host the same checks run on node 0.
 *
 * usage: vm_numa [PCI-ADDR]   with a PCI function's address, udma_pci opens it
 * (sysfs, pa mode): its udma_device is on the function's node and gets its
 * coherent memory there.
 */
#include <numa.h>
#include <numaif.h>

#include "test_common.h"
#include "udma_pci.h"

static const char *g_pci_addr;

static int nodes(void)
{
	return numa_available() < 0 ? 1 : numa_max_node() + 1;
}

/* node of each page of [va, va + len), from move_pages(2) with nodes = NULL */
static void assert_on_node(const void *va, size_t len, int node)
{
	size_t n = (len + 4095) / 4096;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	assert_non_null(pages);
	assert_non_null(status);
	for (size_t i = 0; i < n; i++)
		pages[i] = (uint8_t *)((uintptr_t)va & ~4095UL) + i * 4096;
	assert_int_equal(move_pages(0, n, pages, NULL, status, 0), 0);
	for (size_t i = 0; i < n; i++) {
		if (status[i] != node)
			fail_msg("page %zu of %p: on node %d, expected %d", i, va, status[i], node);
	}
	free(pages);
	free(status);
}

/* --socket-mem=16 on each node (plus @extra), then coherent memory from a device on
 * each node: every page where it was asked for, and udma_virt2node agrees */
static void socket_mem_run(const char *extra)
{
	char sm[64] = "--socket-mem=";
	int n = nodes();

	for (int i = 0; i < n; i++)
		strcat(sm, i ? ",16" : "16");
	if (extra)
		assert_true(t_init_args("--iova-mode=va", sm, extra, "--log-level=4", NULL) >= 0);
	else
		assert_true(t_init_args("--iova-mode=va", sm, "--log-level=4", NULL) >= 0);
	assert_int_equal(udma_numa_node_count(), n);
	for (int i = 0; i < n; i++) {
		char name[16];
		struct udma_device *d;
		udma_addr_t h;
		void *p;

		snprintf(name, sizeof(name), "node%d", i);
		d = udma_device_create(name, NULL, i);
		assert_non_null(d);
		assert_int_equal(udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64)), 0);
		p = udma_alloc_coherent(d, 2 << 20, &h, UDMA_GFP_KERNEL);
		assert_non_null(p);
		memset(p, 0x5a, 2 << 20);
		assert_on_node(p, 2 << 20, i);
		assert_int_equal(udma_virt2node(p), i);
		udma_free_coherent(d, 2 << 20, p, h);
		udma_device_destroy(d);
	}
	udma_eal_cleanup();
}

static void test_socket_mem_huge(void **state)
{
	(void)state;
	if (!t_pa_possible())
		skip(); /* no free hugepages, not root */
	socket_mem_run(NULL);
}

static void test_socket_mem_no_huge(void **state)
{
	(void)state;
	socket_mem_run("--no-huge");
}

static long hp_read(int node, const char *what)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/%s",
		 node, what);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int hp_write(int node, long v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/nr_hugepages", node);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%ld\n", v);
	return fclose(f);
}

/* node 1 short of hugepages while node 0 has plenty: init fails and names node 1;
 * it never takes node 0's pages for node 1's share */
static void test_socket_mem_short_node(void **state)
{
	long nr1 = hp_read(1, "nr_hugepages"), free1 = hp_read(1, "free_hugepages");
	struct t_log l;
	char *txt;
	int ret;

	(void)state;
	if (nodes() < 2 || !t_pa_possible() || nr1 < 0 || hp_read(0, "free_hugepages") < 64)
		skip(); /* one node, or no hugepages to play with */
	/* leave node 1 with 8 free pages (16 MiB) and ask it for 64 MiB */
	assert_int_equal(hp_write(1, nr1 - free1 + 8), 0);
	t_log_begin(&l);
	ret = t_init_args("--iova-mode=va", "--socket-mem=16,64", NULL);
	txt = t_log_end(&l);
	assert_int_equal(hp_write(1, nr1), 0);
	printf("%s", txt);
	assert_true(ret < 0);
	assert_false(udma_eal_initialized());
	assert_non_null(strstr(txt, "on node 1"));
	free(txt);
}

/* the thread's own memory policy is what it was before init */
static void test_policy_restored(void **state)
{
	int mode = -1;
	unsigned long mask[16] = {0};

	(void)state;
	assert_int_equal(get_mempolicy(&mode, mask, sizeof(mask) * 8, NULL, 0), 0);
	assert_int_equal(mode, MPOL_DEFAULT);
	socket_mem_run("--no-huge");
	assert_int_equal(get_mempolicy(&mode, mask, sizeof(mask) * 8, NULL, 0), 0);
	assert_int_equal(mode, MPOL_DEFAULT);
}

/* a PCI function's node (sysfs, through udma_pci): its device's coherent memory sits there */
static void test_device_node(void **state)
{
	char sm[64] = "--socket-mem=";
	struct udma_pci_device *pdev;
	struct udma_pci_info info;
	struct udma_device *d;
	udma_addr_t h;
	void *p;

	(void)state;
	if (g_pci_addr == NULL || !t_pa_possible())
		skip();
	/* memory on every node (the heap prefers the device's node and falls back to
	 * another's free memory before it grows, as alloc_pages_node does) */
	for (int i = 0; i < nodes(); i++)
		strcat(sm, i ? ",4" : "4");
	assert_true(t_init_args("--iova-mode=pa", sm, "--log-level=5", NULL) >= 0);
	pdev = udma_pci_open(g_pci_addr, UDMA_PCI_ACCESS_SYSFS);
	assert_non_null(pdev);
	assert_int_equal(udma_pci_info(pdev, &info), 0);
	printf("%s is on node %d\n", info.addr, info.numa_node);
	assert_true(info.numa_node >= 0 && info.numa_node < nodes());
	d = udma_pci_dma_device(pdev);
	assert_int_equal(udma_device_numa_node(d), info.numa_node);
	assert_int_equal(udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64)), 0);
	p = udma_alloc_coherent(d, 1 << 20, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	assert_on_node(p, 1 << 20, info.numa_node);
	udma_free_coherent(d, 1 << 20, p, h);
	udma_pci_close(pdev);
	udma_eal_cleanup();
}

/* a failed check leaves udma initialised: the next test starts clean */
static int teardown(void **state)
{
	(void)state;
	if (udma_eal_initialized())
		udma_eal_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_socket_mem_huge, teardown),
		cmocka_unit_test_teardown(test_socket_mem_no_huge, teardown),
		cmocka_unit_test_teardown(test_policy_restored, teardown),
		cmocka_unit_test_teardown(test_socket_mem_short_node, teardown),
		cmocka_unit_test_teardown(test_device_node, teardown),
	};

	g_pci_addr = argc > 1 ? argv[1] : NULL;
	printf("NUMA nodes: %d\n", nodes());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
