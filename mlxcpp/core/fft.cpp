// The fft op functions: argument checks, truncation / zero padding to the
// requested lengths, dtype casts and normalization around one FFT primitive
// (backend/cpu/fft.cpp).
#include "mlxcpp/core/fft.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp::fft {

using detail::invalid;

namespace {

enum class Kind { c2c, r2c, c2r };

// The factor the output is multiplied by on top of the kernel's 1/N on inverse transforms,
// N being the product of the transform lengths.
double scale_factor(const Shape& n, FFTNorm norm, bool inverse) {
  double count = 1.0;
  for (auto v : n) {
    count *= static_cast<double>(v);
  }
  switch (norm) {
    case FFTNorm::Backward:
      return 1.0;
    case FFTNorm::Ortho:
      return inverse ? std::sqrt(count) : 1.0 / std::sqrt(count);
    case FFTNorm::Forward:
      return inverse ? count : 1.0 / count;
  }
  invalid("fftn", "Invalid normalization mode; expected Backward, Ortho or Forward, got {}.",
          static_cast<int>(norm));
}

// Axes normalized into [0, ndim), in the caller's order; throws on range and duplicates.
std::vector<int> checked_axes(const char* op, const std::vector<int>& axes, int ndim) {
  std::vector<int> out;
  out.reserve(axes.size());
  for (int ax : axes) {
    out.push_back(detail::normalize_axis(op, ax, ndim));
  }
  auto sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    invalid(op, "Duplicate axes; expected each axis at most once, got ({}).",
            fmt::join(axes, ", "));
  }
  return out;
}

// The shared implementation; n empty means "the input's sizes along axes" (for c2r the
// last one becomes 2 * (size - 1)).
array fft_impl(const char* op, const array& a, std::optional<Shape> n_opt,
               const std::vector<int>& axes_in, Kind kind, bool inverse, FFTNorm norm,
               StreamOrDevice s) {
  if (a.ndim() < 1) {
    invalid(op, "Requires an array with at least one dimension; got a 0-d array.");
  }
  if (n_opt && n_opt->size() != axes_in.size()) {
    invalid(op, "n and axes have different sizes; expected equal sizes, got {} and {}.",
            n_opt->size(), axes_in.size());
  }
  if (kind == Kind::r2c && a.dtype() == complex64) {
    invalid(op, "Expected a real input; got complex64 (use fftn for complex inputs).");
  }
  const int ndim = static_cast<int>(a.ndim());
  const auto axes = checked_axes(op, axes_in, ndim);
  if (axes.empty()) {
    return a;
  }
  Shape n;
  if (n_opt) {
    n = *n_opt;
  } else {
    for (int ax : axes) {
      n.push_back(a.shape(ax));
    }
    if (kind == Kind::c2r) {
      // Size 0 or 1 gives n <= 0, rejected below; a size past 2^30 overflows the shape type.
      const int64_t implied = (static_cast<int64_t>(n.back()) - 1) * 2;
      n.back() = implied <= 0 ? static_cast<ShapeElem>(implied) : detail::checked_dim(op, implied);
    }
  }
  for (auto v : n) {
    if (v <= 0) {
      invalid(op, "Invalid transform size; expected every n > 0, got {}.", detail::shape_str(n));
    }
  }

  // For r2c, n is the input length; for c2r, the output length, whose input holds
  // n / 2 + 1 frequencies along the last axis.
  Shape in_shape = a.shape();
  for (size_t i = 0; i < axes.size(); ++i) {
    in_shape[axes[i]] = n[i];
  }
  if (kind == Kind::c2r) {
    in_shape[axes.back()] = n.back() / 2 + 1;
  }
  const Dtype in_type = kind == Kind::r2c ? float32 : complex64;
  const Dtype out_type = kind == Kind::c2r ? float32 : complex64;

  array in = a;
  Shape low(ndim, 0), high(ndim, 0), cut = a.shape();
  bool any_less = false, any_greater = false;
  for (int d = 0; d < ndim; ++d) {
    any_less |= in_shape[d] < a.shape(d);
    any_greater |= in_shape[d] > a.shape(d);
    cut[d] = std::min(in_shape[d], a.shape(d));
    high[d] = std::max(in_shape[d] - a.shape(d), 0);
  }
  if (any_less) {
    in = slice(in, Shape(ndim, 0), cut, s);
  }
  in = astype(in, in_type, s);
  if (any_greater) {
    in = pad(in, detail::all_axes(ndim), low, high, array(0.0f, in_type), "constant", s);
  }

  Shape out_shape = in_shape;
  if (kind == Kind::r2c) {
    out_shape[axes.back()] = n.back() / 2 + 1;
  } else if (kind == Kind::c2r) {
    out_shape[axes.back()] = n.back();
  }
  std::vector<size_t> prim_axes(axes.begin(), axes.end());
  array out(out_shape, out_type,
            std::make_shared<FFT>(to_stream(s), std::move(prim_axes), inverse, kind != Kind::c2c),
            {in});
  const double scale = scale_factor(n, norm, inverse);
  if (scale != 1.0) {
    return multiply(out, array(scale, out_type), s);
  }
  return out;
}

