/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma-debug: a hash of live mappings keyed by handle, a table of cache lines held
 * by device-written mappings, a ring of recent unmaps (to tell "double" from
 * "never"), and rate-limited reports. Every hook runs only when --dma-debug is on.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dma_debug.h"
#include "dma_private.h"
#include "udma_debug.h"
#include "udma_sg.h"

#define NBUCKETS 1024
#define NRECENT 256
#define NREPORTS 16
#define MAX_LINES 1024 /* cache lines tracked per mapping (first and last halves) */

struct dbg_entry {
	struct dbg_entry *next;
	struct udma_device *dev;
	enum dbg_type type;
	const void *cpu;
	udma_addr_t handle;
	size_t size;
	int dir;
	int sg_nents;
	bool checked;
	const void *caller;
};

struct cl_entry {
	struct cl_entry *next;
	uintptr_t line;
	const struct dbg_entry *owner;
};

struct dbg_recent {
	const struct udma_device *dev;
	udma_addr_t handle;
	enum dbg_type type;
};

/*
 * dma-debug's state. The on/off flag the mapping paths test and the hook table
 * live in lib/dma (g_dma_debug): the layer below calls up through them.
 */
static struct debug_state {
	pthread_mutex_t lock; /* everything below but errors */
	struct dbg_entry *bucket[NBUCKETS];
	struct cl_entry *lines[NBUCKETS];
	struct dbg_recent recent[NRECENT];
	unsigned int recent_n;
	atomic_ulong errors;
	char reports[NREPORTS][512];
	unsigned long live;
	unsigned long limit; /* --dma-debug-limit: reports printed, 0 = all */
} g_dbg = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const char *const type_name[] = {
	"map_single", "map_page", "map_sg", "alloc_coherent", "alloc_noncoherent", "pool_alloc",
};

static const char *dir_name(int dir)
{
	static const char *const n[] = {"BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE", "NONE"};

	return dir >= 0 && dir <= 3 ? n[dir] : "-";
}

static void where(const void *caller, char *buf, size_t len)
{
	Dl_info info;

	if (caller && dladdr(caller, &info) && info.dli_sname)
		snprintf(buf, len, "%s+%#lx", info.dli_sname,
			 (unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_saddr));
	else
		snprintf(buf, len, "%p", caller);
}

static void debug_report(const char *devname, const char *call, const void *caller,
			 const char *text)
{
	unsigned long n = atomic_fetch_add(&g_dbg.errors, 1);
	unsigned long limit = g_dbg.limit;
	char at[96];

	where(caller, at, sizeof(at));
	snprintf(g_dbg.reports[n % NREPORTS], sizeof(g_dbg.reports[0]),
		 "device %s: %s (called from %s): %s", devname, call, at, text);
	if (limit == 0 || n < limit)
		udma_log(UDMA_LOG_ERR, "DMA-API: %s", g_dbg.reports[n % NREPORTS]);
	else if (n == limit)
		udma_log(UDMA_LOG_ERR, "DMA-API: further reports counted, not printed "
			 "(--dma-debug-limit=%lu)", limit);
}

static unsigned int bucket(udma_addr_t handle)
{
	return (unsigned int)((handle >> 12) ^ (handle >> 24)) % NBUCKETS;
}

/* the live entry of @dev starting at @handle (exact), or containing it; lock held */
static struct dbg_entry **find(const struct udma_device *dev, udma_addr_t handle, bool contain)
{
	for (struct dbg_entry **p = &g_dbg.bucket[bucket(handle)]; *p; p = &(*p)->next)
		if ((*p)->dev == dev && (*p)->handle == handle)
			return p;
	if (!contain)
		return NULL;
	for (unsigned int b = 0; b < NBUCKETS; b++)
		for (struct dbg_entry **p = &g_dbg.bucket[b]; *p; p = &(*p)->next)
			if ((*p)->dev == dev && handle - (*p)->handle < (*p)->size)
				return p;
	return NULL;
}

/* ---- cache lines of device-written mappings ------------------------------ */

static void lines_each(const struct dbg_entry *e, void (*fn)(const struct dbg_entry *, uintptr_t,
							     void *), void *arg)
{
	uintptr_t cl = (uintptr_t)eal_cache_line_size();
	uintptr_t first = (uintptr_t)e->cpu & ~(cl - 1);
	uintptr_t last = ((uintptr_t)e->cpu + e->size - 1) & ~(cl - 1);
	size_t n = (last - first) / cl + 1;

	for (size_t i = 0; i < n; i++) {
		if (n > MAX_LINES && i == MAX_LINES / 2)
			i = n - MAX_LINES / 2; /* the ends, where neighbours meet */
		fn(e, first + i * cl, arg);
	}
}

