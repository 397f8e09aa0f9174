// einsum against the equivalent explicit ops.
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

array rand_array(const Shape& shape, uint32_t seed) {
  int64_t n = 1;
  for (auto d : shape) {
    n *= d;
  }
  return make_array(random_values(n, -1, 1, seed), shape, float64);
}

void expect_same(const array& got, const array& ref) {
  ASSERT_EQ(got.shape(), ref.shape());
  expect_close(got, values<double>(ref), 1e-12);
}

TEST(Einsum, CommonPatterns) {
  auto a = rand_array({3, 4}, 1);
  auto b = rand_array({4, 5}, 2);
  auto sq = rand_array({4, 4}, 3);
  auto v = rand_array({4}, 4);
  auto w = rand_array({5}, 5);
  expect_same(einsum("ij,jk->ik", {a, b}), matmul(a, b));
  expect_same(einsum("ij,jk", {a, b}), matmul(a, b));  // implicit output
  expect_same(einsum("ij->ji", {a}), transpose(a));
  expect_same(einsum("ji", {a}), transpose(a));  // implicit: alphabetical
  expect_same(einsum("ii->i", {sq}), diagonal(sq));
  expect_same(einsum("ii", {sq}), trace(sq));
  expect_same(einsum("ij->", {a}), sum(a));
  expect_same(einsum("ij->j", {a}), sum(a, 0));
  expect_same(einsum("i,i->", {v, v}), sum(v * v));
  expect_same(einsum("i,j->ij", {v, w}), outer(v, w));
  expect_same(einsum("ij,j->i", {a, v}), matmul(a, v));
  expect_same(einsum("ij,ij->ij", {a, a}), a * a);
  expect_same(einsum(" i j , j k -> i k ", {a, b}), matmul(a, b));
}

TEST(Einsum, BatchedAndThreeOperands) {
  auto q = rand_array({2, 3, 5, 8}, 6);
  auto k = rand_array({2, 3, 7, 8}, 7);
  expect_same(einsum("bhqd,bhkd->bhqk", {q, k}), matmul(q, swapaxes(k, -1, -2)));
  auto x = rand_array({3, 4}, 8), y = rand_array({4, 5}, 9), z = rand_array({5, 2}, 10);
  expect_same(einsum("ij,jk,kl->il", {x, y, z}), matmul(matmul(x, y), z));
  auto path = einsum_path("ij,jk,kl->il", {x, y, z});
  EXPECT_EQ(path.first.size(), 2u);
  // A letter summed within one operand before any contraction.
  expect_same(einsum("ij,k->ik", {x, rand_array({6}, 11)}), outer(sum(x, 1), rand_array({6}, 11)));
}

TEST(Einsum, EllipsisBroadcasts) {
  auto a = rand_array({2, 1, 3, 4}, 12);
  auto b = rand_array({5, 4, 6}, 13);
  expect_same(einsum("...ij,...jk->...ik", {a, b}), matmul(a, b));
  expect_same(einsum("...ij,...jk", {a, b}), matmul(a, b));
  expect_same(einsum("i...->...", {rand_array({3, 2, 2}, 14)}), sum(rand_array({3, 2, 2}, 14), 0));
  expect_same(einsum("...i->", {a}), sum(a));
}

TEST(Einsum, IntegerAndMixedTypes) {
  auto a = array({1, 2, 3, 4}, {2, 2});
  expect_values<int>(einsum("ij,jk->ik", {a, a}), {2, 2}, int32, {7, 10, 15, 22});
  EXPECT_EQ(einsum("ij,jk->ik", {a, ones({2, 2}, float32)}).dtype(), float32);
}

TEST(Einsum, BadSubscriptsAreRejected) {
  auto a = ones({2, 3});
  EXPECT_THROW(einsum("ij,jk->ik", {a}), std::invalid_argument);
  EXPECT_THROW(einsum("ijk", {a}), std::invalid_argument);
  EXPECT_THROW(einsum("i", {a}), std::invalid_argument);
  EXPECT_THROW(einsum("i$", {a}), std::invalid_argument);
  EXPECT_THROW(einsum("ij->k", {a}), std::invalid_argument);
  EXPECT_THROW(einsum("ij->ii", {a}), std::invalid_argument);
  EXPECT_THROW(einsum("...i...", {a}), std::invalid_argument);
  EXPECT_THROW(einsum("ii", {a}), std::invalid_argument);  // 2 != 3
  EXPECT_THROW(einsum("ij,jk->ik", {a, ones({4, 2})}), std::invalid_argument);
  EXPECT_THROW(einsum("ij", {}), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
