// Every op family over every dtype it accepts, against a double reference
// on small values that are exact in all of them.
#include <functional>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

// ref as the dtype holds it: integers wrap, float16 overflows to inf.
double fit(double ref, Dtype t) {
  if (issubdtype(t, integer) && std::isfinite(ref)) {
    const double m = std::pow(2.0, 8.0 * size_of(t));
    const double lo = issubdtype(t, signedinteger) ? -m / 2 : 0;
    if (ref >= lo && ref < lo + m) {
      return std::trunc(ref);
    }
    double w = std::fmod(std::trunc(ref), m);
    if (w < 0) {
      w += m;
    }
    if (issubdtype(t, signedinteger) && w >= m / 2) {
      w -= m;
    }
    return w;
  }
  if (t == float16 && std::fabs(ref) > 65504) {
    return std::copysign(INFINITY, ref);
  }
  return ref;
}

const std::vector<double> small_a = {0, 1, 2, 3, 4, 5, 6, 7};
const std::vector<double> small_b = {1, 1, 2, 2, 3, 3, 5, 7};

struct Op2 {
  const char* name;
  std::function<array(const array&, const array&)> op;
  std::function<double(double, double)> ref;
  bool on_bool;
};

TEST(EveryDtype, BinaryArithmetic) {
  std::vector<Op2> ops = {
      {"add", [](auto& a, auto& b) { return add(a, b); }, [](double x, double y) { return x + y; },
       false},
      {"subtract", [](auto& a, auto& b) { return subtract(a, b); },
       [](double x, double y) { return x - y; }, false},
      {"multiply", [](auto& a, auto& b) { return multiply(a, b); },
       [](double x, double y) { return x * y; }, true},
      {"maximum", [](auto& a, auto& b) { return maximum(a, b); },
       [](double x, double y) { return std::max(x, y); }, true},
      {"minimum", [](auto& a, auto& b) { return minimum(a, b); },
       [](double x, double y) { return std::min(x, y); }, true},
      {"floor_divide", [](auto& a, auto& b) { return floor_divide(a, b); },
       [](double x, double y) { return std::floor(x / y); }, false},
      {"remainder", [](auto& a, auto& b) { return remainder(a, b); },
       [](double x, double y) { return std::fmod(x, y); }, false},
      {"power", [](auto& a, auto& b) { return power(a, b); },
       [](double x, double y) { return std::pow(x, y); }, false},
      {"divide", [](auto& a, auto& b) { return divide(a, b); },
       [](double x, double y) { return x / y; }, false},
  };
  for (const auto& o : ops) {
    for (auto t : all_dtypes()) {
      if (t == bool_ && !o.on_bool) {
        continue;
      }
      if (t == complex64 &&
          (std::string(o.name) == "floor_divide" || std::string(o.name) == "remainder")) {
        EXPECT_THROW(o.op(make_array(small_a, {8}, t), make_array(small_b, {8}, t)),
                     std::invalid_argument);
        continue;
      }
      auto a = make_array(small_a, {8}, t);
      auto b = make_array(small_b, {8}, t);
      auto y = o.op(a, b);
      auto got = values<double>(y);
      for (size_t i = 0; i < 8; ++i) {
        double x = small_a[i], z = small_b[i];
        if (t == bool_) {
          x = x != 0;
          z = z != 0;
        }
        const double ref = fit(o.ref(x, z), y.dtype());
        if (std::string(o.name) == "divide" && !issubdtype(t, inexact)) {
          EXPECT_EQ(y.dtype(), float32);
        } else if (t == bool_ || std::string(o.name) != "divide") {
          EXPECT_EQ(y.dtype(), t) << o.name;
        }
        const double tol =
            (t == bfloat16 || t == float16) ? 0.01 * std::fabs(ref) : 1e-6 * std::fabs(ref);
        if (std::isinf(ref)) {
          EXPECT_EQ(got[i], ref) << o.name << " " << dtype_name(t) << " at " << i;
        } else {
          EXPECT_NEAR(got[i], ref, tol) << o.name << " " << dtype_name(t) << " at " << i;
        }
      }
    }
  }
}

TEST(EveryDtype, ComparisonsAndWhere) {
  for (auto t : all_dtypes()) {
    auto a = make_array(small_a, {8}, t);
    auto b = make_array(small_b, {8}, t);
    auto lt = values<bool>(less(a, b));
    auto ge = values<bool>(greater_equal(a, b));
    auto w = values<double>(where(less(a, b), a, b));
    for (size_t i = 0; i < 8; ++i) {
      double x = small_a[i], z = small_b[i];
      if (t == bool_) {
        x = x != 0;
        z = z != 0;
      }
      EXPECT_EQ(lt[i], x < z) << dtype_name(t);
      EXPECT_EQ(ge[i], x >= z) << dtype_name(t);
      EXPECT_EQ(w[i], std::min(x, z)) << dtype_name(t);
    }
  }
}

