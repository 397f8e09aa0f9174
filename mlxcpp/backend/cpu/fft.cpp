// The FFT kernel: complex-to-complex, real-to-complex and complex-to-real
// transforms of any length along any axes.
//
// One transform is a Stockham (self-sorting, out-of-place) mixed-radix
// Cooley-Tukey FFT with radix 8, 4, 2, 3, 5 butterflies and a direct butterfly
// for other primes up to kMaxDirectRadix; lengths with a larger prime factor
// go through Bluestein's chirp-z algorithm, a convolution done with a smooth
// length FFT. Twiddles are computed in double (from one octant of the unit
// circle, so they are exact to rounding) and stored as float: the float32
// result stays within a few 1e-7 (relative L2) of a float64 transform.
//
// Only forward transforms are written out: an inverse is conj(F(conj(x))).
// Real transforms of even length run a complex FFT of half the length on the
// samples paired as (even, odd) and split the result. A plan is built per
// evaluation (its cost is a small fraction of one transform) and shared,
// read-only, by the threads that transform the lines of a batch.
#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <utility>
#include <vector>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

using cf = std::complex<float>;
using cd = std::complex<double>;

// Larger prime factors cost O(p) per point in a direct butterfly; Bluestein is cheaper.
constexpr int64_t kMaxDirectRadix = 61;
// Single transforms at least this long split each stage over the thread pool.
constexpr int64_t kParallelStageLength = 1 << 14;

// std::complex's operator* checks for NaN/inf operands in a slow library call.
inline cf cmul(cf a, cf b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
inline cf mul_neg_i(cf a) {
  return {a.imag(), -a.real()};
}
inline cf to_cf(cd v) {
  return {static_cast<float>(v.real()), static_cast<float>(v.imag())};
}

inline cd cmul(cd a, cd b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// w_n^j = (*table)[j * stride]
using RootTable = std::shared_ptr<const std::vector<cf>>;

// exp(-2 pi i j / n) for j in [0, n), each computed in double and rounded once to float. A
// root is the product of a coarse and a fine one (about 2 sqrt(n) sin/cos calls in all);
// when 8 divides n only the first octant is computed and the rest is reflected, which is
// cheaper still and makes the table exactly symmetric.
RootTable unit_roots(int64_t n) {
  auto table = std::make_shared<std::vector<cf>>(n);
  std::vector<cf>& w = *table;
  const bool octant = n % 8 == 0;
  const int64_t count = octant ? n / 8 + 1 : n;
  const auto block = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(count))));
  const double step = 2.0 * std::numbers::pi / static_cast<double>(n);
  auto root = [&](int64_t j) {
    const double angle = step * static_cast<double>(j);
    return cd(std::cos(angle), -std::sin(angle));
  };
  std::vector<cd> fine(block);
  std::vector<cd> coarse((count + block - 1) / block);
  for (int64_t b = 0; b < block; ++b) {
    fine[b] = root(b);
  }
  for (int64_t a = 0; a < static_cast<int64_t>(coarse.size()); ++a) {
    coarse[a] = root(a * block);
  }
  for (int64_t j = 0; j < count; ++j) {
    w[j] = to_cf(cmul(coarse[j / block], fine[j % block]));
  }
  if (octant) {
    const int64_t quarter = n / 4;
    const int64_t half = n / 2;
    for (int64_t j = n / 8 + 1; j <= quarter; ++j) {  // cos(pi/2 - t) = sin(t)
      w[j] = cf(-w[quarter - j].imag(), -w[quarter - j].real());
    }
    for (int64_t j = quarter + 1; j <= half; ++j) {  // cos(pi - t) = -cos(t)
      w[j] = cf(-w[half - j].real(), w[half - j].imag());
    }
    for (int64_t j = half + 1; j < n; ++j) {  // exp(-i (2 pi - t)) = conj(exp(-i t))
      w[j] = std::conj(w[n - j]);
    }
  }
  return table;
}

