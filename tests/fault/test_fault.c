/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection sweep (-Dfault_injection=true, meson suite fault).
 *
 * Each scenario runs once with counting only: K calls of the chosen classes
 * (mmap, fallocate/ftruncate, ioctl, open/fopen/opendir/memfd, malloc family,
 * mlock/mbind) go through the wrappers. Then for N = 1..K it runs again with the
 * Nth call failing. Whatever the scenario returns (an error, or success when udma
 * could do without the call), afterwards, with everything it created released:
 *   - no file descriptor more than before (/proc/self/fd),
 *   - no udma mapping more (hugetlbfs files, memfds, reservations: /proc/self/maps),
 *     no locked or hugetlb memory more (VmLck, HugetlbPages in /proc/self/status),
 *     no hugepage file of ours left in the hugetlbfs mount,
 *   - no heap byte more (ASan's allocator counter, or mallinfo2),
 *   - the fake VFIO has no open fd and no DMA mapping left,
 *   - and the same scenario then succeeds without a fault (the next valid call works).
 * Scenarios: init in sim/va/pa (hugepages and --no-huge), with a forced bounce
 * region (swiotlb init) and --dma-debug; memseg growth by a GFP_KERNEL allocation;
 * pool create and grow; udma_mem_register; vfio setup and vfio growth against a
 * fake of the kernel's VFIO. The last line gives cases and faults injected.
 */
#include <linux/vfio.h>
#include <dirent.h>
#include <malloc.h>
#include <sys/mman.h>

#include "test_common.h"

#include "fault_inject.h"
#include "fake_vfio.h"
#include "iova_vfio.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FI_ASAN 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
#define FI_ASAN 1
#endif
#ifdef FI_ASAN
#include <sanitizer/allocator_interface.h>
#endif

#define PREFIX "udmafault"
#define MAX_CASES 200 /* per scenario: keeps the whole sweep near a minute */

static unsigned long g_cases, g_faults, g_ok_despite, g_scen;
static FILE *g_log;

/* ---- what the process holds ----------------------------------------------- */

struct res {
	long fds, udma_maps, locked_kb, hugetlb_kb, files;
	size_t heap;
};

static size_t heap_bytes(void)
{
#ifdef FI_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Mappings udma makes: hugepage files, memfds, reservations and tables of 1 GiB+.
 * Under ASan its shadow and allocator regions (below 0x640000000000 on x86-64) hold
 * large PROT_NONE mappings that come and go: not counted.
 */
#ifdef FI_ASAN
#define SAN_END 0x640000000000ul
#else
#define SAN_END 1ul /* every mapping: not 0, an always-true test gcc warns about */
#endif
static long udma_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	long n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (strstr(line, PREFIX) || strstr(line, "memfd:udma") ||
		    (hi - lo >= (1ul << 30) && lo >= SAN_END && !strstr(line, "["))) {
			n++;
			if (getenv("UDMA_FAULT_MAPS"))
				fputs(line, stderr);
		}
	}
	fclose(f);
	return n;
}

static long our_files(void)
{
	DIR *d = opendir("/dev/hugepages");
	struct dirent *de;
	char mine[64];
	long n = 0;

	if (d == NULL)
		return 0;
	snprintf(mine, sizeof(mine), PREFIX ".%d.", (int)getpid());
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, mine, strlen(mine)) == 0;
	closedir(d);
	return n;
}

static long fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void snap(struct res *r)
{
	r->fds = fd_count();
	r->udma_maps = udma_maps();
	r->locked_kb = status_kb("VmLck:");
	r->hugetlb_kb = status_kb("HugetlbPages:");
	r->files = our_files();
	r->heap = heap_bytes();
}

/* ---- the fake of the kernel's VFIO (tests/fake_vfio.h), that faults too ---- */

static int vf_open(const char *path, int flags)
{
	if (fi_should_fail(FI_OPEN))
		return -1;
	return fake_open(path, flags);
}

static int vf_ioctl(int fd, unsigned long req, uintptr_t arg)
{
	if (fi_should_fail(FI_IOCTL))
		return -1;
	return fake_ioctl(fd, req, arg);
}

