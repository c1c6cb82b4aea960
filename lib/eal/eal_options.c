/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL options: parsed by hand (no getopt global state), so init may run again. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eal_private.h"

struct eal_config g_cfg;

void eal_usage(FILE *f, const char *prgname)
{
	fprintf(f,
		"Usage: %s [udma options] [-- application options]\n"
		"udma options:\n"
		"  --iova-mode=MODE     auto|pa|va|vfio|sim (default auto: vfio > pa > va)\n"
		"  --no-huge            use locked 4 KiB pages instead of hugepages\n"
		"  --huge-dir=PATH      hugetlbfs mount (a directory) for hugepage files (default:\n"
		"                       first mounted)\n"
		"  --file-prefix=NAME   prefix of hugepage file names (default: udma)\n"
		"  --socket-mem=MB[,MB...] memory reserved at init on each NUMA node (total > 0)\n"
		"  -m MB                memory reserved at init, on the init thread's node\n"
		"  --lcores=N           lcore slots (default: CPU count, max %d)\n"
		"  --dma-debug          track mappings and report misuse\n"
		"  --dma-debug-limit=N  print the first N reports, 0 = all (default 32)\n"
		"  --swiotlb=MODE       auto|force|off: bounce buffers (force bounces every map)\n"
		"  --swiotlb-size=MB    bounce buffer region size (default 32; a size given that\n"
		"                       cannot be reserved is an error unless --swiotlb=off)\n"
		"  --log-level=N        0 (emerg) .. 7 (debug) or a name (err, debug...), default 5\n"
		"  --log-level=TYPE:N   the level of one log type (repeatable): eal, mem, iova,\n"
		"                       dev, map, sg, pool, debug, vfio, pci, sim, user\n"
		"  --vfio-group=N       the VFIO group (default: every group under /dev/vfio)\n"
		"  --vfio-dma-mask=BITS narrowest DMA mask of the devices to be used (default 64):\n"
		"                       IOVA = VA only when the memsegs fit it, else allocated IOVAs\n"
		"  --base-virtaddr=ADDR where memsegs go (hex, as DPDK's): a window of %d lists x\n"
		"                       %llu GiB from ADDR, VA reserved only as memory is taken\n"
		"                       (default: free VA below 4 GiB, else anywhere)\n"
		"  --help               print this text (udma_eal_init returns -ECANCELED)\n",
		prgname ? prgname : "app", UDMA_MAX_LCORES, UDMA_MAX_MEMSEG_LISTS,
		(unsigned long long)(UDMA_MEMSEG_LIST_VA_SIZE >> 30));
}

static int bad(const char *opt, const char *val, const char *why)
{
	udma_log(UDMA_LOG_ERR, "invalid option %s%s%s: %s", opt, val ? " value " : "",
		 val ? val : "", why);
	return -EINVAL;
}

/* a decimal in [min, max]: digits only (no sign, no leading blank, nothing after) */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

#define MAX_MB (1ULL << 22) /* 4 TiB */
#define USER_VA_END (1ULL << 47) /* the x86-64 (4-level) and arm64 (48-bit) user space */
#define BASE_ALIGN (2ULL << 20) /* the chunk size: a 1 GiB page size is checked at init */

/*
 * ADDR in hex as DPDK takes it ("0x" optional): non-zero, a multiple of 2 MiB, and
 * the whole window of memseg slots from it below USER_VA_END
 */
static int parse_base_virtaddr(const char *val)
{
	const uint64_t window = (uint64_t)UDMA_MAX_MEMSEG_LISTS * UDMA_MEMSEG_LIST_VA_SIZE;
	const char *s = val;
	unsigned long long v;
	char *end;

	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (s == NULL || !isxdigit((unsigned char)*s))
		return bad("--base-virtaddr", val, "expected a hex address");
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno != 0 || *end != '\0')
		return bad("--base-virtaddr", val, "expected a hex address");
	if (v == 0 || v % BASE_ALIGN)
		return bad("--base-virtaddr", val, "expected a non-zero multiple of 2 MiB (0x200000)");
	if (window >= USER_VA_END || v > USER_VA_END - window)
		return bad("--base-virtaddr", val, "the memseg window (UDMA_MAX_MEMSEG_LISTS x "
			   "memseg_list_va_gb) from it must end below 0x800000000000");
	g_cfg.base_virtaddr = v;
	return 0;
}

/* MB[,MB...]: every field a decimal (none empty), the total above 0 */
static int parse_socket_mem(const char *val)
{
	char buf[256];
	char *tok, *next;
	unsigned int node = 0;
	uint64_t total = 0;

	if (val == NULL || strlen(val) >= sizeof(buf) || *val == '\0')
		return bad("--socket-mem", val, "expected MB[,MB...]");
	memcpy(buf, val, strlen(val) + 1);
	for (tok = buf; tok; tok = next) {
		uint64_t mb;

		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		if (node >= UDMA_MAX_NUMA_NODES)
			return bad("--socket-mem", val, "more nodes than UDMA_MAX_NUMA_NODES");
		if (parse_u64(tok, 0, MAX_MB, &mb) != 0)
			return bad("--socket-mem", val, "expected MB[,MB...] (decimal, none empty)");
		g_cfg.socket_mem[node++] = mb << 20;
		total += mb;
	}
	if (total == 0)
		return bad("--socket-mem", val, "0 MiB in all: give at least one node memory");
	g_cfg.socket_mem_set = true;
	return 0;
}

