/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio backend against a fake of the kernel's VFIO interface (fake_vfio.h:
 * this kernel has neither an IOMMU nor VFIO). The fake checks what the real
 * type1 driver checks and records the DMA mappings; a device behind it reads
 * and writes through those mappings (fv_dev_read/fv_dev_write).
 */

#include "test_common.h"

#include "eal_private.h"
#include "fake_vfio.h"
#include "udma_vfio_pvt.h"

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
	F.g[0].viable = 0;
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
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=9", "--no-huge", "-m", "4",
				"--log-level=2", NULL) < 0);
	assert_int_equal(F.open_fds, 0);
	/* and a valid init still works afterwards */
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--log-level=2", NULL) >= 0);
	assert_int_equal(udma_eal_cleanup(), 0);
}


/* the model a 48-bit aperture without holes gets: IOVA = VA, and why */
static void test_model_va_reason(void **s)
{
	(void)s;
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--log-level=2", NULL) >= 0);
	assert_non_null(strstr(udma_iova_mode_reason(), "IOVA = VA"));
	assert_non_null(strstr(udma_iova_mode_reason(), "0xffffffffffff]")); /* the range read */
	assert_true(F.info_calls >= 2); /* a size query, then the chain */
	assert_int_equal(udma_vfio_container_fd(), FV_CONTAINER);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(udma_vfio_container_fd(), -1);
}

/*
 * Defect (issue 10): a 39-bit VT-d aperture, heap memory registered. Before the
 * aperture was read, udma mapped the region at IOVA = VA (0x55..., 47 bits) and
 * VFIO_IOMMU_MAP_DMA said EINVAL. Now every memseg chunk and the region get IOVAs
 * inside the aperture, and a device behind the IOMMU reads the right bytes.
 */
static void test_aperture_39(void **s)
{
	struct udma_device *d;
	uint8_t *heap = aligned_alloc(4096, 16384), *p, back[256];
	udma_addr_t h, a;
	int maps;

	(void)s;
	fake_aperture_vtd(39);
	assert_true((uintptr_t)heap > (1ULL << 39)); /* glibc heap: above a 39-bit aperture */
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "8",
				"--swiotlb-size=2", "--log-level=2", NULL) >= 0);
	assert_non_null(strstr(udma_iova_mode_reason(), "allocated IOVAs"));
	assert_non_null(strstr(udma_iova_mode_reason(), "0x7fffffffff]"));
	for (int i = 0; i < F.nmap; i++) /* every mapping inside the aperture */
		assert_true(fv_in_aperture(F.map[i].iova, F.map[i].size));
	d = t_dev64("vf39");
	/* the defect: registered heap memory (above 2^39) gets an allocated IOVA inside the
	 * aperture; before, MAP_DMA at IOVA = VA answered EINVAL */
	assert_int_equal(udma_mem_register(heap, 16384), 0);
	a = udma_map_single(d, heap + 4096, 256, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(d, a));
	assert_true(a != (udma_addr_t)(uintptr_t)(heap + 4096) && a + 255 < (1ULL << 39));
	assert_ptr_equal(fv_translate(a, 256), heap + 4096);
	t_fill(heap + 4096, 256, 7);
	assert_int_equal(fv_dev_read(a, back, 256), 0);
	assert_true(t_check(back, 256, 7));
	assert_int_equal(udma_sim_dma_read(d, a, back, 256), 0); /* udma's own reverse map agrees */
	assert_true(t_check(back, 256, 7));
	udma_unmap_single(d, a, 256, UDMA_TO_DEVICE);
	assert_int_equal(udma_mem_unregister(heap, 16384), 0);
	assert_null(fv_translate(a, 256)); /* unmapped from the IOMMU */
	p = udma_alloc_coherent(d, 8192, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	assert_true(h != (udma_addr_t)(uintptr_t)p && h + 8191 < (1ULL << 39));
	assert_ptr_equal(fv_translate(h, 8192), p); /* the IOMMU maps the handle to p */
	t_fill(p, 256, 5);
	assert_int_equal(fv_dev_read(h, back, 256), 0);
	assert_true(t_check(back, 256, 5));
	assert_ptr_equal(udma_iova2virt(h), p);
	/* streaming maps of memseg memory make no VFIO call: the chunk is mapped already */
	maps = F.maps_made;
	a = udma_map_single(d, p + 4096, 512, UDMA_FROM_DEVICE);
	assert_int_equal(a, h + 4096);
	t_fill(back, 256, 6);
	assert_int_equal(fv_dev_write(a, back, 256), 0);
	udma_unmap_single(d, a, 512, UDMA_FROM_DEVICE);
	assert_true(t_check(p + 4096, 256, 6));
	assert_int_equal(F.maps_made, maps);
	/* growth maps a new chunk once, inside the aperture */
	maps = F.maps_made;
	uint8_t *big = udma_alloc_coherent(d, 8 << 20, &h, UDMA_GFP_KERNEL);

	assert_non_null(big);
	assert_true(F.maps_made > maps);
	assert_true(fv_maps_to(h, big, 8 << 20)); /* maybe across two chunks */
	udma_free_coherent(d, 8 << 20, big, h);
	udma_free_coherent(d, 8192, p, udma_virt2iova(p));
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.open_fds, 0);
	assert_int_equal(F.nmap, 0);
	free(heap);
}

