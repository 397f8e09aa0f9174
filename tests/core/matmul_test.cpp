// Matrix products against a naive double-precision reference.
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

// Row-major [batch, m, k] x [batch, k, n] in double.
std::vector<double> naive_matmul(const std::vector<double>& a, const std::vector<double>& b,
                                 int batch, int m, int k, int n) {
  std::vector<double> c(batch * m * n, 0.0);
  for (int t = 0; t < batch; ++t) {
    for (int i = 0; i < m; ++i) {
      for (int p = 0; p < k; ++p) {
        for (int j = 0; j < n; ++j) {
          c[(t * m + i) * n + j] += a[(t * m + i) * k + p] * b[(t * k + p) * n + j];
        }
      }
    }
  }
  return c;
}

double tol_for(Dtype t, int k) {
  if (t == float64) {
    return 1e-12 * k;
  }
  if (t == float32 || t == complex64) {
    return 2e-6 * k;
  }
  return t == float16 ? 2e-3 * k : 1.6e-2 * k;
}

TEST(Matmul, ShapesAndDtypesAgainstReference) {
  const std::vector<std::array<int, 3>> sizes = {
      {1, 1, 1}, {1, 7, 1}, {3, 5, 2}, {1, 64, 33}, {33, 64, 1}, {17, 31, 23}, {128, 96, 70}};
  for (Dtype t : {float32, float64, float16, bfloat16}) {
    for (auto [m, k, n] : sizes) {
      auto av = random_values(m * k, -1, 1, m * 131 + k);
      auto bv = random_values(k * n, -1, 1, n * 17 + k);
      auto a = make_array(av, {m, k}, t);
      auto b = make_array(bv, {k, n}, t);
      auto ref = naive_matmul(values<double>(a), values<double>(b), 1, m, k, n);
      auto c = matmul(a, b);
      ASSERT_EQ(c.dtype(), t);
      ASSERT_EQ(c.shape(), (Shape{m, n}));
      expect_close(c, ref, tol_for(t, k));
      // Transposed operands take BLAS's transposed path.
      auto ct = matmul(transpose(transpose(a)), transpose(contiguous(transpose(b))));
      expect_close(ct, ref, tol_for(t, k));
    }
  }
}

