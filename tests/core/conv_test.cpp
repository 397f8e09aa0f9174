// Convolutions: MLX's outputs from the fixtures, a direct-loop reference in double
// precision for conv_general, transposed convolutions against their scatter
// definition, and every argument check.
#include <nlohmann/json.hpp>

#include <climits>
#include <fstream>
#include <string>

#include "fixture_index.h"

namespace mlxcpp::test {
namespace {

// ------------------------------------------------------------------ references

// The parameters of a conv_general call, one value per spatial axis.
struct Params {
  std::vector<int> stride, lo, hi, kdil, idil;
  int groups = 1;
  bool flip = false;
};

std::string shape_string(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += std::to_string(s[i]);
  }
  return out + ")";
}

int64_t dilated(int64_t n, int64_t d) {
  return n == 0 ? 0 : 1 + d * (n - 1);
}

int64_t flat_index(const std::vector<int64_t>& idx, const Shape& shape) {
  int64_t f = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    f = f * shape[i] + idx[i];
  }
  return f;
}

// conv_general by its definition: every output element summed over its taps in double.
std::vector<double> reference_conv(const std::vector<double>& x, const Shape& xs,
                                   const std::vector<double>& w, const Shape& ws, const Params& p,
                                   Shape& out_shape) {
  const size_t nd = xs.size() - 2;
  out_shape = {xs[0]};
  for (size_t i = 0; i < nd; ++i) {
    const int64_t padded = dilated(xs[i + 1], p.idil[i]) + p.lo[i] + p.hi[i];
    out_shape.push_back(
        static_cast<ShapeElem>((padded - dilated(ws[i + 1], p.kdil[i])) / p.stride[i] + 1));
  }
  out_shape.push_back(ws[0]);
  const int64_t cg = ws.back();
  const int64_t og = ws[0] / p.groups;
  const Shape kshape(ws.begin() + 1, ws.end() - 1);
  int64_t taps = 1;
  for (auto k : kshape) {
    taps *= k;
  }
  int64_t total = 1;
  for (auto d : out_shape) {
    total *= d;
  }
  std::vector<double> y(total, 0.0);
  for (int64_t f = 0; f < total; ++f) {
    const auto o = unravel(f, out_shape);
    const int oc = o.back();
    const int64_t g = oc / og;
    double acc = 0.0;
    for (int64_t t = 0; t < taps; ++t) {
      const auto k = unravel(t, kshape);
      std::vector<int64_t> xi = {o[0]};
      bool inside = true;
      for (size_t i = 0; i < nd && inside; ++i) {
        const int64_t kk = p.flip ? kshape[i] - 1 - k[i] : k[i];
        const int64_t j = int64_t(o[i + 1]) * p.stride[i] - p.lo[i] + kk * p.kdil[i];
        inside = j >= 0 && j % p.idil[i] == 0 && j / p.idil[i] < xs[i + 1];
        xi.push_back(inside ? j / p.idil[i] : 0);
      }
      if (!inside) {
        continue;
      }
      for (int64_t c = 0; c < cg; ++c) {
        std::vector<int64_t> xidx = xi;
        xidx.push_back(g * cg + c);
        std::vector<int64_t> widx = {oc};
        widx.insert(widx.end(), k.begin(), k.end());
        widx.push_back(c);
        acc += x[flat_index(xidx, xs)] * w[flat_index(widx, ws)];
      }
    }
    y[f] = acc;
  }
  return y;
}

