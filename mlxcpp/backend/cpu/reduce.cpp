// Reductions (sum, prod, max, min, and, or) over any set of axes.
//
// The input is brought to row-major order, its axes are merged into
// alternating kept / reduced blocks, and one of three loops runs:
// a row reduce (reduced axes last), a column reduce (one reduced block
// followed by kept axes, vectorised across the kept ones), or, for other
// patterns, a transposing copy that makes the reduced axes last.
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/math.h"
#include "mlxcpp/backend/cpu/strided.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

template <typename T>
using acc_of = std::conditional_t<is_half_v<T>, float, T>;

// Each reducer: Acc init(), Acc step(Acc, Acc) (associative), Out finish(Acc).
template <typename In, typename Out>
struct SumReducer {
  // Float sums accumulate in double: long reductions keep full float accuracy.
  using Acc = std::conditional_t<
      std::is_same_v<acc_of<Out>, bool>, int32_t,
      std::conditional_t<std::is_same_v<acc_of<Out>, float>, double, acc_of<Out>>>;
  Acc init() const { return Acc(0); }
  Acc load(In x) const { return value_cast<Acc>(x); }
  Acc step(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>) {
      using U = std::make_unsigned_t<Acc>;
      return static_cast<Acc>(static_cast<U>(a) + static_cast<U>(b));
    } else {
      return a + b;
    }
  }
  Out finish(Acc a) const { return value_cast<Out>(a); }
};

template <typename In, typename Out>
struct ProdReducer {
  using Acc = std::conditional_t<std::is_same_v<acc_of<Out>, bool>, int32_t, acc_of<Out>>;
  Acc init() const { return Acc(1); }
  Acc load(In x) const { return value_cast<Acc>(x); }
  Acc step(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>) {
      using U = std::make_unsigned_t<Acc>;
      using W = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;
      return static_cast<Acc>(static_cast<W>(static_cast<U>(a)) *
                              static_cast<W>(static_cast<U>(b)));
    } else {
      return a * b;
    }
  }
  Out finish(Acc a) const { return value_cast<Out>(a); }
};

template <typename T>
constexpr bool has_nan_v = std::is_floating_point_v<T>;

// Max and min propagate NaN.
template <typename In, typename Out, bool is_max>
struct ExtremumReducer {
  using Acc = acc_of<In>;
  Acc init() const { return is_max ? cpu::max_identity<Acc>() : cpu::min_identity<Acc>(); }
  Acc load(In x) const { return static_cast<Acc>(x); }
  Acc step(Acc a, Acc b) const {
    if constexpr (has_nan_v<Acc>) {
      if (a != a) {
        return a;
      }
      if (b != b) {
        return b;
      }
    }
    if constexpr (is_max) {
      return b > a ? b : a;
    } else {
      return b < a ? b : a;
    }
  }
  Out finish(Acc a) const { return static_cast<Out>(a); }
};

template <typename In, typename Out>
using MaxReducer = ExtremumReducer<In, Out, true>;
template <typename In, typename Out>
using MinReducer = ExtremumReducer<In, Out, false>;

template <typename In, typename Out>
struct AndReducer {
  using Acc = bool;
  Acc init() const { return true; }
  Acc load(In x) const { return value_cast<bool>(x); }
  Acc step(Acc a, Acc b) const { return a && b; }
  Out finish(Acc a) const { return a; }
};

template <typename In, typename Out>
struct OrReducer {
  using Acc = bool;
  Acc init() const { return false; }
  Acc load(In x) const { return value_cast<bool>(x); }
  Acc step(Acc a, Acc b) const { return a || b; }
  Out finish(Acc a) const { return a; }
};

// Reduce n contiguous values with independent partial accumulators, so that
// the compiler can vectorise float sums without reassociating one chain.
template <typename In, typename R>
typename R::Acc reduce_run(const In* x, int64_t n, const R& r) {
  using Acc = typename R::Acc;
  constexpr int lanes = 16;
  Acc part[lanes];
  for (auto& p : part) {
    p = r.init();
  }
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    for (int l = 0; l < lanes; ++l) {
      part[l] = r.step(part[l], r.load(x[i + l]));
    }
  }
  Acc acc = r.init();
  for (; i < n; ++i) {
    acc = r.step(acc, r.load(x[i]));
  }
  for (int l = 0; l < lanes; ++l) {
    acc = r.step(acc, part[l]);
  }
  return acc;
}