TEST(Matmul, TransposedStridedAndBroadcastOperands) {
  auto av = random_values(4 * 6 * 5, -1, 1, 1);
  auto bv = random_values(5 * 3, -1, 1, 2);
  auto a = make_array(av, {4, 6, 5}, float32);
  auto b = make_array(bv, {5, 3}, float32);
  auto base = values<double>(matmul(a, b));
  std::vector<double> bb;
  for (int t = 0; t < 4; ++t) {
    bb.insert(bb.end(), bv.begin(), bv.end());
  }
  expect_close(matmul(a, b), naive_matmul(values<double>(a), bb, 4, 6, 5, 3), 1e-5);
  // a transposed view: (4, 5, 6) -> swap the last two axes.
  auto at = swapaxes(contiguous(swapaxes(a, 1, 2)), 1, 2);
  expect_close(matmul(at, b), base, 1e-5);
  // A sliced operand (non-unit column stride) is copied for BLAS.
  auto wide = make_array(random_values(5 * 6, -1, 1, 3), {5, 6}, float32);
  auto bs = slice(wide, {0, 0}, {5, 6}, {1, 2});  // (5, 3)
  auto ref = naive_matmul(
      values<double>(a),
      [&] {
        std::vector<double> v;
        auto one = values<double>(bs);
        for (int t = 0; t < 4; ++t) {
          v.insert(v.end(), one.begin(), one.end());
        }
        return v;
      }(),
      4, 6, 5, 3);
  expect_close(matmul(a, bs), ref, 1e-5);
  // A batched a against a 2-D b runs as one product over a's stacked rows: rows padded (a
  // slice of wider rows), a batch axis broadcast by a zero stride or rows reversed by a
  // negative one (both copied first), axes of size 1. w is a transposed [n, k] weight, so
  // bfloat16 takes the decoding kernel, with the padded row stride.
  for (Dtype t : {float32, bfloat16}) {
    const double rtol = t == float32 ? 1e-6 : std::ldexp(1.0, -8);
    auto w = transpose(make_array(random_values(4 * 5, -1, 1, 22), {4, 5}, t));
    auto stacked = [&](const array& x, int rows) {
      return naive_matmul(values<double>(contiguous(x)), values<double>(contiguous(w)), 1, rows, 5,
                          4);
    };
    auto padded =
        slice(make_array(random_values(2 * 3 * 9, -1, 1, 21), {2, 3, 9}, t), {0, 0, 0}, {2, 3, 5});
    expect_close(matmul(padded, w), stacked(padded, 6), 1e-5, rtol);
    auto repeated =
        broadcast_to(make_array(random_values(2 * 5, -1, 1, 23), {1, 2, 5}, t), {3, 2, 5});
    expect_close(matmul(repeated, w), stacked(repeated, 6), 1e-5, rtol);
    auto reversed = slice(make_array(random_values(2 * 3 * 5, -1, 1, 25), {2, 3, 5}, t), {0, 2, 0},
                          {2, -4, 5}, {1, -1, 1});
    expect_close(matmul(reversed, w), stacked(reversed, 6), 1e-5, rtol);
    auto one_reversed = slice(make_array(random_values(3 * 5, -1, 1, 26), {1, 3, 5}, t), {0, 2, 0},
                              {1, -4, 5}, {1, -1, 1});
    expect_close(matmul(one_reversed, w), stacked(one_reversed, 3), 1e-5, rtol);
    auto ones = make_array(random_values(2 * 5, -1, 1, 24), {1, 2, 1, 5}, t);
    ASSERT_EQ(matmul(ones, w).shape(), (Shape{1, 2, 1, 4}));
    expect_close(matmul(ones, w), stacked(ones, 2), 1e-5, rtol);
  }
  // Batch broadcasting: (2, 1, m, k) x (3, k, n) -> (2, 3, m, n).
  auto x = make_array(random_values(2 * 2 * 4, -1, 1, 4), {2, 1, 2, 4}, float64);
  auto y = make_array(random_values(3 * 4 * 3, -1, 1, 5), {3, 4, 3}, float64);
  auto z = matmul(x, y);
  ASSERT_EQ(z.shape(), (Shape{2, 3, 2, 3}));
  auto xv = values<double>(x), yv = values<double>(y), zv = values<double>(z);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      auto r = naive_matmul(std::vector<double>(xv.begin() + i * 8, xv.begin() + i * 8 + 8),
                            std::vector<double>(yv.begin() + j * 12, yv.begin() + j * 12 + 12), 1,
                            2, 4, 3);
      for (int e = 0; e < 6; ++e) {
        EXPECT_NEAR(zv[(i * 3 + j) * 6 + e], r[e], 1e-12);
      }
    }
  }
}

