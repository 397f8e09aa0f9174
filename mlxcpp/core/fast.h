// Fused ops with MLX's API (mlx/fast.h): RMS and layer normalization, rotary
// position embeddings and scaled dot-product attention.
//
// Each builds one primitive with a fused CPU kernel. The primitive also keeps
// the same computation written with basic ops (MLX's fallback); those are
// public below as fast::reference::* and are what the tests compare with.
#pragma once

#include <optional>
#include <string>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/stream.h"
#include "mlxcpp/core/utils.h"

namespace mlxcpp::fast {

/** x * rsqrt(mean(x^2, -1) + eps) * weight (weight [x.shape(-1)] or none), computed in
 *  float32 and rounded to the result type (that of x and weight) before the weight. */
array rms_norm(const array& x, const std::optional<array>& weight, float eps,
               StreamOrDevice s = {});

/** (x - mean) * rsqrt(var + eps) * weight + bias over the last axis (weight and bias
 *  [x.shape(-1)] or none). */
array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s = {});

/** Rotary embedding of the first `dims` features of x [B, ..., T, D] at positions
 *  (offset + t) * scale with frequencies base^(-2i/dims) (or 1 / freqs); traditional
 *  rotates adjacent pairs, otherwise the two halves. offset is one int or one per batch. */
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs = std::nullopt, StreamOrDevice s = {});
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs = std::nullopt,
           StreamOrDevice s = {});

/** softmax(scale * Q K^T + mask) V for Q [B, Hq, Lq, D], K [B, Hkv, Lk, D], V [B, Hkv, Lk, Dv]
 *  with Hq a multiple of Hkv (grouped-query attention without repeating K/V). mask_mode
 *  "causal" (query i sees keys up to i + Lk - Lq), "array" or "" with mask_arr boolean
 *  (false: masked) or additive, broadcastable to [B, Hq, Lq, Lk]; sinks [Hq] add one
 *  logit per head to each softmax. Runs tiled: no [Lq, Lk] score matrix is built. */
array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode = "",
                                   std::optional<array> mask_arr = {},
                                   const std::optional<array>& sinks = {}, bool force_fused = false,
                                   StreamOrDevice s = {});

/** silu(gate) * x, mlx-lm's swiglu (which MLX fuses with mx.compile), in one pass over
 *  gate and x of one shape and one float type: each step is rounded to the type as the
 *  composition rounds it, so the result is the composition's bit for bit. Other arguments
 *  (broadcasting, mixed or other types) get the composition. (Our addition.) */
array swiglu(const array& gate, const array& x, StreamOrDevice s = {});

/** The same computations written with basic ops, as MLX's fallbacks (no argument checks
 *  beyond those of the ops they use; weight, bias and offsets as the fused ops take them). */
namespace reference {
array swiglu(const array& gate, const array& x, StreamOrDevice s = {});
array rms_norm(const array& x, const std::optional<array>& weight, float eps,
               StreamOrDevice s = {});
array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s = {});
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs = std::nullopt,
           StreamOrDevice s = {});
array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode = "",
                                   std::optional<array> mask_arr = {},
                                   const std::optional<array>& sinks = {}, StreamOrDevice s = {});
}  // namespace reference

}  // namespace mlxcpp::fast
