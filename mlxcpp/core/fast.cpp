// The fused ops: argument checks as MLX's, the reference computations built
// from basic ops, and the primitives that run the fused kernels.
#include "mlxcpp/core/fast.h"

#include <cmath>
#include <limits>

#include "mlxcpp/core/fast_primitives.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"

namespace mlxcpp::fast {

using detail::invalid;
using detail::shape_str;

namespace {

// Normalizations compute in float32 (float64 for float64 results, beyond MLX).
Dtype norm_compute_dtype(Dtype out) {
  return out == float64 ? float64 : float32;
}

void check_norm_param(const char* op, const char* what, const std::optional<array>& p,
                      const array& x) {
  if (!p) {
    return;
  }
  if (p->ndim() != 1) {
    invalid(op, "{} must have 1 dimension; got shape {}.", what, shape_str(p->shape()));
  }
  if (p->size() != static_cast<size_t>(x.shape(-1))) {
    invalid(op, "{} must have the size of x's last dimension ({}); got {} elements.", what,
            x.shape(-1), p->size());
  }
}

array rms_norm_impl(const array& x, const array& weight, bool has_weight, Dtype out_type, float eps,
                    StreamOrDevice s) {
  const Dtype c = norm_compute_dtype(out_type);
  array y = astype(x, c, s);
  y = multiply(y, rsqrt(add(mean(square(y, s), -1, true, s), array(eps, c), s), s), s);
  y = astype(y, out_type, s);
  return has_weight ? multiply(y, weight, s) : y;
}

array layer_norm_impl(const array& x, const array& weight, bool has_weight, const array& bias,
                      bool has_bias, Dtype out_type, float eps, StreamOrDevice s) {
  const Dtype c = norm_compute_dtype(out_type);
  const array xf = astype(x, c, s);
  const array centered = subtract(xf, mean(xf, -1, true, s), s);
  const array var = mean(square(centered, s), -1, true, s);
  array y = astype(multiply(centered, rsqrt(add(var, array(eps, c), s), s), s), out_type, s);
  if (has_weight) {
    y = multiply(y, weight, s);
  }
  return has_bias ? add(y, bias, s) : y;
}

}  // namespace

// ------------------------------------------------------------------ activations

array reference::swiglu(const array& gate, const array& x, StreamOrDevice s) {
  return multiply(multiply(gate, sigmoid(gate, s), s), x, s);
}

array swiglu(const array& gate, const array& x, StreamOrDevice s) {
  const Dtype t = gate.dtype();
  const bool fused = gate.shape() == x.shape() && t == x.dtype() &&
                     (t == float32 || t == float16 || t == bfloat16);
  if (!fused) {
    return reference::swiglu(gate, x, s);
  }
  auto fallback = [s](std::vector<array> in) {
    return std::vector<array>{reference::swiglu(in[0], in[1], s)};
  };
  return array(gate.shape(), t, std::make_shared<SwiGLU>(to_stream(s), std::move(fallback)),
               {gate, x});
}

// ------------------------------------------------------------------ norms

array rms_norm(const array& x, const std::optional<array>& weight, float eps, StreamOrDevice s) {
  if (x.ndim() == 0) {
    invalid("rms_norm", "x must have at least 1 dimension; got a scalar.");
  }
  check_norm_param("rms_norm", "weight", weight, x);
  const Dtype out_type = weight ? result_type(x, *weight) : x.dtype();
  if (!issubdtype(out_type, floating)) {
    invalid("rms_norm", "Expected a floating point type; got {}.", dtype_name(out_type));
  }
  const bool has_weight = weight.has_value();
  const array w = has_weight ? astype(*weight, out_type, s) : array(1, out_type);
  auto fallback = [has_weight, out_type, eps, s](std::vector<array> in) {
    return std::vector<array>{rms_norm_impl(in[0], in[1], has_weight, out_type, eps, s)};
  };
  return array(x.shape(), out_type,
               std::make_shared<RMSNorm>(to_stream(s), std::move(fallback), eps),
               {astype(x, out_type, s), w});
}

array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s) {
  if (x.ndim() == 0) {
    invalid("layer_norm", "x must have at least 1 dimension; got a scalar.");
  }
  check_norm_param("layer_norm", "weight", weight, x);
  check_norm_param("layer_norm", "bias", bias, x);
  Dtype out_type = x.dtype();
  if (weight) {
    out_type = promote_types(out_type, weight->dtype());
  }
  if (bias) {
    out_type = promote_types(out_type, bias->dtype());
  }
  if (!issubdtype(out_type, floating)) {
    invalid("layer_norm", "Expected a floating point type; got {}.", dtype_name(out_type));
  }
  const bool has_weight = weight.has_value();
  const bool has_bias = bias.has_value();
  const array w = has_weight ? astype(*weight, out_type, s) : array(1, out_type);
  const array b = has_bias ? astype(*bias, out_type, s) : array(0, out_type);
  auto fallback = [has_weight, has_bias, out_type, eps, s](std::vector<array> in) {
    return std::vector<array>{
        layer_norm_impl(in[0], in[1], has_weight, in[2], has_bias, out_type, eps, s)};
  };
  return array(x.shape(), out_type,
               std::make_shared<LayerNorm>(to_stream(s), std::move(fallback), eps),
               {astype(x, out_type, s), w, b});
}