static const struct vfio_sys g_fault_vfio = {vf_open, vf_ioctl, fake_close};

/* ---- scenarios --------------------------------------------------------------- */

/* an init configuration: mode, hugepages or not, extra options */
struct cfg {
	const char *name;
	const char *mode;
	bool no_huge;
	const char *extra[3];
};

static int init(const struct cfg *c)
{
	const char *argv[16] = {"fault", c->mode, "-m", "4", "--swiotlb-size=2",
				"--file-prefix=" PREFIX, "--log-level=1", "--lcores=2"};
	int argc = 8;

	if (c->no_huge)
		argv[argc++] = "--no-huge";
	for (int i = 0; i < 3 && c->extra[i]; i++)
		argv[argc++] = c->extra[i];
	return udma_eal_init(argc, (char **)argv);
}

/*
 * A scenario: set up what it needs unarmed (pre), the part under test (run; the
 * faults land here), and release everything (post). run returns 0 on success or
 * a negative errno; ret_ok says which errors are acceptable.
 */
struct scen {
	const char *name;
	const struct cfg *cfg;
	unsigned int classes;
	int (*pre)(const struct scen *s);
	int (*run)(const struct scen *s);
	void (*post)(const struct scen *s, int ret);
};

static bool err_ok(int ret)
{
	return ret == 0 || ret == -ENOMEM || ret == -EPERM || ret == -ENODEV ||
	       ret == -ENOTSUP || ret == -EIO || ret == -ENOENT || ret == -EMFILE ||
	       ret == -ENOSPC || ret == -EFBIG || ret == -EBUSY || ret == -EAGAIN;
}

/* init: the whole of udma_eal_init() under fault; cleanup after success */
static int init_run(const struct scen *s)
{
	int r = init(s->cfg);

	return r > 0 ? 0 : r;
}

/*
 * After an init that succeeded (maybe despite a fault it absorbed): udma works.
 * Coherent memory and a streaming map of foreign (bounced, or in vfio mode mapped)
 * memory carry bytes to the device. The coherent allocation is two pages, except
 * in pa mode with --no-huge: there an IOVA is a physical address and memory comes
 * in 4 KiB pages, so only one page is contiguous for sure (two need pages the
 * kernel happened to place side by side: on a busy machine none may be, and
 * udma rightly answers ENOMEM; README, --no-huge).
 */
static void smoke(const char *name, bool no_huge)
{
	size_t csize = no_huge && udma_iova_mode() == UDMA_IOVA_PA ? 4096 : 8192;
	static uint8_t foreign[4096] __attribute__((aligned(4096)));
	struct udma_device *d = udma_device_create("smoke", NULL, -1);
	uint8_t *p, back[256];
	udma_addr_t h, a;

	assert_non_null(d);
	assert_int_equal(udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64)), 0);
	p = udma_alloc_coherent(d, csize, &h, UDMA_GFP_KERNEL);
	if (p == NULL)
		print_error("%s: init succeeded but coherent memory does not work (%s)\n", name,
			    fi_fired_what());
	assert_non_null(p);
	t_fill(p, 256, 5);
	assert_int_equal(udma_sim_dma_read(d, h, back, 256), 0);
	assert_true(t_check(back, 256, 5));
	udma_free_coherent(d, csize, p, h);
	t_fill(foreign, 256, 6);
	a = udma_map_single(d, foreign, 256, UDMA_TO_DEVICE);
	if (udma_mapping_error(d, a))
		print_error("%s: init succeeded but foreign memory cannot be mapped (%s)\n", name,
			    fi_fired_what());
	assert_false(udma_mapping_error(d, a));
	assert_int_equal(udma_sim_dma_read(d, a, back, 256), 0);
	assert_true(t_check(back, 256, 6));
	udma_unmap_single(d, a, 256, UDMA_TO_DEVICE);
	udma_device_destroy(d);
}

static void init_post(const struct scen *s, int ret)
{
	if (ret == 0) {
		smoke(s->name, s->cfg->no_huge);
		assert_int_equal(udma_eal_cleanup(), 0);
	}
	assert_false(udma_eal_initialized());
}

static struct udma_device *g_dev;

