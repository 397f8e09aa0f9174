// The primitives of the core ops: one class each. Their CPU kernels are in
// backend/cpu/<family>.cpp; names, equivalence and output shapes are in
// primitives.cpp.
#pragma once

#include <string>
#include <typeinfo>
#include <vector>

#include "mlxcpp/core/primitive.h"

namespace mlxcpp {

// A stateless primitive with one output: its shape is its first input's.
#define MLXCPP_SIMPLE_PRIMITIVE(NAME)                                             \
  class NAME : public UnaryPrimitive {                                            \
   public:                                                                        \
    explicit NAME(Stream stream) : UnaryPrimitive(stream) {}                      \
    using UnaryPrimitive::eval_cpu;                                               \
    using UnaryPrimitive::eval_gpu;                                               \
    void eval_cpu(const std::vector<array>& inputs, array& out) override;         \
    const char* name() const override { return #NAME; }                           \
    bool is_equivalent(const Primitive& other) const override {                   \
      return typeid(other) == typeid(*this);                                      \
    }                                                                             \
    std::vector<Shape> output_shapes(const std::vector<array>& inputs) override { \
      return {inputs[0].shape()};                                                 \
    }                                                                             \
  };

// Unary elementwise (backend/cpu/unary.cpp).
MLXCPP_SIMPLE_PRIMITIVE(Abs)
MLXCPP_SIMPLE_PRIMITIVE(ArcCos)
MLXCPP_SIMPLE_PRIMITIVE(ArcCosh)
MLXCPP_SIMPLE_PRIMITIVE(ArcSin)
MLXCPP_SIMPLE_PRIMITIVE(ArcSinh)
MLXCPP_SIMPLE_PRIMITIVE(ArcTan)
MLXCPP_SIMPLE_PRIMITIVE(ArcTanh)
MLXCPP_SIMPLE_PRIMITIVE(BitwiseInvert)
MLXCPP_SIMPLE_PRIMITIVE(Ceil)
MLXCPP_SIMPLE_PRIMITIVE(Conjugate)
MLXCPP_SIMPLE_PRIMITIVE(Cos)
MLXCPP_SIMPLE_PRIMITIVE(Cosh)
MLXCPP_SIMPLE_PRIMITIVE(Erf)
MLXCPP_SIMPLE_PRIMITIVE(ErfInv)
MLXCPP_SIMPLE_PRIMITIVE(Exp)
MLXCPP_SIMPLE_PRIMITIVE(Expm1)
MLXCPP_SIMPLE_PRIMITIVE(Floor)
MLXCPP_SIMPLE_PRIMITIVE(Imag)
MLXCPP_SIMPLE_PRIMITIVE(Log1p)
MLXCPP_SIMPLE_PRIMITIVE(LogicalNot)
MLXCPP_SIMPLE_PRIMITIVE(Negative)
MLXCPP_SIMPLE_PRIMITIVE(Real)
MLXCPP_SIMPLE_PRIMITIVE(Round)
MLXCPP_SIMPLE_PRIMITIVE(Rsqrt)
MLXCPP_SIMPLE_PRIMITIVE(Sigmoid)
MLXCPP_SIMPLE_PRIMITIVE(Sign)
MLXCPP_SIMPLE_PRIMITIVE(Sin)
MLXCPP_SIMPLE_PRIMITIVE(Sinh)
MLXCPP_SIMPLE_PRIMITIVE(Sqrt)
MLXCPP_SIMPLE_PRIMITIVE(Square)
MLXCPP_SIMPLE_PRIMITIVE(Tan)
MLXCPP_SIMPLE_PRIMITIVE(Tanh)

// Binary elementwise on inputs of equal shape and dtype (backend/cpu/binary.cpp).
MLXCPP_SIMPLE_PRIMITIVE(Add)
MLXCPP_SIMPLE_PRIMITIVE(ArcTan2)
MLXCPP_SIMPLE_PRIMITIVE(Divide)
MLXCPP_SIMPLE_PRIMITIVE(Greater)
MLXCPP_SIMPLE_PRIMITIVE(GreaterEqual)
MLXCPP_SIMPLE_PRIMITIVE(Less)
MLXCPP_SIMPLE_PRIMITIVE(LessEqual)
MLXCPP_SIMPLE_PRIMITIVE(LogAddExp)
MLXCPP_SIMPLE_PRIMITIVE(LogicalAnd)
MLXCPP_SIMPLE_PRIMITIVE(LogicalOr)
MLXCPP_SIMPLE_PRIMITIVE(Maximum)
MLXCPP_SIMPLE_PRIMITIVE(Minimum)
MLXCPP_SIMPLE_PRIMITIVE(Multiply)
MLXCPP_SIMPLE_PRIMITIVE(NotEqual)
MLXCPP_SIMPLE_PRIMITIVE(Power)
MLXCPP_SIMPLE_PRIMITIVE(Remainder)
MLXCPP_SIMPLE_PRIMITIVE(Subtract)

// Select(condition, x, y) (backend/cpu/ternary.cpp).
MLXCPP_SIMPLE_PRIMITIVE(Select)

// Copies and views (backend/cpu/copy.cpp, views.cpp).
MLXCPP_SIMPLE_PRIMITIVE(Copy)
MLXCPP_SIMPLE_PRIMITIVE(StopGradient)
MLXCPP_SIMPLE_PRIMITIVE(Full)

#undef MLXCPP_SIMPLE_PRIMITIVE

// Base for primitives with state and one output.
#define MLXCPP_PRIMITIVE_COMMON(NAME)                                   \
  using UnaryPrimitive::eval_cpu;                                       \
  using UnaryPrimitive::eval_gpu;                                       \
  void eval_cpu(const std::vector<array>& inputs, array& out) override; \
  const char* name() const override {                                   \
    return #NAME;                                                       \
  }                                                                     \
  bool is_equivalent(const Primitive& other) const override;

class Log : public UnaryPrimitive {
 public:
  enum Base { two, ten, e };
  Log(Stream stream, Base base) : UnaryPrimitive(stream), base_(base) {}
  MLXCPP_PRIMITIVE_COMMON(Log)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  Base base() const { return base_; }

