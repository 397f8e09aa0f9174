// Convolutions through mx::conv1d / mx::conv2d: Whisper's audio stem (two conv1d
// on an 80-bin log-mel of 3000 frames), a ResNet-style 7x7/2 stem on a 224x224
// RGB image and a depthwise conv1d as in Mamba-style LM blocks. GFLOP/s counts 2 * outputs * kernel
// taps * C_in/groups.
//
//   build/release/bench/conv_bench
#include <benchmark/benchmark.h>

#include <cstdio>

#include "mlxcpp/backend/cpu/blas.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/mlxcpp.h"

namespace mx = mlxcpp;

namespace {

void set_flops(benchmark::State& state, const mx::array& out, const mx::array& w) {
  // Each output element is a dot product over the weight's trailing axes.
  double per_output = 1.0;
  for (size_t i = 1; i < w.ndim(); ++i) {
    per_output *= double(w.shape(static_cast<int>(i)));
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * per_output * double(out.size()) * double(state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
}

mx::array random(const mx::Shape& shape) {
  return mx::random::normal(shape);
}

// Whisper's first conv: [1, 3000, 80] * [384, 3, 80], stride 1, padding 1.
void BM_WhisperConv1(benchmark::State& state) {
  auto x = random({1, 3000, 80});
  auto w = random({384, 3, 80});
  mx::eval(x, w);
  mx::array y = mx::conv1d(x, w, 1, 1);
  for (auto _ : state) {
    y = mx::conv1d(x, w, 1, 1);
    y.eval();
  }
  set_flops(state, y, w);
}

// Whisper's second conv: [1, 3000, 384] * [384, 3, 384], stride 2, padding 1.
void BM_WhisperConv2(benchmark::State& state) {
  auto x = random({1, 3000, 384});
  auto w = random({384, 3, 384});
  mx::eval(x, w);
  mx::array y = mx::conv1d(x, w, 2, 1);
  for (auto _ : state) {
    y = mx::conv1d(x, w, 2, 1);
    y.eval();
  }
  set_flops(state, y, w);
}

// A 7x7 stride-2 stem: [1, 224, 224, 3] * [64, 7, 7, 3], padding 3.
void BM_Conv2dStem(benchmark::State& state) {
  auto x = random({1, 224, 224, 3});
  auto w = random({64, 7, 7, 3});
  mx::eval(x, w);
  mx::array y = mx::conv2d(x, w, {2, 2}, {3, 3});
  for (auto _ : state) {
    y = mx::conv2d(x, w, {2, 2}, {3, 3});
    y.eval();
  }
  set_flops(state, y, w);
}

// Depthwise causal conv1d as in Mamba-style LM blocks: [1, 1024, 1536] * [1536, 4, 1],
// groups 1536, padding 3.
void BM_DepthwiseConv1d(benchmark::State& state) {
  auto x = random({1, 1024, 1536});
  auto w = random({1536, 4, 1});
  mx::eval(x, w);
  mx::array y = mx::conv1d(x, w, 1, 3, 1, 1536);
  for (auto _ : state) {
    y = mx::conv1d(x, w, 1, 3, 1, 1536);
    y.eval();
  }
  set_flops(state, y, w);
}

}  // namespace

BENCHMARK(BM_WhisperConv1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WhisperConv2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv2dStem)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DepthwiseConv1d)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  std::printf("BLAS: %s; threads: %d\n", mx::cpu::blas_info().library.c_str(),
              mx::cpu::num_threads());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
