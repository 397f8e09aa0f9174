// Primitive: the base class of every graph operation.
//
// An op function checks its arguments and builds an array whose primitive
// computes it later. Each primitive is one class; its CPU kernel lives in
// backend/cpu/<family>.cpp. Transform rules (vjp, jvp, vmap) are added to
// this interface by the transforms issue.
#pragma once

#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/stream.h"

namespace mlxcpp {

class Primitive {
 public:
  explicit Primitive(Stream stream) : stream_(stream) {}
  virtual ~Primitive() = default;
  Primitive(const Primitive&) = delete;
  Primitive& operator=(const Primitive&) = delete;

  /** The stream the primitive runs on. */
  const Stream& stream() const { return stream_; }

  /** Compute outputs from inputs on the CPU. Outputs get their data set here. */
  virtual void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;

  /** Compute on a GPU; without a GPU backend this throws Unsupported. */
  virtual void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs);

  /** The primitive's name, as MLX prints it (e.g. "Add"). */
  virtual const char* name() const = 0;

  /** True when other computes the same function of the same inputs (used by compile). */
  virtual bool is_equivalent(const Primitive&) const { return false; }

  /** Output shapes for the given inputs; throws for primitives whose shapes depend on values. */
  virtual std::vector<Shape> output_shapes(const std::vector<array>& inputs);

 private:
  Stream stream_;
};

/** A primitive with a single output. */
class UnaryPrimitive : public Primitive {
 public:
  using Primitive::Primitive;

  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) final {
    eval_cpu(inputs, outputs[0]);
  }
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) final {
    eval_gpu(inputs, outputs[0]);
  }

  virtual void eval_cpu(const std::vector<array>& inputs, array& out) = 0;
  virtual void eval_gpu(const std::vector<array>& inputs, array& out);
};

}  // namespace mlxcpp