 private:
  Base base_;
};

class Equal : public UnaryPrimitive {
 public:
  explicit Equal(Stream stream, bool equal_nan = false)
      : UnaryPrimitive(stream), equal_nan_(equal_nan) {}
  MLXCPP_PRIMITIVE_COMMON(Equal)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  bool equal_nan_;
};

class BitwiseBinary : public UnaryPrimitive {
 public:
  enum Op { And, Or, Xor, LeftShift, RightShift };
  BitwiseBinary(Stream stream, Op op) : UnaryPrimitive(stream), op_(op) {}
  MLXCPP_PRIMITIVE_COMMON(BitwiseBinary)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  Op op() const { return op_; }

 private:
  Op op_;
};

class Arange : public UnaryPrimitive {
 public:
  Arange(Stream stream, double start, double stop, double step)
      : UnaryPrimitive(stream), start_(start), stop_(stop), step_(step) {}
  MLXCPP_PRIMITIVE_COMMON(Arange)

 private:
  double start_;
  double stop_;
  double step_;
};

class AsType : public UnaryPrimitive {
 public:
  AsType(Stream stream, Dtype dtype) : UnaryPrimitive(stream), dtype_(dtype) {}
  MLXCPP_PRIMITIVE_COMMON(AsType)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  Dtype dtype_;
};

class AsStrided : public UnaryPrimitive {
 public:
  AsStrided(Stream stream, Shape shape, Strides strides, size_t offset)
      : UnaryPrimitive(stream),
        shape_(std::move(shape)),
        strides_(std::move(strides)),
        offset_(offset) {}
  MLXCPP_PRIMITIVE_COMMON(AsStrided)

 private:
  Shape shape_;
  Strides strides_;
  size_t offset_;
};

class Broadcast : public UnaryPrimitive {
 public:
  Broadcast(Stream stream, Shape shape) : UnaryPrimitive(stream), shape_(std::move(shape)) {}
  MLXCPP_PRIMITIVE_COMMON(Broadcast)
  std::vector<Shape> output_shapes(const std::vector<array>&) override { return {shape_}; }

 private:
  Shape shape_;
};

class Concatenate : public UnaryPrimitive {
 public:
  Concatenate(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  MLXCPP_PRIMITIVE_COMMON(Concatenate)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;

 private:
  int axis_;
};

class Contiguous : public UnaryPrimitive {
 public:
  Contiguous(Stream stream, bool allow_col_major)
      : UnaryPrimitive(stream), allow_col_major_(allow_col_major) {}
  MLXCPP_PRIMITIVE_COMMON(Contiguous)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  bool allow_col_major_;
};

class ExpandDims : public UnaryPrimitive {
 public:
  ExpandDims(Stream stream, std::vector<int> axes)
      : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  MLXCPP_PRIMITIVE_COMMON(ExpandDims)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  /** a's shape with a 1 inserted at each (sorted, normalized) output axis. */
  static Shape output_shape(const array& a, const std::vector<int>& axes);

