#include "mlxcpp/lm/cache.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/ops.h"

namespace mlxcpp::lm {

namespace {

// Room for `needed` positions along axis 2: the stored part (first `used` positions) plus
// zeros, in steps. `like` gives the other axes and the dtype.
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

// Positions [from, to) along axis 2 of a [B, H, L, D] array.
array positions(const array& a, int from, int to) {
  if (from == 0 && to == a.shape(2)) {
    return a;
  }
  return slice(a, {0, 0, from, 0}, {a.shape(0), a.shape(1), to, a.shape(3)});
}

// Writes `part` at positions [at, at + T) of `buffer` (same B, H and last axis).
array write_at(const array& buffer, const array& part, int at) {
  const Shape stop = {part.shape(0), part.shape(1), at + part.shape(2), part.shape(3)};
  const Shape start = {0, 0, at, 0};
  return slice_update(buffer, astype(part, buffer.dtype()), start, stop);
}

void check_kv(const char* who, const array& keys, const array& values) {
  if (keys.ndim() != 4 || values.ndim() != 4 || keys.shape(2) != values.shape(2) ||
      keys.shape(0) != values.shape(0) || keys.shape(1) != values.shape(1)) {
    throw std::invalid_argument(std::string("[") + who +
                                "] keys and values must be [B, H, T, D] with equal B, H, T");
  }
}

// New keys/values must continue the stored ones: same batch, heads and feature size.
void check_continues(const char* who, const array& stored, const array& part) {
  if (stored.shape(0) != part.shape(0) || stored.shape(1) != part.shape(1) ||
      stored.shape(3) != part.shape(3)) {
    throw std::invalid_argument(std::string("[") + who + "] expected [" +
                                std::to_string(stored.shape(0)) + ", " +
                                std::to_string(stored.shape(1)) + ", T, " +
                                std::to_string(stored.shape(3)) + "] to continue the cache");
  }
}

int checked_trim(const char* who, int n, int offset) {
  if (n < 0) {
    throw std::invalid_argument(std::string("[") + who + "] cannot trim a negative count (" +
                                std::to_string(n) + ")");
  }
  return std::min(n, offset);
}

// The most tokens a saved sliding-window cache may claim to have seen (its offset; the stored
// arrays bound the other caches' offsets).
constexpr int kMaxSavedOffset = 1 << 30;

[[noreturn]] void bad_state(const std::string& source, const std::string& what) {
  throw FormatError(source, 0, "[load_prompt_cache] " + what);
}

int parse_meta(const std::string& source, const std::string& cls, const std::string& s) {
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size()) {
    bad_state(source, cls + " meta_state must hold integers, got '" + s + "'");
  }
  return v;
}

// The arrays of `state` under exactly the names `names`; FormatError otherwise.
std::vector<array> expect_keys(const CacheState& state, const std::vector<std::string>& names,
                               const std::string& source, const std::string& cls) {
  std::vector<array> out;
  for (const auto& n : names) {
    auto it = state.find(n);
    if (it == state.end()) {
      bad_state(source, cls + " state lacks array '" + n + "'");
    }
    out.push_back(it->second);
  }
  if (state.size() != names.size()) {
    bad_state(source, cls + " state has " + std::to_string(state.size()) + " arrays; expected " +
                          std::to_string(names.size()));
  }
  return out;
}

void check_saved_kv(const array& k, const array& v, const std::string& source,
                    const std::string& cls) {
  if (k.ndim() != 4 || v.ndim() != 4 || k.shape(0) != v.shape(0) || k.shape(1) != v.shape(1) ||
      k.shape(2) != v.shape(2) || !issubdtype(k.dtype(), floating) ||
      !issubdtype(v.dtype(), floating)) {
    bad_state(source, cls + " keys/values must be floating [B, H, T, D] with equal B, H, T");
  }
}

}  // namespace

CacheGuard::CacheGuard(std::vector<std::unique_ptr<LayerCache>>* cache) : cache_(cache) {
  if (cache_) {
    for (const auto& c : *cache_) {
      saved_.push_back(c ? c->clone() : nullptr);
    }
  }
}