// Transposed convolution as a scatter: input element i adds x[i] * w[k] to output
// position i * stride + k * dilation - padding, for each tap k.
std::vector<double> reference_conv_transpose(const std::vector<double>& x, const Shape& xs,
                                             const std::vector<double>& w, const Shape& ws,
                                             const std::vector<int>& stride,
                                             const std::vector<int>& padding,
                                             const std::vector<int>& dilation,
                                             const std::vector<int>& output_padding, int groups,
                                             Shape& out_shape) {
  const size_t nd = xs.size() - 2;
  out_shape = {xs[0]};
  for (size_t i = 0; i < nd; ++i) {
    out_shape.push_back((xs[i + 1] - 1) * stride[i] - 2 * padding[i] +
                        dilation[i] * (ws[i + 1] - 1) + output_padding[i] + 1);
  }
  out_shape.push_back(ws[0]);
  const int64_t cg = ws.back();
  const int64_t og = ws[0] / groups;
  const Shape kshape(ws.begin() + 1, ws.end() - 1);
  int64_t total = 1, taps = 1, inputs = 1;
  for (auto d : out_shape) {
    total *= d;
  }
  for (auto k : kshape) {
    taps *= k;
  }
  for (auto d : xs) {
    inputs *= d;
  }
  std::vector<double> y(total, 0.0);
  for (int64_t f = 0; f < inputs; ++f) {
    const auto i = unravel(f, xs);
    const int64_t g = i.back() / cg;
    const int64_t c = i.back() % cg;
    for (int64_t t = 0; t < taps; ++t) {
      const auto k = unravel(t, kshape);
      std::vector<int64_t> yi = {i[0]};
      bool inside = true;
      for (size_t a = 0; a < nd && inside; ++a) {
        const int64_t pos =
            int64_t(i[a + 1]) * stride[a] + int64_t(k[a]) * dilation[a] - padding[a];
        inside = pos >= 0 && pos < out_shape[a + 1];
        yi.push_back(pos);
      }
      if (!inside) {
        continue;
      }
      for (int64_t oc = g * og; oc < (g + 1) * og; ++oc) {
        std::vector<int64_t> yidx = yi;
        yidx.push_back(oc);
        std::vector<int64_t> widx = {oc};
        widx.insert(widx.end(), k.begin(), k.end());
        widx.push_back(c);
        y[flat_index(yidx, out_shape)] += x[f] * w[flat_index(widx, ws)];
      }
    }
  }
  return y;
}

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) {
    n *= d;
  }
  return n;
}

// Tolerances for a result in dtype t whose magnitude is at most a few units.
double atol_for(Dtype t) {
  return t == float64 ? 1e-12 : t == float32 ? 2e-5 : 1e-3;
}
double rtol_for(Dtype t) {
  return t == float16 ? 1.0 / 1024 : t == bfloat16 ? 1.0 / 128 : 0.0;
}

// The values an array of dtype t really holds for v (rounded to t).
std::vector<double> rounded(const std::vector<double>& v, const Shape& shape, Dtype t) {
  return values<double>(make_array(v, shape, t));
}

// Check conv_general on random inputs of dtype t against the reference.
void check_conv(const Shape& xs, const Shape& ws, const Params& p, Dtype t = float32,
                uint32_t seed = 1) {
  SCOPED_TRACE("x " + shape_string(xs) + " w " + shape_string(ws) + " " +
               std::string(dtype_name(t)));
  const auto xv = rounded(random_values(numel(xs), -1, 1, seed), xs, t);
  const auto wv = rounded(random_values(numel(ws), -1, 1, seed + 100), ws, t);
  Shape ref_shape;
  const auto ref = reference_conv(xv, xs, wv, ws, p, ref_shape);
  auto y = conv_general(make_array(xv, xs, t), make_array(wv, ws, t), p.stride, p.lo, p.hi, p.kdil,
                        p.idil, p.groups, p.flip);
  ASSERT_EQ(y.shape(), ref_shape);
  ASSERT_EQ(y.dtype(), t);
  expect_close(y, ref, atol_for(t), rtol_for(t));
}

Params params(size_t nd, int groups = 1, bool flip = false) {
  return {std::vector<int>(nd, 1),
          std::vector<int>(nd, 0),
          std::vector<int>(nd, 0),
          std::vector<int>(nd, 1),
          std::vector<int>(nd, 1),
          groups,
          flip};
}

// ------------------------------------------------------------------- fixtures