 private:
  std::vector<int> axes_;
};

class Flatten : public UnaryPrimitive {
 public:
  Flatten(Stream stream, int start_axis, int end_axis)
      : UnaryPrimitive(stream), start_axis_(start_axis), end_axis_(end_axis) {}
  MLXCPP_PRIMITIVE_COMMON(Flatten)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  static Shape output_shape(const array& a, int start_axis, int end_axis);

 private:
  int start_axis_;
  int end_axis_;
};

class Unflatten : public UnaryPrimitive {
 public:
  Unflatten(Stream stream, int axis, Shape shape)
      : UnaryPrimitive(stream), axis_(axis), shape_(std::move(shape)) {}
  MLXCPP_PRIMITIVE_COMMON(Unflatten)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  static Shape output_shape(const array& a, int axis, const Shape& shape);

 private:
  int axis_;
  Shape shape_;
};

class Pad : public UnaryPrimitive {
 public:
  Pad(Stream stream, std::vector<int> axes, Shape low_pad_size, Shape high_pad_size)
      : UnaryPrimitive(stream),
        axes_(std::move(axes)),
        low_pad_size_(std::move(low_pad_size)),
        high_pad_size_(std::move(high_pad_size)) {}
  MLXCPP_PRIMITIVE_COMMON(Pad)

 private:
  std::vector<int> axes_;
  Shape low_pad_size_;
  Shape high_pad_size_;
};

class Reshape : public UnaryPrimitive {
 public:
  Reshape(Stream stream, Shape shape) : UnaryPrimitive(stream), shape_(std::move(shape)) {}
  MLXCPP_PRIMITIVE_COMMON(Reshape)
  std::vector<Shape> output_shapes(const std::vector<array>&) override { return {shape_}; }
  /** The shape with -1 resolved; throws std::invalid_argument if it does not fit a. */
  static Shape output_shape(const array& a, Shape shape);

 private:
  Shape shape_;
};

class Squeeze : public UnaryPrimitive {
 public:
  Squeeze(Stream stream, std::vector<int> axes) : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  MLXCPP_PRIMITIVE_COMMON(Squeeze)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  static Shape output_shape(const array& a, const std::vector<int>& axes);

 private:
  std::vector<int> axes_;
};

class Transpose : public UnaryPrimitive {
 public:
  Transpose(Stream stream, std::vector<int> axes)
      : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  MLXCPP_PRIMITIVE_COMMON(Transpose)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;

 private:
  std::vector<int> axes_;
};

class View : public UnaryPrimitive {
 public:
  View(Stream stream, Dtype dtype) : UnaryPrimitive(stream), dtype_(dtype) {}
  MLXCPP_PRIMITIVE_COMMON(View)

 private:
  Dtype dtype_;
};

class Slice : public UnaryPrimitive {
 public:
  Slice(Stream stream, Shape start_indices, Shape end_indices, Shape strides)
      : UnaryPrimitive(stream),
        start_indices_(std::move(start_indices)),
        end_indices_(std::move(end_indices)),
        strides_(std::move(strides)) {}
  MLXCPP_PRIMITIVE_COMMON(Slice)

 private:
  Shape start_indices_;
  Shape end_indices_;
  Shape strides_;
};

class SliceUpdate : public UnaryPrimitive {
 public:
  enum ReduceType { None, Sum, Prod, Max, Min };
  SliceUpdate(Stream stream, ReduceType reduce_type, Shape start_indices, Shape end_indices,
              Shape strides)
      : UnaryPrimitive(stream),
        reduce_type_(reduce_type),
        start_indices_(std::move(start_indices)),
        end_indices_(std::move(end_indices)),
        strides_(std::move(strides)) {}
  MLXCPP_PRIMITIVE_COMMON(SliceUpdate)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  ReduceType reduce_type_;
  Shape start_indices_;
  Shape end_indices_;
  Shape strides_;
};

class DynamicSlice : public UnaryPrimitive {
 public:
  DynamicSlice(Stream stream, std::vector<int> axes, Shape slice_size)
      : UnaryPrimitive(stream), axes_(std::move(axes)), slice_size_(std::move(slice_size)) {}
  MLXCPP_PRIMITIVE_COMMON(DynamicSlice)
  std::vector<Shape> output_shapes(const std::vector<array>&) override { return {slice_size_}; }

