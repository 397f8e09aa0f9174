// The attention mask of a step: queries are the last N of K keys in temporal order.
#pragma once

#include <optional>
#include <string>

#include "mlxcpp/core/array.h"

namespace mlxcpp::lm {

struct AttentionMask {
  std::string mode;           // "causal", "array" (see mask) or "" (no mask)
  std::optional<array> mask;  // boolean [N, K] when mode is "array"
};

/** Causal attention of N queries over K keys (the queries are the last N keys), limited to
 *  the `window` most recent keys when given. No mask for one query that sees every key. */
AttentionMask attention_mask(int queries, int keys, std::optional<int> window = std::nullopt);

}  // namespace mlxcpp::lm
