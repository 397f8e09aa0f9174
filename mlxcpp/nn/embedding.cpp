#include "mlxcpp/nn/embedding.h"

#include "mlxcpp/core/ops.h"

namespace mlxcpp::nn {

Embedding::Embedding(int num_embeddings, int dims) {
  param("weight", weight, {num_embeddings, dims});
}

array Embedding::operator()(const array& ids) const {
  return take(weight, ids, 0);
}

array Embedding::as_linear(const array& x) const {
  return matmul(x, transpose(weight));
}

std::unique_ptr<Module> Embedding::to_quantized(const QuantSpec& spec) const {
  const auto q = quantize(weight, spec.group_size, spec.bits, spec.mode);
  auto out = std::make_unique<QuantizedEmbedding>(weight.shape(0), weight.shape(1), spec);
  set_quantized(q, out->weight, out->scales, out->biases);
  return out;
}

QuantizedEmbedding::QuantizedEmbedding(int num_embeddings, int dims, QuantSpec q)
    : spec(std::move(q)) {
  param("weight", weight, packed_shape(num_embeddings, dims, spec), uint32);
  param("scales", scales, scales_shape(num_embeddings, dims, spec));
  if (spec.mode == "affine") {
    biases = unloaded();
    param("biases", *biases, scales_shape(num_embeddings, dims, spec));
  }
}

array QuantizedEmbedding::operator()(const array& ids) const {
  std::optional<array> b;
  if (biases) {
    b = take(*biases, ids, 0);
  }
  return dequantize(take(weight, ids, 0), take(scales, ids, 0), b, spec.group_size, spec.bits,
                    spec.mode);
}

array QuantizedEmbedding::as_linear(const array& x) const {
  return quantized_matmul(x, weight, scales, biases, true, spec.group_size, spec.bits, spec.mode);
}

std::unique_ptr<EmbeddingLayer> make_embedding(int num_embeddings, int dims,
                                               const std::optional<QuantSpec>& quant) {
  if (quant) {
    return std::make_unique<QuantizedEmbedding>(num_embeddings, dims, *quant);
  }
  return std::make_unique<Embedding>(num_embeddings, dims);
}

}  // namespace mlxcpp::nn
