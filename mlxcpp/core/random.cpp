// Distributions built from random bits with the ops (and operation order)
// MLX uses, so that results match MLX's for the same key.
#include "mlxcpp/core/random.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "mlxcpp/core/linalg.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp::random {

using detail::invalid;
using detail::shape_str;

KeySequence::KeySequence(uint64_t seed) : key_(key(seed)) {}

void KeySequence::seed(uint64_t seed) {
  key_ = key(seed);
}

array KeySequence::next() {
  auto [keep, out] = split(key_);
  key_ = keep;
  return out;
}

KeySequence& KeySequence::default_() {
  // One sequence per thread (as MLX), so concurrent key-less calls never race.
  static const uint64_t time_seed =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  static thread_local KeySequence sequence(time_seed);
  return sequence;
}

array key(uint64_t seed) {
  return array({static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(seed)});
}

void seed(uint64_t seed) {
  KeySequence::default_().seed(seed);
}

array bits(const Shape& shape, int width, const std::optional<array>& key_in, StreamOrDevice s) {
  for (auto d : shape) {
    if (d < 0) {
      invalid("bits", "Negative dimensions are not allowed; got shape {}.", shape_str(shape));
    }
  }
  Dtype dtype = uint32;
  switch (width) {
    case 4:
      break;
    case 2:
      dtype = uint16;
      break;
    case 1:
      dtype = uint8;
      break;
    default:
      invalid("bits", "The width must be 1, 2 or 4 bytes; got {}.", width);
  }
  const array key = key_in ? *key_in : KeySequence::default_().next();
  if (key.dtype() != uint32) {
    invalid("bits", "Keys must be uint32; got {}.", dtype_name(key.dtype()));
  }
  if (key.shape() != Shape{2}) {
    invalid("bits", "A key has shape (2); got {}.", shape_str(key.shape()));
  }
  return array(shape, dtype, std::make_shared<RandomBits>(to_stream(s), shape, width), {key});
}

std::pair<array, array> split(const array& key, StreamOrDevice s) {
  auto halves = mlxcpp::split(random::split(key, 2, s), 2, 0, s);
  return {reshape(halves[0], {2}, s), reshape(halves[1], {2}, s)};
}

array split(const array& key, int num, StreamOrDevice s) {
  if (num < 0) {
    invalid("split", "The number of keys must be non-negative; got {}.", num);
  }
  return bits({num, 2}, 4, key, s);
}

namespace {

// The largest value below one of a 16-bit float type (its bit pattern minus one), as float.
template <typename T>
float below_one() {
  T one(1.0f);
  uint16_t bits_of_one;
  std::memcpy(&bits_of_one, &one, 2);
  const uint16_t below = bits_of_one - 1;
  T out;
  std::memcpy(&out, &below, 2);
  return static_cast<float>(out);
}

}  // namespace

array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  if (!issubdtype(dtype, floating)) {
    invalid("uniform", "The dtype must be a real floating type; got {}.", dtype_name(dtype));
  }
  const array lo = astype(low, dtype, s);
  const array range = subtract(astype(high, dtype, s), lo, s);
  if (broadcast_shapes(shape, range.shape()) != shape) {
    invalid("uniform", "Cannot generate samples of shape {} from bounds of shape {}.",
            shape_str(shape), shape_str(range.shape()));
  }
  // Samples lie in [0, the largest value below one of dtype], so results stay below high.
  float upper = std::nextafter(1.0f, 0.0f);
  if (dtype == float16) {
    upper = below_one<float16_t>();
  } else if (dtype == bfloat16) {
    upper = below_one<bfloat16_t>();
  }
  const array maxval(static_cast<float>(std::numeric_limits<uint32_t>::max()), float32);
  array u = divide(bits(shape, 4, key, s), maxval, s);
  u = astype(minimum(u, array(upper, float32), s), dtype, s);
  return add(multiply(range, u, s), lo, s);
}

array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  return uniform(array(0.0, dtype), array(1.0, dtype), shape, dtype, key, s);
}

namespace {

// erfinv of uniform samples in (-1, 1): normal samples with variance 1/2.
array half_variance_normal(const Shape& shape, const std::optional<array>& key, StreamOrDevice s) {
  const array low(std::nextafter(-1.0f, 0.0f), float32);
  const array high(1.0f, float32);
  return erfinv(uniform(low, high, shape, float32, key, s), s);
}

}  // namespace

array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key, StreamOrDevice s) {
  if (dtype == complex64) {
    // Real and imaginary parts of variance 1/2 each: a standard complex normal.
    Shape pairs = shape;
    pairs.push_back(2);
    array samples = squeeze(view(half_variance_normal(pairs, key, s), complex64, s), -1, s);
    if (scale) {
      samples = multiply(*scale, samples, s);
    }
    if (loc) {
      samples = add(*loc, samples, s);
    }
    return samples;
  }
  if (!issubdtype(dtype, floating)) {
    invalid("normal", "The dtype must be floating or complex64; got {}.", dtype_name(dtype));
  }
  array applied_scale(std::sqrt(2.0), dtype);
  if (scale) {
    applied_scale = multiply(applied_scale, astype(*scale, dtype, s), s);
  }
  array samples = multiply(applied_scale, astype(half_variance_normal(shape, key, s), dtype, s), s);
  if (loc) {
    samples = add(astype(*loc, dtype, s), samples, s);
  }
  return samples;
}