/* the values of --iova-mode and --swiotlb by enum value (udma_eal_init_opts() writes them) */
static const char *const g_mode_args[] = {
	[UDMA_IOVA_DC] = "auto", [UDMA_IOVA_PA] = "pa", [UDMA_IOVA_VA] = "va",
	[UDMA_IOVA_VFIO] = "vfio", [UDMA_IOVA_SIM] = "sim",
};
static const char *const g_swiotlb_args[] = {
	[SWIOTLB_AUTO] = "auto", [SWIOTLB_FORCE] = "force", [SWIOTLB_OFF] = "off",
};
#define NR_ARGS(a) (sizeof(a) / sizeof((a)[0]))

const char *eal_iova_mode_arg(enum udma_iova_mode mode)
{
	return (unsigned int)mode < NR_ARGS(g_mode_args) ? g_mode_args[mode] : NULL;
}

const char *eal_swiotlb_arg(enum udma_swiotlb_mode mode)
{
	return (unsigned int)mode < NR_ARGS(g_swiotlb_args) ? g_swiotlb_args[mode] : NULL;
}

/* the index of @val in @names, or -1 */
static int arg_index(const char *const *names, size_t n, const char *val)
{
	for (size_t i = 0; val && i < n; i++)
		if (names[i] && strcmp(val, names[i]) == 0)
			return (int)i;
	return -1;
}

static int parse_mode(const char *val)
{
	int m = arg_index(g_mode_args, NR_ARGS(g_mode_args), val);

	if (m < 0)
		return bad("--iova-mode", val, "expected auto|pa|va|vfio|sim");
	g_cfg.iova_mode = (enum udma_iova_mode)m;
	return 0;
}

static int parse_swiotlb(const char *val)
{
	int m = arg_index(g_swiotlb_args, NR_ARGS(g_swiotlb_args), val);

	if (m < 0)
		return bad("--swiotlb", val, "expected auto|force|off");
	g_cfg.swiotlb = (enum swiotlb_mode)m;
	return 0;
}

static int parse_string(const char *opt, const char *val, char *dst, size_t len)
{
	if (val == NULL || *val == '\0' || strlen(val) >= len)
		return bad(opt, val, "empty or too long");
	if (strcmp(opt, "--file-prefix") == 0 && strchr(val, '/'))
		return bad(opt, val, "must not contain '/'");
	if (strcmp(opt, "--huge-dir") == 0) {
		struct stat st;

		if (stat(val, &st) != 0)
			return bad(opt, val, "no such directory");
		if (!S_ISDIR(st.st_mode))
			return bad(opt, val, "not a directory (give the hugetlbfs mount)");
	}
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

/* "N", "NAME", "TYPE:N" or "TYPE:NAME" */
static int parse_log_level(const char *opt, const char *val)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	const char *colon = val ? strchr(val, ':') : NULL, *lv = colon ? colon + 1 : val;
	int type = -1, level = -1;
	uint64_t v;
	char tname[16];

	if (colon) {
		size_t n = (size_t)(colon - val);

		if (n == 0 || n >= sizeof(tname))
			return bad(opt, val, "expected TYPE:LEVEL");
		memcpy(tname, val, n);
		tname[n] = '\0';
		type = udma_log_type_by_name(tname);
		if (type < 0)
			return bad(opt, val, "unknown log type (eal, mem, iova, dev, map, sg, pool, "
				   "debug, vfio, pci, sim, user)");
	}
	if (parse_u64(lv, 0, UDMA_LOG_DEBUG, &v) == 0)
		level = (int)v;
	for (int i = 0; level < 0 && lv && i < 8; i++)
		if (strcmp(lv, names[i]) == 0)
			level = i;
	if (level < 0)
		return bad(opt, val, "expected a level 0..7 or emerg|alert|crit|err|warning|"
			   "notice|info|debug");
	if (type >= 0)
		g_cfg.log_type_level[type] = level;
	else
		g_cfg.log_level = level;
	return 0;
}

