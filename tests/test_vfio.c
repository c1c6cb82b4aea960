/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio backend against a fake of the kernel's VFIO ioctl interface (this
 * kernel has neither an IOMMU nor VFIO). The fake checks what the real type1 driver
 * checks — API version, extension, group viability and attachment order, argsz,
 * flags, alignment, overlap, whole-mapping unmap — and records the DMA mappings.
 */
#include <linux/vfio.h>

#include "test_common.h"

#include "iova_vfio.h"

#define CONTAINER 1000
#define GROUP 1007
#define MAXMAP 256

static struct {
	int api, type1v2, viable, map_errno;
	int open_fds, attached, iommu_set;
	struct { uint64_t iova, size; } map[MAXMAP];
	int nmap, maps_made, unmaps_made;
} F;

static void fake_reset(void)
{
	memset(&F, 0, sizeof(F));
	F.type1v2 = 1;
	F.viable = 1;
}

static int fake_open(const char *path, int flags)
{
	(void)flags;
	if (strcmp(path, "/dev/vfio/vfio") == 0) {
		F.open_fds++;
		return CONTAINER;
	}
	if (strcmp(path, "/dev/vfio/7") == 0) {
		F.open_fds++;
		return GROUP;
	}
	errno = ENOENT;
	return -1;
}

static int fake_close(int fd)
{
	F.open_fds--;
	if (fd == CONTAINER) { /* the kernel drops every mapping with the container */
		F.nmap = 0;
		F.iommu_set = 0;
	}
	if (fd == GROUP)
		F.attached = 0;
	return 0;
}

static int fake_fail(int e)
{
	errno = e;
	return -1;
}

static int map_dma(struct vfio_iommu_type1_dma_map *m)
{
	if (!F.iommu_set || m->argsz < sizeof(*m))
		return fake_fail(EINVAL);
	if (m->flags != (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) || m->size == 0 ||
	    (m->iova | m->vaddr | m->size) & 4095)
		return fake_fail(EINVAL);
	if (F.map_errno)
		return fake_fail(F.map_errno);
	for (int i = 0; i < F.nmap; i++)
		if (m->iova < F.map[i].iova + F.map[i].size && F.map[i].iova < m->iova + m->size)
			return fake_fail(EEXIST);
	if (F.nmap == MAXMAP)
		return fake_fail(ENOSPC);
	assert_int_equal(m->vaddr, m->iova); /* udma maps IOVA = VA */
	F.map[F.nmap].iova = m->iova;
	F.map[F.nmap++].size = m->size;
	F.maps_made++;
	return 0;
}

static int unmap_dma(struct vfio_iommu_type1_dma_unmap *u)
{
	int kept = 0;

	if (!F.iommu_set || u->argsz < sizeof(*u))
		return fake_fail(EINVAL);
	for (int i = 0; i < F.nmap; i++) {
		bool inside = F.map[i].iova >= u->iova &&
			      F.map[i].iova + F.map[i].size <= u->iova + u->size;
		bool overlap = F.map[i].iova < u->iova + u->size &&
			       u->iova < F.map[i].iova + F.map[i].size;

		if (overlap && !inside)
			return fake_fail(EINVAL); /* type1v2: no splitting a mapping */
		if (!inside)
			F.map[kept++] = F.map[i];
	}
	F.nmap = kept;
	F.unmaps_made++;
	return 0;
}

static int fake_ioctl(int fd, unsigned long req, uintptr_t arg)
{
	if (fd == CONTAINER && req == VFIO_GET_API_VERSION)
		return F.api;
	if (fd == CONTAINER && req == VFIO_CHECK_EXTENSION)
		return arg == VFIO_TYPE1v2_IOMMU ? F.type1v2 : 0;
	if (fd == GROUP && req == VFIO_GROUP_GET_STATUS) {
		struct vfio_group_status *st = (void *)arg;

		if (st->argsz < sizeof(*st))
			return fake_fail(EINVAL);
		st->flags = F.viable ? VFIO_GROUP_FLAGS_VIABLE : 0;
		return 0;
	}
	if (fd == GROUP && req == VFIO_GROUP_SET_CONTAINER) {
		if (*(int *)arg != CONTAINER || !F.viable)
			return fake_fail(EINVAL);
		F.attached = 1;
		return 0;
	}
	if (fd == CONTAINER && req == VFIO_SET_IOMMU) {
		if (!F.attached || arg != VFIO_TYPE1v2_IOMMU)
			return fake_fail(EINVAL); /* the kernel needs a group first */
		F.iommu_set = 1;
		return 0;
	}
	if (fd == CONTAINER && req == VFIO_IOMMU_MAP_DMA)
		return map_dma((void *)arg);
	if (fd == CONTAINER && req == VFIO_IOMMU_UNMAP_DMA)
		return unmap_dma((void *)arg);
	return fake_fail(ENOTTY);
}

static const struct vfio_sys g_fake = {fake_open, fake_ioctl, fake_close};

