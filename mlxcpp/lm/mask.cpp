#include "mlxcpp/lm/mask.h"

#include "mlxcpp/core/ops.h"

namespace mlxcpp::lm {

AttentionMask attention_mask(int n, int k, std::optional<int> window) {
  if (!window || k <= *window) {
    return {n > 1 ? "causal" : "", std::nullopt};
  }
  // Query i sits at key position k - n + i; it sees keys j with pos - window < j <= pos.
  const array pos = expand_dims(arange(k - n, k, int32), 1);
  const array keys = expand_dims(arange(0, k, int32), 0);
  array m = logical_and(greater_equal(pos, keys), less(pos, add(keys, array(*window))));
  return {"array", m};
}

}  // namespace mlxcpp::lm
