// The GPU backend of this build: none. Every primitive says so here, in one
// place, instead of #ifdefs through the core.
#include <string>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/primitive.h"

namespace mlxcpp {

void Primitive::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw Unsupported(std::string("[") + name() + "] not implemented on gpu.");
}

void UnaryPrimitive::eval_gpu(const std::vector<array>&, array&) {
  throw Unsupported(std::string("[") + name() + "] not implemented on gpu.");
}

}  // namespace mlxcpp