// Half-precision products, tightly: decoding shapes (a few rows) read the weight in place,
// with the weight contiguous along k (x @ w.T, the model layout) or along n (x @ w); more
// rows take the GEMM paths. bfloat16 x @ w.T runs on vdpbf16ps where the CPU has it, for
// few rows and many; k = 4141 reaches past the rows' prefetch distance, with a short tail.
TEST(Matmul, HalfPrecisionProductsAgainstReference) {
  for (Dtype t : {float16, bfloat16}) {
    const double unit = t == float16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
    for (int m : {1, 2, 3, 5, 8, 9, 33, 70}) {
      for (auto [k, n] : std::vector<std::pair<int, int>>{
               {1, 5}, {7, 3}, {128, 9}, {300, 67}, {37, 300}, {4141, 19}}) {
        auto a = make_array(random_values(m * k, -1, 1, m * 7 + k), {m, k}, t);
        auto w = make_array(random_values(n * k, -1, 1, n * 5 + k), {n, k}, t);
        auto wt = transpose(w);    // k x n, columns contiguous
        auto wc = contiguous(wt);  // k x n, rows contiguous
        auto ref = naive_matmul(values<double>(a), values<double>(wc), 1, m, k, n);
        for (const array& b : {wt, wc}) {
          auto c = values<double>(matmul(a, b));
          ASSERT_EQ(c.size(), ref.size());
          for (size_t e = 0; e < ref.size(); ++e) {
            // float32 sums of exact products, then one rounding to t.
            EXPECT_NEAR(c[e], ref[e], std::abs(ref[e]) * unit + 2e-6 * k)
                << "t=" << t << " m=" << m << " k=" << k << " n=" << n << " e=" << e;
          }
        }
      }
    }
    // A batch of activations against one (broadcast) weight, and addmm's alpha and beta.
    auto x = make_array(random_values(3 * 2 * 40, -1, 1, 11), {3, 2, 40}, t);
    auto w = make_array(random_values(6 * 40, -1, 1, 12), {6, 40}, t);
    auto c = make_array(random_values(3 * 2 * 6, -1, 1, 13), {3, 2, 6}, t);
    auto xv = values<double>(x), cv = values<double>(c);
    auto ref = naive_matmul(
        xv,
        [&] {
          std::vector<double> v;
          auto one = values<double>(contiguous(transpose(w)));
          for (int i = 0; i < 3; ++i) {
            v.insert(v.end(), one.begin(), one.end());
          }
          return v;
        }(),
        3, 2, 40, 6);
    auto got = values<double>(addmm(c, x, transpose(w), 1.5f, -0.5f));
    for (size_t e = 0; e < ref.size(); ++e) {
      const double want = 1.5 * ref[e] - 0.5 * cv[e];
      EXPECT_NEAR(got[e], want, std::abs(want) * unit + 1e-4) << "t=" << t << " e=" << e;
    }
  }
}

TEST(Matmul, VectorOperandsFollowNumpy) {
  auto v = array({1.0f, 2.0f, 3.0f});
  auto m = reshape(astype(arange(6), float32), {3, 2});
  expect_values<float>(matmul(v, v), {}, float32, {14});
  expect_values<float>(matmul(v, m), {2}, float32, {16, 22});
  expect_values<float>(matmul(transpose(m), v), {2}, float32, {16, 22});
  auto batched = broadcast_to(m, {2, 3, 2});
  expect_values<float>(matmul(v, batched), {2, 2}, float32, {16, 22, 16, 22});
}

TEST(Matmul, IntegerComplexAndEmpty) {
  // Integer products are exact (past float32's 24-bit mantissa).
  auto a = array({16777217, 1}, {1, 2}, int32);
  auto b = array({1, 1}, {2, 1}, int32);
  expect_values<int>(matmul(a, b), {1, 1}, int32, {16777218});
  expect_values<int>(matmul(array({100, 100}, int8), array({2, 1}, int8)), {}, int8, {44});
  expect_values<int64_t>(matmul(reshape(array({int64_t(1) << 40, int64_t(3)}), {1, 2}),
                                reshape(array({int64_t(2), int64_t(5)}), {2, 1})),
                         {1, 1}, int64, {(int64_t(1) << 41) + 15});
  auto c = matmul(array({complex64_t(1, 1), complex64_t(0, 2)}),
                  array({complex64_t(2, 0), complex64_t(1, -1)}));
  EXPECT_EQ(c.item<complex64_t>(), complex64_t(4, 4));
  // K = 0 gives zeros; M or N = 0 gives an empty result.
  expect_values<float>(matmul(zeros({2, 0}), zeros({0, 3})), {2, 3}, float32,
                       std::vector<float>(6, 0.0f));
  EXPECT_EQ(matmul(zeros({0, 4}), zeros({4, 3})).shape(), (Shape{0, 3}));
  // Mixed dtypes promote.
  EXPECT_EQ(matmul(ones({2, 2}, float16), ones({2, 2}, float32)).dtype(), float32);
}