CacheGuard::~CacheGuard() {
  if (!cache_) {
    return;
  }
  for (size_t i = 0; i < saved_.size() && i < cache_->size(); ++i) {
    if (!saved_[i] || !(*cache_)[i]) {
      continue;
    }
    try {
      (*cache_)[i]->restore(*saved_[i]);  // keeps the object, so pointers to it stay valid
    } catch (const std::invalid_argument&) {
      (*cache_)[i] = std::move(saved_[i]);  // the layer was replaced meanwhile
    }
  }
}

// ------------------------------------------------------------------------------- KVCache

KVCache::KVCache(int step) : step_(step) {
  if (step < 1) {
    throw std::invalid_argument("[KVCache] step must be positive, got " + std::to_string(step));
  }
}

std::pair<array, array> KVCache::update_and_fetch(const array& keys, const array& values) {
  check_kv("KVCache", keys, values);
  const int end = offset_ + keys.shape(2);
  // Work on copies of the handles and commit at the end: a throwing op changes nothing.
  std::optional<array> k = keys_;
  std::optional<array> v = values_;
  if (k) {
    check_continues("KVCache", *k, keys);
    check_continues("KVCache", *v, values);
  }
  if (!k || end > k->shape(2)) {
    k = grow(k, offset_, end, step_, keys);
    v = grow(v, offset_, end, step_, values);
  }
  array nk = write_at(*k, keys, offset_);
  array nv = write_at(*v, values, offset_);
  array out_k = positions(nk, 0, end);
  array out_v = positions(nv, 0, end);
  keys_ = std::move(nk);
  values_ = std::move(nv);
  offset_ = end;
  return {out_k, out_v};
}

int KVCache::trim(int n) {
  const int dropped = checked_trim("KVCache", n, offset_);
  offset_ -= dropped;
  return dropped;
}

std::optional<std::pair<array, array>> KVCache::contents() const {
  if (!keys_ || offset_ == 0) {
    return std::nullopt;
  }
  return std::make_pair(positions(*keys_, 0, offset_), positions(*values_, 0, offset_));
}

CacheState KVCache::state() const {
  const auto c = contents();
  if (!c) {
    return {};
  }
  return {{"0", c->first}, {"1", c->second}};
}

void KVCache::set_state(const CacheState& state, const std::vector<std::string>& meta,
                        const std::string& source) {
  if (!meta.empty()) {
    bad_state(source, "KVCache has no meta_state");
  }
  if (state.empty()) {
    keys_.reset();
    values_.reset();
    offset_ = 0;
    return;
  }
  const auto kv = expect_keys(state, {"0", "1"}, source, "KVCache");
  check_saved_kv(kv[0], kv[1], source, "KVCache");
  keys_ = kv[0];
  values_ = kv[1];
  offset_ = kv[0].shape(2);
}

// ----------------------------------------------------------------------- RotatingKVCache

RotatingKVCache::RotatingKVCache(int max_size) : max_size_(max_size) {
  if (max_size < 1) {
    throw std::invalid_argument("[RotatingKVCache] max_size must be positive");
  }
}

std::pair<array, array> RotatingKVCache::update_and_fetch(const array& keys, const array& values) {
  check_kv("RotatingKVCache", keys, values);
  auto keep_last = [&](const array& a) {
    return positions(a, std::max(0, a.shape(2) - (max_size_ - 1)), a.shape(2));
  };
  array k = keys_ ? concatenate({keep_last(*keys_), astype(keys, keys_->dtype())}, 2) : keys;
  array v =
      values_ ? concatenate({keep_last(*values_), astype(values, values_->dtype())}, 2) : values;
  keys_ = k;
  values_ = v;
  offset_ += keys.shape(2);
  return {k, v};
}

int RotatingKVCache::trim(int n) {
  const int dropped = checked_trim("RotatingKVCache", n, offset_);
  if (!is_trimmable()) {
    return 0;  // tokens already dropped cannot be restored
  }
  if (dropped > 0 && keys_) {
    // Nothing was dropped, so the stored length is offset_.
    keys_ = positions(*keys_, 0, offset_ - dropped);
    values_ = positions(*values_, 0, offset_ - dropped);
  }
  offset_ -= dropped;
  return dropped;
}

CacheState RotatingKVCache::state() const {
  if (!keys_) {
    return {};
  }
  return {{"0", *keys_}, {"1", *values_}};
}

