// ArgMin / ArgMax along one axis: the index of the first extreme value.
// As in MLX, comparisons start from the first element, so a NaN there wins
// and NaNs later are skipped.
#include "mlxcpp/backend/cpu/axis_layout.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

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
