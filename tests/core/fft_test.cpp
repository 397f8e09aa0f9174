// mlxcpp::fft against MLX's outputs (fixtures), a naive float64 DFT over many
// lengths, shapes, axes, n and norms, an independent float64 FFT at 2^20,
// round trips, shifts, frequencies and every argument check.
#include <nlohmann/json.hpp>

#include <complex>
#include <fstream>
#include <numbers>

#include "fixture_index.h"

namespace mlxcpp::test {
namespace {

using cd = std::complex<double>;
using fft::FFTNorm;

// ---------------------------------------------------------------- references

// The unnormalized DFT of x (sign -1), or with sign +1 when inverse, in float64.
std::vector<cd> naive_dft(const std::vector<cd>& x, bool inverse = false) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<cd> w(n);
  for (int64_t j = 0; j < n; ++j) {
    const double angle = 2.0 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(n);
    w[j] = cd(std::cos(angle), inverse ? std::sin(angle) : -std::sin(angle));
  }
  std::vector<cd> y(n);
  for (int64_t k = 0; k < n; ++k) {
    cd acc = 0;
    for (int64_t j = 0; j < n; ++j) {
      acc += x[j] * w[(j * k) % n];
    }
    y[k] = acc;
  }
  return y;
}

// Unnormalized DFT along one axis of row-major data of the given shape.
std::vector<cd> dft_axis(const std::vector<cd>& x, const Shape& shape, int axis, bool inverse) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) {
    outer *= shape[d];
  }
  for (size_t d = axis + 1; d < shape.size(); ++d) {
    inner *= shape[d];
  }
  const int64_t n = shape[axis];
  std::vector<cd> y(x.size());
  std::vector<cd> line(n);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t r = 0; r < inner; ++r) {
      for (int64_t i = 0; i < n; ++i) {
        line[i] = x[(o * n + i) * inner + r];
      }
      auto t = naive_dft(line, inverse);
      for (int64_t i = 0; i < n; ++i) {
        y[(o * n + i) * inner + r] = t[i];
      }
    }
  }
  return y;
}

// The n-dimensional DFT over axes (inverse: scaled by 1 / N).
std::vector<cd> dftn(std::vector<cd> x, const Shape& shape, const std::vector<int>& axes,
                     bool inverse) {
  double count = 1;
  for (int ax : axes) {
    x = dft_axis(x, shape, ax, inverse);
    count *= shape[ax];
  }
  if (inverse) {
    for (auto& v : x) {
      v /= count;
    }
  }
  return x;
}

// The real signal of length n whose spectrum is the Hermitian extension of half (n / 2 + 1
// values; imaginary parts of the zero and Nyquist bins ignored), scaled by 1 / n.
std::vector<double> naive_irfft(const std::vector<cd>& half, int64_t n) {
  std::vector<cd> full(n);
  full[0] = half[0].real();
  for (int64_t k = 1; k <= n / 2; ++k) {
    full[k] = half[k];
    full[n - k] = std::conj(half[k]);
  }
  if (n % 2 == 0) {
    full[n / 2] = half[n / 2].real();
  }
  auto x = naive_dft(full, true);
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) {
    out[i] = x[i].real() / static_cast<double>(n);
  }
  return out;
}

// An independent float64 radix-2 FFT (power-of-two n) with every twiddle from cos / sin.
std::vector<cd> radix2_fft(std::vector<cd> x) {
  const size_t n = x.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) {
      j ^= bit;
    }
    j ^= bit;
    if (i < j) {
      std::swap(x[i], x[j]);
    }
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    for (size_t k = 0; k < len / 2; ++k) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>(k) / len;
      const cd w(std::cos(angle), std::sin(angle));
      for (size_t i = 0; i < n; i += len) {
        const cd u = x[i + k];
        const cd v = x[i + k + len / 2] * w;
        x[i + k] = u + v;
        x[i + k + len / 2] = u - v;
      }
    }
  }
  return x;
}

// ---------------------------------------------------------------- helpers

std::vector<cd> random_complex(size_t n, uint32_t seed) {
  auto re = random_values(n, -1, 1, seed);
  auto im = random_values(n, -1, 1, seed + 1000);
  std::vector<cd> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = cd(re[i], im[i]);
  }
  return v;
}

std::vector<cd> to_cd(const std::vector<double>& v) {
  return std::vector<cd>(v.begin(), v.end());
}

// The values rounded to float, as the complex64 array the transform sees.
std::vector<cd> rounded(const std::vector<cd>& v) {
  std::vector<cd> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = cd(static_cast<float>(v[i].real()), static_cast<float>(v[i].imag()));
  }
  return out;
}
std::vector<double> rounded(const std::vector<double>& v) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = static_cast<float>(v[i]);
  }
  return out;
}

array complex_array(const std::vector<cd>& v, const Shape& shape) {
  std::vector<complex64_t> c(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    c[i] = complex64_t(static_cast<float>(v[i].real()), static_cast<float>(v[i].imag()));
  }
  return array(c.begin(), shape, complex64);
}

