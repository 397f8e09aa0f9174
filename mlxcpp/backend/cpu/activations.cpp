// SwiGLU: silu(gate) * x in one pass. Decoding runs it once per layer on a few thousand
// values, where three kernels (sigmoid, two products) and their graph nodes cost more than
// the arithmetic. Every step is rounded to the type as the composition rounds it.
#include <cstdint>
#include <stdexcept>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/math.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/fast_primitives.h"

namespace mlxcpp::fast {

namespace {

constexpr int64_t kGrain = 1 << 15;  // values per task, so that small inputs stay on one thread

template <typename T>
void swiglu_values(const array& gate, const array& x, array& out) {
  const array g = cpu::row_major(gate);
  const array v = cpu::row_major(x);
  const T* gp = g.data<T>();
  const T* vp = v.data<T>();
  T* op = out.data<T>();
  cpu::parallel_for(int64_t(out.size()), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float gf = static_cast<float>(gp[i]);
      const T sig = static_cast<T>(cpu::sigmoid(gf));
      const T silu = static_cast<T>(gf * static_cast<float>(sig));
      op[i] = static_cast<T>(static_cast<float>(silu) * static_cast<float>(vp[i]));
    }
  });
}

}  // namespace

void SwiGLU::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  switch (out.dtype()) {
    case Dtype::Val::float32:
      return swiglu_values<float>(inputs[0], inputs[1], out);
    case Dtype::Val::float16:
      return swiglu_values<float16_t>(inputs[0], inputs[1], out);
    case Dtype::Val::bfloat16:
      return swiglu_values<bfloat16_t>(inputs[0], inputs[1], out);
    default:
      throw std::invalid_argument("[swiglu] Expected float32, float16 or bfloat16.");
  }
}

}  // namespace mlxcpp::fast