// The merged structure of a row-major input: alternating kept and reduced blocks.
struct Blocks {
  std::vector<int64_t> size;
  std::vector<bool> reduced;
};

Blocks merge_blocks(const Shape& shape, const std::vector<int>& axes) {
  Blocks b;
  std::vector<bool> is_reduced(shape.size(), false);
  for (int ax : axes) {
    is_reduced[ax] = true;
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) {
      continue;
    }
    if (!b.size.empty() && b.reduced.back() == is_reduced[i]) {
      b.size.back() *= shape[i];
    } else {
      b.size.push_back(shape[i]);
      b.reduced.push_back(is_reduced[i]);
    }
  }
  return b;
}

// out[o] = reduce(x[o * n .. o * n + n)) for `rows` outputs.
// Accumulators live in vectors; vector<bool> packs bits, so bools use uint8_t there.
template <typename Acc>
using acc_store = std::conditional_t<std::is_same_v<Acc, bool>, uint8_t, Acc>;

template <typename In, typename Out, typename R>
void row_reduce(const In* x, Out* out, int64_t rows, int64_t n, const R& r) {
  using Acc = typename R::Acc;
  if (rows == 1) {
    // One long reduction: split it across the pool and combine the parts.
    const int64_t chunks = std::min<int64_t>(cpu::num_threads(), std::max<int64_t>(1, n / 65536));
    std::vector<acc_store<Acc>> parts(chunks, r.init());
    cpu::parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const int64_t lo = n * c / chunks;
        const int64_t hi = n * (c + 1) / chunks;
        parts[c] = reduce_run(x + lo, hi - lo, r);
      }
    });
    Acc acc = r.init();
    for (auto p : parts) {
      acc = r.step(acc, static_cast<Acc>(p));
    }
    out[0] = r.finish(acc);
    return;
  }
  cpu::parallel_for(rows, std::max<int64_t>(1, cpu::elementwise_grain / std::max<int64_t>(n, 1)),
                    [&](int64_t b, int64_t e) {
                      for (int64_t o = b; o < e; ++o) {
                        out[o] = r.finish(reduce_run(x + o * n, n, r));
                      }
                    });
}

// out[o, i] = reduce_k x[o, k, i] for an (outer, n, inner) input.
template <typename In, typename Out, typename R>
void column_reduce(const In* x, Out* out, int64_t outer, int64_t n, int64_t inner, const R& r) {
  using Acc = typename R::Acc;
  // Work on column blocks so the accumulators stay in cache.
  constexpr int64_t block = 1024;
  const int64_t blocks = (inner + block - 1) / block;
  cpu::parallel_for(outer * blocks, std::max<int64_t>(1, cpu::elementwise_grain / (n * block)),
                    [&](int64_t b, int64_t e) {
                      std::vector<acc_store<Acc>> acc(block);
                      for (int64_t t = b; t < e; ++t) {
                        const int64_t o = t / blocks;
                        const int64_t i0 = (t % blocks) * block;
                        const int64_t len = std::min(block, inner - i0);
                        std::fill(acc.begin(), acc.begin() + len, r.init());
                        const In* base = x + o * n * inner + i0;
                        for (int64_t k = 0; k < n; ++k) {
                          const In* row = base + k * inner;
                          for (int64_t i = 0; i < len; ++i) {
                            acc[i] = r.step(static_cast<Acc>(acc[i]), r.load(row[i]));
                          }
                        }
                        Out* dst = out + o * inner + i0;
                        for (int64_t i = 0; i < len; ++i) {
                          dst[i] = r.finish(static_cast<Acc>(acc[i]));
                        }
                      }
                    });
}

