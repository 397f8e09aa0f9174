// RoPE: rotary position embeddings on x viewed as [B, N, T, D]. The angles are
// computed once per (offset, position, frequency) in float32 as MLX does; the
// rotation rounds each product and sum to x's type, as MLX's composition.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/half_convert.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/fast_primitives.h"

namespace mlxcpp::fast {

namespace {

struct RopeGeometry {
  int64_t batch;
  int64_t heads;  // everything between the batch and position axes
  int64_t positions;
  int64_t features;
  int dims;
  bool traditional;
};

// The type RoPE computes in for storage type T.
template <typename T>
using rope_compute_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// cos and sin of [positions, dims / 2] angles for one offset, rounded to T and held in
// T's compute type.
template <typename T>
void angle_table(const RopeGeometry& g, int32_t offset, float scale,
                 const std::vector<float>& inv_freqs, std::vector<rope_compute_t<T>>& cosines,
                 std::vector<rope_compute_t<T>>& sines) {
  using C = rope_compute_t<T>;
  const int half = g.dims / 2;
  cosines.resize(g.positions * half);
  sines.resize(g.positions * half);
  // A prompt's table is positions x dims / 2 sines and cosines: split over the pool.
  cpu::parallel_for(g.positions, std::max(1, 4096 / std::max(half, 1)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const float position = (static_cast<float>(t) + static_cast<float>(offset)) * scale;
      for (int i = 0; i < half; ++i) {
        const float theta = position * inv_freqs[i];
        cosines[t * half + i] = static_cast<C>(static_cast<T>(std::cos(theta)));
        sines[t * half + i] = static_cast<C>(static_cast<T>(std::sin(theta)));
      }
    }
  });
}

// One float64 row of D features: rotate the first dims, copy the rest (RowRotator does
// the other types).
template <typename T>
void rotate_row(const RopeGeometry& g, const T* x, const T* cosines, const T* sines, T* y) {
  using C = rope_compute_t<T>;
  const int half = g.dims / 2;
  auto round = [](C v) { return static_cast<C>(static_cast<T>(v)); };
  for (int i = 0; i < half; ++i) {
    const int64_t i1 = g.traditional ? 2 * i : i;
    const int64_t i2 = g.traditional ? 2 * i + 1 : i + half;
    const C x1 = static_cast<C>(x[i1]);
    const C x2 = static_cast<C>(x[i2]);
    const C c = static_cast<C>(cosines[i]);
    const C s = static_cast<C>(sines[i]);
    y[i1] = static_cast<T>(round(x1 * c) - round(x2 * s));
    y[i2] = static_cast<T>(round(x1 * s) + round(x2 * c));
  }
  for (int64_t i = g.dims; i < g.features; ++i) {
    y[i] = x[i];
  }
}

// rotate_row for float32 and the 16-bit types with the same roundings, over whole arrays
// (bulk conversions, and products and sums the compiler vectorises): the scalar
// conversions per element made a decode step's RoPE cost ~4 ns per pair.
template <typename T>
class RowRotator {
 public:
  explicit RowRotator(const RopeGeometry& g)
      : g_(g), half_(g.dims / 2), f_(6 * half_ + g.dims), t_(new T[4 * half_]) {}

  // cosines and sines: the angle table's row, already rounded to T's precision.
  void operator()(const T* x, const float* cosines, const float* sines, T* y) {
    float* x1 = f_.data();
    float* x2 = x1 + half_;
    float* a = x2 + half_;  // x1 cos, then the first outputs
    float* b = a + half_;   // x2 sin
    float* c = b + half_;   // x1 sin, then the second outputs
    float* d = c + half_;   // x2 cos
    float* row = d + half_;
    cpu::to_float(x, row, g_.dims);
    for (int i = 0; i < half_; ++i) {
      x1[i] = row[g_.traditional ? 2 * i : i];
      x2[i] = row[g_.traditional ? 2 * i + 1 : i + half_];
    }
    products(x1, x2, cosines, sines, a, b, c, d);
    cpu::round_through<T>(a, 4 * half_, t_.get());  // a, b, c and d
    for (int i = 0; i < half_; ++i) {
      a[i] -= b[i];
      c[i] += d[i];
    }
    for (int i = 0; i < half_; ++i) {
      row[g_.traditional ? 2 * i : i] = a[i];
      row[g_.traditional ? 2 * i + 1 : i + half_] = c[i];
    }
    cpu::from_float(row, y, g_.dims);
    std::copy(x + g_.dims, x + g_.features, y + g_.dims);
  }

