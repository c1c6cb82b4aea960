/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL: every option good and bad, init/cleanup cycles, lcores, hugepage files, dump. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <pthread.h>

#include "test_common.h"

/* a bad init must fail with @err, and a good init must work right after */
/* NUMA nodes the kernel shows (sysfs), at least 1 */
static int online_nodes(void)
{
	char path[64];
	int n = 0;

	while (n < 1024) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK) != 0)
			break;
		n++;
	}
	return n > 0 ? n : 1;
}

static void bad_then_good(int err, const char *a, const char *b)
{
	int ret = t_init_args(a, b, NULL);

	assert_int_equal(ret, err);
	assert_false(udma_eal_initialized());
	ret = t_init_args("--iova-mode=sim", "-m", "4", "--log-level=2", NULL);
	assert_true(ret >= 0);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_bad_options(void **state)
{
	(void)state;
	udma_log_set_level(2);
	bad_then_good(-EINVAL, "--iova-mode=xyz", NULL);
	bad_then_good(-EINVAL, "--iova-mode", NULL);
	bad_then_good(-EINVAL, "--socket-mem=abc", NULL);
	bad_then_good(-EINVAL, "--socket-mem=", NULL);
	bad_then_good(-EINVAL, "-m", NULL);
	bad_then_good(-EINVAL, "-m", "-5");
	bad_then_good(-EINVAL, "-m", "12x");
	bad_then_good(-EINVAL, "--lcores=0", NULL);
	bad_then_good(-EINVAL, "--lcores=100000", NULL);
	bad_then_good(-EINVAL, "--swiotlb=maybe", NULL);
	bad_then_good(-EINVAL, "--swiotlb-size=x", NULL);
	bad_then_good(-EINVAL, "--log-level=9", NULL);
	bad_then_good(-EINVAL, "--dma-debug-limit=-1", NULL);
	bad_then_good(-EINVAL, "--bogus", NULL);
	bad_then_good(-EINVAL, "--no-huge=1", NULL);
	bad_then_good(-EINVAL, "--file-prefix=a/b", NULL);
	bad_then_good(-EINVAL, "--huge-dir=/nonexistent", "--iova-mode=sim");
	{ /* one more node than the machine has */
		char arg[256] = "--socket-mem=4";
		for (int n = 0; n < online_nodes(); n++)
			strncat(arg, ",4", sizeof(arg) - strlen(arg) - 1);
		bad_then_good(-EINVAL, arg, "--iova-mode=sim");
	}
	/* absurd memory: fails cleanly, nothing left behind */
	assert_true(t_init_args("--iova-mode=sim", "-m", "4000000", NULL) < 0);
	assert_false(udma_eal_initialized());
	/* no VFIO in this kernel: refused, and a valid init still works */
	if (access("/dev/vfio/vfio", F_OK) != 0)
		bad_then_good(-ENOTSUP, "--iova-mode=vfio", NULL);
	bad_then_good(-EINVAL, "--vfio-group=x", NULL);
}

/* @a @b must be refused with -EINVAL and one line containing @why */
static void refused_once(const char *a, const char *b, const char *why)
{
	struct t_log log;
	char *text;
	int ret;

	t_log_begin(&log);
	ret = t_init_args(a, b, NULL);
	text = t_log_end(&log);
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(t_count(text, "\n"), 1);
	assert_non_null(strstr(text, why));
	free(text);
	bad_then_good(-EINVAL, a, b);
}

/* the option values a hostile review found accepted: each refused with one line */
static void test_option_values(void **state)
{
	char file[] = "/tmp/udma-test-hugedir-XXXXXX";
	int fd = mkstemp(file);
	char opt[64];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(opt, sizeof(opt), "--huge-dir=%s", file);
	refused_once("--socket-mem=,", "--iova-mode=sim", "expected MB");
	refused_once("--socket-mem=0", "--iova-mode=sim", "0 MiB in all");
	refused_once("--socket-mem=0,0", "--iova-mode=sim", "0 MiB in all");
	refused_once("--socket-mem=4,", "--iova-mode=sim", "none empty");
	refused_once("-m", " 4", "expected MB");
	refused_once("--lcores= 2", NULL, "expected 1..");
	refused_once("--socket-mem= 4", "--iova-mode=sim", "expected MB");
	refused_once("--file-prefix", "--swiotlb", "the next argument is an option");
	refused_once("--iova-mode", "--no-huge", "the next argument is an option");
	refused_once(opt, "--iova-mode=sim", "not a directory"); /* a file, not -ENOTDIR */
	refused_once("--base-virtaddr=", "--iova-mode=sim", "expected a hex address");
	refused_once("--base-virtaddr=0x", "--iova-mode=sim", "expected a hex address");
	refused_once("--base-virtaddr=-0x200000", "--iova-mode=sim", "expected a hex address");
	refused_once("--base-virtaddr=0x40000000g", "--iova-mode=sim", "expected a hex address");
	refused_once("--base-virtaddr=0x10000000000000000", "--iova-mode=sim",
		     "expected a hex address");
	refused_once("--base-virtaddr=0", "--iova-mode=sim", "non-zero multiple of 2 MiB");
	refused_once("--base-virtaddr=0x10001000", "--iova-mode=sim", "non-zero multiple of 2 MiB");
	refused_once("--base-virtaddr=0x7fffffe00000", "--iova-mode=sim", "must end below");
	refused_once("--base-virtaddr", "--iova-mode=sim", "the next argument is an option");
	unlink(file);
	/* the value forms that stay good */
	assert_true(t_init_args("--iova-mode=sim", "--socket-mem=4", "--file-prefix", "ok-prefix",
				"--log-level=2", NULL) >= 0);
	assert_int_equal(udma_eal_cleanup(), 0);
}

static void test_good_options(void **state)
{
	static const char *const good[][3] = {
		{"--iova-mode=sim", "--no-huge", NULL}, {"--iova-mode=va", "--no-huge", NULL},
		{"--iova-mode=sim", "--socket-mem=4", NULL}, {"--iova-mode=sim", "--lcores=4", NULL},
		{"--iova-mode=sim", "--dma-debug", NULL}, {"--iova-mode=sim", "--swiotlb=off", NULL},
		{"--iova-mode=sim", "--swiotlb=force", NULL}, {"--iova-mode=sim", "--swiotlb=auto", NULL},
		{"--iova-mode=sim", "--swiotlb-size=4", NULL}, {"--iova-mode=sim", "--log-level=7", NULL},
		{"--iova-mode=sim", "--file-prefix=udmatest", NULL},
		{"--iova-mode=sim", "--dma-debug-limit=0", NULL}, {"--iova-mode=auto", "-m4", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int ret = t_init_args(good[i][0], good[i][1], "--log-level=2", NULL);

		if (ret < 0)
			fail_msg("%s %s: %d", good[i][0], good[i][1], ret);
		assert_int_equal(ret, 3);
		assert_true(udma_eal_initialized());
		assert_int_equal(udma_eal_cleanup(), 0);
	}
	if (t_pa_possible()) {
		assert_int_equal(t_init_args("--iova-mode=pa", "-m", "8", NULL), 3);
		assert_int_equal(udma_iova_mode(), UDMA_IOVA_PA);
		assert_int_equal(udma_eal_cleanup(), 0);
		assert_int_equal(t_init_args("--iova-mode=auto", NULL), 1);
		assert_int_equal(udma_iova_mode(), UDMA_IOVA_PA); /* no vfio here: auto picks pa */
		assert_non_null(strstr(udma_iova_mode_reason(), "vfio"));
		assert_int_equal(udma_eal_cleanup(), 0);
	}
}

static void test_consumed_and_dashdash(void **state)
{
	char *argv[] = {"prog", "--iova-mode=sim", "-m", "4", "--", "--app-opt", "x", NULL};
	int ret;

	(void)state;
	ret = udma_eal_init(7, argv);
	assert_int_equal(ret, 4); /* three options and "--" */
	assert_string_equal(argv[ret], "prog");
	assert_string_equal(argv[ret + 1], "--app-opt");
	assert_int_equal(t_init_args("--iova-mode=sim", NULL), -EALREADY);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(udma_eal_cleanup(), -EALREADY);
	assert_int_equal(t_init_args("--help", NULL), -ECANCELED);
	assert_false(udma_eal_initialized());
	assert_int_equal(udma_eal_init(0, NULL), -EINVAL);
}

static void test_cycles(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) {
		enum t_mode m = (enum t_mode)(i % T_NMODES);
		struct udma_device *d;
		udma_addr_t h;
		uint8_t *p, back[256];

		if (t_init_mode(m, "4"))
			continue;
		d = t_dev64("cycle");
		p = udma_alloc_coherent(d, 8192, &h, UDMA_GFP_KERNEL);
		assert_non_null(p);
		t_fill(p, sizeof(back), (unsigned)i);
		assert_int_equal(udma_sim_dma_read(d, h, back, sizeof(back)), 0);
		assert_true(t_check(back, sizeof(back), (unsigned)i));
		udma_free_coherent(d, 8192, p, h);
		udma_device_destroy(d);
		assert_int_equal(udma_eal_cleanup(), 0);
	}
}

static int count_files(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void test_hugepage_files(void **state)
{
	char prefix[64], stale[128], path[256];
	FILE *f;

	(void)state;
	if (access("/dev/hugepages", W_OK) != 0 || !t_pa_possible())
		skip();
	snprintf(prefix, sizeof(prefix), "udmat%d", (int)getpid());
	/* a stale file of a dead process: removed at init */
	snprintf(stale, sizeof(stale), "%s.999999999.0.0", prefix);
	snprintf(path, sizeof(path), "/dev/hugepages/%s", stale);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	char opt[96];

	snprintf(opt, sizeof(opt), "--file-prefix=%s", prefix);
	assert_true(t_init_args("--iova-mode=sim", opt, "-m", "4", "--log-level=2", NULL) >= 0);
	assert_int_equal(access(path, F_OK), -1);
	/* the memory really came from files in the mount ... */
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		udma_dump(f);
		fclose(f);
		assert_non_null(strstr(text, "pages huge /dev/hugepages"));
		free(text);
	}
	/* ... and our own files are unlinked as soon as they are mapped */
	assert_int_equal(count_files("/dev/hugepages", prefix), 0);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(count_files("/dev/hugepages", prefix), 0);
}

static void touch_file(const char *dir, const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static bool file_there(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* the sweep removes exactly udma's own names whose owner (the lock holder) is gone */
static void test_stale_sweep(void **state)
{
	/* "<prefix>.conf" is the udma.conf an old sweep deleted (its pid parsed as 0) */
	static const char *const keep[] = {"conf", "1.2", "1.2.3x", "x.1.2", "12..3", "1.2.3.4",
					   "-1.2.3", "99999999999.1.2"};
	const char *dir = "/dev/hugepages";
	char prefix[64], name[128], live[128], opt[96];
	int up[2], hold[2];
	pid_t child;
	char c;

	(void)state;
	if (access(dir, W_OK) != 0 || !t_pa_possible())
		skip();
	snprintf(prefix, sizeof(prefix), "udmas%d", (int)getpid());
	snprintf(opt, sizeof(opt), "--file-prefix=%s", prefix);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		snprintf(name, sizeof(name), "%s.%s", prefix, keep[i]);
		touch_file(dir, name);
	}
	snprintf(name, sizeof(name), "%s.999999.0.0", prefix); /* dead owner: no lock */
	touch_file(dir, name);
	/* a live owner: a child holding the lock on its file */
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(hold), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char p[256];
		int fd;

		close(up[0]);
		close(hold[1]);
		snprintf(p, sizeof(p), "%s/%s.%d.0.0", dir, prefix, (int)getpid());
		fd = open(p, O_CREAT | O_RDWR, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(1);
		(void)!write(up[1], "k", 1);
		(void)!read(hold[0], &c, 1); /* until the parent closes its end */
		_exit(0);
	}
	close(up[1]);
	close(hold[0]);
	assert_int_equal(read(up[0], &c, 1), 1);
	snprintf(live, sizeof(live), "%s.%d.0.0", prefix, (int)child);
	assert_true(t_init_args("--iova-mode=sim", opt, "-m", "4", "--log-level=2", NULL) >= 0);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_false(file_there(dir, name));         /* dead owner: removed */
	assert_true(file_there(dir, live));          /* live owner: kept */
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		char k[128];

		snprintf(k, sizeof(k), "%s.%s", prefix, keep[i]);
		assert_true(file_there(dir, k));     /* not our pattern: kept */
		snprintf(k, sizeof(k), "%s/%s.%s", dir, prefix, keep[i]);
		unlink(k);
	}
	/* the owner dies: its lock goes with it, the next init removes the file */
	close(hold[1]);
	waitpid(child, NULL, 0);
	close(up[0]);
	assert_true(t_init_args("--iova-mode=sim", opt, "-m", "4", "--log-level=2", NULL) >= 0);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_false(file_there(dir, live));
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define T_SANITIZED 1
#else
#define T_SANITIZED 0
#endif

/* in a child under ulimit -v 4 GiB: init, real bytes through a coherent buffer and a
 * pool block; and a --swiotlb-size that cannot be had is an error unless off */
static int limited_child(void)
{
	struct rlimit rl = {.rlim_cur = 4ULL << 30, .rlim_max = 4ULL << 30};
	struct udma_device *d;
	struct udma_pool *p;
	udma_addr_t h, hb;
	uint8_t *buf, *b, back[64];

	if (setrlimit(RLIMIT_AS, &rl) != 0)
		return 10;
	if (t_init_args("--iova-mode=sim", "-m", "16", "--swiotlb-size=4096", "--log-level=2",
			NULL) != -ENOMEM || udma_eal_initialized())
		return 11;
	if (t_init_args("--iova-mode=sim", "-m", "16", "--swiotlb=off", "--swiotlb-size=4096",
			"--log-level=2", NULL) < 0)
		return 12;
	udma_eal_cleanup();
	if (t_init_args("--iova-mode=sim", "-m", "16", "--log-level=2", NULL) < 0)
		return 13;
	d = udma_device_create("limited", NULL, -1);
	udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64));
	buf = udma_alloc_coherent(d, 1 << 20, &h, UDMA_GFP_KERNEL);
	p = udma_pool_create("limited", d, 64, 0, 0);
	b = p ? udma_pool_alloc(p, UDMA_GFP_KERNEL, &hb) : NULL;
	if (buf == NULL || b == NULL)
		return 14;
	t_fill(buf, 64, 3);
	t_fill(b, 64, 4);
	if (udma_sim_dma_read(d, h, back, 64) != 0 || !t_check(back, 64, 3) ||
	    udma_sim_dma_read(d, hb, back, 64) != 0 || !t_check(back, 64, 4))
		return 15;
	udma_pool_free(p, b, hb);
	udma_pool_destroy(p);
	udma_free_coherent(d, 1 << 20, buf, h);
	udma_device_destroy(d);
	return udma_eal_cleanup() == 0 ? 0 : 16;
}

