// Evaluation of lazy arrays. (grad, vjp, jvp, vmap come with the transforms issue.)
#pragma once

#include <vector>

#include "mlxcpp/core/array.h"

namespace mlxcpp {

/** Schedule the outputs' graphs on their stream's worker and return at once.
 *  eval, item and wait block until the results are ready and rethrow any error. */
void async_eval(std::vector<array> outputs);

template <typename... Arrays, typename = enable_for_arrays_t<Arrays...>>
void async_eval(Arrays&&... outputs) {
  async_eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

/** Compute the outputs (and everything they depend on) and wait for them. Errors raised
 *  by a kernel surface here; arrays that were not computed stay as they were. */
void eval(std::vector<array> outputs);

template <typename... Arrays, typename = enable_for_arrays_t<Arrays...>>
void eval(Arrays&&... outputs) {
  eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

}  // namespace mlxcpp
