// Matrix products: matmul, addmm, gather_mm, block_masked_mm, and the
// contractions built on them (tensordot, inner, outer, vecdot, kron).
#include <algorithm>
#include <numeric>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

using detail::invalid;
using detail::shape_str;

namespace {

// Inner dimensions must agree: [..., M, K] x [..., K, N].
void check_inner(const char* op, const array& a, const array& b) {
  if (a.shape(-1) != b.shape(-2)) {
    invalid(op,
            "The last dimension of the first input must match the second-to-last of the second; "
            "got shapes {} and {}.",
            shape_str(a.shape()), shape_str(b.shape()));
  }
}

// Matrix products accept floating types (MLX) and, as an extension, integers
// (computed exactly). bool and mixed-to-bool results are rejected.
Dtype product_type(const char* op, Dtype t, bool allow_int = true) {
  const bool ok = issubdtype(t, inexact) || (allow_int && issubdtype(t, integer));
  if (!ok) {
    invalid(op, "Expected a numeric dtype{}; got {}.", allow_int ? "" : " (floating point)",
            dtype_name(t));
  }
  return t;
}

// The [..., M, K] and [..., K, N] operands broadcast to a common batch.
std::pair<array, array> broadcast_batch(const array& a, const array& b, StreamOrDevice s) {
  Shape ba(a.shape().begin(), a.shape().end() - 2);
  Shape bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(ba, bb);
  Shape sa = batch, sb = batch;
  sa.push_back(a.shape(-2));
  sa.push_back(a.shape(-1));
  sb.push_back(b.shape(-2));
  sb.push_back(b.shape(-1));
  return {broadcast_to(a, sa, s), broadcast_to(b, sb, s)};
}

// Axes added for 1-D operands are squeezed from the result, as NumPy does.
array squeeze_vector_axes(array out, bool a_vector, bool b_vector, StreamOrDevice s) {
  std::vector<int> axes;
  if (a_vector) {
    axes.push_back(static_cast<int>(out.ndim()) - 2);
  }
  if (b_vector) {
    axes.push_back(static_cast<int>(out.ndim()) - 1);
  }
  return axes.empty() ? out : squeeze(out, axes, s);
}

}  // namespace

array matmul(const array& in_a, const array& in_b, StreamOrDevice s) {
  if (in_a.ndim() == 0 || in_b.ndim() == 0) {
    invalid("matmul", "Inputs must have at least one dimension; got shapes {} and {}.",
            shape_str(in_a.shape()), shape_str(in_b.shape()));
  }
  array a = in_a.ndim() == 1 ? expand_dims(in_a, 0, s) : in_a;
  array b = in_b.ndim() == 1 ? expand_dims(in_b, 1, s) : in_b;
  check_inner("matmul", a, b);
  const Dtype t = product_type("matmul", promote_types(a.dtype(), b.dtype()));
  a = astype(a, t, s);
  b = astype(b, t, s);
  // A 2-D b with a batched a stays unbroadcast: the kernel runs one GEMM over the stacked
  // rows of a, and the graph needs no flatten and reshape around it.
  if (b.ndim() > 2) {
    std::tie(a, b) = broadcast_batch(a, b, s);
  }
  auto shape = a.shape();
  shape.back() = b.shape(-1);
  const array out(shape, t, std::make_shared<Matmul>(to_stream(s)), {a, b});
  return squeeze_vector_axes(out, in_a.ndim() == 1, in_b.ndim() == 1, s);
}

array addmm(array c, array a, array b, const float& alpha, const float& beta, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    invalid("addmm", "Inputs must have at least one dimension; got shapes {} and {}.",
            shape_str(a.shape()), shape_str(b.shape()));
  }
  const bool a_vector = a.ndim() == 1;
  const bool b_vector = b.ndim() == 1;
  a = a_vector ? expand_dims(a, 0, s) : a;
  b = b_vector ? expand_dims(b, 1, s) : b;
  check_inner("addmm", a, b);
  const Dtype t = product_type("addmm", result_type(a, b, c), false);
  if (t == complex64) {
    return add(
        multiply(squeeze_vector_axes(matmul(a, b, s), a_vector, b_vector, s), array(alpha), s),
        multiply(array(beta), c, s), s);
  }
  a = astype(a, t, s);
  b = astype(b, t, s);
  c = astype(c, t, s);
  if (a.ndim() > 2 || b.ndim() > 2) {
    std::tie(a, b) = broadcast_batch(a, b, s);
  }
  auto shape = a.shape();
  shape.back() = b.shape(-1);
  // c broadcasts against the result as the caller sees it, so a 1-D b's
  // column axis has to be added to c as well.
  if (b_vector && c.ndim() >= 1) {
    c = expand_dims(c, -1, s);
  }
  c = broadcast_to(c, shape, s);
  array out(shape, t, std::make_shared<AddMM>(to_stream(s), alpha, beta), {a, b, c});
  return squeeze_vector_axes(out, a_vector, b_vector, s);
}

