// ArgMin / ArgMax along one axis: the index of the first extreme value.
// As in MLX, comparisons start from the first element, so a NaN there wins
// and NaNs later are skipped.
#include <algorithm>
#include <limits>

#include "mlxcpp/backend/cpu/axis_layout.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/half_convert.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

// The sequential rule's answer for one contiguous float row (decoding's argmax over a
// vocabulary), a block at a time: the extreme of the block's non-NaN values, in 16 lanes
// that start at -inf (+inf for a minimum) so that the loop vectorises, and only a block
// whose extreme beats the best so far can move it, so only such a block runs the rule.
template <typename T>
uint32_t arg_extreme_row(const T* p, int64_t n, bool is_max) {
  constexpr int64_t kBlock = 1024;
  constexpr int kLanes = 16;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float buf[kBlock] = {};  // initialised only to quiet GCC 12
  auto beats = [is_max](float v, float best) { return is_max ? v > best : v < best; };
  float best = static_cast<float>(p[0]);
  uint32_t best_index = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t len = std::min(kBlock, n - b0);
    cpu::to_float(p + b0, buf, len);
    float lane[kLanes];
    std::fill(lane, lane + kLanes, is_max ? -kInf : kInf);
    int64_t k = 0;
    for (; k + kLanes <= len; k += kLanes) {
      for (int j = 0; j < kLanes; ++j) {
        lane[j] = beats(buf[k + j], lane[j]) ? buf[k + j] : lane[j];
      }
    }
    float extreme = lane[0];
    for (int j = 1; j < kLanes; ++j) {
      extreme = beats(lane[j], extreme) ? lane[j] : extreme;
    }
    for (; k < len; ++k) {
      extreme = beats(buf[k], extreme) ? buf[k] : extreme;
    }
    if (!beats(extreme, best)) {
      continue;
    }
    for (k = 0; k < len; ++k) {
      if (beats(buf[k], best)) {
        best = buf[k];
        best_index = static_cast<uint32_t>(b0 + k);
      }
    }
  }
  return best_index;
}

}  // namespace

void ArgReduce::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array in = cpu::row_major(inputs[0]);
  out.set_data(allocator::malloc(out.nbytes()));
  const auto l = cpu::axis_layout(in.shape(), axis_);
  uint32_t* dst = out.data<uint32_t>();
  const bool is_max = reduce_type_ == ArgMax;
  cpu::dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    using C = std::conditional_t<is_half_v<T>, float, T>;
    const T* src = in.data<T>();
    if constexpr (std::is_same_v<T, float> || is_half_v<T>) {
      if (l.inner == 1 && l.n > 0) {
        return cpu::parallel_for(l.outer, 1, [&](int64_t b, int64_t e) {
          for (int64_t o = b; o < e; ++o) {
            dst[o] = arg_extreme_row(src + o * l.n, l.n, is_max);
          }
        });
      }
    }
    cpu::parallel_for(l.outer * l.inner,
                      std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(l.n, 1)),
                      [&](int64_t b, int64_t e) {
                        for (int64_t t = b; t < e; ++t) {
                          const int64_t o = t / l.inner;
                          const int64_t i = t % l.inner;
                          const T* p = src + o * l.n * l.inner + i;
                          C best = static_cast<C>(p[0]);
                          uint32_t best_index = 0;
                          for (int64_t k = 1; k < l.n; ++k) {
                            const C v = static_cast<C>(p[k * l.inner]);
                            if (is_max ? (v > best) : (v < best)) {
                              best = v;
                              best_index = static_cast<uint32_t>(k);
                            }
                          }
                          dst[t] = best_index;
                        }
                      });
  });
}

}  // namespace mlxcpp
