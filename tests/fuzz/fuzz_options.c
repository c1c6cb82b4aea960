/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness: the EAL option parser.
 *
 * Input: argv tokens separated by NUL or newline bytes (at most 24, each up to
 * 300 bytes); argv[0] is "fz". Every input goes through eal_parse_args() (the
 * parser alone, microseconds) twice: both runs must agree (no hidden state) and
 * the result must be a count of consumed arguments, -EINVAL or -ECANCELED. A
 * configuration that parses is checked for sane values; when it is cheap to set up
 * (small memory, no custom hugetlbfs directory or file prefix) the same argv then
 * goes through udma_eal_init() and udma_eal_cleanup() (about 0.4 ms with
 * hugepages), which must return the same count (plus the --file-prefix the harness
 * puts first) or a clean error, with no file descriptor left open.
 */
#include <errno.h>
#include <unistd.h>

#include <udma.h>

#include "eal_private.h"
#include "fuzz_common.h"

#define MAX_TOKENS 24
#define MAX_TOKEN 300

static FILE *g_null;
static unsigned long g_inits, g_init_ok, g_parses;

static void report(void)
{
	fprintf(stderr, "fuzz_options: %lu parses, %lu full inits (%lu succeeded)\n", g_parses,
		g_inits, g_init_ok);
	fz_known_report();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_null = fopen("/dev/null", "w");
	udma_log_set_stream(g_null);
	atexit(report);
	return 0;
}

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool numeric_opt(const char *opt, size_t n)
{
	/* not --log-level: it also takes names and TYPE:LEVEL (eal_options.c) */
	static const char *const nums[] = {"-m", "--lcores", "--swiotlb-size",
					   "--dma-debug-limit", "--vfio-group"};

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (strlen(nums[i]) == n && memcmp(opt, nums[i], n) == 0)
			return true;
	return false;
}

static bool takes_value(const char *opt)
{
	return numeric_opt(opt, strlen(opt)) || !strcmp(opt, "--iova-mode") ||
	       !strcmp(opt, "--huge-dir") || !strcmp(opt, "--file-prefix") ||
	       !strcmp(opt, "--socket-mem") || !strcmp(opt, "--swiotlb") ||
	       !strcmp(opt, "--log-level");
}

/*
 * Values the parser accepted but should not have ("also wrong" in issue 8): a
 * number with anything but digits, a separate value that is itself an option,
 * --socket-mem adding up to nothing. Returns 1 when one is present.
 */
static int accepted_bad_value(int consumed, char **argv, const struct eal_config *c)
{
	uint64_t sum = 0;

	for (int i = 1; i <= consumed; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');

		if (strcmp(a, "--") == 0)
			break;
		if (eq && numeric_opt(a, (size_t)(eq - a)) && !all_digits(eq + 1))
			return 1;
		if (!eq && strncmp(a, "-m", 2) == 0 && a[2] != '\0' && a[1] != '-' &&
		    !all_digits(a + 2))
			return 1;
		if (!eq && takes_value(a) && i + 1 <= consumed) {
			const char *v = argv[++i];

			if (v[0] == '-' && v[1] == '-')
				return 1;
			if (numeric_opt(a, strlen(a)) && !all_digits(v))
				return 1;
		}
	}
	for (int n = 0; n < UDMA_MAX_NUMA_NODES; n++)
		sum += c->socket_mem[n];
	return c->socket_mem_set && sum == 0;
}

/* sane values in a configuration that parsed */
static void check_config(const struct eal_config *c)
{
	FZ_CHECK(c->lcores >= 1 && c->lcores <= UDMA_MAX_LCORES, "lcores %u", c->lcores);
	FZ_CHECK(c->log_level >= 0 && c->log_level <= UDMA_LOG_DEBUG, "log level %d",
		 c->log_level);
	FZ_CHECK(c->swiotlb_size >= (1u << 20) && c->swiotlb_size <= (4096ull << 20),
		 "swiotlb size %llu", (unsigned long long)c->swiotlb_size);
	FZ_CHECK(c->file_prefix[0] != '\0' && strchr(c->file_prefix, '/') == NULL &&
		 memchr(c->file_prefix, '\0', sizeof(c->file_prefix)) != NULL,
		 "file prefix '%.64s'", c->file_prefix);
	FZ_CHECK(memchr(c->huge_dir, '\0', sizeof(c->huge_dir)) != NULL, "huge dir unterminated");
	FZ_CHECK(c->total_mem <= (4ull << 40), "total mem %llu", (unsigned long long)c->total_mem);
	FZ_CHECK(c->iova_mode >= UDMA_IOVA_DC && c->iova_mode <= UDMA_IOVA_SIM, "mode %d",
		 c->iova_mode);
	FZ_CHECK(c->swiotlb >= SWIOTLB_AUTO && c->swiotlb <= SWIOTLB_OFF, "swiotlb %d", c->swiotlb);
}