array gather_mm(array a, array b, std::optional<array> lhs_indices,
                std::optional<array> rhs_indices, bool, StreamOrDevice s) {
  if (!lhs_indices && !rhs_indices) {
    return matmul(a, b, s);
  }
  if (a.ndim() == 0 || b.ndim() == 0) {
    invalid("gather_mm", "Inputs must have at least one dimension; got shapes {} and {}.",
            shape_str(a.shape()), shape_str(b.shape()));
  }
  const bool a_vector = a.ndim() == 1;
  const bool b_vector = b.ndim() == 1;
  a = a_vector ? expand_dims(a, 0, s) : a;
  b = b_vector ? expand_dims(b, 1, s) : b;
  check_inner("gather_mm", a, b);
  const Dtype t = product_type("gather_mm", promote_types(a.dtype(), b.dtype()));
  a = astype(a, t, s);
  b = astype(b, t, s);
  // Missing indices default to the identity over that operand's batch.
  auto indices = [&](const std::optional<array>& given, const array& x) {
    if (given) {
      if (!issubdtype(given->dtype(), integer)) {
        invalid("gather_mm", "Indices must be integers; got {}.", dtype_name(given->dtype()));
      }
      return *given;
    }
    Shape batch(x.shape().begin(), x.shape().end() - 2);
    int64_t count = 1;
    for (auto d : batch) {
      count *= d;
    }
    return reshape(arange(0.0, double(count), uint32, s), batch, s);
  };
  auto idx = broadcast_arrays({indices(lhs_indices, a), indices(rhs_indices, b)}, s);
  auto shape = idx[0].shape();
  shape.push_back(a.shape(-2));
  shape.push_back(b.shape(-1));
  array out(shape, t, std::make_shared<GatherMM>(to_stream(s)), {a, b, idx[0], idx[1]});
  return squeeze_vector_axes(out, a_vector, b_vector, s);
}

array block_masked_mm(array a, array b, int block_size, std::optional<array> mask_out,
                      std::optional<array> mask_lhs, std::optional<array> mask_rhs,
                      StreamOrDevice s) {
  if (!mask_out && !mask_lhs && !mask_rhs) {
    return matmul(a, b, s);
  }
  if (block_size != 32 && block_size != 64) {
    invalid("block_masked_mm", "Only block sizes 32 and 64 are supported; got {}.", block_size);
  }
  if (a.ndim() == 0 || b.ndim() == 0) {
    invalid("block_masked_mm", "Inputs must have at least one dimension; got shapes {} and {}.",
            shape_str(a.shape()), shape_str(b.shape()));
  }
  const bool a_vector = a.ndim() == 1;
  const bool b_vector = b.ndim() == 1;
  a = a_vector ? expand_dims(a, 0, s) : a;
  b = b_vector ? expand_dims(b, 1, s) : b;
  check_inner("block_masked_mm", a, b);
  const Dtype t = promote_types(a.dtype(), b.dtype());
  if (!issubdtype(t, floating)) {
    invalid("block_masked_mm", "Only real floating point types are supported; got {}.",
            dtype_name(t));
  }
  a = astype(a, t, s);
  b = astype(b, t, s);
  const int m = a.shape(-2), k = a.shape(-1), n = b.shape(-1);
  // A mask of block entries [..., ceil(rows / bs), ceil(cols / bs)] expanded to
  // one entry per element; bool masks select, others scale.
  auto expand = [&](array mask, int rows, int cols, const char* which) {
    const int tr = (rows + block_size - 1) / block_size;
    const int tc = (cols + block_size - 1) / block_size;
    if (mask.ndim() < 2 || mask.shape(-2) != tr || mask.shape(-1) != tc) {
      invalid("block_masked_mm", "The {} mask must have shape [..., {}, {}]; got {}.", which, tr,
              tc, shape_str(mask.shape()));
    }
    mask = repeat(repeat(mask, block_size, -2, s), block_size, -1, s);
    Shape stop = mask.shape();
    stop[stop.size() - 2] = rows;
    stop.back() = cols;
    return slice(mask, Shape(mask.ndim(), 0), stop, s);
  };
  auto apply = [&](const array& x, const array& mask) {
    return mask.dtype() == bool_ ? where(mask, x, array(0, t), s)
                                 : multiply(x, astype(mask, t, s), s);
  };
  if (mask_lhs) {
    a = apply(a, expand(a_vector ? expand_dims(*mask_lhs, -2, s) : *mask_lhs, m, k, "lhs"));
  }
  if (mask_rhs) {
    b = apply(b, expand(b_vector ? expand_dims(*mask_rhs, -1, s) : *mask_rhs, k, n, "rhs"));
  }
  array out = matmul(a, b, s);
  if (mask_out) {
    array mo = *mask_out;
    if (a_vector) {
      mo = expand_dims(mo, -2, s);
    }
    if (b_vector) {
      mo = expand_dims(mo, -1, s);
    }
    out = apply(out, expand(mo, m, n, "output"));
  }
  return squeeze_vector_axes(out, a_vector, b_vector, s);
}