/* a device with a 28-bit mask (QEMU edu's default) through vfio */
static void test_mask_28(void **s)
{
	struct udma_device *d;
	uint8_t *p, *heap = aligned_alloc(4096, 8192), back[128];
	udma_addr_t h, a;

	(void)s;
	fake_aperture_vtd(48);
	/* the MSI hole splits the aperture: the 1 TiB memseg reservation cannot be IOVA = VA */
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--vfio-dma-mask=28",
				"--no-huge", "-m", "8", "--swiotlb-size=2", "--log-level=2",
				NULL) >= 0);
	assert_non_null(strstr(udma_iova_mode_reason(), "allocated IOVAs"));
	d = udma_device_create("edu28", NULL, -1);
	assert_non_null(d);
	assert_int_equal(udma_set_mask_and_coherent(d, UDMA_BIT_MASK(28)), 0);
	p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);
	assert_non_null(p);
	assert_true(h + 4095 <= UDMA_BIT_MASK(28));
	t_fill(p, 128, 8);
	assert_int_equal(fv_dev_read(h, back, 128), 0);
	assert_true(t_check(back, 128, 8));
	/* registered memory: under the mask too */
	assert_int_equal(udma_mem_register(heap, 8192), 0);
	t_fill(heap, 128, 9);
	a = udma_map_single(d, heap, 128, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(d, a));
	assert_true(a + 127 <= UDMA_BIT_MASK(28));
	assert_int_equal(fv_dev_read(a, back, 128), 0);
	assert_true(t_check(back, 128, 9));
	udma_unmap_single(d, a, 128, UDMA_TO_DEVICE);
	assert_int_equal(udma_mem_unregister(heap, 8192), 0);
	/* foreign memory bounces into a slot the 28-bit device reaches */
	t_fill(back, 128, 10);
	a = udma_map_single(d, back, 128, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(d, a));
	assert_true(a + 127 <= UDMA_BIT_MASK(28));
	memset(heap, 0, 128);
	assert_int_equal(fv_dev_read(a, heap, 128), 0);
	assert_true(t_check(heap, 128, 10));
	udma_unmap_single(d, a, 128, UDMA_TO_DEVICE);
	udma_free_coherent(d, 4096, p, h);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
	free(heap);
}

