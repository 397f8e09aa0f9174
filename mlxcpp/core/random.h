// Counter-based random numbers with MLX's API (mlx/random.h) and bits.
//
// A key is a uint32 array of shape [2]. random::bits hashes (key, counter)
// pairs with Threefry-2x32 (20 rounds) exactly as MLX does, and every
// distribution is built from those bits with the same ops MLX uses, so a key
// gives the same numbers here as in MLX. Functions called without a key
// draw one from the calling thread's key sequence (random::seed sets it;
// unseeded, it starts from the clock), as MLX's KeySequence does.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/stream.h"
#include "mlxcpp/core/utils.h"

namespace mlxcpp::random {

/** The sequence of keys that key-less calls draw from: next() splits the current key
 *  into two, keeps the first and returns the second. */
class KeySequence {
 public:
  explicit KeySequence(uint64_t seed);
  void seed(uint64_t seed);
  array next();

  /** The calling thread's sequence, seeded from the clock until seed() is called. */
  static KeySequence& default_();

 private:
  array key_;
};

/** The key of a seed: [seed >> 32, seed & 0xffffffff] as uint32. */
array key(uint64_t seed);

/** Seed the calling thread's key sequence. */
void seed(uint64_t seed);

/** Random bits of the given shape: width 4 (uint32), 2 (uint16) or 1 (uint8) bytes each. */
array bits(const Shape& shape, int width, const std::optional<array>& key = std::nullopt,
           StreamOrDevice s = {});
inline array bits(const Shape& shape, const std::optional<array>& key = std::nullopt,
                  StreamOrDevice s = {}) {
  return bits(shape, 4, key, s);
}

/** Two new keys from a key. */
std::pair<array, array> split(const array& key, StreamOrDevice s = {});
/** num new keys from a key, as a [num, 2] array. */
array split(const array& key, int num, StreamOrDevice s = {});

/** Uniform samples in [low, high) of a floating dtype; low and high broadcast to shape. */
array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype = float32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
template <typename T, typename U>
array uniform(T low, U high, const Shape& shape, Dtype dtype = float32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return uniform(array(low), array(high), shape, dtype, key, s);
}
/** Uniform samples in [0, 1). */
array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key = std::nullopt,
              StreamOrDevice s = {});
inline array uniform(const Shape& shape, const std::optional<array>& key = std::nullopt,
                     StreamOrDevice s = {}) {
  return uniform(shape, float32, key, s);
}

/** Normal samples loc + scale * N(0, 1) (complex64: independent real and imaginary parts). */
array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key,
             StreamOrDevice s = {});
inline array normal(const Shape& shape, Dtype dtype, const float loc, const float scale,
                    const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  auto loc_ = loc == 0 ? std::nullopt : std::make_optional(array(loc, dtype));
  auto scale_ = scale == 1 ? std::nullopt : std::make_optional(array(scale, dtype));
  return normal(shape, dtype, loc_, scale_, key, s);
}
inline array normal(const Shape& shape, const float loc, const float scale,
                    const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return normal(shape, float32, loc, scale, key, s);
}
inline array normal(const Shape& shape, const Dtype dtype,
                    const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return normal(shape, dtype, std::nullopt, std::nullopt, key, s);
}
inline array normal(const Shape& shape, const std::optional<array>& key = std::nullopt,
                    StreamOrDevice s = {}) {
  return normal(shape, float32, std::nullopt, std::nullopt, key, s);
}

/** Samples of N(mean, cov) (float32): mean [..., n], cov [..., n, n] positive
 *  semi-definite; the result has shape broadcast(batch of mean, batch of cov, shape) + [n]. */
array multivariate_normal(const array& mean, const array& cov, const Shape& shape, Dtype dtype,
                          const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/** Integers uniform in [low, high) of an integer dtype. */
array randint(const array& low, const array& high, const Shape& shape, Dtype dtype = int32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
template <typename T, typename U>
array randint(T low, U high, const Shape& shape, Dtype dtype = int32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return randint(array(low), array(high), shape, dtype, key, s);
}

/** true with probability p (floating; broadcast to shape). */
array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {});
array bernoulli(const array& p, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {});
template <typename T>
array bernoulli(T p, const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return bernoulli(array(p), key, s);
}
template <typename T>
array bernoulli(T p, const Shape& shape, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {}) {
  return bernoulli(array(p), shape, key, s);
}
/** true with probability 1/2. */
array bernoulli(const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/** Normal samples restricted to [lower, upper]. */
array truncated_normal(const array& lower, const array& upper, const Shape& shape,
                       Dtype dtype = float32, const std::optional<array>& key = std::nullopt,
                       StreamOrDevice s = {});
array truncated_normal(const array& lower, const array& upper, Dtype dtype = float32,
                       const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/** Standard Gumbel samples, -log(-log(uniform)). */
array gumbel(const Shape& shape, Dtype dtype = float32,
             const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/** Indices (uint32) sampled from the unnormalized log-probabilities along axis; the
 *  result has `shape` (which the logits without axis broadcast to), num_samples per
 *  distribution, or the logits' shape without axis. */
array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
array categorical(const array& logits, int axis, int num_samples,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
array categorical(const array& logits, int axis = -1,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/** Laplace samples loc + scale * L(0, 1). */
array laplace(const Shape& shape, Dtype dtype, const float loc, const float scale,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
inline array laplace(const Shape& shape, const float loc, const float scale,
                     const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return laplace(shape, float32, loc, scale, key, s);
}
inline array laplace(const Shape& shape, const Dtype dtype,
                     const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return laplace(shape, dtype, 0.0, 1.0, key, s);
}
inline array laplace(const Shape& shape, const std::optional<array>& key = std::nullopt,
                     StreamOrDevice s = {}) {
  return laplace(shape, float32, 0.0, 1.0, key, s);
}

/** x with its entries along axis randomly permuted. */
array permutation(const array& x, int axis = 0, const std::optional<array>& key = std::nullopt,
                  StreamOrDevice s = {});
/** A random permutation of arange(n) (uint32). */
array permutation(int n, const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

}  // namespace mlxcpp::random