static void line_add(const struct dbg_entry *e, uintptr_t line, void *arg)
{
	const struct dbg_entry **clash = arg;
	unsigned int b = (unsigned int)(line / 64) % NBUCKETS;
	struct cl_entry *c;

	for (c = g_dbg.lines[b]; c; c = c->next)
		if (c->line == line && *clash == NULL)
			*clash = c->owner;
	c = malloc(sizeof(*c));
	if (c == NULL)
		return;
	c->line = line;
	c->owner = e;
	c->next = g_dbg.lines[b];
	g_dbg.lines[b] = c;
}

static void line_del(const struct dbg_entry *e, uintptr_t line, void *arg)
{
	unsigned int b = (unsigned int)(line / 64) % NBUCKETS;

	(void)arg;
	for (struct cl_entry **p = &g_dbg.lines[b]; *p; p = &(*p)->next)
		if ((*p)->line == line && (*p)->owner == e) {
			struct cl_entry *c = *p;

			*p = c->next;
			free(c);
			return;
		}
}

static bool tracks_lines(const struct dbg_entry *e)
{
	return e->cpu && e->dir != UDMA_TO_DEVICE &&
	       (e->type == DBG_SINGLE || e->type == DBG_PAGE || e->type == DBG_SG);
}

/* ---- map / unmap ------------------------------------------------------------- */

static void entry_add(struct dbg_entry *e)
{
	const struct dbg_entry *clash = NULL;
	unsigned int b = bucket(e->handle);

	pthread_mutex_lock(&g_dbg.lock);
	e->next = g_dbg.bucket[b];
	g_dbg.bucket[b] = e;
	g_dbg.live++;
	if (tracks_lines(e))
		lines_each(e, line_add, &clash);
	pthread_mutex_unlock(&g_dbg.lock);
	if (clash)
		dbg_report(e->dev->name, type_name[e->type], e->caller,
			   "[%p, +%zu) %s shares a cache line with the mapping of %p at iova %#llx; "
			   "the device's writes and the CPU's will corrupt each other", e->cpu, e->size,
			   dir_name(e->dir), clash->cpu, (unsigned long long)clash->handle);
}

static void debug_map(struct udma_device *dev, enum dbg_type t, const void *cpu, udma_addr_t handle,
	     size_t size, int dir, const void *caller)
{
	struct dbg_entry *e;

	if (handle == UDMA_MAPPING_ERROR || (e = calloc(1, sizeof(*e))) == NULL)
		return;
	e->dev = dev;
	e->type = t;
	e->cpu = cpu;
	e->handle = handle;
	e->size = size;
	e->dir = dir;
	e->caller = caller;
	e->checked = t != DBG_SINGLE && t != DBG_PAGE;
	entry_add(e);
}

static void recent_add(const struct dbg_entry *e)
{
	unsigned int i = g_dbg.recent_n++ % NRECENT;

	g_dbg.recent[i].dev = e->dev;
	g_dbg.recent[i].handle = e->handle;
	g_dbg.recent[i].type = e->type;
}

static bool recently_gone(const struct udma_device *dev, udma_addr_t handle)
{
	for (unsigned int i = 0; i < NRECENT; i++)
		if (g_dbg.recent[i].dev == dev && g_dbg.recent[i].handle == handle)
			return true;
	return false;
}

/* unlink and return the entry (NULL: reported as never mapped / double); lock taken here */
static struct dbg_entry *take(struct udma_device *dev, udma_addr_t handle, const char *call,
			      const void *caller)
{
	struct dbg_entry **p, *e = NULL;
	bool again = false;

	pthread_mutex_lock(&g_dbg.lock);
	p = find(dev, handle, false);
	if (p) {
		e = *p;
		*p = e->next;
		g_dbg.live--;
		if (tracks_lines(e))
			lines_each(e, line_del, NULL);
		recent_add(e);
	} else {
		again = recently_gone(dev, handle);
	}
	pthread_mutex_unlock(&g_dbg.lock);
	if (e == NULL)
		dbg_report(dev->name, call, caller, again ?
			   "iova %#llx was already unmapped or freed (double unmap/free)" :
			   "iova %#llx was never mapped or allocated for this device",
			   (unsigned long long)handle);
	return e;
}

