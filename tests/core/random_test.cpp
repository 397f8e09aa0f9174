// mlxcpp::random against MLX's outputs for the same keys (tests/fixtures/core/random),
// plus distribution sanity on large samples and the error paths.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "fixture_index.h"

namespace mlxcpp::test {
namespace {

namespace rnd = mlxcpp::random;

std::vector<nlohmann::json> random_cases(const std::string& op) {
  return fixture_cases("random", op);
}

Shape shape_of(const nlohmann::json& j) {
  auto v = j.get<std::vector<int>>();
  return Shape(v.begin(), v.end());
}

Dtype dtype_of(const std::string& name) {
  static const std::map<std::string, Dtype> names{{"float32", float32},   {"float16", float16},
                                                  {"bfloat16", bfloat16}, {"int32", int32},
                                                  {"uint32", uint32},     {"bool", bool_}};
  return names.at(name);
}

// Distance in units in the last place between two floats of the same sign (or zeros).
int64_t ulp_distance(float a, float b) {
  auto ordered = [](float x) {
    int32_t i;
    std::memcpy(&i, &x, 4);
    return i < 0 ? int64_t(INT32_MIN) - i : int64_t(i);
  };
  return std::llabs(ordered(a) - ordered(b));
}

// Expects got to equal expected within `ulps` (0: bit-exact) in expected's dtype; half
// types are compared through float32, where one of their ulps is 2^13 (float16) or
// 2^16 (bfloat16) float32 ulps.
void expect_matches(const array& got, const array& expected, int ulps, const std::string& id) {
  ASSERT_EQ(got.shape(), expected.shape()) << id;
  ASSERT_EQ(got.dtype(), expected.dtype()) << id;
  if (!issubdtype(expected.dtype(), floating)) {
    EXPECT_TRUE(array_equal(got, expected).item<bool>()) << id;
    return;
  }
  const int64_t scale = expected.dtype() == float16    ? 1 << 13
                        : expected.dtype() == bfloat16 ? 1 << 16
                                                       : 1;
  const auto g = values<float>(got);
  const auto e = values<float>(expected);
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_LE(ulp_distance(g[i], e[i]), ulps * scale)
        << id << " at " << i << ": got " << g[i] << ", MLX " << e[i];
  }
}

int ulps_of(const nlohmann::json& c) {
  const auto& t = c["tolerance"];
  return t["kind"] == "ulp" ? t["ulps"].get<int>() : 0;
}

TEST(RandomFixtures, KeysAndSplitsAreBitExact) {
  int checked = 0;
  for (auto& c : random_cases("random.key")) {
    expect_matches(rnd::key(c["args"]["seed"].get<uint64_t>()), fixture_array(c["outputs"]["key"]),
                   0, c["id"]);
    ++checked;
  }
  for (auto& c : random_cases("random.split")) {
    const array key = fixture_array(c["inputs"]["key"]);
    const int num = c["args"]["num"];
    const array keys = fixture_array(c["outputs"]["keys"]);
    expect_matches(rnd::split(key, num), keys, 0, c["id"]);
    if (num == 2) {
      auto [a, b] = rnd::split(key);
      expect_matches(stack({a, b}), keys, 0, c["id"]);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

TEST(RandomFixtures, UniformAndNormalMatchMlx) {
  int checked = 0;
  for (auto& c : random_cases("random.uniform")) {
    const auto& a = c["args"];
    const array key = fixture_array(c["inputs"]["key"]);
    const array got = rnd::uniform(a["low"].get<double>(), a["high"].get<double>(),
                                   shape_of(a["shape"]), dtype_of(a["dtype"]), key);
    expect_matches(got, fixture_array(c["outputs"]["out"]), ulps_of(c), c["id"]);
    ++checked;
  }
  for (auto& c : random_cases("random.normal")) {
    const auto& a = c["args"];
    const array key = fixture_array(c["inputs"]["key"]);
    const array got = rnd::normal(shape_of(a["shape"]), dtype_of(a["dtype"]), a["loc"].get<float>(),
                                  a["scale"].get<float>(), key);
    expect_matches(got, fixture_array(c["outputs"]["out"]), ulps_of(c), c["id"]);
    ++checked;
  }
  EXPECT_EQ(checked, 32);
}

TEST(RandomFixtures, DiscreteDistributionsMatchMlx) {
  int checked = 0;
  for (auto& c : random_cases("random.randint")) {
    const auto& a = c["args"];
    const array got = rnd::randint(a["low"].get<int>(), a["high"].get<int>(), shape_of(a["shape"]),
                                   dtype_of(a["dtype"]), fixture_array(c["inputs"]["key"]));
    expect_matches(got, fixture_array(c["outputs"]["out"]), 0, c["id"]);
    ++checked;
  }
  for (auto& c : random_cases("random.bernoulli")) {
    const auto& a = c["args"];
    const array key = fixture_array(c["inputs"]["key"]);
    const array got =
        c["inputs"].contains("p")
            ? rnd::bernoulli(fixture_array(c["inputs"]["p"]), shape_of(a["shape"]), key)
            : rnd::bernoulli(a["p"].get<float>(), shape_of(a["shape"]), key);
    expect_matches(got, fixture_array(c["outputs"]["out"]), 0, c["id"]);
    ++checked;
  }
  for (auto& c : random_cases("random.categorical")) {
    const auto& a = c["args"];
    const array key = fixture_array(c["inputs"]["key"]);
    const array logits = fixture_array(c["inputs"]["logits"]);
    const array got = a.contains("num_samples")
                          ? rnd::categorical(logits, a["axis"], a["num_samples"].get<int>(), key)
                          : rnd::categorical(logits, a["axis"].get<int>(), key);
    expect_matches(got, fixture_array(c["outputs"]["out"]), 0, c["id"]);
    ++checked;
  }
  for (auto& c : random_cases("random.permutation")) {
    const auto& a = c["args"];
    const array key = fixture_array(c["inputs"]["key"]);
    array got = a["x"].is_number()
                    ? rnd::permutation(a["x"].get<int>(), key)
                    : rnd::permutation(reshape(arange(21), shape_of(a["shape"])), a["axis"], key);
    expect_matches(got, fixture_array(c["outputs"]["out"]), 0, c["id"]);
    ++checked;
  }
  EXPECT_EQ(checked, 28);
}

TEST(RandomFixtures, ContinuousDistributionsMatchMlx) {
  int checked = 0;
  for (auto& c : random_cases("random.truncated_normal")) {
    const auto& a = c["args"];
    const std::string id = c["id"];
    const float lower = a["lower"].get<float>();
    const float upper = a["upper"].get<float>();
    const array got =
        rnd::truncated_normal(array(lower), array(upper), shape_of(a["shape"]),
                              dtype_of(a["dtype"]), fixture_array(c["inputs"]["key"]));
    // MLX's erf is a 1.5e-7 approximation (Abramowitz-Stegun 7.1.26) where ours is std::erf;
    // the samples are erfinv(erf(l) + (erf(u) - erf(l)) * uniform), which turns that into
    // absolute differences of ~1e-7 near zero. So compare with MLX absolutely, and with a
    // float64 reference built from MLX's uniform samples for the same key more tightly.
    const auto mlx = values<double>(fixture_array(c["outputs"]["out"]));
    const auto ours = values<double>(got);
    const std::string uniform_file = "random/" + id.substr(7, 2) + "_uniform_float32.npy";
    const auto u = values<double>(load(fixture("core/" + uniform_file)));
    const double ea = std::erf(lower / std::sqrt(2.0));
    const double eb = std::erf(upper / std::sqrt(2.0));
    for (size_t i = 0; i < ours.size(); ++i) {
      EXPECT_NEAR(ours[i], mlx[i], 2e-6) << id << " at " << i;
      // erfinv in double by Newton steps on std::erf from the float answer.
      const double target = ea + (eb - ea) * u[i];
      double x = ours[i] / std::sqrt(2.0);
      for (int k = 0; k < 3; ++k) {
        x -= (std::erf(x) - target) / (2 / std::sqrt(M_PI) * std::exp(-x * x));
      }
      EXPECT_NEAR(ours[i], std::sqrt(2.0) * x, 1e-6) << id << " at " << i;
    }
    ++checked;
  }
  for (auto& c : random_cases("random.gumbel")) {
    const auto& a = c["args"];
    const array got =
        rnd::gumbel(shape_of(a["shape"]), dtype_of(a["dtype"]), fixture_array(c["inputs"]["key"]));
    expect_matches(got, fixture_array(c["outputs"]["out"]), ulps_of(c), c["id"]);
    ++checked;
  }
  for (auto& c : random_cases("random.laplace")) {
    const auto& a = c["args"];
    const array got =
        rnd::laplace(shape_of(a["shape"]), dtype_of(a["dtype"]), a["loc"].get<float>(),
                     a["scale"].get<float>(), fixture_array(c["inputs"]["key"]));
    expect_matches(got, fixture_array(c["outputs"]["out"]), ulps_of(c), c["id"]);
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

TEST(RandomFixtures, KeylessCallsFollowTheSeededSequence) {
  int checked = 0;
  for (auto& c : random_cases("random.seed + calls without key")) {
    rnd::seed(c["args"]["seed"].get<uint64_t>());
    const auto& out = c["outputs"];
    // Evaluated one call at a time, as the fixture was made.
    array u1 = rnd::uniform({3});
    u1.eval();
    array u2 = rnd::uniform({3});
    u2.eval();
    array n3 = rnd::normal({2});
    n3.eval();
    array i4 = rnd::randint(0, 100, {4});
    expect_matches(u1, fixture_array(out["u1"]), 0, c["id"]);
    expect_matches(u2, fixture_array(out["u2"]), 0, c["id"]);
    expect_matches(n3, fixture_array(out["n3"]), 4, c["id"]);
    expect_matches(i4, fixture_array(out["i4"]), 0, c["id"]);
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(RandomBits, WidthsShareTheWordStream) {
  const array key = rnd::key(42);
  const auto words = values<uint32_t>(rnd::bits({8}, 4, key));
  // 32 bytes in 8 words either way: narrower widths reinterpret the same bytes.
  const auto bytes = values<uint8_t>(rnd::bits({32}, 1, key));
  for (size_t i = 0; i < 32; ++i) {
    EXPECT_EQ(bytes[i], (words[i / 4] >> (8 * (i % 4))) & 0xff) << i;
  }
  const auto shorts = values<uint16_t>(rnd::bits({16}, 2, key));
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(shorts[i], (words[i / 2] >> (16 * (i % 2))) & 0xffff) << i;
  }
  // An odd number of words: the middle word comes from its own counter.
  const auto odd = values<uint32_t>(rnd::bits({7}, 4, key));
  EXPECT_EQ(odd.size(), 7u);
  EXPECT_EQ(values<uint32_t>(rnd::bits({0}, 4, key)).size(), 0u);
}

TEST(RandomBits, RandomKnownAnswer) {
  // A one-word output is the first half of hash(key, counter (0, 0)); for the zero key
  // that is Random123's known answer for Threefry-2x32-20 on zeros: 0x6b200159.
  EXPECT_EQ(values<uint32_t>(rnd::bits({1}, 4, rnd::key(0))), (std::vector<uint32_t>{0x6b200159u}));
}

TEST(RandomDistributions, LargeSampleMoments) {
  const array key = rnd::key(1234);
  const int n = 200000;
  auto moments = [](const array& x) {
    const auto v = values<double>(x);
    double m = 0, m2 = 0;
    for (double d : v) {
      m += d;
      m2 += d * d;
    }
    m /= v.size();
    return std::pair{m, m2 / v.size() - m * m};
  };
  auto [um, uv] = moments(rnd::uniform({n}, key));
  EXPECT_NEAR(um, 0.5, 0.005);
  EXPECT_NEAR(uv, 1.0 / 12, 0.002);
  auto [nm, nv] = moments(rnd::normal({n}, key));
  EXPECT_NEAR(nm, 0.0, 0.01);
  EXPECT_NEAR(nv, 1.0, 0.02);
  auto [lm, lv] = moments(rnd::laplace({n}, key));
  EXPECT_NEAR(lm, 0.0, 0.02);
  EXPECT_NEAR(lv, 2.0, 0.05);
  auto [bm, bv] = moments(rnd::bernoulli(0.3f, {n}, key));
  EXPECT_NEAR(bm, 0.3, 0.005);
  const array c = rnd::normal({n / 2}, complex64, key);
  const auto re = values<double>(real(c));
  const auto im = values<double>(imag(c));
  double vr = 0, vi = 0;
  for (size_t i = 0; i < re.size(); ++i) {
    vr += re[i] * re[i];
    vi += im[i] * im[i];
  }
  EXPECT_NEAR(vr / re.size(), 0.5, 0.02);
  EXPECT_NEAR(vi / im.size(), 0.5, 0.02);
}

TEST(RandomDistributions, MultivariateNormalMoments) {
  const array mean = array({1.0f, -2.0f});
  const array cov = array({2.0f, 0.6f, 0.6f, 0.5f}, {2, 2});
  const int n = 100000;
  const array x = rnd::multivariate_normal(mean, cov, {n}, float32, rnd::key(5));
  ASSERT_EQ(x.shape(), (Shape{n, 2}));
  const auto v = values<double>(x);
  double m0 = 0, m1 = 0;
  for (int i = 0; i < n; ++i) {
    m0 += v[2 * i] / n;
    m1 += v[2 * i + 1] / n;
  }
  double c00 = 0, c01 = 0, c11 = 0;
  for (int i = 0; i < n; ++i) {
    const double d0 = v[2 * i] - m0;
    const double d1 = v[2 * i + 1] - m1;
    c00 += d0 * d0 / n;
    c01 += d0 * d1 / n;
    c11 += d1 * d1 / n;
  }
  EXPECT_NEAR(m0, 1.0, 0.02);
  EXPECT_NEAR(m1, -2.0, 0.01);
  EXPECT_NEAR(c00, 2.0, 0.04);
  EXPECT_NEAR(c01, 0.6, 0.02);
  EXPECT_NEAR(c11, 0.5, 0.01);
  EXPECT_THROW(rnd::multivariate_normal(mean, cov, {2}, float64), std::invalid_argument);
  EXPECT_THROW(rnd::multivariate_normal(array(1.0f), cov, {2}, float32), std::invalid_argument);
  EXPECT_THROW(rnd::multivariate_normal(mean, zeros({2, 3}), {2}, float32), std::invalid_argument);
  EXPECT_THROW(rnd::multivariate_normal(zeros({3}), cov, {2}, float32), std::invalid_argument);
}

TEST(RandomDistributions, RangesAndEdgeProbabilities) {
  const array key = rnd::key(7);
  const auto u = values<float>(rnd::uniform(-2.0f, 3.0f, {10000}, float32, key));
  for (float v : u) {
    ASSERT_GE(v, -2.0f);
    ASSERT_LT(v, 3.0f);
  }
  const auto r = values<int32_t>(rnd::randint(-3, 4, {10000}, int32, key));
  std::set<int32_t> seen(r.begin(), r.end());
  EXPECT_EQ(seen, (std::set<int32_t>{-3, -2, -1, 0, 1, 2, 3}));
  const auto t =
      values<float>(rnd::truncated_normal(array(-0.5f), array(0.25f), {10000}, float32, key));
  for (float v : t) {
    ASSERT_GE(v, -0.5f);
    ASSERT_LE(v, 0.25f);
  }
  EXPECT_FALSE(any(rnd::bernoulli(0.0f, {1000}, key)).item<bool>());
  EXPECT_TRUE(all(rnd::bernoulli(1.0f, {1000}, key)).item<bool>());
  // Half types stay below one.
  for (Dtype dt : {float16, bfloat16}) {
    EXPECT_LT(astype(max(rnd::uniform({10000}, dt, key)), float32).item<float>(), 1.0f);
  }
  // A permutation holds every index once.
  auto p = values<uint32_t>(sort(rnd::permutation(1000, key)));
  for (uint32_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(p[i], i);
  }
}

TEST(RandomDistributions, CategoricalFollowsTheLogits) {
  const array key = rnd::key(3);
  const array logits = log(array({0.1f, 0.6f, 0.3f}));
  // Inverse-CDF path (one distribution, many samples) and Gumbel path (batched).
  const auto a = values<uint32_t>(rnd::categorical(logits, 0, Shape{30000}, key));
  const auto b = values<uint32_t>(
      rnd::categorical(broadcast_to(logits, {30000, 3}), -1, std::optional<array>(key)));
  for (const auto* v : {&a, &b}) {
    std::vector<double> freq(3, 0);
    for (auto i : *v) {
      ASSERT_LT(i, 3u);
      freq[i] += 1.0 / v->size();
    }
    EXPECT_NEAR(freq[0], 0.1, 0.01);
    EXPECT_NEAR(freq[1], 0.6, 0.01);
    EXPECT_NEAR(freq[2], 0.3, 0.01);
  }
  // An infinite logit takes every sample.
  const array inf_logits = array({0.0f, INFINITY, 1.0f});
  EXPECT_TRUE(all(equal(rnd::categorical(inf_logits, 0, Shape{100}, key), array(1u))).item<bool>());
}

// A vocabulary-sized distribution whose last entry has no weight: the draws near the top of
// the cdf once picked it (the total the draw was scaled by, a pairwise sum, exceeded the
// cdf's own; ~5 in 20000 draws at this spread). Zero-weight entries are never drawn.
TEST(RandomDistributions, CategoricalNeverDrawsAZeroWeightEntry) {
  const int n = 151936;
  array logits = multiply(rnd::normal({n}, float32, rnd::key(11)), array(4.0f));
  logits = concatenate({slice(logits, {0}, {n - 1}), array({-INFINITY})});
  logits = put_along_axis(logits, array({5}), array({-INFINITY}), 0);
  const auto draws = values<uint32_t>(rnd::categorical(logits, 0, Shape{200000}, rnd::key(12)));
  for (const uint32_t d : draws) {
    ASSERT_LT(d, uint32_t(n - 1));
    ASSERT_NE(d, 5u);
  }
}

TEST(RandomErrors, BadArgumentsAreRejected) {
  const array key = rnd::key(0);
  EXPECT_THROW(rnd::bits({-1}, 4, key), std::invalid_argument);
  EXPECT_THROW(rnd::bits({2}, 3, key), std::invalid_argument);
  EXPECT_THROW(rnd::bits({2}, 4, array({1, 2})), std::invalid_argument);        // int32 key
  EXPECT_THROW(rnd::bits({2}, 4, array({1u, 2u, 3u})), std::invalid_argument);  // shape (3)
  EXPECT_THROW(rnd::uniform({2}, int32, key), std::invalid_argument);
  EXPECT_THROW(rnd::uniform(zeros({3}), ones({3}), {2}, float32, key), std::invalid_argument);
  EXPECT_THROW(rnd::normal({2}, int32, key), std::invalid_argument);
  EXPECT_THROW(rnd::randint(0, 5, {2}, float32, key), std::invalid_argument);
  EXPECT_THROW(rnd::bernoulli(array(1), {2}, key), std::invalid_argument);
  EXPECT_THROW(rnd::bernoulli(zeros({3}), {2}, key), std::invalid_argument);
  EXPECT_THROW(rnd::truncated_normal(array(0.f), array(1.f), {2}, int32, key),
               std::invalid_argument);
  EXPECT_THROW(rnd::laplace({2}, int32, key), std::invalid_argument);
  EXPECT_THROW(rnd::categorical(zeros({2, 3}), 2, std::optional<array>(key)),
               std::invalid_argument);
  EXPECT_THROW(rnd::categorical(zeros({2, 3}), -1, Shape{3}, key), std::invalid_argument);
  EXPECT_THROW(rnd::permutation(-1, key), std::invalid_argument);
  EXPECT_THROW(rnd::split(key, -1), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