/* an IOVA = VA model cannot serve a 28-bit device: it is refused, and says so */
static void test_mask_28_va_refused(void **s)
{
	struct udma_device *d;

	(void)s;
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--log-level=2", NULL) >= 0);
	assert_non_null(strstr(udma_iova_mode_reason(), "IOVA = VA"));
	d = udma_device_create("edu28", NULL, -1);
	assert_int_equal(udma_set_mask(d, UDMA_BIT_MASK(28)), -EIO);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/* a kernel without the capability chain (before 5.4): a 64-bit aperture assumed */
static void test_no_caps(void **s)
{
	(void)s;
	F.caps = 0;
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--log-level=2", NULL) >= 0);
	assert_non_null(strstr(udma_iova_mode_reason(), "IOVA = VA"));
	assert_non_null(strstr(udma_iova_mode_reason(), "0xffffffffffffffff]"));
	assert_int_equal(udma_eal_cleanup(), 0);
}

/* DMA_AVAIL: the container's mapping limit reached says what to raise */
static void test_dma_avail(void **s)
{
	struct t_log l;
	char *text;
	char *dbuf;
	int ret;

	(void)s;
	F.dma_avail = 3;
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "2",
				"--swiotlb-size=1", "--log-level=2", NULL) >= 0);
	dbuf = t_dump();
	assert_non_null(strstr(dbuf, "more available"));
	free(dbuf);
	t_log_begin(&l);
	for (ret = 0; ret == 0 && F.dma_avail > 0;) {
		struct udma_device *d = t_dev64("grow");
		udma_addr_t h;
		void *p = udma_alloc_coherent(d, 4 << 20, &h, UDMA_GFP_KERNEL);

		ret = p ? 0 : -1;
		/* left allocated on purpose: the next one must grow */
		udma_device_destroy(d);
	}
	{
		struct udma_device *d = t_dev64("grow");
		udma_addr_t h;

		assert_null(udma_alloc_coherent(d, 4 << 20, &h, UDMA_GFP_KERNEL));
		udma_device_destroy(d);
	}
	text = t_log_end(&l);
	assert_non_null(strstr(text, "dma_entry_limit"));
	free(text);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.nmap, 0);
}

/* the application's container (DPDK's): used, never closed, left as found */
static void test_external_container(void **s)
{
	int fd;

	(void)s;
	assert_int_equal(udma_vfio_set_container(-2), -EINVAL);
	fd = fake_open("/dev/vfio/vfio", O_RDWR); /* stands for the application's */
	assert_int_equal(fd, FV_CONTAINER);
	assert_int_equal(udma_vfio_set_container(fd), 0);
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--log-level=2", NULL) >= 0);
	assert_int_equal(udma_vfio_set_container(-1), -EBUSY);
	assert_int_equal(udma_vfio_container_fd(), fd);
	assert_true(F.nmap > 0);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.open_fds, 1); /* the container stays open */
	assert_int_equal(F.nmap, 0);     /* and holds nothing of udma's */
	assert_int_equal(udma_vfio_set_container(-1), 0);
	fake_close(fd);
}

/* IOVA = VA for the memsegs, but registered memory above the aperture is allocated
 * an IOVA that stays clear of the memseg reservation */
static void test_va_model_register_above(void **s)
{
	struct udma_device *d;
	uint8_t *reg, back[64];
	uint64_t top;
	udma_addr_t a;

	(void)s;
	/* where does the memseg reservation land in this build (ASan moves it)? */
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "2",
				"--swiotlb-size=1", "--log-level=2", NULL) >= 0);
	top = g_mem.va_base + g_mem.va_len - 1;
	assert_int_equal(udma_eal_cleanup(), 0);
	top = UDMA_BIT_MASK(64 - __builtin_clzll(top)); /* an aperture that just holds it */
	if (top >= (1ULL << 46))
		skip(); /* no user VA above such an aperture to register */
	reg = mmap((void *)(uintptr_t)(top + 1 + (1ULL << 30)), 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	assert_true(reg != MAP_FAILED);
	F.ranges[0][1] = top;
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--swiotlb-size=1", "--log-level=2", NULL) >= 0);
	assert_non_null(strstr(udma_iova_mode_reason(), "IOVA = VA"));
	d = t_dev64("vfva");
	assert_int_equal(udma_mem_register(reg, 8192), 0);
	a = udma_map_single(d, reg, 64, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(d, a));
	assert_true(a + 8191 <= top);
	/* not inside the memseg reservation (where IOVA = VA lives) */
	assert_true(a + 8191 < g_mem.va_base || a >= g_mem.va_base + g_mem.va_len);
	t_fill(reg, 64, 12);
	assert_int_equal(fv_dev_read(a, back, 64), 0);
	assert_true(t_check(back, 64, 12));
	udma_unmap_single(d, a, 64, UDMA_TO_DEVICE);
	assert_int_equal(udma_mem_unregister(reg, 8192), 0);
	assert_null(fv_translate(a, 64));
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
	munmap(reg, 8192);
}