// -------------------------------------------------------------------- rope

namespace {

// MLX's RoPE with basic ops on x viewed as [B, N, T, D].
array rope_impl(const array& x_in, int dims, bool traditional, float base, float scale,
                const array& offset_in, const std::optional<array>& freqs, StreamOrDevice s) {
  const Shape shape = x_in.shape();
  array x = x_in;
  if (x.ndim() == 3) {
    x = expand_dims(x, 1, s);
  } else if (x.ndim() > 4) {
    x = flatten(x, 1, static_cast<int>(x.ndim()) - 3, s);
  }
  const int B = x.shape(0);
  const int N = x.shape(1);
  const int T = x.shape(2);
  const int half = dims / 2;
  array offset = offset_in;
  if (offset.size() > 1) {
    offset = expand_dims(offset, {-1, -2}, s);
  }
  const array positions = multiply(add(arange(T, float32, s), offset, s), array(scale, float32), s);
  const array inv_freqs =
      freqs ? reciprocal(*freqs, s)
            : exp(multiply(arange(0, -half, -1, float32, s),
                           array(std::log(base) / static_cast<float>(half), float32), s),
                  s);
  const array theta = multiply(expand_dims(positions, -1, s), inv_freqs, s);
  const array coss = astype(cos(theta, s), x.dtype(), s);
  const array sins = astype(sin(theta, s), x.dtype(), s);
  auto rotate = [&](const array& x1, const array& x2) {
    return std::vector<array>{subtract(multiply(x1, coss, s), multiply(x2, sins, s), s),
                              add(multiply(x1, sins, s), multiply(x2, coss, s), s)};
  };
  array out = x;
  if (traditional) {
    const array x1 = slice(x, {0, 0, 0, 0}, {B, N, T, dims}, {1, 1, 1, 2}, s);
    const array x2 = slice(x, {0, 0, 0, 1}, {B, N, T, dims}, {1, 1, 1, 2}, s);
    auto outs = rotate(x1, x2);
    for (auto& o : outs) {
      o = expand_dims(o, -1, s);
    }
    out = reshape(concatenate(outs, -1, s), {B, N, T, dims}, s);
    if (dims < x.shape(-1)) {
      out = concatenate({out, slice(x, {0, 0, 0, dims}, x.shape(), s)}, -1, s);
    }
  } else {
    Shape stop = x.shape();
    stop.back() = half;
    const array x1 = slice(x, {0, 0, 0, 0}, stop, s);
    stop.back() = dims;
    const array x2 = slice(x, {0, 0, 0, half}, stop, s);
    auto outs = rotate(x1, x2);
    if (dims < x.shape(-1)) {
      outs.push_back(slice(x, {0, 0, 0, dims}, x.shape(), s));
    }
    out = concatenate(outs, -1, s);
  }
  return reshape(out, shape, s);
}

// Checks rope's arguments; returns the offset as int32 and freqs as float32.
std::pair<array, std::optional<array>> check_rope(const array& x, int dims,
                                                  std::optional<float> base, const array& offset,
                                                  const std::optional<array>& freqs,
                                                  StreamOrDevice s) {
  if (x.ndim() < 3) {
    invalid("rope", "x must have at least 3 dimensions; got shape {}.", shape_str(x.shape()));
  }
  if (!issubdtype(x.dtype(), floating)) {
    invalid("rope", "x must be floating point; got {}.", dtype_name(x.dtype()));
  }
  if (offset.ndim() > 1 || (offset.size() != 1 && offset.size() != size_t(x.shape(0)))) {
    invalid("rope", "offset must be a scalar or have one entry per batch ({}); got shape {}.",
            x.shape(0), shape_str(offset.shape()));
  }
  if (!issubdtype(offset.dtype(), integer)) {
    invalid("rope", "offset must be an integer; got {}.", dtype_name(offset.dtype()));
  }
  if (dims <= 0 || dims % 2 != 0 || dims > x.shape(-1)) {
    invalid("rope", "dims must be positive, even and at most {}; got {}.", x.shape(-1), dims);
  }
  if (freqs && base) {
    invalid("rope", "Only one of base or freqs can have a value.");
  }
  if (!freqs && !base) {
    invalid("rope", "Neither base nor freqs has a value.");
  }
  if (freqs && (freqs->ndim() != 1 || freqs->shape(0) != dims / 2)) {
    invalid("rope", "freqs must be 1-D with {} entries; got shape {}.", dims / 2,
            shape_str(freqs->shape()));
  }
  std::optional<array> f;
  if (freqs) {
    f = astype(*freqs, float32, s);
  }
  return {astype(offset, int32, s), f};
}

}  // namespace

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs, StreamOrDevice s) {
  auto [off, f] = check_rope(x, dims, base, offset, freqs, s);
  const float b = base ? *base : 1.0f;
  auto fallback = [dims, traditional, b, scale, has_freqs = f.has_value(),
                   s](std::vector<array> in) {
    std::optional<array> fr;
    if (has_freqs) {
      fr = in[2];
    }
    return std::vector<array>{rope_impl(in[0], dims, traditional, b, scale, in[1], fr, s)};
  };
  std::vector<array> inputs{x, off};
  if (f) {
    inputs.push_back(*f);
  }
  return array(
      x.shape(), x.dtype(),
      std::make_shared<RoPE>(to_stream(s), std::move(fallback), dims, traditional, b, scale),
      std::move(inputs));
}

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs, StreamOrDevice s) {
  return rope(x, dims, traditional, base, scale, array(offset, int32), freqs, s);
}

