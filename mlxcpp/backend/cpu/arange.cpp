// Arange: start, start + step, ... accumulated in the output type as MLX does.
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

void Arange::eval_cpu(const std::vector<array>&, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  cpu::dispatch_all_types(out.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, complex64_t>) {
      throw std::invalid_argument("[arange] Not supported for " +
                                  std::string(dtype_name(out.dtype())) + ".");
    } else {
      T* dst = out.data<T>();
      T value = value_cast<T>(start_);
      const T next = value_cast<T>(start_ + step_);
      if constexpr (std::is_integral_v<T>) {
        // Wrapping arithmetic: step and value may overflow for extreme arguments.
        using U = std::make_unsigned_t<T>;
        const U step = static_cast<U>(static_cast<U>(next) - static_cast<U>(value));
        for (size_t i = 0; i < out.size(); ++i) {
          dst[i] = value;
          value = static_cast<T>(static_cast<U>(value) + step);
        }
      } else {
        using A = std::conditional_t<is_half_v<T>, float, T>;
        const A step = static_cast<A>(next) - static_cast<A>(value);
        for (size_t i = 0; i < out.size(); ++i) {
          dst[i] = value;
          value = static_cast<T>(static_cast<A>(value) + step);
        }
      }
    }
  });
}

}  // namespace mlxcpp