 private:
  std::vector<int> axes_;
  Shape slice_size_;
};

class DynamicSliceUpdate : public UnaryPrimitive {
 public:
  DynamicSliceUpdate(Stream stream, std::vector<int> axes)
      : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  MLXCPP_PRIMITIVE_COMMON(DynamicSliceUpdate)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  std::vector<int> axes_;
};

class Reduce : public UnaryPrimitive {
 public:
  enum ReduceType { And, Or, Sum, Prod, Min, Max };
  Reduce(Stream stream, ReduceType reduce_type, std::vector<int> axes)
      : UnaryPrimitive(stream), reduce_type_(reduce_type), axes_(std::move(axes)) {}
  MLXCPP_PRIMITIVE_COMMON(Reduce)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  ReduceType reduce_type() const { return reduce_type_; }
  const std::vector<int>& axes() const { return axes_; }

 private:
  ReduceType reduce_type_;
  std::vector<int> axes_;
};

class ArgReduce : public UnaryPrimitive {
 public:
  enum ReduceType { ArgMin, ArgMax };
  ArgReduce(Stream stream, ReduceType reduce_type, int axis)
      : UnaryPrimitive(stream), reduce_type_(reduce_type), axis_(axis) {}
  MLXCPP_PRIMITIVE_COMMON(ArgReduce)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;

 private:
  ReduceType reduce_type_;
  int axis_;
};

class Scan : public UnaryPrimitive {
 public:
  enum ReduceType { Max, Min, Sum, Prod, LogAddExp };
  Scan(Stream stream, ReduceType reduce_type, int axis, bool reverse, bool inclusive)
      : UnaryPrimitive(stream),
        reduce_type_(reduce_type),
        axis_(axis),
        reverse_(reverse),
        inclusive_(inclusive) {}
  MLXCPP_PRIMITIVE_COMMON(Scan)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  ReduceType reduce_type_;
  int axis_;
  bool reverse_;
  bool inclusive_;
};

class Softmax : public UnaryPrimitive {
 public:
  Softmax(Stream stream, bool precise) : UnaryPrimitive(stream), precise_(precise) {}
  MLXCPP_PRIMITIVE_COMMON(Softmax)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  bool precise_;
};

/** log(sum(exp(x))) over the last axis, which becomes size 1 (backend/cpu/softmax.cpp). */
class LogSumExp : public UnaryPrimitive {
 public:
  explicit LogSumExp(Stream stream) : UnaryPrimitive(stream) {}
  MLXCPP_PRIMITIVE_COMMON(LogSumExp)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
};

class Sort : public UnaryPrimitive {
 public:
  Sort(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  MLXCPP_PRIMITIVE_COMMON(Sort)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  int axis_;
};

class ArgSort : public UnaryPrimitive {
 public:
  ArgSort(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  MLXCPP_PRIMITIVE_COMMON(ArgSort)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  int axis_;
};

// Matrix products (backend/cpu/matmul.cpp): inputs [..., M, K] and [..., K, N]
// with equal (broadcast) batch axes, or a batched [..., M, K] against a 2-D [K, N] (one
// product over a's stacked rows).
class Matmul : public UnaryPrimitive {
 public:
  explicit Matmul(Stream stream) : UnaryPrimitive(stream) {}
  MLXCPP_PRIMITIVE_COMMON(Matmul)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    auto shape = inputs[0].shape();
    shape.back() = inputs[1].shape(-1);
    return {shape};
  }
};

/** alpha * (a @ b) + beta * c, with c broadcast to the output. */
class AddMM : public UnaryPrimitive {
 public:
  AddMM(Stream stream, float alpha, float beta)
      : UnaryPrimitive(stream), alpha_(alpha), beta_(beta) {}
  MLXCPP_PRIMITIVE_COMMON(AddMM)

 private:
  float alpha_;
  float beta_;
};

// Indexing (backend/cpu/indexing.cpp). Index values are checked at eval:
// [-n, n) with negatives wrapping, anything else throws.

/** Slices of src at the (broadcast) index arrays' positions along axes: inputs
 *  src, index arrays; output index shape + slice_sizes. */
class Gather : public UnaryPrimitive {
 public:
  Gather(Stream stream, std::vector<int> axes, Shape slice_sizes)
      : UnaryPrimitive(stream), axes_(std::move(axes)), slice_sizes_(std::move(slice_sizes)) {}
  MLXCPP_PRIMITIVE_COMMON(Gather)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;