// --------------------------------------------------------------- attention

namespace {

// MLX's attention with basic ops; inputs q, k, v [, mask] [, sinks] already checked.
array sdpa_impl(std::vector<array> in, float scale, bool causal, bool has_mask, bool has_sinks,
                StreamOrDevice s) {
  array q = multiply(array(scale, in[0].dtype()), in[0], s);
  array k = in[1];
  array v = in[2];
  const int n_q_heads = q.shape(1);
  const int n_kv_heads = k.shape(1);
  const int repeats = n_q_heads / n_kv_heads;
  if (repeats > 1) {
    q = unflatten(q, 1, {n_kv_heads, repeats}, s);
    k = expand_dims(k, 2, s);
    v = expand_dims(v, 2, s);
  }
  array scores = matmul(q, swapaxes(k, -1, -2, s), s);
  if (causal || has_mask) {
    array mask = in.size() > 3 && has_mask ? in[3] : array(true);
    if (causal) {
      const int kl = k.shape(-2);
      const int ql = q.shape(-2);
      mask = greater_equal(expand_dims(arange(kl - ql, kl, s), 1, s),
                           expand_dims(arange(0, kl, s), 0, s), s);
    }
    if (repeats > 1 && mask.ndim() >= 3) {
      mask = mask.shape(-3) == 1 ? expand_dims(mask, -3, s)
                                 : unflatten(mask, -3, {n_kv_heads, repeats}, s);
    }
    if (mask.dtype() == bool_) {
      scores = where(mask, scores, array(finfo(scores.dtype()).min, scores.dtype()), s);
    } else {
      scores = add(scores, mask, s);
    }
  }
  if (has_sinks) {
    array sinks = expand_dims(in.back(), {0, 2, 3}, s);
    if (scores.ndim() == 5) {
      sinks = unflatten(sinks, 1, {n_kv_heads, repeats}, s);
    }
    Shape shape = scores.shape();
    shape.back() = 1;
    scores = concatenate({broadcast_to(sinks, shape, s), scores}, -1, s);
  }
  scores = softmax(scores, std::vector<int>{-1}, true, s);
  if (has_sinks) {
    Shape start(scores.ndim(), 0);
    start.back() = 1;
    scores = slice(scores, start, scores.shape(), s);
  }
  array out = matmul(scores, v, s);
  return repeats > 1 ? flatten(out, 1, 2, s) : out;
}

// True when `shape` broadcasts to exactly `target`.
bool broadcasts_to(const Shape& shape, const Shape& target) {
  if (shape.size() > target.size()) {
    return false;
  }
  const size_t lead = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] != 1 && shape[i] != target[lead + i]) {
      return false;
    }
  }
  return true;
}

