// Discrete Fourier transforms with MLX's API (mlx/fft.h): complex (fft*),
// real-input (rfft*) and their inverses over one, two or n axes, plus the
// sample frequencies and the zero-frequency shifts.
//
// Transforms compute in complex64 / float32, as MLX's: real inputs of any
// dtype (float64 included) are cast to float32 for rfft*, and to complex64
// for fft* and ifft*. `n` gives the transform length per axis: the input is
// truncated or padded with zeros to it (for irfft*, the output length; the
// input is cut or padded to n / 2 + 1 along the last axis).
#pragma once

#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/stream.h"
#include "mlxcpp/core/utils.h"

namespace mlxcpp::fft {

/** Which direction is scaled: by 1/n on the inverse (Backward), by 1/sqrt(n) both ways
 *  (Ortho), or by 1/n on the forward transform (Forward). */
enum class FFTNorm {
  Backward,
  Ortho,
  Forward,
};

/** The n-dimensional DFT of a over axes (all axes by default), each of length n[i]. */
array fftn(const array& a, const Shape& n, const std::vector<int>& axes,
           FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});
array fftn(const array& a, const std::vector<int>& axes, FFTNorm norm = FFTNorm::Backward,
           StreamOrDevice s = {});
array fftn(const array& a, FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});

/** The n-dimensional inverse DFT of a over axes (all axes by default). */
array ifftn(const array& a, const Shape& n, const std::vector<int>& axes,
            FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});
array ifftn(const array& a, const std::vector<int>& axes, FFTNorm norm = FFTNorm::Backward,
            StreamOrDevice s = {});
array ifftn(const array& a, FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});

/** The one-dimensional DFT of a along axis, of length n. */
inline array fft(const array& a, int n, int axis, FFTNorm norm = FFTNorm::Backward,
                 StreamOrDevice s = {}) {
  return fftn(a, {n}, {axis}, norm, s);
}
inline array fft(const array& a, int axis = -1, FFTNorm norm = FFTNorm::Backward,
                 StreamOrDevice s = {}) {
  return fftn(a, {axis}, norm, s);
}

/** The one-dimensional inverse DFT of a along axis, of length n. */
inline array ifft(const array& a, int n, int axis, FFTNorm norm = FFTNorm::Backward,
                  StreamOrDevice s = {}) {
  return ifftn(a, {n}, {axis}, norm, s);
}
inline array ifft(const array& a, int axis = -1, FFTNorm norm = FFTNorm::Backward,
                  StreamOrDevice s = {}) {
  return ifftn(a, {axis}, norm, s);
}

/** The two-dimensional DFT of a over axes (the last two by default). */
inline array fft2(const array& a, const Shape& n, const std::vector<int>& axes,
                  FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {}) {
  return fftn(a, n, axes, norm, s);
}
inline array fft2(const array& a, const std::vector<int>& axes = {-2, -1},
                  FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {}) {
  return fftn(a, axes, norm, s);
}

/** The two-dimensional inverse DFT of a over axes (the last two by default). */
inline array ifft2(const array& a, const Shape& n, const std::vector<int>& axes,
                   FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {}) {
  return ifftn(a, n, axes, norm, s);
}
inline array ifft2(const array& a, const std::vector<int>& axes = {-2, -1},
                   FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {}) {
  return ifftn(a, axes, norm, s);
}

/** The n-dimensional DFT of a real input; the last axis keeps n / 2 + 1 frequencies. */
array rfftn(const array& a, const Shape& n, const std::vector<int>& axes,
            FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});
array rfftn(const array& a, const std::vector<int>& axes, FFTNorm norm = FFTNorm::Backward,
            StreamOrDevice s = {});
array rfftn(const array& a, FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});

/** The inverse of rfftn: a real output with n[i] values per axis (by default
 *  2 * (size - 1) along the last axis). */
array irfftn(const array& a, const Shape& n, const std::vector<int>& axes,
             FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});
array irfftn(const array& a, const std::vector<int>& axes, FFTNorm norm = FFTNorm::Backward,
             StreamOrDevice s = {});
array irfftn(const array& a, FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});

/** The one-dimensional DFT of a real input along axis: n / 2 + 1 frequencies. */
inline array rfft(const array& a, int n, int axis, FFTNorm norm = FFTNorm::Backward,
                  StreamOrDevice s = {}) {
  return rfftn(a, {n}, {axis}, norm, s);
}
inline array rfft(const array& a, int axis = -1, FFTNorm norm = FFTNorm::Backward,
                  StreamOrDevice s = {}) {
  return rfftn(a, {axis}, norm, s);
}

/** The inverse of rfft along axis: n real values (2 * (size - 1) by default). */
inline array irfft(const array& a, int n, int axis, FFTNorm norm = FFTNorm::Backward,
                   StreamOrDevice s = {}) {
  return irfftn(a, {n}, {axis}, norm, s);
}
inline array irfft(const array& a, int axis = -1, FFTNorm norm = FFTNorm::Backward,
                   StreamOrDevice s = {}) {
  return irfftn(a, {axis}, norm, s);
}

/** The two-dimensional DFT of a real input over axes (the last two by default). */
inline array rfft2(const array& a, const Shape& n, const std::vector<int>& axes,
                   FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {}) {
  return rfftn(a, n, axes, norm, s);
}
inline array rfft2(const array& a, const std::vector<int>& axes = {-2, -1},
                   FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {}) {
  return rfftn(a, axes, norm, s);
}

/** The inverse of rfft2 over axes (the last two by default). */
inline array irfft2(const array& a, const Shape& n, const std::vector<int>& axes,
                    FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {}) {
  return irfftn(a, n, axes, norm, s);
}
inline array irfft2(const array& a, const std::vector<int>& axes = {-2, -1},
                    FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {}) {
  return irfftn(a, axes, norm, s);
}

/** The sample frequencies of an n-point DFT with sample spacing d (float32):
 *  [0, 1, ..., (n - 1) / 2, -(n / 2), ..., -1] / (d * n). */
array fftfreq(int n, double d = 1.0, StreamOrDevice s = {});

/** The sample frequencies of an n-point rfft: [0, 1, ..., n / 2] / (d * n) (float32). */
array rfftfreq(int n, double d = 1.0, StreamOrDevice s = {});

/** a rolled so the zero frequency is at the centre: by size / 2 along every axis. */
array fftshift(const array& a, StreamOrDevice s = {});
array fftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});

/** The inverse of fftshift: a rolled by -(size / 2) along every (or each given) axis. */
array ifftshift(const array& a, StreamOrDevice s = {});
array ifftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});

}  // namespace mlxcpp::fft
