// Convolution on the CPU.
//
// Every problem is seen as a 3-D one (1-D and 2-D get leading unit axes). The
// output positions of each image and group are cut into tiles spread over the
// thread pool; a tile copies its input patches into a [rows, kernel * C_in/groups]
// matrix (im2col: padding and the zeros of input dilation become zeros there,
// flip reverses the taps) and multiplies it by the group's weight rows with one
// single-threaded GEMM that writes straight into the output. 1x1 convolutions
// read the input in place; depthwise ones (one input and one output channel per
// group) run as a direct loop vectorised over the channels. float16/bfloat16
// are converted to float32 while the patches are copied, and the results back.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "mlxcpp/backend/cpu/blas.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/allocator.h"
#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

using Axes = std::array<int64_t, 3>;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// The convolution as three spatial axes; the real ones are the last nd.
struct Geometry {
  int64_t batch = 0;
  int64_t channels = 0;      // C_in
  int64_t out_channels = 0;  // C_out
  int64_t groups = 1;
  int64_t cg = 0;  // input channels per group
  int64_t og = 0;  // output channels per group
  Axes in{1, 1, 1}, kernel{1, 1, 1}, out{1, 1, 1};
  Axes stride{1, 1, 1}, lo{0, 0, 0}, kdil{1, 1, 1}, idil{1, 1, 1};
  bool flip = false;

  static int64_t count(const Axes& a) { return a[0] * a[1] * a[2]; }
  int64_t positions() const { return count(out); }
  int64_t taps() const { return count(kernel); }
  int64_t patch() const { return taps() * cg; }
  // Element strides of the input's spatial axes within one image.
  Axes in_strides() const { return {in[1] * in[2] * channels, in[2] * channels, channels}; }
  int64_t image_size() const { return count(in) * channels; }
  // A 1x1 kernel over the unpadded, undilated input with stride 1: the input is the patches.
  bool pointwise() const {
    for (int a = 0; a < 3; ++a) {
      if (kernel[a] != 1 || stride[a] != 1 || lo[a] != 0 || idil[a] != 1 || out[a] != in[a]) {
        return false;
      }
    }
    return true;
  }
};

Geometry geometry_of(const array& x, const array& w, const array& out,
                     const std::vector<int>& stride, const std::vector<int>& lo,
                     const std::vector<int>& kdil, const std::vector<int>& idil, int groups,
                     bool flip) {
  Geometry g;
  const int nd = static_cast<int>(x.ndim()) - 2;
  g.batch = x.shape(0);
  g.channels = x.shape(-1);
  g.out_channels = w.shape(0);
  g.groups = groups;
  g.cg = w.shape(-1);
  g.og = g.out_channels / groups;
  g.flip = flip;
  for (int i = 0; i < nd; ++i) {
    const int a = 3 - nd + i;
    g.in[a] = x.shape(i + 1);
    g.kernel[a] = w.shape(i + 1);
    g.out[a] = out.shape(i + 1);
    g.stride[a] = stride[i];
    g.lo[a] = lo[i];
    g.kdil[a] = kdil[i];
    g.idil[a] = idil[i];
  }
  return g;
}

// The input index along each axis that each kernel tap of one output position reads, or
// -1 where the tap falls on padding or on a zero inserted by input dilation.
struct Taps {
  std::array<std::vector<int64_t>, 3> index;

  explicit Taps(const Geometry& g) {
    for (int a = 0; a < 3; ++a) {
      index[a].resize(g.kernel[a]);
    }
  }

  void set(const Geometry& g, const Axes& o) {
    for (int a = 0; a < 3; ++a) {
      const int64_t k_n = g.kernel[a];
      const int64_t base = o[a] * g.stride[a] - g.lo[a];
      for (int64_t k = 0; k < k_n; ++k) {
        const int64_t j = base + (g.flip ? k_n - 1 - k : k) * g.kdil[a];
        int64_t i = -1;
        if (j >= 0) {
          const int64_t q = g.idil[a] == 1 ? j : j / g.idil[a];
          if (q * g.idil[a] == j && q < g.in[a]) {
            i = q;
          }
        }
        index[a][k] = i;
      }
    }
  }
};

Axes unravel(const Geometry& g, int64_t m) {
  return {m / (g.out[1] * g.out[2]), (m / g.out[2]) % g.out[1], m % g.out[2]};
}

template <typename Tin, typename T>
inline void put(const Tin* src, int64_t n, T* dst) {
  if constexpr (std::is_same_v<Tin, T>) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      dst[i] = static_cast<T>(src[i]);
    }
  }
}

template <typename T>
inline void zero(int64_t n, T* dst) {
  std::fill(dst, dst + n, T(0));
}