// One Stockham pass: n_cur = radix * m points at stride s, s = product of earlier radices.
struct Stage {
  int radix;
  int64_t m;
  int64_t s;
  int64_t tw_step;      // w_{n_cur}^e is roots[e * tw_step]
  std::vector<cf> dft;  // generic radices: w_radix^r, r in [0, radix)
};

// A forward complex FFT of one length.
struct Plan {
  int64_t n = 1;
  RootTable roots;
  int64_t root_stride = 1;
  std::vector<Stage> stages;
  // Bluestein: the chirp exp(-i pi k^2 / n), the transformed filter (scaled by 1 / m) and
  // the plan of the convolution length m.
  std::unique_ptr<Plan> conv;
  int64_t m = 0;
  std::vector<cf> chirp;
  std::vector<cf> filter;

  /** Scratch elements forward() needs besides the data. */
  int64_t scratch_size() const { return conv ? 2 * m : n; }
};

/** The forward DFT of data (plan.n points); scratch holds plan.scratch_size() points.
 *  Returns where the result is: data or scratch. */
cf* forward(const Plan& plan, cf* data, cf* scratch, bool parallel);

std::vector<int> factorize(int64_t n) {
  std::vector<int> radices;
  while (n % 8 == 0) {
    radices.push_back(8);
    n /= 8;
  }
  while (n % 4 == 0) {
    radices.push_back(4);
    n /= 4;
  }
  for (int p : {2, 3, 5}) {
    while (n % p == 0) {
      radices.push_back(p);
      n /= p;
    }
  }
  for (int64_t p = 7; p * p <= n; p += 2) {
    while (n % p == 0) {
      radices.push_back(static_cast<int>(p));
      n /= p;
    }
  }
  if (n > 1) {
    radices.push_back(n > kMaxDirectRadix ? 0 : static_cast<int>(n));  // 0: too large
  }
  return radices;
}

// The smallest 2^a 3^b 5^c >= target.
int64_t smooth_length(int64_t target) {
  int64_t best = int64_t{1} << 62;
  for (int64_t p5 = 1; p5 < best; p5 *= 5) {
    for (int64_t p35 = p5; p35 < best; p35 *= 3) {
      int64_t v = p35;
      while (v < target) {
        v *= 2;
      }
      best = std::min(best, v);
    }
  }
  return best;
}

// roots, when given, is a table of w_N^j for an N that n divides, read with the given stride
// (N / n); otherwise the plan builds its own.
std::unique_ptr<Plan> make_plan(int64_t n, RootTable roots = nullptr, int64_t stride = 1);

void build_bluestein(Plan& plan) {
  const int64_t n = plan.n;
  plan.m = smooth_length(2 * n - 1);
  plan.conv = make_plan(plan.m);
  // exp(-i pi k^2 / n) = w_{2n}^(k^2 mod 2n); reducing k^2 first keeps the angle exact.
  const auto roots = unit_roots(2 * n);
  plan.chirp.resize(n);
  for (int64_t k = 0; k < n; ++k) {
    const auto e =
        (static_cast<uint64_t>(k) * static_cast<uint64_t>(k)) % static_cast<uint64_t>(2 * n);
    plan.chirp[k] = (*roots)[e];
  }
  // The filter b[k] = conj(chirp[|k|]) wrapped around length m, transformed once.
  std::vector<cf> b(plan.m, cf(0.0f, 0.0f));
  for (int64_t k = 0; k < n; ++k) {
    b[k] = std::conj(plan.chirp[k]);
    if (k > 0) {
      b[plan.m - k] = b[k];
    }
  }
  std::vector<cf> scratch(plan.conv->scratch_size());
  const cf* spectrum = forward(*plan.conv, b.data(), scratch.data(), false);
  const float inv_m = 1.0f / static_cast<float>(plan.m);
  plan.filter.resize(plan.m);
  for (int64_t k = 0; k < plan.m; ++k) {
    plan.filter[k] = spectrum[k] * inv_m;
  }
}

