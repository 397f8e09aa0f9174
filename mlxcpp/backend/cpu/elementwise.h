// Shared drivers of the elementwise kernels (unary, binary, ternary):
// contiguous inputs run as flat loops over their buffers, anything else
// walks rows of the collapsed index space. Large arrays split over the pool.
#pragma once

#include <type_traits>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/strided.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/array.h"

namespace mlxcpp::cpu {

/** op applied to a value; half types compute in float. */
template <typename Op, typename T>
inline auto apply_unary(const Op& op, T x) {
  if constexpr (is_half_v<T>) {
    return op(static_cast<float>(x));
  } else {
    return op(x);
  }
}

/** out = op(in) elementwise. out's buffer must already be set (allocate_like). */
template <typename In, typename Out, typename Op>
void unary_loop(const array& in, array& out, const Op& op) {
  const In* src = in.data<In>();
  Out* dst = out.data<Out>();
  if (in.flags().contiguous && out.strides() == in.strides()) {
    const int64_t n = static_cast<int64_t>(in.data_size());
    parallel_for(n, elementwise_grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        dst[i] = static_cast<Out>(apply_unary(op, src[i]));
      }
    });
    return;
  }
  auto c = collapse_dims<2>(in.shape(), {&in.strides(), &out.strides()});
  const int64_t inner = c.shape.back();
  const int64_t si = c.strides[0].back();
  const int64_t so = c.strides[1].back();
  parallel_for(num_rows(c.shape),
               std::max<int64_t>(1, elementwise_grain / std::max<int64_t>(inner, 1)),
               [&](int64_t b, int64_t e) {
                 RowCursor<2> cur(c, b);
                 for (int64_t r = b; r < e; ++r) {
                   const In* s = src + cur.offsets()[0];
                   Out* d = dst + cur.offsets()[1];
                   for (int64_t i = 0; i < inner; ++i) {
                     d[i * so] = static_cast<Out>(apply_unary(op, s[i * si]));
                   }
                   cur.next();
                 }
               });
}

}  // namespace mlxcpp::cpu

namespace mlxcpp::cpu {

/** op applied to two values; half types compute in float. */
template <typename Op, typename T>
inline auto apply_binary(const Op& op, T x, T y) {
  if constexpr (is_half_v<T>) {
    return op(static_cast<float>(x), static_cast<float>(y));
  } else {
    return op(x, y);
  }
}

/** How the inputs of a binary op are laid out relative to each other. */
enum class BinaryLayout { ScalarScalar, ScalarVector, VectorScalar, VectorVector, General };

inline BinaryLayout binary_layout(const array& a, const array& b) {
  const bool a_scalar = a.data_size() == 1;
  const bool b_scalar = b.data_size() == 1;
  if (a_scalar && b_scalar) {
    return BinaryLayout::ScalarScalar;
  }
  if (a_scalar && b.flags().contiguous) {
    return BinaryLayout::ScalarVector;
  }
  if (b_scalar && a.flags().contiguous) {
    return BinaryLayout::VectorScalar;
  }
  if (a.flags().contiguous && b.flags().contiguous && a.strides() == b.strides()) {
    return BinaryLayout::VectorVector;
  }
  return BinaryLayout::General;
}

/** Set out's buffer for a binary op: the dense layout of the vector operand (donating
 *  a single-use input buffer of the right size) or row-major for the general case. */
inline void allocate_binary_output(const array& a, const array& b, array& out, BinaryLayout layout,
                                   bool allow_donation = true) {
  // A dense, single-use input keeps its layout and offset as the output's.
  auto donate = [&](const array& in) {
    return allow_donation && in.is_donatable() && in.itemsize() == out.itemsize();
  };
  switch (layout) {
    case BinaryLayout::ScalarScalar:
      out.set_data(allocator::malloc(out.itemsize()), 1, a.strides(), a.flags());
      return;
    case BinaryLayout::ScalarVector:
      if (donate(b)) {
        out.copy_shared_buffer(b);
      } else {
        out.set_data(allocator::malloc(b.data_size() * out.itemsize()), b.data_size(), b.strides(),
                     b.flags());
      }
      return;
    case BinaryLayout::VectorScalar:
    case BinaryLayout::VectorVector:
      if (donate(a)) {
        out.copy_shared_buffer(a);
      } else if (layout == BinaryLayout::VectorVector && donate(b)) {
        out.copy_shared_buffer(b);
      } else {
        out.set_data(allocator::malloc(a.data_size() * out.itemsize()), a.data_size(), a.strides(),
                     a.flags());
      }
      return;
    case BinaryLayout::General:
      out.set_data(allocator::malloc(out.nbytes()));
      return;
  }
}

template <typename T, typename Out, typename Op>
inline void binary_row(const T* a, int64_t sa, const T* b, int64_t sb, Out* o, int64_t so,
                       int64_t n, const Op& op) {
  if (so == 1 && sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) {
      o[i] = static_cast<Out>(apply_binary(op, a[i], b[i]));
    }
  } else if (so == 1 && sa == 1 && sb == 0) {
    const T y = b[0];
    for (int64_t i = 0; i < n; ++i) {
      o[i] = static_cast<Out>(apply_binary(op, a[i], y));
    }
  } else if (so == 1 && sa == 0 && sb == 1) {
    const T x = a[0];
    for (int64_t i = 0; i < n; ++i) {
      o[i] = static_cast<Out>(apply_binary(op, x, b[i]));
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      o[i * so] = static_cast<Out>(apply_binary(op, a[i * sa], b[i * sb]));
    }
  }
}

/** out = op(a, b) elementwise for inputs of equal shape and dtype T. Sets out's buffer. */
template <typename T, typename Out, typename Op>
void binary_loop(const array& a, const array& b, array& out, const Op& op,
                 bool allow_donation = true) {
  const auto layout = binary_layout(a, b);
  allocate_binary_output(a, b, out, layout, allow_donation);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  Out* po = out.data<Out>();
  auto flat = [&](int64_t n, int64_t sa, int64_t sb) {
    parallel_for(n, elementwise_grain, [&](int64_t begin, int64_t end) {
      binary_row(pa + begin * sa, sa, pb + begin * sb, sb, po + begin, 1, end - begin, op);
    });
  };
  switch (layout) {
    case BinaryLayout::ScalarScalar:
      po[0] = static_cast<Out>(apply_binary(op, pa[0], pb[0]));
      return;
    case BinaryLayout::ScalarVector:
      return flat(static_cast<int64_t>(b.data_size()), 0, 1);
    case BinaryLayout::VectorScalar:
      return flat(static_cast<int64_t>(a.data_size()), 1, 0);
    case BinaryLayout::VectorVector:
      return flat(static_cast<int64_t>(a.data_size()), 1, 1);
    case BinaryLayout::General:
      break;
  }
  auto c = collapse_dims<3>(out.shape(), {&a.strides(), &b.strides(), &out.strides()});
  const int64_t inner = c.shape.back();
  const int64_t sa = c.strides[0].back();
  const int64_t sb = c.strides[1].back();
  const int64_t so = c.strides[2].back();
  parallel_for(num_rows(c.shape),
               std::max<int64_t>(1, elementwise_grain / std::max<int64_t>(inner, 1)),
               [&](int64_t begin, int64_t end) {
                 RowCursor<3> cur(c, begin);
                 for (int64_t r = begin; r < end; ++r) {
                   const auto& off = cur.offsets();
                   binary_row(pa + off[0], sa, pb + off[1], sb, po + off[2], so, inner, op);
                   cur.next();
                 }
               });
}

}  // namespace mlxcpp::cpu
