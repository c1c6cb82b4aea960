/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "eal_private.h"

int g_log_level = UDMA_LOG_NOTICE;
static FILE *g_log_stream;
static atomic_ulong g_log_errors;
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

void eal_log_reset_counters(void)
{
	atomic_store(&g_log_errors, 0);
}

void udma_log(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	FILE *f;

	if (level <= UDMA_LOG_ERR)
		atomic_fetch_add(&g_log_errors, 1);
	if (level > g_log_level)
		return;
	if (level < UDMA_LOG_EMERG)
		level = UDMA_LOG_EMERG;
	if (level > UDMA_LOG_DEBUG)
		level = UDMA_LOG_DEBUG;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one message, one line: the stream is locked so lines never interleave */
	pthread_mutex_lock(&g_log_lock);
	f = g_log_stream ? g_log_stream : stderr;
	fprintf(f, "UDMA: %s: %s\n", level_names[level], line);
	fflush(f);
	pthread_mutex_unlock(&g_log_lock);
}
