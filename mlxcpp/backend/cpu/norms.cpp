// RMSNorm and LayerNorm over the last axis: one pass per row in float32
// (float64 for float64), rounding to the result type where MLX's composition
// does (after normalizing, after the weight, after the bias). Rows convert to
// and from the 16-bit types in bulk (backend/cpu/half_convert.h).
#include <cmath>
#include <memory>
#include <vector>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/half_convert.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/fast_primitives.h"

namespace mlxcpp::fast {

namespace {

// Sum of f(x[i]) with 8 independent partial sums, so the loop vectorises without
// reassociating a single accumulator.
template <typename C, typename F>
C sum_of(const C* x, int64_t n, F f) {
  C part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      part[j] += f(x[i + j]);
    }
  }
  C total = 0;
  for (; i < n; ++i) {
    total += f(x[i]);
  }
  for (int j = 0; j < 8; ++j) {
    total += part[j];
  }
  return total;
}

// The compute type of a storage type.
template <typename T>
using compute_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Row-major rows as compute_t<T> in and out: load, f(row), store with rounding to T.
template <typename T>
class RowConverter {
 public:
  using C = compute_t<T>;
  explicit RowConverter(int64_t n) : buf_(n), scratch_(new T[n]) {}

  C* load(const T* x) {
    if constexpr (std::is_same_v<T, double>) {
      std::copy(x, x + buf_.size(), buf_.begin());
    } else {
      cpu::to_float(x, buf_.data(), static_cast<int64_t>(buf_.size()));
    }
    return buf_.data();
  }
  /** Rounds v (n values) to T's precision in place, as storing and reloading would. */
  void round(C* v) {
    if constexpr (!std::is_same_v<T, double>) {
      cpu::round_through<T>(v, static_cast<int64_t>(buf_.size()), scratch_.get());
    }
  }
  void store(const C* v, T* y) {
    if constexpr (std::is_same_v<T, double>) {
      std::copy(v, v + buf_.size(), y);
    } else {
      cpu::from_float(v, y, static_cast<int64_t>(buf_.size()));
    }
  }

 private:
  std::vector<C> buf_;
  // Left uninitialised (round_through writes before it reads): zero-filling it element
  // by element was ~15 % of a decode step's RMSNorm.
  std::unique_ptr<T[]> scratch_;
};

// A per-feature parameter as compute_t<T> values (n copies of a scalar stand-in).
template <typename T>
std::vector<compute_t<T>> param_values(const array& p_in, int64_t n) {
  const array p = cpu::row_major(p_in);
  std::vector<compute_t<T>> out(n);
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<compute_t<T>>(p.data<T>()[p.size() == 1 ? 0 : i]);
  }
  return out;
}

template <typename T, typename Row>
void for_rows(const array& x_in, array& out, Row row) {
  const array x = cpu::row_major(x_in);
  out.set_data(allocator::malloc(out.nbytes()));
  const int64_t n = x.shape(-1);
  const int64_t rows = n == 0 ? 0 : static_cast<int64_t>(x.size()) / n;
  cpu::parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)),
                    [&](int64_t b, int64_t e) {
                      RowConverter<T> conv(n);
                      for (int64_t r = b; r < e; ++r) {
                        compute_t<T>* v = conv.load(x.data<T>() + r * n);
                        row(v, n, conv);
                        conv.store(v, out.data<T>() + r * n);
                      }
                    });
}

template <typename F>
void dispatch_float(Dtype dtype, const char* op, F f) {
  switch (dtype) {
    case Dtype::Val::float32:
      return f(float{});
    case Dtype::Val::float64:
      return f(double{});
    case Dtype::Val::float16:
      return f(float16_t{});
    case Dtype::Val::bfloat16:
      return f(bfloat16_t{});
    default:
      throw std::invalid_argument(std::string("[") + op + "] Expected a floating point type.");
  }
}

}  // namespace

void RMSNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch_float(outputs[0].dtype(), "rms_norm", [&](auto tag) {
    using T = decltype(tag);
    using C = compute_t<T>;
    const int64_t n = inputs[0].shape(-1);
    const auto weight = param_values<T>(inputs[1], n);
    const C eps = static_cast<C>(eps_);
    for_rows<T>(inputs[0], outputs[0], [&](C* v, int64_t len, RowConverter<T>& conv) {
      const C ms = sum_of(v, len, [](C a) { return a * a; }) / static_cast<C>(len);
      const C r = C(1) / std::sqrt(ms + eps);
      for (int64_t i = 0; i < len; ++i) {
        v[i] *= r;
      }
      conv.round(v);
      for (int64_t i = 0; i < len; ++i) {
        v[i] *= weight[i];
      }
    });
  });
}

void LayerNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch_float(outputs[0].dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    using C = compute_t<T>;
    const int64_t n = inputs[0].shape(-1);
    const auto weight = param_values<T>(inputs[1], n);
    const auto bias = param_values<T>(inputs[2], n);
    const C eps = static_cast<C>(eps_);
    for_rows<T>(inputs[0], outputs[0], [&](C* v, int64_t len, RowConverter<T>& conv) {
      const C mu = sum_of(v, len, [](C a) { return a; }) / static_cast<C>(len);
      const C var = sum_of(v, len, [mu](C a) { return (a - mu) * (a - mu); }) / static_cast<C>(len);
      const C r = C(1) / std::sqrt(var + eps);
      for (int64_t i = 0; i < len; ++i) {
        v[i] = (v[i] - mu) * r;
      }
      conv.round(v);
      for (int64_t i = 0; i < len; ++i) {
        v[i] *= weight[i];
      }
      conv.round(v);
      for (int64_t i = 0; i < len; ++i) {
        v[i] += bias[i];
      }
    });
  });
}

}  // namespace mlxcpp::fast
