/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ubench: a small C API over Google Benchmark, so benchmarks are written in C as
 * udma's users write their code. ubench_shim.cpp (the only C++ file) maps each
 * call onto benchmark::State / benchmark::internal::Benchmark; the command line,
 * the statistics, the console/JSON/CSV reporters and compare.py are Google
 * Benchmark's own.
 *
 * A benchmark:
 * @code
 * static void bm_pair(ubench_state *s, void *arg)
 * {
 *         struct udma_pool *p = setup(ubench_range(s, 0));   // not timed
 *
 *         UBENCH_LOOP(s) {                                   // timed
 *                 void *b = udma_pool_alloc(p, UDMA_GFP_ATOMIC, &h);
 *                 ubench_do_not_optimize(b);
 *                 udma_pool_free(p, b, h);
 *         }
 *         ubench_set_items_processed(s, ubench_iterations(s));
 * }
 * ...
 * ubench_range_multiplier(ubench_register("pool/pair", bm_pair, NULL), 4);
 * @endcode
 * The timed loop is a plain C counting loop (the whole run is one
 * KeepRunningBatch(max_iterations) batch), so it costs what Google Benchmark's
 * own `for (auto _ : state)` costs: nothing per iteration but the counter.
 */
#ifndef UBENCH_H
#define UBENCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A running benchmark (a benchmark::State). */
typedef struct ubench_state ubench_state;
/** A registered benchmark (a benchmark::internal::Benchmark), for the builder calls. */
typedef struct ubench ubench;
/** The body of a benchmark: @p arg is what ubench_register() was given. */
typedef void (*ubench_fn)(ubench_state *s, void *arg);

/** Time units of the report (benchmark::TimeUnit). */
enum ubench_unit { UBENCH_NS, UBENCH_US, UBENCH_MS, UBENCH_S };

/** User counter flags (benchmark::Counter::Flags), OR-able. */
enum ubench_counter_flags {
	UBENCH_COUNTER_DEFAULT = 0,          /**< the value as given */
	UBENCH_COUNTER_RATE = 1 << 0,        /**< divided by the duration: per second */
	UBENCH_COUNTER_AVG_THREADS = 1 << 1, /**< divided by the thread count */
	UBENCH_COUNTER_ITER_INVARIANT = 1 << 2, /**< multiplied by the iterations */
	UBENCH_COUNTER_AVG_ITERATIONS = 1 << 3, /**< divided by the iterations */
	UBENCH_COUNTER_INVERT = 1 << 4,      /**< 1 / value (e.g. seconds per item) */
};

/* ---- the state: inside a benchmark function ----------------------------- */

/**
 * Start (first call) or finish the timed loop: returns how many iterations to run
 * now (the whole run), then 0, after which the timer is stopped. Use UBENCH_LOOP().
 */
uint64_t ubench_next(ubench_state *s);

/** The timed loop: the body runs the number of iterations Google Benchmark chose. */
#define UBENCH_LOOP(s)                                                                     \
	for (uint64_t ubench_n_ = 0; (ubench_n_ = ubench_next(s)) != 0;)                 \
		for (; ubench_n_ > 0; ubench_n_--)

/** Stop the timer (setup inside the loop that should not count). */
void ubench_pause(ubench_state *s);
/** Restart the timer after ubench_pause(). */
void ubench_resume(ubench_state *s);
/** Argument @p i of this instance (ubench_arg(), ubench_range(), ...). */
int64_t ubench_range(const ubench_state *s, int i);
/** Iterations run so far (after the loop: all of them). */
int64_t ubench_iterations(const ubench_state *s);
/** Report items/s: @p n items were processed in total. */
void ubench_set_items_processed(ubench_state *s, int64_t n);
/** Report bytes/s: @p n bytes were processed in total. */
void ubench_set_bytes_processed(ubench_state *s, int64_t n);
/** A user counter @p name (flags: enum ubench_counter_flags). */
void ubench_counter(ubench_state *s, const char *name, double value, unsigned int flags);
/** A label printed next to the result. */
void ubench_set_label(ubench_state *s, const char *label);
/** Mark this run failed with @p msg; break out of the loop after it. */
void ubench_skip_with_error(ubench_state *s, const char *msg);
/** Did this run fail? */
bool ubench_error_occurred(const ubench_state *s);

/** Keep @p v alive: the compiler must compute it (benchmark::DoNotOptimize). */
#define ubench_do_not_optimize(v) __asm__ volatile("" : : "r,m"(v) : "memory")
/** Memory written so far counts as read (benchmark::ClobberMemory). */
#define ubench_clobber_memory() __asm__ volatile("" : : : "memory")

/* ---- registration and the builder --------------------------------------- */

/** Register @p fn as benchmark @p name (copied); NULL on failure. */
ubench *ubench_register(const char *name, ubench_fn fn, void *arg);
/** One more instance with argument @p a. */
ubench *ubench_arg(ubench *b, int64_t a);
/** One more instance with @p n arguments. */
ubench *ubench_args(ubench *b, const int64_t *a, int n);
/** Instances lo .. hi, multiplying by the range multiplier (default 8), ends included. */
ubench *ubench_range_args(ubench *b, int64_t lo, int64_t hi);
/** Instances lo, lo + step, ... <= hi. */
ubench *ubench_dense_range(ubench *b, int64_t lo, int64_t hi, int step);
/** Two-argument ranges: every combination of [lo0, hi0] x [lo1, hi1]. */
ubench *ubench_ranges2(ubench *b, int64_t lo0, int64_t hi0, int64_t lo1, int64_t hi1);
/** The multiplier of ubench_range_args() / ubench_ranges2(). */
ubench *ubench_range_multiplier(ubench *b, int mult);
/** Name the argument(s) in the benchmark name ("size:64"); @p n names. */
ubench *ubench_arg_names(ubench *b, const char *const *names, int n);
/** Run each instance for at least @p seconds. */
ubench *ubench_min_time(ubench *b, double seconds);
/** Report in @p unit. */
ubench *ubench_unit(ubench *b, enum ubench_unit unit);
/** Time by the wall clock instead of the process's CPU time. */
ubench *ubench_use_real_time(ubench *b);

/* ---- main ---------------------------------------------------------------- */

/**
 * Parse Google Benchmark's options (--benchmark_*) out of @p argc / @p argv
 * (benchmark::Initialize). Returns 0, or -1 (after printing them) when arguments
 * are left that Google Benchmark does not know.
 */
int ubench_init(int *argc, char **argv);
/** Run the benchmarks the filter selects; returns how many ran. */
uint64_t ubench_run(void);
/** Release Google Benchmark's state (benchmark::Shutdown). */
void ubench_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* UBENCH_H */
