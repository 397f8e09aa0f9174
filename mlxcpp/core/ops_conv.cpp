// Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d and conv_general. Every one
// builds a single Convolution primitive (kernel in backend/cpu/conv.cpp); the
// transposed ones are a convolution of the input dilated by the stride with the
// flipped kernel. All checks happen here, with the name of the op called.
#include <fmt/ranges.h>

#include <limits>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

using detail::invalid;
using detail::shape_str;

namespace {

// Size of an axis of n elements with dil - 1 zeros inserted between neighbours.
int64_t dilated(int64_t n, int64_t dil) {
  return n == 0 ? 0 : 1 + dil * (n - 1);
}

// Output positions along one axis; <= 0 when the kernel does not fit the padded input.
int64_t out_extent(int64_t in, int64_t k, int64_t stride, int64_t lo, int64_t hi, int64_t kdil,
                   int64_t idil) {
  const int64_t padded = dilated(in, idil) + lo + hi;
  const int64_t extent = dilated(k, kdil);
  return padded < extent ? 0 : (padded - extent) / stride + 1;
}

int to_int(const char* op, int64_t v, const char* what) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    invalid(op, "The {} {} is outside the range of int.", what, v);
  }
  return static_cast<int>(v);
}

// Shapes, dtypes and groups of input and weight for an nd-D convolution (nd = 0: the input
// decides, 1 to 3 spatial axes).
int check_arrays(const char* op, const array& in, const array& wt, int nd, int groups) {
  if (nd == 0) {
    nd = static_cast<int>(in.ndim()) - 2;
    if (nd < 1 || nd > 3) {
      invalid(op,
              "Only works for inputs with 1-3 spatial dimensions; the inputs must be in the "
              "format [N, ..., C_in]. Got an input of shape {}.",
              shape_str(in.shape()));
    }
  }
  if (static_cast<int>(in.ndim()) != nd + 2) {
    invalid(op,
            "Invalid input array with {} dimensions for {}D convolution. Expected an array with "
            "{} dimensions following the format [N, ..., C_in].",
            in.ndim(), nd, nd + 2);
  }
  if (static_cast<int>(wt.ndim()) != nd + 2) {
    invalid(op,
            "Invalid weight array with {} dimensions for {}D convolution. Expected an array with "
            "{} dimensions following the format [C_out, ..., C_in].",
            wt.ndim(), nd, nd + 2);
  }
  if (!issubdtype(in.dtype(), floating)) {
    invalid(op,
            "Invalid input array with type {}. Convolution supports the floating point types "
            "float16, bfloat16, float32 and float64.",
            dtype_name(in.dtype()));
  }
  if (!issubdtype(promote_types(in.dtype(), wt.dtype()), floating)) {
    invalid(op, "Invalid weight array with type {} for an input of type {}; expected a real type.",
            dtype_name(wt.dtype()), dtype_name(in.dtype()));
  }
  if (groups < 1) {
    invalid(op, "The number of groups must be positive; got {}.", groups);
  }
  const int64_t c_in = in.shape(-1);
  if (c_in % groups != 0) {
    invalid(op,
            "The input channels must be divisible by the number of groups. Got input with shape {} "
            "and {} groups.",
            shape_str(in.shape()), groups);
  }
  if (groups > 1 && wt.shape(0) % groups != 0) {
    invalid(op,
            "If groups > 1, the output channels must be divisible by the number of groups. Got {} "
            "output channels and {} groups.",
            wt.shape(0), groups);
  }
  if (c_in != int64_t(groups) * wt.shape(-1)) {
    if (groups == 1) {
      invalid(op,
              "Expect the input channels in the input and weight array to match but got shapes - "
              "input: {} and weight: {}.",
              shape_str(in.shape()), shape_str(wt.shape()));
    }
    invalid(op,
            "Given groups={} and weights of shape {}, expected to have {} input channels but got "
            "{} input channels instead.",
            groups, shape_str(wt.shape()), int64_t(groups) * wt.shape(-1), c_in);
  }
  int64_t patch = wt.shape(-1);  // one output's inputs: the GEMM's K, an int for BLAS
  for (int i = 1; i <= nd; ++i) {
    if (wt.shape(i) == 0) {
      invalid(op, "The weight's spatial dimensions must be positive; got a weight of shape {}.",
              shape_str(wt.shape()));
    }
    patch *= wt.shape(i);
  }
  if (patch > std::numeric_limits<int>::max()) {
    invalid(op,
            "Each output would sum {} products (kernel taps x C_in / groups); at most {} are "
            "supported. Got a weight of shape {}.",
            patch, std::numeric_limits<int>::max(), shape_str(wt.shape()));
  }
  return nd;
}

