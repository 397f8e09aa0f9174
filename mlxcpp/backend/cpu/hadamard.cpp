// Hadamard: the Walsh-Hadamard transform along the last axis, for sizes
// n = m * 2^k with m in {1, 12, 20, 28}: H_n = H_m (x) H_(2^k), applied as an
// in-place butterfly over each contiguous 2^k block, then H_m across the m
// blocks, then the scale. The H_m are N. J. A. Sloane's (neilsloane.com/hadamard),
// the ones MLX uses, so results match MLX's. Half types are stored after each
// butterfly stage, as MLX does.
#include <array>
#include <string_view>
#include <vector>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/backend/cpu/update.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

// Rows of the Hadamard matrices of order 12, 20 and 28: '+' is 1, '-' is -1.
constexpr std::string_view kHadamard12[] = {
    "+-++++++++++", "--+-+-+-+-+-", "+++-++----++", "+---+--+-++-", "+++++-++----", "+-+---+--+-+",
    "++--+++-++--", "+--++---+--+", "++----+++-++", "+--+-++---+-", "++++----+++-", "+-+--+-++---"};

constexpr std::string_view kHadamard20[] = {
    "+----+----++--++-++-", "-+----+---+++---+-++", "--+----+---+++-+-+-+", "---+----+---+++++-+-",
    "----+----++--++-++-+", "-+++++-----+--+++--+", "+-+++-+---+-+--+++--", "++-++--+---+-+--+++-",
    "+++-+---+---+-+--+++", "++++-----++--+-+--++", "--++-+-++-+-----++++", "---++-+-++-+---+-+++",
    "+---++-+-+--+--++-++", "++---++-+----+-+++-+", "-++---++-+----+++++-", "-+--+--++-+----+----",
    "+-+-----++-+----+---", "-+-+-+---+--+----+--", "--+-+++------+----+-", "+--+--++------+----+"};

constexpr std::string_view kHadamard28[] = {
    "+------++----++-+--+-+--++--", "-+-----+++-----+-+--+-+--++-", "--+-----+++---+-+-+----+--++",
    "---+-----+++---+-+-+-+--+--+", "----+-----+++---+-+-+++--+--", "-----+-----++++--+-+--++--+-",
    "------++----++-+--+-+--++--+", "--++++-+-------++--+++-+--+-", "---++++-+-----+-++--+-+-+--+",
    "+---+++--+----++-++--+-+-+--", "++---++---+----++-++--+-+-+-", "+++---+----+----++-++--+-+-+",
    "++++--------+-+--++-++--+-+-", "-++++--------+++--++--+--+-+", "-+-++-++--++--+--------++++-",
    "+-+-++--+--++--+--------++++", "-+-+-++--+--++--+----+---+++", "+-+-+-++--+--+---+---++---++",
    "++-+-+-++--+------+--+++---+", "-++-+-+-++--+------+-++++---", "+-++-+---++--+------+-++++--",
    "-++--++-+-++-+++----++------", "+-++--++-+-++-+++-----+-----", "++-++---+-+-++-+++-----+----",
    "-++-++-+-+-+-+--+++-----+---", "--++-++++-+-+----+++-----+--", "+--++-+-++-+-+----+++-----+-",
    "++--++-+-++-+-+----++------+"};

const std::string_view* hadamard_rows(int m) {
  switch (m) {
    case 12:
      return kHadamard12;
    case 20:
      return kHadamard20;
    default:
      return kHadamard28;
  }
}

// In-place fast Walsh-Hadamard transform of each contiguous block of n (a power of two)
// values, the last stage scaled.
template <typename T, typename F>
void butterflies(T* data, int64_t blocks, int n, F scale) {
  for (int64_t b = 0; b < blocks; ++b) {
    T* x = data + b * n;
    for (int h = 1; h < n; h <<= 1) {
      const bool last = 2 * h == n;
      for (int i = 0; i < n; i += 2 * h) {
        for (int j = i; j < i + h; ++j) {
          const F u = static_cast<F>(x[j]);
          const F v = static_cast<F>(x[j + h]);
          x[j] = static_cast<T>(u + v);
          x[j + h] = static_cast<T>(u - v);
          if (last) {
            // Rounded before scaling (twice for half types), as MLX does.
            x[j] = static_cast<T>(static_cast<F>(x[j]) * scale);
            x[j + h] = static_cast<T>(static_cast<F>(x[j + h]) * scale);
          }
        }
      }
    }
  }
}

// Applies H_m (scaled) across the m blocks of n values of each group of m * n.
template <typename T, typename F>
void apply_small_matrix(T* data, int64_t groups, int n, int m, F scale) {
  const std::string_view* rows = hadamard_rows(m);
  std::vector<F> column(m);
  for (int64_t g = 0; g < groups; ++g) {
    T* x = data + g * n * m;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < m; ++j) {
        F acc = 0;
        for (int k = 0; k < m; ++k) {
          const F v = static_cast<F>(x[i + k * n]);
          acc = rows[j][k] == '+' ? acc + v : acc - v;
        }
        column[j] = acc;
      }
      for (int j = 0; j < m; ++j) {
        x[i + j * n] = static_cast<T>(column[j] * scale);
      }
    }
  }
}

template <typename T>
void hadamard_rows_of(T* data, int64_t rows, int len, double scale_in) {
  using F = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const F scale = static_cast<F>(scale_in);
  int m = 1;
  for (int candidate : {12, 20, 28}) {
    if ((len & (len - 1)) != 0 && len % candidate == 0) {
      m = candidate;
      break;
    }
  }
  const int n = len / m;
  const int64_t grain = std::max<int64_t>(1, (1 << 14) / len);
  cpu::parallel_for(rows, grain, [&](int64_t b, int64_t e) {
    T* x = data + b * len;
    butterflies<T, F>(x, (e - b) * m, n, m > 1 ? F(1) : scale);
    if (m > 1) {
      apply_small_matrix<T, F>(x, e - b, n, m, scale);
    }
  });
}

}  // namespace

void Hadamard::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_or_donate(inputs[0], out);
  const int len = out.shape(-1);
  const int64_t rows = static_cast<int64_t>(out.size()) / len;
  switch (out.dtype()) {
    case Dtype::Val::float32:
      return hadamard_rows_of(out.data<float>(), rows, len, scale_);
    case Dtype::Val::float64:
      return hadamard_rows_of(out.data<double>(), rows, len, scale_);
    case Dtype::Val::float16:
      return hadamard_rows_of(out.data<float16_t>(), rows, len, scale_);
    case Dtype::Val::bfloat16:
      return hadamard_rows_of(out.data<bfloat16_t>(), rows, len, scale_);
    default:
      throw std::invalid_argument("[hadamard_transform] Expected a floating point input.");
  }
}

}  // namespace mlxcpp
