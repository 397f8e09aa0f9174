// RoPE scaling variants from rope_scaling configs (mlx-lm's rope_utils), each against a
// double-precision rotation computed here from the published formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "mlxcpp/lm/rope_config.h"
#include "mlxcpp/mlxcpp.h"
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

constexpr int kDims = 16;
constexpr int kLen = 5;

// Rotates x [1, 1, T, D] (non-traditional pairs i, i + D/2) at positions offset + t by
// angle (position / period_i), after scaling the features by input_scale.
std::vector<double> reference(const std::vector<double>& x, const std::vector<double>& periods,
                              int offset, double input_scale) {
  std::vector<double> out(x.size());
  const int half = kDims / 2;
  for (int t = 0; t < kLen; ++t) {
    for (int i = 0; i < half; ++i) {
      const double a = (offset + t) / periods[i];
      const double x1 = input_scale * x[t * kDims + i], x2 = input_scale * x[t * kDims + i + half];
      out[t * kDims + i] = x1 * std::cos(a) - x2 * std::sin(a);
      out[t * kDims + i + half] = x1 * std::sin(a) + x2 * std::cos(a);
    }
  }
  return out;
}

std::vector<double> base_periods(double base) {
  std::vector<double> p;
  for (int i = 0; i < kDims / 2; ++i)
    p.push_back(std::pow(base, 2.0 * i / kDims));
  return p;
}

void check(const nlohmann::json& scaling, int max_pos, const std::vector<double>& periods,
           double input_scale, int offset = 3) {
  SCOPED_TRACE(scaling.dump());
  nlohmann::json j = {
      {"model_type", "llama"}, {"max_position_embeddings", max_pos}, {"rope_scaling", scaling}};
  const lm::ModelConfig c(j, "config.json");
  const nn::RoPE rope = lm::make_rope(c, kDims, 10000.0f, false);
  std::vector<double> xv(kLen * kDims);
  for (size_t i = 0; i < xv.size(); ++i)
    xv[i] = std::sin(0.37 * double(i)) + 0.1;
  const array x = make_array(xv, {1, 1, kLen, kDims}, float32);
  array y = rope(x, offset);
  y = astype(y, float64);
  y.eval();
  const auto want = reference(xv, periods, offset, input_scale);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(y.data<double>()[i], want[i], 2e-5 * (1 + std::abs(want[i]))) << i;
  }
}

TEST(RopeScaling, LinearDivideAllPositions) {
  auto p = base_periods(10000);
  for (auto& v : p)
    v *= 4;  // scale 1/4 on positions = periods x 4
  check({{"rope_type", "linear"}, {"factor", 4.0}}, 2048, p, 1.0);
}

TEST(RopeScaling, DynamicNtkGrowsTheBasePastTheContext) {
  // max_position_embeddings 6 < offset + T = 8: base' = base (2 * 8 / 6 - 1)^(16 / 14).
  const double b = 10000 * std::pow(2.0 * 8 / 6 - 1, 16.0 / 14);
  check({{"type", "dynamic"}, {"factor", 2.0}}, 6, base_periods(b), 1.0);
  check({{"type", "dynamic"}, {"factor", 2.0}}, 4096, base_periods(10000), 1.0);
}

TEST(RopeScaling, YarnBlendsPeriodsAndScalesFeatures) {
  const double factor = 4, original = 64, dims = kDims, base = 10000;
  auto corr = [&](double rot) {
    return dims * std::log(original / (rot * 2 * M_PI)) / (2 * std::log(base));
  };
  const double low = std::max(std::floor(corr(32)), 0.0);
  const double high = std::min(std::ceil(corr(1)), dims - 1);
  std::vector<double> p;
  for (int i = 0; i < kDims / 2; ++i) {
    const double extra = std::pow(base, 2.0 * i / dims), inter = factor * extra;
    const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
    const double mask = 1 - ramp;
    p.push_back(inter * extra / (inter * mask + extra * (1 - mask)));
  }
  const double mscale = (0.1 * 1.0 * std::log(factor) + 1.0) / 1.0;
  check({{"rope_type", "yarn"}, {"factor", factor}, {"original_max_position_embeddings", 64}}, 2048,
        p, mscale);
  // An explicit attention_factor replaces the computed temperature.
  check({{"rope_type", "yarn"},
         {"factor", factor},
         {"original_max_position_embeddings", 64},
         {"attention_factor", 1.25}},
        2048, p, 1.25);
}

// Llama 3: wavelengths past original / low_freq_factor are scaled by factor, those under
// original / high_freq_factor kept, and the band between smoothly interpolated. With an
// original length of 256, pairs 0-2 are kept, pair 3 is smoothed and pairs 4-7 scaled.
TEST(RopeScaling, Llama3ScalesLowFrequenciesAndSmoothsTheBandBetween) {
  const double factor = 8, low = 1, high = 4, original = 256;
  auto p = base_periods(10000);
  for (auto& v : p) {
    const double wavelen = 2 * M_PI * v;
    if (wavelen > original / low) {
      v *= factor;
    } else if (wavelen > original / high) {
      const double smooth = (original / wavelen - low) / (high - low);
      v /= (1 - smooth) / factor + smooth;
    }
  }
  check({{"rope_type", "llama3"},
         {"factor", factor},
         {"low_freq_factor", low},
         {"high_freq_factor", high},
         {"original_max_position_embeddings", original}},
        2048, p, 1.0);
}

TEST(RopeScaling, LongRopeUsesTheLongFactors) {
  const std::vector<double> lf = {1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0};
  auto p = base_periods(10000);
  for (int i = 0; i < 8; ++i)
    p[i] *= lf[i];
  const double scale = std::sqrt(1 + std::log(1024.0 / 256) / std::log(256.0));
  check({{"type", "longrope"},
         {"long_factor", lf},
         {"short_factor", std::vector<double>(8, 1.0)},
         {"original_max_position_embeddings", 256}},
        1024, p, scale);
}

TEST(RopeScaling, BadConfigsAreErrors) {
  nlohmann::json j = {{"rope_scaling", {{"type", "longrope"}, {"long_factor", {1, 2}}}}};
  EXPECT_THROW(lm::make_rope(lm::ModelConfig(j, "c.json"), kDims, 10000, false), FormatError);
  j = {{"rope_scaling", {{"type", "linear"}, {"factor", 0}}}};
  EXPECT_THROW(lm::make_rope(lm::ModelConfig(j, "c.json"), kDims, 10000, false), FormatError);
  j = {{"rope_scaling", {{"type", "mrope9"}}}};
  EXPECT_THROW(lm::make_rope(lm::ModelConfig(j, "c.json"), kDims, 10000, false), Unsupported);
}

}  // namespace
}  // namespace mlxcpp::test