static void debug_unmap(struct udma_device *dev, enum dbg_type t, udma_addr_t handle, size_t size, int dir,
	       const char *call, const void *caller)
{
	struct dbg_entry *e = take(dev, handle, call, caller);
	char at[96];

	if (e == NULL)
		return;
	where(e->caller, at, sizeof(at));
	if (e->type != t && !(e->type == DBG_SINGLE && t == DBG_PAGE) &&
	    !(e->type == DBG_PAGE && t == DBG_SINGLE)) {
		/* a different kind of thing: its size and direction mean nothing here */
		dbg_report(dev->name, call, caller, "iova %#llx came from %s (at %s), not %s: wrong "
			   "free function", (unsigned long long)handle, type_name[e->type], at,
			   type_name[t]);
		free(e);
		return;
	}
	if (e->type != t)
		dbg_report(dev->name, call, caller, "iova %#llx came from %s (at %s): unmap it with "
			   "the matching call", (unsigned long long)handle, type_name[e->type], at);
	if (e->size != size)
		dbg_report(dev->name, call, caller, "iova %#llx mapped with size %zu (at %s), "
			   "unmapped with size %zu", (unsigned long long)handle, e->size, at, size);
	if (dir >= 0 && e->dir >= 0 && e->dir != dir)
		dbg_report(dev->name, call, caller, "iova %#llx mapped %s (at %s), unmapped %s",
			   (unsigned long long)handle, dir_name(e->dir), at, dir_name(dir));
	if (!e->checked)
		dbg_report(dev->name, call, caller, "iova %#llx (mapped at %s): the driver never "
			   "checked it with udma_mapping_error()", (unsigned long long)handle, at);
	free(e);
}

static void debug_mapping_error(struct udma_device *dev, udma_addr_t handle)
{
	struct dbg_entry **p;

	pthread_mutex_lock(&g_dbg.lock);
	p = find(dev, handle, false);
	if (p)
		(*p)->checked = true;
	pthread_mutex_unlock(&g_dbg.lock);
}

static void debug_sync(struct udma_device *dev, udma_addr_t handle, size_t off, size_t size, int dir,
	      const char *call, const void *caller)
{
	struct dbg_entry **p, e = {0};
	char at[96];

	pthread_mutex_lock(&g_dbg.lock);
	p = find(dev, handle, true);
	if (p)
		e = **p;
	pthread_mutex_unlock(&g_dbg.lock);
	if (p == NULL) {
		dbg_report(dev->name, call, caller, "iova %#llx is not inside any live mapping",
			   (unsigned long long)handle);
		return;
	}
	where(e.caller, at, sizeof(at));
	if (handle - e.handle + off > e.size || size > e.size - (handle - e.handle + off))
		dbg_report(dev->name, call, caller, "sync of [%#llx, +%zu) runs past the mapping "
			   "[%#llx, +%zu) made at %s", (unsigned long long)(handle + off), size,
			   (unsigned long long)e.handle, e.size, at);
	if (e.dir != UDMA_BIDIRECTIONAL && dir != e.dir)
		dbg_report(dev->name, call, caller, "iova %#llx mapped %s (at %s), synced %s",
			   (unsigned long long)handle, dir_name(e.dir), at, dir_name(dir));
}

/* ---- scatterlists ------------------------------------------------------------ */

static void debug_map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents, int mapped, int dir,
		const void *caller)
{
	struct udma_sg *sg;
	int i;

	if (mapped <= 0)
		return;
	udma_for_each_sg(sgl, sg, nents, i) {
		struct dbg_entry *e = calloc(1, sizeof(*e));

		if (e == NULL)
			return;
		e->dev = dev;
		e->type = DBG_SG;
		e->cpu = sg->buf;
		e->handle = sg->map_iova;
		e->size = sg->length;
		e->dir = dir;
		e->sg_nents = nents;
		e->caller = caller;
		e->checked = true;
		entry_add(e);
	}
}

static void debug_unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents, int dir,
		  const char *call, const void *caller)
{
	struct udma_sg *sg;
	bool told = false;
	int i;

	for (i = 0, sg = sgl; i < nents && sg; i++, sg = udma_sg_next(sg)) {
		struct dbg_entry *e = take(dev, sg->map_iova, call, caller);

		if (e == NULL)
			break; /* one report per list */
		if (e->sg_nents != nents && !told) {
			dbg_report(dev->name, call, caller, "sg list mapped with nents %d, unmapped "
				   "with %d (pass what you passed to map, not what it returned)",
				   e->sg_nents, nents);
			told = true;
		}
		if (e->type != DBG_SG)
			dbg_report(dev->name, call, caller, "iova %#llx came from %s, not map_sg",
				   (unsigned long long)e->handle, type_name[e->type]);
		else if (e->dir != dir)
			dbg_report(dev->name, call, caller, "sg mapped %s, unmapped %s",
				   dir_name(e->dir), dir_name(dir));
		free(e);
	}
}

