// SPDX-License-Identifier: BSD-3-Clause
// Google Benchmark microbenchmarks of udma's fast paths (C API from C++). The
// ratios against DPDK live in app/dma-perf; these give per-call figures with
// Google Benchmark's statistics. Run: build/benchmarks/udma-bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include <udma.h>

namespace {

struct Env {
	udma_device *dev = nullptr;
	uint8_t *coh = nullptr;
	udma_addr_t coh_h = 0;
	udma_pool *pool = nullptr;

	Env()
	{
		const char *argv[] = {"udma-bench", "--iova-mode=auto", "-m", "64", "--log-level=3",
				      nullptr};
		if (udma_eal_init(5, const_cast<char **>(argv)) < 0)
			std::abort();
		dev = udma_device_create("bench", nullptr, -1);
		udma_set_mask_and_coherent(dev, UDMA_BIT_MASK(64));
		coh = static_cast<uint8_t *>(udma_alloc_coherent(dev, 1 << 20, &coh_h, UDMA_GFP_KERNEL));
		pool = udma_pool_create("bench", dev, 64, 0, 0);
		if (coh == nullptr || pool == nullptr)
			std::abort();
	}
	~Env()
	{
		udma_pool_destroy(pool);
		udma_free_coherent(dev, 1 << 20, coh, coh_h);
		udma_device_destroy(dev);
		udma_eal_cleanup();
	}
};

Env &env()
{
	static Env e;
	return e;
}

void BM_virt2iova(benchmark::State &state)
{
	Env &e = env();
	size_t off = 0;

	for (auto _ : state) {
		benchmark::DoNotOptimize(udma_virt2iova(e.coh + off));
		off = (off + 4160) & ((1 << 20) - 1);
	}
}
BENCHMARK(BM_virt2iova);

void BM_pool_alloc_free(benchmark::State &state)
{
	Env &e = env();
	udma_addr_t h;

	for (auto _ : state) {
		void *b = udma_pool_alloc(e.pool, UDMA_GFP_ATOMIC, &h);
		benchmark::DoNotOptimize(b);
		udma_pool_free(e.pool, b, h);
	}
}
BENCHMARK(BM_pool_alloc_free);

void BM_pool_bulk(benchmark::State &state)
{
	Env &e = env();
	const unsigned n = static_cast<unsigned>(state.range(0));
	void *v[64];
	udma_addr_t h[64];

	for (auto _ : state) {
		if (udma_pool_alloc_bulk(e.pool, UDMA_GFP_ATOMIC, v, h, n) != 0)
			state.SkipWithError("alloc_bulk failed");
		udma_pool_free_bulk(e.pool, v, h, n);
	}
	state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_pool_bulk)->Arg(8)->Arg(32)->Arg(64);

void BM_map_unmap(benchmark::State &state)
{
	Env &e = env();
	const size_t len = static_cast<size_t>(state.range(0));

	for (auto _ : state) {
		udma_addr_t a = udma_map_single(e.dev, e.coh + 64, len, UDMA_TO_DEVICE);
		benchmark::DoNotOptimize(a);
		udma_unmap_single(e.dev, a, len, UDMA_TO_DEVICE);
	}
}
BENCHMARK(BM_map_unmap)->Arg(64)->Arg(1024)->Arg(4096);

void BM_coherent_4k(benchmark::State &state)
{
	Env &e = env();
	udma_addr_t h;

	for (auto _ : state) {
		void *p = udma_alloc_coherent(e.dev, 4096, &h, UDMA_GFP_ATOMIC);
		benchmark::DoNotOptimize(p);
		udma_free_coherent(e.dev, 4096, p, h);
	}
}
BENCHMARK(BM_coherent_4k);

} // namespace

BENCHMARK_MAIN();