std::vector<std::string> RotatingKVCache::meta_state() const {
  const int idx = keys_ ? keys_->shape(2) : 0;
  return {"0", std::to_string(max_size_), std::to_string(offset_), std::to_string(idx)};
}

void RotatingKVCache::set_state(const CacheState& state, const std::vector<std::string>& meta,
                                const std::string& source) {
  const std::string cls = "RotatingKVCache";
  // mlx-lm before 2025-09 also wrote its step: {keep, max_size, step, offset, _idx}.
  if (meta.size() != 4 && meta.size() != 5) {
    bad_state(source, cls + " meta_state must be {keep, max_size, [step,] offset, _idx}");
  }
  const size_t at = meta.size() - 4;  // offset and _idx follow the step when there is one
  const int keep = parse_meta(source, cls, meta[0]);
  const int max_size = parse_meta(source, cls, meta[1]);
  const int offset = parse_meta(source, cls, meta[at + 2]);
  const int idx = parse_meta(source, cls, meta[at + 3]);
  if (at == 1) {
    parse_meta(source, cls, meta[2]);  // an integer, otherwise unused
  }
  if (keep != 0) {
    bad_state(source, cls + " with keep = " + meta[0] + " is not supported (only 0)");
  }
  if (max_size != max_size_) {
    bad_state(source, cls + " max_size " + meta[1] + " does not match this model's " +
                          std::to_string(max_size_));
  }
  if (state.empty()) {
    if (offset != 0) {
      bad_state(source, cls + " without arrays must have offset 0");
    }
    keys_.reset();
    values_.reset();
    offset_ = 0;
    return;
  }
  const auto kv = expect_keys(state, {"0", "1"}, source, cls);
  check_saved_kv(kv[0], kv[1], source, cls);
  const int n = kv[0].shape(2);
  if (offset < n || idx < 0 || idx > n || (offset > n && n < max_size - 1)) {
    bad_state(source, cls + " offset " + meta[at + 2] + " / _idx " + meta[at + 3] +
                          " do not fit the stored length " + std::to_string(n));
  }
  if (offset > kMaxSavedOffset) {  // positions past it would overflow as tokens are added
    bad_state(source, cls + " offset " + meta[at + 2] + " is past " +
                          std::to_string(kMaxSavedOffset) + " tokens");
  }
  // mlx-lm's _temporal_order: a rotated buffer's oldest entry sits at _idx.
  auto temporal = [&](const array& a) {
    if (idx == n) {
      return a;
    }
    if (idx < offset) {
      return concatenate({positions(a, idx, n), positions(a, 0, idx)}, 2);
    }
    return positions(a, 0, idx);
  };
  array k = temporal(kv[0]);
  array v = temporal(kv[1]);
  keys_ = k;
  values_ = v;
  offset_ = offset;
}

// ---------------------------------------------------------------------- QuantizedKVCache

QuantizedKVCache::QuantizedKVCache(int group_size, int bits)
    : group_size_(group_size), bits_(bits) {
  const bool bits_ok = bits == 2 || bits == 3 || bits == 4 || bits == 5 || bits == 6 || bits == 8;
  const bool group_ok = group_size == 32 || group_size == 64 || group_size == 128;
  if (!bits_ok || !group_ok) {
    throw std::invalid_argument(
        "[QuantizedKVCache] bits must be 2, 3, 4, 5, 6 or 8 and group_size 32, 64 or 128; got "
        "bits " +
        std::to_string(bits) + ", group_size " + std::to_string(group_size));
  }
}

std::unique_ptr<QuantizedKVCache> QuantizedKVCache::from(const KVCache& c, int group_size,
                                                         int bits) {
  auto q = std::make_unique<QuantizedKVCache>(group_size, bits);
  if (const auto kv = c.contents()) {
    const auto qk = quantize(kv->first, group_size, bits);
    const auto qv = quantize(kv->second, group_size, bits);
    q->keys_ = QuantizedTensor{qk[0], qk[1], qk[2]};
    q->values_ = QuantizedTensor{qv[0], qv[1], qv[2]};
  }
  q->offset_ = c.offset();
  return q;
}

std::pair<array, array> QuantizedKVCache::update_and_fetch(const array&, const array&) {
  throw std::invalid_argument(
      "[QuantizedKVCache] holds quantized keys/values: use update_and_fetch_quantized");
}

