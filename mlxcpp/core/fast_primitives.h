// The primitives of the fused ops (core/fast.h). Each keeps its computation
// written with basic ops (the fallback: gradients will use it, tests compare
// with it); its CPU kernel is in backend/cpu/norms.cpp, rope.cpp, attention.cpp or
// activations.cpp.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "mlxcpp/core/primitive.h"

namespace mlxcpp::fast {

/** A fused primitive with a fallback built from basic ops. */
class Custom : public Primitive {
 public:
  using Fallback = std::function<std::vector<array>(std::vector<array>)>;
  Custom(Stream stream, Fallback fallback) : Primitive(stream), fallback_(std::move(fallback)) {}
  /** The outputs computed with basic ops. */
  std::vector<array> fallback(std::vector<array> inputs) const {
    return fallback_(std::move(inputs));
  }

 private:
  Fallback fallback_;
};

/** Inputs gate and x, of one shape and float type. */
class SwiGLU : public Custom {
 public:
  using Custom::Custom;
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "SwiGLU"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const SwiGLU*>(&other) != nullptr;
  }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
};

/** Inputs x and weight (a scalar 1 without one), both of the result type. */
class RMSNorm : public Custom {
 public:
  RMSNorm(Stream stream, Fallback fallback, float eps)
      : Custom(stream, std::move(fallback)), eps_(eps) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "RMSNorm"; }
  bool is_equivalent(const Primitive& other) const override;
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  float eps_;
};

/** Inputs x, weight (scalar 1 without one) and bias (scalar 0 without one). */
class LayerNorm : public Custom {
 public:
  LayerNorm(Stream stream, Fallback fallback, float eps)
      : Custom(stream, std::move(fallback)), eps_(eps) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "LayerNorm"; }
  bool is_equivalent(const Primitive& other) const override;
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  float eps_;
};

/** Inputs x, offset (int32, one or one per batch) and optionally freqs (float32). */
class RoPE : public Custom {
 public:
  RoPE(Stream stream, Fallback fallback, int dims, bool traditional, float base, float scale)
      : Custom(stream, std::move(fallback)),
        dims_(dims),
        traditional_(traditional),
        base_(base),
        scale_(scale) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "RoPE"; }
  bool is_equivalent(const Primitive& other) const override;
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  int dims_;
  bool traditional_;
  float base_;
  float scale_;
};

/** Inputs q, k, v, then the mask (broadcast to [B, Hq, Lq, Lk]) if any, then sinks if any. */
class ScaledDotProductAttention : public Custom {
 public:
  ScaledDotProductAttention(Stream stream, Fallback fallback, float scale, bool causal,
                            bool has_mask, bool has_sinks)
      : Custom(stream, std::move(fallback)),
        scale_(scale),
        causal_(causal),
        has_mask_(has_mask),
        has_sinks_(has_sinks) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "ScaledDotProductAttention"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  float scale_;
  bool causal_;
  bool has_mask_;
  bool has_sinks_;
};

}  // namespace mlxcpp::fast
