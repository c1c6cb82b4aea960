/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "eal_private.h"

int g_log_level = UDMA_LOG_NOTICE;
static FILE *g_log_stream;
static atomic_ulong g_log_errors;
static atomic_ulong g_log_suppressed;
static uint64_t g_log_epoch; /* windows opened before it (the last init) are closed */
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
	"EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG",
};

int udma_log_set_level(int level)
{
	if (level < UDMA_LOG_EMERG || level > UDMA_LOG_DEBUG) {
		udma_log(UDMA_LOG_ERR, "udma_log_set_level(): level %d not in 0..7", level);
		return -EINVAL;
	}
	g_log_level = level;
	return 0;
}

int udma_log_get_level(void)
{
	return g_log_level;
}

void udma_log_set_stream(FILE *f)
{
	pthread_mutex_lock(&g_log_lock);
	g_log_stream = f;
	pthread_mutex_unlock(&g_log_lock);
}

unsigned long udma_log_error_count(void)
{
	return atomic_load(&g_log_errors);
}

unsigned long udma_log_suppressed_count(void)
{
	return atomic_load(&g_log_suppressed);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + 1; /* never 0 */
}

void log_reset_counters(void)
{
	atomic_store(&g_log_errors, 0);
	atomic_store(&g_log_suppressed, 0);
	/* +1: a window opened in the same coarse tick is closed too */
	__atomic_store_n(&g_log_epoch, now_ns() + 1, __ATOMIC_RELAXED);
}

static void log_line(int level, const char *line)
{
	FILE *f;

	/* one message, one line: the stream is locked so lines never interleave */
	pthread_mutex_lock(&g_log_lock);
	f = g_log_stream ? g_log_stream : stderr;
	fprintf(f, "UDMA: %s: %s\n", level_names[level], line);
	fflush(f);
	pthread_mutex_unlock(&g_log_lock);
}

static void log_vline(int level, const char *fmt, va_list ap)
{
	char line[512];

	if (level < UDMA_LOG_EMERG)
		level = UDMA_LOG_EMERG;
	if (level > UDMA_LOG_DEBUG)
		level = UDMA_LOG_DEBUG;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_line(level, line);
}

void udma_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level <= UDMA_LOG_ERR)
		atomic_fetch_add(&g_log_errors, 1);
	if (level > g_log_level)
		return;
	va_start(ap, fmt);
	log_vline(level, fmt, ap);
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
	uint64_t epoch = __atomic_load_n(&g_log_epoch, __ATOMIC_RELAXED);

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
	atomic_fetch_add_explicit(&g_log_suppressed, 1, memory_order_relaxed);
	return false;
}

void log_rl(struct log_ratelimit *rl, int level, const char *site, const char *fmt, ...)
{
	uint64_t missed;
	va_list ap;

	if (level <= UDMA_LOG_ERR)
		atomic_fetch_add_explicit(&g_log_errors, 1, memory_order_relaxed);
	if (level > g_log_level)
		return;
	if (!log_rl_pass(rl, &missed))
		return;
	if (missed) {
		char line[160];

		snprintf(line, sizeof(line), "%s(): %llu messages suppressed", site,
			 (unsigned long long)missed);
		log_line(level < UDMA_LOG_EMERG ? UDMA_LOG_EMERG : level, line);
	}
	va_start(ap, fmt);
	log_vline(level, fmt, ap);
	va_end(ap);
}