TEST(Matmul, LargeProductsSplitAcrossThreads) {
  const int n = 300;
  auto av = random_values(n * n, -1, 1, 8);
  auto bv = random_values(n * n, -1, 1, 9);
  auto a = make_array(av, {n, n}, float32);
  auto b = make_array(bv, {n, n}, float32);
  expect_close(matmul(a, b), naive_matmul(values<double>(a), values<double>(b), 1, n, n, n), 2e-4);
  // A single row against a wide matrix (split by columns).
  auto row = slice(a, {0, 0}, {1, n});
  auto wide = make_array(random_values(n * 4000, -1, 1, 10), {n, 4000}, float32);
  expect_close(matmul(row, wide),
               naive_matmul(values<double>(row), values<double>(wide), 1, 1, n, 4000), 2e-4);
}

TEST(Matmul, ArgumentErrors) {
  EXPECT_THROW(matmul(array(1.0f), ones({2})), std::invalid_argument);
  EXPECT_THROW(matmul(ones({2, 3}), ones({2, 3})), std::invalid_argument);
  EXPECT_THROW(matmul(ones({2, 2, 3}), ones({4, 3, 2})), std::invalid_argument);
  EXPECT_THROW(matmul(ones({2}, bool_), ones({2}, bool_)), std::invalid_argument);
}

TEST(AddMM, AlphaBetaAndBroadcastC) {
  auto a = reshape(astype(arange(6), float32), {2, 3});
  auto b = reshape(astype(arange(12), float32), {3, 4});
  auto c = array({1.0f, 2.0f, 3.0f, 4.0f});
  auto ab = values<float>(matmul(a, b));
  auto out = values<float>(addmm(c, a, b, 2.0f, 0.5f));
  for (int i = 0; i < 8; ++i) {
    EXPECT_FLOAT_EQ(out[i], 2 * ab[i] + 0.5f * (i % 4 + 1));
  }
  auto bf = values<float>(addmm(astype(c, bfloat16), astype(a, bfloat16), astype(b, bfloat16)));
  for (int i = 0; i < 8; ++i) {
    EXPECT_NEAR(bf[i], ab[i] + (i % 4 + 1), 1.0);
  }
  // A 1-D b: c follows the (squeezed) result's shape.
  expect_values<float>(addmm(array({10.0f, 20.0f}), a, array({1.0f, 1.0f, 1.0f})), {2}, float32,
                       {13, 32});
  // As MLX: addmm is for floating point types.
  EXPECT_THROW(addmm(array({1}), array({2}, {1, 1}, int32), array({3}, {1, 1}, int32)),
               std::invalid_argument);
  EXPECT_THROW(addmm(c, a, a), std::invalid_argument);
}

TEST(GatherMM, PicksMatricesByIndex) {
  auto a = reshape(astype(arange(2 * 2 * 3), float32), {2, 2, 3});
  auto b = reshape(astype(arange(3 * 3 * 2), float32), {3, 3, 2});
  auto lhs = array({1, 0, 1}, uint32);
  auto rhs = array({2, 2, 0}, uint32);
  auto out = gather_mm(a, b, lhs, rhs);
  ASSERT_EQ(out.shape(), (Shape{3, 2, 2}));
  for (int i = 0; i < 3; ++i) {
    const int li = values<int>(lhs)[i], ri = values<int>(rhs)[i];
    auto ref = matmul(slice(a, {li, 0, 0}, {li + 1, 2, 3}), slice(b, {ri, 0, 0}, {ri + 1, 3, 2}));
    EXPECT_TRUE(array_equal(slice(out, {i, 0, 0}, {i + 1, 2, 2}), ref).item<bool>()) << i;
  }
  // Only one side indexed: the other is the identity over its batch.
  auto only_rhs = gather_mm(a, b, std::nullopt, array({0, 1}));
  EXPECT_EQ(only_rhs.shape(), (Shape{2, 2, 2}));
  auto bad = gather_mm(a, b, array({2}), array({0}));
  EXPECT_THROW(bad.eval(), std::invalid_argument);
  auto neg = gather_mm(a, b, array({-1}), array({0}));
  EXPECT_THROW(neg.eval(), std::invalid_argument);
  EXPECT_THROW(gather_mm(a, b, array({0.5f}), array({0})), std::invalid_argument);
}

