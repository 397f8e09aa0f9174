// Sort, ArgSort, Partition and ArgPartition along one axis, and SearchSorted.
// NaN orders after every number (as MLX); sorts are stable.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "mlxcpp/backend/cpu/axis_layout.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

template <typename T>
bool is_nan_value(const T& v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else if constexpr (is_half_v<T>) {
    return std::isnan(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    return std::isnan(v.real()) || std::isnan(v.imag());
  } else {
    return false;
  }
}

// a < b with every NaN after every number.
template <typename T>
bool nan_last_less(const T& a, const T& b) {
  if (is_nan_value(a)) {
    return false;
  }
  if (is_nan_value(b)) {
    return true;
  }
  if constexpr (is_half_v<T>) {
    return static_cast<float>(a) < static_cast<float>(b);
  } else {
    return a < b;
  }
}

// Lines are buffered in a vector; vector<bool> would pack bits, so bools use uint8_t.
template <typename T>
using line_t = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;

// Gathers each (outer, inner) line along the axis, sorts it, writes it back.
template <typename T, typename Write>
void for_each_line(const array& in, int axis, Write write) {
  const auto l = cpu::axis_layout(in.shape(), axis);
  const T* src = in.data<T>();
  cpu::parallel_for(l.outer * l.inner, std::max<int64_t>(1, 4096 / std::max<int64_t>(l.n, 1)),
                    [&](int64_t b, int64_t e) {
                      std::vector<line_t<T>> line(l.n);
                      std::vector<uint32_t> order(l.n);
                      for (int64_t t = b; t < e; ++t) {
                        const int64_t o = t / l.inner;
                        const int64_t i = t % l.inner;
                        const int64_t base = o * l.n * l.inner + i;
                        for (int64_t k = 0; k < l.n; ++k) {
                          line[k] = src[base + k * l.inner];
                        }
                        write(line, order, base, l.inner);
                      }
                    });
}

// out = in with every line along axis rearranged by arrange(first, last, less).
template <typename Arrange>
void arrange_values(const array& input, int axis, array& out, Arrange arrange) {
  const array in = cpu::row_major(input);
  out.set_data(allocator::malloc(out.nbytes()));
  cpu::dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    T* dst = out.data<T>();
    for_each_line<T>(
        in, axis,
        [&](std::vector<line_t<T>>& line, std::vector<uint32_t>&, int64_t base, int64_t stride) {
          arrange(line.begin(), line.end(), nan_last_less<line_t<T>>);
          for (size_t k = 0; k < line.size(); ++k) {
            dst[base + static_cast<int64_t>(k) * stride] = line[k];
          }
        });
  });
}

// out (uint32) = the positions of each line's elements after arrange(first, last, less);
// equal elements keep their order, so the result is deterministic.
template <typename Arrange>
void arrange_indices(const array& input, int axis, array& out, Arrange arrange) {
  const array in = cpu::row_major(input);
  out.set_data(allocator::malloc(out.nbytes()));
  uint32_t* dst = out.data<uint32_t>();
  cpu::dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    for_each_line<T>(in, axis,
                     [&](std::vector<line_t<T>>& line, std::vector<uint32_t>& order, int64_t base,
                         int64_t stride) {
                       std::iota(order.begin(), order.end(), 0u);
                       arrange(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
                         if (nan_last_less(line[a], line[b])) {
                           return true;
                         }
                         return !nan_last_less(line[b], line[a]) && a < b;
                       });
                       for (size_t k = 0; k < order.size(); ++k) {
                         dst[base + static_cast<int64_t>(k) * stride] = order[k];
                       }
                     });
  });
}

}  // namespace

void Sort::eval_cpu(const std::vector<array>& inputs, array& out) {
  arrange_values(inputs[0], axis_, out,
                 [](auto first, auto last, auto less) { std::stable_sort(first, last, less); });
}

void ArgSort::eval_cpu(const std::vector<array>& inputs, array& out) {
  arrange_indices(inputs[0], axis_, out,
                  [](auto first, auto last, auto less) { std::sort(first, last, less); });
}

void Partition::eval_cpu(const std::vector<array>& inputs, array& out) {
  arrange_values(inputs[0], axis_, out, [&](auto first, auto last, auto less) {
    std::nth_element(first, first + kth_, last, less);
  });
}

void ArgPartition::eval_cpu(const std::vector<array>& inputs, array& out) {
  arrange_indices(inputs[0], axis_, out, [&](auto first, auto last, auto less) {
    std::nth_element(first, first + kth_, last, less);
  });
}

void SearchSorted::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array seq = cpu::row_major(inputs[0]);
  const array values = cpu::row_major(inputs[1]);
  out.set_data(allocator::malloc(out.nbytes()));
  uint32_t* dst = out.data<uint32_t>();
  cpu::dispatch_all_types(seq.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    const T* first = seq.data<T>();
    const T* last = first + seq.size();
    const T* v = values.data<T>();
    cpu::parallel_for(static_cast<int64_t>(values.size()), 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* at = right_ ? std::upper_bound(first, last, v[i], nan_last_less<T>)
                             : std::lower_bound(first, last, v[i], nan_last_less<T>);
        dst[i] = static_cast<uint32_t>(at - first);
      }
    });
  });
}

}  // namespace mlxcpp