array multivariate_normal(const array& mean, const array& cov, const Shape& shape, Dtype dtype,
                          const std::optional<array>& key, StreamOrDevice s) {
  if (dtype != float32) {
    invalid("multivariate_normal", "The dtype must be float32; got {}.", dtype_name(dtype));
  }
  if (mean.ndim() < 1) {
    invalid("multivariate_normal", "mean must have at least one dimension.");
  }
  if (cov.ndim() < 2 || cov.shape(-1) != cov.shape(-2)) {
    invalid("multivariate_normal", "cov must be [..., n, n]; got shape {}.",
            shape_str(cov.shape()));
  }
  const int n = mean.shape(-1);
  if (cov.shape(-1) != n) {
    invalid("multivariate_normal", "mean of shape {} and cov of shape {} do not match.",
            shape_str(mean.shape()), shape_str(cov.shape()));
  }
  Shape out_shape = broadcast_shapes(Shape(cov.shape().begin(), cov.shape().end() - 2),
                                     Shape(mean.shape().begin(), mean.shape().end() - 1));
  out_shape = broadcast_shapes(out_shape, shape);
  out_shape.push_back(n);
  // A square root of cov through its SVD: cov = U S Vt = (U sqrt(S) Vt)^2 for PSD cov.
  const auto usv = linalg::svd(astype(cov, float32, s), true, s);
  const array root =
      astype(matmul(multiply(usv[0], expand_dims(sqrt(usv[1], s), -2, s), s), usv[2], s), dtype, s);
  const array z = normal(out_shape, dtype, 0.0f, 1.0f, key, s);
  return add(mean, squeeze(matmul(expand_dims(z, -2, s), root, s), -2, s), s);
}

array randint(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  if (issubdtype(dtype, inexact)) {
    invalid("randint", "The dtype must be an integer type or bool; got {}.", dtype_name(dtype));
  }
  const array u = uniform(low, high, shape, float32, key, s);
  // floor, not truncation, so that -1.7 becomes -2; bounds that float32 cannot hold
  // exactly could widen the range, so clamp to [low, high - 1].
  const array out = astype(floor(u, s), dtype, s);
  const array hi = astype(subtract(high, array(1, high.dtype()), s), dtype, s);
  return maximum(minimum(out, hi, s), astype(low, dtype, s), s);
}

array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key,
                StreamOrDevice s) {
  if (!issubdtype(p.dtype(), floating)) {
    invalid("bernoulli", "The probability p must be floating; got {}.", dtype_name(p.dtype()));
  }
  if (broadcast_shapes(p.shape(), shape) != shape) {
    invalid("bernoulli", "p of shape {} does not broadcast to shape {}.", shape_str(p.shape()),
            shape_str(shape));
  }
  // p scaled to [0, the float above UINT32_MAX]: p >= 1 is always true, p <= 0 never.
  const array upper(std::nextafter(static_cast<float>(std::numeric_limits<uint32_t>::max()),
                                   std::numeric_limits<float>::max()),
                    float32);
  return less(bits(shape, 4, key, s), multiply(p, upper, s), s);
}

array bernoulli(const array& p, const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(p, p.shape(), key, s);
}

array bernoulli(const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(array(0.5f), key, s);
}

array truncated_normal(const array& lower, const array& upper, const Shape& shape, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  if (!issubdtype(dtype, floating)) {
    invalid("truncated_normal", "The dtype must be floating; got {}.", dtype_name(dtype));
  }
  // Inverse CDF of the uniform samples between the bounds' CDF values (as JAX and MLX).
  const array sqrt2(std::sqrt(2.0), dtype);
  const array lower_t = astype(lower, dtype, s);
  const array upper_t = astype(upper, dtype, s);
  const array a = erf(divide(lower_t, sqrt2, s), s);
  const array b = erf(divide(upper_t, sqrt2, s), s);
  const array out = multiply(sqrt2, erfinv(uniform(a, b, shape, dtype, key, s), s), s);
  return maximum(minimum(upper_t, out, s), lower_t, s);
}

array truncated_normal(const array& lower, const array& upper, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  return truncated_normal(lower, upper, broadcast_shapes(lower.shape(), upper.shape()), dtype, key,
                          s);
}

array gumbel(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  return negative(log(negative(log(uniform(shape, dtype, key, s), s), s), s), s);
}