std::unique_ptr<Plan> make_plan(int64_t n, RootTable roots, int64_t stride) {
  auto plan = std::make_unique<Plan>();
  plan->n = n;
  if (n == 1) {
    return plan;
  }
  const auto radices = factorize(n);
  if (radices.back() == 0) {
    build_bluestein(*plan);
    return plan;
  }
  if (!roots) {
    roots = unit_roots(n);
    stride = 1;
  }
  int64_t n_cur = n;
  int64_t s = 1;
  for (int p : radices) {
    // w_{n_cur}^e = w_n^(e * n / n_cur); twiddle exponents stay below n_cur.
    Stage st{p, n_cur / p, s, (n / n_cur) * stride, {}};
    if (p != 2 && p != 3 && p != 4 && p != 5 && p != 8) {
      st.dft.resize(p);
      for (int r = 0; r < p; ++r) {
        st.dft[r] = (*roots)[r * (n / p) * stride];
      }
    }
    plan->stages.push_back(std::move(st));
    n_cur /= p;
    s *= p;
  }
  plan->roots = std::move(roots);
  plan->root_stride = stride;
  return plan;
}

// In-place forward DFTs of 2, 3, 4, 8, 5 and any odd prime number of points.
inline void butterfly2(cf* a) {
  const cf t = a[0];
  a[0] = t + a[1];
  a[1] = t - a[1];
}

inline void butterfly3(cf* a) {
  constexpr float half_sqrt3 = 0.866025403784438646763723170752936183f;
  const cf sum = a[1] + a[2];
  const cf t = a[0] - 0.5f * sum;
  const cf u = mul_neg_i(a[1] - a[2]) * half_sqrt3;
  a[0] = a[0] + sum;
  a[1] = t + u;
  a[2] = t - u;
}

inline void butterfly4(cf* a) {
  const cf t0 = a[0] + a[2];
  const cf t1 = a[0] - a[2];
  const cf t2 = a[1] + a[3];
  const cf t3 = mul_neg_i(a[1] - a[3]);
  a[0] = t0 + t2;
  a[1] = t1 + t3;
  a[2] = t0 - t2;
  a[3] = t1 - t3;
}

// Radix 2 x 4: DFT_4 of the sums a[j] + a[j + 4] gives the even outputs, DFT_4 of the
// differences times w_8^j the odd ones.
inline void butterfly8(cf* a) {
  constexpr float r = 0.707106781186547524400844362104849039f;  // 1 / sqrt(2)
  cf t[4], u[4];
  for (int j = 0; j < 4; ++j) {
    t[j] = a[j] + a[j + 4];
    u[j] = a[j] - a[j + 4];
  }
  u[1] = cf(r * (u[1].real() + u[1].imag()), r * (u[1].imag() - u[1].real()));  // * (1 - i) / sqrt2
  u[2] = mul_neg_i(u[2]);                                                       // * -i
  u[3] =
      cf(r * (u[3].imag() - u[3].real()), -r * (u[3].real() + u[3].imag()));  // * (-1 - i) / sqrt2
  butterfly4(t);
  butterfly4(u);
  for (int k = 0; k < 4; ++k) {
    a[2 * k] = t[k];
    a[2 * k + 1] = u[k];
  }
}

inline void butterfly5(cf* a) {
  constexpr float c1 = 0.309016994374947424102293417182819059f;   // cos(2 pi / 5)
  constexpr float c2 = -0.809016994374947424102293417182819059f;  // cos(4 pi / 5)
  constexpr float s1 = 0.951056516295153572116439333379382143f;   // sin(2 pi / 5)
  constexpr float s2 = 0.587785252292473129168705954639072769f;   // sin(4 pi / 5)
  const cf s14 = a[1] + a[4];
  const cf d14 = a[1] - a[4];
  const cf s23 = a[2] + a[3];
  const cf d23 = a[2] - a[3];
  const cf r1 = a[0] + c1 * s14 + c2 * s23;
  const cf r2 = a[0] + c2 * s14 + c1 * s23;
  const cf i1 = mul_neg_i(s1 * d14 + s2 * d23);
  const cf i2 = mul_neg_i(s2 * d14 - s1 * d23);
  a[0] = a[0] + s14 + s23;
  a[1] = r1 + i1;
  a[4] = r1 - i1;
  a[2] = r2 + i2;
  a[3] = r2 - i2;
}