static int parse_number_opt(const char *opt, const char *val)
{
	uint64_t v;

	if (strcmp(opt, "-m") == 0) {
		if (parse_u64(val, 1, MAX_MB, &v))
			return bad(opt, val, "expected MB, 1.." "4194304");
		g_cfg.total_mem = v << 20;
		g_cfg.total_mem_set = true;
	} else if (strcmp(opt, "--lcores") == 0) {
		if (parse_u64(val, 1, UDMA_MAX_LCORES, &v))
			return bad(opt, val, "expected 1..UDMA_MAX_LCORES");
		g_cfg.lcores = (unsigned int)v;
	} else if (strcmp(opt, "--vfio-group") == 0) {
		if (parse_u64(val, 0, 1000000, &v))
			return bad(opt, val, "expected a group number");
		g_cfg.vfio_group = (long)v;
	} else if (strcmp(opt, "--vfio-dma-mask") == 0) {
		if (parse_u64(val, 12, 64, &v))
			return bad(opt, val, "expected bits, 12..64");
		g_cfg.vfio_mask_bits = (unsigned int)v;
	} else if (strcmp(opt, "--dma-debug-limit") == 0) {
		if (parse_u64(val, 0, 1000000, &v))
			return bad(opt, val, "expected 0..1000000");
		g_cfg.dma_debug_limit = (int)v;
	} else if (strcmp(opt, "--swiotlb-size") == 0) {
		if (parse_u64(val, 1, 4096, &v))
			return bad(opt, val, "expected MB, 1..4096");
		g_cfg.swiotlb_size = v << 20;
		g_cfg.swiotlb_size_set = true;
	} else { /* --log-level */
		return parse_log_level(opt, val);
	}
	return 0;
}

/* one option with its value (NULL when it has none); 1 = flag consumed the value too */
static int parse_one(const char *opt, const char *val)
{
	if (strcmp(opt, "--iova-mode") == 0)
		return parse_mode(val);
	if (strcmp(opt, "--huge-dir") == 0)
		return parse_string(opt, val, g_cfg.huge_dir, sizeof(g_cfg.huge_dir));
	if (strcmp(opt, "--file-prefix") == 0)
		return parse_string(opt, val, g_cfg.file_prefix, sizeof(g_cfg.file_prefix));
	if (strcmp(opt, "--socket-mem") == 0)
		return parse_socket_mem(val);
	if (strcmp(opt, "--swiotlb") == 0)
		return parse_swiotlb(val);
	if (strcmp(opt, "--base-virtaddr") == 0)
		return parse_base_virtaddr(val);
	if (!strcmp(opt, "-m") || !strcmp(opt, "--lcores") || !strcmp(opt, "--swiotlb-size") ||
	    !strcmp(opt, "--log-level") || !strcmp(opt, "--dma-debug-limit") ||
	    !strcmp(opt, "--vfio-group") || !strcmp(opt, "--vfio-dma-mask"))
		return parse_number_opt(opt, val);
	return bad(opt, NULL, "unknown option");
}

static void config_defaults(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(&g_cfg, 0, sizeof(g_cfg));
	g_cfg.iova_mode = UDMA_IOVA_DC;
	memcpy(g_cfg.file_prefix, "udma", sizeof("udma"));
	g_cfg.lcores = ncpu < 1 ? 1 : (ncpu > UDMA_MAX_LCORES ? UDMA_MAX_LCORES : (unsigned)ncpu);
	g_cfg.swiotlb = SWIOTLB_AUTO;
	g_cfg.swiotlb_size = 32ULL << 20;
	g_cfg.dma_debug_limit = 32;
	g_cfg.vfio_group = -1;
	g_cfg.log_level = udma_log_get_level();
	for (int t = 0; t < UDMA_LOGTYPE_MAX; t++)
		g_cfg.log_type_level[t] = -2;
}

static bool takes_value(const char *opt)
{
	static const char *const with_value[] = {
		"--iova-mode", "--huge-dir", "--file-prefix", "--socket-mem", "-m",
		"--lcores", "--swiotlb", "--swiotlb-size", "--log-level", "--dma-debug-limit",
		"--vfio-group", "--vfio-dma-mask", "--base-virtaddr",
	};

	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (strcmp(opt, with_value[i]) == 0)
			return true;
	return false;
}

/* "--opt=value", "--opt value", "-m value", "-mvalue" */
static int parse_arg(int argc, char **argv, int *i)
{
	char opt[64];
	const char *arg = argv[*i], *eq = strchr(arg, '='), *val = NULL;
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

	if (strcmp(arg, "--no-huge") == 0) {
		g_cfg.no_huge = true;
		return 0;
	}
	if (strcmp(arg, "--dma-debug") == 0) {
		g_cfg.dma_debug = true;
		return 0;
	}
	if (strncmp(arg, "-m", 2) == 0 && arg[2] != '\0' && arg[1] != '-')
		return parse_one("-m", arg + 2);
	if (n >= sizeof(opt))
		return bad(arg, NULL, "unknown option");
	memcpy(opt, arg, n);
	opt[n] = '\0';
	if (!takes_value(opt))
		return bad(opt, NULL, eq ? "unknown option or takes no value" : "unknown option");
	if (eq) {
		val = eq + 1;
	} else {
		if (*i + 1 >= argc || argv[*i + 1] == NULL)
			return bad(opt, NULL, "missing value");
		if (strncmp(argv[*i + 1], "--", 2) == 0)
			return bad(opt, argv[*i + 1], "missing value (the next argument is an option)");
		val = argv[++*i];
	}
	return parse_one(opt, val);
}

int eal_parse_args(int argc, char **argv)
{
	int i, ret;

	config_defaults();
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (arg == NULL || arg[0] != '-' || arg[1] == '\0')
			break;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			eal_usage(stdout, argv[0]);
			return -ECANCELED;
		}
		ret = parse_arg(argc, argv, &i);
		if (ret < 0)
			return ret;
	}
	return i - 1;
}