std::vector<cd> complex_values(const array& a) {
  auto c = values<complex64_t>(a);
  return std::vector<cd>(c.begin(), c.end());
}

// ||got - ref||_2 / ||ref||_2
double rel_err(const std::vector<cd>& got, const std::vector<cd>& ref) {
  EXPECT_EQ(got.size(), ref.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < std::min(got.size(), ref.size()); ++i) {
    num += std::norm(got[i] - ref[i]);
    den += std::norm(ref[i]);
  }
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}
double rel_err(const std::vector<double>& got, const std::vector<double>& ref) {
  return rel_err(to_cd(got), to_cd(ref));
}

// Relative L2 error allowed of a float32 transform against float64.
constexpr double kTol = 1e-5;
// The accuracy tests at 400 and 2^20 also hold a tighter bound (measured: about 2e-7), so a
// lost digit in a twiddle or butterfly constant shows.
constexpr double kTightTol = 1e-6;

const std::vector<int> kLengths = {1,  2,  3,   4,   5,   7,   8,    12,   17,   49,   59,  61,
                                   67, 97, 100, 128, 210, 400, 1000, 1001, 1009, 2018, 4096};

// ---------------------------------------------------------------- MLX fixtures

TEST(FFTFixtures, MatchMlx) {
  int checked = 0;
  for (std::string op : {"fft.fft", "fft.ifft", "fft.rfft", "fft.irfft"}) {
    for (auto& c : ops_cases(op)) {
      auto x = load(fixture("core/" + c["inputs"]["x"]["file"].get<std::string>()));
      auto y_ref = load(fixture("core/" + c["outputs"]["y"]["file"].get<std::string>()));
      const auto& n = c["args"]["n"];
      array y = x;
      if (op == "fft.fft") {
        y = n.is_null() ? fft::fft(x) : fft::fft(x, n.get<int>(), -1);
      } else if (op == "fft.ifft") {
        y = n.is_null() ? fft::ifft(x) : fft::ifft(x, n.get<int>(), -1);
      } else if (op == "fft.rfft") {
        y = n.is_null() ? fft::rfft(x) : fft::rfft(x, n.get<int>(), -1);
      } else {
        y = n.is_null() ? fft::irfft(x) : fft::irfft(x, n.get<int>(), -1);
      }
      ASSERT_EQ(y.shape(), y_ref.shape()) << c["id"];
      ASSERT_EQ(y.dtype(), y_ref.dtype()) << c["id"];
      const double atol = c["tolerance"]["atol"];
      if (y.dtype() == complex64) {
        auto got = complex_values(y);
        auto ref = complex_values(y_ref);
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_LE(std::abs(got[i].real() - ref[i].real()), atol) << c["id"] << " at " << i;
          EXPECT_LE(std::abs(got[i].imag() - ref[i].imag()), atol) << c["id"] << " at " << i;
        }
      } else {
        expect_close(y, values<double>(y_ref), atol);
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6);
}

// ---------------------------------------------------------------- exact small cases

void expect_complex(const array& a, const Shape& shape, const std::vector<cd>& expected,
                    double atol = 1e-6) {
  ASSERT_EQ(a.shape(), shape);
  ASSERT_EQ(a.dtype(), complex64);
  auto got = complex_values(a);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].real(), expected[i].real(), atol) << "at " << i;
    EXPECT_NEAR(got[i].imag(), expected[i].imag(), atol) << "at " << i;
  }
}

TEST(FFT, SmallExactValues) {
  expect_complex(fft::fft(array({1.0})), {1}, {{1, 0}});
  expect_complex(fft::ifft(array({complex64_t(1, 1)})), {1}, {{1, 1}});
  auto x = array({0.0f, 1.0f, 2.0f, 3.0f});
  expect_complex(fft::fft(x), {4}, {{6, 0}, {-2, 2}, {-2, 0}, {-2, -2}});
  expect_complex(fft::ifft(x), {4}, {{1.5, 0}, {-0.5, -0.5}, {-0.5, 0}, {-0.5, 0.5}});
  expect_complex(fft::rfft(x), {3}, {{6, 0}, {-2, 2}, {-2, 0}});
  auto c = array({complex64_t(1, 1), complex64_t(2, 1), complex64_t(1, 2), complex64_t(2, 2)});
  expect_complex(fft::fft(c), {4}, {{6, 6}, {-1, -1}, {-2, 0}, {1, -1}});
  // Along either axis of a 2-D array, and both.
  auto m = array({0.0f, 1.0f, 2.0f, 3.0f}, {2, 2});
  expect_complex(fft::fft(m, 0), {2, 2}, {{2, 0}, {4, 0}, {-2, 0}, {-2, 0}});
  expect_complex(fft::fft(m, 1), {2, 2}, {{1, 0}, {-1, 0}, {5, 0}, {-1, 0}});
  expect_complex(fft::fft2(m), {2, 2}, {{6, 0}, {-2, 0}, {-4, 0}, {0, 0}});
  expect_complex(fft::fftn(reshape(arange(8, float32), {2, 2, 2})), {2, 2, 2},
                 {{28, 0}, {-4, 0}, {-8, 0}, {0, 0}, {-16, 0}, {0, 0}, {0, 0}, {0, 0}});
  // irfft ignores the imaginary part of the zero frequency.
  auto y = fft::irfft(array({complex64_t(0, 1), complex64_t(1, 0)}));
  expect_values<float>(y, {2}, float32, {0.5f, -0.5f});
}

