// Half-precision GEMV: the weight is converted to float32 in registers, a
// chunk at a time, and multiplied by every activation row while it is there.
// The loops are written in fixed-width lanes so the compiler vectorises them
// for the build's instruction set (F16C converts float16 where present).
#include "mlxcpp/backend/cpu/half_gemv.h"

#include <algorithm>

#include "mlxcpp/backend/cpu/half_convert.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/errors.h"

namespace mlxcpp::cpu {

namespace {

constexpr int kLanes = 16;   // independent partial sums per output: one AVX-512 register
constexpr int kChunk = 128;  // weight elements converted at a time per column

// Columns j0 .. j0 + R - 1 of B when each is contiguous (B(p, j) at b[j * cs + p]):
// y[i][j] = dot(x[i], column j), for M activation rows.
// How far ahead of the chunk being converted a column is prefetched: with one column
// (a row of the weight, contiguous) at a time each thread reads a single sequential
// stream, and the hardware prefetchers alone keep too little of it in flight. 8 KiB
// ahead, against 2 KiB before (mlxcpp bench, bfloat16 tg64, 3 alternating runs each):
// Llama-3.2-1B 11.3-11.6 -> 13.1-13.7 tokens/s on 1 thread, Qwen3-0.6B 23.2-23.7 ->
// 27.4-28.1; 2 threads +40 % in 2 of 3 runs (the machine's bandwidth drifts). 16 and
// 32 KiB measured lower; BM_HalfGemv from DRAM: 29-31 -> 34-35 GB/s on 1 thread.
constexpr int64_t kPrefetchElements = 4096;

// acc[i] += x[i][p .. p + len) * wf[0 .. len) lane-wise, for len a multiple of kLanes.
template <int M, int64_t Len>
inline void accumulate_lanes(float (&acc)[M][kLanes], const float* x, int64_t k, int64_t p,
                             const float* wf, int64_t len = Len) {
  for (int i = 0; i < M; ++i) {
    const float* xi = x + i * k + p;
    for (int64_t l = 0; l < len; l += kLanes) {
      for (int q = 0; q < kLanes; ++q) {
        acc[i][q] += xi[l + q] * wf[l + q];
      }
    }
  }
}

// Column j of B when each column is contiguous (B(p, j) at b[j * cs + p]):
// y[i][j] = dot(x[i], column j), for M activation rows.
template <typename T, int M>
void dot_column(const T* b, int64_t cs, const float* x, int64_t k, int64_t n, int64_t j, float* y) {
  const T* col = b + j * cs;
  float acc[M][kLanes] = {};
  float wf[kChunk];
  int64_t p = 0;
  for (; p + kChunk <= k; p += kChunk) {
    for (int64_t line = 0; line < kChunk; line += 64 / int64_t(sizeof(T))) {
      __builtin_prefetch(col + p + kPrefetchElements + line);
    }
    to_float(col + p, wf, kChunk);
    accumulate_lanes<M, kChunk>(acc, x, k, p, wf);
  }
  // Whole lanes of a short last chunk (all of k when it is a head dim of 64 or 80).
  if (const int64_t lanes = (k - p) / kLanes * kLanes; lanes > 0) {
    to_float(col + p, wf, lanes);
    accumulate_lanes<M, 0>(acc, x, k, p, wf, lanes);
    p += lanes;
  }
  for (int i = 0; i < M; ++i) {
    // Pairwise halving, which vectorises: a serial sum of the lanes is a chain of 16
    // dependent adds per output, as long as the dot product itself when k is a head dim.
    for (int w = kLanes / 2; w > 0; w /= 2) {
      for (int q = 0; q < w; ++q) {
        acc[i][q] += acc[i][q + w];
      }
    }
    float s = acc[i][0];
    for (int64_t t = p; t < k; ++t) {
      s += x[i * k + t] * static_cast<float>(col[t]);
    }
    y[i * n + j] = s;
  }
}

// Columns [j0, j1) when each row of B is contiguous (B(p, j) at b[p * rs + j]): every
// row p adds x[i][p] times a slice of it to the outputs.
template <typename T, int M>
void axpy_range(const T* b, int64_t rs, const float* x, int64_t k, int64_t n, int64_t j0,
                int64_t j1, float* y) {
  constexpr int64_t kWidth = 256;
  constexpr int kRowsAtOnce = 4;
  float acc[M][kWidth];
  float wf[kRowsAtOnce][kWidth];
  for (int64_t jc = j0; jc < j1; jc += kWidth) {
    const int64_t w = std::min(kWidth, j1 - jc);
    for (int i = 0; i < M; ++i) {
      std::fill(acc[i], acc[i] + w, 0.0f);
    }
    int64_t p = 0;
    // Four rows of B per pass over the accumulators, which are loaded and stored once per
    // pass; the additions into each stay in the order of p, as one row at a time makes
    // them (decode attention's PV, head dim 128: the loads and stores were most of it).
    for (; p + kRowsAtOnce <= k; p += kRowsAtOnce) {
      for (int r = 0; r < kRowsAtOnce; ++r) {
        to_float(b + (p + r) * rs + jc, wf[r], w);
      }
      for (int i = 0; i < M; ++i) {
        const float* xi = x + i * k + p;
        const float x0 = xi[0], x1 = xi[1], x2 = xi[2], x3 = xi[3];
        for (int64_t t = 0; t < w; ++t) {
          float a = acc[i][t];
          a += x0 * wf[0][t];
          a += x1 * wf[1][t];
          a += x2 * wf[2][t];
          a += x3 * wf[3][t];
          acc[i][t] = a;
        }
      }
    }
    for (; p < k; ++p) {
      to_float(b + p * rs + jc, wf[0], w);
      for (int i = 0; i < M; ++i) {
        const float xv = x[i * k + p];
        for (int64_t t = 0; t < w; ++t) {
          acc[i][t] += xv * wf[0][t];
        }
      }
    }
    for (int i = 0; i < M; ++i) {
      std::copy(acc[i], acc[i] + w, y + i * n + jc);
    }
  }
}

template <typename T, int M>
void gemv_rows(const T* b, int64_t rs, int64_t cs, const float* x, int64_t n, int64_t k, float* y) {
  const bool columns = rs == 1;
  // About 64 KiB of weight per task, so small matrices do not pay for waking the pool.
  const int64_t grain = std::max<int64_t>(4, (int64_t{32} << 10) / std::max<int64_t>(k, 1));
  parallel_for(n, grain, [&](int64_t j0, int64_t j1) {
    if (columns) {
      for (int64_t j = j0; j < j1; ++j) {
        dot_column<T, M>(b, cs, x, k, n, j, y);
      }
    } else {
      axpy_range<T, M>(b, rs, x, k, n, j0, j1, y);
    }
  });
}

template <typename T, int M = 1>
void gemv_dispatch(const T* b, int64_t rs, int64_t cs, const float* x, int64_t m, int64_t n,
                   int64_t k, float* y) {
  if constexpr (M < kHalfGemvMaxRows) {
    if (m != M) {
      return gemv_dispatch<T, M + 1>(b, rs, cs, x, m, n, k, y);
    }
  }
  gemv_rows<T, M>(b, rs, cs, x, n, k, y);
}

}  // namespace

void half_gemv(Dtype b_dtype, const void* b, int64_t rs, int64_t cs, const float* x, int64_t m,
               int64_t n, int64_t k, float* y) {
  if (m < 1 || m > kHalfGemvMaxRows || !half_gemv_layout_ok(rs, cs)) {
    throw std::logic_error("[half_gemv] Called for a product it does not serve.");
  }
  if (b_dtype == Dtype::Val::float16) {
    gemv_dispatch(static_cast<const float16_t*>(b), rs, cs, x, m, n, k, y);
  } else if (b_dtype == Dtype::Val::bfloat16) {
    gemv_dispatch(static_cast<const bfloat16_t*>(b), rs, cs, x, m, n, k, y);
  } else {
    throw std::logic_error("[half_gemv] Expects a float16 or bfloat16 matrix.");
  }
}

}  // namespace mlxcpp::cpu
