/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memsegs: a VA window sliced into memseg list slots, one list per (node, page
 * size), each list reserving only the VA its memory takes. Memory arrives in
 * chunks backed by a hugetlbfs file, a hugetlb memfd, or (--no-huge) a locked
 * 4 KiB memfd; each page gets its IOVA from the backend and virt->iova is a table
 * load.
 */
#include <dirent.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "eal_private.h"
#include "eal_topology.h"
#include "eal_iova.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#define MFD_HUGE_SHIFT_ 26
#define LOW_VA_HINT 0x10000000UL /* below 4 GiB: va mode serves 32-bit devices */
#define MIN_CHUNK (2UL << 20)
#define TBL_ENTRIES (UDMA_MEMSEG_LIST_VA_SIZE >> 12)
#define MIN_LIST_VA (64UL << 20) /* the smallest reservation tried under ulimit -v */
#define RESV(l) g_mem.resv[(l) - g_mem.lists] /* the VA list @l reserved */

struct memseg_state g_mem = {
	.grow_lock = PTHREAD_MUTEX_INITIALIZER,
	.rev_lock = PTHREAD_RWLOCK_INITIALIZER,
	.pagemap_fd = -1,
};
struct memseg_xlat g_xlat[UDMA_MAX_MEMSEG_LISTS];

