/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The --wrap targets: count the calls libudma makes, fail the armed one.
 * Symbol names are what the objects reference with _FILE_OFFSET_BITS=64
 * (mmap64, open64, fallocate64, ftruncate64, fopen64); meson.build lists them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "fault_inject.h"
#ifdef FI_STACKS
#include <sanitizer/common_interface_defs.h>
#endif

static atomic_bool g_on;
static atomic_ulong g_calls;
static unsigned long g_nth;
static unsigned int g_classes;
static atomic_bool g_fired;
static const char *g_what = "";
static int g_trace = -1; /* UDMA_FAULT_TRACE=1: print every counted call */

void fi_arm(unsigned long nth, unsigned int classes)
{
	g_nth = nth;
	g_classes = classes;
	atomic_store(&g_calls, 0);
	atomic_store(&g_fired, false);
	g_what = "";
	atomic_store(&g_on, true);
}

unsigned long fi_disarm(void)
{
	atomic_store(&g_on, false);
	return atomic_load(&g_calls);
}

bool fi_fired(void)
{
	return atomic_load(&g_fired);
}

const char *fi_fired_what(void)
{
	return g_what;
}

/* count one call of @cls; true (errno set) when it is the one to fail */
static bool hit(unsigned int cls, int err, const char *what)
{
	unsigned long n;

	if (!atomic_load_explicit(&g_on, memory_order_relaxed) || !(cls & g_classes))
		return false;
	n = atomic_fetch_add(&g_calls, 1) + 1;
	if (g_trace < 0)
		g_trace = getenv("UDMA_FAULT_TRACE") != NULL;
	if (g_trace)
		fprintf(stderr, "fault: call %lu: %s%s\n", n, what, n == g_nth ? " FAILS" : "");
#ifdef FI_STACKS
	if (g_trace)
		__sanitizer_print_stack_trace();
#endif
	if (n != g_nth)
		return false;
	atomic_store(&g_fired, true);
	g_what = what;
	errno = err;
	return true;
}

bool fi_should_fail(unsigned int cls)
{
	return hit(cls, cls == FI_OPEN ? ENOENT : EIO, cls == FI_OPEN ? "vfio open" : "vfio ioctl");
}

/* ---- the wrappers ---------------------------------------------------------- */
/* declared here: the prototypes exist only for the linker's __wrap_/__real_ names */
#define WRAP_DECL(ret, name, ...) \
	ret __real_##name(__VA_ARGS__); \
	ret __wrap_##name(__VA_ARGS__)

WRAP_DECL(void *, mmap64, void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	/*
	 * An anonymous MAP_FIXED replaces pages udma already owns (releasing memory back to
	 * its reservation, rolling a growth back): not a call that fails in practice, and
	 * not an allocation. Every other mmap may fail.
	 */
	if (!((flags & MAP_FIXED) && fd < 0) && hit(FI_MMAP, ENOMEM, "mmap"))
		return (void *)-1;
	return __real_mmap64(addr, len, prot, flags, fd, off);
}

WRAP_DECL(int, fallocate64, int fd, int mode, off_t off, off_t len);
int __wrap_fallocate64(int fd, int mode, off_t off, off_t len)
{
	if (hit(FI_FALLOC, ENOSPC, "fallocate"))
		return -1;
	return __real_fallocate64(fd, mode, off, len);
}

WRAP_DECL(int, ftruncate64, int fd, off_t len);
int __wrap_ftruncate64(int fd, off_t len)
{
	if (hit(FI_FALLOC, EFBIG, "ftruncate"))
		return -1;
	return __real_ftruncate64(fd, len);
}

WRAP_DECL(int, ioctl, int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (hit(FI_IOCTL, EIO, "ioctl"))
		return -1;
	return __real_ioctl(fd, req, arg);
}

WRAP_DECL(int, open64, const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	if (hit(FI_OPEN, EMFILE, "open"))
		return -1;
	return __real_open64(path, flags, mode);
}

WRAP_DECL(int, memfd_create, const char *name, unsigned int flags);
int __wrap_memfd_create(const char *name, unsigned int flags)
{
	if (hit(FI_OPEN, EMFILE, "memfd_create"))
		return -1;
	return __real_memfd_create(name, flags);
}

WRAP_DECL(FILE *, fopen64, const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode)
{
	if (hit(FI_OPEN, EMFILE, "fopen"))
		return NULL;
	return __real_fopen64(path, mode);
}

WRAP_DECL(DIR *, opendir, const char *path);
DIR *__wrap_opendir(const char *path)
{
	if (hit(FI_OPEN, EMFILE, "opendir"))
		return NULL;
	return __real_opendir(path);
}

WRAP_DECL(void *, malloc, size_t n);
void *__wrap_malloc(size_t n)
{
	if (hit(FI_MALLOC, ENOMEM, "malloc"))
		return NULL;
	return __real_malloc(n);
}

WRAP_DECL(void *, calloc, size_t n, size_t sz);
void *__wrap_calloc(size_t n, size_t sz)
{
	if (hit(FI_MALLOC, ENOMEM, "calloc"))
		return NULL;
	return __real_calloc(n, sz);
}

WRAP_DECL(void *, realloc, void *p, size_t n);
void *__wrap_realloc(void *p, size_t n)
{
	if (hit(FI_MALLOC, ENOMEM, "realloc"))
		return NULL;
	return __real_realloc(p, n);
}

WRAP_DECL(void *, aligned_alloc, size_t align, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n)
{
	if (hit(FI_MALLOC, ENOMEM, "aligned_alloc"))
		return NULL;
	return __real_aligned_alloc(align, n);
}

WRAP_DECL(int, posix_memalign, void **p, size_t align, size_t n);
int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
	if (hit(FI_MALLOC, ENOMEM, "posix_memalign"))
		return ENOMEM;
	return __real_posix_memalign(p, align, n);
}

WRAP_DECL(int, mlock, const void *addr, size_t len);
int __wrap_mlock(const void *addr, size_t len)
{
	if (hit(FI_MLOCK, ENOMEM, "mlock"))
		return -1;
	return __real_mlock(addr, len);
}

WRAP_DECL(long, mbind, void *addr, unsigned long len, int mode, const unsigned long *nodemask,
	  unsigned long maxnode, unsigned int flags);
long __wrap_mbind(void *addr, unsigned long len, int mode, const unsigned long *nodemask,
		  unsigned long maxnode, unsigned int flags)
{
	if (hit(FI_MLOCK, EIO, "mbind"))
		return -1;
	return __real_mbind(addr, len, mode, nodemask, maxnode, flags);
}