array fft_all_axes(const char* op, const array& a, Kind kind, bool inverse, FFTNorm norm,
                   StreamOrDevice s) {
  return fft_impl(op, a, std::nullopt, detail::all_axes(static_cast<int>(a.ndim())), kind, inverse,
                  norm, s);
}

// fftshift (inverse = false) rolls by size / 2 along each axis; ifftshift by -(size / 2).
array shift_impl(const char* op, const array& a, const std::vector<int>& axes, bool inverse,
                 StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  Shape shifts;
  for (int ax : axes) {
    const int axis = detail::normalize_axis(op, ax, static_cast<int>(a.ndim()));
    const int shift = a.shape(axis) / 2;
    shifts.push_back(inverse ? -shift : shift);
  }
  return roll(a, shifts, axes, s);
}

}  // namespace

array fftn(const array& a, const Shape& n, const std::vector<int>& axes, FFTNorm norm,
           StreamOrDevice s) {
  return fft_impl("fftn", a, n, axes, Kind::c2c, false, norm, s);
}
array fftn(const array& a, const std::vector<int>& axes, FFTNorm norm, StreamOrDevice s) {
  return fft_impl("fftn", a, std::nullopt, axes, Kind::c2c, false, norm, s);
}
array fftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_all_axes("fftn", a, Kind::c2c, false, norm, s);
}

array ifftn(const array& a, const Shape& n, const std::vector<int>& axes, FFTNorm norm,
            StreamOrDevice s) {
  return fft_impl("ifftn", a, n, axes, Kind::c2c, true, norm, s);
}
array ifftn(const array& a, const std::vector<int>& axes, FFTNorm norm, StreamOrDevice s) {
  return fft_impl("ifftn", a, std::nullopt, axes, Kind::c2c, true, norm, s);
}
array ifftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_all_axes("ifftn", a, Kind::c2c, true, norm, s);
}

array rfftn(const array& a, const Shape& n, const std::vector<int>& axes, FFTNorm norm,
            StreamOrDevice s) {
  return fft_impl("rfftn", a, n, axes, Kind::r2c, false, norm, s);
}
array rfftn(const array& a, const std::vector<int>& axes, FFTNorm norm, StreamOrDevice s) {
  return fft_impl("rfftn", a, std::nullopt, axes, Kind::r2c, false, norm, s);
}
array rfftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_all_axes("rfftn", a, Kind::r2c, false, norm, s);
}

array irfftn(const array& a, const Shape& n, const std::vector<int>& axes, FFTNorm norm,
             StreamOrDevice s) {
  return fft_impl("irfftn", a, n, axes, Kind::c2r, true, norm, s);
}
array irfftn(const array& a, const std::vector<int>& axes, FFTNorm norm, StreamOrDevice s) {
  return fft_impl("irfftn", a, std::nullopt, axes, Kind::c2r, true, norm, s);
}
array irfftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_all_axes("irfftn", a, Kind::c2r, true, norm, s);
}

array fftfreq(int n, double d, StreamOrDevice s) {
  if (n <= 0) {
    invalid("fftfreq", "Invalid n; expected n > 0, got {}.", n);
  }
  if (d == 0.0) {
    invalid("fftfreq", "Invalid sample spacing; expected d != 0, got {}.", d);
  }
  auto freqs =
      concatenate({arange(0, (n + 1) / 2, float32, s), arange(-(n / 2), 0, float32, s)}, 0, s);
  const auto scale = static_cast<float>(1.0 / (static_cast<double>(n) * d));
  return multiply(freqs, array(scale, float32), s);
}

array rfftfreq(int n, double d, StreamOrDevice s) {
  if (n <= 0) {
    invalid("rfftfreq", "Invalid n; expected n > 0, got {}.", n);
  }
  if (d == 0.0) {
    invalid("rfftfreq", "Invalid sample spacing; expected d != 0, got {}.", d);
  }
  const auto scale = static_cast<float>(1.0 / (static_cast<double>(n) * d));
  return multiply(arange(0, n / 2 + 1, float32, s), array(scale, float32), s);
}

array fftshift(const array& a, StreamOrDevice s) {
  return shift_impl("fftshift", a, detail::all_axes(static_cast<int>(a.ndim())), false, s);
}
array fftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return shift_impl("fftshift", a, axes, false, s);
}
array ifftshift(const array& a, StreamOrDevice s) {
  return shift_impl("ifftshift", a, detail::all_axes(static_cast<int>(a.ndim())), true, s);
}
array ifftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return shift_impl("ifftshift", a, axes, true, s);
}

}  // namespace mlxcpp::fft
