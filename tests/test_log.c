/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging: a handler gets every message with its component's type, per-type
 * levels (API and --log-level=TYPE:N), and handler replacement under load.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "test_common.h"

struct seen {
	int n;
	int types[UDMA_LOGTYPE_MAX];
	int last_level;
	char last[512];
	char all[4096]; /* every line, one after another */
	void *ctx;
};

static void handler(void *ctx, enum udma_log_type type, int level, const char *line)
{
	struct seen *s = ctx;

	s->n++;
	s->ctx = ctx;
	if ((unsigned int)type < UDMA_LOGTYPE_MAX)
		s->types[type]++;
	s->last_level = level;
	snprintf(s->last, sizeof(s->last), "%s", line);
	snprintf(s->all + strlen(s->all), sizeof(s->all) - strlen(s->all), "%s\n", line);
}

static int setup(void **st)
{
	(void)st;
	return t_init_args("--iova-mode=sim", "-m", "16", "--log-level=3", NULL) < 0;
}

static int teardown(void **st)
{
	(void)st;
	return udma_eal_cleanup();
}

/* each component's messages arrive under its own type, not on the stream */
static void test_handler_types(void **st)
{
	struct seen s = {0};
	struct udma_device *dev = t_dev64("logdev");
	struct t_log l;
	char *text;

	(void)st;
	t_log_begin(&l); /* the stream must stay empty while a handler is set */
	udma_log_set_handler(handler, &s);
	assert_null(udma_pool_create(NULL, dev, 64, 8, 0));         /* pool */
	assert_true(udma_mapping_error(dev, udma_map_single(dev, NULL, 64, UDMA_TO_DEVICE)));
	assert_int_equal(udma_set_mask(NULL, 0), -EINVAL);         /* dev */
	udma_log(UDMA_LOG_ERR, "from the app %d", 42);             /* eal */
	udma_log_type(UDMA_LOGTYPE_USER, UDMA_LOG_ERR, "user %s", "line");
	udma_log_type((enum udma_log_type)999, UDMA_LOG_ERR, "unknown type");
	{
		const char *volatile nofmt = NULL;

		udma_log_type(UDMA_LOGTYPE_USER, UDMA_LOG_ERR, nofmt, 0); /* one line, no crash */
		assert_string_equal(s.last, "udma_log_type(): NULL format");
	}
	udma_log_set_handler(NULL, NULL);
	udma_log(UDMA_LOG_ERR, "back on the stream");
	text = t_log_end(&l);
	assert_ptr_equal(s.ctx, &s);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.types[UDMA_LOGTYPE_POOL], 1);
	assert_int_equal(s.types[UDMA_LOGTYPE_MAP], 1);
	assert_int_equal(s.types[UDMA_LOGTYPE_DEV], 1);
	assert_int_equal(s.types[UDMA_LOGTYPE_EAL], 2);
	assert_int_equal(s.types[UDMA_LOGTYPE_USER], 2);
	assert_int_equal(s.last_level, UDMA_LOG_ERR);
	/* the handler gets each line as the stream would, formatted, without the prefix */
	assert_int_equal(t_count(s.all, "\n"), 7);
	assert_int_equal(t_count(s.all, "UDMA:"), 0);
	assert_int_equal(t_count(s.all, "udma_map_single"), 1);
	assert_int_equal(t_count(s.all, "from the app 42\n"), 1);
	assert_int_equal(t_count(s.all, "user line\n"), 1);
	assert_int_equal(t_count(s.all, "unknown type\n"), 1);
	assert_int_equal(t_count(text, "\n"), 1);
	assert_int_equal(t_count(text, "back on the stream"), 1);
	free(text);
	udma_device_destroy(dev);
}

