#include "mlxcpp/lm/cache.h"

#include <algorithm>
#include <stdexcept>

#include "mlxcpp/core/ops.h"

namespace mlxcpp::lm {

namespace {

// Room for `needed` tokens: the stored part (first `used` tokens) plus zeros, in steps.
array grow(const std::optional<array>& old, int used, int needed, int step, const array& like) {
  const int steps = (needed - used + step - 1) / step;
  Shape shape = like.shape();
  shape[2] = steps * step;
  array fresh = zeros(shape, like.dtype());
  if (!old) {
    return fresh;
  }
  array kept = old->shape(2) == used
                   ? *old
                   : slice(*old, {0, 0, 0, 0}, {old->shape(0), old->shape(1), used, old->shape(3)});
  return concatenate({kept, fresh}, 2);
}

}  // namespace

std::pair<array, array> KVCache::update_and_fetch(const array& keys, const array& values) {
  if (keys.ndim() != 4 || values.ndim() != 4 || keys.shape(2) != values.shape(2)) {
    throw std::invalid_argument("[KVCache] keys and values must be [B, H, T, D] with equal T");
  }
  const int t = keys.shape(2);
  const int end = offset_ + t;
  // Work on copies of the handles and commit at the end: a throwing op changes nothing.
  std::optional<array> k = keys_;
  std::optional<array> v = values_;
  if (!k || end > k->shape(2)) {
    k = grow(k, offset_, end, step_, keys);
    v = grow(v, offset_, end, step_, values);
  }
  const Shape start = {0, 0, offset_, 0};
  const Shape stop_k = {keys.shape(0), keys.shape(1), end, keys.shape(3)};
  const Shape stop_v = {values.shape(0), values.shape(1), end, values.shape(3)};
  array nk = slice_update(*k, astype(keys, k->dtype()), start, stop_k);
  array nv = slice_update(*v, astype(values, v->dtype()), start, stop_v);
  array out_k = slice(nk, {0, 0, 0, 0}, stop_k);
  array out_v = slice(nv, {0, 0, 0, 0}, stop_v);
  keys_ = std::move(nk);
  values_ = std::move(nv);
  offset_ = end;
  return {out_k, out_v};
}

int KVCache::trim(int n) {
  const int dropped = std::clamp(n, 0, offset_);
  offset_ -= dropped;
  return dropped;
}

}  // namespace mlxcpp::lm