array tensordot(const array& a, const array& b, const int axis, StreamOrDevice s) {
  if (axis < 0) {
    invalid("tensordot", "axis must be non-negative; got {}.", axis);
  }
  if (axis > static_cast<int>(std::min(a.ndim(), b.ndim()))) {
    invalid("tensordot", "axis must be at most the number of dimensions of a and b; got {}.", axis);
  }
  std::vector<int> adims, bdims;
  for (int i = 0; i < axis; ++i) {
    bdims.push_back(i);
    adims.push_back(i - axis);
  }
  return tensordot(a, b, adims, bdims, s);
}

array tensordot(const array& a, const array& b, const std::vector<int>& axes_a,
                const std::vector<int>& axes_b, StreamOrDevice s) {
  if (axes_a.size() != axes_b.size()) {
    invalid("tensordot", "axes must have the same size; got {} and {}.", axes_a.size(),
            axes_b.size());
  }
  std::vector<bool> ca(a.ndim(), false), cb(b.ndim(), false);
  std::vector<int> ta, tb;
  int64_t csize = 1;
  for (size_t i = 0; i < axes_a.size(); ++i) {
    const int x = detail::normalize_axis("tensordot", axes_a[i], static_cast<int>(a.ndim()));
    const int y = detail::normalize_axis("tensordot", axes_b[i], static_cast<int>(b.ndim()));
    if (ca[x] || cb[y]) {
      invalid("tensordot", "Repeated axes are not allowed.");
    }
    if (a.shape(x) != b.shape(y)) {
      invalid("tensordot", "a and b must have the same size on contracted axes; got {} and {}.",
              a.shape(x), b.shape(y));
    }
    ca[x] = cb[y] = true;
    csize *= a.shape(x);
  }
  Shape rshape;
  int64_t sa = 1, sb = 1;
  for (size_t i = 0; i < a.ndim(); ++i) {
    if (!ca[i]) {
      ta.push_back(static_cast<int>(i));
      sa *= a.shape(static_cast<int>(i));
      rshape.push_back(a.shape(static_cast<int>(i)));
    }
  }
  for (int x : axes_a) {
    ta.push_back(x < 0 ? x + static_cast<int>(a.ndim()) : x);
  }
  for (int y : axes_b) {
    tb.push_back(y < 0 ? y + static_cast<int>(b.ndim()) : y);
  }
  for (size_t i = 0; i < b.ndim(); ++i) {
    if (!cb[i]) {
      tb.push_back(static_cast<int>(i));
      sb *= b.shape(static_cast<int>(i));
      rshape.push_back(b.shape(static_cast<int>(i)));
    }
  }
  auto x =
      reshape(transpose(a, ta, s),
              {detail::checked_dim("tensordot", sa), detail::checked_dim("tensordot", csize)}, s);
  auto y =
      reshape(transpose(b, tb, s),
              {detail::checked_dim("tensordot", csize), detail::checked_dim("tensordot", sb)}, s);
  return reshape(matmul(x, y, s), rshape, s);
}