static int dev_pre(const struct scen *s)
{
	int r = init(s->cfg);

	if (r < 0)
		return r;
	g_dev = udma_device_create("fault", NULL, -1);
	assert_non_null(g_dev);
	udma_set_mask_and_coherent(g_dev, UDMA_BIT_MASK(64));
	return 0;
}

static void dev_post(const struct scen *s, int ret)
{
	struct udma_device_stats st;

	(void)s;
	(void)ret;
	assert_int_equal(udma_device_stats(g_dev, &st), 0);
	assert_int_equal(st.coherent_allocs, 0);
	udma_device_destroy(g_dev);
	assert_int_equal(udma_eal_cleanup(), 0);
}

/*
 * memseg growth: 6 x 1 MiB of coherent memory on a 4 MiB init must grow the
 * memsegs (1 MiB pieces: pa mode needs each IOVA-contiguous, within a hugepage)
 */
static int grow_run(const struct scen *s)
{
	udma_addr_t h[6];
	uint8_t *p[6], back[64];
	int n = 0, ret = 0;

	(void)s;
	for (; n < 6; n++) {
		p[n] = udma_alloc_coherent(g_dev, 1 << 20, &h[n], UDMA_GFP_KERNEL);
		if (p[n] == NULL) {
			ret = -errno;
			break;
		}
		/* the memory works: the device sees what the CPU wrote, at the end */
		t_fill(p[n] + (1 << 20) - 64, 64, 9u + (unsigned)n);
		assert_int_equal(udma_sim_dma_read(g_dev, h[n] + (1 << 20) - 64, back, 64), 0);
		assert_true(t_check(back, 64, 9u + (unsigned)n));
	}
	while (n-- > 0)
		udma_free_coherent(g_dev, 1 << 20, p[n], h[n]);
	return ret;
}

/*
 * pool create, then grow it: POOL_N blocks of 3000 bytes (one per 4 KiB: boundary)
 * take 2.4 MiB, more than the 4 MiB init has left, so the memsegs grow too
 */
#define POOL_N 600
static int pool_run(const struct scen *s)
{
	struct udma_pool_params pp = {.struct_size = sizeof(pp), .initial_blocks = 16};
	struct udma_pool *p;
	void *v[POOL_N];
	udma_addr_t h[POOL_N];
	int n = 0, ret = 0;

	(void)s;
	p = udma_pool_create_params("fault", g_dev, 3000, 64, 4096, &pp);
	if (p == NULL)
		return -errno;
	for (; n < POOL_N; n++) {
		v[n] = udma_pool_alloc(p, UDMA_GFP_KERNEL, &h[n]);
		if (v[n] == NULL) {
			ret = -errno;
			break;
		}
		memset(v[n], n, 3000);
	}
	for (int i = 0; i < n; i++) {
		uint8_t back[16];

		assert_int_equal(udma_sim_dma_read(g_dev, h[i], back, 16), 0);
		assert_int_equal(back[15], (uint8_t)i);
		udma_pool_free(p, v[i], h[i]);
	}
	udma_pool_destroy(p);
	return ret;
}

/* registration of 1 MiB of foreign memory, mapped directly afterwards */
static uint8_t *g_region;

static int reg_pre(const struct scen *s)
{
	int r = dev_pre(s);

	if (r == 0) {
		g_region = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(g_region != MAP_FAILED);
		memset(g_region, 1, 1 << 20);
	}
	return r;
}

static int reg_run(const struct scen *s)
{
	int r;

	(void)s;
	r = udma_mem_register(g_region, 1 << 20);
	if (r == 0)
		assert_int_equal(udma_mem_unregister(g_region, 1 << 20), 0);
	return r;
}

static void reg_post(const struct scen *s, int ret)
{
	munmap(g_region, 1 << 20);
	dev_post(s, ret);
}

static const struct cfg c_sim = {"sim", "--iova-mode=sim", false, {NULL}};
static const struct cfg c_sim_nh = {"sim --no-huge", "--iova-mode=sim", true, {NULL}};
static const struct cfg c_va = {"va", "--iova-mode=va", false, {NULL}};
static const struct cfg c_va_nh = {"va --no-huge", "--iova-mode=va", true, {NULL}};
static const struct cfg c_pa = {"pa", "--iova-mode=pa", false, {NULL}};
static const struct cfg c_pa_nh = {"pa --no-huge", "--iova-mode=pa", true, {NULL}};
static const struct cfg c_force = {"sim swiotlb=force", "--iova-mode=sim", false,
				   {"--swiotlb=force", "--dma-debug", NULL}};