void butterfly_generic(cf* a, int p, const cf* roots) {
  cf b[kMaxDirectRadix];
  for (int k = 0; k < p; ++k) {
    cf acc = a[0];
    int r = 0;
    for (int j = 1; j < p; ++j) {
      r += k;
      r -= r >= p ? p : 0;
      acc += cmul(a[j], roots[r]);
    }
    b[k] = acc;
  }
  std::copy(b, b + p, a);
}

// The pass over butterflies pp in [pp0, pp1), q in [q0, q1): y[q + s (P pp + k)] =
// w^(pp k) DFT_P(x[q + s (pp + j m)])[k].
template <int P>
void run_stage(const Stage& st, const cf* roots, const cf* __restrict x, cf* __restrict y,
               int64_t pp0, int64_t pp1, int64_t q0, int64_t q1) {
  const int p = P > 0 ? P : st.radix;
  const int64_t m = st.m;
  const int64_t s = st.s;
  cf a[P > 0 ? P : kMaxDirectRadix];
  cf tw[P > 0 ? P : kMaxDirectRadix];
  for (int64_t pp = pp0; pp < pp1; ++pp) {
    const int64_t base = pp * st.tw_step;
    for (int k = 1; k < p; ++k) {
      tw[k] = roots[k * base];
    }
    for (int64_t q = q0; q < q1; ++q) {
      for (int j = 0; j < p; ++j) {
        a[j] = x[q + s * (pp + j * m)];
      }
      if constexpr (P == 2) {
        butterfly2(a);
      } else if constexpr (P == 3) {
        butterfly3(a);
      } else if constexpr (P == 4) {
        butterfly4(a);
      } else if constexpr (P == 5) {
        butterfly5(a);
      } else if constexpr (P == 8) {
        butterfly8(a);
      } else {
        butterfly_generic(a, p, st.dft.data());
      }
      cf* out = y + q + s * p * pp;
      out[0] = a[0];
      for (int k = 1; k < p; ++k) {
        out[s * k] = cmul(a[k], tw[k]);
      }
    }
  }
}

void run_stage_range(const Stage& st, const cf* roots, const cf* x, cf* y, int64_t pp0, int64_t pp1,
                     int64_t q0, int64_t q1) {
  switch (st.radix) {
    case 2:
      return run_stage<2>(st, roots, x, y, pp0, pp1, q0, q1);
    case 3:
      return run_stage<3>(st, roots, x, y, pp0, pp1, q0, q1);
    case 4:
      return run_stage<4>(st, roots, x, y, pp0, pp1, q0, q1);
    case 5:
      return run_stage<5>(st, roots, x, y, pp0, pp1, q0, q1);
    case 8:
      return run_stage<8>(st, roots, x, y, pp0, pp1, q0, q1);
    default:
      return run_stage<0>(st, roots, x, y, pp0, pp1, q0, q1);
  }
}

// Splits a stage over the pool along pp (early stages, m large) or q (late stages).
void run_stage_parallel(const Stage& st, const cf* roots, const cf* x, cf* y) {
  constexpr int64_t min_butterflies = 2048;
  if (st.m >= 2 * cpu::num_threads()) {
    cpu::parallel_for(
        st.m, std::max<int64_t>(1, min_butterflies / st.s),
        [&](int64_t b, int64_t e) { run_stage_range(st, roots, x, y, b, e, 0, st.s); });
  } else {
    cpu::parallel_for(
        st.s, std::max<int64_t>(1, min_butterflies / st.m),
        [&](int64_t b, int64_t e) { run_stage_range(st, roots, x, y, 0, st.m, b, e); });
  }
}