template <typename In, typename Out, typename R>
void reduce_typed(const array& in_any, array& out, const std::vector<int>& axes, const R& r) {
  out.set_data(allocator::malloc(out.nbytes()));
  Out* dst = out.data<Out>();
  if (out.size() == 0) {
    return;
  }
  if (in_any.size() == 0) {
    // Reducing an empty axis gives the identity.
    const Out v = r.finish(r.init());
    std::fill(dst, dst + out.size(), v);
    return;
  }
  array in = cpu::row_major(in_any);
  Blocks blocks = merge_blocks(in.shape(), axes);
  const In* x = in.data<In>();
  const size_t nb = blocks.size.size();
  size_t reduced_blocks = 0;
  for (bool rd : blocks.reduced) {
    reduced_blocks += rd;
  }
  if (reduced_blocks == 0) {
    // Only size-1 axes are reduced: an elementwise conversion.
    row_reduce(x, dst, static_cast<int64_t>(in.size()), 1, r);
    return;
  }
  if (reduced_blocks == 1) {
    // Blocks alternate, so one reduced block means (K,) R (, K).
    if (blocks.reduced.back()) {
      const int64_t n = blocks.size.back();
      row_reduce(x, dst, static_cast<int64_t>(in.size()) / n, n, r);
    } else {
      const int64_t inner = blocks.size.back();
      const int64_t n = blocks.size[nb - 2];
      const int64_t outer = nb == 3 ? blocks.size[0] : 1;
      column_reduce(x, dst, outer, n, inner, r);
    }
    return;
  }
  // Other patterns: transpose the reduced axes to the end, then row reduce.
  std::vector<int> perm;
  std::vector<bool> is_reduced(in.ndim(), false);
  for (int ax : axes) {
    is_reduced[ax] = true;
  }
  int64_t n = 1;
  for (size_t i = 0; i < in.ndim(); ++i) {
    if (!is_reduced[i]) {
      perm.push_back(static_cast<int>(i));
    }
  }
  for (size_t i = 0; i < in.ndim(); ++i) {
    if (is_reduced[i]) {
      perm.push_back(static_cast<int>(i));
      n *= in.shape(i);
    }
  }
  Shape tshape;
  Strides tstrides;
  for (int p : perm) {
    tshape.push_back(in.shape(p));
    tstrides.push_back(in.strides()[p]);
  }
  array moved(allocator::malloc(in.nbytes()), tshape, in.dtype());
  cpu::copy_raw(x, in.dtype(), tstrides, tshape, moved.data<void>(), in.dtype(), moved.strides());
  row_reduce(moved.data<In>(), dst, static_cast<int64_t>(in.size()) / n, n, r);
}

// The output type of sums and products: small integers widen as in the op.
template <typename In>
using sum_type = std::conditional_t<
    std::is_same_v<In, bool>, int32_t,
    std::conditional_t<
        std::is_integral_v<In>,
        std::conditional_t<std::is_signed_v<In>,
                           std::conditional_t<(sizeof(In) <= 4), int32_t, int64_t>,
                           std::conditional_t<(sizeof(In) <= 4), uint32_t, uint64_t>>,
        In>>;

enum class OutRule { Bool, Same, Sum };

template <template <typename, typename> class R, OutRule rule>
void reduce_dispatch(const array& in, array& out, const std::vector<int>& axes) {
  cpu::dispatch_all_types(in.dtype(), [&](auto in_tag) {
    using In = MLXCPP_TAG_TYPE(in_tag);
    using Out = std::conditional_t<rule == OutRule::Bool, bool,
                                   std::conditional_t<rule == OutRule::Same, In, sum_type<In>>>;
    if (out.itemsize() != sizeof(Out)) {
      throw std::invalid_argument("[reduce] Unexpected output dtype " +
                                  std::string(dtype_name(out.dtype())) + " for input " +
                                  std::string(dtype_name(in.dtype())) + ".");
    }
    reduce_typed<In, Out>(in, out, axes, R<In, Out>{});
  });
}

}  // namespace

void Reduce::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  switch (reduce_type_) {
    case And:
      return reduce_dispatch<AndReducer, OutRule::Bool>(in, out, axes_);
    case Or:
      return reduce_dispatch<OrReducer, OutRule::Bool>(in, out, axes_);
    case Sum:
      return reduce_dispatch<SumReducer, OutRule::Sum>(in, out, axes_);
    case Prod:
      return reduce_dispatch<ProdReducer, OutRule::Sum>(in, out, axes_);
    case Max:
      return reduce_dispatch<MaxReducer, OutRule::Same>(in, out, axes_);
    case Min:
      return reduce_dispatch<MinReducer, OutRule::Same>(in, out, axes_);
  }
}

}  // namespace mlxcpp
