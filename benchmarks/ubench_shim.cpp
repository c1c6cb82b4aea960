// SPDX-License-Identifier: BSD-3-Clause
// ubench: the C API of ubench.h mapped onto Google Benchmark. The only C++ in
// benchmarks/; everything else is C.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ubench.h"

namespace {

benchmark::State &st(ubench_state *s)
{
	return *reinterpret_cast<benchmark::State *>(s);
}

const benchmark::State &st(const ubench_state *s)
{
	return *reinterpret_cast<const benchmark::State *>(s);
}

benchmark::internal::Benchmark *bm(ubench *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

ubench *ub(benchmark::internal::Benchmark *b)
{
	return reinterpret_cast<ubench *>(b);
}

} // namespace

extern "C" {

uint64_t ubench_next(ubench_state *s)
{
	benchmark::State &state = st(s);
	const benchmark::IterationCount n = state.max_iterations;

	// one batch of max_iterations: the first call starts the timer and hands out
	// the whole run, the second finds nothing left and stops it
	return state.KeepRunningBatch(n) ? static_cast<uint64_t>(n) : 0;
}

void ubench_pause(ubench_state *s)
{
	st(s).PauseTiming();
}

void ubench_resume(ubench_state *s)
{
	st(s).ResumeTiming();
}

int64_t ubench_range(const ubench_state *s, int i)
{
	return st(s).range(static_cast<std::size_t>(i));
}

int64_t ubench_iterations(const ubench_state *s)
{
	return static_cast<int64_t>(st(s).iterations());
}

void ubench_set_items_processed(ubench_state *s, int64_t n)
{
	st(s).SetItemsProcessed(n);
}

void ubench_set_bytes_processed(ubench_state *s, int64_t n)
{
	st(s).SetBytesProcessed(n);
}

void ubench_counter(ubench_state *s, const char *name, double value, unsigned int flags)
{
	unsigned int f = flags & 0xf; // rate, avg threads, iteration invariant, avg iterations

	if (flags & UBENCH_COUNTER_INVERT)
		f |= benchmark::Counter::kInvert;
	st(s).counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

void ubench_set_label(ubench_state *s, const char *label)
{
	st(s).SetLabel(label);
}

void ubench_skip_with_error(ubench_state *s, const char *msg)
{
	st(s).SkipWithError(msg);
}

bool ubench_error_occurred(const ubench_state *s)
{
	return st(s).error_occurred();
}

ubench *ubench_register(const char *name, ubench_fn fn, void *arg)
{
	if (name == nullptr || fn == nullptr)
		return nullptr;
	return ub(benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &state) {
		fn(reinterpret_cast<ubench_state *>(&state), arg);
	}));
}

ubench *ubench_arg(ubench *b, int64_t a)
{
	return b ? ub(bm(b)->Arg(a)) : nullptr;
}

ubench *ubench_args(ubench *b, const int64_t *a, int n)
{
	if (b == nullptr || a == nullptr || n <= 0)
		return b;
	return ub(bm(b)->Args(std::vector<int64_t>(a, a + n)));
}

ubench *ubench_range_args(ubench *b, int64_t lo, int64_t hi)
{
	return b ? ub(bm(b)->Range(lo, hi)) : nullptr;
}

ubench *ubench_dense_range(ubench *b, int64_t lo, int64_t hi, int step)
{
	return b ? ub(bm(b)->DenseRange(lo, hi, step)) : nullptr;
}

ubench *ubench_ranges2(ubench *b, int64_t lo0, int64_t hi0, int64_t lo1, int64_t hi1)
{
	return b ? ub(bm(b)->Ranges({{lo0, hi0}, {lo1, hi1}})) : nullptr;
}

ubench *ubench_range_multiplier(ubench *b, int mult)
{
	return b ? ub(bm(b)->RangeMultiplier(mult)) : nullptr;
}

ubench *ubench_arg_names(ubench *b, const char *const *names, int n)
{
	if (b == nullptr || names == nullptr || n <= 0)
		return b;
	return ub(bm(b)->ArgNames(std::vector<std::string>(names, names + n)));
}

ubench *ubench_min_time(ubench *b, double seconds)
{
	return b ? ub(bm(b)->MinTime(seconds)) : nullptr;
}

ubench *ubench_unit(ubench *b, enum ubench_unit unit)
{
	static const benchmark::TimeUnit map[] = {benchmark::kNanosecond, benchmark::kMicrosecond,
						  benchmark::kMillisecond, benchmark::kSecond};

	if (b == nullptr || unit < UBENCH_NS || unit > UBENCH_S)
		return b;
	return ub(bm(b)->Unit(map[unit]));
}

ubench *ubench_use_real_time(ubench *b)
{
	return b ? ub(bm(b)->UseRealTime()) : nullptr;
}

int ubench_init(int *argc, char **argv)
{
	benchmark::Initialize(argc, argv);
	if (*argc > 1) {
		for (int i = 1; i < *argc; i++)
			std::fprintf(stderr, "%s: unrecognized argument '%s' (udma options go after --)\n",
				     argv[0], argv[i]);
		return -1;
	}
	return 0;
}

uint64_t ubench_run(void)
{
	return static_cast<uint64_t>(benchmark::RunSpecifiedBenchmarks());
}

void ubench_shutdown(void)
{
	benchmark::Shutdown();
}

} // extern "C"
