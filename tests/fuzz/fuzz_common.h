/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the libFuzzer harnesses: a byte reader over the input, a hard failure
 * that libFuzzer records as a crash (the input is saved and printed), and the
 * temporary list of known defects the harnesses step around.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a broken invariant: print it and abort, libFuzzer keeps the input as crash-* */
#define FZ_CHECK(cond, ...)                                                              \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "FUZZ INVARIANT BROKEN at %s:%d: %s: ", __FILE__, \
				__LINE__, #cond);                                        \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* the input, consumed from the front; reads past the end give zeros */
struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	return (uint16_t)(fz_u8(in) | fz_u8(in) << 8);
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	return (uint32_t)fz_u16(in) | (uint32_t)fz_u16(in) << 16;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	return (uint64_t)fz_u32(in) | (uint64_t)fz_u32(in) << 32;
}

/* open file descriptors of this process */
static inline int fz_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 1; /* the directory's own fd; "." and ".." are counted as the rest */
}

/*
 * ---- Known defects: a TEMPORARY exclusion list (empty now) -------------------
 * A defect another branch is fixing would stop the harnesses on almost every run,
 * so inputs that reach one can be stepped around here (the operation is skipped
 * and counted). Each entry names the defect; it goes (with its uses) once the fix
 * is on main. UDMA_FUZZ_NO_EXCLUDE=1 in the environment turns the whole list off,
 * UDMA_FUZZ_FIND=N (an enum value below) lifts entry N alone: to show that the
 * fuzzer finds it. Issue 8's entries (defects 1, 2, 4, 7, 8, option values, sim
 * strictness) are gone: fixed, and checked by every run. Defects 3 (device destroy
 * with a pool), 5 (bounce capacity over rounds), 6 (declared memory) and 9 (the
 * stale-file sweep) are not reached by these harnesses' operations; their
 * regression tests cover them.
 */
enum fz_known {
	/* empty: issue 8's defects 1, 2, 4, 7, 8, the option values and the sim IOMMU's
	 * strictness are fixed and the harnesses check them (add an entry here, from 1,
	 * for a newly known defect a fix is under way for) */
	FZ_KNOWN_NR = 1
};

static const char *const fz_known_name[FZ_KNOWN_NR] = {NULL};

static unsigned long fz_known_hits[FZ_KNOWN_NR];
static int fz_exclude = -1, fz_find = -1;

/* 1 when the operation must be skipped because it reaches known defect @k */
static inline int fz_known(enum fz_known k)
{
	if (fz_exclude < 0) {
		const char *e = getenv("UDMA_FUZZ_NO_EXCLUDE");

		fz_exclude = !(e && *e && strcmp(e, "0") != 0);
		e = getenv("UDMA_FUZZ_FIND");
		fz_find = e ? atoi(e) : 0;
	}
	if (!fz_exclude || (int)k == fz_find)
		return 0;
	fz_known_hits[k]++;
	return 1;
}

/* at exit: how often each known defect was stepped around */
static inline void fz_known_report(void)
{
	for (int k = 1; k < FZ_KNOWN_NR; k++)
		if (fz_known_hits[k])
			fprintf(stderr, "fuzz: stepped around %s %lu times (temporary exclusion)\n",
				fz_known_name[k], fz_known_hits[k]);
}

#endif