/* is every page of [va, va+len) inside a recorded DMA mapping (adjacent ones count)? */
static bool mapped(const void *va, size_t len)
{
	uint64_t first = (uintptr_t)va & ~4095ULL, end = (uintptr_t)va + len;

	for (uint64_t a = first; a < end; a += 4096) {
		bool hit = false;

		for (int i = 0; i < F.nmap && !hit; i++)
			hit = a >= F.map[i].iova && a + 4096 <= F.map[i].iova + F.map[i].size;
		if (!hit)
			return false;
	}
	return true;
}

static int setup(void **s)
{
	(void)s;
	fake_reset();
	vfio_sys_inject(&g_fake);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	vfio_sys_inject(NULL);
	return 0;
}

static void test_vfio_mode(void **s)
{
	struct udma_device *d;
	uint8_t *p, *foreign = aligned_alloc(4096, 16384), back[64];
	udma_addr_t h, a;
	int maps;

	(void)s;
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "8",
				"--swiotlb-size=2", "--log-level=2", NULL) >= 0);
	assert_int_equal(udma_iova_mode(), UDMA_IOVA_VFIO);
	assert_true(F.maps_made >= 1); /* memsegs and the bounce region are in the IOMMU */
	d = t_dev64("vfdev");
	p = udma_alloc_coherent(d, 8192, &h, UDMA_GFP_KERNEL);
	assert_int_equal(h, (udma_addr_t)(uintptr_t)p); /* IOVA = VA */
	assert_true(mapped(p, 8192));
	t_fill(p, 64, 3);
	assert_int_equal(udma_sim_dma_read(d, h, back, 64), 0);
	assert_true(t_check(back, 64, 3));
	/* growth maps the new chunk */
	maps = F.maps_made;
	uint8_t *big = udma_alloc_coherent(d, 16 << 20, &h, UDMA_GFP_KERNEL);

	assert_non_null(big);
	assert_true(F.maps_made > maps);
	assert_true(mapped(big, 16 << 20));
	udma_free_coherent(d, 16 << 20, big, h);
	/* streaming: foreign memory bounces into a slot the IOMMU maps */
	t_fill(foreign, 4096, 4);
	a = udma_map_single(d, foreign, 4096, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(d, a));
	assert_true(mapped((void *)(uintptr_t)a, 4096));
	assert_int_equal(udma_sim_dma_read(d, a, back, 64), 0);
	assert_true(t_check(back, 64, 4));
	udma_unmap_single(d, a, 4096, UDMA_TO_DEVICE);
	/* registration maps the region at IOVA = VA, unregistration unmaps it */
	assert_int_equal(udma_mem_register(foreign, 16384), 0);
	assert_true(mapped(foreign, 16384));
	a = udma_map_single(d, foreign + 4096, 64, UDMA_TO_DEVICE);
	assert_int_equal(a, (udma_addr_t)(uintptr_t)(foreign + 4096));
	udma_unmap_single(d, a, 64, UDMA_TO_DEVICE);
	assert_int_equal(udma_mem_unregister(foreign, 16384), 0);
	assert_false(mapped(foreign, 16384));
	udma_free_coherent(d, 8192, p, udma_virt2iova(p));
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.open_fds, 0); /* container and group closed */
	assert_int_equal(F.nmap, 0);
	free(foreign);
}

static void test_auto_prefers_vfio(void **s)
{
	(void)s;
	assert_true(t_init_args("--iova-mode=auto", "--vfio-group=7", "--no-huge", "-m", "4",
				"--log-level=2", NULL) >= 0);
	assert_int_equal(udma_iova_mode(), UDMA_IOVA_VFIO);
	assert_non_null(strstr(udma_iova_mode_reason(), "vfio"));
	assert_int_equal(udma_eal_cleanup(), 0);
}

/* each broken step of the kernel side: init fails cleanly, nothing left open */
static void test_failures(void **s)
{
	(void)s;
	F.api = 1; /* wrong API version */
	assert_int_equal(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				     "--log-level=2", NULL), -ENODEV);
	assert_int_equal(F.open_fds, 0);
	fake_reset();
	F.viable = 0;
	assert_int_equal(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				     "--log-level=2", NULL), -ENODEV);
	assert_int_equal(F.open_fds, 0);
	fake_reset();
	F.type1v2 = 0;
	assert_int_equal(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				     "--log-level=2", NULL), -ENODEV);
	fake_reset();
	F.map_errno = ENOMEM; /* the IOMMU refuses the memory */
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--log-level=2", NULL) < 0);
	assert_int_equal(F.open_fds, 0);
	assert_false(udma_eal_initialized());
	fake_reset();
	/* no such group */
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=8", "--no-huge", "-m", "4",
				"--log-level=2", NULL) < 0);
	assert_int_equal(F.open_fds, 0);
	/* and a valid init still works afterwards */
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--log-level=2", NULL) >= 0);
	assert_int_equal(udma_eal_cleanup(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vfio_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_prefers_vfio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