void expect_fixture(const nlohmann::json& c, const array& y) {
  auto y_ref = fixture_array(c["outputs"]["y"]);
  ASSERT_EQ(y.shape(), y_ref.shape()) << c["id"];
  ASSERT_EQ(y.dtype(), y_ref.dtype()) << c["id"];
  EXPECT_TRUE(allclose(y, y_ref, 0.0, c["tolerance"]["atol"].get<double>()).item<bool>())
      << c["id"];
}

TEST(ConvFixtures, MatchMlx) {
  int checked = 0;
  for (auto& c : ops_cases("conv1d")) {
    const auto& a = c["args"];
    auto y = conv1d(fixture_array(c["inputs"]["x"]), fixture_array(c["inputs"]["w"]), a["stride"],
                    a["padding"], a["dilation"], a["groups"]);
    expect_fixture(c, y);
    ++checked;
  }
  for (auto& c : ops_cases("conv2d")) {
    const auto& a = c["args"];
    auto pair = [](const nlohmann::json& v) { return std::pair<int, int>(v[0], v[1]); };
    auto y = conv2d(fixture_array(c["inputs"]["x"]), fixture_array(c["inputs"]["w"]),
                    pair(a["stride"]), pair(a["padding"]), pair(a["dilation"]), a["groups"]);
    expect_fixture(c, y);
    ++checked;
  }
  for (auto& c : ops_cases("conv_transpose1d")) {
    const auto& a = c["args"];
    auto y = conv_transpose1d(fixture_array(c["inputs"]["x"]), fixture_array(c["inputs"]["w"]),
                              a["stride"], a["padding"], a["dilation"], a["output_padding"],
                              a["groups"]);
    expect_fixture(c, y);
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

// ------------------------------------------------------------------ conv_general

TEST(ConvGeneral, OneDimensional) {
  check_conv({2, 13, 4}, {6, 3, 4}, params(1));
  Params p = params(1);
  p.stride = {2};
  p.lo = {1};
  p.hi = {2};
  p.kdil = {2};
  check_conv({2, 13, 4}, {6, 3, 4}, p);
  p = params(1, 1, true);
  p.idil = {3};
  p.lo = {2};
  check_conv({1, 6, 3}, {5, 4, 3}, p);
  p = params(1, 2);
  p.stride = {3};
  p.hi = {1};
  check_conv({2, 11, 4}, {6, 3, 2}, p);
  // Kernel as wide as the padded input: a single output position.
  check_conv({1, 5, 2}, {3, 5, 2}, params(1));
}

TEST(ConvGeneral, TwoDimensional) {
  Params p = params(2);
  p.stride = {2, 1};
  p.lo = {1, 0};
  p.hi = {0, 2};
  p.kdil = {1, 2};
  check_conv({2, 7, 6, 3}, {4, 3, 2, 3}, p);
  p = params(2, 3, true);
  p.idil = {2, 1};
  p.lo = {1, 1};
  p.hi = {1, 1};
  check_conv({2, 5, 6, 3}, {6, 2, 2, 1}, p);
  p = params(2);
  p.idil = {2, 3};
  p.stride = {3, 2};
  p.kdil = {2, 1};
  p.lo = {3, 0};
  p.hi = {0, 4};
  check_conv({1, 4, 5, 2}, {3, 3, 3, 2}, p, float32, 7);
}

TEST(ConvGeneral, ThreeDimensional) {
  Params p = params(3);
  p.stride = {1, 2, 1};
  p.lo = {1, 0, 1};
  p.hi = {1, 0, 1};
  check_conv({1, 5, 4, 6, 2}, {3, 2, 3, 2, 2}, p);
  // Groups in 3-D (beyond MLX, which allows them in 1-D and 2-D only).
  p = params(3, 2, true);
  p.kdil = {2, 1, 1};
  p.idil = {1, 2, 1};
  p.lo = {0, 1, 2};
  check_conv({2, 4, 4, 4, 4}, {4, 2, 2, 2, 2}, p);
}

TEST(ConvGeneral, PointwiseAndDepthwise) {
  // 1x1 kernels read the input in place (per group, too).
  check_conv({2, 9, 4}, {5, 1, 4}, params(1));
  check_conv({2, 3, 5, 6}, {4, 1, 1, 3}, params(2, 2));
  // Strided 1x1 is not in place.
  Params p = params(2);
  p.stride = {2, 2};
  check_conv({1, 5, 5, 3}, {2, 1, 1, 3}, p);
  // Depthwise: one input and one output channel per group.
  p = params(1, 4, true);
  p.lo = {2};
  p.hi = {1};
  p.kdil = {2};
  check_conv({2, 10, 4}, {4, 3, 1}, p);
  p = params(2, 6);
  p.stride = {2, 1};
  p.lo = {1, 1};
  p.hi = {1, 1};
  check_conv({1, 7, 6, 6}, {6, 3, 3, 1}, p);
  // A channel multiplier of 2 goes through the GEMM path.
  check_conv({2, 10, 4}, {8, 3, 1}, params(1, 4));
}

TEST(ConvGeneral, NegativePaddingCrops) {
  Params p = params(1);
  p.lo = {-2};
  p.hi = {-1};
  check_conv({2, 10, 3}, {4, 3, 3}, p);
  // With input dilation, the crop applies to the dilated input (MLX slices the
  // undilated input instead, which shifts the zeros; see conv_transpose below).
  p.idil = {2};
  p.lo = {-1};
  p.hi = {1};
  check_conv({1, 6, 2}, {3, 2, 2}, p);
  // conv1d with negative padding equals conv1d of the cropped input.
  auto x = make_array(random_values(2 * 9 * 3, -1, 1, 5), {2, 9, 3}, float32);
  auto w = make_array(random_values(4 * 3 * 3, -1, 1, 6), {4, 3, 3}, float32);
  auto cropped = slice(x, {0, 1, 0}, {2, 8, 3});
  EXPECT_TRUE(allclose(conv1d(x, w, 1, -1), conv1d(cropped, w), 0.0, 1e-6).item<bool>());
}

TEST(ConvGeneral, LargerProblemsSplitIntoTiles) {
  Params p = params(1);
  p.lo = {2};
  p.hi = {2};
  check_conv({3, 300, 16}, {32, 5, 16}, p);
  p = params(2);
  p.lo = {1, 1};
  p.hi = {1, 1};
  check_conv({1, 40, 40, 8}, {16, 3, 3, 8}, p, float32, 3);
  p = params(2, 2);
  p.stride = {2, 2};
  check_conv({2, 33, 31, 8}, {12, 3, 3, 4}, p, float32, 4);
}

TEST(ConvGeneral, Dtypes) {
  Params p = params(2);
  p.stride = {1, 2};
  p.lo = {1, 0};
  p.hi = {1, 1};
  for (Dtype t : {float16, bfloat16, float64}) {
    check_conv({2, 6, 7, 4}, {5, 3, 2, 4}, p, t);
    check_conv({2, 6, 7, 4}, {4, 3, 2, 1}, params(2, 4), t);  // depthwise
    check_conv({2, 6, 7, 4}, {3, 1, 1, 4}, params(2), t);     // pointwise
  }
  // Promotion: the weight follows the input's floating type.
  auto x16 = ones({1, 4, 2}, float16);
  EXPECT_EQ(conv1d(x16, ones({1, 2, 2}, float32)).dtype(), float32);
  EXPECT_EQ(conv1d(x16, ones({1, 2, 2}, bfloat16)).dtype(), float32);
  auto xi = conv1d(ones({1, 4, 2}, float32), ones({1, 2, 2}, int32));
  expect_values<float>(xi, {1, 3, 1}, float32, {4, 4, 4});
  expect_values<float>(conv1d(x16, ones({1, 2, 2}, int32)), {1, 3, 1}, float16, {4, 4, 4});
}

TEST(ConvGeneral, StridedInputsAndWeights) {
  // A transposed view of [N, C, L] and a weight given as a transposed view.
  const Shape xs = {2, 5, 12};
  const Shape ws = {5, 3, 6};  // [C_in, K, C_out] viewed as [C_out, K, C_in]
  const auto xv = random_values(numel(xs), -1, 1, 11);
  const auto wv = random_values(numel(ws), -1, 1, 12);
  auto x = transpose(make_array(xv, xs, float32), {0, 2, 1});
  auto w = transpose(make_array(wv, ws, float32), {2, 1, 0});
  Params p = params(1);
  p.stride = {2};
  p.lo = {1};
  p.hi = {1};
  Shape ref_shape;
  const auto ref =
      reference_conv(values<double>(x), x.shape(), values<double>(w), w.shape(), p, ref_shape);
  auto y = conv1d(x, w, 2, 1);
  ASSERT_EQ(y.shape(), ref_shape);
  expect_close(y, ref, 2e-5);
  // Broadcast (stride 0) and sliced inputs.
  auto b = broadcast_to(make_array(random_values(4, -1, 1, 13), {1, 1, 4}, float32), {2, 6, 4});
  auto wb = make_array(random_values(2 * 2 * 4, -1, 1, 14), {2, 2, 4}, float32);
  const auto ref2 = reference_conv(values<double>(b), b.shape(), values<double>(wb), wb.shape(),
                                   params(1), ref_shape);
  expect_close(conv1d(b, wb), ref2, 2e-5);
  auto sl = slice(make_array(random_values(2 * 12 * 6, -1, 1, 15), {2, 12, 6}, float32), {0, 1, 1},
                  {2, 12, 5}, {1, 2, 1});
  auto ws2 = make_array(random_values(3 * 2 * 4, -1, 1, 16), {3, 2, 4}, float32);
  const auto ref3 = reference_conv(values<double>(sl), sl.shape(), values<double>(ws2), ws2.shape(),
                                   params(1), ref_shape);
  expect_close(conv1d(sl, ws2), ref3, 2e-5);
}

TEST(ConvGeneral, EdgeShapes) {
  // No input channels: every output is an empty sum.
  auto y = conv1d(ones({2, 5, 0}), ones({3, 2, 0}));
  expect_values<float>(y, {2, 4, 3}, float32, std::vector<float>(24, 0.0f));
  // No batch, no output channels.
  EXPECT_EQ(conv1d(ones({0, 5, 2}), ones({3, 2, 2})).shape(), Shape({0, 4, 3}));
  EXPECT_EQ(conv2d(ones({1, 5, 5, 2}), ones({0, 2, 2, 2})).shape(), Shape({1, 4, 4, 0}));
  // An empty spatial axis that padding alone fills.
  auto z = conv_general(ones({1, 0, 2}), ones({1, 1, 2}), {1}, {1}, {1}, {1}, {1}, 1, false);
  expect_values<float>(z, {1, 2, 1}, float32, {0, 0});
  // Ones everywhere: each output counts the taps that land on the input.
  auto c = conv1d(ones({1, 4, 1}), ones({1, 3, 1}), 1, 1);
  expect_values<float>(c, {1, 4, 1}, float32, {2, 3, 3, 2});
}

TEST(ConvGeneral, OverloadsAndWrappers) {
  auto x = make_array(random_values(2 * 6 * 5 * 4, -1, 1, 21), {2, 6, 5, 4}, float32);
  auto w = make_array(random_values(6 * 3 * 2 * 2, -1, 1, 22), {6, 3, 2, 2}, float32);
  auto a = conv2d(x, w, {2, 1}, {1, 2}, {1, 2}, 2);
  auto b = conv_general(x, w, {2, 1}, {1, 2}, {1, 2}, {1, 2}, {1, 1}, 2, false);
  EXPECT_TRUE(array_equal(a, b).item<bool>());
  // Same padding on both sides, one value for every axis.
  auto c = conv_general(x, w, std::vector<int>{1}, std::vector<int>{1}, std::vector<int>{1},
                        std::vector<int>{1}, 2, false);
  auto d = conv2d(x, w, {1, 1}, {1, 1}, {1, 1}, 2);
  EXPECT_TRUE(array_equal(c, d).item<bool>());
  // conv3d is conv_general on 3 spatial axes.
  auto x3 = make_array(random_values(1 * 4 * 5 * 3 * 2, -1, 1, 23), {1, 4, 5, 3, 2}, float32);
  auto w3 = make_array(random_values(2 * 2 * 2 * 2 * 2, -1, 1, 24), {2, 2, 2, 2, 2}, float32);
  auto e = conv3d(x3, w3, {1, 2, 1}, {0, 1, 1}, {2, 1, 1});
  auto f = conv_general(x3, w3, {1, 2, 1}, {0, 1, 1}, {0, 1, 1}, {2, 1, 1}, {1, 1, 1}, 1, false);
  EXPECT_TRUE(array_equal(e, f).item<bool>());
  EXPECT_EQ(e.shape(), Shape({1, 2, 3, 4, 2}));
}

// ------------------------------------------------------------- conv_transpose

void check_conv_transpose(const Shape& xs, const Shape& ws, const std::vector<int>& stride,
                          const std::vector<int>& padding, const std::vector<int>& dilation,
                          const std::vector<int>& output_padding, int groups, uint32_t seed = 1) {
  SCOPED_TRACE("x " + shape_string(xs) + " w " + shape_string(ws));
  const auto xv = random_values(numel(xs), -1, 1, seed);
  const auto wv = random_values(numel(ws), -1, 1, seed + 50);
  Shape ref_shape;
  const auto ref = reference_conv_transpose(xv, xs, wv, ws, stride, padding, dilation,
                                            output_padding, groups, ref_shape);
  auto x = make_array(xv, xs, float64);
  auto w = make_array(wv, ws, float64);
  array y =
      xs.size() == 3
          ? conv_transpose1d(x, w, stride[0], padding[0], dilation[0], output_padding[0], groups)
      : xs.size() == 4
          ? conv_transpose2d(x, w, {stride[0], stride[1]}, {padding[0], padding[1]},
                             {dilation[0], dilation[1]}, {output_padding[0], output_padding[1]},
                             groups)
          : conv_transpose3d(x, w, {stride[0], stride[1], stride[2]},
                             {padding[0], padding[1], padding[2]},
                             {dilation[0], dilation[1], dilation[2]},
                             {output_padding[0], output_padding[1], output_padding[2]}, groups);
  ASSERT_EQ(y.shape(), ref_shape);
  expect_close(y, ref, 1e-12);
}

TEST(ConvTranspose, OneDimensional) {
  check_conv_transpose({2, 7, 4}, {3, 4, 4}, {2}, {1}, {1}, {1}, 1);
  check_conv_transpose({1, 5, 3}, {2, 3, 3}, {1}, {0}, {1}, {0}, 1);
  check_conv_transpose({2, 6, 2}, {3, 3, 2}, {3}, {2}, {2}, {2}, 1);
  check_conv_transpose({2, 6, 4}, {6, 3, 2}, {2}, {1}, {1}, {1}, 2);
  check_conv_transpose({1, 5, 4}, {4, 2, 1}, {2}, {0}, {3}, {0}, 4);  // depthwise
  // Padding beyond the kernel's extent crops the scattered output (MLX slices the
  // undilated input here and returns a shorter, shifted result).
  check_conv_transpose({1, 4, 1}, {1, 1, 1}, {2}, {1}, {1}, {0}, 1);
  check_conv_transpose({1, 6, 2}, {2, 2, 2}, {3}, {2}, {1}, {1}, 1);
}

TEST(ConvTranspose, TwoAndThreeDimensional) {
  check_conv_transpose({1, 4, 5, 2}, {3, 3, 2, 2}, {2, 3}, {1, 0}, {1, 2}, {1, 2}, 1);
  check_conv_transpose({2, 3, 4, 4}, {6, 2, 3, 2}, {1, 2}, {0, 1}, {2, 1}, {0, 1}, 2);
  check_conv_transpose({1, 3, 2, 3, 2}, {2, 2, 2, 2, 2}, {2, 1, 2}, {0, 1, 1}, {1, 1, 2}, {1, 0, 1},
                       1);
}

TEST(ConvTranspose, IsTheAdjointOfConv) {
  // <conv1d(x, w), y> == <x, conv_transpose1d(y, w^T)> with w^T swapping C_in and C_out.
  const int stride = 2, padding = 1, dilation = 2;
  auto x = make_array(random_values(2 * 12 * 3, -1, 1, 31), {2, 12, 3}, float64);
  auto w = make_array(random_values(4 * 3 * 3, -1, 1, 32), {4, 3, 3}, float64);
  auto cx = conv1d(x, w, stride, padding, dilation);
  auto y = make_array(random_values(cx.size(), -1, 1, 33), cx.shape(), float64);
  const int out_pad = 12 - ((cx.shape(1) - 1) * stride - 2 * padding + dilation * 2 + 1);
  EXPECT_EQ(out_pad, 1);
  auto ty = conv_transpose1d(y, transpose(w, {2, 1, 0}), stride, padding, dilation, out_pad);
  ASSERT_EQ(ty.shape(), x.shape());
  EXPECT_NEAR(sum(multiply(cx, y)).item<double>(), sum(multiply(x, ty)).item<double>(), 1e-10);
}

// ------------------------------------------------------------------- checks

TEST(ConvChecks, ShapesAndDtypes) {
  auto x = ones({1, 8, 4});
  auto w = ones({2, 3, 4});
  EXPECT_THROW(conv1d(ones({8, 4}), w), std::invalid_argument);
  expect_invalid(
      [&] {
        conv1d(ones({8, 4}), w);
      },
      "[conv1d] Invalid input array with 2 dimensions for 1D convolution");
  expect_invalid([&] { conv1d(x, ones({2, 3, 3, 4})); }, "Invalid weight array with 4 dimensions");
  expect_invalid([&] { conv2d(x, w); }, "[conv2d] Invalid input array with 3 dimensions");
  expect_invalid([&] { conv3d(ones({1, 2, 2, 2}), ones({1, 1, 1, 1})); }, "for 3D convolution");
  expect_invalid(
      [&] {
        conv_general(ones({4, 4}), ones({4, 4}), {}, {}, {}, {}, {}, 1, false);
      },
      "[conv_general] Only works for inputs with 1-3 spatial dimensions");
  expect_invalid(
      [&] {
        conv_general(ones({1, 2, 2, 2, 2, 1}), ones({1, 1, 1, 1, 1, 1}), {}, {}, {}, {}, {}, 1,
                     false);
      },
      "1-3 spatial dimensions");
  expect_invalid([&] { conv1d(ones({1, 8, 4}, int32), w); }, "Invalid input array with type int32");
  expect_invalid([&] { conv1d(ones({1, 8, 4}, complex64), w); }, "type complex64");
  expect_invalid(
      [&] {
        conv1d(x, ones({2, 3, 4}, complex64));
      },
      "Invalid weight array with type complex64");
  expect_invalid(
      [&] {
        conv1d(x, ones({2, 3, 3}));
      },
      "Expect the input channels in the input and weight array to match");
  expect_invalid([&] { conv1d(x, ones({2, 0, 4})); }, "spatial dimensions must be positive");
  // A patch past the int range that BLAS takes (checked from the shapes alone: the
  // broadcast weight has no memory behind it and nothing is evaluated).
  auto big_w = broadcast_to(array(1.0f), {1, 1 << 16, 1 << 16, 1});
  auto big_x = broadcast_to(array(1.0f), {1, 1 << 16, 1 << 16, 1});
  expect_invalid([&] { conv2d(big_x, big_w); }, "products (kernel taps x C_in / groups)");
}

TEST(ConvChecks, Groups) {
  auto x = ones({1, 8, 6});
  expect_invalid(
      [&] {
        conv1d(x, ones({4, 3, 6}), 1, 0, 1, 0);
      },
      "number of groups must be positive");
  expect_invalid(
      [&] {
        conv1d(x, ones({4, 3, 2}), 1, 0, 1, 4);
      },
      "input channels must be divisible by the number of groups");
  expect_invalid(
      [&] {
        conv1d(x, ones({5, 3, 3}), 1, 0, 1, 2);
      },
      "output channels must be divisible by the number of groups");
  expect_invalid(
      [&] {
        conv1d(x, ones({4, 3, 2}), 1, 0, 1, 2);
      },
      "Given groups=2 and weights of shape (4,3,2), expected to have 4 input channels "
      "but got 6");
}

TEST(ConvChecks, Parameters) {
  auto x = ones({1, 8, 4});
  auto w = ones({2, 3, 4});
  expect_invalid([&] { conv1d(x, w, 0); }, "Stride sizes must be positive");
  expect_invalid([&] { conv1d(x, w, 1, 0, 0); }, "Kernel dilation sizes must be positive");
  expect_invalid([&] { conv_general(x, w, {1}, {0}, {0}, {1}, {-1}, 1, false); },
                 "Input dilation sizes must be positive");
  expect_invalid(
      [&] {
        conv_general(x, w, {1, 1}, {0}, {0}, {1}, {1}, 1, false);
      },
      "Invalid strides (1, 1) for 1D convolution");
  expect_invalid(
      [&] {
        conv_general(x, w, {1}, {0, 0, 0}, {0}, {1}, {1}, 1, false);
      },
      "Invalid padding");
  expect_invalid(
      [&] {
        conv_general(x, w, {1}, {0}, {0}, {1, 2}, {1}, 1, false);
      },
      "Invalid kernel dilation");
  // The kernel must fit in the padded input.
  expect_invalid(
      [&] {
        conv1d(ones({1, 2, 4}), w);
      },
      "cannot be smaller than weight spatial dimensions");
  expect_invalid([&] { conv1d(x, w, 1, 0, 4); }, "cannot be smaller than weight");
  expect_invalid(
      [&] {
        conv2d(ones({1, 5, 2, 4}), ones({2, 3, 3, 4}), {1, 1}, {0, 0});
      },
      "Got error at axis 2");
  expect_invalid([&] { conv1d(x, w, 1, -3); }, "cannot be smaller than weight");
  // Negative padding may crop, but not more than the input.
  expect_invalid([&] { conv_general(x, w, {1}, {-9}, {20}, {1}, {1}, 1, false); },
                 "Negative padding may not crop more than the (dilated) input");
  // Output sizes past the int32 range.
  expect_invalid([&] { conv_general(x, w, {1}, {0}, {0}, {1}, {INT_MAX}, 1, false); },
                 "outside the supported range");
}

TEST(ConvChecks, Transposed) {
  auto x = ones({1, 8, 4});
  auto w = ones({2, 3, 4});
  expect_invalid([&] { conv_transpose1d(x, w, 1, -1); },
                 "[conv_transpose1d] Padding and output padding must be non-negative");
  expect_invalid([&] { conv_transpose1d(x, w, 1, 0, 1, -1); }, "must be non-negative");
  expect_invalid([&] { conv_transpose1d(x, w, 0); }, "Stride sizes must be positive");
  expect_invalid(
      [&] {
        conv_transpose2d(ones({1, 2, 2, 4}), ones({2, 1, 1, 4}), {1, 1}, {0, 0}, {0, 1});
      },
      "Dilation sizes must be positive");
  expect_invalid(
      [&] {
        conv_transpose1d(ones({1, 1, 4}), ones({2, 1, 4}), 1, 1);
      },
      "The output would have -1 elements");
  expect_invalid([&] { conv_transpose1d(x, ones({2, 3, 3})); }, "Expect the input channels");
  expect_invalid(
      [&] {
        conv_transpose1d(x, ones({2, 3, 4}), 1, 0, 1, 0, 3);
      },
      "divisible by the number of groups");
  expect_invalid(
      [&] {
        conv_transpose3d(ones({1, 2, 2, 4}), ones({2, 1, 1, 4}));
      },
      "[conv_transpose3d] Invalid input array with 4 dimensions");
}

}  // namespace
}  // namespace mlxcpp::test