/* small enough to set up for real on every input */
static bool cheap(const struct eal_config *c)
{
	uint64_t mem = 64ull << 20;

	if (c->huge_dir[0] != '\0' || strcmp(c->file_prefix, "udma") != 0)
		return false;
	if (c->total_mem_set)
		mem = c->total_mem;
	if (c->socket_mem_set) {
		mem = 0;
		for (int n = 0; n < UDMA_MAX_NUMA_NODES; n++)
			mem += c->socket_mem[n];
	}
	if (mem > (c->no_huge ? 8ull << 20 : 32ull << 20))
		return false;
	return c->swiotlb == SWIOTLB_OFF || c->swiotlb_size <= (8ull << 20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[MAX_TOKENS][MAX_TOKEN + 1];
	char *argv[MAX_TOKENS + 3], *argv2[MAX_TOKENS + 3], *argv3[MAX_TOKENS + 3];
	struct eal_config c1;
	int argc = 1, r1, r2, fds;
	size_t len = 0;

	argv[0] = (char *)"fz";
	for (size_t i = 0; i <= size && argc <= MAX_TOKENS; i++) {
		if (i == size || data[i] == '\0' || data[i] == '\n') {
			if (i == size && len == 0)
				break;
			buf[argc - 1][len] = '\0';
			argv[argc] = buf[argc - 1];
			argc++;
			len = 0;
		} else if (len < MAX_TOKEN) {
			buf[argc - 1][len++] = (char)data[i];
		}
	}
	argv[argc] = NULL;
	memcpy(argv2, argv, sizeof(argv));

	g_parses++;
	r1 = eal_parse_args(argc, argv);
	c1 = g_cfg;
	r2 = eal_parse_args(argc, argv2);
	FZ_CHECK(r1 == r2 && memcmp(&c1, &g_cfg, sizeof(c1)) == 0, "two parses differ: %d %d",
		 r1, r2);
	FZ_CHECK(r1 == -EINVAL || r1 == -ECANCELED || (r1 >= 0 && r1 <= argc - 1),
		 "parse returned %d for %d arguments", r1, argc - 1);
	FZ_CHECK(memcmp(argv, argv2, sizeof(char *) * (size_t)argc) == 0, "parse changed argv");
	if (r1 < 0)
		return 0;
	check_config(&c1);
	if (accepted_bad_value(r1, argv, &c1))
		FZ_CHECK(0, "a bad option value was accepted (%d arguments consumed)", r1);
	if (!cheap(&c1))
		return 0;

	/* the real thing: init with the same options, behind a private file prefix */
	argv3[0] = (char *)"fz";
	argv3[1] = (char *)"--file-prefix=udmafz";
	memcpy(&argv3[2], &argv[1], sizeof(char *) * (size_t)argc);
	fds = fz_fd_count();
	g_inits++;
	r2 = udma_eal_init(argc + 1, argv3);
	if (r2 >= 0) {
		g_init_ok++;
		FZ_CHECK(r2 == r1 + 1, "init consumed %d, the parser %d", r2, r1 + 1);
		FZ_CHECK(udma_eal_initialized(), "init succeeded but not initialised");
		FZ_CHECK(r2 == 0 || argv3[r2] == argv3[0], "argv[%d] not set to argv[0]", r2);
		FZ_CHECK(udma_eal_cleanup() == 0, "cleanup failed");
	} else {
		FZ_CHECK(r2 != -EALREADY && !udma_eal_initialized(), "failed init %d left state",
			 r2);
	}
	FZ_CHECK(fz_fd_count() == fds, "init/cleanup leaked %d file descriptors",
		 fz_fd_count() - fds);
	return 0;
}
