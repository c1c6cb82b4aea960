/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udma_eal_init_opts: the options structure becomes the argv udma_eal_init()
 * takes, so both forms are parsed and validated by the same code.
 */
#include <stdlib.h>
#include <string.h>

#include "eal_private.h"

#define OPTS_MIN_SIZE (offsetof(struct udma_eal_opts, opts_size) + sizeof(size_t))
#define MAX_ARGS 64
#define ARG_LEN 320

int udma_eal_opts_init(struct udma_eal_opts *opts, size_t opts_size)
{
	struct udma_eal_opts d = {0};

	if (opts == NULL || opts_size < OPTS_MIN_SIZE) {
		UDMA_LOG(ERR, "opts %p, opts_size %zu: expected a structure and its sizeof",
			 (void *)opts, opts_size);
		return -EINVAL;
	}
	d.opts_size = opts_size;
	d.iova_mode = UDMA_IOVA_DC;
	d.dma_debug_limit = -1;
	d.swiotlb = UDMA_SWIOTLB_AUTO;
	d.log_level = -1;
	d.vfio_group = -1;
	/* an older application gets the fields it knows; a newer one zeros beyond ours */
	if (opts_size > sizeof(d)) {
		memset((char *)opts + sizeof(d), 0, opts_size - sizeof(d));
		opts_size = sizeof(d);
	}
	memcpy(opts, &d, opts_size);
	return 0;
}

struct argv_buf {
	int argc;
	char *argv[MAX_ARGS + 1];
	char text[MAX_ARGS][ARG_LEN];
};

static int add(struct argv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add(struct argv_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->argc >= MAX_ARGS)
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(b->text[b->argc], ARG_LEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= ARG_LEN) {
		UDMA_LOG(ERR, "option %.40s...: value too long", b->text[b->argc]);
		return -EINVAL;
	}
	b->argv[b->argc] = b->text[b->argc];
	b->argc++;
	return 0;
}

static int build_argv(const struct udma_eal_opts *o, struct argv_buf *b)
{
	int ret = add(b, "%s", o->name ? o->name : "udma");

	if (ret == 0 && eal_iova_mode_arg(o->iova_mode) == NULL) {
		UDMA_LOG(ERR, "iova_mode %d: expected an enum udma_iova_mode", (int)o->iova_mode);
		return -EINVAL;
	}
	if (eal_swiotlb_arg(o->swiotlb) == NULL) {
		UDMA_LOG(ERR, "swiotlb %d: expected an enum udma_swiotlb_mode", (int)o->swiotlb);
		return -EINVAL;
	}
	if (o->socket_mem_count && o->socket_mem_mb == NULL) {
		UDMA_LOG(ERR, "socket_mem_count %u with socket_mem_mb NULL", o->socket_mem_count);
		return -EINVAL;
	}
	if (ret == 0)
		ret = add(b, "--iova-mode=%s", eal_iova_mode_arg(o->iova_mode));
	if (ret == 0 && o->no_huge)
		ret = add(b, "--no-huge");
	/* an empty string is passed on, so it is refused as on the command line */
	if (ret == 0 && o->huge_dir)
		ret = add(b, "--huge-dir=%s", o->huge_dir);
	if (ret == 0 && o->file_prefix)
		ret = add(b, "--file-prefix=%s", o->file_prefix);
	if (ret == 0 && o->mem_mb)
		ret = add(b, "-m%u", o->mem_mb);
	if (ret == 0 && o->socket_mem_count) {
		char list[ARG_LEN] = "";
		size_t len = 0;

		for (unsigned int i = 0; i < o->socket_mem_count && len < sizeof(list); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u",
						i ? "," : "", o->socket_mem_mb[i]);
		if (len >= sizeof(list)) {
			UDMA_LOG(ERR, "socket_mem_count %u: too many nodes", o->socket_mem_count);
			return -EINVAL;
		}
		ret = add(b, "--socket-mem=%s", list);
	}
	if (ret == 0 && o->lcores)
		ret = add(b, "--lcores=%u", o->lcores);
	if (ret == 0 && o->dma_debug)
		ret = add(b, "--dma-debug");
	if (ret == 0 && o->dma_debug_limit != -1)
		ret = add(b, "--dma-debug-limit=%d", o->dma_debug_limit);
	if (ret == 0 && o->swiotlb != UDMA_SWIOTLB_AUTO)
		ret = add(b, "--swiotlb=%s", eal_swiotlb_arg(o->swiotlb));
	if (ret == 0 && o->swiotlb_size_mb)
		ret = add(b, "--swiotlb-size=%u", o->swiotlb_size_mb);
	if (ret == 0 && o->log_level != -1)
		ret = add(b, "--log-level=%d", o->log_level);
	if (ret == 0 && o->vfio_group != -1)
		ret = add(b, "--vfio-group=%ld", o->vfio_group);
	if (ret == 0 && o->log_levels) {
		const char *p = o->log_levels;

		do { /* each comma-separated entry is one option; "" is refused by the parser */
			const char *end = strchr(p, ',');
			size_t n = end ? (size_t)(end - p) : strlen(p);

			ret = add(b, "--log-level=%.*s", (int)(n > ARG_LEN ? ARG_LEN : n), p);
			p = end ? end + 1 : NULL;
		} while (ret == 0 && p);
	}
	if (ret == 0 && o->base_virtaddr)
		ret = add(b, "--base-virtaddr=%#llx", (unsigned long long)o->base_virtaddr);
	for (unsigned int i = 0; ret == 0 && o->extra_args && o->extra_args[i]; i++) {
		if (strcmp(o->extra_args[i], "--") == 0 || o->extra_args[i][0] != '-') {
			UDMA_LOG(ERR, "extra_args[%u] \"%.40s\": expected an option", i,
				 o->extra_args[i]);
			return -EINVAL;
		}
		ret = add(b, "%s", o->extra_args[i]);
	}
	if (ret == -E2BIG) {
		UDMA_LOG(ERR, "more than %d options", MAX_ARGS);
		ret = -EINVAL;
	}
	return ret;
}

int udma_eal_init_opts(const struct udma_eal_opts *opts)
{
	struct udma_eal_opts o;
	struct argv_buf *b;
	int ret;

	if (opts == NULL || opts->opts_size < OPTS_MIN_SIZE) {
		UDMA_LOG(ERR, "opts %p: NULL or opts_size not set (call udma_eal_opts_init())",
			 (const void *)opts);
		return -EINVAL;
	}
	/* a newer application's fields we do not know must be unused (zero) */
	for (size_t i = sizeof(o); i < opts->opts_size; i++)
		if (((const unsigned char *)opts)[i] != 0) {
			UDMA_LOG(ERR, "opts_size %zu: byte %zu is set, but this library knows "
				 "only %zu bytes of options", opts->opts_size, i, sizeof(o));
			return -EINVAL;
		}
	udma_eal_opts_init(&o, sizeof(o));
	memcpy(&o, opts, opts->opts_size < sizeof(o) ? opts->opts_size : sizeof(o));
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	ret = build_argv(&o, b);
	if (ret == 0) {
		ret = udma_eal_init(b->argc, b->argv);
		if (ret > 0)
			ret = 0;
	}
	free(b);
	return ret;
}