// A per-axis parameter: none (the default), one value for every axis, or one per axis.
std::vector<int> per_axis(const char* op, const char* what, std::vector<int> v, int nd, int dflt) {
  if (v.empty()) {
    return std::vector<int>(nd, dflt);
  }
  if (v.size() == 1) {
    return std::vector<int>(nd, v[0]);
  }
  if (static_cast<int>(v.size()) != nd) {
    invalid(op, "Invalid {} ({}) for {}D convolution; expected {}.", what, fmt::join(v, ", "), nd,
            nd == 1 ? std::string("1 value") : fmt::format("1 or {} values", nd));
  }
  return v;
}

void check_positive(const char* op, const char* what, const std::vector<int>& v) {
  for (int x : v) {
    if (x <= 0) {
      invalid(op, "{} sizes must be positive; got ({}).", what, fmt::join(v, ", "));
    }
  }
}

// Padding that crops (negative) may not remove more than the dilated input, and the
// kernel must fit in what is left.
void check_extents(const char* op, const array& in, const array& wt, const std::vector<int>& stride,
                   const std::vector<int>& lo, const std::vector<int>& hi,
                   const std::vector<int>& kdil, const std::vector<int>& idil) {
  for (size_t i = 0; i < stride.size(); ++i) {
    const int ax = static_cast<int>(i) + 1;
    const int64_t d = dilated(in.shape(ax), idil[i]);
    if (-int64_t(lo[i]) > d || -int64_t(hi[i]) > d) {
      invalid(op,
              "Negative padding may not crop more than the (dilated) input; got padding low ({}) "
              "and high ({}) for an input of shape {} at spatial axis {}.",
              fmt::join(lo, ", "), fmt::join(hi, ", "), shape_str(in.shape()), i);
    }
    if (out_extent(in.shape(ax), wt.shape(ax), stride[i], lo[i], hi[i], kdil[i], idil[i]) <= 0) {
      invalid(op,
              "Spatial dimensions of input after padding cannot be smaller than weight spatial "
              "dimensions. Got error at axis {} for input with shape {}, padding low ({}), padding "
              "high ({}), and weight of shape {}.",
              ax, shape_str(in.shape()), fmt::join(lo, ", "), fmt::join(hi, ", "),
              shape_str(wt.shape()));
    }
    detail::checked_dim(
        op, out_extent(in.shape(ax), wt.shape(ax), stride[i], lo[i], hi[i], kdil[i], idil[i]));
  }
}

array conv_impl(const char* op, array in, array wt, int nd, std::vector<int> stride,
                std::vector<int> lo, std::vector<int> hi, std::vector<int> kdil,
                std::vector<int> idil, int groups, bool flip, StreamOrDevice s) {
  nd = check_arrays(op, in, wt, nd, groups);
  stride = per_axis(op, "strides", std::move(stride), nd, 1);
  lo = per_axis(op, "padding", std::move(lo), nd, 0);
  hi = per_axis(op, "padding", std::move(hi), nd, 0);
  kdil = per_axis(op, "kernel dilation", std::move(kdil), nd, 1);
  idil = per_axis(op, "input dilation", std::move(idil), nd, 1);
  check_positive(op, "Stride", stride);
  check_positive(op, "Kernel dilation", kdil);
  check_positive(op, "Input dilation", idil);
  check_extents(op, in, wt, stride, lo, hi, kdil, idil);
  const Dtype t = promote_types(in.dtype(), wt.dtype());
  in = astype(in, t, s);
  wt = astype(wt, t, s);
  auto shape = Convolution::conv_out_shape(in.shape(), wt.shape(), stride, lo, hi, kdil, idil);
  return array(
      std::move(shape), t,
      std::make_shared<Convolution>(to_stream(s), std::move(stride), std::move(lo), std::move(hi),
                                    std::move(kdil), std::move(idil), groups, flip),
      {in, wt});
}

// Transposed convolution: the input dilated by the stride, padded by the kernel's extent
// less padding (plus output_padding at the end), convolved with the flipped kernel.
array conv_transpose_impl(const char* op, const array& in, const array& wt, int nd,
                          const std::vector<int>& stride, const std::vector<int>& padding,
                          const std::vector<int>& dilation, const std::vector<int>& output_padding,
                          int groups, StreamOrDevice s) {
  check_arrays(op, in, wt, nd, groups);
  check_positive(op, "Stride", stride);
  check_positive(op, "Dilation", dilation);
  for (int i = 0; i < nd; ++i) {
    if (padding[i] < 0 || output_padding[i] < 0) {
      invalid(op,
              "Padding and output padding must be non-negative; got padding ({}) and "
              "output padding ({}).",
              fmt::join(padding, ", "), fmt::join(output_padding, ", "));
    }
  }
  std::vector<int> lo(nd), hi(nd);
  for (int i = 0; i < nd; ++i) {
    const int64_t extent = dilated(wt.shape(i + 1), dilation[i]);
    const int64_t n = in.shape(i + 1);
    const int64_t length =
        (n - 1) * stride[i] - 2 * int64_t(padding[i]) + extent + output_padding[i];
    if (n > 0 && length <= 0) {
      invalid(op,
              "The output would have {} elements along spatial axis {}: (L - 1) * stride - 2 * "
              "padding + dilation * (K - 1) + output_padding + 1 must be positive. Got input of "
              "shape {}, weight of shape {} and padding ({}).",
              length, i, shape_str(in.shape()), shape_str(wt.shape()), fmt::join(padding, ", "));
    }
    lo[i] = to_int(op, extent - 1 - padding[i], "low padding");
    hi[i] = to_int(op, extent - 1 - int64_t(padding[i]) + output_padding[i], "high padding");
  }
  return conv_impl(op, in, wt, nd, std::vector<int>(nd, 1), std::move(lo), std::move(hi), dilation,
                   stride, groups, true, s);
}

}  // namespace