// ---------------------------------------------------------------- 1-D against naive DFT

TEST(FFT, ComplexAgainstNaiveDftForManyLengths) {
  for (int n : kLengths) {
    auto xv = rounded(random_complex(n, n));
    auto x = complex_array(xv, {n});
    EXPECT_LE(rel_err(complex_values(fft::fft(x)), naive_dft(xv)), kTol) << "fft n=" << n;
    auto inv = naive_dft(xv, true);
    for (auto& v : inv) {
      v /= n;
    }
    EXPECT_LE(rel_err(complex_values(fft::ifft(x)), inv), kTol) << "ifft n=" << n;
  }
}

TEST(FFT, RealAgainstNaiveDftForManyLengths) {
  for (int n : kLengths) {
    auto xv = rounded(random_values(n, -1, 1, 7 * n));
    auto y = fft::rfft(array(xv.begin(), {n}, float32));
    ASSERT_EQ(y.shape(), Shape{n / 2 + 1});
    auto ref = naive_dft(to_cd(xv));
    ref.resize(n / 2 + 1);
    EXPECT_LE(rel_err(complex_values(y), ref), kTol) << "rfft n=" << n;

    // irfft of an arbitrary half spectrum (not from a real signal), output length n.
    auto half = rounded(random_complex(n / 2 + 1, 3 * n));
    auto z = fft::irfft(complex_array(half, {n / 2 + 1}), n, 0);
    ASSERT_EQ(z.shape(), Shape{n});
    ASSERT_EQ(z.dtype(), float32);
    EXPECT_LE(rel_err(values<double>(z), naive_irfft(half, n)), kTol) << "irfft n=" << n;
  }
}

TEST(FFT, LargePrimeLengthSplitsOverThreads) {
  // 16411 is prime and long enough for the per-stage parallel path inside Bluestein.
  const int n = 16411;
  auto xv = rounded(random_complex(n, 5));
  auto y = complex_values(fft::fft(complex_array(xv, {n})));
  for (int k : {0, 1, 2, 777, 8205, 8206, 16410}) {
    cd ref = 0;
    for (int j = 0; j < n; ++j) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>((int64_t{j} * k) % n) / n;
      ref += xv[j] * cd(std::cos(angle), std::sin(angle));
    }
    EXPECT_LE(std::abs(y[k] - ref), 1e-5 * std::sqrt(static_cast<double>(n))) << "bin " << k;
  }
  auto back = complex_values(fft::ifft(fft::fft(complex_array(xv, {n}))));
  EXPECT_LE(rel_err(back, xv), kTol);
}

// ---------------------------------------------------------------- accuracy bound

TEST(FFT, Float32AccuracyAt400) {
  const int n = 400;
  auto xv = rounded(random_complex(n, 400));
  const double err = rel_err(complex_values(fft::fft(complex_array(xv, {n}))), naive_dft(xv));
  auto rv = rounded(random_values(n, -1, 1, 401));
  auto rref = naive_dft(to_cd(rv));
  rref.resize(n / 2 + 1);
  const double rerr = rel_err(complex_values(fft::rfft(array(rv.begin(), {n}, float32))), rref);
  std::cout << "[ fft n=400 ] relative L2 error: fft " << err << ", rfft " << rerr << "\n";
  RecordProperty("fft_400_rel_err", std::to_string(err));
  EXPECT_LE(err, kTightTol);
  EXPECT_LE(rerr, kTightTol);
  EXPECT_GT(err, 0.0);  // a float32 result cannot be exact; 0 would mean a float64 path
}

