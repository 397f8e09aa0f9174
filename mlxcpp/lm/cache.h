// Per-layer attention caches (mlx-lm's cache.py). A cache belongs to one generation
// session; the model's weights are shared.
#pragma once

#include <optional>
#include <utility>

#include "mlxcpp/core/array.h"

namespace mlxcpp::lm {

/** What an attention layer keeps between calls. */
class LayerCache {
 public:
  virtual ~LayerCache() = default;
  /** Tokens seen so far (the position of the next one). */
  virtual int offset() const = 0;
  /** Appends keys/values [B, H, T, D] and returns all of them, [B, H, offset, D]. An error
   *  leaves the cache as it was. */
  virtual std::pair<array, array> update_and_fetch(const array& keys, const array& values) = 0;
  /** Drops the last n tokens (at most offset()); returns how many were dropped. */
  virtual int trim(int n) = 0;
};

/** The standard cache: grows in steps of `step` tokens, so appending a token writes into
 *  spare room instead of reallocating. */
class KVCache : public LayerCache {
 public:
  explicit KVCache(int step = 256) : step_(step) {}
  int offset() const override { return offset_; }
  std::pair<array, array> update_and_fetch(const array& keys, const array& values) override;
  int trim(int n) override;

 private:
  int step_;
  int offset_ = 0;
  std::optional<array> keys_;
  std::optional<array> values_;
};

/** A sliding-window cache (mlx-lm's RotatingKVCache, kept in temporal order): it keeps the
 *  last max_size - 1 tokens before each update, so one new token sees max_size keys and a
 *  chunk of S tokens sees max_size - 1 + S (each query still gets a full window). */
class RotatingKVCache : public LayerCache {
 public:
  explicit RotatingKVCache(int max_size);
  int offset() const override { return offset_; }
  std::pair<array, array> update_and_fetch(const array& keys, const array& values) override;
  /** Only possible while nothing has been dropped (offset < max_size). */
  int trim(int n) override;
  int max_size() const { return max_size_; }

 private:
  int max_size_;
  int offset_ = 0;
  std::optional<array> keys_;
  std::optional<array> values_;
};

}  // namespace mlxcpp::lm
