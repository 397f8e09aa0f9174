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

RotatingKVCache::RotatingKVCache(int max_size) : max_size_(max_size) {
  if (max_size < 1) {
    throw std::invalid_argument("[RotatingKVCache] max_size must be positive");
  }
}

namespace {

// The last n positions of a [B, H, L, D] array (all of it when shorter).
array last_positions(const array& a, int n) {
  const int len = a.shape(2);
  if (len <= n) {
    return a;
  }
  return slice(a, {0, 0, len - n, 0}, {a.shape(0), a.shape(1), len, a.shape(3)});
}

}  // namespace

std::pair<array, array> RotatingKVCache::update_and_fetch(const array& keys, const array& values) {
  if (keys.ndim() != 4 || values.ndim() != 4 || keys.shape(2) != values.shape(2)) {
    throw std::invalid_argument(
        "[RotatingKVCache] keys and values must be [B, H, T, D] with equal T");
  }
  array k =
      keys_ ? concatenate({last_positions(*keys_, max_size_ - 1), astype(keys, keys_->dtype())}, 2)
            : keys;
  array v =
      values_ ? concatenate(
                    {last_positions(*values_, max_size_ - 1), astype(values, values_->dtype())}, 2)
              : values;
  keys_ = k;
  values_ = v;
  offset_ += keys.shape(2);
  return {k, v};
}

int RotatingKVCache::trim(int n) {
  if (offset_ >= max_size_) {
    return 0;  // tokens already dropped cannot be restored
  }
  const int dropped = std::clamp(n, 0, offset_);
  if (dropped > 0 && keys_) {
    const int keep = offset_ - dropped;
    keys_ = slice(*keys_, {0, 0, 0, 0}, {keys_->shape(0), keys_->shape(1), keep, keys_->shape(3)});
    values_ = slice(*values_, {0, 0, 0, 0},
                    {values_->shape(0), values_->shape(1), keep, values_->shape(3)});
  }
  offset_ -= dropped;
  return dropped;
}

}  // namespace mlxcpp::lm