TEST(FFT, Float32AccuracyAt2To20) {
  const int n = 1 << 20;
  auto xv = rounded(random_complex(n, 20));
  auto ref = radix2_fft(xv);
  // The reference itself against a direct float64 DFT of a few bins.
  for (int k : {0, 1, 3, 4099, n / 2, n - 1}) {
    cd direct = 0;
    for (int j = 0; j < n; ++j) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>((int64_t{j} * k) % n) / n;
      direct += xv[j] * cd(std::cos(angle), std::sin(angle));
    }
    EXPECT_LE(std::abs(ref[k] - direct), 1e-8) << "reference bin " << k;
  }
  auto y = complex_values(fft::fft(complex_array(xv, {n})));
  const double err = rel_err(y, ref);

  std::vector<double> rv(n);
  for (int i = 0; i < n; ++i) {
    rv[i] = xv[i].real();
  }
  auto rref = radix2_fft(to_cd(rv));
  rref.resize(n / 2 + 1);
  const double rerr = rel_err(complex_values(fft::rfft(array(rv.begin(), {n}, float32))), rref);

  auto back = values<double>(fft::irfft(fft::rfft(array(rv.begin(), {n}, float32))));
  const double round_trip = rel_err(back, rv);
  std::cout << "[ fft n=2^20 ] relative L2 error: fft " << err << ", rfft " << rerr
            << ", irfft(rfft) " << round_trip << "\n";
  RecordProperty("fft_2e20_rel_err", std::to_string(err));
  EXPECT_LE(err, kTightTol);
  EXPECT_LE(rerr, kTightTol);
  EXPECT_LE(round_trip, kTightTol);
}

// ---------------------------------------------------------------- n, norm, dtypes

TEST(FFT, PadsAndTruncatesToN) {
  auto xv = rounded(random_complex(10, 1));
  auto x = complex_array(xv, {10});
  for (int n : {1, 4, 7, 10, 16, 25}) {
    std::vector<cd> padded(n, 0.0);
    std::copy_n(xv.begin(), std::min(n, 10), padded.begin());
    auto y = fft::fft(x, n, 0);
    ASSERT_EQ(y.shape(), Shape{n});
    EXPECT_LE(rel_err(complex_values(y), naive_dft(padded)), kTol) << n;

    std::vector<double> rpad(n, 0.0);
    for (int i = 0; i < std::min(n, 10); ++i) {
      rpad[i] = xv[i].real();
    }
    auto r = fft::rfft(real(x), n, -1);
    ASSERT_EQ(r.shape(), Shape{n / 2 + 1});
    auto rref = naive_dft(to_cd(rpad));
    rref.resize(n / 2 + 1);
    EXPECT_LE(rel_err(complex_values(r), rref), kTol) << n;

    // irfft: the input is cut or zero-padded to n / 2 + 1 frequencies.
    auto z = fft::irfft(x, n, 0);
    ASSERT_EQ(z.shape(), Shape{n});
    std::vector<cd> half(n / 2 + 1, 0.0);
    std::copy_n(xv.begin(), std::min<int>(n / 2 + 1, 10), half.begin());
    EXPECT_LE(rel_err(values<double>(z), naive_irfft(half, n)), kTol) << n;
  }
  // Default irfft length: 2 * (size - 1).
  EXPECT_EQ(fft::irfft(x).shape(), Shape{18});
  // The same n on a 2-D array along each axis.
  auto o = ones({5, 5});
  EXPECT_EQ(fft::fft(o, 7, 0).shape(), (Shape{7, 5}));
  EXPECT_EQ(fft::fft(o, 3, 1).shape(), (Shape{5, 3}));
  EXPECT_EQ(fft::rfft(o, 7, 0).shape(), (Shape{4, 5}));
  EXPECT_EQ(fft::rfft(o, 3, 1).shape(), (Shape{5, 2}));
}

TEST(FFT, Norms) {
  const int n = 12;
  auto xv = rounded(random_complex(n, 2));
  auto x = complex_array(xv, {n});
  auto f = naive_dft(xv);
  auto inv = naive_dft(xv, true);
  auto scaled = [](std::vector<cd> v, double s) {
    for (auto& e : v) {
      e *= s;
    }
    return v;
  };
  const double rn = std::sqrt(static_cast<double>(n));
  EXPECT_LE(rel_err(complex_values(fft::fft(x, -1, FFTNorm::Backward)), f), kTol);
  EXPECT_LE(rel_err(complex_values(fft::fft(x, -1, FFTNorm::Ortho)), scaled(f, 1 / rn)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::fft(x, -1, FFTNorm::Forward)), scaled(f, 1.0 / n)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::ifft(x, -1, FFTNorm::Backward)), scaled(inv, 1.0 / n)),
            kTol);
  EXPECT_LE(rel_err(complex_values(fft::ifft(x, -1, FFTNorm::Ortho)), scaled(inv, 1 / rn)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::ifft(x, -1, FFTNorm::Forward)), inv), kTol);

  std::vector<double> rv(n);
  for (int i = 0; i < n; ++i) {
    rv[i] = xv[i].real();
  }
  auto rf = naive_dft(to_cd(rv));
  rf.resize(n / 2 + 1);
  auto r = array(rv.begin(), {n}, float32);
  EXPECT_LE(rel_err(complex_values(fft::rfft(r, -1, FFTNorm::Ortho)), scaled(rf, 1 / rn)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::rfft(r, -1, FFTNorm::Forward)), scaled(rf, 1.0 / n)), kTol);
  // irfft(rfft(x)) with matching norms gives x back; Forward's inverse is unscaled.
  for (auto norm : {FFTNorm::Backward, FFTNorm::Ortho, FFTNorm::Forward}) {
    auto back = fft::irfft(fft::rfft(r, -1, norm), n, -1, norm);
    EXPECT_LE(rel_err(values<double>(back), rv), kTol);
  }
  auto half = std::vector<cd>(rf.begin(), rf.end());
  auto unscaled = naive_irfft(half, n);
  for (auto& v : unscaled) {
    v *= n;
  }
  EXPECT_LE(
      rel_err(values<double>(fft::irfft(complex_array(half, {n / 2 + 1}), n, 0, FFTNorm::Forward)),
              unscaled),
      kTol);
}

