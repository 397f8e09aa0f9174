// Fused attention and norms: decode (one query over 4k cached keys, 32 query
// heads sharing 8 key/value heads, head dim 128) as GB/s of K/V read, prefill
// (512 x 512, causal) as GFLOP/s, each beside the same computation written
// with basic ops (fast::reference); rms_norm over 4096 features.
//
//   build/release/bench/fast_bench
#include <benchmark/benchmark.h>

#include "mlxcpp/mlxcpp.h"

namespace mx = mlxcpp;

namespace {

constexpr int kHeads = 32;
constexpr int kKvHeads = 8;
constexpr int kDim = 128;

mx::Dtype dtype_of(int64_t code) {
  return code == 0 ? mx::float32 : mx::float16;
}

template <bool Fused>
void BM_SdpaDecode(benchmark::State& state) {
  const int keys = 4096;
  const mx::Dtype dt = dtype_of(state.range(0));
  auto q = mx::astype(mx::random::normal({1, kHeads, 1, kDim}, mx::random::key(1)), dt);
  auto k = mx::astype(mx::random::normal({1, kKvHeads, keys, kDim}, mx::random::key(2)), dt);
  auto v = mx::astype(mx::random::normal({1, kKvHeads, keys, kDim}, mx::random::key(3)), dt);
  mx::eval(q, k, v);
  const float scale = 1.0f / std::sqrt(float(kDim));
  for (auto _ : state) {
    auto o = Fused ? mx::fast::scaled_dot_product_attention(q, k, v, scale)
                   : mx::fast::reference::scaled_dot_product_attention(q, k, v, scale);
    o.eval();
  }
  const double bytes = 2.0 * double(k.nbytes());
  state.counters["KV GB/s"] =
      benchmark::Counter(bytes * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// A decode step (args: cached keys; 0 Qwen3-0.6B: 16 query heads of dim 128, 1
// Llama-3.2-1B: 32 of dim 64; both over 8 key/value heads): one bfloat16 query, K and V the
// filled part of a larger cache buffer, as the KV cache hands them over. At these lengths
// the step costs microseconds, so fixed costs show.
void BM_SdpaDecodeCache(benchmark::State& state) {
  const int keys = int(state.range(0));
  const int heads = state.range(1) == 0 ? 16 : 32;
  const int dim = state.range(1) == 0 ? 128 : 64;
  const int cap = keys + 256;
  auto cache = [&](int seed) {
    auto full =
        mx::astype(mx::random::normal({1, 8, cap, dim}, mx::random::key(seed)), mx::bfloat16);
    mx::eval(full);
    return mx::slice(full, {0, 0, 0, 0}, {1, 8, keys, dim});
  };
  auto q = mx::astype(mx::random::normal({1, heads, 1, dim}, mx::random::key(1)), mx::bfloat16);
  auto k = cache(2);
  auto v = cache(3);
  mx::eval(q, k, v);
  const float scale = 1.0f / std::sqrt(float(dim));
  for (auto _ : state) {
    auto o = mx::fast::scaled_dot_product_attention(q, k, v, scale, "causal");
    o.eval();
  }
}

template <bool Fused>
void BM_SdpaPrefill(benchmark::State& state) {
  const int len = 512;
  const mx::Dtype dt = dtype_of(state.range(0));
  auto q = mx::astype(mx::random::normal({1, kHeads, len, kDim}, mx::random::key(1)), dt);
  auto k = mx::astype(mx::random::normal({1, kKvHeads, len, kDim}, mx::random::key(2)), dt);
  auto v = mx::astype(mx::random::normal({1, kKvHeads, len, kDim}, mx::random::key(3)), dt);
  mx::eval(q, k, v);
  const float scale = 1.0f / std::sqrt(float(kDim));
  for (auto _ : state) {
    auto o = Fused ? mx::fast::scaled_dot_product_attention(q, k, v, scale, "causal")
                   : mx::fast::reference::scaled_dot_product_attention(q, k, v, scale, "causal");
    o.eval();
  }
  // Two products of [len, dim] x [dim, len], half of them masked away by causality.
  const double flops = 2.0 * 2.0 * kHeads * double(len) * len * kDim / 2.0;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

template <bool Fused>
void BM_RmsNorm(benchmark::State& state) {
  const mx::Dtype dt = dtype_of(state.range(0));
  auto x = mx::astype(mx::random::normal({512, 4096}, mx::random::key(1)), dt);
  auto w = mx::astype(mx::random::normal({4096}, mx::random::key(2)), dt);
  mx::eval(x, w);
  for (auto _ : state) {
    auto y = Fused ? mx::fast::rms_norm(x, w, 1e-5f) : mx::fast::reference::rms_norm(x, w, 1e-5f);
    y.eval();
  }
  state.counters["GB/s"] = benchmark::Counter(
      2.0 * double(x.nbytes()) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// RoPE on bfloat16 queries of Qwen3-0.6B (16 heads, dim 128, base 1e6) at offset 100; arg:
// positions (1: a decode step, 512: a prompt).
void BM_Rope(benchmark::State& state) {
  const int positions = int(state.range(0));
  auto x =
      mx::astype(mx::random::normal({1, 16, positions, kDim}, mx::random::key(1)), mx::bfloat16);
  mx::eval(x);
  for (auto _ : state) {
    auto y = mx::fast::rope(x, kDim, false, 1e6f, 1.0f, 100);
    y.eval();
  }
}

}  // namespace

// Argument 0: float32, 1: float16.
BENCHMARK(BM_SdpaDecode<true>)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SdpaDecode<false>)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SdpaDecodeCache)
    ->ArgsProduct({{64, 512, 4096}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_SdpaPrefill<true>)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SdpaPrefill<false>)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RmsNorm<true>)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_RmsNorm<false>)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK(BM_Rope)->Arg(1)->Arg(512)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
