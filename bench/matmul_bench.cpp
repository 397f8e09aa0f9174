// sgemm through mx::matmul beside the same BLAS called directly with its own
// threading (the best plain call), at n = 512 ... 4096: the difference is
// mlxcpp's overhead (graph, allocation, splitting the output over the pool).
//
//   build/release/bench/matmul_bench
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include "mlxcpp/backend/cpu/blas.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/mlxcpp.h"

namespace mx = mlxcpp;

namespace {

void set_flops(benchmark::State& state, int64_t n) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * double(n) * double(n) * double(n) * double(state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
}

void BM_Matmul(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto a = mx::ones({n, n});
  auto b = mx::ones({n, n});
  mx::eval(a, b);
  for (auto _ : state) {
    auto c = mx::matmul(a, b);
    c.eval();
  }
  set_flops(state, n);
}

// The library mlxcpp loaded, called directly with its own threads.
void BM_BlasDirect(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  mx::cpu::blas_info();  // load it the way mlxcpp does
  void* h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) {
    state.SkipWithError("OpenBLAS is not loaded");
    return;
  }
  using sgemm_fn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*,
                            int, float, float*, int);
  auto sgemm = reinterpret_cast<sgemm_fn>(dlsym(h, "cblas_sgemm"));
  auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"));
  std::vector<float> a(size_t(n) * n, 1.0f), b(size_t(n) * n, 1.0f), c(size_t(n) * n);
  set_threads(mx::cpu::num_threads());
  for (auto _ : state) {
    sgemm(101, 111, 111, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  set_threads(1);
  dlclose(h);
  set_flops(state, n);
}

// Decoding with bfloat16 weights: one bfloat16 row times a transposed 4096 x 4096 bfloat16
// weight (nn::Linear), cycling through copies that together pass 256 MiB so every call
// reads its weight from DRAM, as GB/s of weight bytes; compare quantized_bench's
// BM_ReadBandwidth/4096/0, the machine's read rate.
void BM_HalfGemv(benchmark::State& state) {
  const int n = 4096, k = 4096;
  std::vector<mx::array> ws;
  double bytes = 0;
  for (int i = 0; bytes < 256.0 * (1 << 20); ++i) {
    ws.push_back(mx::astype(mx::random::normal({n, k}, mx::random::key(i)), mx::bfloat16));
    mx::eval(ws.back());
    bytes += double(ws.back().nbytes());
  }
  auto x = mx::astype(mx::random::normal({1, k}, mx::random::key(99)), mx::bfloat16);
  mx::eval(x);
  size_t next = 0;
  for (auto _ : state) {
    auto y = mx::matmul(x, mx::transpose(ws[next]));
    next = (next + 1) % ws.size();
    y.eval();
  }
  state.counters["weight GB/s"] = benchmark::Counter(
      double(ws[0].nbytes()) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// One projection of a Qwen3-30B-A3B-shaped MoE layer in bfloat16 (128 experts of
// 768 x 2048), each of T tokens (arg) routed to 8 distinct experts, called as SwitchLinear
// calls gather_mm (the weight transposed as a view).
void BM_GatherMmMoe(benchmark::State& state) {
  const int t = int(state.range(0));
  constexpr int kExperts = 128, kTopK = 8, kOut = 768, kIn = 2048;
  auto w = mx::astype(mx::random::uniform({kExperts, kOut, kIn}, mx::random::key(7)) * 0.05f,
                      mx::bfloat16);
  auto x = mx::astype(mx::random::normal({t, 1, 1, kIn}, mx::random::key(3)), mx::bfloat16);
  auto scores = mx::random::uniform({t, kExperts}, mx::random::key(5));
  auto idx = mx::slice(mx::argpartition(scores, kExperts - kTopK, -1), {0, kExperts - kTopK},
                       {t, kExperts});
  mx::eval({w, x, idx});
  for (auto _ : state) {
    auto y = mx::gather_mm(x, mx::swapaxes(w, -1, -2), std::nullopt, idx);
    y.eval();
  }
  state.counters["tokens/s"] =
      benchmark::Counter(double(t) * double(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

// n = 512, 1024, 2048, 4096, in milliseconds: both sgemm benchmarks.
void sgemm_sizes(benchmark::internal::Benchmark* b) {
  b->RangeMultiplier(2)->Range(512, 4096)->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_Matmul)->Apply(sgemm_sizes);
BENCHMARK(BM_BlasDirect)->Apply(sgemm_sizes);
BENCHMARK(BM_HalfGemv)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_GatherMmMoe)
    ->ArgsProduct({{1, 32, 128, 512}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

int main(int argc, char** argv) {
  std::printf("BLAS: %s; threads: %d\n", mx::cpu::blas_info().library.c_str(),
              mx::cpu::num_threads());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