TEST(FFT, Dtypes) {
  // float64 and integer inputs compute in complex64, as MLX.
  auto d = array({1.0, 2.0, 3.0}, float64);
  EXPECT_EQ(fft::fft(d).dtype(), complex64);
  expect_complex(fft::fft(d), {3}, naive_dft({1.0, 2.0, 3.0}));
  EXPECT_EQ(fft::rfft(d).dtype(), complex64);
  expect_complex(fft::rfft(array({1, 2, 3, 4})), {3}, {{10, 0}, {-2, 2}, {-2, 0}});
  EXPECT_EQ(fft::ifft(array({1, 2}, int32)).dtype(), complex64);
  EXPECT_EQ(fft::rfft(array({1.0f, 2.0f}, float16)).dtype(), complex64);
  EXPECT_EQ(fft::rfft(array({true, false})).dtype(), complex64);
  // irfft takes real inputs too (as complex with zero imaginary parts).
  auto r = fft::irfft(array({4.0f, 0.0f, 0.0f}));
  expect_values<float>(r, {4}, float32, {1.0f, 1.0f, 1.0f, 1.0f});
  EXPECT_EQ(fft::irfftn(zeros({5, 5}, complex64)).shape(), (Shape{5, 8}));
  EXPECT_EQ(fft::rfft2(zeros({5, 5})).shape(), (Shape{5, 3}));
}

// ---------------------------------------------------------------- n-D, axes, layouts

TEST(FFT, NdAgainstNaiveForAxesCombinations) {
  const Shape shape{4, 6, 5};
  auto xv = rounded(random_complex(120, 9));
  auto x = complex_array(xv, shape);
  const std::vector<std::vector<int>> axes_sets = {
      {0}, {1}, {2}, {-1}, {-3}, {0, 1}, {1, 2}, {2, 0}, {-1, -2}, {0, 1, 2}, {2, 1, 0}};
  for (const auto& axes : axes_sets) {
    std::vector<int> pos;
    for (int a : axes) {
      pos.push_back(a < 0 ? a + 3 : a);
    }
    EXPECT_LE(rel_err(complex_values(fft::fftn(x, axes)), dftn(xv, shape, pos, false)), kTol);
    EXPECT_LE(rel_err(complex_values(fft::ifftn(x, axes)), dftn(xv, shape, pos, true)), kTol);
  }
  EXPECT_LE(rel_err(complex_values(fft::fftn(x)), dftn(xv, shape, {0, 1, 2}, false)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::ifftn(x)), dftn(xv, shape, {0, 1, 2}, true)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::fft2(x)), dftn(xv, shape, {1, 2}, false)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::ifft2(x)), dftn(xv, shape, {1, 2}, true)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::fft2(x, {0, 2})), dftn(xv, shape, {0, 2}, false)), kTol);
  // Explicit n per axis: pads axis 0 to 6, cuts axis 2 to 3.
  std::vector<cd> resized(6 * 6 * 3, 0.0);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 6; ++j) {
      for (int k = 0; k < 3; ++k) {
        resized[(i * 6 + j) * 3 + k] = xv[(i * 6 + j) * 5 + k];
      }
    }
  }
  auto y = fft::fftn(x, {6, 3}, {0, 2});
  ASSERT_EQ(y.shape(), (Shape{6, 6, 3}));
  EXPECT_LE(rel_err(complex_values(y), dftn(resized, {6, 6, 3}, {0, 2}, false)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::fft2(x, {6, 3}, {0, 2})),
                    dftn(resized, {6, 6, 3}, {0, 2}, false)),
            kTol);
}

// The first n / 2 + 1 entries along axis of row-major data.
std::vector<cd> keep_half(const std::vector<cd>& x, const Shape& shape, int axis, Shape& out) {
  out = shape;
  out[axis] = shape[axis] / 2 + 1;
  std::vector<cd> y;
  for (size_t i = 0; i < x.size(); ++i) {
    if (unravel(static_cast<int64_t>(i), shape)[axis] < out[axis]) {
      y.push_back(x[i]);
    }
  }
  return y;
}