cf* forward(const Plan& plan, cf* data, cf* scratch, bool parallel) {
  if (plan.conv) {
    const int64_t n = plan.n;
    const int64_t m = plan.m;
    cf* a = scratch;
    cf* work = scratch + m;
    for (int64_t k = 0; k < n; ++k) {
      a[k] = cmul(data[k], plan.chirp[k]);
    }
    std::fill(a + n, a + m, cf(0.0f, 0.0f));
    cf* spec = forward(*plan.conv, a, work, parallel);
    // Multiply by the filter's spectrum and transform back (inverse = conj F conj).
    for (int64_t k = 0; k < m; ++k) {
      spec[k] = std::conj(cmul(spec[k], plan.filter[k]));
    }
    cf* other = spec == a ? work : a;
    const cf* conv = forward(*plan.conv, spec, other, parallel);
    for (int64_t k = 0; k < n; ++k) {
      data[k] = cmul(std::conj(conv[k]), plan.chirp[k]);
    }
    return data;
  }
  cf* x = data;
  cf* y = scratch;
  const cf* roots = plan.roots ? plan.roots->data() : nullptr;
  for (const auto& st : plan.stages) {
    if (parallel) {
      run_stage_parallel(st, roots, x, y);
    } else {
      run_stage_range(st, roots, x, y, 0, st.m, 0, st.s);
    }
    std::swap(x, y);
  }
  return x;
}

// A real transform of length n: a complex FFT of n / 2 points on (even, odd) sample pairs
// when n is even, else one of n points.
struct RealPlan {
  int64_t n;
  bool packed;
  RootTable roots;  // packed: w_n^j, shared with the half-length plan
  std::unique_ptr<Plan> plan;

  explicit RealPlan(int64_t n_) : n(n_), packed(n_ % 2 == 0) {
    if (packed) {
      roots = unit_roots(n);
      plan = make_plan(n / 2, roots, 2);
    } else {
      plan = make_plan(n);
    }
  }
  /** Scratch points one line needs (data + the plan's scratch). */
  int64_t scratch_size() const { return plan->n + plan->scratch_size(); }
};

// Complex lines: out = scale * F(in), or scale * conj(F(conj(in))) when inverse.
struct C2C {
  const Plan& plan;
  bool inverse;
  float scale;
  bool parallel;

  int64_t scratch_size() const { return plan.n + plan.scratch_size(); }
  void operator()(const cf* in, cf* out, cf* scratch) const {
    const int64_t n = plan.n;
    cf* data = scratch;
    for (int64_t i = 0; i < n; ++i) {
      data[i] = inverse ? std::conj(in[i]) : in[i];
    }
    const cf* res = forward(plan, data, scratch + n, parallel);
    for (int64_t i = 0; i < n; ++i) {
      const cf v = inverse ? std::conj(res[i]) : res[i];
      out[i] = scale == 1.0f ? v : v * scale;
    }
  }
};

// Real lines of n samples to their n / 2 + 1 lowest frequencies.
struct R2C {
  const RealPlan& rp;
  bool parallel;

  int64_t scratch_size() const { return rp.scratch_size(); }
  void operator()(const float* in, cf* out, cf* scratch) const {
    const int64_t n = rp.n;
    cf* data = scratch;
    if (!rp.packed) {
      for (int64_t i = 0; i < n; ++i) {
        data[i] = cf(in[i], 0.0f);
      }
      const cf* res = forward(*rp.plan, data, scratch + n, parallel);
      std::copy(res, res + n / 2 + 1, out);
      return;
    }
    const int64_t h = n / 2;
    for (int64_t i = 0; i < h; ++i) {
      data[i] = cf(in[2 * i], in[2 * i + 1]);
    }
    const cf* z = forward(*rp.plan, data, scratch + h, parallel);
    const cf* w = rp.roots->data();
    // Z = E + i O with E, O the spectra of the even and odd samples; X[k] = E[k] + w^k O[k].
    for (int64_t k = 0; k <= h; ++k) {
      const cf zk = z[k == h ? 0 : k];
      const cf zc = std::conj(z[k == 0 ? 0 : h - k]);
      const cf even = 0.5f * (zk + zc);
      const cf odd = mul_neg_i(0.5f * (zk - zc));
      out[k] = even + cmul(w[k], odd);
    }
  }
};

// n / 2 + 1 frequencies of a Hermitian spectrum to n real samples, times scale. As in
// pocketfft, the imaginary parts of the zero (and for even n the n / 2) frequency are ignored.
struct C2R {
  const RealPlan& rp;
  float scale;
  bool parallel;