 private:
  std::vector<int> axes_;
  Shape slice_sizes_;
};

/** take_along_axis: out[..., i, ...] = src[..., idx[..., i, ...], ...] (inputs src, indices). */
class GatherAxis : public UnaryPrimitive {
 public:
  GatherAxis(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  MLXCPP_PRIMITIVE_COMMON(GatherAxis)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[1].shape()};
  }

 private:
  int axis_;
};

/** src with update slices written (or reduced) at index positions: inputs src, index
 *  arrays, updates [index shape..., slice...]. */
class Scatter : public UnaryPrimitive {
 public:
  enum ReduceType { Max, Min, Sum, Prod, None };
  Scatter(Stream stream, ReduceType reduce_type, std::vector<int> axes)
      : UnaryPrimitive(stream), reduce_type_(reduce_type), axes_(std::move(axes)) {}
  MLXCPP_PRIMITIVE_COMMON(Scatter)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  ReduceType reduce_type_;
  std::vector<int> axes_;
};

/** put_along_axis / scatter_add_axis: inputs src, indices, values. */
class ScatterAxis : public UnaryPrimitive {
 public:
  enum ReduceType { Sum, None };
  ScatterAxis(Stream stream, ReduceType reduce_type, int axis)
      : UnaryPrimitive(stream), reduce_type_(reduce_type), axis_(axis) {}
  MLXCPP_PRIMITIVE_COMMON(ScatterAxis)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  ReduceType reduce_type_;
  int axis_;
};

/** src with the positions where mask is true taken, in row-major order, from the values
 *  in row-major order: inputs src, mask (bool, src's shape), values. */
class MaskedScatter : public UnaryPrimitive {
 public:
  explicit MaskedScatter(Stream stream) : UnaryPrimitive(stream) {}
  MLXCPP_PRIMITIVE_COMMON(MaskedScatter)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
};

/** Insertion points of values in a sorted 1-D sequence (uint32): inputs sequence, values. */
class SearchSorted : public UnaryPrimitive {
 public:
  SearchSorted(Stream stream, bool right) : UnaryPrimitive(stream), right_(right) {}
  MLXCPP_PRIMITIVE_COMMON(SearchSorted)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[1].shape()};
  }

 private:
  bool right_;
};

/** Partition along an axis around the kth element (backend/cpu/sort.cpp). */
class Partition : public UnaryPrimitive {
 public:
  Partition(Stream stream, int kth, int axis) : UnaryPrimitive(stream), kth_(kth), axis_(axis) {}
  MLXCPP_PRIMITIVE_COMMON(Partition)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  int kth_;
  int axis_;
};

class ArgPartition : public UnaryPrimitive {
 public:
  ArgPartition(Stream stream, int kth, int axis) : UnaryPrimitive(stream), kth_(kth), axis_(axis) {}
  MLXCPP_PRIMITIVE_COMMON(ArgPartition)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  int kth_;
  int axis_;
};

/** Threefry-2x32 bits for each key (input [..., 2] uint32): output [..., shape...] of
 *  width-byte elements, laid out per key as MLX's RandomBits (backend/cpu/random.cpp). */
class RandomBits : public UnaryPrimitive {
 public:
  RandomBits(Stream stream, Shape shape, int width)
      : UnaryPrimitive(stream), shape_(std::move(shape)), width_(width) {}
  MLXCPP_PRIMITIVE_COMMON(RandomBits)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    Shape out(inputs[0].shape().begin(), inputs[0].shape().end() - 1);
    out.insert(out.end(), shape_.begin(), shape_.end());
    return {out};
  }

 private:
  Shape shape_;
  int width_;
};

// Linear algebra on the last two axes through LAPACK (backend/cpu/linalg.cpp,
// linalg_spectral.cpp); float32 and float64 (complex64 where noted).

/** Inverse of each matrix; tri: of a triangular one (the upper or lower part is used). */
class Inverse : public UnaryPrimitive {
 public:
  Inverse(Stream stream, bool tri, bool upper) : UnaryPrimitive(stream), tri_(tri), upper_(upper) {}
  MLXCPP_PRIMITIVE_COMMON(Inverse)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  bool tri_;
  bool upper_;
};

/** Cholesky factor (lower, or upper) of each symmetric positive definite matrix. */
class Cholesky : public UnaryPrimitive {
 public:
  Cholesky(Stream stream, bool upper) : UnaryPrimitive(stream), upper_(upper) {}
  MLXCPP_PRIMITIVE_COMMON(Cholesky)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  bool upper_;
};