TEST(FFT, RealNdAgainstNaive) {
  const Shape shape{4, 6, 5};
  auto rv = rounded(random_values(120, -1, 1, 11));
  auto x = array(rv.begin(), shape, float32);
  for (const std::vector<int>& axes :
       std::vector<std::vector<int>>{{2}, {0}, {1, 2}, {2, 1}, {0, 2}, {0, 1, 2}, {-1, 0}}) {
    std::vector<int> pos;
    for (int a : axes) {
      pos.push_back(a < 0 ? a + 3 : a);
    }
    Shape half_shape;
    auto ref = keep_half(dftn(to_cd(rv), shape, pos, false), shape, pos.back(), half_shape);
    auto y = fft::rfftn(x, axes);
    ASSERT_EQ(y.shape(), half_shape);
    EXPECT_LE(rel_err(complex_values(y), ref), kTol);

    // irfftn of that spectrum with the original lengths gives x back.
    Shape n;
    for (int a : pos) {
      n.push_back(shape[a]);
    }
    auto back = fft::irfftn(y, n, axes);
    ASSERT_EQ(back.shape(), shape);
    EXPECT_LE(rel_err(values<double>(back), rv), kTol);
  }
  Shape hs;
  auto ref2 = keep_half(dftn(to_cd(rv), shape, {1, 2}, false), shape, 2, hs);
  EXPECT_LE(rel_err(complex_values(fft::rfft2(x)), ref2), kTol);
  // Default shapes of the n-D real transforms, as MLX.
  auto a = reshape(arange(20, float32), {5, 4});
  EXPECT_EQ(fft::rfftn(a).shape(), (Shape{5, 3}));
  EXPECT_EQ(fft::rfftn(a, {1, 0}).shape(), (Shape{3, 4}));
  EXPECT_EQ(fft::irfftn(a).shape(), (Shape{5, 6}));
  EXPECT_EQ(fft::irfftn(a, {1, 0}).shape(), (Shape{8, 4}));
}

TEST(FFT, IrfftnOfArbitrarySpectrumAgainstNaive) {
  // Complex inverse over axis 0, then the Hermitian inverse along axis 1 (odd output, 7).
  const Shape in_shape{3, 4};
  auto zv = rounded(random_complex(12, 21));
  auto y = fft::irfftn(complex_array(zv, in_shape), {3, 7}, {0, 1});
  ASSERT_EQ(y.shape(), (Shape{3, 7}));
  auto mid = dft_axis(zv, in_shape, 0, true);
  std::vector<double> ref;
  for (int i = 0; i < 3; ++i) {
    std::vector<cd> half(mid.begin() + i * 4, mid.begin() + i * 4 + 4);
    for (double v : naive_irfft(half, 7)) {
      ref.push_back(v / 3.0);
    }
  }
  EXPECT_LE(rel_err(values<double>(y), ref), kTol);
  auto y2 = fft::irfft2(complex_array(zv, in_shape), {3, 6}, {0, 1});
  ASSERT_EQ(y2.shape(), (Shape{3, 6}));
}

TEST(FFT, StridedAndBroadcastInputs) {
  auto xv = rounded(random_complex(8 * 12, 31));
  auto x = complex_array(xv, {8, 12});
  // Transposed: same values as the contiguous copy, bit for bit.
  auto t = transpose(x);
  auto tc = contiguous(t);
  EXPECT_TRUE(array_equal(fft::fft(t), fft::fft(tc)).item<bool>());
  EXPECT_TRUE(array_equal(fft::fft(t, 0), fft::fft(tc, 0)).item<bool>());
  EXPECT_TRUE(array_equal(fft::fft2(t), fft::fft2(tc)).item<bool>());
  // Stepped slice against the naive reference on the selected values.
  auto s = slice(x, {1, 0}, {8, 12}, {2, 3});  // rows 1,3,5,7; columns 0,3,6,9
  ASSERT_EQ(s.shape(), (Shape{4, 4}));
  std::vector<cd> sv;
  for (int i = 1; i < 8; i += 2) {
    for (int j = 0; j < 12; j += 3) {
      sv.push_back(xv[i * 12 + j]);
    }
  }
  EXPECT_LE(rel_err(complex_values(fft::fft(s)), dftn(sv, {4, 4}, {1}, false)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::fft(s, 0)), dftn(sv, {4, 4}, {0}, false)), kTol);
  auto rs = real(s);
  std::vector<double> rsv;
  for (auto v : sv) {
    rsv.push_back(v.real());
  }
  Shape hs;
  EXPECT_LE(rel_err(complex_values(fft::rfft(rs, 0)),
                    keep_half(dftn(to_cd(rsv), {4, 4}, {0}, false), {4, 4}, 0, hs)),
            kTol);
  // A broadcast row: every row has the same spectrum.
  auto row = complex_array(std::vector<cd>(xv.begin(), xv.begin() + 12), {1, 12});
  auto b = broadcast_to(row, {5, 12});
  auto fb = complex_values(fft::fft(b));
  auto ref = naive_dft(std::vector<cd>(xv.begin(), xv.begin() + 12));
  for (int i = 0; i < 5; ++i) {
    EXPECT_LE(rel_err(std::vector<cd>(fb.begin() + i * 12, fb.begin() + (i + 1) * 12), ref), kTol);
  }
}

