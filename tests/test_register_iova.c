/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What libudma_dpdk builds on, tested without DPDK. udma_thread_register_id():
 * a framework's lcore id becomes udma's. udma_mem_register_iova(): memory another framework pins and translates (DPDK's
 * memsegs) is mapped at the IOVA it gives, without a bounce, and the device model
 * reaches it there; bad arguments are refused with one log line.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "test_common.h"

#define LEN (64 * 1024UL)
#define FAKE_IOVA 0x7f1200000000ULL /* va mode: any IOVA the owner's IOMMU would give */

static void *t_buf(void)
{
	void *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(mlock(p, LEN), 0); /* the owner pins it */
	return p;
}

/* va: the given IOVA is what maps return, what udma_virt2iova says, where the device reads */
static void test_given_iova_va(void **state)
{
	struct udma_swiotlb_stats s0, s1;
	struct udma_device *dev;
	uint8_t out[256];
	uint8_t *p;
	udma_addr_t h;

	(void)state;
	t_init_mode(T_VA, "16");
	dev = t_dev64("reg_iova");
	p = t_buf();
	t_fill(p, LEN, 3);
	assert_int_equal(udma_swiotlb_stats(&s0), 0);
	assert_int_equal(udma_mem_register_iova(p, LEN, FAKE_IOVA, 4096), 0);
	assert_int_equal(udma_virt2iova(p + 5000), FAKE_IOVA + 5000);
	h = udma_map_single(dev, p + 4000, 8000, UDMA_TO_DEVICE);
	assert_int_equal(h, FAKE_IOVA + 4000);
	assert_int_equal(udma_swiotlb_stats(&s1), 0);
	assert_int_equal(s1.bounces, s0.bounces); /* translated, not bounced */
	/* the device reads the buffer's bytes at the given IOVA */
	assert_int_equal(udma_sim_dma_read(dev, h + 100, out, sizeof(out)), 0);
	assert_memory_equal(out, p + 4100, sizeof(out));
	/* and writes land in it */
	memset(out, 0xa5, sizeof(out));
	udma_unmap_single(dev, h, 8000, UDMA_TO_DEVICE);
	h = udma_map_single(dev, p + 8192, 4096, UDMA_FROM_DEVICE);
	assert_int_equal(h, FAKE_IOVA + 8192);
	assert_int_equal(udma_sim_dma_write(dev, h, out, sizeof(out)), 0);
	udma_unmap_single(dev, h, 4096, UDMA_FROM_DEVICE);
	assert_memory_equal(p + 8192, out, sizeof(out));
	assert_int_equal(udma_mem_unregister(p, LEN), 0);
	assert_int_equal(udma_virt2iova(p), UDMA_MAPPING_ERROR);
	/* udma did not unpin the owner's memory: still locked (VmLck unchanged is the
	 * owner's business; the mapping must still be usable) */
	p[0] = 1;
	munmap(p, LEN);
	udma_device_destroy(dev);
	udma_eal_cleanup();
}

/* bad input: -EINVAL / -EBUSY / -ENOTSUP, one line each, nothing registered lost */
static void test_bad_args(void **state)
{
	struct t_log log;
	uint8_t *p;
	char *text;

	(void)state;
	p = t_buf();
	assert_int_equal(udma_mem_register_iova(p, LEN, FAKE_IOVA, 4096), -EINVAL); /* no init */
	t_init_mode(T_VA, "16");
	assert_int_equal(udma_mem_register_iova(p, LEN, FAKE_IOVA, 4096), 0);
	t_log_begin(&log);
	assert_int_equal(udma_mem_register_iova(NULL, LEN, FAKE_IOVA, 4096), -EINVAL);
	assert_int_equal(udma_mem_register_iova(p, 0, FAKE_IOVA, 4096), -EINVAL);
	assert_int_equal(udma_mem_register_iova(p + 1, 4096, FAKE_IOVA, 4096), -EINVAL);
	assert_int_equal(udma_mem_register_iova(p, 4095, FAKE_IOVA, 4096), -EINVAL);
	assert_int_equal(udma_mem_register_iova(p, 4096, FAKE_IOVA + 8, 4096), -EINVAL);
	assert_int_equal(udma_mem_register_iova(p, 4096, FAKE_IOVA, 3000), -EINVAL);
	assert_int_equal(udma_mem_register_iova(p, 4096, FAKE_IOVA, 2048), -EINVAL);
	assert_int_equal(udma_mem_register_iova(p, 8192, UINT64_MAX - 4095, 4096), -EINVAL);
	assert_int_equal(udma_mem_register_iova(p, 4096, UDMA_MAPPING_ERROR, 4096), -EINVAL);
	assert_int_equal(udma_mem_register_iova((void *)(UINTPTR_MAX - 4095), 8192, 0, 4096),
			 -EINVAL);
	/* overlaps the registration already there */
	assert_int_equal(udma_mem_register_iova(p + 4096, 4096, FAKE_IOVA, 4096), -EBUSY);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "\n"), 11);
	free(text);
	/* the first registration is intact */
	assert_int_equal(udma_virt2iova(p + 4096 * 3 + 7), FAKE_IOVA + 4096 * 3 + 7);
	assert_int_equal(udma_mem_unregister(p, LEN), 0);
	udma_eal_cleanup();

	/* sim: its IOMMU gives IOVAs, a caller's IOVA means nothing there */
	t_init_mode(T_SIM, "16");
	t_log_begin(&log);
	assert_int_equal(udma_mem_register_iova(p, LEN, FAKE_IOVA, 4096), -ENOTSUP);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "\n"), 1);
	free(text);
	udma_eal_cleanup();
	munmap(p, LEN);
}

static void *claim_1(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)udma_thread_register_id(1);
}

static void *claim_1_keep(void *arg)
{
	intptr_t ret = udma_thread_register_id(1);

	/* say it holds the slot (1), hold it until told to go (2) */
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n((int *)arg, __ATOMIC_ACQUIRE) != 2)
		usleep(1000);
	udma_thread_unregister();
	return (void *)ret;
}

static void test_thread_register_id(void **state)
{
	struct t_log log;
	pthread_t t, keep;
	void *ret;
	int go = 0;
	char *text;

	(void)state;
	assert_int_equal(udma_thread_register_id(0), -ENODEV);
	assert_true(t_init_args("--iova-mode=sim", "-m", "16", "--lcores=4", "--log-level=2",
				NULL) >= 0);
	/* the init thread is lcore 0 already */
	assert_int_equal(udma_thread_register_id(0), 0);
	t_log_begin(&log);
	assert_int_equal(udma_thread_register_id(4), -EINVAL);
	assert_int_equal(udma_thread_register_id(~0u), -EINVAL);
	text = t_log_end(&log);
	assert_int_equal(t_count(text, "\n"), 2);
	free(text);
	assert_int_equal(udma_thread_register_id(2), -EALREADY);
	assert_int_equal(udma_lcore_id(), 0);
	/* another thread takes slot 1 exactly; a third cannot while it holds it */
	assert_int_equal(pthread_create(&keep, NULL, claim_1_keep, &go), 0);
	while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) != 1)
		usleep(1000);
	assert_int_equal(pthread_create(&t, NULL, claim_1, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((intptr_t)ret, -EBUSY);
	__atomic_store_n(&go, 2, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(keep, &ret), 0);
	assert_int_equal((intptr_t)ret, 1);
	/* given back: free again */
	assert_int_equal(pthread_create(&t, NULL, claim_1, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((intptr_t)ret, 1);
	udma_eal_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_given_iova_va),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_thread_register_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
