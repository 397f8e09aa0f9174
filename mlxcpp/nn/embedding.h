// Token embeddings, float and quantized (as mlx.nn.Embedding / QuantizedEmbedding), with
// as_linear for models whose output projection is the embedding matrix (tied weights).
#pragma once

#include <memory>
#include <optional>

#include "mlxcpp/nn/linear.h"

namespace mlxcpp::nn {

class EmbeddingLayer : public Module {
 public:
  /** Rows of the table for integer ids of any shape: [..., dims]. */
  virtual array operator()(const array& ids) const = 0;
  /** x [..., dims] times the table transposed: [..., vocab]. */
  virtual array as_linear(const array& x) const = 0;
};

class Embedding : public EmbeddingLayer {
 public:
  Embedding(int num_embeddings, int dims);
  array operator()(const array& ids) const override;
  array as_linear(const array& x) const override;
  /** A QuantizedEmbedding of this table (each row quantized along dims). */
  std::unique_ptr<Module> to_quantized(const QuantSpec& spec) const override;

  array weight = unloaded();  // [vocab, dims]
};

class QuantizedEmbedding : public EmbeddingLayer {
 public:
  QuantizedEmbedding(int num_embeddings, int dims, QuantSpec spec);
  array operator()(const array& ids) const override;
  array as_linear(const array& x) const override;

  QuantSpec spec;
  array weight = unloaded();
  array scales = unloaded();
  std::optional<array> biases;

 protected:
  int quantized_bits() const override { return spec.bits; }
};

/** An Embedding, or a QuantizedEmbedding when `quant` is given. */
std::unique_ptr<EmbeddingLayer> make_embedding(int num_embeddings, int dims,
                                               const std::optional<QuantSpec>& quant);

}  // namespace mlxcpp::nn
