/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the cmocka suites: init per IOVA mode, log capture, pagemap. */
#ifndef TEST_COMMON_H
#define TEST_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include <cmocka.h>

#include <udma.h>

/* the modes every data-path test runs in */
enum t_mode { T_SIM, T_VA, T_PA, T_FORCE, T_NMODES };

static const char *const t_mode_name[T_NMODES] = {"sim", "va", "pa", "sim+swiotlb=force"};

/* can pa mode run here (root reads PFNs, hugepages free)? */
static inline int t_pa_possible(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	int free_pages = 0;

	if (f) {
		if (fscanf(f, "%d", &free_pages) != 1)
			free_pages = 0;
		fclose(f);
	}
	return geteuid() == 0 && free_pages >= 64;
}

/* udma_eal_init with a NULL-terminated list of options after argv[0] */
static inline int t_init_args(const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"test";
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return udma_eal_init(argc, argv);
}

/* init in @mode with @mb of memory; returns 0, or 1 when the mode cannot run here */
static inline int t_init_mode(enum t_mode mode, const char *mb)
{
	int ret;

	switch (mode) {
	case T_SIM:
		ret = t_init_args("--iova-mode=sim", "-m", mb, "--log-level=2", NULL);
		break;
	case T_VA:
		ret = t_init_args("--iova-mode=va", "--no-huge", "-m", mb, "--log-level=2", NULL);
		break;
	case T_PA:
		if (!t_pa_possible())
			return 1;
		ret = t_init_args("--iova-mode=pa", "-m", mb, "--log-level=2", NULL);
		break;
	default:
		ret = t_init_args("--iova-mode=sim", "--swiotlb=force", "-m", mb, "--log-level=2",
				  NULL);
		break;
	}
	assert_true(ret >= 0);
	return 0;
}

/* a device with 64-bit masks */
static inline struct udma_device *t_dev64(const char *name)
{
	struct udma_device *d = udma_device_create(name, NULL, -1);

	assert_non_null(d);
	assert_int_equal(udma_set_mask_and_coherent(d, UDMA_BIT_MASK(64)), 0);
	return d;
}

/* capture log lines: t_log_begin(), do things, t_log_end() returns the text (free it) */
struct t_log {
	char *buf;
	size_t len;
	FILE *f;
	int level;
};

static inline void t_log_begin(struct t_log *l)
{
	l->buf = NULL;
	l->len = 0;
	l->f = open_memstream(&l->buf, &l->len);
	assert_non_null(l->f);
	l->level = udma_log_get_level();
	udma_log_set_level(UDMA_LOG_ERR); /* errors only: one line per misuse */
	udma_log_set_stream(l->f);
}

static inline char *t_log_end(struct t_log *l)
{
	udma_log_set_stream(NULL);
	udma_log_set_level(l->level);
	fclose(l->f);
	return l->buf;
}

/* what udma_dump() prints now, as a string the caller frees (not inlined: gcc
 * would take the result for a pointer to the local that open_memstream() fills) */
static __attribute__((unused, noinline)) char *t_dump(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	udma_dump(f);
	fclose(f);
	assert_non_null(buf);
	return buf;
}

/* map_single @va (memory the device cannot reach as it is): it must map, through
 * exactly one bounce */
static inline udma_addr_t t_map_bounced(struct udma_device *dev, void *va, size_t len,
					enum udma_data_direction dir)
{
	struct udma_swiotlb_stats s0, s1;
	udma_addr_t h;

	assert_int_equal(udma_swiotlb_stats(&s0), 0);
	h = udma_map_single(dev, va, len, dir);
	assert_int_not_equal(h, UDMA_MAPPING_ERROR);
	assert_int_equal(udma_swiotlb_stats(&s1), 0);
	assert_int_equal(s1.bounces, s0.bounces + 1);
	return h;
}

/* guest tests: DMAR fault lines in the kernel log that start "DMAR: [DMA @kind" and
 * name the device at @pci_addr ("0000:00:04.0": the log drops the domain) */
static inline int t_dmar_faults(const char *pci_addr, const char *kind)
{
	char *buf = malloc(1 << 20), *p;
	char bdf[16], head[32];
	int n, count = 0;

	assert_non_null(buf);
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, (1 << 20) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	snprintf(bdf, sizeof(bdf), "[%s]", pci_addr + 5); /* "[00:04.0]" */
	snprintf(head, sizeof(head), "DMAR: [DMA %s", kind);
	for (p = buf; (p = strstr(p, head)) != NULL; p++) {
		char *eol = strchr(p, '\n');

		if (eol && memmem(p, (size_t)(eol - p), bdf, strlen(bdf)))
			count++;
	}
	free(buf);
	return count;
}

/* lines in @text containing @needle */
static inline int t_count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* PA of a touched address from our own pagemap read (pa mode checks) */
static inline uint64_t t_pagemap_pa(const void *va)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t ent = 0;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &ent, 8, (off_t)((uintptr_t)va >> 12) * 8), 8);
	close(fd);
	assert_true(ent >> 63);
	return ((ent & ((1ULL << 55) - 1)) << 12) | ((uintptr_t)va & 0xfff);
}

/* fill with a pattern derived from @seed; check it */
static inline void t_fill(void *p, size_t n, unsigned int seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static inline int t_check(const void *p, size_t n, unsigned int seed)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)(seed * 131 + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

/*
 * The device model sees @va's bytes at @h both ways: CPU fill (pattern @seed) read
 * by the device from the start, a device write (@seed + 1) of the end read by the CPU.
 * Up to 256 bytes each way.
 */
static inline void t_device_sees(struct udma_device *dev, uint8_t *va, udma_addr_t h, size_t len,
				 unsigned int seed)
{
	uint8_t out[256];
	size_t n = len < sizeof(out) ? len : sizeof(out);

	t_fill(va, len, seed);
	assert_int_equal(udma_sim_dma_read(dev, h, out, n), 0);
	assert_memory_equal(out, va, n);
	t_fill(out, n, seed + 1);
	assert_int_equal(udma_sim_dma_write(dev, h + len - n, out, n), 0);
	assert_memory_equal(va + len - n, out, n);
}

#endif
