// Scans (cumsum, cumprod, cummax, cummin, logcumsumexp) along one axis,
// forward or reversed, inclusive or exclusive. The running value has the
// output's type, so half types round at every step as in MLX.
#include <cmath>
#include <limits>

#include "mlxcpp/backend/cpu/axis_layout.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/math.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

template <typename T>
using calc_of = std::conditional_t<is_half_v<T>, float, T>;

template <typename U>
U scan_init(Scan::ReduceType type) {
  using C = calc_of<U>;
  switch (type) {
    case Scan::Sum:
      return U(0);
    case Scan::Prod:
      return U(1);
    case Scan::Max:
      return U(cpu::max_identity<C>());
    case Scan::Min:
      return U(cpu::min_identity<C>());
    case Scan::LogAddExp:
      return U(cpu::max_identity<C>());
  }
  return U(0);
}

template <typename U>
U scan_step(Scan::ReduceType type, U acc_u, U x_u) {
  using C = calc_of<U>;
  const C acc = static_cast<C>(acc_u);
  const C x = static_cast<C>(x_u);
  switch (type) {
    case Scan::Sum:
      if constexpr (std::is_integral_v<C>) {
        return cpu::wrap_add(acc, x);
      } else {
        return static_cast<U>(acc + x);
      }
    case Scan::Prod:
      if constexpr (std::is_integral_v<C>) {
        return cpu::wrap_mul(acc, x);
      } else {
        return static_cast<U>(acc * x);
      }
    case Scan::Max:
      if constexpr (std::is_floating_point_v<C>) {
        if (acc != acc || x != x) {
          return static_cast<U>(std::numeric_limits<C>::quiet_NaN());
        }
      }
      return static_cast<U>(x > acc ? x : acc);
    case Scan::Min:
      if constexpr (std::is_floating_point_v<C>) {
        if (acc != acc || x != x) {
          return static_cast<U>(std::numeric_limits<C>::quiet_NaN());
        }
      }
      return static_cast<U>(x < acc ? x : acc);
    case Scan::LogAddExp:
      if constexpr (std::is_floating_point_v<C>) {
        if (acc != acc || x != x) {
          return static_cast<U>(acc + x);
        }
        const C hi = acc > x ? acc : x;
        const C lo = acc > x ? x : acc;
        if (lo == -std::numeric_limits<C>::infinity() || hi == std::numeric_limits<C>::infinity()) {
          return static_cast<U>(hi);
        }
        return static_cast<U>(hi + std::log1p(std::exp(lo - hi)));
      } else {
        throw std::invalid_argument("[logcumsumexp] Expected a floating point dtype.");
      }
  }
  return acc_u;
}

template <typename T, typename U>
void scan_typed(const array& in, array& out, Scan::ReduceType type, int axis, bool reverse,
                bool inclusive) {
  const auto l = cpu::axis_layout(in.shape(), axis);
  const T* src = in.data<T>();
  U* dst = out.data<U>();
  const U init = scan_init<U>(type);
  cpu::parallel_for(l.outer, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(l.n * l.inner, 1)),
                    [&](int64_t b, int64_t e) {
                      std::vector<U> acc(l.inner);
                      for (int64_t o = b; o < e; ++o) {
                        const T* x = src + o * l.n * l.inner;
                        U* y = dst + o * l.n * l.inner;
                        std::fill(acc.begin(), acc.end(), init);
                        for (int64_t s = 0; s < l.n; ++s) {
                          const int64_t k = reverse ? l.n - 1 - s : s;
                          const T* xr = x + k * l.inner;
                          U* yr = y + k * l.inner;
                          for (int64_t i = 0; i < l.inner; ++i) {
                            const U next = scan_step<U>(type, acc[i], value_cast<U>(xr[i]));
                            yr[i] = inclusive ? next : acc[i];
                            acc[i] = next;
                          }
                        }
                      }
                    });
}

}  // namespace

void Scan::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array in = cpu::row_major(inputs[0]);
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  cpu::dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    if (out.dtype() == in.dtype()) {
      if constexpr (std::is_same_v<T, bool>) {
        // Only max/min reach here for bool (sums widen to int32).
        scan_typed<bool, bool>(in, out, reduce_type_, axis_, reverse_, inclusive_);
      } else {
        scan_typed<T, T>(in, out, reduce_type_, axis_, reverse_, inclusive_);
      }
    } else if (out.dtype() == int32) {
      scan_typed<T, int32_t>(in, out, reduce_type_, axis_, reverse_, inclusive_);
    } else {
      throw std::invalid_argument("[scan] Unexpected output dtype " +
                                  std::string(dtype_name(out.dtype())) + ".");
    }
  });
}

}  // namespace mlxcpp