/* one call: its return, and exactly one log line from it */
#define ONE_LINE(expect, call)                                                                \
	do {                                                                                  \
		struct t_log l_;                                                              \
		char *t_;                                                                     \
		t_log_begin(&l_);                                                             \
		assert_int_equal((call), (expect));                                           \
		t_ = t_log_end(&l_);                                                          \
		assert_int_equal(t_count(t_, "\n"), 1);                                       \
		free(t_);                                                                     \
	} while (0)

/* udma's count of the container's mappings is the kernel's (the fake's DMA_AVAIL) */
static void assert_count_is_kernels(size_t env_maps)
{
	struct udma_pvt_vfio_dma_stats st;

	assert_int_equal(udma_pvt_vfio_dma_stats(&st, 0), 0);
	assert_int_equal(st.avail, F.dma_avail);
	assert_int_equal(st.maps, (size_t)F.nmap);
	assert_int_equal(st.env_maps, env_maps);
}

/*
 * An environment driver's mappings (libudma_dpdk: DPDK's memory at DPDK's IOVAs)
 * go through the backend: counted against the container's limit like udma's own,
 * shown by udma_dump, never taken by udma's own unmaps, taken back at cleanup; an
 * EEXIST is told apart (udma's own mapping or IOVA space: -EEXIST; another user's:
 * 1, and udma's count re-read from the kernel).
 */
