/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define EAL_LOG_C /* defines udma_log() itself */
#include "eal_private.h"

/* the log subsystem's state (the rate-limit windows live at their call sites) */
static struct log_state {
	int level;
	int type_level[UDMA_LOGTYPE_MAX]; /* -1: follow level */
	FILE *stream;
	udma_log_handler_t handler;
	void *ctx;
	/* readers: a message in flight to the handler; writer: udma_log_set_handler() */
	pthread_rwlock_t handler_lock;
	atomic_ulong errors;
	atomic_ulong suppressed;
	uint64_t epoch; /* windows opened before it (the last init) are closed */
	pthread_mutex_t lock;
} g_log = {
	.level = UDMA_LOG_NOTICE,
	.type_level = {[0 ... UDMA_LOGTYPE_MAX - 1] = -1},
	.handler_lock = PTHREAD_RWLOCK_INITIALIZER,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static const char *const level_names[] = {
	"EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG",
};

int udma_log_set_level(int level)
{
	if (level < UDMA_LOG_EMERG || level > UDMA_LOG_DEBUG) {
		udma_log(UDMA_LOG_ERR, "udma_log_set_level(): level %d not in 0..7", level);
		return -EINVAL;
	}
	g_log.level = level;
	return 0;
}

int udma_log_get_level(void)
{
	return g_log.level;
}

static const char *const type_names[UDMA_LOGTYPE_MAX] = {
	[UDMA_LOGTYPE_EAL] = "eal",     [UDMA_LOGTYPE_MEM] = "mem",
	[UDMA_LOGTYPE_IOVA] = "iova",   [UDMA_LOGTYPE_DEV] = "dev",
	[UDMA_LOGTYPE_MAP] = "map",     [UDMA_LOGTYPE_SG] = "sg",
	[UDMA_LOGTYPE_POOL] = "pool",   [UDMA_LOGTYPE_DEBUG] = "debug",
	[UDMA_LOGTYPE_VFIO] = "vfio",   [UDMA_LOGTYPE_PCI] = "pci",
	[UDMA_LOGTYPE_SIM] = "sim",     [UDMA_LOGTYPE_USER] = "user",
};

static bool type_ok(enum udma_log_type type)
{
	return (unsigned int)type < UDMA_LOGTYPE_MAX;
}

int udma_log_set_type_level(enum udma_log_type type, int level)
{
	if (!type_ok(type) || level < -1 || level > UDMA_LOG_DEBUG) {
		udma_log(UDMA_LOG_ERR, "udma_log_set_type_level(): type %d or level %d invalid "
			 "(types 0..%d, levels -1..7)", (int)type, level, UDMA_LOGTYPE_MAX - 1);
		return -EINVAL;
	}
	__atomic_store_n(&g_log.type_level[type], level, __ATOMIC_RELAXED);
	return 0;
}

static inline int type_level(unsigned int type)
{
	int l = __atomic_load_n(&g_log.type_level[type], __ATOMIC_RELAXED);

	return l >= 0 ? l : g_log.level;
}

int udma_log_get_type_level(enum udma_log_type type)
{
	return type_ok(type) ? type_level(type) : -EINVAL;
}

int udma_log_type_by_name(const char *name)
{
	for (int i = 0; name && i < UDMA_LOGTYPE_MAX; i++)
		if (strcmp(name, type_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *udma_log_type_name(enum udma_log_type type)
{
	return type_ok(type) ? type_names[type] : NULL;
}

void log_type_levels_save(int *buf)
{
	memcpy(buf, g_log.type_level, sizeof(g_log.type_level));
}

void log_type_levels_restore(const int *buf)
{
	memcpy(g_log.type_level, buf, sizeof(g_log.type_level));
}

/* the path under the tree decides: drivers/iova/vfio -> vfio, lib/pool -> pool, ... */
enum udma_log_type log_type_of_file(const char *file)
{
	static const struct {
		const char *part;
		enum udma_log_type type;
	} map[] = {
		{"drivers/iova/vfio", UDMA_LOGTYPE_VFIO}, {"drivers/iova/sim", UDMA_LOGTYPE_SIM},
		{"drivers/iova/", UDMA_LOGTYPE_IOVA},     {"drivers/bus/pci", UDMA_LOGTYPE_PCI},
		{"vfio", UDMA_LOGTYPE_VFIO},              {"pci", UDMA_LOGTYPE_PCI},
		{"lib/pool/", UDMA_LOGTYPE_POOL},         {"lib/sg/", UDMA_LOGTYPE_SG},
		{"lib/debug/", UDMA_LOGTYPE_DEBUG},       {"lib/iova/", UDMA_LOGTYPE_IOVA},
		{"lib/dma/dma_map", UDMA_LOGTYPE_MAP},    {"lib/dma/dma_swiotlb", UDMA_LOGTYPE_MAP},
		{"lib/dma/dma_register", UDMA_LOGTYPE_MAP}, {"lib/dma/dma_sim", UDMA_LOGTYPE_SIM},
		{"lib/dma/", UDMA_LOGTYPE_DEV},           {"lib/eal/eal_memseg", UDMA_LOGTYPE_MEM},
		{"lib/eal/eal_heap", UDMA_LOGTYPE_MEM},   {"lib/eal/eal_pagemap", UDMA_LOGTYPE_MEM},
	};

	for (size_t i = 0; file && i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(file, map[i].part))
			return map[i].type;
	return UDMA_LOGTYPE_EAL;
}

static unsigned int rl_type(struct log_ratelimit *rl)
{
	int t = __atomic_load_n(&rl->type, __ATOMIC_RELAXED);

	if (udma_unlikely(t == 0)) {
		t = (int)log_type_of_file(rl->file) + 1;
		__atomic_store_n(&rl->type, t, __ATOMIC_RELAXED);
	}
	return (unsigned int)t - 1;
}

void udma_log_set_handler(udma_log_handler_t fn, void *ctx)
{
	pthread_rwlock_wrlock(&g_log.handler_lock);
	g_log.handler = fn;
	g_log.ctx = ctx;
	pthread_rwlock_unlock(&g_log.handler_lock);
}

void udma_log_set_stream(FILE *f)
{
	pthread_mutex_lock(&g_log.lock);
	g_log.stream = f;
	pthread_mutex_unlock(&g_log.lock);
}

unsigned long udma_log_error_count(void)
{
	return atomic_load(&g_log.errors);
}

unsigned long udma_log_suppressed_count(void)
{
	return atomic_load(&g_log.suppressed);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + 1; /* never 0 */
}

void eal_log_reset_counters(void)
{
	atomic_store(&g_log.errors, 0);
	atomic_store(&g_log.suppressed, 0);
	/* +1: a window opened in the same coarse tick is closed too */
	__atomic_store_n(&g_log.epoch, now_ns() + 1, __ATOMIC_RELAXED);
}

static void log_line(unsigned int type, int level, const char *line)
{
	FILE *f;

	pthread_rwlock_rdlock(&g_log.handler_lock);
	if (g_log.handler) {
		g_log.handler(g_log.ctx, (enum udma_log_type)type, level, line);
		pthread_rwlock_unlock(&g_log.handler_lock);
		return;
	}
	pthread_rwlock_unlock(&g_log.handler_lock);
	/* one message, one line: the stream is locked so lines never interleave */
	pthread_mutex_lock(&g_log.lock);
	f = g_log.stream ? g_log.stream : stderr;
	fprintf(f, "UDMA: %s: %s\n", level_names[level], line);
	fflush(f);
	pthread_mutex_unlock(&g_log.lock);
}

static void log_vline(unsigned int type, int level, const char *fmt, va_list ap)
{
	char line[512];

	if (level < UDMA_LOG_EMERG)
		level = UDMA_LOG_EMERG;
	if (level > UDMA_LOG_DEBUG)
		level = UDMA_LOG_DEBUG;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_line(type, level, line);
}

void udma_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level <= UDMA_LOG_ERR)
		atomic_fetch_add(&g_log.errors, 1);
	if (level > type_level(UDMA_LOGTYPE_EAL))
		return;
	va_start(ap, fmt);
	log_vline(UDMA_LOGTYPE_EAL, level, fmt, ap);
	va_end(ap);
}

void udma_log_type(enum udma_log_type type, int level, const char *fmt, ...)
{
	unsigned int t = type_ok(type) ? (unsigned int)type : UDMA_LOGTYPE_USER;
	va_list ap;

	if (fmt == NULL) {
		udma_log(UDMA_LOG_ERR, "udma_log_type(): NULL format");
		return;
	}
	if (level <= UDMA_LOG_ERR)
		atomic_fetch_add(&g_log.errors, 1);
	if (level > type_level(t))
		return;
	va_start(ap, fmt);
	log_vline(t, level, fmt, ap);
	va_end(ap);
}

/*
 * The kernel's ratelimit (DEFAULT_RATELIMIT_INTERVAL 5 s, BURST 10), per call site
 * and lock-free: a window opens at the first message after the last one closed;
 * the first LOG_RL_BURST messages of a window print, the rest are counted. The
 * thread that opens the next window prints how many the last one suppressed.
 */
static bool log_rl_pass(struct log_ratelimit *rl, uint64_t *missed)
{
	uint64_t now = now_ns(), begin = __atomic_load_n(&rl->begin, __ATOMIC_ACQUIRE);
	uint64_t epoch = __atomic_load_n(&g_log.epoch, __ATOMIC_RELAXED);

	*missed = 0;
	if (now < epoch)
		now = epoch; /* the window opened now is not closed by the epoch */
	if ((begin == 0 || begin < epoch || now - begin >= LOG_RL_INTERVAL_NS) &&
	    __atomic_compare_exchange_n(&rl->begin, &begin, now, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		*missed = __atomic_exchange_n(&rl->missed, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&rl->printed, 0, __ATOMIC_RELAXED);
	}
	/* a load first: past the burst, no store to the shared line but the count */
	if (__atomic_load_n(&rl->printed, __ATOMIC_RELAXED) < LOG_RL_BURST &&
	    __atomic_fetch_add(&rl->printed, 1, __ATOMIC_RELAXED) < LOG_RL_BURST)
		return true;
	__atomic_fetch_add(&rl->missed, 1, __ATOMIC_RELAXED);
	atomic_fetch_add_explicit(&g_log.suppressed, 1, memory_order_relaxed);
	return false;
}

void log_rl(struct log_ratelimit *rl, int level, const char *site, const char *fmt, ...)
{
	uint64_t missed;
	unsigned int type = rl_type(rl);
	va_list ap;

	if (level <= UDMA_LOG_ERR)
		atomic_fetch_add_explicit(&g_log.errors, 1, memory_order_relaxed);
	if (level > type_level(type))
		return;
	if (!log_rl_pass(rl, &missed))
		return;
	if (missed) {
		char line[160];

		snprintf(line, sizeof(line), "%s(): %llu messages suppressed", site,
			 (unsigned long long)missed);
		log_line(type, level < UDMA_LOG_EMERG ? UDMA_LOG_EMERG : level, line);
	}
	va_start(ap, fmt);
	log_vline(type, level, fmt, ap);
	va_end(ap);
}