struct SdpaInputs {
  std::vector<array> arrays;
  bool causal = false;
  bool has_mask = false;
  bool has_sinks = false;
};

SdpaInputs check_sdpa(const array& q, const array& k, const array& v, const std::string& mask_mode,
                      const std::optional<array>& mask, const std::optional<array>& sinks,
                      StreamOrDevice s) {
  const char* op = "scaled_dot_product_attention";
  for (const array* t : {&q, &k, &v}) {
    if (t->ndim() != 4) {
      invalid(op, "Inputs must have 4 dimensions [B, heads, L, D]; got shape {}.",
              shape_str(t->shape()));
    }
  }
  if (mask_mode != "" && mask_mode != "causal" && mask_mode != "array") {
    invalid(op, "Invalid mask_mode '{}'; expected 'causal', 'array' or ''.", mask_mode);
  }
  if (mask_mode == "causal" && mask) {
    invalid(op, "No mask array can be given with mask_mode 'causal'.");
  }
  if (mask_mode == "array" && !mask) {
    invalid(op, "mask_mode 'array' needs a mask array.");
  }
  if (k.shape(0) != q.shape(0) || v.shape(0) != q.shape(0)) {
    invalid(op, "Batch sizes differ: q {}, k {}, v {}.", shape_str(q.shape()), shape_str(k.shape()),
            shape_str(v.shape()));
  }
  if (q.shape(-1) != k.shape(-1)) {
    invalid(op, "q and k must have the same head dimension; got {} and {}.", shape_str(q.shape()),
            shape_str(k.shape()));
  }
  if (k.shape(1) != v.shape(1) || k.shape(2) != v.shape(2)) {
    invalid(op, "k and v must have the same heads and length; got {} and {}.", shape_str(k.shape()),
            shape_str(v.shape()));
  }
  if (k.shape(1) == 0 || q.shape(1) % k.shape(1) != 0) {
    invalid(op, "The query heads ({}) must be a multiple of the key/value heads ({}).", q.shape(1),
            k.shape(1));
  }
  const Dtype t = result_type(q, k, v);
  if (!issubdtype(t, floating)) {
    invalid(op, "Expected floating point inputs; got {}.", dtype_name(t));
  }
  SdpaInputs out;
  out.arrays = {astype(q, t, s), astype(k, t, s), astype(v, t, s)};
  out.causal = mask_mode == "causal";
  if (mask) {
    if (mask->ndim() > 4) {
      invalid(op, "The mask must have at most 4 dimensions; got shape {}.",
              shape_str(mask->shape()));
    }
    if (mask->dtype() != bool_ && promote_types(mask->dtype(), t) != t) {
      invalid(op, "The mask type {} must promote to the output type {}.", dtype_name(mask->dtype()),
              dtype_name(t));
    }
    const Shape target{q.shape(0), q.shape(1), q.shape(2), k.shape(2)};
    if (!broadcasts_to(mask->shape(), target)) {
      invalid(op, "A mask of shape {} does not broadcast to {}.", shape_str(mask->shape()),
              shape_str(target));
    }
    const array m = mask->dtype() == bool_ ? *mask : astype(*mask, t, s);
    out.arrays.push_back(broadcast_to(m, target, s));
    out.has_mask = true;
  }
  if (sinks) {
    if (promote_types(sinks->dtype(), t) != t) {
      invalid(op, "The sinks type {} must promote to the output type {}.",
              dtype_name(sinks->dtype()), dtype_name(t));
    }
    if (sinks->ndim() != 1 || sinks->shape(0) != q.shape(1)) {
      invalid(op, "sinks must have one entry per query head ({}); got shape {}.", q.shape(1),
              shape_str(sinks->shape()));
    }
    out.arrays.push_back(astype(*sinks, t, s));
    out.has_sinks = true;
  }
  return out;
}

}  // namespace