// A prompt through a MoE layer: tokens routed to one expert run as one product over their
// stacked rows, groups of one size as one batch. Experts 0-5 serve 1, 3, 28, 44, 2 and 2
// products (GEMV and GEMM; the last 12 tokens pick expert 3 twice, which is legal), the
// weights a transposed view as SwitchLinear passes them. Each token's rows against the
// reference.
TEST(GatherMM, GroupsTheTokensOfEachExpert) {
  const int T = 40, E = 6, K = 48, N = 20;
  std::vector<int> route;  // [T, 2]
  for (int t = 0; t < T; ++t) {
    route.push_back(t < 28 ? 2 : 3);
    route.push_back(t == 0 ? 0 : t < 4 ? 1 : t < 6 ? 4 : t < 8 ? 5 : 3);
  }
  const array idx(route.data(), {T, 2}, int32);
  for (const Dtype dt : {float32, bfloat16, int32}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    const auto xv = random_values(T * 2 * K, -1, 1, 51);  // two rows per token
    const auto wv = random_values(E * N * K, -1, 1, 52);
    std::vector<double> xr(xv), wr(wv);
    if (dt == int32) {  // small integers: exact in every path
      for (auto* v : {&xr, &wr}) {
        for (double& e : *v) {
          e = std::round(e * 4);
        }
      }
    }
    const array x = make_array(xr, {T, 1, 2, K}, dt);
    const array w = make_array(wr, {E, N, K}, dt);  // [expert, out, in]
    const auto got = values<double>(gather_mm(x, swapaxes(w, -1, -2), std::nullopt, idx));
    ASSERT_EQ(got.size(), size_t(T * 2 * 2 * N));
    const auto xd = values<double>(x), wd = values<double>(w);
    for (int i = 0; i < T * 2; ++i) {
      const int t = i / 2, e = route[i];
      for (int r = 0; r < 2; ++r) {
        for (int n = 0; n < N; ++n) {
          double want = 0;
          for (int p = 0; p < K; ++p) {
            want += xd[(t * 2 + r) * K + p] * wd[(e * N + n) * K + p];
          }
          const double tol = dt == int32 ? 0.0 : tol_for(dt, K);
          ASSERT_NEAR(got[(i * 2 + r) * N + n], want, tol)
              << "token " << t << " expert " << e << " row " << r << " col " << n;
        }
      }
    }
  }
  // No inner dimension: zeros, grouped or not.
  const auto z = gather_mm(zeros({3, 1, 2, 0}), zeros({2, 0, 5}), std::nullopt,
                           array({1, 1, 0}, {3, 1}, int32));
  ASSERT_EQ(z.shape(), (Shape{3, 1, 2, 5}));
  EXPECT_EQ(values<float>(z), std::vector<float>(30, 0.0f));
}