/* a type's own level silences or opens it without touching the others */
static void test_type_levels(void **st)
{
	struct seen s = {0};
	struct udma_device *dev = t_dev64("levels");
	int global = udma_log_get_level();

	(void)st;
	udma_log_set_handler(handler, &s);
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_POOL, UDMA_LOG_EMERG), 0);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_POOL), UDMA_LOG_EMERG);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_MAP), global);
	assert_null(udma_pool_create(NULL, dev, 64, 8, 0)); /* silenced */
	assert_true(udma_mapping_error(dev, udma_map_single(dev, NULL, 64, UDMA_TO_DEVICE)));
	assert_int_equal(s.types[UDMA_LOGTYPE_POOL], 0);
	assert_int_equal(s.types[UDMA_LOGTYPE_MAP], 1);
	/* user: debug lines pass once its level is 7, the others' stay closed */
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_USER, UDMA_LOG_DEBUG), 0);
	udma_log_type(UDMA_LOGTYPE_USER, UDMA_LOG_DEBUG, "dbg");
	assert_int_equal(s.last_level, UDMA_LOG_DEBUG);
	assert_string_equal(s.last, "dbg");
	udma_log(UDMA_LOG_DEBUG, "eal dbg");
	assert_int_equal(s.types[UDMA_LOGTYPE_USER], 1);
	assert_int_equal(s.types[UDMA_LOGTYPE_EAL], 0);
	/* -1: follow the global level again */
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_POOL, -1), 0);
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_USER, -1), 0);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_POOL), global);
	assert_null(udma_pool_create(NULL, dev, 64, 8, 0));
	assert_int_equal(s.types[UDMA_LOGTYPE_POOL], 1);
	/* bad arguments: -EINVAL and one line each */
	s.n = 0;
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_MAX, 3), -EINVAL);
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_POOL, 8), -EINVAL);
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_POOL, -2), -EINVAL);
	assert_int_equal(s.n, 3);
	assert_int_equal(udma_log_get_type_level((enum udma_log_type)-1), -EINVAL);
	assert_int_equal(udma_log_type_by_name("vfio"), UDMA_LOGTYPE_VFIO);
	assert_int_equal(udma_log_type_by_name("nope"), -EINVAL);
	assert_int_equal(udma_log_type_by_name(NULL), -EINVAL);
	assert_string_equal(udma_log_type_name(UDMA_LOGTYPE_PCI), "pci");
	assert_null(udma_log_type_name(UDMA_LOGTYPE_MAX));
	udma_log_set_handler(NULL, NULL);
	udma_device_destroy(dev);
}

/* --log-level=TYPE:N at init; bad forms refused with one line, levels untouched */
static void test_option(void **st)
{
	static const char *const bad[] = {
		"--log-level=bogus:3", "--log-level=pool:8", "--log-level=pool:", "--log-level=:3",
		"--log-level=pool:x", "--log-level=verbose", "--log-level=averyveryverylongname:1",
	};
	struct seen s = {0};

	(void)st;
	assert_int_equal(udma_eal_cleanup(), 0);
	assert_true(t_init_args("--iova-mode=sim", "-m", "8", "--log-level=err",
				"--log-level=pool:0", "--log-level=map:debug", NULL) >= 0);
	assert_int_equal(udma_log_get_level(), UDMA_LOG_ERR);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_POOL), 0);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_MAP), UDMA_LOG_DEBUG);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_SG), UDMA_LOG_ERR);
	assert_int_equal(udma_eal_cleanup(), 0);
	udma_log_set_handler(handler, &s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.n = 0;
		assert_int_equal(t_init_args("--iova-mode=sim", "-m", "8", bad[i], NULL), -EINVAL);
		assert_int_equal(s.n, 1);
		assert_non_null(strstr(s.last, "--log-level"));
	}
	udma_log_set_handler(NULL, NULL);
	assert_int_equal(udma_log_get_type_level(UDMA_LOGTYPE_POOL), 0);
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_POOL, -1), 0);
	assert_int_equal(udma_log_set_type_level(UDMA_LOGTYPE_MAP, -1), 0);
	assert_true(t_init_args("--iova-mode=sim", "-m", "16", "--log-level=3", NULL) >= 0);
}

/* replacing the handler while threads log: the old one never runs afterwards */
static atomic_int g_retired, g_late, g_stop;

static void old_handler(void *ctx, enum udma_log_type type, int level, const char *line)
{
	(void)ctx, (void)type, (void)level, (void)line;
	if (atomic_load(&g_retired))
		atomic_fetch_add(&g_late, 1);
}

static void new_handler(void *ctx, enum udma_log_type type, int level, const char *line)
{
	(void)ctx, (void)type, (void)level, (void)line;
}

static void *logger(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_stop))
		udma_log_type(UDMA_LOGTYPE_USER, UDMA_LOG_ERR, "busy");
	return NULL;
}

static void test_handler_swap(void **st)
{
	pthread_t th[2];

	(void)st;
	udma_log_set_handler(old_handler, NULL);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, logger, NULL), 0);
	usleep(20000);
	udma_log_set_handler(new_handler, NULL);
	atomic_store(&g_retired, 1);
	usleep(20000);
	atomic_store(&g_stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	udma_log_set_handler(NULL, NULL);
	assert_int_equal(atomic_load(&g_late), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_types),
		cmocka_unit_test(test_type_levels),
		cmocka_unit_test(test_option),
		cmocka_unit_test(test_handler_swap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