Shape Convolution::conv_out_shape(const Shape& in_shape, const Shape& wt_shape,
                                  const std::vector<int>& strides, const std::vector<int>& pads_lo,
                                  const std::vector<int>& pads_hi,
                                  const std::vector<int>& kernel_dilation,
                                  const std::vector<int>& input_dilation) {
  Shape out(in_shape.size());
  out.front() = in_shape.front();
  for (size_t i = 0; i + 2 < in_shape.size(); ++i) {
    out[i + 1] =
        static_cast<ShapeElem>(out_extent(in_shape[i + 1], wt_shape[i + 1], strides[i], pads_lo[i],
                                          pads_hi[i], kernel_dilation[i], input_dilation[i]));
  }
  out.back() = wt_shape.front();
  return out;
}

array conv_general(array input, array weight, std::vector<int> stride, std::vector<int> padding_lo,
                   std::vector<int> padding_hi, std::vector<int> kernel_dilation,
                   std::vector<int> input_dilation, int groups, bool flip, StreamOrDevice s) {
  return conv_impl("conv_general", std::move(input), std::move(weight), 0, std::move(stride),
                   std::move(padding_lo), std::move(padding_hi), std::move(kernel_dilation),
                   std::move(input_dilation), groups, flip, s);
}

array conv1d(const array& input, const array& weight, int stride, int padding, int dilation,
             int groups, StreamOrDevice s) {
  return conv_impl("conv1d", input, weight, 1, {stride}, {padding}, {padding}, {dilation}, {1},
                   groups, false, s);
}

array conv2d(const array& input, const array& weight, const std::pair<int, int>& stride,
             const std::pair<int, int>& padding, const std::pair<int, int>& dilation, int groups,
             StreamOrDevice s) {
  return conv_impl("conv2d", input, weight, 2, {stride.first, stride.second},
                   {padding.first, padding.second}, {padding.first, padding.second},
                   {dilation.first, dilation.second}, {1, 1}, groups, false, s);
}

array conv3d(const array& input, const array& weight, const std::tuple<int, int, int>& stride,
             const std::tuple<int, int, int>& padding, const std::tuple<int, int, int>& dilation,
             int groups, StreamOrDevice s) {
  auto v = [](const std::tuple<int, int, int>& t) {
    return std::vector<int>{std::get<0>(t), std::get<1>(t), std::get<2>(t)};
  };
  return conv_impl("conv3d", input, weight, 3, v(stride), v(padding), v(padding), v(dilation),
                   {1, 1, 1}, groups, false, s);
}

array conv_transpose1d(const array& input, const array& weight, int stride, int padding,
                       int dilation, int output_padding, int groups, StreamOrDevice s) {
  return conv_transpose_impl("conv_transpose1d", input, weight, 1, {stride}, {padding}, {dilation},
                             {output_padding}, groups, s);
}

array conv_transpose2d(const array& input, const array& weight, const std::pair<int, int>& stride,
                       const std::pair<int, int>& padding, const std::pair<int, int>& dilation,
                       const std::pair<int, int>& output_padding, int groups, StreamOrDevice s) {
  return conv_transpose_impl("conv_transpose2d", input, weight, 2, {stride.first, stride.second},
                             {padding.first, padding.second}, {dilation.first, dilation.second},
                             {output_padding.first, output_padding.second}, groups, s);
}

array conv_transpose3d(const array& input, const array& weight,
                       const std::tuple<int, int, int>& stride,
                       const std::tuple<int, int, int>& padding,
                       const std::tuple<int, int, int>& dilation,
                       const std::tuple<int, int, int>& output_padding, int groups,
                       StreamOrDevice s) {
  auto v = [](const std::tuple<int, int, int>& t) {
    return std::vector<int>{std::get<0>(t), std::get<1>(t), std::get<2>(t)};
  };
  return conv_transpose_impl("conv_transpose3d", input, weight, 3, v(stride), v(padding),
                             v(dilation), v(output_padding), groups, s);
}

}  // namespace mlxcpp