TEST(FFT, BatchesAlongEveryAxis) {
  // Many lines: the last axis (contiguous lines) and axis 0 (strided lines, inner = 37 is not
  // a multiple of the gather block).
  const int rows = 257, n = 400;
  auto rv = rounded(random_values(rows * n, -1, 1, 41));
  auto x = array(rv.begin(), {rows, n}, float32);
  auto y = complex_values(fft::rfft(x));
  double worst = 0;
  for (int r : {0, 1, 100, 255, 256}) {
    auto ref = naive_dft(to_cd(std::vector<double>(rv.begin() + r * n, rv.begin() + (r + 1) * n)));
    ref.resize(n / 2 + 1);
    worst = std::max(worst, rel_err(std::vector<cd>(y.begin() + r * (n / 2 + 1),
                                                    y.begin() + (r + 1) * (n / 2 + 1)),
                                    ref));
  }
  EXPECT_LE(worst, kTol);
  // Every row transformed, not only the sampled ones: Parseval per row.
  auto power_in = values<double>(sum(square(x), -1));
  auto spec = fft::fft(x);
  auto power_out = values<double>(sum(square(abs(spec)), -1));
  for (int r = 0; r < rows; ++r) {
    EXPECT_NEAR(power_out[r] / n, power_in[r], 1e-4 * power_in[r]) << "row " << r;
  }

  const Shape shape{24, 37};
  auto cv = rounded(random_complex(24 * 37, 43));
  auto c = complex_array(cv, shape);
  EXPECT_LE(rel_err(complex_values(fft::fft(c, 0)), dftn(cv, shape, {0}, false)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::ifft(c, 0)), dftn(cv, shape, {0}, true)), kTol);
  std::vector<double> cr;
  for (auto v : cv) {
    cr.push_back(v.real());
  }
  Shape hs;
  EXPECT_LE(rel_err(complex_values(fft::rfft(real(c), 0)),
                    keep_half(dftn(to_cd(cr), shape, {0}, false), shape, 0, hs)),
            kTol);
  auto back = fft::irfft(fft::rfft(real(c), 0), 24, 0);
  EXPECT_LE(rel_err(values<double>(back), cr), kTol);
}

TEST(FFT, EmptyArrays) {
  auto e = zeros({0, 4}, complex64);
  auto y = fft::fft(e);
  EXPECT_EQ(y.shape(), (Shape{0, 4}));
  EXPECT_EQ(values<complex64_t>(y).size(), 0u);
  EXPECT_EQ(fft::rfft(zeros({3, 0}), 0).shape(), (Shape{2, 0}));
  // A zero-length axis padded to n: the transform of zeros.
  expect_complex(fft::fft(zeros({0}), 4, 0), {4}, {0, 0, 0, 0});
}

// ---------------------------------------------------------------- round trips

TEST(FFT, RoundTrips) {
  for (int n : {1, 2, 3, 9, 16, 30, 97, 400, 1009}) {
    auto xv = rounded(random_complex(n, 50 + n));
    auto x = complex_array(xv, {n});
    EXPECT_LE(rel_err(complex_values(fft::ifft(fft::fft(x))), xv), kTol) << n;
    std::vector<double> rv(n);
    for (int i = 0; i < n; ++i) {
      rv[i] = xv[i].real();
    }
    auto r = array(rv.begin(), {n}, float32);
    EXPECT_LE(rel_err(values<double>(fft::irfft(fft::rfft(r), n, -1)), rv), kTol) << n;
  }
  auto mv = rounded(random_values(6 * 7 * 9, -1, 1, 60));
  auto m = array(mv.begin(), {6, 7, 9}, float32);
  EXPECT_LE(rel_err(values<double>(fft::irfftn(fft::rfftn(m), {6, 7, 9}, {0, 1, 2})), mv), kTol);
  EXPECT_LE(rel_err(values<double>(fft::irfft2(fft::rfft2(m), {7, 9}, {1, 2})), mv), kTol);
  EXPECT_LE(rel_err(complex_values(fft::ifftn(fft::fftn(m))), to_cd(mv)), kTol);
  EXPECT_LE(rel_err(complex_values(fft::ifft2(fft::fft2(m))), to_cd(mv)), kTol);
}

// ---------------------------------------------------------------- shifts and frequencies

