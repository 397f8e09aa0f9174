// Equivalence and output shapes of the core primitives.
#include "mlxcpp/core/primitives.h"

#include <string>

namespace mlxcpp {

std::vector<Shape> Primitive::output_shapes(const std::vector<array>&) {
  throw std::invalid_argument(std::string("[") + name() +
                              "] Cannot infer output shapes; they depend on input values.");
}

std::vector<Shape> Gather::output_shapes(const std::vector<array>& inputs) {
  Shape shape = inputs.size() > 1 ? inputs[1].shape() : Shape{};
  shape.insert(shape.end(), slice_sizes_.begin(), slice_sizes_.end());
  return {shape};
}

namespace {
template <typename P>
const P* same_type(const Primitive& self, const Primitive& other) {
  return typeid(self) == typeid(other) ? static_cast<const P*>(&other) : nullptr;
}
}  // namespace

#define MLXCPP_EQUIVALENT(NAME, EXPR)                       \
  bool NAME::is_equivalent(const Primitive& other_) const { \
    const auto* other = same_type<NAME>(*this, other_);     \
    return other != nullptr && (EXPR);                      \
  }

MLXCPP_EQUIVALENT(Log, base_ == other->base_)
MLXCPP_EQUIVALENT(Equal, equal_nan_ == other->equal_nan_)
MLXCPP_EQUIVALENT(BitwiseBinary, op_ == other->op_)
MLXCPP_EQUIVALENT(Arange, start_ == other->start_ && stop_ == other->stop_ && step_ == other->step_)
MLXCPP_EQUIVALENT(AsType, dtype_ == other->dtype_)
MLXCPP_EQUIVALENT(AsStrided, shape_ == other->shape_ && strides_ == other->strides_ &&
                                 offset_ == other->offset_)
MLXCPP_EQUIVALENT(Broadcast, shape_ == other->shape_)
MLXCPP_EQUIVALENT(Concatenate, axis_ == other->axis_)
MLXCPP_EQUIVALENT(Contiguous, allow_col_major_ == other->allow_col_major_)
MLXCPP_EQUIVALENT(ExpandDims, axes_ == other->axes_)
MLXCPP_EQUIVALENT(Flatten, start_axis_ == other->start_axis_ && end_axis_ == other->end_axis_)
MLXCPP_EQUIVALENT(Unflatten, axis_ == other->axis_ && shape_ == other->shape_)
MLXCPP_EQUIVALENT(Pad, axes_ == other->axes_ && low_pad_size_ == other->low_pad_size_ &&
                           high_pad_size_ == other->high_pad_size_)
MLXCPP_EQUIVALENT(Reshape, shape_ == other->shape_)
MLXCPP_EQUIVALENT(Squeeze, axes_ == other->axes_)
MLXCPP_EQUIVALENT(Transpose, axes_ == other->axes_)
MLXCPP_EQUIVALENT(View, dtype_ == other->dtype_)
MLXCPP_EQUIVALENT(Slice, start_indices_ == other->start_indices_ &&
                             end_indices_ == other->end_indices_ && strides_ == other->strides_)
MLXCPP_EQUIVALENT(SliceUpdate,
                  reduce_type_ == other->reduce_type_ && start_indices_ == other->start_indices_ &&
                      end_indices_ == other->end_indices_ && strides_ == other->strides_)
MLXCPP_EQUIVALENT(DynamicSlice, axes_ == other->axes_ && slice_size_ == other->slice_size_)
MLXCPP_EQUIVALENT(DynamicSliceUpdate, axes_ == other->axes_)
MLXCPP_EQUIVALENT(Reduce, reduce_type_ == other->reduce_type_ && axes_ == other->axes_)
MLXCPP_EQUIVALENT(ArgReduce, reduce_type_ == other->reduce_type_ && axis_ == other->axis_)
MLXCPP_EQUIVALENT(Scan, reduce_type_ == other->reduce_type_ && axis_ == other->axis_ &&
                            reverse_ == other->reverse_ && inclusive_ == other->inclusive_)
MLXCPP_EQUIVALENT(Softmax, precise_ == other->precise_)
MLXCPP_EQUIVALENT(LogSumExp, true)
MLXCPP_EQUIVALENT(Sort, axis_ == other->axis_)
MLXCPP_EQUIVALENT(ArgSort, axis_ == other->axis_)
MLXCPP_EQUIVALENT(Partition, kth_ == other->kth_ && axis_ == other->axis_)
MLXCPP_EQUIVALENT(ArgPartition, kth_ == other->kth_ && axis_ == other->axis_)
MLXCPP_EQUIVALENT(SearchSorted, right_ == other->right_)
MLXCPP_EQUIVALENT(Gather, axes_ == other->axes_ && slice_sizes_ == other->slice_sizes_)
MLXCPP_EQUIVALENT(GatherAxis, axis_ == other->axis_)
MLXCPP_EQUIVALENT(Scatter, reduce_type_ == other->reduce_type_ && axes_ == other->axes_)
MLXCPP_EQUIVALENT(ScatterAxis, reduce_type_ == other->reduce_type_ && axis_ == other->axis_)
MLXCPP_EQUIVALENT(MaskedScatter, true)
MLXCPP_EQUIVALENT(RandomBits, shape_ == other->shape_ && width_ == other->width_)
MLXCPP_EQUIVALENT(Inverse, tri_ == other->tri_ && upper_ == other->upper_)
MLXCPP_EQUIVALENT(Cholesky, upper_ == other->upper_)
MLXCPP_EQUIVALENT(QRF, true)
MLXCPP_EQUIVALENT(SVD, compute_uv_ == other->compute_uv_)
MLXCPP_EQUIVALENT(Eigh,
                  uplo_ == other->uplo_ && compute_eigenvectors_ == other->compute_eigenvectors_)
MLXCPP_EQUIVALENT(Eig, compute_eigenvectors_ == other->compute_eigenvectors_)
MLXCPP_EQUIVALENT(LUF, true)
MLXCPP_EQUIVALENT(Hadamard, scale_ == other->scale_)
MLXCPP_EQUIVALENT(Split, indices_ == other->indices_ && axis_ == other->axis_)
MLXCPP_EQUIVALENT(FFT,
                  axes_ == other->axes_ && inverse_ == other->inverse_ && real_ == other->real_)
MLXCPP_EQUIVALENT(Matmul, true)
MLXCPP_EQUIVALENT(AddMM, alpha_ == other->alpha_ && beta_ == other->beta_)
MLXCPP_EQUIVALENT(GatherMM, true)
MLXCPP_EQUIVALENT(Convolution, padding_lo_ == other->padding_lo_ &&
                                   padding_hi_ == other->padding_hi_ &&
                                   kernel_strides_ == other->kernel_strides_ &&
                                   kernel_dilation_ == other->kernel_dilation_ &&
                                   input_dilation_ == other->input_dilation_ &&
                                   groups_ == other->groups_ && flip_ == other->flip_)
MLXCPP_EQUIVALENT(Quantize, group_size_ == other->group_size_ && bits_ == other->bits_ &&
                                mode_ == other->mode_)
MLXCPP_EQUIVALENT(Dequantize, group_size_ == other->group_size_ && bits_ == other->bits_ &&
                                  mode_ == other->mode_)
MLXCPP_EQUIVALENT(ConvertFP8, to_fp8_ == other->to_fp8_)
MLXCPP_EQUIVALENT(QuantizedMatmul, group_size_ == other->group_size_ && bits_ == other->bits_ &&
                                       mode_ == other->mode_ && transpose_ == other->transpose_)
MLXCPP_EQUIVALENT(QuantizedMatmulMany, group_size_ == other->group_size_ && bits_ == other->bits_ &&
                                           mode_ == other->mode_)
MLXCPP_EQUIVALENT(GatherQMM, group_size_ == other->group_size_ && bits_ == other->bits_ &&
                                 mode_ == other->mode_ && transpose_ == other->transpose_ &&
                                 left_sorted_ == other->left_sorted_ &&
                                 right_sorted_ == other->right_sorted_)
#undef MLXCPP_EQUIVALENT

std::vector<Shape> Concatenate::output_shapes(const std::vector<array>& inputs) {
  auto shape = inputs[0].shape();
  shape[axis_] = 0;
  for (const auto& in : inputs) {
    shape[axis_] += in.shape(axis_);
  }
  return {shape};
}

Shape ExpandDims::output_shape(const array& a, const std::vector<int>& axes) {
  const size_t ndim = a.ndim() + axes.size();
  std::vector<bool> inserted(ndim, false);
  for (int ax : axes) {
    inserted[ax] = true;
  }
  Shape shape(ndim, 1);
  for (size_t i = 0, k = 0; i < ndim; ++i) {
    if (!inserted[i]) {
      shape[i] = a.shape(static_cast<int>(k++));
    }
  }
  return shape;
}

std::vector<Shape> ExpandDims::output_shapes(const std::vector<array>& inputs) {
  return {output_shape(inputs[0], axes_)};
}

Shape Flatten::output_shape(const array& a, int start_axis, int end_axis) {
  Shape shape(a.shape().begin(), a.shape().begin() + start_axis);
  int64_t flat = 1;
  for (int i = start_axis; i <= end_axis; ++i) {
    flat *= a.shape(i);
  }
  shape.push_back(static_cast<ShapeElem>(flat));
  shape.insert(shape.end(), a.shape().begin() + end_axis + 1, a.shape().end());
  return shape;
}

std::vector<Shape> Flatten::output_shapes(const std::vector<array>& inputs) {
  return {output_shape(inputs[0], start_axis_, end_axis_)};
}

Shape Unflatten::output_shape(const array& a, int axis, const Shape& shape) {
  Shape out(a.shape().begin(), a.shape().begin() + axis);
  out.insert(out.end(), shape.begin(), shape.end());
  out.insert(out.end(), a.shape().begin() + axis + 1, a.shape().end());
  return out;
}

std::vector<Shape> Unflatten::output_shapes(const std::vector<array>& inputs) {
  return {output_shape(inputs[0], axis_, shape_)};
}

Shape Squeeze::output_shape(const array& a, const std::vector<int>& axes) {
  Shape shape;
  for (size_t i = 0, j = 0; i < a.ndim(); ++i) {
    if (j < axes.size() && static_cast<int>(i) == axes[j]) {
      ++j;
      continue;
    }
    shape.push_back(a.shape(i));
  }
  return shape;
}

std::vector<Shape> Squeeze::output_shapes(const std::vector<array>& inputs) {
  return {output_shape(inputs[0], axes_)};
}

std::vector<Shape> Transpose::output_shapes(const std::vector<array>& inputs) {
  Shape shape;
  for (int ax : axes_) {
    shape.push_back(inputs[0].shape(ax));
  }
  return {shape};
}

std::vector<Shape> Reduce::output_shapes(const std::vector<array>& inputs) {
  auto shape = inputs[0].shape();
  for (int ax : axes_) {
    shape[ax] = 1;
  }
  return {shape};
}

std::vector<Shape> ArgReduce::output_shapes(const std::vector<array>& inputs) {
  auto shape = inputs[0].shape();
  shape[axis_] = 1;
  return {shape};
}

std::vector<Shape> LogSumExp::output_shapes(const std::vector<array>& inputs) {
  auto shape = inputs[0].shape();
  shape.back() = 1;
  return {shape};
}

}  // namespace mlxcpp