static void test_env_map(void **s)
{
	const size_t len = 4 * 4096;
	uint8_t *buf = aligned_alloc(4096, len), *other = aligned_alloc(4096, 4096), back[64];
	struct udma_pvt_vfio_dma_stats st;
	struct vfio_iommu_type1_dma_map m = {.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE};
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u)};
	udma_addr_t iova, theirs, h;
	struct udma_device *d;
	char *dbuf;
	void *c;

	(void)s;
	assert_non_null(buf);
	assert_non_null(other);
	assert_int_equal(udma_pvt_vfio_dma_map(buf, 1ULL << 40, len), -ENODEV); /* no init */
	assert_int_equal(udma_pvt_vfio_dma_stats(&st, 0), -ENODEV);
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--swiotlb-size=1", "--log-level=2", NULL) >= 0);
	/* IOVAs (DPDK's, say) above udma's memseg reservation, inside the 48-bit aperture */
	iova = (g_mem.va_base + g_mem.va_len + (2ULL << 30)) & ~((1ULL << 30) - 1);
	theirs = iova + (1ULL << 30);
	assert_true(theirs + 4096 < 1ULL << 48);
	assert_count_is_kernels(0);

	/* bad arguments: one line each, nothing mapped or counted */
	ONE_LINE(-EINVAL, udma_pvt_vfio_dma_map(NULL, iova, len));
	ONE_LINE(-EINVAL, udma_pvt_vfio_dma_map(buf + 1, iova, len));
	ONE_LINE(-EINVAL, udma_pvt_vfio_dma_map(buf, iova + 1, len));
	ONE_LINE(-EINVAL, udma_pvt_vfio_dma_map(buf, iova, 0));
	ONE_LINE(-EINVAL, udma_pvt_vfio_dma_map(buf, iova, len + 1));
	ONE_LINE(-EINVAL, udma_pvt_vfio_dma_map(buf, UINT64_MAX & ~4095ULL, len));
	ONE_LINE(-EINVAL, udma_pvt_vfio_dma_stats(NULL, 0));
	assert_count_is_kernels(0);

	/* mapped and counted: the device reaches it */
	assert_int_equal(udma_pvt_vfio_dma_map(buf, iova, len), 0);
	assert_count_is_kernels(1);
	assert_true(fv_maps_to(iova, buf, len));
	t_fill(buf + 4096, 64, 5);
	assert_int_equal(fv_dev_read(iova + 4096, back, 64), 0);
	assert_true(t_check(back, 64, 5));
	dbuf = t_dump();
	assert_non_null(strstr(dbuf, "(1 of them the environment's"));
	free(dbuf);

	/* EEXIST that is udma's own: the same range again, part of it, udma's memory */
	ONE_LINE(-EEXIST, udma_pvt_vfio_dma_map(buf, iova, len));
	ONE_LINE(-EEXIST, udma_pvt_vfio_dma_map(other, iova + 4096, 4096));
	d = t_dev64("env");
	c = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_KERNEL);
	assert_non_null(c);
	ONE_LINE(-EEXIST, udma_pvt_vfio_dma_map(other, h, 4096));
	assert_true(fv_maps_to(h, c, 4096)); /* udma's mapping untouched */
	/* the end of the memseg reservation: not mapped yet, but IOVA = VA keeps it for
	 * udma's memory to come (a DPDK --iova-mode=pa IOVA may fall there) */
	assert_non_null(strstr(udma_iova_mode_reason(), "IOVA = VA"));
	assert_null(fv_translate(g_mem.va_base + g_mem.va_len - 4096, 1));
	ONE_LINE(-EEXIST, udma_pvt_vfio_dma_map(other, g_mem.va_base + g_mem.va_len - 4096, 4096));
	assert_null(fv_translate(g_mem.va_base + g_mem.va_len - 4096, 1));
	/* below the allocator's space (2 MiB): the kernel's EEXIST is matched against
	 * udma's records (as always when udma has no IOVA space: a memory provider) */
	assert_int_equal(udma_pvt_vfio_dma_map(other, 0x100000, 4096), 0);
	ONE_LINE(-EEXIST, udma_pvt_vfio_dma_map(buf, 0x100000, len));
	assert_true(fv_maps_to(0x100000, other, 4096));
	assert_count_is_kernels(2);
	assert_int_equal(udma_pvt_vfio_dma_stats(&st, 0), 0);
	assert_int_equal(st.env_foreign, 0); /* udma's own, not another user's */
	assert_int_equal(udma_pvt_vfio_dma_unmap(0x100000, 4096), 0);
	assert_count_is_kernels(1);

	/* another user of the container maps (DPDK's own VFIO): the kernel's count
	 * drops, udma's cannot see it; an env map over it answers 1 and re-reads */
	m.vaddr = (uintptr_t)other;
	m.iova = theirs;
	m.size = 4096;
	assert_int_equal(fake_ioctl(FV_CONTAINER, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m), 0);
	assert_int_equal(udma_pvt_vfio_dma_stats(&st, 0), 0);
	assert_int_equal(st.avail, F.dma_avail + 1); /* stale, as before the re-read */
	assert_int_equal(udma_pvt_vfio_dma_map(buf, theirs, 4096), 1);
	assert_int_equal(udma_pvt_vfio_dma_stats(&st, 0), 0);
	assert_int_equal(st.avail, F.dma_avail);
	assert_int_equal(st.env_maps, 1);
	assert_int_equal(st.env_foreign, 1);
	assert_true(fv_maps_to(theirs, other, 4096)); /* theirs, left alone */
	u.iova = theirs;
	u.size = 4096;
	assert_int_equal(fake_ioctl(FV_CONTAINER, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), 0);
	assert_int_equal(udma_pvt_vfio_dma_stats(&st, 1), 0); /* re-read on request */
	assert_int_equal(st.avail, F.dma_avail);

	/* udma's own unmaps keep to udma's mappings: a registration of the same VA
	 * comes and goes, the environment's mapping stays */
	assert_int_equal(udma_mem_register(buf, len), 0);
	assert_int_equal(udma_mem_unregister(buf, len), 0);
	assert_true(fv_maps_to(iova, buf, len));
	assert_count_is_kernels(1);
	udma_free_coherent(d, 4096, c, h);
	udma_device_destroy(d);

	/* unmap: only the exact range, counted */
	ONE_LINE(-ENOENT, udma_pvt_vfio_dma_unmap(iova, 4096));
	ONE_LINE(-ENOENT, udma_pvt_vfio_dma_unmap(theirs, 4096)); /* never udma's */
	assert_true(fv_maps_to(iova, buf, len));
	assert_int_equal(udma_pvt_vfio_dma_unmap(iova, len), 0);
	assert_null(fv_translate(iova, 1));
	assert_count_is_kernels(0);

	/* someone else unmaps udma's mapping: udma's unmap finds 0 bytes gone (a
	 * NOTICE line) and takes the kernel's count rather than counting one more */
	assert_int_equal(udma_pvt_vfio_dma_map(buf, iova, len), 0);
	u.iova = iova;
	u.size = len;
	assert_int_equal(fake_ioctl(FV_CONTAINER, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), 0);
	assert_int_equal(udma_pvt_vfio_dma_unmap(iova, len), 0);
	assert_count_is_kernels(0);

	/* what is left at cleanup goes with udma */
	assert_int_equal(udma_pvt_vfio_dma_map(buf, iova, len), 0);
	assert_count_is_kernels(1);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.nmap, 0);
	assert_int_equal(F.dma_avail, 65535);
	free(buf);
	free(other);
}