// Multi-output primitives with state.
#define MLXCPP_MULTI_PRIMITIVE_COMMON(NAME)                                              \
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override; \
  const char* name() const override {                                                    \
    return #NAME;                                                                        \
  }                                                                                      \
  bool is_equivalent(const Primitive& other) const override;

/** Reduced QR: Q [..., m, k] and R [..., k, n] with k = min(m, n). */
class QRF : public Primitive {
 public:
  explicit QRF(Stream stream) : Primitive(stream) {}
  MLXCPP_MULTI_PRIMITIVE_COMMON(QRF)
};

/** Full SVD: U [..., m, m], S [..., k], Vt [..., n, n] (S alone without compute_uv);
 *  complex64 input gives float32 S. */
class SVD : public Primitive {
 public:
  SVD(Stream stream, bool compute_uv) : Primitive(stream), compute_uv_(compute_uv) {}
  MLXCPP_MULTI_PRIMITIVE_COMMON(SVD)

 private:
  bool compute_uv_;
};

/** Eigenvalues (ascending) and optionally eigenvectors (columns) of Hermitian matrices,
 *  reading the triangle uplo ("L" or "U"); complex64 allowed. */
class Eigh : public Primitive {
 public:
  Eigh(Stream stream, std::string uplo, bool compute_eigenvectors)
      : Primitive(stream), uplo_(std::move(uplo)), compute_eigenvectors_(compute_eigenvectors) {}
  MLXCPP_MULTI_PRIMITIVE_COMMON(Eigh)

 private:
  std::string uplo_;
  bool compute_eigenvectors_;
};

/** Eigenvalues and optionally right eigenvectors (columns, unit norm) of general
 *  matrices, both complex64. */
class Eig : public Primitive {
 public:
  Eig(Stream stream, bool compute_eigenvectors)
      : Primitive(stream), compute_eigenvectors_(compute_eigenvectors) {}
  MLXCPP_MULTI_PRIMITIVE_COMMON(Eig)

 private:
  bool compute_eigenvectors_;
};

/** LU with partial pivoting: packed LU [..., m, n], LAPACK pivots [..., k] (0-based, uint32)
 *  and the row permutation [..., m] (uint32) with a = (L U)[perm]. */
class LUF : public Primitive {
 public:
  explicit LUF(Stream stream) : Primitive(stream) {}
  MLXCPP_MULTI_PRIMITIVE_COMMON(LUF)
};

#undef MLXCPP_MULTI_PRIMITIVE_COMMON

/** Walsh-Hadamard transform along the last axis (size m * 2^k, m in {1, 12, 20, 28}),
 *  times scale (backend/cpu/hadamard.cpp). */
class Hadamard : public UnaryPrimitive {
 public:
  Hadamard(Stream stream, double scale) : UnaryPrimitive(stream), scale_(scale) {}
  MLXCPP_PRIMITIVE_COMMON(Hadamard)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  double scale_;  // rounded to float for every dtype but float64
};

/** a[lhs] @ b[rhs]: each index picks a matrix of its operand's flattened batch. */
class GatherMM : public UnaryPrimitive {
 public:
  explicit GatherMM(Stream stream) : UnaryPrimitive(stream) {}
  MLXCPP_PRIMITIVE_COMMON(GatherMM)
};

/** Unnormalized DFT over axes (backend/cpu/fft.cpp); inverse ones are scaled by 1/N.
 *  real: float32 -> complex64 (forward; the last axis keeps n / 2 + 1 values) or
 *  complex64 -> float32 (inverse; the output's last axis gives n). */
class FFT : public UnaryPrimitive {
 public:
  FFT(Stream stream, std::vector<size_t> axes, bool inverse, bool real)
      : UnaryPrimitive(stream), axes_(std::move(axes)), inverse_(inverse), real_(real) {}
  MLXCPP_PRIMITIVE_COMMON(FFT)
  const std::vector<size_t>& axes() const { return axes_; }
  bool inverse() const { return inverse_; }
  bool real() const { return real_; }

 private:
  std::vector<size_t> axes_;
  bool inverse_;
  bool real_;
};

/** Convolution (backend/cpu/conv.cpp): inputs x [N, *spatial, C_in] and weight
 *  [C_out, *kernel, C_in / groups] of one floating dtype; output [N, *spatial_out, C_out].
 *  Padding may be negative (it crops the dilated input); op conv_general checks the rest. */