TEST(FFT, ShiftsAsMlx) {
  expect_values<int>(fft::fftshift(arange(8)), {8}, int32, {4, 5, 6, 7, 0, 1, 2, 3});
  expect_values<int>(fft::fftshift(arange(7)), {7}, int32, {4, 5, 6, 0, 1, 2, 3});
  expect_values<int>(fft::ifftshift(arange(8)), {8}, int32, {4, 5, 6, 7, 0, 1, 2, 3});
  expect_values<int>(fft::ifftshift(arange(7)), {7}, int32, {3, 4, 5, 6, 0, 1, 2});
  auto x = reshape(arange(16), {4, 4});
  expect_values<int>(fft::fftshift(x), {4, 4}, int32,
                     {10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5});
  expect_values<int>(fft::ifftshift(x), {4, 4}, int32,
                     {10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5});
  expect_values<int>(fft::fftshift(x, {0}), {4, 4}, int32,
                     {8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
  expect_values<int>(fft::fftshift(x, {-1}), {4, 4}, int32,
                     {2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13});
  auto y = reshape(arange(15), {3, 5});
  expect_values<int>(fft::ifftshift(fft::fftshift(y)), {3, 5}, int32, values<int>(y));
  expect_values<int>(fft::fftshift(y, {1}), {3, 5}, int32,
                     {3, 4, 0, 1, 2, 8, 9, 5, 6, 7, 13, 14, 10, 11, 12});
  // A 0-d array and an empty axis list are returned as they are.
  expect_values<float>(fft::fftshift(array(2.5f)), {}, float32, {2.5f});
  expect_values<int>(fft::fftshift(x, std::vector<int>{}), {4, 4}, int32, values<int>(x));
}

TEST(FFT, Frequencies) {
  expect_close(fft::fftfreq(5), {0.0, 0.2, 0.4, -0.4, -0.2}, 1e-7);
  expect_close(fft::fftfreq(4, 0.5), {0.0, 0.5, -1.0, -0.5}, 1e-7);
  expect_close(fft::rfftfreq(5), {0.0, 0.2, 0.4}, 1e-7);
  expect_close(fft::rfftfreq(4, 0.25), {0.0, 1.0, 2.0}, 1e-7);
  EXPECT_EQ(fft::fftfreq(1).dtype(), float32);
}

// ---------------------------------------------------------------- argument checks

TEST(FFT, ValidationErrors) {
  auto x = zeros({5, 5, 5});
  // A 0-d input.
  EXPECT_THROW(fft::fft(array(1.0f)), std::invalid_argument);
  expect_invalid([] { fft::irfft(array(complex64_t(1, 1))); }, "at least one dimension");
  // An axis out of range, either sign.
  expect_invalid([&] { fft::fftn(x, std::vector<int>{0, 3}); }, "Invalid axis 3");
  expect_invalid([&] { fft::fftn(x, {5, 5}, {0, -4}); }, "Invalid axis -4");
  expect_invalid([&] { fft::fft(x, 3); }, "Invalid axis 3");
  // Duplicate axes, also when written differently.
  expect_invalid([&] { fft::fftn(x, {5, 5}, {0, 0}); }, "Duplicate axes");
  expect_invalid([&] { fft::rfftn(x, std::vector<int>{1, -2}); }, "Duplicate axes");
  // n and axes of different sizes.
  expect_invalid([&] { fft::fftn(x, {5, 5, 5}, {0}); }, "different sizes");
  expect_invalid([&] { fft::fftn(x, {}, {0, 1}); }, "different sizes");
  // n <= 0, given or implied (irfft of one frequency gives n = 0).
  expect_invalid([&] { fft::fft(x, 0, 0); }, "expected every n > 0, got (0)");
  expect_invalid([&] { fft::fftn(x, {1, -1}, {0, 1}); }, "got (1,-1)");
  expect_invalid([] { fft::irfft(zeros({3, 1}, complex64)); }, "got (0)");
  // A complex input to a real transform.
  expect_invalid([] { fft::rfft(zeros({4}, complex64)); }, "Expected a real input");
  expect_invalid([] { fft::rfftn(zeros({4, 4}, complex64)); }, "Expected a real input");
  // Shifts along an axis out of range.
  expect_invalid([&] { fft::fftshift(x, {3}); }, "[fftshift] Invalid axis 3");
  expect_invalid([&] { fft::ifftshift(x, {-4}); }, "[ifftshift] Invalid axis -4");
  // Frequencies need n > 0 and d != 0.
  expect_invalid([] { fft::fftfreq(0); }, "expected n > 0, got 0");
  expect_invalid([] { fft::fftfreq(4, 0.0); }, "expected d != 0");
  expect_invalid([] { fft::rfftfreq(-1); }, "expected n > 0, got -1");
  expect_invalid([] { fft::rfftfreq(4, 0.0); }, "expected d != 0");
  // Messages name the op.
  expect_invalid([&] { fft::fft(x, 0, 1); }, "[fftn] ");
  expect_invalid([&] { fft::irfft2(x, {4, 0}, {0, 1}); }, "[irfftn] ");
  // An empty axis list is a no-op (the input itself, not even cast).
  EXPECT_EQ(fft::fftn(x, std::vector<int>{}).dtype(), float32);
}

}  // namespace
}  // namespace mlxcpp::test