/* VmSize of this process, bytes */
static size_t vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb << 10;
}

/* in a child: the address space runs out while memory grows (each list reserves its
 * VA as it grows): an allocation fails cleanly, what was allocated stays intact */
static int limit_growth_child(void)
{
	enum { N = 96 };
	struct rlimit rl;
	struct udma_device *d;
	uint8_t *p[N], back[64];
	udma_addr_t h[N];
	int n, bad = 0;

	if (t_init_args("--iova-mode=sim", "-m", "4", "--swiotlb=off", "--log-level=0", NULL) < 0)
		return 30;
	d = udma_device_create("limit_growth", NULL, -1);
	udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64));
	rl.rlim_cur = rl.rlim_max = vm_size() + (64UL << 20);
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		return 31;
	for (n = 0; n < N; n++) {
		p[n] = udma_alloc_coherent(d, 2UL << 20, &h[n], UDMA_GFP_KERNEL);
		if (p[n] == NULL)
			break;
		t_fill(p[n], sizeof(back), n);
	}
	if (n < 3 || n == N)
		return 32; /* grew past -m, and stopped at the limit */
	for (int i = 0; i < n; i++) {
		bad |= udma_sim_dma_read(d, h[i], back, sizeof(back)) != 0;
		bad |= !t_check(back, sizeof(back), i);
		udma_free_coherent(d, 2UL << 20, p[i], h[i]);
	}
	udma_device_destroy(d);
	return bad ? 33 : udma_eal_cleanup() == 0 ? 0 : 34;
}