std::pair<QuantizedTensor, QuantizedTensor> QuantizedKVCache::update_and_fetch_quantized(
    const array& keys, const array& values) {
  check_kv("QuantizedKVCache", keys, values);
  const int end = offset_ + keys.shape(2);
  const auto qk = quantize(keys, group_size_, bits_);
  const auto qv = quantize(values, group_size_, bits_);
  if (keys_) {
    for (int i = 0; i < 3; ++i) {
      check_continues("QuantizedKVCache", (*keys_)[i], qk[i]);
      check_continues("QuantizedKVCache", (*values_)[i], qv[i]);
    }
  }
  constexpr int step = 256;
  QuantizedTensor nk = keys_ ? *keys_ : QuantizedTensor{qk[0], qk[1], qk[2]};
  QuantizedTensor nv = values_ ? *values_ : QuantizedTensor{qv[0], qv[1], qv[2]};
  const bool fresh = !keys_;
  for (int i = 0; i < 3; ++i) {
    if (fresh || end > nk[i].shape(2)) {
      nk[i] = grow(fresh ? std::nullopt : std::optional<array>(nk[i]), offset_, end, step, qk[i]);
      nv[i] = grow(fresh ? std::nullopt : std::optional<array>(nv[i]), offset_, end, step, qv[i]);
    }
    nk[i] = write_at(nk[i], qk[i], offset_);
    nv[i] = write_at(nv[i], qv[i], offset_);
  }
  QuantizedTensor out_k = nk, out_v = nv;
  for (int i = 0; i < 3; ++i) {
    out_k[i] = positions(nk[i], 0, end);
    out_v[i] = positions(nv[i], 0, end);
  }
  keys_ = nk;
  values_ = nv;
  offset_ = end;
  return {out_k, out_v};
}

int QuantizedKVCache::trim(int n) {
  const int dropped = checked_trim("QuantizedKVCache", n, offset_);
  offset_ -= dropped;
  return dropped;
}

CacheState QuantizedKVCache::state() const {
  if (!keys_ || offset_ == 0) {
    return {};
  }
  CacheState s;
  for (int i = 0; i < 3; ++i) {
    s.emplace("0." + std::to_string(i), positions((*keys_)[i], 0, offset_));
    s.emplace("1." + std::to_string(i), positions((*values_)[i], 0, offset_));
  }
  return s;
}

std::vector<std::string> QuantizedKVCache::meta_state() const {
  return {std::to_string(offset_), std::to_string(group_size_), std::to_string(bits_)};
}

void QuantizedKVCache::set_state(const CacheState& state, const std::vector<std::string>& meta,
                                 const std::string& source) {
  const std::string cls = "QuantizedKVCache";
  if (meta.size() != 3) {
    bad_state(source, cls + " meta_state must be {offset, group_size, bits}");
  }
  const int offset = parse_meta(source, cls, meta[0]);
  const int group_size = parse_meta(source, cls, meta[1]);
  const int bits = parse_meta(source, cls, meta[2]);
  if (group_size != group_size_ || bits != bits_) {
    bad_state(source, cls + " group_size / bits " + meta[1] + " / " + meta[2] +
                          " differ from this cache's " + std::to_string(group_size_) + " / " +
                          std::to_string(bits_));
  }
  if (state.empty()) {
    if (offset != 0) {
      bad_state(source, cls + " without arrays must have offset 0");
    }
    keys_.reset();
    values_.reset();
    offset_ = 0;
    return;
  }
  const auto a = expect_keys(state, {"0.0", "0.1", "0.2", "1.0", "1.1", "1.2"}, source, cls);
  const int n = a[0].shape(2);
  for (int i = 0; i < 6; ++i) {
    const bool codes = i % 3 == 0;
    const bool dtype_ok = codes ? a[i].dtype() == uint32 : issubdtype(a[i].dtype(), floating);
    if (a[i].ndim() != 4 || !dtype_ok || a[i].shape(2) != n) {
      bad_state(source, cls + " arrays must be [B, H, T, *] uint32 codes and float scales/biases");
    }
  }
  for (int j = 0; j < 2; ++j) {
    const array& w = a[3 * j];
    const int dims = w.shape(3) * 32 / bits;
    for (int i = 1; i < 3; ++i) {
      const array& s = a[3 * j + i];
      if (s.shape(0) != w.shape(0) || s.shape(1) != w.shape(1) || s.shape(3) * group_size != dims) {
        bad_state(source, cls + " scales/biases do not fit the packed codes");
      }
    }
  }
  if (offset < 0 || offset > n) {
    bad_state(source, cls + " offset " + meta[0] + " exceeds the stored length");
  }
  keys_ = QuantizedTensor{a[0], a[1], a[2]};
  values_ = QuantizedTensor{a[3], a[4], a[5]};
  offset_ = offset;
}

