#include "mlxcpp/lm/attention.h"

#include <limits>
#include <stdexcept>

#include "mlxcpp/core/fast.h"
#include "mlxcpp/core/ops.h"

namespace mlxcpp::lm {

array quantized_attention(const array& queries, const QuantizedTensor& keys,
                          const QuantizedTensor& values, float scale, const AttentionMask& mask,
                          int group_size, int bits) {
  const int b = queries.shape(0), h = queries.shape(1), l = queries.shape(2);
  const int d = queries.shape(3);
  const int kvh = keys[0].shape(1);
  if (h % kvh != 0) {
    throw std::invalid_argument("[quantized_attention] query heads must be a multiple of kv heads");
  }
  array q = multiply(queries, array(scale, queries.dtype()));
  QuantizedTensor k = keys, v = values;
  const bool grouped = h != kvh;
  if (grouped) {
    // [B, H_kv, repeats, L, D] against keys broadcast over the repeats.
    q = reshape(q, {b, kvh, h / kvh, l, d});
    for (int i = 0; i < 3; ++i) {
      k[i] = expand_dims(k[i], 2);
      v[i] = expand_dims(v[i], 2);
    }
  }
  array scores = quantized_matmul(q, k[0], k[1], k[2], true, group_size, bits);
  std::optional<array> m = mask.mask;
  if (mask.mode == "causal") {
    const int kl = scores.shape(-1);
    m = greater_equal(expand_dims(arange(kl - l, kl, int32), 1),
                      expand_dims(arange(0, kl, int32), 0));
  }
  if (m) {
    const array low(std::numeric_limits<float>::lowest(), scores.dtype());
    scores = where(*m, scores, low);
  }
  scores = softmax(scores, -1, true);
  array out = quantized_matmul(scores, v[0], v[1], v[2], false, group_size, bits);
  return grouped ? reshape(out, {b, h, l, d}) : out;
}

array cached_attention(const array& queries, const array& keys, const array& values,
                       LayerCache* cache, float scale, std::optional<int> window) {
  const int t = queries.shape(2);
  if (auto* qc = dynamic_cast<QuantizedKVCache*>(cache)) {
    const auto [qk, qv] = qc->update_and_fetch_quantized(keys, values);
    const AttentionMask m = attention_mask(t, qk[0].shape(2), window);
    return quantized_attention(queries, qk, qv, scale, m, qc->group_size(), qc->bits());
  }
  array k = keys, v = values;
  if (cache) {
    std::tie(k, v) = cache->update_and_fetch(keys, values);
  }
  const AttentionMask m = attention_mask(t, k.shape(2), window);
  return fast::scaled_dot_product_attention(queries, k, v, scale, m.mode, m.mask);
}

void maybe_quantize_kv_cache(std::vector<std::unique_ptr<LayerCache>>& cache,
                             int quantized_kv_start, int group_size, int bits) {
  // Build every replacement first, then swap them in: a bad group_size / bits changes nothing.
  std::vector<std::pair<size_t, std::unique_ptr<LayerCache>>> replaced;
  for (size_t i = 0; i < cache.size(); ++i) {
    const auto* kv = dynamic_cast<const KVCache*>(cache[i].get());
    if (kv && kv->offset() >= quantized_kv_start) {
      replaced.emplace_back(i, QuantizedKVCache::from(*kv, group_size, bits));
    }
  }
  for (auto& [i, c] : replaced) {
    cache[i] = std::move(c);
  }
}

}  // namespace mlxcpp::lm
