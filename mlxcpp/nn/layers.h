// Normalisation, rotary embedding and activations used by the model families (as mlx.nn's
// RMSNorm, LayerNorm, RoPE and activation functions).
#pragma once

#include <optional>

#include "mlxcpp/nn/module.h"

namespace mlxcpp::nn {

/** x * rsqrt(mean(x^2) + eps) * weight over the last axis. */
class RMSNorm : public Module {
 public:
  RMSNorm(int dims, float eps);
  array operator()(const array& x) const;

  float eps;
  array weight = unloaded();  // [dims]
};

/** (x - mean) * rsqrt(var + eps) * weight + bias over the last axis. */
class LayerNorm : public Module {
 public:
  LayerNorm(int dims, float eps, bool affine = true, bool bias = true);
  array operator()(const array& x) const;

  float eps;
  std::optional<array> weight;
  std::optional<array> bias;
};

/** Rotary position embedding of the first `dims` features (fast::rope), with either a base
 *  and scale or explicit per-pair frequencies (the scaled variants). */
class RoPE {
 public:
  RoPE(int dims, bool traditional, float base, float scale = 1.0f);
  /** A RoPE whose pair i rotates with period freqs[i] (fast::rope's freqs). */
  RoPE(int dims, bool traditional, array freqs, float scale = 1.0f);
  /** x [B, H, T, D] at positions offset, offset + 1, ... */
  array operator()(const array& x, int offset) const;

  int dims;
  bool traditional;
  std::optional<float> base;
  float scale;
  std::optional<array> freqs;
  /** Multiplies the rotated features before rotating (YaRN's and LongRoPE's mscale). */
  float input_scale = 1.0f;
  /** Dynamic NTK scaling: the base grows once the sequence passes max_positions. */
  struct DynamicNTK {
    int max_positions;
    float factor;
  };
  std::optional<DynamicNTK> dynamic;
};

/** x * sigmoid(x). */
array silu(const array& x);
/** silu(gate) * x, the SwiGLU feed-forward gate. */
array swiglu(const array& gate, const array& x);
/** x * Phi(x) with the exact normal CDF. */
array gelu(const array& x);
/** The tanh approximation of gelu (gelu_pytorch_tanh). */
array gelu_approx(const array& x);
/** relu(x)^2. */
array relu2(const array& x);

}  // namespace mlxcpp::nn