/* a group joining later shrinks the aperture: the ranges are read again and new
 * allocations keep out of the reserved region */
static void test_aperture_shrinks(void **s)
{
	uint8_t *heap = aligned_alloc(4096, 8192);
	struct udma_device *d;
	udma_addr_t a;
	int fd = -1, calls;

	(void)s;
	fake_aperture_vtd(39);
	assert_true(t_init_args("--iova-mode=vfio", "--vfio-group=7", "--no-huge", "-m", "4",
				"--swiotlb-size=1", "--log-level=2", NULL) >= 0);
	/* group 8 brings a reserved region at [2 MiB, 4 MiB), where the next allocation
	 * would land (the kernel refuses a group whose region holds a mapping) */
	for (int i = 0; i < F.nmap; i++)
		assert_true(F.map[i].iova >= 0x400000);
	F.ranges[2][0] = F.ranges[1][0];
	F.ranges[2][1] = F.ranges[1][1];
	F.ranges[1][0] = 0x400000;
	F.ranges[1][1] = 0xfedfffffULL;
	F.ranges[0][1] = 0x1fffff;
	F.nranges = 3;
	calls = F.info_calls;
	fd = fake_open("/dev/vfio/8", O_RDWR);
	assert_int_equal(udma_vfio_adopt_group(8, fd), 0);
	assert_true(F.info_calls > calls); /* read again */
	d = t_dev64("shrunk");
	assert_int_equal(udma_mem_register(heap, 8192), 0);
	a = udma_map_single(d, heap, 64, UDMA_TO_DEVICE);
	assert_false(udma_mapping_error(d, a));
	assert_true(a >= 0x400000); /* not in the new reserved region */
	assert_ptr_equal(fv_translate(a, 64), heap);
	udma_unmap_single(d, a, 64, UDMA_TO_DEVICE);
	assert_int_equal(udma_mem_unregister(heap, 8192), 0);
	udma_device_destroy(d);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(F.g[1].open, 1); /* adopted: the application closes it */
	fake_close(fd);
	free(heap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vfio_mode, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_auto_prefers_vfio, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_failures, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_model_va_reason, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_aperture_39, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_mask_28, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_mask_28_va_refused, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_no_caps, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_dma_avail, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_external_container, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_va_model_register_above, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_aperture_shrinks, fv_setup, fv_teardown),
		cmocka_unit_test_setup_teardown(test_env_map, fv_setup, fv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