TEST(EveryDtype, UnaryOpsThatKeepTheType) {
  const std::vector<double> v = {-3, -1, 0, 2, 5};
  for (auto t : all_dtypes()) {
    const bool is_unsigned = issubdtype(t, unsignedinteger) || t == bool_;
    std::vector<double> in = v;
    if (is_unsigned) {
      for (auto& x : in) {
        x = std::fabs(x);
      }
    }
    if (t == bool_) {
      for (auto& x : in) {
        x = x != 0;
      }
    }
    auto a = make_array(in, {5}, t);
    auto abs_v = values<double>(abs(a));
    auto sign_v = values<double>(sign(a));
    auto sq_v = values<double>(square(a));
    EXPECT_EQ(abs(a).dtype(), t == complex64 ? float32 : t);
    for (size_t i = 0; i < in.size(); ++i) {
      EXPECT_EQ(abs_v[i], std::fabs(in[i])) << dtype_name(t);
      EXPECT_EQ(sign_v[i], in[i] > 0 ? 1 : (in[i] < 0 ? -1 : 0)) << dtype_name(t);
      EXPECT_EQ(sq_v[i], t == bool_ ? in[i] : in[i] * in[i]) << dtype_name(t);
    }
    if (t != complex64) {
      auto fl = values<double>(floor(a));
      auto ce = values<double>(ceil(a));
      for (size_t i = 0; i < in.size(); ++i) {
        EXPECT_EQ(fl[i], in[i]);
        EXPECT_EQ(ce[i], in[i]);
      }
    }
    if (t != bool_) {
      auto ng = values<double>(negative(a));
      for (size_t i = 0; i < in.size(); ++i) {
        EXPECT_EQ(ng[i], fit(-in[i], t)) << dtype_name(t);
      }
    }
  }
}

TEST(EveryDtype, ReductionsScansAndSort) {
  for (auto t : all_dtypes()) {
    std::vector<double> in = {3, 1, 2, 0, 1, 2};
    if (t == bool_) {
      in = {1, 0, 1, 0, 1, 1};
    }
    auto a = make_array(in, {2, 3}, t);
    auto s = values<double>(sum(a, 1));
    EXPECT_EQ(s[0], in[0] + in[1] + in[2]) << dtype_name(t);
    EXPECT_EQ(s[1], in[3] + in[4] + in[5]) << dtype_name(t);
    auto p = values<double>(prod(a, 0));
    EXPECT_EQ(p[2], in[2] * in[5]) << dtype_name(t);
    auto c = values<double>(cumsum(a, 1));
    EXPECT_EQ(c[2], s[0]) << dtype_name(t);
    auto srt = values<double>(sort(a, 1));
    std::vector<double> r0(in.begin(), in.begin() + 3);
    std::sort(r0.begin(), r0.end());
    EXPECT_EQ(std::vector<double>(srt.begin(), srt.begin() + 3), r0) << dtype_name(t);
    if (t != complex64) {
      auto mx = values<double>(max(a, 1));
      auto mn = values<double>(min(a, 0));
      EXPECT_EQ(mx[0], *std::max_element(in.begin(), in.begin() + 3)) << dtype_name(t);
      EXPECT_EQ(mn[1], std::min(in[1], in[4])) << dtype_name(t);
      auto am = values<uint32_t>(argmax(a, 1));
      EXPECT_EQ(am[0], std::max_element(in.begin(), in.begin() + 3) - in.begin()) << dtype_name(t);
    }
    auto any_v = values<bool>(any(a, 1));
    EXPECT_TRUE(any_v[0]);
    auto mean_v = values<double>(mean(a));
    EXPECT_NEAR(mean_v[0], (in[0] + in[1] + in[2] + in[3] + in[4] + in[5]) / 6, 0.01)
        << dtype_name(t);
  }
}

TEST(EveryDtype, ShapeOpsMoveAnyElementSize) {
  for (auto t : all_dtypes()) {
    auto a = astype(reshape(arange(12), {3, 4}), t);
    auto ref = values<double>(a);
    auto tr = values<double>(transpose(a));
    auto cat = values<double>(concatenate({a, a}, 1));
    auto pd = values<double>(pad(a, {{0, 0}, {1, 0}}, array(1)));
    auto sl = values<double>(slice(a, {1, 3}, {3, 0}, {1, -2}));
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 4; ++j) {
        EXPECT_EQ(tr[j * 3 + i], ref[i * 4 + j]) << dtype_name(t);
        EXPECT_EQ(cat[i * 8 + j], ref[i * 4 + j]) << dtype_name(t);
        EXPECT_EQ(cat[i * 8 + 4 + j], ref[i * 4 + j]) << dtype_name(t);
        EXPECT_EQ(pd[i * 5 + j + 1], ref[i * 4 + j]) << dtype_name(t);
      }
      EXPECT_EQ(pd[i * 5], 1.0) << dtype_name(t);
    }
    EXPECT_EQ(sl, (std::vector<double>{ref[7], ref[5], ref[11], ref[9]})) << dtype_name(t);
  }
}

}  // namespace
}  // namespace mlxcpp::test