static const struct cfg c_va_force = {"va swiotlb=force --no-huge", "--iova-mode=va", true,
				      {"--swiotlb=force", NULL}};
static const struct cfg c_vfio = {"vfio", "--iova-mode=vfio", true, {"--vfio-group=7", NULL}};
static const struct cfg c_vfio_h = {"vfio hugepages", "--iova-mode=vfio", false,
				    {"--vfio-group=7", NULL}};

static void sweep(const struct scen *s)
{
	struct res before, after;
	unsigned long k, fired = 0, cases = 0, step;
	int ret;

	/* warm-up (lazy one-time state), then the count of calls */
	assert_int_equal(s->pre ? s->pre(s) : 0, 0);
	ret = s->run(s);
	assert_int_equal(ret, 0);
	s->post(s, ret);
	snap(&before);
	assert_int_equal(s->pre ? s->pre(s) : 0, 0);
	fi_arm(0, s->classes);
	ret = s->run(s);
	k = fi_disarm();
	assert_int_equal(ret, 0);
	s->post(s, ret);

	/* every call up to MAX_CASES; past that the first 50, then evenly spaced, and the last */
	step = k > MAX_CASES ? (k - 50) / (MAX_CASES - 50) + 1 : 1;
	for (unsigned long n = 1; n <= k; n++) {
		if (n > 50 && n % step != 0 && n != k)
			continue;
		assert_int_equal(s->pre ? s->pre(s) : 0, 0);
		fi_arm(n, s->classes);
		ret = s->run(s);
		fi_disarm();
		cases++;
		if (fi_fired()) {
			fired++;
			if (ret == 0)
				g_ok_despite++;
		}
		if (!err_ok(ret))
			print_error("%s: call %lu (%s) failed: returned %d (%s)\n", s->name, n,
				    fi_fired_what(), ret, strerror(-ret));
		assert_true(err_ok(ret));
		s->post(s, ret);
		assert_int_equal(F.open_fds, 0);
		assert_int_equal(F.nmap, 0);
		snap(&after);
		if (after.fds != before.fds || after.udma_maps != before.udma_maps ||
		    after.locked_kb != before.locked_kb || after.hugetlb_kb != before.hugetlb_kb ||
		    after.files != before.files || after.heap != before.heap)
			print_error("%s: call %lu (%s) failing leaked: fds %+ld, udma maps %+ld, "
				    "locked %+ld kB, hugetlb %+ld kB, files %+ld, heap %+ld bytes "
				    "(returned %d)\n",
				    s->name, n, fi_fired_what(), after.fds - before.fds,
				    after.udma_maps - before.udma_maps,
				    after.locked_kb - before.locked_kb,
				    after.hugetlb_kb - before.hugetlb_kb, after.files - before.files,
				    (long)(after.heap - before.heap), ret);
		assert_int_equal(after.fds, before.fds);
		assert_int_equal(after.udma_maps, before.udma_maps);
		assert_int_equal(after.locked_kb, before.locked_kb);
		assert_int_equal(after.hugetlb_kb, before.hugetlb_kb);
		assert_int_equal(after.files, before.files);
		assert_int_equal(after.heap, before.heap);
		/* and the next valid call works */
		assert_int_equal(s->pre ? s->pre(s) : 0, 0);
		assert_int_equal(s->run(s), 0);
		s->post(s, 0);
	}
	printf("fault: %-34s %4lu calls, %4lu cases, %4lu faults injected%s\n", s->name, k, cases,
	       fired, step > 1 ? " (sampled)" : "");
	g_cases += cases;
	g_faults += fired;
	g_scen++;
}

static void run_scenarios(const struct scen *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strstr(list[i].cfg->mode, "pa") && !t_pa_possible()) {
			printf("fault: %-34s skipped (pa needs root and hugepages)\n", list[i].name);
			continue;
		}
		sweep(&list[i]);
	}
}

