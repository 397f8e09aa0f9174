// Softmax and logsumexp over the last axis. Rows compute in float (double for
// float64) whatever the storage type, which is at least as accurate as
// MLX's "precise" mode.
#include <cmath>
#include <limits>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/math.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

inline float exp_of(float x) {
  return cpu::fast_exp(x);
}
inline double exp_of(double x) {
  return std::exp(x);
}

// Largest value of a row; NaN if the row has one.
template <typename T, typename C>
C row_max(const T* x, int64_t n) {
  C m = -std::numeric_limits<C>::infinity();
  bool nan = false;
  for (int64_t i = 0; i < n; ++i) {
    const C v = static_cast<C>(x[i]);
    nan |= v != v;
    m = v > m ? v : m;
  }
  return nan ? std::numeric_limits<C>::quiet_NaN() : m;
}

template <typename T>
void softmax_rows(const array& in, array& out) {
  using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t n = in.shape(-1);
  const int64_t rows = n == 0 ? 0 : static_cast<int64_t>(in.size()) / n;
  const T* src = in.data<T>();
  T* dst = out.data<T>();
  cpu::parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)),
                    [&](int64_t b, int64_t e) {
                      std::vector<C> tmp(n);
                      for (int64_t r = b; r < e; ++r) {
                        const T* x = src + r * n;
                        T* y = dst + r * n;
                        const C m = row_max<T, C>(x, n);
                        C sum = 0;
                        for (int64_t i = 0; i < n; ++i) {
                          tmp[i] = exp_of(static_cast<C>(x[i]) - m);
                          sum += tmp[i];
                        }
                        const C inv = C(1) / sum;
                        for (int64_t i = 0; i < n; ++i) {
                          y[i] = static_cast<T>(tmp[i] * inv);
                        }
                      }
                    });
}

template <typename T>
void logsumexp_rows(const array& in, array& out) {
  using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t n = in.shape(-1);
  const int64_t rows = static_cast<int64_t>(out.size());
  const T* src = in.data<T>();
  T* dst = out.data<T>();
  cpu::parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)),
                    [&](int64_t b, int64_t e) {
                      for (int64_t r = b; r < e; ++r) {
                        const T* x = src + r * n;
                        const C m = row_max<T, C>(x, n);
                        if (std::isinf(m) || m != m) {
                          // All -inf gives -inf, any +inf gives +inf, NaN stays NaN.
                          dst[r] = static_cast<T>(m);
                          continue;
                        }
                        C sum = 0;
                        for (int64_t i = 0; i < n; ++i) {
                          sum += exp_of(static_cast<C>(x[i]) - m);
                        }
                        dst[r] = static_cast<T>(m + std::log(sum));
                      }
                    });
}

}  // namespace

void Softmax::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array in = cpu::row_major(inputs[0]);
  out.set_data(allocator::malloc(out.nbytes()));
  switch (in.dtype()) {
    case Dtype::Val::float16:
      return softmax_rows<float16_t>(in, out);
    case Dtype::Val::bfloat16:
      return softmax_rows<bfloat16_t>(in, out);
    case Dtype::Val::float32:
      return softmax_rows<float>(in, out);
    case Dtype::Val::float64:
      return softmax_rows<double>(in, out);
    default:
      throw std::invalid_argument("[softmax] Expected a real floating point dtype, got " +
                                  std::string(dtype_name(in.dtype())) + ".");
  }
}

void LogSumExp::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array in = cpu::row_major(inputs[0]);
  out.set_data(allocator::malloc(out.nbytes()));
  switch (in.dtype()) {
    case Dtype::Val::float16:
      return logsumexp_rows<float16_t>(in, out);
    case Dtype::Val::bfloat16:
      return logsumexp_rows<bfloat16_t>(in, out);
    case Dtype::Val::float32:
      return logsumexp_rows<float>(in, out);
    case Dtype::Val::float64:
      return logsumexp_rows<double>(in, out);
    default:
      throw std::invalid_argument("[logsumexp] Expected a real floating point dtype, got " +
                                  std::string(dtype_name(in.dtype())) + ".");
  }
}

}  // namespace mlxcpp