// The patches of output positions [m0, m1) of one image (x points at its first channel of
// the group) as rows of cols, each laid out like a weight row: [taps..., cg].
template <typename Tin, typename T>
void im2col(const Geometry& g, const Tin* x, int64_t m0, int64_t m1, Taps& taps, T* cols) {
  const Axes xs = g.in_strides();
  const int64_t cg = g.cg;
  const int64_t k1 = g.kernel[1], k2 = g.kernel[2];
  // Taps along the innermost axis read one run of memory when nothing is skipped.
  const bool runs = g.kdil[2] == 1 && g.idil[2] == 1 && !g.flip && cg == g.channels;
  T* row = cols;
  for (int64_t m = m0; m < m1; ++m) {
    taps.set(g, unravel(g, m));
    const auto& t0 = taps.index[0];
    const auto& t1 = taps.index[1];
    const auto& t2 = taps.index[2];
    const bool whole_run = runs && t2.front() >= 0 && t2.back() >= 0;
    for (int64_t a = 0; a < g.kernel[0]; ++a) {
      if (t0[a] < 0) {
        zero(k1 * k2 * cg, row);
        row += k1 * k2 * cg;
        continue;
      }
      for (int64_t b = 0; b < k1; ++b) {
        if (t1[b] < 0) {
          zero(k2 * cg, row);
          row += k2 * cg;
          continue;
        }
        const Tin* base = x + t0[a] * xs[0] + t1[b] * xs[1];
        if (whole_run) {
          put(base + t2.front() * xs[2], k2 * cg, row);
          row += k2 * cg;
          continue;
        }
        for (int64_t c = 0; c < k2; ++c, row += cg) {
          if (t2[c] < 0) {
            zero(cg, row);
          } else {
            put(base + t2[c] * xs[2], cg, row);
          }
        }
      }
    }
  }
}

// Output rows per tile: the patches of a tile fill about 2 MiB (larger tiles measured
// faster than 512 KiB ones: fewer GEMM calls, each packing the weight once), and each
// image and group is cut into enough tiles to keep the pool busy.
int64_t tile_rows(const Geometry& g, int64_t itemsize) {
  const int64_t m = g.positions();
  const int64_t budget = (int64_t(1) << 21) / itemsize;
  int64_t rows = std::clamp<int64_t>(budget / std::max<int64_t>(g.patch(), 1), 16, 1024);
  const int64_t per_image = ceil_div(4 * cpu::num_threads(), g.batch * g.groups);
  rows = std::min(rows, std::max<int64_t>(16, ceil_div(m, per_image)));
  return std::clamp<int64_t>(rows, 1, std::max<int64_t>(m, 1));
}

// Runs chunk(begin, end) over [0, tasks): on the pool, or task by task (each then free to
// split its GEMM over the pool) when there are fewer tasks than threads.
template <typename Chunk>
void for_tasks(int64_t tasks, const Chunk& chunk) {
  if (tasks >= cpu::num_threads()) {
    cpu::parallel_for(tasks, 1, chunk);
  } else {
    for (int64_t t = 0; t < tasks; ++t) {
      chunk(t, t + 1);
    }
  }
}

// im2col + GEMM. T is the compute type (float or double); Tin the input's type. w holds
// the weight as T, [C_out, taps..., cg] row-major. A 1x1 convolution over the unpadded input
// with stride 1 needs no copy: its patches are the input's rows. (Overlapping patches
// cannot be read in place: BLAS requires lda >= K.)
template <typename Tin, typename T>
void conv_gemm(const Geometry& g, const Tin* x, const T* w, array& out) {
  constexpr bool same = std::is_same_v<Tin, T>;
  const int64_t m = g.positions();
  const int64_t kdim = g.patch();
  const int64_t c_out = g.out_channels;
  const int64_t rows_per_tile = tile_rows(g, sizeof(T));
  const int64_t tiles = ceil_div(m, rows_per_tile);
  const bool in_place = same && g.pointwise();
  auto tile = [&](int64_t task, std::vector<T>& cols, std::vector<T>& result, Taps& taps) {
    const int64_t n = task / (g.groups * tiles);
    const int64_t gi = (task / tiles) % g.groups;
    const int64_t m0 = (task % tiles) * rows_per_tile;
    const int64_t rows = std::min(m, m0 + rows_per_tile) - m0;
    const Tin* xg = x + n * g.image_size() + gi * g.cg;
    const T* a = nullptr;
    int64_t lda = kdim;
    if constexpr (same) {
      if (in_place) {
        a = xg + m0 * g.channels;
        lda = g.channels;
      }
    }
    if (a == nullptr) {
      cols.resize(static_cast<size_t>(rows * kdim));
      im2col(g, xg, m0, m0 + rows, taps, cols.data());
      a = cols.data();
    }
    const T* wg = w + gi * g.og * kdim;
    const int64_t first = (n * m + m0) * c_out + gi * g.og;  // output element of the tile
    if constexpr (same) {
      cpu::gemm(false, true, rows, g.og, kdim, T(1), a, lda, wg, kdim, T(0), out.data<T>() + first,
                c_out);
    } else {
      result.resize(static_cast<size_t>(rows * g.og));
      cpu::gemm(false, true, rows, g.og, kdim, T(1), a, lda, wg, kdim, T(0), result.data(), g.og);
      char* dst = out.data<char>() + first * static_cast<int64_t>(out.itemsize());
      cpu::copy_raw(result.data(), float32, {g.og, 1}, {ShapeElem(rows), ShapeElem(g.og)}, dst,
                    out.dtype(), {c_out, 1});
    }
  };
  for_tasks(g.batch * g.groups * tiles, [&](int64_t s, int64_t e) {
    std::vector<T> cols, result;
    Taps taps(g);
    for (int64_t task = s; task < e; ++task) {
      tile(task, cols, result, taps);
    }
  });
}