static void *map_table(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- hugepage discovery ------------------------------------------------ */

static size_t default_hugepage_size(void)
{
	char line[128];
	size_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

static int find_hugetlbfs(char *dir, size_t len)
{
	char dev[256], mnt[256], type[64];
	FILE *f = fopen("/proc/mounts", "re");
	int found = -ENOENT;

	if (f == NULL)
		return -errno;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, mnt, type) == 3) {
		if (strcmp(type, "hugetlbfs") == 0 && access(mnt, W_OK) == 0 &&
		    strlen(mnt) < len) {
			memcpy(dir, mnt, strlen(mnt) + 1);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

static int setup_hugepages(void)
{
	struct statfs st;

	if (g_mem.prov.set) { /* no hugepage files of ours: the provider's pages */
		g_mem.hugepage_size = g_mem.prov.ops.page_size;
		g_mem.huge_dir[0] = '\0';
		return 0;
	}
	if (g_cfg.no_huge) {
		g_mem.hugepage_size = 0;
		return 0;
	}
	if (g_cfg.huge_dir[0] != '\0') {
		if (statfs(g_cfg.huge_dir, &st) != 0 || st.f_type != HUGETLBFS_MAGIC) {
			UDMA_LOG(ERR, "--huge-dir=%s is not a hugetlbfs mount", g_cfg.huge_dir);
			return -EINVAL;
		}
		memcpy(g_mem.huge_dir, g_cfg.huge_dir, sizeof(g_mem.huge_dir));
		g_mem.hugepage_size = (size_t)st.f_bsize;
		return 0;
	}
	if (find_hugetlbfs(g_mem.huge_dir, sizeof(g_mem.huge_dir)) == 0 &&
	    statfs(g_mem.huge_dir, &st) == 0) {
		g_mem.hugepage_size = (size_t)st.f_bsize;
		return 0;
	}
	g_mem.huge_dir[0] = '\0'; /* no mount: hugetlb memfd */
	g_mem.hugepage_size = default_hugepage_size();
	if (g_mem.hugepage_size == 0) {
		UDMA_LOG(ERR, "no hugepage support: use --no-huge");
		return -ENOTSUP;
	}
	return 0;
}

/* "<digits>" then @end: the rest of the name after it, or NULL */
static const char *skip_number(const char *s, char end)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > s && p - s <= 10 && *p == end ? p : NULL;
}

/* exactly the names backing_open() makes: <prefix>.<pid>.<list>.<seq> */
static bool is_our_file_name(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;

	if (strncmp(name, prefix, n) != 0 || name[n] != '.')
		return false;
	p = skip_number(name + n + 1, '.');
	p = p ? skip_number(p + 1, '.') : NULL;
	return p && skip_number(p + 1, '\0') != NULL;
}

/*
 * Hugepage files whose owner is provably gone. The owner holds an exclusive flock
 * on each file from its creation (backing_open()); the kernel drops it when the
 * owner dies, in whatever pid namespace. A file we can lock has no owner; a file
 * of another name, or one we cannot open or lock, is left alone.
 */
static void remove_stale_files(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if (g_mem.huge_dir[0] == '\0' || (d = opendir(g_mem.huge_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd;

		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (!is_our_file_name(de->d_name, g_cfg.file_prefix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", g_mem.huge_dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0)
			UDMA_LOG(INFO, "removed stale hugepage file %s (its owner is gone)", path);
		close(fd);
	}
	closedir(d);
}

/* ---- the window and the lists' reservations ----------------------------- */

/*
 * @len of PROT_NONE address space exactly at @at: 0; -EEXIST when another mapping
 * is in the way (a kernel before 4.17, valgrind or TSan may take MAP_FIXED_NOREPLACE
 * as a hint, or refuse it: then a plain hint; a mapping placed elsewhere is undone
 * and counts as taken); -ENOMEM (ulimit -v, out of mappings).
 */
static int reserve_at(uintptr_t at, size_t len)
{
	void *p = mmap((void *)at, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED && errno == EINVAL) /* the flag unknown (valgrind): a plain hint */
		p = mmap((void *)at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	if (p == MAP_FAILED)
		return errno == EEXIST ? -EEXIST : -ENOMEM;
	if ((uintptr_t)p != at) {
		munmap(p, len);
		return -EEXIST;
	}
	return 0;
}

/* the alignment of the window: the page size (lists' chunks sit at page multiples) */
static size_t window_align(void)
{
	return g_mem.hugepage_size > MIN_CHUNK ? g_mem.hugepage_size : MIN_CHUNK;
}

/*
 * Is @len of VA free at some address, 1 GiB aligned (a shorter len: to itself),
 * below 4 GiB first? Probed with a PROT_NONE mapping that is unmapped at once:
 * the address, or 0.
 */
static uintptr_t probe_range(size_t len)
{
	size_t align = len < (1UL << 30) ? len : 1UL << 30;
	uint8_t *p;
	uintptr_t a;

	if (align < window_align())
		align = window_align();
#ifndef __SANITIZE_THREAD__ /* TSan kills a process that maps outside its app ranges */
	uintptr_t hint = (LOW_VA_HINT + window_align() - 1) & ~(window_align() - 1);

	if (reserve_at(hint, len) == 0) {
		munmap((void *)hint, len);
		return hint;
	}
#endif
	p = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	a = ((uintptr_t)p + align - 1) & ~(align - 1);
	munmap(p, len + align);
	return a;
}

/*
 * The window the lists' slots go in: --base-virtaddr, else VA free at init (below
 * 4 GiB when the process allows, so va mode can serve 32-bit devices). Nothing is
 * reserved here: each list reserves what it holds as it grows (list_extend()), so
 * VA udma does not use stays free for others (DPDK puts its memory at 4 GiB).
 * When the address space is limited (ulimit -v, valgrind) no large range is free
 * to probe: fewer slots, at worst one shorter than the others.
 */
static int choose_window(void)
{
	if (g_cfg.base_virtaddr) {
		if (g_cfg.base_virtaddr & (window_align() - 1)) {
			UDMA_LOG(ERR, "--base-virtaddr=%#llx is not a multiple of the %zu MiB page size",
				 (unsigned long long)g_cfg.base_virtaddr, window_align() >> 20);
			return -EINVAL;
		}
		g_mem.va_base = (uintptr_t)g_cfg.base_virtaddr;
		g_mem.va_len = (size_t)UDMA_MAX_MEMSEG_LISTS * UDMA_MEMSEG_LIST_VA_SIZE;
		g_mem.max_lists = UDMA_MAX_MEMSEG_LISTS;
		return 0;
	}
	for (unsigned int n = UDMA_MAX_MEMSEG_LISTS; n >= 1; n /= 2) {
		size_t len = (size_t)n * UDMA_MEMSEG_LIST_VA_SIZE;
		uintptr_t p = probe_range(len);

		if (p != 0) {
			if (n < UDMA_MAX_MEMSEG_LISTS)
				UDMA_LOG(NOTICE, "address space is limited: %u memseg lists, not %d", n,
					 UDMA_MAX_MEMSEG_LISTS);
			g_mem.va_base = p;
			g_mem.va_len = len;
			g_mem.max_lists = n;
			return 0;
		}
	}
	for (size_t len = UDMA_MEMSEG_LIST_VA_SIZE / 2; len >= MIN_LIST_VA; len /= 2) {
		uintptr_t p = probe_range(len);

		if (p != 0) {
			UDMA_LOG(WARNING, "address space is limited (ulimit -v): one memseg list of "
				 "%zu MiB, not %d of %llu GiB: memory beyond it cannot be had", len >> 20,
				 UDMA_MAX_MEMSEG_LISTS, (unsigned long long)(UDMA_MEMSEG_LIST_VA_SIZE >> 30));
			g_mem.va_base = p;
			g_mem.va_len = len;
			g_mem.max_lists = 1;
			return 0;
		}
	}
	UDMA_LOG(ERR, "cannot find even %zu MiB of VA for memory: %s (raise ulimit -v)",
		 (size_t)MIN_LIST_VA >> 20, strerror(errno));
	return -ENOMEM;
}

/* the VA a list's slot spans: the full size, but the last may be short (a limited window) */
static size_t list_span(const struct memseg_list *l)
{
	size_t left = g_mem.va_base + g_mem.va_len - l->va_base;

	return left < UDMA_MEMSEG_LIST_VA_SIZE ? left : UDMA_MEMSEG_LIST_VA_SIZE;
}

/* bytes @l can still take: to the end of its slot, or of its reservation once full */
static size_t list_room(const struct memseg_list *l)
{
	return (l->full ? RESV(l) : list_span(l)) - atomic_load(&l->used);
}

/*
 * Reserve the VA of [used, used + len) of @l (grow_lock held): 0; -EEXIST when
 * another mapping took the VA after the list's reservation (the list is full from
 * now on); -ENOMEM.
 */
static int list_extend(struct memseg_list *l, size_t used, size_t len)
{
	size_t want = used + len;
	int ret;

	if (want <= RESV(l))
		return 0;
	ret = reserve_at(l->va_base + RESV(l), want - RESV(l));
	if (ret == 0)
		__atomic_store_n(&RESV(l), want, __ATOMIC_RELEASE);
	else if (ret == -EEXIST)
		l->full = 1;
	return ret;
}

bool memseg_va_overlaps(uintptr_t va, size_t len)
{
	unsigned int n = __atomic_load_n(&g_mem.nr_lists, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < n; i++) {
		const struct memseg_list *l = &g_mem.lists[i];
		size_t r = __atomic_load_n(&RESV(l), __ATOMIC_ACQUIRE);

		if (r && va < l->va_base + r && l->va_base < va + len)
			return true;
	}
	return false;
}

static void lists_reset(void)
{
	for (unsigned int i = 0; i < UDMA_MAX_MEMSEG_LISTS; i++) {
		struct memseg_list *l = &g_mem.lists[i];

		memset(l, 0, sizeof(*l));
		g_mem.resv[i] = 0;
		l->va_base = g_mem.va_base + (uintptr_t)i * UDMA_MEMSEG_LIST_VA_SIZE;
		l->iova = g_mem.zero_tbl;
		l->page_shift = 12;
		l->node = -1;
		g_xlat[i].iova = g_mem.zero_tbl;
		g_xlat[i].shift = 12;
	}
	g_mem.nr_lists = 0;
}

int memseg_init(void)
{
	int ret = setup_hugepages();

	if (ret < 0)
		return ret;
	g_mem.zero_tbl = map_table(TBL_ENTRIES * sizeof(udma_addr_t), PROT_READ);
	ret = g_mem.zero_tbl == NULL ? -ENOMEM : choose_window();
	if (ret < 0) {
		memseg_fini();
		return ret;
	}
	lists_reset();
	remove_stale_files();
	if (g_iova.ops->sort_by_pa && !g_mem.prov.set) {
		g_mem.pagemap_fd = pagemap_open();
		if (g_mem.pagemap_fd < 0) {
			UDMA_LOG(ERR, "cannot open /proc/self/pagemap: %s",
				 strerror(-g_mem.pagemap_fd));
			memseg_fini();
			return -EPERM;
		}
	}
	return 0;
}

/*
 * A list of @node with room for @len more bytes, else a new one in the next slot
 * whose first @len bytes of VA are free (a slot another mapping holds is skipped).
 * The VA of the returned list's next @len bytes may still have to be reserved.
 */
static struct memseg_list *list_get(int node, unsigned int shift, size_t len)
{
	struct memseg_list *l;
	unsigned int i;
	int ret = -EEXIST;

	for (i = 0; i < g_mem.nr_lists; i++) {
		l = &g_mem.lists[i];
		if (l->in_use && l->node == node && l->page_shift == shift && list_room(l) >= len)
			return l;
	}
	for (i = g_mem.nr_lists; i < g_mem.max_lists; i++) {
		l = &g_mem.lists[i];
		if (len > list_span(l))
			break;
		ret = reserve_at(l->va_base, len);
		if (ret != -EEXIST)
			break;
		UDMA_LOG(INFO, "memseg slot %u at %#lx is taken by another mapping: skipped", i,
			 (unsigned long)l->va_base);
	}
	if (i == g_mem.max_lists || ret != 0) {
		if (len > UDMA_MEMSEG_LIST_VA_SIZE)
			UDMA_LOG(ERR, "%zu MiB exceeds what one memseg list can hold (%llu MiB)",
				 len >> 20, (unsigned long long)(UDMA_MEMSEG_LIST_VA_SIZE >> 20));
		else if (ret == -ENOMEM)
			UDMA_LOG(ERR, "cannot reserve %zu MiB of VA for memory: %s (raise ulimit -v)",
				 len >> 20, strerror(ENOMEM));
		else
			UDMA_LOG(ERR, "all %u memseg lists in use (or their VA taken): %zu MiB more "
				 "cannot be had", g_mem.max_lists, len >> 20);
		return NULL;
	}
	l->meta_len = TBL_ENTRIES * sizeof(struct page_meta);
	l->meta = map_table(l->meta_len, PROT_READ | PROT_WRITE);
	l->iova_tbl_len = TBL_ENTRIES * sizeof(udma_addr_t);
	udma_addr_t *tbl = map_table(l->iova_tbl_len, PROT_READ | PROT_WRITE);
	if (l->meta == NULL || tbl == NULL) {
		if (l->meta)
			munmap(l->meta, l->meta_len);
		if (tbl)
			munmap(tbl, l->iova_tbl_len);
		l->meta = NULL;
		munmap((void *)l->va_base, len);
		return NULL;
	}
	l->node = node;
	l->hugetlb = g_mem.hugepage_size != 0;
	l->in_use = 1;
	/* every table covers the list at 4 KiB: any (table, shift) pair stays in bounds */
	__atomic_store_n(&l->iova, tbl, __ATOMIC_RELEASE);
	__atomic_store_n(&l->page_shift, shift, __ATOMIC_RELEASE);
	__atomic_store_n(&g_xlat[i].iova, tbl, __ATOMIC_RELEASE);
	__atomic_store_n(&g_xlat[i].shift, (uint64_t)shift, __ATOMIC_RELEASE);
	__atomic_store_n(&RESV(l), len, __ATOMIC_RELEASE);
	__atomic_store_n(&g_mem.nr_lists, i + 1, __ATOMIC_RELEASE);
	return l;
}

/* ---- chunks ------------------------------------------------------------ */

static int backing_open(struct memseg_list *l, size_t len)
{
	char path[512];
	int fd;

	if (l->hugetlb && g_mem.huge_dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/%s.%d.%u.%u", g_mem.huge_dir, g_cfg.file_prefix,
			 (int)getpid(), (unsigned)(l - g_mem.lists), g_mem.chunk_seq++);
		fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0) {
			UDMA_LOG(ERR, "cannot create %s: %s", path, strerror(errno));
			return -errno;
		}
		/* ours while we live (a crash before the unlink leaves it lockable: stale) */
		flock(fd, LOCK_EX | LOCK_NB);
		unlink(path); /* the fd and mappings keep it; nothing to clean up later */
	} else {
		unsigned int fl = MFD_CLOEXEC;

		if (l->hugetlb)
			fl |= MFD_HUGETLB | ((unsigned)__builtin_ctzl(g_mem.hugepage_size) << MFD_HUGE_SHIFT_);
		fd = memfd_create("udma", fl);
		if (fd < 0) {
			UDMA_LOG(ERR, "memfd_create: %s", strerror(errno));
			return -errno;
		}
	}
	if (ftruncate(fd, (off_t)len) != 0 || fallocate(fd, 0, 0, (off_t)len) != 0) {
		int err = errno;

		UDMA_LOG(ERR, "cannot reserve %zu MiB of %s pages on node %d: %s%s", len >> 20,
			 l->hugetlb ? "huge" : "4 KiB", l->node, strerror(err),
			 l->hugetlb ? " (free hugepages: /sys/devices/system/node/node*/hugepages; or use --no-huge)" : "");
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

/* fault the pages in under the node's policy and check where they landed */
static int touch_on_node(uint8_t *va, size_t len, size_t pgsz, int node)
{
	const struct eal_topology *t = eal_topology();
	int ret = t->bind(va, len, node);

	if (ret < 0) {
		UDMA_LOG(ERR, "cannot bind memory to node %d: %s", node, strerror(-ret));
		return ret;
	}
	for (size_t off = 0; off < len; off += pgsz)
		((volatile uint8_t *)va)[off] = 0;
	for (size_t off = 0; off < len; off += pgsz) {
		int got = t->node_of(va + off);

		if (got != node) {
			UDMA_LOG(ERR, "page at offset %zu landed on node %d, not %d", off, got, node);
			return -ENOMEM;
		}
	}
	return 0;
}

static int cmp_pa(const void *a, const void *b, void *arg)
{
	const udma_addr_t *pa = arg;
	udma_addr_t x = pa[*(const uint32_t *)a], y = pa[*(const uint32_t *)b];

	return x < y ? -1 : x > y;
}

/* order[] = file page indexes sorted by PA (pa mode), else identity */
static int chunk_order(uint8_t *tmp, size_t npages, size_t pgsz, uint32_t *order)
{
	udma_addr_t *pa;

	for (size_t i = 0; i < npages; i++)
		order[i] = (uint32_t)i;
	if (!g_iova.ops->sort_by_pa || npages < 2)
		return 0;
	pa = malloc(npages * sizeof(*pa));
	if (pa == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < npages; i++) {
		pa[i] = pagemap_pa(g_mem.pagemap_fd, tmp + i * pgsz);
		if (pa[i] == 0 || pa[i] == UDMA_MAPPING_ERROR) {
			UDMA_LOG(ERR, "pagemap gives no PFN (need root / CAP_SYS_ADMIN for pa mode)");
			free(pa);
			return -EPERM;
		}
	}
	qsort_r(order, npages, sizeof(*order), cmp_pa, pa);
	free(pa);
	return 0;
}

/* map the file's pages at @dst in @order, one mmap per run of consecutive pages */
static int chunk_place(int fd, uint8_t *dst, const uint32_t *order, size_t npages, size_t pgsz)
{
	size_t k = 0;

	while (k < npages) {
		size_t run = 1;

		while (k + run < npages && order[k + run] == order[k] + run)
			run++;
		if (mmap(dst + k * pgsz, run * pgsz, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd,
			 (off_t)order[k] * (off_t)pgsz) == MAP_FAILED) {
			UDMA_LOG(ERR, "mmap of memseg pages: %s", strerror(errno));
			return -ENOMEM;
		}
		k += run;
	}
	return 0;
}

static void chunk_unplace(uint8_t *dst, size_t len)
{
	mmap(dst, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

static int lock_pages(uint8_t *dst, size_t len)
{
	struct rlimit rl;

	if (mlock(dst, len) == 0)
		return 0;
	getrlimit(RLIMIT_MEMLOCK, &rl);
	UDMA_LOG(ERR, "--no-huge needs %zu KiB locked but RLIMIT_MEMLOCK is %llu KiB: raise it "
		 "(ulimit -l) or run with CAP_IPC_LOCK", len >> 10,
		 (unsigned long long)(rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur >> 10));
	return -ENOMEM;
}

/* ---- reverse map: IOVA runs ------------------------------------------- */

static int cmp_run(const void *a, const void *b)
{
	const struct iova_run *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

static void runs_bounds(void)
{
	udma_addr_t lo = UDMA_MAPPING_ERROR, hi = 0;

	g_mem.runs_overlap = false;
	for (size_t i = 0; i < g_mem.nr_runs; i++) {
		if (i > 0 && g_mem.runs[i].iova <= hi)
			g_mem.runs_overlap = true;
		if (g_mem.runs[i].iova < lo)
			lo = g_mem.runs[i].iova;
		if (g_mem.runs[i].iova + g_mem.runs[i].len - 1 > hi)
			hi = g_mem.runs[i].iova + g_mem.runs[i].len - 1;
	}
	__atomic_store_n(&g_mem.iova_lo, lo, __ATOMIC_RELAXED);
	__atomic_store_n(&g_mem.iova_hi, hi, __ATOMIC_RELAXED);
}

int iova_runs_add(int node, uintptr_t va, const udma_addr_t *iova, size_t npages, size_t pgsz)
{
	pthread_rwlock_wrlock(&g_mem.rev_lock);
	for (size_t i = 0; i < npages; i++) {
		struct iova_run *r = g_mem.nr_runs ? &g_mem.runs[g_mem.nr_runs - 1] : NULL;

		if (r && r->iova + r->len == iova[i] && r->va + r->len == va + i * pgsz &&
		    r->node == node) {
			r->len += pgsz;
			continue;
		}
		if (g_mem.nr_runs == g_mem.cap_runs) {
			size_t cap = g_mem.cap_runs ? g_mem.cap_runs * 2 : 64;
			struct iova_run *n = realloc(g_mem.runs, cap * sizeof(*n));

			if (n == NULL) {
				pthread_rwlock_unlock(&g_mem.rev_lock);
				return -ENOMEM;
			}
			g_mem.runs = n;
			g_mem.cap_runs = cap;
		}
		g_mem.runs[g_mem.nr_runs++] = (struct iova_run){
			.iova = iova[i], .va = va + i * pgsz, .len = pgsz, .node = node};
	}
	qsort(g_mem.runs, g_mem.nr_runs, sizeof(*g_mem.runs), cmp_run);
	runs_bounds();
	pthread_rwlock_unlock(&g_mem.rev_lock);
	return 0;
}

/* drop the runs covering [va, va + len) (whole runs: registrations are added alone) */
void iova_runs_remove(uintptr_t va, size_t len)
{
	size_t j = 0;

	pthread_rwlock_wrlock(&g_mem.rev_lock);
	for (size_t i = 0; i < g_mem.nr_runs; i++) {
		const struct iova_run *r = &g_mem.runs[i];

		if (r->va >= va && r->va + r->len <= va + len)
			continue;
		g_mem.runs[j++] = *r;
	}
	g_mem.nr_runs = j;
	runs_bounds();
	pthread_rwlock_unlock(&g_mem.rev_lock);
}

/* pages in between, for a range longer than a page: every one must follow on */
udma_addr_t memseg_contig_walk(const void *va, size_t size, udma_addr_t first)
{
	size_t pgsz = 1UL << memseg_list_of(va)->page_shift;

	for (size_t off = pgsz - ((uintptr_t)va & (pgsz - 1)); off < size; off += pgsz)
		if (memseg_virt2iova((const uint8_t *)va + off) != first + off)
			return UDMA_MAPPING_ERROR;
	return first;
}

void *memseg_iova2virt(udma_addr_t iova, size_t *contig)
{
	void *va = NULL;
	size_t lo = 0, hi;

	pthread_rwlock_rdlock(&g_mem.rev_lock);
	hi = g_mem.nr_runs;
	for (size_t i = 0; g_mem.runs_overlap && i < g_mem.nr_runs; i++) {
		const struct iova_run *r = &g_mem.runs[i];

		if (iova - r->iova < r->len && (va == NULL || r->node >= 0)) {
			va = (void *)(r->va + (iova - r->iova));
			if (contig)
				*contig = r->len - (iova - r->iova);
			if (r->node >= 0)
				break;
		}
	}
	while (!g_mem.runs_overlap && lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct iova_run *r = &g_mem.runs[mid];

		if (iova < r->iova) {
			hi = mid;
		} else if (iova - r->iova >= r->len) {
			lo = mid + 1;
		} else {
			va = (void *)(r->va + (iova - r->iova));
			if (contig)
				*contig = r->len - (iova - r->iova);
			break;
		}
	}
	pthread_rwlock_unlock(&g_mem.rev_lock);
	return va;
}

/* lowest and highest IOVA of memseg memory (registrations excluded) */
udma_addr_t memseg_min_iova(void)
{
	udma_addr_t v = UDMA_MAPPING_ERROR;

	pthread_rwlock_rdlock(&g_mem.rev_lock);
	for (size_t i = 0; i < g_mem.nr_runs; i++)
		if (g_mem.runs[i].node >= 0 && g_mem.runs[i].iova < v)
			v = g_mem.runs[i].iova;
	pthread_rwlock_unlock(&g_mem.rev_lock);
	return v;
}

udma_addr_t memseg_max_iova(void)
{
	udma_addr_t v = 0;

	pthread_rwlock_rdlock(&g_mem.rev_lock);
	for (size_t i = 0; i < g_mem.nr_runs; i++)
		if (g_mem.runs[i].node >= 0 && g_mem.runs[i].iova + g_mem.runs[i].len - 1 > v)
			v = g_mem.runs[i].iova + g_mem.runs[i].len - 1;
	pthread_rwlock_unlock(&g_mem.rev_lock);
	return v;
}

/* ---- growth ------------------------------------------------------------ */

/*
 * The calling thread's memory policy, bound to one node while a chunk is allocated.
 * hugetlbfs allocates a file's pages at fallocate() (as shmem does for --no-huge)
 * under the thread's policy, before any mapping exists to mbind(): without this a
 * chunk lands on the node the thread runs on. Only for a node the kernel has (an
 * injected topology's nodes need not exist); the previous policy comes back after.
 */
struct thread_policy {
	int saved; /* 1: mode/mask hold the policy to restore */
	int mode;
	unsigned long mask[1024 / (8 * sizeof(unsigned long))];
};

static void thread_policy_bind(int node, struct thread_policy *tp)
{
	unsigned long want[sizeof(tp->mask) / sizeof(tp->mask[0])] = {0};
	const unsigned int bits = sizeof(tp->mask) * 8, lbits = 8 * sizeof(unsigned long);

	tp->saved = 0;
	if (node < 0 || numa_available() < 0 || node > numa_max_node() || (unsigned)node >= bits)
		return;
	if (get_mempolicy(&tp->mode, tp->mask, bits, NULL, 0) != 0) {
		UDMA_LOG(WARNING, "get_mempolicy: %s: node %d placement is left to mbind", strerror(errno),
			 node);
		return;
	}
	want[(unsigned)node / lbits] = 1UL << ((unsigned)node % lbits);
	if (set_mempolicy(MPOL_BIND, want, bits + 1) != 0) {
		UDMA_LOG(WARNING, "set_mempolicy(MPOL_BIND, node %d): %s", node, strerror(errno));
		return;
	}
	tp->saved = 1;
}

static void thread_policy_restore(struct thread_policy *tp)
{
	if (!tp->saved)
		return;
	if (set_mempolicy(tp->mode, tp->mode == MPOL_DEFAULT ? NULL : tp->mask,
			  tp->mode == MPOL_DEFAULT ? 0 : sizeof(tp->mask) * 8 + 1) != 0)
		UDMA_LOG(WARNING, "cannot restore the thread's memory policy: %s", strerror(errno));
}

/* populate [dst, dst+len) of @l from a new backing file; fills iova[] */
static int chunk_create(struct memseg_list *l, uint8_t *dst, size_t len, udma_addr_t *iova)
{
	size_t pgsz = 1UL << l->page_shift, npages = len / pgsz;
	uint32_t *order = malloc(npages * sizeof(*order));
	uint8_t *tmp = MAP_FAILED;
	struct thread_policy tp;
	int fd, ret;

	if (order == NULL)
		return -ENOMEM;
	thread_policy_bind(l->node, &tp);
	fd = ret = backing_open(l, len);
	if (fd >= 0) {
		tmp = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ret = tmp == MAP_FAILED ? -ENOMEM : 0;
		if (ret == 0)
			ret = touch_on_node(tmp, len, pgsz, l->node);
	}
	thread_policy_restore(&tp);
	if (fd < 0)
		goto out;
	if (ret == 0)
		ret = chunk_order(tmp, npages, pgsz, order);
	if (ret == 0)
		ret = chunk_place(fd, dst, order, npages, pgsz);
	if (ret == 0 && !l->hugetlb)
		ret = lock_pages(dst, len);
	if (ret == 0)
		ret = g_iova.ops->seg_map(dst, len, l->page_shift, iova);
	if (ret != 0)
		chunk_unplace(dst, len);
out:
	if (tmp != MAP_FAILED)
		munmap(tmp, len);
	if (fd >= 0)
		close(fd);
	free(order);
	return ret;
}

/* populate [dst, dst+len) of @l from the provider; fills iova[] */
static int chunk_provide(struct memseg_list *l, uint8_t *dst, size_t len, udma_addr_t *iova)
{
	struct prov_chunk c = {.va = (uintptr_t)dst, .len = len};
	int ret;

	if (g_mem.prov.n == g_mem.prov.cap) {
		size_t cap = g_mem.prov.cap ? g_mem.prov.cap * 2 : 16;
		struct prov_chunk *n = realloc(g_mem.prov.chunks, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		g_mem.prov.chunks = n;
		g_mem.prov.cap = cap;
	}
	ret = g_mem.prov.ops.grow(g_mem.prov.ops.ctx, l->node, dst, len, (int)g_iova.ops->mode, iova,
			      &c.cookie);
	if (ret < 0) {
		UDMA_LOG(ERR, "%s cannot give %zu MiB on node %d: %s", g_mem.prov.ops.name, len >> 20,
			 l->node, strerror(-ret));
		chunk_unplace(dst, len);
		return ret;
	}
	c.seg_mapped = ret == 0;
	ret = c.seg_mapped ? g_iova.ops->seg_map(dst, len, l->page_shift, iova) : 0;
	if (ret != 0) {
		chunk_unplace(dst, len);
		g_mem.prov.ops.shrink(g_mem.prov.ops.ctx, dst, len, c.cookie);
		return ret;
	}
	g_mem.prov.chunks[g_mem.prov.n++] = c;
	return 0;
}

/* every chunk back to the provider, which serves one init */
static void prov_release(void)
{
	for (size_t i = g_mem.prov.n; i-- > 0;) {
		const struct prov_chunk *c = &g_mem.prov.chunks[i];
		const struct memseg_list *l = memseg_list_of((void *)c->va);

		if (c->seg_mapped && g_iova.ops && g_iova.ops->seg_unmap)
			g_iova.ops->seg_unmap((void *)c->va, c->len, l->page_shift, NULL);
		chunk_unplace((uint8_t *)c->va, c->len);
		g_mem.prov.ops.shrink(g_mem.prov.ops.ctx, (void *)c->va, c->len, c->cookie);
	}
	free(g_mem.prov.chunks);
	memset(&g_mem.prov, 0, sizeof(g_mem.prov));
}

int udma_pvt_mem_provider_set(const struct udma_pvt_mem_provider *p)
{
	if (p != NULL && (p->grow == NULL || p->shrink == NULL || p->page_size < 4096 ||
			  (p->page_size & (p->page_size - 1)) || p->name == NULL)) {
		UDMA_LOG(ERR, "bad provider (grow %s, shrink %s, page size %zu)",
			 p->grow ? "set" : "NULL", p->shrink ? "set" : "NULL", p->page_size);
		return -EINVAL;
	}
	if (udma_eal_initialized()) {
		UDMA_LOG(ERR, "udma is initialised: set the provider before udma_eal_init()");
		return -EBUSY;
	}
	g_mem.prov.set = p != NULL;
	if (p != NULL)
		g_mem.prov.ops = *p;
	return 0;
}

static int grow_locked(int node, size_t bytes)
{
	unsigned int shift = g_mem.hugepage_size ? (unsigned)__builtin_ctzl(g_mem.hugepage_size) : 12;
	size_t pgsz = 1UL << shift, len, used;
	struct memseg_list *l;
	udma_addr_t *iova;
	int ret;

	/* whole 2 MiB (or page) multiples: VA and IOVA stay congruent for aligned allocations */
	len = (bytes + MIN_CHUNK - 1) & ~(MIN_CHUNK - 1);
	len = (len + pgsz - 1) & ~(pgsz - 1);
	do { /* a list whose next VA turns out taken is full: the next list or slot */
		l = list_get(node, shift, len);
		if (l == NULL)
			return -ENOMEM;
		used = atomic_load(&l->used);
		ret = list_extend(l, used, len);
	} while (ret == -EEXIST);
	if (ret != 0) {
		UDMA_LOG(ERR, "cannot reserve %zu MiB more VA for memseg list %u: %s (raise ulimit -v)",
			 len >> 20, (unsigned)(l - g_mem.lists), strerror(-ret));
		return ret;
	}
	iova = calloc(len / pgsz, sizeof(*iova));
	if (iova == NULL)
		return -ENOMEM;
	ret = g_mem.prov.set ? chunk_provide(l, (uint8_t *)l->va_base + used, len, iova)
			 : chunk_create(l, (uint8_t *)l->va_base + used, len, iova);
	if (ret == 0)
		ret = iova_runs_add(l->node, l->va_base + used, iova, len / pgsz, pgsz);
	if (ret == 0) {
		for (size_t i = 0; i < len / pgsz; i++)
			__atomic_store_n(&l->iova[(used >> l->page_shift) + i],
					 xlat_entry(iova[i], l->va_base + used + (i << l->page_shift)),
					 __ATOMIC_RELEASE);
		atomic_store(&l->used, used + len);
		l->chunks++;
		g_mem.total += len;
		heap_add(l, l->va_base + used, len);
	}
	free(iova);
	return ret;
}

int memseg_grow(int node, size_t bytes)
{
	int ret;

	if (node < 0 || node >= udma_numa_node_count())
		return -EINVAL;
	pthread_mutex_lock(&g_mem.grow_lock);
	ret = grow_locked(node, bytes);
	pthread_mutex_unlock(&g_mem.grow_lock);
	return ret;
}

int memseg_reserve_initial(void)
{
	int nodes = udma_numa_node_count();
	int ret = 0;

	if (g_cfg.socket_mem_set) {
		for (int n = 0; n < UDMA_MAX_NUMA_NODES && ret == 0; n++) {
			if (g_cfg.socket_mem[n] == 0)
				continue;
			if (n >= nodes) {
				UDMA_LOG(ERR, "--socket-mem asks for node %d but there %s %d node%s", n,
					 nodes == 1 ? "is" : "are", nodes, nodes == 1 ? "" : "s");
				return -EINVAL;
			}
			ret = memseg_grow(n, g_cfg.socket_mem[n]);
		}
		return ret;
	}
	return memseg_grow(eal_topology()->cpu_node() % nodes,
			   g_cfg.total_mem_set ? g_cfg.total_mem : (uint64_t)UDMA_DEFAULT_MEM_MB << 20);
}

void memseg_fini(void)
{
	bool provided = g_mem.prov.set;

	if (provided)
		prov_release(); /* the chunks were unmapped one by one */
	for (unsigned int i = 0; i < g_mem.nr_lists; i++) {
		struct memseg_list *l = &g_mem.lists[i];
		size_t used = atomic_load(&l->used);

		if (used && !provided && g_iova.ops && g_iova.ops->seg_unmap)
			g_iova.ops->seg_unmap((void *)l->va_base, used, l->page_shift, NULL);
		if (l->iova != g_mem.zero_tbl)
			munmap(l->iova, l->iova_tbl_len);
		if (l->meta)
			munmap(l->meta, l->meta_len);
		if (RESV(l))
			munmap((void *)l->va_base, RESV(l));
	}
	if (g_mem.zero_tbl)
		munmap(g_mem.zero_tbl, TBL_ENTRIES * sizeof(udma_addr_t));
	g_mem.zero_tbl = NULL;
	pagemap_close(g_mem.pagemap_fd);
	g_mem.pagemap_fd = -1;
	free(g_mem.runs);
	g_mem.runs = NULL;
	g_mem.nr_runs = g_mem.cap_runs = 0;
	g_mem.iova_lo = UDMA_MAPPING_ERROR;
	g_mem.iova_hi = 0;
	g_mem.va_base = 0;
	g_mem.va_len = 0;
	g_mem.max_lists = 0;
	g_mem.huge_dir[0] = '\0';
	g_mem.hugepage_size = 0;
	g_mem.nr_lists = 0;
	g_mem.total = 0;
	g_mem.runs_overlap = false;
	memset(g_mem.lists, 0, sizeof(g_mem.lists));
	memset(g_mem.resv, 0, sizeof(g_mem.resv));
	memset(g_xlat, 0, sizeof(g_xlat));
}

/* ---- public ------------------------------------------------------------ */

/* lib/dma/dma_register.c: registered memory (udma_mem_register*) */
bool dma_reg_lookup(const void *va, size_t size, udma_addr_t *iova);

/* not a memseg: registered memory (e.g. DPDK's, attached) has an IOVA too */
static __attribute__((noinline, cold)) udma_addr_t virt2iova_registered(const void *va)
{
	udma_addr_t iova = UDMA_MAPPING_ERROR;

	dma_reg_lookup(va, 1, &iova);
	return iova;
}

/* on a cache line of its own: where code before it ends must not move P5 (the same
 * 20 instructions measured +15 % from a shift of its address alone) */
__attribute__((aligned(64))) udma_addr_t udma_virt2iova(const void *va)
{
	uintptr_t off = (uintptr_t)va - g_mem.va_base;
	const struct memseg_xlat *x;
	udma_addr_t base;

	/* memseg_virt2iova() with both misses tail-calling the registered lookup (the
	 * memseg path keeps no stack frame): registered memory never meets a list's
	 * reservation (refused there) but may lie in the window around them (DPDK's,
	 * udma started first), where its table entry reads 0 */
	if (udma_unlikely(off >= g_mem.va_len))
		return virt2iova_registered(va);
	x = &g_xlat[off >> MEMSEG_LIST_SHIFT];
	base = x->iova[(off & (UDMA_MEMSEG_LIST_VA_SIZE - 1)) >> x->shift];
	if (udma_unlikely(base == 0))
		return virt2iova_registered(va);
	return (udma_addr_t)(uintptr_t)va + base - 1;
}

void *udma_iova2virt(udma_addr_t iova)
{
	return memseg_iova2virt(iova, NULL);
}

int udma_virt2node(const void *va)
{
	const struct memseg_list *l = memseg_list_of(va);

	if (l == NULL || memseg_virt2iova(va) == UDMA_MAPPING_ERROR)
		return -1;
	return l->node;
}

void memseg_dump(FILE *f)
{
	size_t longest = 0;

	size_t resv = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < g_mem.nr_lists; i++) {
		resv += g_mem.resv[i];
		n += g_mem.lists[i].in_use ? 1 : 0;
	}
	fprintf(f, "memsegs: %zu MiB in %u list(s), VA window %#lx+%zu GiB (%zu MiB reserved), "
		"pages %s %s\n", g_mem.total >> 20, n, (unsigned long)g_mem.va_base,
		g_mem.va_len >> 30, resv >> 20, g_mem.hugepage_size ? "huge" : "4 KiB locked",
		g_mem.prov.set ? g_mem.prov.ops.name :
		g_mem.huge_dir[0] ? g_mem.huge_dir : (g_mem.hugepage_size ? "(memfd)" : ""));
	for (unsigned int i = 0; i < g_mem.nr_lists; i++) {
		const struct memseg_list *l = &g_mem.lists[i];

		if (!l->in_use)
			continue;
		fprintf(f, "  list %u: node %d, page %lu KiB, %zu MiB used in %u chunk(s), VA %#lx "
			"(%zu MiB reserved%s)\n", i, l->node, (1UL << l->page_shift) >> 10,
			atomic_load(&l->used) >> 20, l->chunks, (unsigned long)l->va_base,
			RESV(l) >> 20, l->full ? ", full: the VA after it is taken" : "");
	}
	pthread_rwlock_rdlock(&g_mem.rev_lock);
	for (size_t i = 0; i < g_mem.nr_runs; i++) {
		const struct iova_run *r = &g_mem.runs[i];

		if (r->len > longest)
			longest = r->len;
		if (i < 16)
			fprintf(f, "  iova run %zu: iova %#llx va %#lx len %zu KiB node %d\n", i,
				(unsigned long long)r->iova, (unsigned long)r->va, r->len >> 10,
				r->node);
	}
	fprintf(f, "  %zu IOVA-contiguous run(s), longest %zu KiB\n", g_mem.nr_runs, longest >> 10);
	pthread_rwlock_unlock(&g_mem.rev_lock);
}
