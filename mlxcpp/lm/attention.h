// Attention over a layer's cache, whichever kind it is: the float path (fast::sdpa) for
// standard and rotating caches, and mlx-lm's quantized path (quantized_matmul over the
// packed keys and values) for a QuantizedKVCache.
#pragma once

#include <optional>
#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/lm/cache.h"
#include "mlxcpp/lm/mask.h"

namespace mlxcpp::lm {

/** Appends keys/values [B, H_kv, T, D] to `cache` (when given) and attends queries
 *  [B, H, T, D] (H a multiple of H_kv) over all of them with the mask
 *  attention_mask(T, keys, window). Returns [B, H, T, D]. */
array cached_attention(const array& queries, const array& keys, const array& values,
                       LayerCache* cache, float scale, std::optional<int> window = std::nullopt);

/** mlx-lm's quantized_scaled_dot_product_attention: softmax(q k^T * scale + mask) v with k
 *  and v affine-quantized ({codes, scales, biases}, each [B, H_kv, K, *]). */
array quantized_attention(const array& queries, const QuantizedTensor& keys,
                          const QuantizedTensor& values, float scale, const AttentionMask& mask,
                          int group_size, int bits);

/** mlx-lm's maybe_quantize_kv_cache: every standard KVCache whose offset has reached
 *  quantized_kv_start becomes a QuantizedKVCache (group_size, bits). Rotating and other
 *  caches stay as they are (an extension: mlx-lm's RotatingKVCache.to_quantized raises, so
 *  kv_bits fails there for models with sliding-window layers). */
void maybe_quantize_kv_cache(std::vector<std::unique_ptr<LayerCache>>& cache,
                             int quantized_kv_start, int group_size, int bits);

}  // namespace mlxcpp::lm