 private:
  // The four products of the rotation. The arrays do not overlap: restrict lets the
  // compiler vectorise the loop, which it left scalar for fear of aliasing (a decode
  // step's RoPE spent most of its time here).
  void products(const float* __restrict x1, const float* __restrict x2,
                const float* __restrict cosines, const float* __restrict sines, float* __restrict a,
                float* __restrict b, float* __restrict c, float* __restrict d) const {
    for (int i = 0; i < half_; ++i) {
      a[i] = x1[i] * cosines[i];
      b[i] = x2[i] * sines[i];
      c[i] = x1[i] * sines[i];
      d[i] = x2[i] * cosines[i];
    }
  }

  const RopeGeometry& g_;
  int half_;
  std::vector<float> f_;
  std::unique_ptr<T[]> t_;  // scratch, left uninitialised: round_through writes it first
};

template <typename T>
void rope_kernel(const RopeGeometry& g, const array& x, const std::vector<int32_t>& offsets,
                 float scale, const std::vector<float>& inv_freqs, array& out) {
  const int half = g.dims / 2;
  const bool shared_offset = offsets.size() == 1;
  std::vector<std::vector<rope_compute_t<T>>> cosines(shared_offset ? 1 : g.batch);
  std::vector<std::vector<rope_compute_t<T>>> sines(cosines.size());
  for (size_t b = 0; b < cosines.size(); ++b) {
    angle_table<T>(g, offsets[b], scale, inv_freqs, cosines[b], sines[b]);
  }
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  const int64_t rows = g.batch * g.heads * g.positions;
  const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(g.features, 1));
  auto table_of = [&](int64_t r) {
    return shared_offset ? 0 : static_cast<size_t>(r / (g.heads * g.positions));
  };
  if constexpr (std::is_same_v<T, double>) {
    cpu::parallel_for(rows, grain, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t t = r % g.positions;
        rotate_row(g, src + r * g.features, cosines[table_of(r)].data() + t * half,
                   sines[table_of(r)].data() + t * half, dst + r * g.features);
      }
    });
  } else {
    cpu::parallel_for(rows, grain, [&](int64_t b, int64_t e) {
      RowRotator<T> rotate(g);
      for (int64_t r = b; r < e; ++r) {
        const int64_t t = r % g.positions;
        rotate(src + r * g.features, cosines[table_of(r)].data() + t * half,
               sines[table_of(r)].data() + t * half, dst + r * g.features);
      }
    });
  }
}

}  // namespace

void RoPE::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array x = cpu::row_major(inputs[0]);
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (x.size() == 0) {
    return;
  }
  RopeGeometry g;
  g.batch = x.shape(0);
  g.positions = x.shape(-2);
  g.features = x.shape(-1);
  g.heads = static_cast<int64_t>(x.size()) / (g.batch * g.positions * g.features);
  g.dims = dims_;
  g.traditional = traditional_;
  const array off = cpu::row_major(inputs[1]);
  const std::vector<int32_t> offsets(off.data<int32_t>(), off.data<int32_t>() + off.size());
  const int half = dims_ / 2;
  std::vector<float> inv_freqs(half);
  if (inputs.size() > 2) {
    const array freqs = cpu::row_major(inputs[2]);
    for (int i = 0; i < half; ++i) {
      inv_freqs[i] = 1.0f / freqs.data<float>()[i];
    }
  } else {
    const float step = std::log(base_) / static_cast<float>(half);
    for (int i = 0; i < half; ++i) {
      inv_freqs[i] = std::exp(static_cast<float>(-i) * step);
    }
  }
  switch (x.dtype()) {
    case Dtype::Val::float32:
      return rope_kernel<float>(g, x, offsets, scale_, inv_freqs, out);
    case Dtype::Val::float64:
      return rope_kernel<double>(g, x, offsets, scale_, inv_freqs, out);
    case Dtype::Val::float16:
      return rope_kernel<float16_t>(g, x, offsets, scale_, inv_freqs, out);
    case Dtype::Val::bfloat16:
      return rope_kernel<bfloat16_t>(g, x, offsets, scale_, inv_freqs, out);
    default:
      throw std::invalid_argument("[rope] Expected a floating point input.");
  }
}

}  // namespace mlxcpp::fast