// Depthwise (cg = og = 1): out[.., c] = sum over taps of x[tap, c] * w[c, tap], vectorised
// over c with the weight transposed to [taps, C].
template <typename Tin, typename T>
void conv_depthwise(const Geometry& g, const Tin* x, const T* w, array& out) {
  const int64_t c_n = g.channels;
  const int64_t k_n = g.taps();
  const int64_t m = g.positions();
  std::vector<T> wt(static_cast<size_t>(k_n * c_n));
  for (int64_t c = 0; c < c_n; ++c) {
    for (int64_t k = 0; k < k_n; ++k) {
      wt[k * c_n + c] = w[c * k_n + k];
    }
  }
  const Axes xs = g.in_strides();
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(c_n * k_n, 1));
  cpu::parallel_for(g.batch * m, grain, [&](int64_t s, int64_t e) {
    std::vector<T> acc(static_cast<size_t>(c_n));
    Taps taps(g);
    for (int64_t r = s; r < e; ++r) {
      const Tin* xn = x + (r / m) * g.image_size();
      taps.set(g, unravel(g, r % m));
      std::fill(acc.begin(), acc.end(), T(0));
      const T* wk = wt.data();
      for (int64_t a = 0; a < g.kernel[0]; ++a) {
        for (int64_t b = 0; b < g.kernel[1]; ++b) {
          for (int64_t c = 0; c < g.kernel[2]; ++c, wk += c_n) {
            const int64_t i0 = taps.index[0][a], i1 = taps.index[1][b], i2 = taps.index[2][c];
            if (i0 < 0 || i1 < 0 || i2 < 0) {
              continue;
            }
            const Tin* xp = xn + i0 * xs[0] + i1 * xs[1] + i2 * xs[2];
            T* pa = acc.data();
            for (int64_t ch = 0; ch < c_n; ++ch) {
              pa[ch] += static_cast<T>(xp[ch]) * wk[ch];
            }
          }
        }
      }
      if constexpr (std::is_same_v<Tin, T>) {
        std::memcpy(out.data<T>() + r * c_n, acc.data(), static_cast<size_t>(c_n) * sizeof(T));
      } else {
        Tin* dst = out.data<Tin>() + r * c_n;
        for (int64_t ch = 0; ch < c_n; ++ch) {
          dst[ch] = static_cast<Tin>(acc[ch]);
        }
      }
    }
  });
}

template <typename Tin, typename T>
void run(const Geometry& g, const Tin* x, const T* w, array& out) {
  if (g.cg == 1 && g.og == 1) {
    conv_depthwise(g, x, w, out);
  } else {
    conv_gemm(g, x, w, out);
  }
}

// The weight of a half-precision convolution, in float32.
std::vector<float> weight_as_float(const array& w) {
  std::vector<float> f(w.size());
  cpu::copy_flat(w.data<void>(), w.dtype(), f.data(), float32, w.size());
  return f;
}

}  // namespace

void Convolution::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const array x = cpu::row_major(inputs[0]);
  const array w = cpu::row_major(inputs[1]);
  const Geometry g = geometry_of(x, w, out, kernel_strides_, padding_lo_, kernel_dilation_,
                                 input_dilation_, groups_, flip_);
  if (g.patch() == 0) {  // no input channels: every sum is empty
    std::memset(out.data<void>(), 0, out.nbytes());
    return;
  }
  switch (out.dtype()) {
    case Dtype::Val::float32:
      return run(g, x.data<float>(), w.data<float>(), out);
    case Dtype::Val::float64:
      return run(g, x.data<double>(), w.data<double>(), out);
    case Dtype::Val::float16:
      return run(g, x.data<float16_t>(), weight_as_float(w).data(), out);
    case Dtype::Val::bfloat16:
      return run(g, x.data<bfloat16_t>(), weight_as_float(w).data(), out);
    default:
      throw Unsupported("[conv] Not supported for " + std::string(dtype_name(out.dtype())) + ".");
  }
}

}  // namespace mlxcpp