array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode,
                                   std::optional<array> mask_arr, const std::optional<array>& sinks,
                                   bool /* force_fused */, StreamOrDevice s) {
  auto in = check_sdpa(queries, keys, values, mask_mode, mask_arr, sinks, s);
  const bool causal = in.causal;
  const bool has_mask = in.has_mask;
  const bool has_sinks = in.has_sinks;
  auto fallback = [scale, causal, has_mask, has_sinks, s](std::vector<array> inputs) {
    return std::vector<array>{sdpa_impl(std::move(inputs), scale, causal, has_mask, has_sinks, s)};
  };
  const Dtype t = in.arrays[0].dtype();
  if (t == float64) {
    // The fused kernel is float32 inside; float64 keeps its precision through basic ops.
    return fallback(std::move(in.arrays))[0];
  }
  const Shape out_shape{queries.shape(0), queries.shape(1), queries.shape(2), values.shape(3)};
  return array(out_shape, t,
               std::make_shared<ScaledDotProductAttention>(to_stream(s), std::move(fallback), scale,
                                                           causal, has_mask, has_sinks),
               std::move(in.arrays));
}

// --------------------------------------------------------------- references

namespace reference {

array rms_norm(const array& x, const std::optional<array>& weight, float eps, StreamOrDevice s) {
  const Dtype t = weight ? result_type(x, *weight) : x.dtype();
  return rms_norm_impl(x, weight ? astype(*weight, t, s) : array(1, t), weight.has_value(), t, eps,
                       s);
}

array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s) {
  Dtype t = x.dtype();
  if (weight) {
    t = promote_types(t, weight->dtype());
  }
  if (bias) {
    t = promote_types(t, bias->dtype());
  }
  return layer_norm_impl(x, weight ? astype(*weight, t, s) : array(1, t), weight.has_value(),
                         bias ? astype(*bias, t, s) : array(0, t), bias.has_value(), t, eps, s);
}

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs, StreamOrDevice s) {
  auto [off, f] = check_rope(x, dims, base, offset, freqs, s);
  return rope_impl(x, dims, traditional, base ? *base : 1.0f, scale, off, f, s);
}

array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode,
                                   std::optional<array> mask_arr, const std::optional<array>& sinks,
                                   StreamOrDevice s) {
  auto in = check_sdpa(queries, keys, values, mask_mode, mask_arr, sinks, s);
  return sdpa_impl(std::move(in.arrays), scale, in.causal, in.has_mask, in.has_sinks, s);
}

}  // namespace reference

// ------------------------------------------------------------- equivalence

namespace {
template <typename P>
const P* as(const Primitive& p) {
  return dynamic_cast<const P*>(&p);
}
}  // namespace

bool RMSNorm::is_equivalent(const Primitive& other) const {
  const auto* o = as<RMSNorm>(other);
  return o != nullptr && o->eps_ == eps_;
}

bool LayerNorm::is_equivalent(const Primitive& other) const {
  const auto* o = as<LayerNorm>(other);
  return o != nullptr && o->eps_ == eps_;
}

bool RoPE::is_equivalent(const Primitive& other) const {
  const auto* o = as<RoPE>(other);
  return o != nullptr && o->dims_ == dims_ && o->traditional_ == traditional_ &&
         o->base_ == base_ && o->scale_ == scale_;
}

bool ScaledDotProductAttention::is_equivalent(const Primitive& other) const {
  const auto* o = as<ScaledDotProductAttention>(other);
  return o != nullptr && o->scale_ == scale_ && o->causal_ == causal_ &&
         o->has_mask_ == has_mask_ && o->has_sinks_ == has_sinks_;
}

}  // namespace mlxcpp::fast