namespace {

int categorical_axis(int axis, const array& logits) {
  return detail::normalize_axis("categorical", axis, static_cast<int>(logits.ndim()));
}

// One distribution: inverse CDF with searchsorted, O(n + samples) memory instead of the
// Gumbel-max trick's O(n * samples).
array categorical_inverse_cdf(const array& logits, const Shape& shape,
                              const std::optional<array>& key, StreamOrDevice s) {
  const Dtype dtype = promote_types(logits.dtype(), float32);
  const array x = astype(logits, dtype, s);
  const array m = max(x, s);
  // With an infinite maximum exp(x - m) is NaN; the maximal entries then share the mass.
  const array w =
      where(isinf(m, s), astype(equal(x, m, s), dtype, s), exp(subtract(x, m, s), s), s);
  // Inclusive cdf, scaled by its own last value: a draw below it lands on an entry of
  // positive weight. (A total summed another way can exceed the cdf's, and the draws past
  // it picked the last entry, whatever its weight.)
  const int n = static_cast<int>(w.size());
  const array cdf = cumsum(w, 0, false, true, s);
  const array total = slice(cdf, {n - 1}, {n}, s);
  const array u = multiply(uniform(shape, float32, key, s), total, s);
  // Rounding can still put a draw at the total: it goes to the last entry of positive weight.
  const array last = max(
      where(greater(w, array(0.0f, dtype), s), arange(0, n, uint32, s), array(0u, uint32), s), s);
  return minimum(astype(searchsorted(cdf, u, "right", s), uint32, s), last, s);
}

array categorical_impl(const array& logits, int axis, const Shape& shape,
                       const std::optional<array>& key, StreamOrDevice s) {
  const int n = logits.shape(axis);
  if (n > 0 && logits.size() == static_cast<size_t>(n) && !shape.empty()) {
    return categorical_inverse_cdf(reshape(logits, {n}, s), shape, key, s);
  }
  Shape gumbel_shape = shape;
  const int offset = axis + static_cast<int>(shape.size()) - static_cast<int>(logits.ndim()) + 1;
  gumbel_shape.insert(gumbel_shape.begin() + offset, n);
  const array g = gumbel(gumbel_shape, float32, key, s);
  return argmax(add(g, logits, s), offset, false, s);
}

}  // namespace

array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key, StreamOrDevice s) {
  const int ax = categorical_axis(axis, logits);
  Shape reduced = logits.shape();
  reduced.erase(reduced.begin() + ax);
  if (broadcast_shapes(shape, reduced) != shape) {
    invalid("categorical", "The shape {} is not broadcast compatible with the logits' shape {}.",
            shape_str(shape), shape_str(reduced));
  }
  return categorical_impl(logits, ax, shape, key, s);
}

array categorical(const array& logits_in, int axis, int num_samples,
                  const std::optional<array>& key, StreamOrDevice s) {
  const int ax = categorical_axis(axis, logits_in);
  if (num_samples < 0) {
    invalid("categorical", "num_samples must be non-negative; got {}.", num_samples);
  }
  const array logits = expand_dims(logits_in, -1, s);
  Shape shape = logits.shape();
  shape.erase(shape.begin() + ax);
  shape.back() = num_samples;
  return categorical_impl(logits, ax, shape, key, s);
}

array categorical(const array& logits, int axis, const std::optional<array>& key,
                  StreamOrDevice s) {
  const int ax = categorical_axis(axis, logits);
  Shape shape = logits.shape();
  shape.erase(shape.begin() + ax);
  return categorical_impl(logits, ax, shape, key, s);
}

array laplace(const Shape& shape, Dtype dtype, const float loc, const float scale,
              const std::optional<array>& key, StreamOrDevice s) {
  if (!issubdtype(dtype, floating)) {
    invalid("laplace", "The dtype must be a real floating type; got {}.", dtype_name(dtype));
  }
  const array low(std::nextafter(-1.0f, 0.0f), float32);
  const array high(1.0f, float32);
  const array u = uniform(low, high, shape, float32, key, s);
  // Inverse CDF: sign(u) * log1p(-|u|).
  array samples = multiply(sign(u, s), log1p(multiply(array(-1.0f, dtype), abs(u, s), s), s), s);
  samples = astype(samples, dtype, s);
  if (scale != 1.0f) {
    samples = multiply(array(scale, dtype), samples, s);
  }
  if (loc != 0.0f) {
    samples = add(array(loc, dtype), samples, s);
  }
  return samples;
}

array permutation(const array& x, int axis, const std::optional<array>& key, StreamOrDevice s) {
  const int ax = detail::normalize_axis("permutation", axis, static_cast<int>(x.ndim()));
  return take(x, permutation(x.shape(ax), key, s), ax, s);
}

array permutation(int n, const std::optional<array>& key, StreamOrDevice s) {
  if (n < 0) {
    invalid("permutation", "The length must be non-negative; got {}.", n);
  }
  return argsort(bits({n}, 4, key, s), s);
}

}  // namespace mlxcpp::random
