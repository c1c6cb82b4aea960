/* SPDX-License-Identifier: BSD-3-Clause */
/* The dma-debug switch and hook table the mapping layers call through (dma_debug.h). */
#include <stdarg.h>
#include <stdio.h>

#include "dma_debug.h"
#include "eal_private.h"

struct dma_debug_hooks g_dma_debug;

void dbg_report(const char *devname, const char *call, const void *caller, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g_dma_debug.ops)
		g_dma_debug.ops->report(devname, call, caller, msg);
	else
		udma_log(UDMA_LOG_ERR, "%s(): device %s: %s", call, devname, msg);
}