TEST(BlockMaskedMM, MasksBlocksOfOperandsAndOutput) {
  const int m = 64, k = 64, n = 96;
  auto a = make_array(random_values(m * k, -1, 1, 21), {m, k}, float32);
  auto b = make_array(random_values(k * n, -1, 1, 22), {k, n}, float32);
  auto mask_out = array({true, false, true, true, false, true}, {2, 3});
  auto mask_lhs = array({true, false, true, true}, {2, 2});
  auto mask_rhs = array({1.0f, 0.5f, 2.0f, 1.0f, 0.0f, 3.0f}, {2, 3});
  auto got = values<double>(block_masked_mm(a, b, 32, mask_out, mask_lhs, mask_rhs));
  auto av = values<double>(a), bv = values<double>(b);
  auto mo = values<double>(mask_out), ml = values<double>(mask_lhs), mr = values<double>(mask_rhs);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int p = 0; p < k; ++p) {
        acc +=
            av[i * k + p] * ml[(i / 32) * 2 + p / 32] * bv[p * n + j] * mr[(p / 32) * 3 + j / 32];
      }
      acc *= mo[(i / 32) * 3 + j / 32];
      ASSERT_NEAR(got[i * n + j], acc, 1e-4) << i << "," << j;
    }
  }
  EXPECT_THROW(block_masked_mm(a, b, 16, mask_out), std::invalid_argument);
  EXPECT_THROW(block_masked_mm(a, b, 32, array({true}, {1, 1})), std::invalid_argument);
}

TEST(Contractions, TensordotInnerOuterVecdotKron) {
  auto a = reshape(astype(arange(24), float32), {2, 3, 4});
  auto b = reshape(astype(arange(12), float32), {4, 3});
  auto t = tensordot(a, b, std::vector<int>{1, 2}, std::vector<int>{1, 0});
  auto av = values<double>(a), bv = values<double>(b);
  std::vector<double> ref(2, 0.0);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int l = 0; l < 4; ++l) {
        ref[i] += av[i * 12 + j * 4 + l] * bv[l * 3 + j];
      }
    }
  }
  expect_close(t, ref, 1e-4);
  EXPECT_EQ(tensordot(a, reshape(b, {3, 4}), 2).shape(), Shape{2});
  EXPECT_EQ(tensordot(a, ones({4, 5}), 1).shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(tensordot(a, ones({5}), 0).shape(), (Shape{2, 3, 4, 5}));
  expect_values<float>(inner(array({1.0f, 2.0f}), array({3.0f, 4.0f})), {}, float32, {11});
  expect_values<float>(inner(array(2.0f), array({3.0f, 4.0f})), {2}, float32, {6, 8});
  expect_values<int>(outer(array({1, 2}), array({3, 4, 5})), {2, 3}, int32, {3, 4, 5, 6, 8, 10});
  auto c = array({complex64_t(1, 1)});
  EXPECT_EQ(vecdot(c, c).item<complex64_t>(), complex64_t(2, 0));
  expect_values<float>(vecdot(reshape(astype(arange(6), float32), {2, 3}), ones({2, 3}), 0), {3},
                       float32, {3, 5, 7});
  expect_values<int>(kron(array({1, 2}), array({1, 10})), {4}, int32, {1, 10, 2, 20});
  expect_values<int>(kron(eye(2, int32), array({1, 2, 3, 4}, {2, 2})), {4, 4}, int32,
                     {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4});
  EXPECT_THROW(tensordot(a, b, -1), std::invalid_argument);
  EXPECT_THROW(tensordot(a, b, 4), std::invalid_argument);
  EXPECT_THROW(tensordot(a, b, std::vector<int>{0}, std::vector<int>{0}), std::invalid_argument);
  EXPECT_THROW(inner(ones({2}), ones({3})), std::invalid_argument);
  EXPECT_THROW(kron(zeros({0}), ones({2})), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test

namespace mlxcpp::test {
namespace {

TEST(Blas, TheConfiguredLibraryIsLoaded) {
  // setup.sh installs OpenBLAS; only MLXCPP_BLAS=none selects the portable kernels.
  const char* forced = std::getenv("MLXCPP_BLAS");
  const std::string lib = build_info().blas;
  if (forced != nullptr && std::string(forced) == "none") {
    EXPECT_NE(lib.find("portable"), std::string::npos) << lib;
  } else {
    EXPECT_NE(lib.find("OpenBLAS"), std::string::npos) << lib;
  }
}

}  // namespace
}  // namespace mlxcpp::test