  int64_t scratch_size() const { return rp.scratch_size(); }
  void operator()(const cf* in, float* out, cf* scratch) const {
    const int64_t n = rp.n;
    cf* data = scratch;
    if (!rp.packed) {
      data[0] = cf(in[0].real(), 0.0f);
      for (int64_t k = 1; k <= n / 2; ++k) {
        data[k] = std::conj(in[k]);  // conj for the inverse...
        data[n - k] = in[k];         // ...of the Hermitian extension
      }
      const cf* res = forward(*rp.plan, data, scratch + n, parallel);
      for (int64_t i = 0; i < n; ++i) {
        out[i] = res[i].real() * scale;
      }
      return;
    }
    // Rebuild the spectra of the even (E) and odd (O) samples and invert Z = E + i O.
    const int64_t h = n / 2;
    const cf* w = rp.roots->data();
    for (int64_t k = 0; k < h; ++k) {
      const cf xk = k == 0 ? cf(in[0].real(), 0.0f) : in[k];
      const cf xc = k == 0 ? cf(in[h].real(), 0.0f) : std::conj(in[h - k]);
      const cf even = xk + xc;
      const cf odd = cmul(xk - xc, std::conj(w[k]));
      data[k] = std::conj(even + cf(-odd.imag(), odd.real()));
    }
    const cf* z = forward(*rp.plan, data, scratch + h, parallel);
    for (int64_t i = 0; i < h; ++i) {
      out[2 * i] = z[i].real() * scale;
      out[2 * i + 1] = -z[i].imag() * scale;
    }
  }
};

// The lines along one axis of a row-major array: outer x (n_in | n_out) x inner.
struct Lines {
  int64_t outer;
  int64_t inner;
  int64_t n_in;
  int64_t n_out;
};

Lines lines_of(const Shape& in_shape, const Shape& out_shape, int axis) {
  Lines l{1, 1, in_shape[axis], out_shape[axis]};
  for (int d = 0; d < axis; ++d) {
    l.outer *= in_shape[d];
  }
  for (size_t d = axis + 1; d < in_shape.size(); ++d) {
    l.inner *= in_shape[d];
  }
  return l;
}

// Applies kernel(in_line, out_line, scratch) to every line. Strided lines (inner > 1) are
// gathered in blocks of neighbours so that each read and write touches whole cache lines.
// src may equal dst: a kernel reads its whole line before writing it.
template <typename TIn, typename TOut, typename Kernel>
void map_lines(const TIn* src, TOut* dst, const Lines& g, Kernel kernel) {
  constexpr int64_t kBlock = 16;
  const int64_t block = g.inner == 1 ? 1 : std::min(g.inner, kBlock);
  const int64_t per_outer = (g.inner + block - 1) / block;
  const int64_t blocks = g.outer * per_outer;
  const int64_t n = std::max(g.n_in, g.n_out);
  const double log_n = std::log2(static_cast<double>(n) + 1.0);
  kernel.parallel = blocks < cpu::num_threads() && n >= kParallelStageLength;
  const auto grain =
      static_cast<int64_t>(std::max(1.0, (1 << 17) / (static_cast<double>(block * n) * log_n)));

  auto run = [&](int64_t b0, int64_t b1) {
    std::vector<cf> scratch(kernel.scratch_size());
    std::vector<TIn> in_buf(block > 1 ? block * g.n_in : 0);
    std::vector<TOut> out_buf(block > 1 ? block * g.n_out : 0);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t o = b / per_outer;
      const int64_t r0 = (b % per_outer) * block;
      const TIn* s = src + o * g.n_in * g.inner + r0;
      TOut* d = dst + o * g.n_out * g.inner + r0;
      if (block == 1) {
        kernel(s, d, scratch.data());
        continue;
      }
      const int64_t count = std::min(block, g.inner - r0);
      for (int64_t i = 0; i < g.n_in; ++i) {
        for (int64_t l = 0; l < count; ++l) {
          in_buf[l * g.n_in + i] = s[i * g.inner + l];
        }
      }
      for (int64_t l = 0; l < count; ++l) {
        kernel(in_buf.data() + l * g.n_in, out_buf.data() + l * g.n_out, scratch.data());
      }
      for (int64_t i = 0; i < g.n_out; ++i) {
        for (int64_t l = 0; l < count; ++l) {
          d[i * g.inner + l] = out_buf[l * g.n_out + i];
        }
      }
    }
  };
  if (kernel.parallel) {
    run(0, blocks);
  } else {
    cpu::parallel_for(blocks, grain, run);
  }
}