class Convolution : public UnaryPrimitive {
 public:
  Convolution(Stream stream, std::vector<int> kernel_strides, std::vector<int> padding_lo,
              std::vector<int> padding_hi, std::vector<int> kernel_dilation,
              std::vector<int> input_dilation, int groups = 1, bool flip = false)
      : UnaryPrimitive(stream),
        padding_lo_(std::move(padding_lo)),
        padding_hi_(std::move(padding_hi)),
        kernel_strides_(std::move(kernel_strides)),
        kernel_dilation_(std::move(kernel_dilation)),
        input_dilation_(std::move(input_dilation)),
        groups_(groups),
        flip_(flip) {}
  MLXCPP_PRIMITIVE_COMMON(Convolution)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {conv_out_shape(inputs[0].shape(), inputs[1].shape(), kernel_strides_, padding_lo_,
                           padding_hi_, kernel_dilation_, input_dilation_)};
  }
  /** The output shape for valid parameters (core/ops_conv.cpp; conv_general checks them). */
  static Shape conv_out_shape(const Shape& in_shape, const Shape& wt_shape,
                              const std::vector<int>& strides, const std::vector<int>& pads_lo,
                              const std::vector<int>& pads_hi,
                              const std::vector<int>& kernel_dilation,
                              const std::vector<int>& input_dilation);

 private:
  std::vector<int> padding_lo_;
  std::vector<int> padding_hi_;
  std::vector<int> kernel_strides_;
  std::vector<int> kernel_dilation_;
  std::vector<int> input_dilation_;
  int groups_;
  bool flip_;
};

// ---- quantization (backend/cpu/quantize.cpp, quantized_matmul.cpp; ops in core/ops_quantized.cpp)

/** MLX's quantization formats: affine (uint32-packed codes, per-group scales and biases in a
 *  float dtype), mxfp4 and mxfp8 (e8m0 scales), nvfp4 (e4m3 scales). */
enum class QuantizationMode { Affine, Mxfp4, Mxfp8, Nvfp4 };
/** "affine", "mxfp4", "mxfp8" or "nvfp4". */
std::string quantization_mode_to_string(QuantizationMode mode);
/** The mode a name gives; another name throws std::invalid_argument, tagged "[tag]" if given. */
QuantizationMode string_to_quantization_mode(const std::string& mode, const std::string& tag = "");

/** quantize: w [..., K] -> {w_q uint32 [..., K * bits / 32], scales [..., K / group_size]
 *  [, biases]}: affine gives scales and biases in w's dtype, the fp modes uint8 scale codes
 *  (nvfp4 may take a float32 global scale as a second input). Bit-exact with MLX. */
class Quantize : public Primitive {
 public:
  Quantize(Stream stream, int group_size, int bits, QuantizationMode mode)
      : Primitive(stream), group_size_(group_size), bits_(bits), mode_(mode) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "Quantize"; }
  bool is_equivalent(const Primitive& other) const override;
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    Shape wq = inputs[0].shape();
    Shape sc = wq;
    wq.back() = static_cast<ShapeElem>(int64_t(wq.back()) * bits_ / 32);
    sc.back() /= group_size_;
    if (mode_ == QuantizationMode::Affine) {
      return {wq, sc, sc};
    }
    return {wq, sc};
  }

 private:
  int group_size_;
  int bits_;
  QuantizationMode mode_;
};

/** dequantize: {w_q, scales, biases} (affine; the output dtype is the scales' and biases'
 *  promoted type) or {w_q, scales[, global_scale]} (fp modes; any float output dtype),
 *  computed as MLX does: rounded to the output dtype after each step. */
class Dequantize : public UnaryPrimitive {
 public:
  Dequantize(Stream stream, int group_size, int bits, QuantizationMode mode)
      : UnaryPrimitive(stream), group_size_(group_size), bits_(bits), mode_(mode) {}
  MLXCPP_PRIMITIVE_COMMON(Dequantize)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    Shape shape = inputs[0].shape();
    shape.back() = static_cast<ShapeElem>(int64_t(shape.back()) * 32 / bits_);
    return {shape};
  }

 private:
  int group_size_;
  int bits_;
  QuantizationMode mode_;
};

/** to_fp8 (a float array -> uint8 E4M3 codes) and from_fp8 (codes -> the output's float
 *  dtype), with MLX's rounding and saturation. */