/* ---- leaks, dump, life cycle ------------------------------------------------------ */

static void dbg_device_destroy(struct udma_device *dev)
{
	for (unsigned int b = 0; b < NBUCKETS; b++) {
		for (;;) {
			struct dbg_entry **p, *e = NULL;
			char at[96];

			pthread_mutex_lock(&g_dbg.lock);
			for (p = &g_dbg.bucket[b]; *p; p = &(*p)->next)
				if ((*p)->dev == dev) {
					e = *p;
					*p = e->next;
					g_dbg.live--;
					if (tracks_lines(e))
						lines_each(e, line_del, NULL);
					break;
				}
			pthread_mutex_unlock(&g_dbg.lock);
			if (e == NULL)
				break;
			where(e->caller, at, sizeof(at));
			dbg_report(dev->name, "udma_device_destroy", NULL, "leak: %s of [%p, +%zu) at "
				   "iova %#llx, made at %s, still live", type_name[e->type], e->cpu,
				   e->size, (unsigned long long)e->handle, at);
			free(e);
		}
	}
}

int udma_debug_enabled(void)
{
	return g_dma_debug.on;
}

unsigned long udma_debug_error_count(void)
{
	return atomic_load(&g_dbg.errors);
}

void udma_debug_dump(FILE *f)
{
	unsigned long n = atomic_load(&g_dbg.errors);

	if (f == NULL)
		f = stdout;
	pthread_mutex_lock(&g_dbg.lock);
	fprintf(f, "dma-debug: %s, %lu live entries, %lu report(s)\n",
		g_dma_debug.on ? "on" : "off", g_dbg.live, n);
	for (unsigned int b = 0; b < NBUCKETS; b++)
		for (struct dbg_entry *e = g_dbg.bucket[b]; e; e = e->next) {
			char at[96];

			where(e->caller, at, sizeof(at));
			fprintf(f, "  %s %s: [%p, +%zu) iova %#llx %s, made at %s\n", e->dev->name,
				type_name[e->type], e->cpu, e->size, (unsigned long long)e->handle,
				dir_name(e->dir), at);
		}
	pthread_mutex_unlock(&g_dbg.lock);
	for (unsigned long i = n > NREPORTS ? n - NREPORTS : 0; i < n; i++)
		fprintf(f, "  report %lu: %s\n", i + 1, g_dbg.reports[i % NREPORTS]);
}

static void dbg_clear(void)
{
	pthread_mutex_lock(&g_dbg.lock);
	for (unsigned int b = 0; b < NBUCKETS; b++) {
		while (g_dbg.bucket[b]) {
			struct dbg_entry *e = g_dbg.bucket[b];

			g_dbg.bucket[b] = e->next;
			free(e);
		}
		while (g_dbg.lines[b]) {
			struct cl_entry *c = g_dbg.lines[b];

			g_dbg.lines[b] = c->next;
			free(c);
		}
	}
	memset(g_dbg.recent, 0, sizeof(g_dbg.recent));
	g_dbg.recent_n = 0;
	g_dbg.live = 0;
	pthread_mutex_unlock(&g_dbg.lock);
}

static int dbg_init(const struct eal_config *cfg)
{
	dbg_clear();
	atomic_store(&g_dbg.errors, 0);
	g_dbg.limit = (unsigned long)cfg->dma_debug_limit;
	g_dma_debug.on = cfg->dma_debug;
	if (g_dma_debug.on)
		udma_log(UDMA_LOG_NOTICE, "udma_eal_init(): dma-debug on: printing the first %lu "
			 "report(s)%s", g_dbg.limit, g_dbg.limit ? "" : " (all)");
	return 0;
}

static void dbg_fini(void)
{
	g_dma_debug.on = false;
	dbg_clear();
}

static const struct eal_hook g_dbg_hook = {.name = "dma-debug", .init = dbg_init, .fini = dbg_fini};

static const struct dma_debug_ops g_debug_ops = {
	.map = debug_map,
	.unmap = debug_unmap,
	.mapping_error = debug_mapping_error,
	.sync = debug_sync,
	.map_sg = debug_map_sg,
	.unmap_sg = debug_unmap_sg,
	.report = debug_report,
	.error_count = udma_debug_error_count,
};

__attribute__((constructor)) static void dbg_register(void)
{
	g_dma_debug.ops = &g_debug_ops;
	eal_hook_register(&g_dbg_hook, EAL_STAGE_DEBUG);
	dma_dev_destroy_hook_register(dbg_device_destroy);
}