// Plans by length, built once per evaluation.
class Plans {
 public:
  const Plan& complex(int64_t n) {
    auto& p = complex_[n];
    if (!p) {
      p = make_plan(n);
    }
    return *p;
  }
  const RealPlan& real(int64_t n) {
    auto& p = real_[n];
    if (!p) {
      p = std::make_unique<RealPlan>(n);
    }
    return *p;
  }

 private:
  std::map<int64_t, std::unique_ptr<Plan>> complex_;
  std::map<int64_t, std::unique_ptr<RealPlan>> real_;
};

// Complex transforms over axes of the row-major complex array at src (shape), written to
// dst (may equal src); the last pass multiplies by last_scale.
void c2c_axes(const cf* src, cf* dst, const Shape& shape, const std::vector<size_t>& axes,
              bool inverse, float last_scale, Plans& plans) {
  for (size_t i = 0; i < axes.size(); ++i) {
    const int ax = static_cast<int>(axes[i]);
    const float scale = i + 1 == axes.size() ? last_scale : 1.0f;
    map_lines(src, dst, lines_of(shape, shape, ax),
              C2C{plans.complex(shape[ax]), inverse, scale, false});
    src = dst;
  }
}

cf* complex_ptr(array& a) {
  return reinterpret_cast<cf*>(a.data<complex64_t>());
}
const cf* complex_ptr(const array& a) {
  return reinterpret_cast<const cf*>(a.data<complex64_t>());
}

}  // namespace

void FFT::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array in = cpu::row_major(inputs[0]);
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  Plans plans;
  if (!real_) {
    if (in.dtype() != complex64 || out.dtype() != complex64) {
      throw std::runtime_error("[FFT] Expected complex64 input and output.");
    }
    int64_t count = 1;
    for (size_t ax : axes_) {
      count *= in.shape(static_cast<int>(ax));
    }
    const float scale = inverse_ ? 1.0f / static_cast<float>(count) : 1.0f;
    c2c_axes(complex_ptr(in), complex_ptr(out), in.shape(), axes_, inverse_, scale, plans);
    return;
  }
  const int last = static_cast<int>(axes_.back());
  const std::vector<size_t> rest(axes_.begin(), axes_.end() - 1);
  if (!inverse_) {
    if (in.dtype() != float32 || out.dtype() != complex64) {
      throw std::runtime_error("[FFT] Expected a float32 input and a complex64 output.");
    }
    map_lines(in.data<float>(), complex_ptr(out), lines_of(in.shape(), out.shape(), last),
              R2C{plans.real(in.shape(last)), false});
    c2c_axes(complex_ptr(out), complex_ptr(out), out.shape(), rest, false, 1.0f, plans);
    return;
  }
  if (in.dtype() != complex64 || out.dtype() != float32) {
    throw std::runtime_error("[FFT] Expected a complex64 input and a float32 output.");
  }
  int64_t count = 1;
  for (size_t ax : axes_) {
    count *= out.shape(static_cast<int>(ax));
  }
  // The complex axes first (into a temporary: the input is not ours to overwrite), then the
  // real one.
  array tmp = in;
  if (!rest.empty()) {
    tmp = array(allocator::malloc(in.nbytes()), in.shape(), complex64);
    c2c_axes(complex_ptr(in), complex_ptr(tmp), in.shape(), rest, true, 1.0f, plans);
  }
  map_lines(complex_ptr(tmp), out.data<float>(), lines_of(in.shape(), out.shape(), last),
            C2R{plans.real(out.shape(last)), 1.0f / static_cast<float>(count), false});
}

}  // namespace mlxcpp