class ConvertFP8 : public UnaryPrimitive {
 public:
  ConvertFP8(Stream stream, bool to_fp8) : UnaryPrimitive(stream), to_fp8_(to_fp8) {}
  using UnaryPrimitive::eval_cpu;
  using UnaryPrimitive::eval_gpu;
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return to_fp8_ ? "ToFP8" : "FromFP8"; }
  bool is_equivalent(const Primitive& other) const override;
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }

 private:
  bool to_fp8_;
};

/** quantized_matmul: inputs {x [..., M, K], w, scales[, biases]} with one float dtype for x,
 *  scales, biases and the output (uint8 scale codes for the fp modes) and broadcast batch
 *  axes; w is [..., N, K packed] with transpose, else [..., K, N packed]. */
class QuantizedMatmul : public UnaryPrimitive {
 public:
  QuantizedMatmul(Stream stream, int group_size, int bits, QuantizationMode mode, bool transpose)
      : UnaryPrimitive(stream),
        group_size_(group_size),
        bits_(bits),
        mode_(mode),
        transpose_(transpose) {}
  MLXCPP_PRIMITIVE_COMMON(QuantizedMatmul)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    Shape shape = inputs[0].shape();
    const auto& w = inputs[1];
    shape.back() =
        transpose_ ? w.shape(-2) : static_cast<ShapeElem>(int64_t(w.shape(-1)) * 32 / bits_);
    return {shape};
  }

 private:
  int group_size_;
  int bits_;
  QuantizationMode mode_;
  bool transpose_;
};

/** quantized_matmul_many: inputs {x, then w, scales[, biases] of each matrix}; output i is
 *  x @ W_i^T. An mlxcpp extension: x is prepared once and every matrix's rows share one
 *  parallel pass, so a decoding step runs a layer's projections as one GEMV. */
class QuantizedMatmulMany : public Primitive {
 public:
  QuantizedMatmulMany(Stream stream, int group_size, int bits, QuantizationMode mode)
      : Primitive(stream), group_size_(group_size), bits_(bits), mode_(mode) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "QuantizedMatmulMany"; }
  bool is_equivalent(const Primitive& other) const override;
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    std::vector<Shape> out;
    for (size_t i = 1; i < inputs.size(); i += mode_ == QuantizationMode::Affine ? 3 : 2) {
      Shape shape = inputs[0].shape();
      shape.back() = inputs[i].shape(0);
      out.push_back(std::move(shape));
    }
    return out;
  }

 private:
  int group_size_;
  int bits_;
  QuantizationMode mode_;
};

/** gather_qmm: inputs {x, w, scales[, biases], lhs_indices, rhs_indices}; the int64 indices
 *  (one shape) pick matrices of x's and w's flattened batches; out of range throws from eval. */
class GatherQMM : public UnaryPrimitive {
 public:
  GatherQMM(Stream stream, int group_size, int bits, QuantizationMode mode, bool transpose,
            bool left_sorted = false, bool right_sorted = false)
      : UnaryPrimitive(stream),
        group_size_(group_size),
        bits_(bits),
        mode_(mode),
        transpose_(transpose),
        left_sorted_(left_sorted),
        right_sorted_(right_sorted) {}
  MLXCPP_PRIMITIVE_COMMON(GatherQMM)
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    const auto& x = inputs[0];
    const auto& w = inputs[1];
    Shape shape = inputs[inputs.size() - 2].shape();
    shape.push_back(x.shape(-2));
    shape.push_back(transpose_ ? w.shape(-2)
                               : static_cast<ShapeElem>(int64_t(w.shape(-1)) * 32 / bits_));
    return {shape};
  }

 private:
  int group_size_;
  int bits_;
  QuantizationMode mode_;
  bool transpose_;
  bool left_sorted_;
  bool right_sorted_;
};

#undef MLXCPP_PRIMITIVE_COMMON

/** {a / b floored, a mod b} in one pass (two outputs). */
class DivMod : public Primitive {
 public:
  explicit DivMod(Stream stream) : Primitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "DivMod"; }
  bool is_equivalent(const Primitive& other) const override {
    return typeid(other) == typeid(*this);
  }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape(), inputs[0].shape()};
  }
};

/** Parts of an array split along an axis before each index (one output per part). */
class Split : public Primitive {
 public:
  Split(Stream stream, Shape indices, int axis)
      : Primitive(stream), indices_(std::move(indices)), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "Split"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  Shape indices_;
  int axis_;
};

}  // namespace mlxcpp
