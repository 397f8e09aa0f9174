// Per-layer caches (mlx-lm's cache.py). A cache belongs to one generation session; the
// model's weights are shared. Every operation is transactional: when it throws, the cache is
// left exactly as it was.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mlxcpp/core/array.h"

namespace mlxcpp::lm {

/** A cache's arrays keyed by their path inside mlx-lm's state tuple ("0", "1.2", ...): the
 *  part after "<layer>." of a prompt-cache file's tensor names. */
using CacheState = std::map<std::string, array>;

/** What a layer keeps between calls. */
class LayerCache {
 public:
  virtual ~LayerCache() = default;
  /** Tokens seen so far (the position of the next one). */
  virtual int offset() const = 0;
  /** Appends keys/values [B, H, T, D] and returns all of them, [B, H, offset, D]. An error
   *  leaves the cache as it was. Caches that do not hold float keys/values (quantized, conv
   *  state) throw std::invalid_argument. */
  virtual std::pair<array, array> update_and_fetch(const array& keys, const array& values) = 0;
  /** Whether trim can drop tokens now (mlx-lm's is_trimmable). */
  virtual bool is_trimmable() const = 0;
  /** Drops the last n tokens (at most offset()) when trimmable; returns how many were
   *  dropped (0 when not trimmable). n < 0 is std::invalid_argument. */
  virtual int trim(int n) = 0;

  /** mlx-lm's class name ("KVCache", ...), written to prompt-cache files. */
  virtual std::string class_name() const = 0;
  /** The arrays mlx-lm's `state` property gives, keyed by their path in its tuple. */
  virtual CacheState state() const = 0;
  /** mlx-lm's `meta_state`: integers as strings (empty for caches that have none). */
  virtual std::vector<std::string> meta_state() const = 0;
  /** Replaces the contents with a saved state and meta state (as mlx-lm's from_state).
   *  FormatError (naming `source`) when they do not fit this class; the cache is then left
   *  as it was. */
  virtual void set_state(const CacheState& state, const std::vector<std::string>& meta,
                         const std::string& source) = 0;
  /** A copy sharing the stored arrays (updates never write into them), for snapshots. */
  virtual std::unique_ptr<LayerCache> clone() const = 0;
  /** Puts back a snapshot taken with clone() (same object, so pointers to it stay valid);
   *  std::invalid_argument when `snapshot` is of another class. */
  virtual void restore(const LayerCache& snapshot) = 0;
};

/** clone() and restore() of a cache class that copies as a value (Derived's copy shares
 *  its arrays). */
template <class Derived>
class CopyableLayerCache : public LayerCache {
 public:
  std::unique_ptr<LayerCache> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
  void restore(const LayerCache& snapshot) override {
    const auto* s = dynamic_cast<const Derived*>(&snapshot);
    if (s == nullptr) {
      throw std::invalid_argument("[" + class_name() + "] cannot restore a snapshot of a " +
                                  snapshot.class_name());
    }
    static_cast<Derived&>(*this) = *s;
  }
};

/** Makes a multi-layer step transactional: snapshots every layer's cache and, unless
 *  commit() was called, puts the snapshot back when destroyed (e.g. when a later layer
 *  throws after earlier ones were updated). Snapshots share arrays, so they are cheap. */
class CacheGuard {
 public:
  explicit CacheGuard(std::vector<std::unique_ptr<LayerCache>>* cache);
  ~CacheGuard();
  CacheGuard(const CacheGuard&) = delete;
  CacheGuard& operator=(const CacheGuard&) = delete;
  void commit() { cache_ = nullptr; }

 private:
  std::vector<std::unique_ptr<LayerCache>>* cache_;
  std::vector<std::unique_ptr<LayerCache>> saved_;
};

/** The standard cache: grows in steps of `step` tokens, so appending a token writes into
 *  spare room instead of reallocating. */
class KVCache : public CopyableLayerCache<KVCache> {
 public:
  explicit KVCache(int step = 256);
  int offset() const override { return offset_; }
  std::pair<array, array> update_and_fetch(const array& keys, const array& values) override;
  bool is_trimmable() const override { return true; }
  int trim(int n) override;
  std::string class_name() const override { return "KVCache"; }
  /** {"0": keys, "1": values}, the first offset() positions (empty when nothing stored). */
  CacheState state() const override;
  std::vector<std::string> meta_state() const override { return {}; }
  void set_state(const CacheState& state, const std::vector<std::string>& meta,
                 const std::string& source) override;

  /** The stored keys/values, the first offset() positions; nullopt when empty. */
  std::optional<std::pair<array, array>> contents() const;