// --------------------------------------------------------------------------- ArraysCache

ArraysCache::ArraysCache(int size) {
  if (size < 1) {
    throw std::invalid_argument("[ArraysCache] size must be positive");
  }
  arrays_.resize(size_t(size));
}

std::pair<array, array> ArraysCache::update_and_fetch(const array&, const array&) {
  throw std::invalid_argument("[ArraysCache] holds state arrays, not keys/values");
}

int ArraysCache::trim(int n) {
  checked_trim("ArraysCache", n, offset_);
  return 0;  // a recurrent state cannot be rewound
}

const std::optional<array>& ArraysCache::get(int i) const {
  if (i < 0 || i >= size()) {
    throw std::invalid_argument("[ArraysCache] index " + std::to_string(i) + " out of range");
  }
  return arrays_[size_t(i)];
}

void ArraysCache::set(int i, array value, int tokens) {
  get(i);  // range check
  if (tokens < 0) {
    throw std::invalid_argument("[ArraysCache] token count must be non-negative");
  }
  arrays_[size_t(i)] = std::move(value);
  offset_ += tokens;
}

void ArraysCache::set_offset(int offset) {
  if (offset < 0) {
    throw std::invalid_argument("[ArraysCache] offset must be non-negative");
  }
  offset_ = offset;
}

CacheState ArraysCache::state() const {
  CacheState s;
  for (size_t i = 0; i < arrays_.size(); ++i) {
    if (arrays_[i]) {
      s.emplace("0." + std::to_string(i), *arrays_[i]);
    }
  }
  // mlx-lm writes empty arrays for "no batch padding" (None cannot be serialised).
  s.emplace("1", zeros({0}, float32));
  s.emplace("2", zeros({0}, float32));
  return s;
}

void ArraysCache::set_state(const CacheState& state, const std::vector<std::string>& meta,
                            const std::string& source) {
  if (!meta.empty()) {
    bad_state(source, "ArraysCache has no meta_state");
  }
  std::vector<std::optional<array>> arrays(arrays_.size());
  // mlx-lm before 2026-08 saved the list of arrays itself: "0", "1", ... (no padding).
  const bool legacy = std::none_of(state.begin(), state.end(), [](const auto& kv) {
    return kv.first.find('.') != std::string::npos || kv.second.size() == 0;
  });
  for (const auto& [name, a] : state) {
    if (legacy) {
      const auto j = !name.empty() && name.size() < 10 &&
                             name.find_first_not_of("0123456789") == std::string::npos
                         ? std::stoul(name)
                         : arrays.size();
      if (j >= arrays.size() && (name == "1" || name == "2")) {
        // The current layout's padding / lengths, set: a batch of sequences.
        bad_state(source, "ArraysCache batch padding/lengths are not supported (one sequence)");
      }
      if (j >= arrays.size()) {
        bad_state(source, "ArraysCache state has an unexpected array '" + name + "' (size " +
                              std::to_string(arrays.size()) + ")");
      }
      arrays[j] = a;
      continue;
    }
    if (name == "1" || name == "2") {
      if (a.size() != 0) {
        bad_state(source, "ArraysCache batch padding/lengths are not supported (one sequence)");
      }
      continue;
    }
    size_t i = arrays.size();
    if (name.rfind("0.", 0) == 0 && name.size() > 2 &&
        name.find_first_not_of("0123456789", 2) == std::string::npos && name.size() < 12) {
      i = std::stoul(name.substr(2));
    }
    if (i >= arrays.size()) {
      bad_state(source, "ArraysCache state has an unexpected array '" + name + "' (size " +
                            std::to_string(arrays.size()) + ")");
    }
    arrays[i] = a;
  }
  arrays_ = std::move(arrays);
  offset_ = 0;
}

}  // namespace mlxcpp::lm