static void test_init(void **st)
{
	static const struct scen s[] = {
		{"init sim", &c_sim, FI_ALL, NULL, init_run, init_post},
		{"init sim --no-huge", &c_sim_nh, FI_ALL, NULL, init_run, init_post},
		{"init va", &c_va, FI_ALL, NULL, init_run, init_post},
		{"init va --no-huge", &c_va_nh, FI_ALL, NULL, init_run, init_post},
		{"init pa", &c_pa, FI_ALL, NULL, init_run, init_post},
		{"init pa --no-huge", &c_pa_nh, FI_ALL, NULL, init_run, init_post},
		{"init+swiotlb sim force --dma-debug", &c_force, FI_ALL, NULL, init_run, init_post},
		{"init+swiotlb va force --no-huge", &c_va_force, FI_ALL, NULL, init_run, init_post},
	};

	(void)st;
	run_scenarios(s, sizeof(s) / sizeof(s[0]));
}

static void test_growth_pool_register(void **st)
{
	static const struct scen s[] = {
		{"memseg growth sim", &c_sim, FI_ALL, dev_pre, grow_run, dev_post},
		{"memseg growth va --no-huge", &c_va_nh, FI_ALL, dev_pre, grow_run, dev_post},
		{"memseg growth pa", &c_pa, FI_ALL, dev_pre, grow_run, dev_post},
		{"pool create+grow sim", &c_sim, FI_ALL, dev_pre, pool_run, dev_post},
		{"pool create+grow va", &c_va, FI_ALL, dev_pre, pool_run, dev_post},
		{"mem_register sim", &c_sim, FI_ALL, reg_pre, reg_run, reg_post},
		{"mem_register va", &c_va, FI_ALL, reg_pre, reg_run, reg_post},
		{"mem_register pa", &c_pa, FI_ALL, reg_pre, reg_run, reg_post},
	};

	(void)st;
	run_scenarios(s, sizeof(s) / sizeof(s[0]));
}

static void test_vfio(void **st)
{
	static const struct scen s[] = {
		{"vfio setup (fake VFIO)", &c_vfio, FI_ALL, NULL, init_run, init_post},
		{"vfio setup hugepages (fake VFIO)", &c_vfio_h, FI_ALL, NULL, init_run, init_post},
		{"vfio memseg growth (fake VFIO)", &c_vfio, FI_ALL, dev_pre, grow_run, dev_post},
		{"vfio mem_register (fake VFIO)", &c_vfio, FI_ALL, reg_pre, reg_run, reg_post},
	};

	(void)st;
	fake_reset();
	vfio_sys_inject(&g_fault_vfio);
	run_scenarios(s, sizeof(s) / sizeof(s[0]));
	vfio_sys_inject(NULL);
}

static int summary(void **st)
{
	(void)st;
	printf("fault: %lu scenarios, %lu cases, %lu faults injected (%lu absorbed: the call "
	       "still succeeded)\n", g_scen, g_cases, g_faults, g_ok_despite);
	return 0;
}

/* a failed sweep leaves udma initialised (and maybe armed): the next test starts clean */
static int td(void **st)
{
	(void)st;
	fi_disarm();
	vfio_sys_inject(NULL);
	if (udma_eal_initialized())
		udma_eal_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_init, td),
		cmocka_unit_test_teardown(test_growth_pool_register, td),
		cmocka_unit_test_teardown(test_vfio, td),
	};

#ifndef FI_ASAN
	/*
	 * Without ASan the heap is mallinfo2()'s bytes in use, which count chunks parked
	 * in glibc's per-thread cache (tcache) as in use: a free that lands there looks
	 * like a leak. Run again with the cache off, so the count is exact.
	 */
	if (getenv("UDMA_FAULT_NO_TCACHE") == NULL) {
		setenv("UDMA_FAULT_NO_TCACHE", "1", 1);
		setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "test_fault: cannot run again without the tcache: %s\n",
			strerror(errno));
		return 1;
	}
#endif
	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	g_log = fopen("/dev/null", "w");
	udma_log_set_stream(g_log);
	return cmocka_run_group_tests(tests, NULL, summary);
}