 private:
  int step_;
  int offset_ = 0;
  std::optional<array> keys_;
  std::optional<array> values_;
};

/** A sliding-window cache (mlx-lm's RotatingKVCache with keep = 0, kept in temporal order):
 *  it keeps the last max_size - 1 tokens before each update, so one new token sees max_size
 *  keys and a chunk of S tokens sees max_size - 1 + S (each query still gets a full window). */
class RotatingKVCache : public CopyableLayerCache<RotatingKVCache> {
 public:
  explicit RotatingKVCache(int max_size);
  int offset() const override { return offset_; }
  std::pair<array, array> update_and_fetch(const array& keys, const array& values) override;
  /** Only while nothing has been dropped (offset < max_size), as mlx-lm. */
  bool is_trimmable() const override { return offset_ < max_size_; }
  int trim(int n) override;
  int max_size() const { return max_size_; }
  std::string class_name() const override { return "RotatingKVCache"; }
  CacheState state() const override;
  /** {keep, max_size, offset, _idx} with _idx = the stored length (temporal order). */
  std::vector<std::string> meta_state() const override;
  /** Accepts mlx-lm's rotated buffers too (put back into temporal order via _idx); keep
   *  must be 0. */
  void set_state(const CacheState& state, const std::vector<std::string>& meta,
                 const std::string& source) override;

 private:
  int max_size_;
  int offset_ = 0;
  std::optional<array> keys_;
  std::optional<array> values_;
};

/** An affine-quantized tensor as mlx-lm keeps it: {packed uint32 codes, scales, biases}. */
using QuantizedTensor = std::array<array, 3>;

/** mlx-lm's QuantizedKVCache: keys/values quantized along the head dimension (affine,
 *  `bits` per element in groups of `group_size`), grown in steps of 256 positions. It does
 *  not give float keys/values: attention reads it through update_and_fetch_quantized (see
 *  lm/attention.h). */
class QuantizedKVCache : public CopyableLayerCache<QuantizedKVCache> {
 public:
  /** std::invalid_argument unless bits is one of 2, 3, 4, 5, 6, 8 and group_size one of
   *  32, 64, 128. */
  QuantizedKVCache(int group_size = 64, int bits = 8);
  /** A quantized copy of a standard cache (mlx-lm's KVCache.to_quantized). */
  static std::unique_ptr<QuantizedKVCache> from(const KVCache& c, int group_size, int bits);

  int offset() const override { return offset_; }
  /** Always throws std::invalid_argument: use update_and_fetch_quantized. */
  std::pair<array, array> update_and_fetch(const array& keys, const array& values) override;
  /** Quantizes and appends keys/values [B, H, T, D] (D a multiple of group_size) and
   *  returns all stored ones, each [B, H, offset, ...]. Transactional. */
  std::pair<QuantizedTensor, QuantizedTensor> update_and_fetch_quantized(const array& keys,
                                                                         const array& values);
  bool is_trimmable() const override { return true; }
  int trim(int n) override;
  int group_size() const { return group_size_; }
  int bits() const { return bits_; }
  std::string class_name() const override { return "QuantizedKVCache"; }
  /** {"0.0", "0.1", "0.2"} keys' codes, scales, biases; "1.x" the values'. */
  CacheState state() const override;
  /** {offset, group_size, bits}. */
  std::vector<std::string> meta_state() const override;
  void set_state(const CacheState& state, const std::vector<std::string>& meta,
                 const std::string& source) override;

 private:
  int group_size_, bits_;
  int offset_ = 0;
  std::optional<QuantizedTensor> keys_;
  std::optional<QuantizedTensor> values_;
};

/** mlx-lm's ArraysCache: a fixed number of state arrays (LFM2's short-convolution window is
 *  one) plus the count of tokens seen. Not trimmable; it holds no keys/values. */
class ArraysCache : public CopyableLayerCache<ArraysCache> {
 public:
  explicit ArraysCache(int size);
  int offset() const override { return offset_; }
  /** Always throws std::invalid_argument: this cache holds no keys/values. */
  std::pair<array, array> update_and_fetch(const array& keys, const array& values) override;
  bool is_trimmable() const override { return false; }
  int trim(int n) override;
  std::string class_name() const override { return "ArraysCache"; }

  int size() const { return int(arrays_.size()); }
  /** Array i (nullopt until set); std::invalid_argument when i is out of range. */
  const std::optional<array>& get(int i) const;
  /** Sets array i and adds `tokens` to offset() in one step. */
  void set(int i, array value, int tokens);
  /** Sets the token count (mlx-lm's files do not keep it; loading takes the other layers'). */
  void set_offset(int offset);

  /** {"0.i": array i for each set one, "1": left_padding, "2": lengths (both empty)}. */
  CacheState state() const override;
  std::vector<std::string> meta_state() const override { return {}; }
  /** Accepts mlx-lm's state; batch left_padding / lengths must be empty (one sequence). */
  void set_state(const CacheState& state, const std::vector<std::string>& meta,
                 const std::string& source) override;

 private:
  std::vector<std::optional<array>> arrays_;
  int offset_ = 0;
};

}  // namespace mlxcpp::lm