array outer(const array& a, const array& b, StreamOrDevice s) {
  return multiply(reshape(a, {detail::checked_dim("outer", static_cast<int64_t>(a.size())), 1}, s),
                  flatten(b, s), s);
}

array inner(const array& a, const array& b, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    return multiply(a, b, s);
  }
  if (a.shape(-1) != b.shape(-1)) {
    invalid("inner", "a and b must have the same last dimension; got shapes {} and {}.",
            shape_str(a.shape()), shape_str(b.shape()));
  }
  return tensordot(a, b, {-1}, {-1}, s);
}

array vecdot(const array& a, const array& b, int axis, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    invalid("vecdot", "Inputs must be at least 1-D; got shapes {} and {}.", shape_str(a.shape()),
            shape_str(b.shape()));
  }
  const int ax = detail::normalize_axis("vecdot", axis, static_cast<int>(a.ndim()));
  const int bx = detail::normalize_axis("vecdot", axis, static_cast<int>(b.ndim()));
  if (a.shape(ax) != b.shape(bx)) {
    invalid("vecdot", "a and b must have the same size along axis {}; got {} and {}.", axis,
            a.shape(ax), b.shape(bx));
  }
  return sum(multiply(conjugate(a, s), b, s), axis, false, s);
}

array kron(const array& a, const array& b, StreamOrDevice s) {
  if (a.size() == 0 || b.size() == 0) {
    invalid("kron", "Input arrays cannot be empty; got shapes {} and {}.", shape_str(a.shape()),
            shape_str(b.shape()));
  }
  const int ndim = static_cast<int>(std::max(a.ndim(), b.ndim()));
  Shape a_shape(2 * ndim, 1), b_shape(2 * ndim, 1), out_shape(ndim, 1);
  for (int i = ndim - 1, j = static_cast<int>(a.ndim()) - 1; j >= 0; --j, --i) {
    a_shape[2 * i] = a.shape(j);
    out_shape[i] = detail::checked_dim("kron", int64_t(out_shape[i]) * a.shape(j));
  }
  for (int i = ndim - 1, j = static_cast<int>(b.ndim()) - 1; j >= 0; --j, --i) {
    b_shape[2 * i + 1] = b.shape(j);
    out_shape[i] = detail::checked_dim("kron", int64_t(out_shape[i]) * b.shape(j));
  }
  return reshape(multiply(reshape(a, a_shape, s), reshape(b, b_shape, s), s), out_shape, s);
}

// -------------------------------------------------------------- hadamard

array hadamard_transform(const array& a, std::optional<float> scale_in, StreamOrDevice s) {
  if (a.size() == 0) {
    invalid("hadamard_transform", "Empty arrays are not supported.");
  }
  const int n = a.ndim() > 0 ? a.shape(-1) : 1;
  int power = n;
  for (int m : {12, 20, 28}) {
    if ((power & (power - 1)) != 0 && power % m == 0) {
      power /= m;
      break;
    }
  }
  if ((power & (power - 1)) != 0 || power > (1 << 26)) {
    invalid("hadamard_transform",
            "The last axis must have size m * 2^k with m in (1, 12, 20, 28) and k <= 26; got {}.",
            n);
  }
  const Dtype dtype = issubdtype(a.dtype(), floating) ? a.dtype() : float32;
  // The default scale in float, as MLX, except for float64 which keeps its precision.
  const double scale = scale_in           ? *scale_in
                       : dtype == float64 ? 1.0 / std::sqrt(static_cast<double>(n))
                                          : 1.0f / std::sqrt(static_cast<float>(n));
  if (n == 1) {
    return scale == 1.0 ? astype(a, dtype, s) : multiply(a, array(scale, dtype), s);
  }
  return array(a.shape(), dtype, std::make_shared<Hadamard>(to_stream(s), scale),
               {astype(a, dtype, s)});
}

}  // namespace mlxcpp