static void test_address_space_limit(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (T_SANITIZED) {
		printf("skipped: ASan/TSan reserve terabytes of shadow, no run under ulimit -v\n");
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(limited_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(limit_growth_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* auto with no IOMMU and no PFNs (an unprivileged child): va, with a WARNING that
 * names the consequence and the way out, in the log and in the mode's reason */
static int auto_va_child(void)
{
	struct t_log log;
	char *text;
	int ret, bad = 0;

	if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return 20;
	t_log_begin(&log);
	udma_log_set_level(UDMA_LOG_WARNING);
	ret = t_init_args("--iova-mode=auto", "--no-huge", "-m", "4", NULL);
	text = t_log_end(&log);
	if (ret < 0)
		return 21;
	if (udma_iova_mode() != UDMA_IOVA_VA)
		return 22; /* vfio usable after all: nothing to warn about */
	bad |= t_count(text, "WARNING") != 1;
	bad |= strstr(text, "wrong addresses") == NULL || strstr(text, "vfio-pci") == NULL ||
	       strstr(text, "--iova-mode=va") == NULL || strstr(text, "root") == NULL;
	bad |= strstr(udma_iova_mode_reason(), "WARNING: iova-mode auto fell back to va") == NULL;
	free(text);
	udma_eal_cleanup();
	/* asked for by name: no warning */
	t_log_begin(&log);
	udma_log_set_level(UDMA_LOG_WARNING);
	ret = t_init_args("--iova-mode=va", "--no-huge", "-m", "4", NULL);
	text = t_log_end(&log);
	bad |= ret < 0 || t_count(text, "WARNING") != 0;
	free(text);
	udma_eal_cleanup();
	return bad ? 23 : 0;
}

static void test_auto_va_warning(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(auto_va_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 22) {
		printf("skipped: auto finds vfio usable here, it does not fall back to va\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void *register_thread(void *arg)
{
	int *out = arg;
	struct udma_device *d;
	udma_addr_t h;
	void *p;

	out[0] = udma_thread_register();
	out[1] = (int)udma_lcore_id();
	out[2] = udma_thread_register(); /* again */
	/* with or without a slot, the shared paths work */
	d = udma_device_create("thr", NULL, -1);
	udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64));
	p = udma_alloc_coherent(d, 4096, &h, UDMA_GFP_ATOMIC);
	out[3] = p != NULL && udma_virt2iova(p) == h;
	if (p)
		udma_free_coherent(d, 4096, p, h);
	udma_device_destroy(d);
	udma_thread_unregister();
	out[4] = (int)udma_lcore_id();
	return NULL;
}

static void test_lcores(void **state)
{
	int a[5], b[5], c[5];
	pthread_t t;

	(void)state;
	assert_int_equal(udma_thread_register(), -ENODEV);
	assert_true(t_init_args("--iova-mode=sim", "--lcores=2", "-m", "4", "--log-level=2", NULL) >= 0);
	assert_int_equal(udma_lcore_id(), 0);
	assert_int_equal(udma_lcore_count(), 2);
	assert_int_equal(udma_thread_register(), -EALREADY);
	pthread_create(&t, NULL, register_thread, a);
	pthread_join(t, NULL);
	assert_int_equal(a[0], 1);
	assert_int_equal(a[1], 1);
	assert_int_equal(a[2], -EALREADY);
	assert_true(a[3]);
	assert_int_equal(a[4], (int)UDMA_LCORE_ID_ANY);
	/* the slot came back: another thread gets it */
	pthread_create(&t, NULL, register_thread, b);
	pthread_join(t, NULL);
	assert_int_equal(b[0], 1);
	/* exhaust: while the main thread holds 0 and a thread holds 1, a third gets -ENOSPC */
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_true(t_init_args("--iova-mode=sim", "--lcores=1", "-m", "4", "--log-level=2", NULL) >= 0);
	pthread_create(&t, NULL, register_thread, c);
	pthread_join(t, NULL);
	assert_int_equal(c[0], -ENOSPC);
	assert_int_equal(c[1], (int)UDMA_LCORE_ID_ANY);
	assert_true(c[3]);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(udma_lcore_id(), UDMA_LCORE_ID_ANY);
}

static void test_dump_and_names(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	udma_dump(f); /* not initialised: one line, no crash */
	fflush(f);
	assert_non_null(strstr(text, "not initialised"));
	assert_true(t_init_args("--iova-mode=sim", "-m", "4", "--log-level=2", NULL) >= 0);
	udma_dump(f);
	fclose(f);
	assert_non_null(strstr(text, "iova mode sim"));
	assert_non_null(strstr(text, "memsegs"));
	free(text);
	assert_string_equal(udma_iova_mode_name(UDMA_IOVA_PA), "pa");
	assert_string_equal(udma_iova_mode_name(UDMA_IOVA_VA), "va");
	assert_string_equal(udma_iova_mode_name(UDMA_IOVA_SIM), "sim");
	assert_string_equal(udma_iova_mode_name((enum udma_iova_mode)77), "dc");
	assert_int_equal(udma_log_set_level(8), -EINVAL);
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_int_equal(udma_iova_mode(), UDMA_IOVA_DC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_stale_sweep),
		cmocka_unit_test(test_address_space_limit),
		cmocka_unit_test(test_auto_va_warning),
		cmocka_unit_test(test_good_options),
		cmocka_unit_test(test_consumed_and_dashdash),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_hugepage_files),
		cmocka_unit_test(test_lcores),
		cmocka_unit_test(test_dump_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
