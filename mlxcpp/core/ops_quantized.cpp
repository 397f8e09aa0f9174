// Quantization ops: quantize, dequantize, quantized_matmul, gather_qmm, to_fp8 and from_fp8,
// with MLX's formats, defaults and checks (mlx/ops.cpp). Beyond MLX's checks they reject,
// at the call, what MLX leaves to its kernels or does not check: unsupported bits and group
// sizes in every op, scales and biases whose full shape does not fit the weight, float64
// (MLX's CPU kernels do not support it), and a batched weight against an unbatched x (MLX
// would silently use the first matrix of the batch).
#include <algorithm>
#include <cmath>
#include <string>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

using detail::invalid;
using detail::shape_str;

std::string quantization_mode_to_string(QuantizationMode mode) {
  switch (mode) {
    case QuantizationMode::Affine:
      return "affine";
    case QuantizationMode::Mxfp4:
      return "mxfp4";
    case QuantizationMode::Mxfp8:
      return "mxfp8";
    case QuantizationMode::Nvfp4:
      break;
  }
  return "nvfp4";
}

QuantizationMode string_to_quantization_mode(const std::string& mode, const std::string& tag) {
  if (mode == "affine") {
    return QuantizationMode::Affine;
  }
  if (mode == "mxfp4") {
    return QuantizationMode::Mxfp4;
  }
  if (mode == "mxfp8") {
    return QuantizationMode::Mxfp8;
  }
  if (mode == "nvfp4") {
    return QuantizationMode::Nvfp4;
  }
  throw std::invalid_argument((tag.empty() ? std::string() : "[" + tag + "] ") +
                              "Invalid quantization mode '" + mode +
                              "'; expected affine, mxfp4, mxfp8 or nvfp4.");
}

std::pair<int, int> quantization_defaults(const std::string& mode_name) {
  const QuantizationMode mode = string_to_quantization_mode(mode_name, "quantize");
  const int group_size = mode == QuantizationMode::Nvfp4    ? 16
                         : mode == QuantizationMode::Affine ? 64
                                                            : 32;
  return {group_size, mode == QuantizationMode::Mxfp8 ? 8 : 4};
}

namespace {

struct QuantParams {
  QuantizationMode mode;
  int group_size;
  int bits;
};

// MLX's defaults for the mode, then the group sizes and widths the format has.
QuantParams quant_params(const char* op, const std::string& mode_name,
                         std::optional<int> group_size, std::optional<int> bits) {
  const QuantizationMode mode = string_to_quantization_mode(mode_name, op);
  const auto [default_gs, default_bits] = quantization_defaults(mode_name);
  QuantParams p{mode, group_size.value_or(default_gs), bits.value_or(default_bits)};
  if (mode == QuantizationMode::Affine) {
    if (p.group_size != 32 && p.group_size != 64 && p.group_size != 128) {
      invalid(op,
              "The requested group size {} is not supported. The supported group sizes are 32, "
              "64, and 128.",
              p.group_size);
    }
    if (p.bits < 2 || p.bits > 8 || p.bits == 7) {
      invalid(op,
              "The requested number of bits {} is not supported. The supported bits are 2, 3, 4, "
              "5, 6 and 8.",
              p.bits);
    }
  } else {
    if (p.group_size != default_gs) {
      invalid(op, "{} quantization requires group size {} but got {}.",
              quantization_mode_to_string(mode), default_gs, p.group_size);
    }
    if (p.bits != default_bits) {
      invalid(op, "{} quantization requires bits to be {} but got {}.",
              quantization_mode_to_string(mode), default_bits, p.bits);
    }
  }
  return p;
}

// The float dtypes the kernels compute in.
void check_float_dtype(const char* op, const char* what, Dtype t) {
  if (!issubdtype(t, floating)) {
    invalid(op, "Only real floating types are supported but {}.dtype() == {}.", what,
            dtype_name(t));
  }
  if (t == float64) {
    invalid(op,
            "{} has dtype float64, which is not supported; expected float32, float16 or bfloat16.",
            what);
  }
}

void check_global_scale(const char* op, QuantizationMode mode,
                        const std::optional<array>& global_scale) {
  if (!global_scale) {
    return;
  }
  if (mode != QuantizationMode::Nvfp4) {
    invalid(op, "Global scale is only supported for 'nvfp4' quantization mode.");
  }
  if (global_scale->size() != 1) {
    invalid(op, "Global scale must be a scalar but got shape {}.",
            shape_str(global_scale->shape()));
  }
  if (global_scale->dtype() != float32) {
    invalid(op, "Global scale must have dtype float32 but got {}.",
            dtype_name(global_scale->dtype()));
  }
}

// Scales (and biases) as the mode wants them; for affine the dtype the product computes in.
Dtype check_scale_types(const char* op, QuantizationMode mode, const array& scales,
                        const std::optional<array>& biases) {
  if (mode == QuantizationMode::Affine) {
    if (!biases) {
      invalid(op, "Biases must be provided for affine quantization.");
    }
    check_float_dtype(op, "scales", scales.dtype());
    check_float_dtype(op, "biases", biases->dtype());
    return promote_types(scales.dtype(), biases->dtype());
  }
  if (scales.dtype() != uint8) {
    invalid(op, "Scale type must be uint8 but received type {}.", dtype_name(scales.dtype()));
  }
  if (biases) {
    invalid(op, "Biases must be null for quantization mode '{}'.",
            quantization_mode_to_string(mode));
  }
  return bfloat16;
}

// w is uint32 [..., rows, packed] with scales (and biases) [..., rows, packed * 32 / bits /
// group_size]; returns the unpacked width.
int64_t check_packed(const char* op, const array& w, const array& scales,
                     const std::optional<array>& biases, const QuantParams& p) {
  if (w.dtype() != uint32) {
    invalid(op, "The weight matrix should be uint32 but received {}.", dtype_name(w.dtype()));
  }
  if (w.ndim() < 2) {
    invalid(op, "The quantized matrix must have at least 2 dimensions but it has shape {}.",
            shape_str(w.shape()));
  }
  if (biases && biases->shape() != scales.shape()) {
    invalid(op,
            "Scales and biases should have the same shape. Received scales with shape {} and "
            "biases with {}.",
            shape_str(scales.shape()), shape_str(biases->shape()));
  }
  const int64_t width = int64_t(w.shape(-1)) * 32 / p.bits;
  Shape expected = w.shape();
  expected.back() = static_cast<ShapeElem>(width / p.group_size);
  if (int64_t(w.shape(-1)) * 32 % p.bits != 0 || width % p.group_size != 0 ||
      scales.shape() != expected) {
    invalid(op,
            "The shapes of the weight and scales are incompatible based on bits and group_size. "
            "w.shape() == {} and scales.shape() == {} with group_size={} and bits={}; expected "
            "scales of shape {}.",
            shape_str(w.shape()), shape_str(scales.shape()), p.group_size, p.bits,
            (int64_t(w.shape(-1)) * 32 % p.bits != 0 || width % p.group_size != 0)
                ? std::string("(none: the packed width does not hold whole groups)")
                : shape_str(expected));
  }
  return width;
}

// Everything quantized_matmul and gather_qmm check; returns the output dtype and N.
struct MatmulCheck {
  QuantParams p;
  Dtype dtype;
  int n;
};

MatmulCheck check_matmul(const char* op, const array& x, const array& w, const array& scales,
                         const std::optional<array>& biases, bool transpose,
                         std::optional<int> group_size, std::optional<int> bits,
                         const std::string& mode) {
  const QuantizationMode qmode = string_to_quantization_mode(mode, op);
  const Dtype scale_type = check_scale_types(op, qmode, scales, biases);
  const QuantParams p = quant_params(op, mode, group_size, bits);
  const int64_t width = check_packed(op, w, scales, biases, p);
  if (x.ndim() == 0) {
    invalid(op, "x must have at least one dimension; got a scalar.");
  }
  const int64_t inner = transpose ? width : w.shape(-2);
  const int64_t outer = transpose ? w.shape(-2) : width;
  if (x.shape(-1) != inner) {
    invalid(op,
            "Last dimension of first input with shape (..., {}) does not match the expanded "
            "quantized matrix ({}, {}) computed from shape {} with group_size={}, bits={} and "
            "transpose={}.",
            x.shape(-1), inner, outer, shape_str(w.shape()), p.group_size, p.bits, transpose);
  }
  const Dtype dtype =
      qmode == QuantizationMode::Affine ? promote_types(x.dtype(), scale_type) : x.dtype();
  check_float_dtype(op, "x", dtype);
  return {p, dtype, detail::checked_dim(op, outer)};
}

Shape batch_of(const array& a) {
  return Shape(a.shape().begin(), a.shape().end() - 2);
}

// a broadcast to batch + its last two dims.
array with_batch(const array& a, const Shape& batch, StreamOrDevice s) {
  Shape shape = batch;
  shape.push_back(a.shape(-2));
  shape.push_back(a.shape(-1));
  return a.shape() == shape ? a : broadcast_to(a, shape, s);
}

}  // namespace

void check_quantization(const std::string& mode, int group_size, int bits) {
  quant_params("quantize", mode, group_size, bits);
}

std::vector<array> quantize(const array& w, std::optional<int> group_size, std::optional<int> bits,
                            const std::string& mode, const std::optional<array>& global_scale,
                            StreamOrDevice s) {
  const char* op = "quantize";
  const QuantParams p = quant_params(op, mode, group_size, bits);
  if (!issubdtype(w.dtype(), floating)) {
    invalid(op, "Only real floating types can be quantized but w has type {}.",
            dtype_name(w.dtype()));
  }
  check_float_dtype(op, "w", w.dtype());
  if (w.ndim() < 2) {
    invalid(op, "The matrix to be quantized must have at least 2 dimensions but it has only {}.",
            w.ndim());
  }
  if (w.shape(-1) % p.group_size != 0) {
    invalid(op,
            "The last dimension of the matrix needs to be divisible by the quantization group "
            "size {}. However the provided matrix has shape {}.",
            p.group_size, shape_str(w.shape()));
  }
  check_global_scale(op, p.mode, global_scale);
  Shape wq_shape = w.shape();
  wq_shape.back() = detail::checked_dim(op, int64_t(w.shape(-1)) * p.bits / 32);
  Shape s_shape = w.shape();
  s_shape.back() = w.shape(-1) / p.group_size;
  auto prim = std::make_shared<Quantize>(to_stream(s), p.group_size, p.bits, p.mode);
  if (p.mode == QuantizationMode::Affine) {
    return array::make_arrays({wq_shape, s_shape, s_shape}, {uint32, w.dtype(), w.dtype()}, prim,
                              {w});
  }
  std::vector<array> inputs{w};
  if (global_scale) {
    inputs.push_back(*global_scale);
  }
  return array::make_arrays({wq_shape, s_shape}, {uint32, uint8}, prim, inputs);
}

array dequantize(const array& w, const array& scales, const std::optional<array>& biases,
                 std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
                 const std::optional<array>& global_scale, std::optional<Dtype> dtype,
                 StreamOrDevice s) {
  const char* op = "dequantize";
  const QuantizationMode qmode = string_to_quantization_mode(mode, op);
  if (dtype) {
    if (!issubdtype(*dtype, floating)) {
      invalid(op, "Only real floating types are supported but output dtype == {}.",
              dtype_name(*dtype));
    }
  }
  const Dtype compute = check_scale_types(op, qmode, scales, biases);
  const QuantParams p = quant_params(op, mode, group_size, bits);
  if (w.dtype() != uint32) {
    invalid(op, "The matrix should be given as a uint32; got {}.", dtype_name(w.dtype()));
  }
  if (w.ndim() < 2) {
    invalid(op, "The matrix to be dequantized must have at least 2 dimensions but it has only {}.",
            w.ndim());
  }
  check_global_scale(op, qmode, global_scale);
  const int64_t width = check_packed(op, w, scales, biases, p);
  Shape out_shape = w.shape();
  out_shape.back() = detail::checked_dim(op, width);
  auto prim = std::make_shared<Dequantize>(to_stream(s), p.group_size, p.bits, p.mode);
  if (qmode == QuantizationMode::Affine) {
    array out(out_shape, compute, prim, {w, scales, *biases});
    return dtype && *dtype != compute ? astype(out, *dtype, s) : out;
  }
  // The fp modes compute in the output dtype (float64 as float32, exactly: every value is).
  const Dtype out_type = dtype.value_or(bfloat16);
  const Dtype kernel_type = out_type == float64 ? float32 : out_type;
  std::vector<array> inputs{w, scales};
  if (global_scale) {
    inputs.push_back(*global_scale);
  }
  array out(out_shape, kernel_type, prim, inputs);
  return kernel_type != out_type ? astype(out, out_type, s) : out;
}

array quantized_matmul(const array& x, const array& w, const array& scales,
                       const std::optional<array>& biases, bool transpose,
                       std::optional<int> group_size, std::optional<int> bits,
                       const std::string& mode, StreamOrDevice s) {
  const char* op = "quantized_matmul";
  const auto c = check_matmul(op, x, w, scales, biases, transpose, group_size, bits, mode);
  const bool affine = c.p.mode == QuantizationMode::Affine;
  std::vector<array> inputs{astype(x, c.dtype, s), w, affine ? astype(scales, c.dtype, s) : scales};
  if (affine) {
    inputs.push_back(astype(*biases, c.dtype, s));
  }
  if (x.ndim() > 2 && w.ndim() > 2) {
    const Shape batch = broadcast_shapes(batch_of(x), batch_of(w));
    for (auto& in : inputs) {
      in = with_batch(in, batch, s);
    }
  } else if (w.ndim() > 2) {
    int64_t count = 1;
    for (auto d : batch_of(w)) {
      count *= d;
    }
    if (count != 1) {
      invalid(op,
              "A batch of quantized matrices (w of shape {}) needs a batched x (at least 3 "
              "dimensions); got x of shape {}.",
              shape_str(w.shape()), shape_str(x.shape()));
    }
  }
  Shape out_shape = inputs[0].shape();
  out_shape.back() = c.n;
  return array(out_shape, c.dtype,
               std::make_shared<QuantizedMatmul>(to_stream(s), c.p.group_size, c.p.bits, c.p.mode,
                                                 transpose),
               std::move(inputs));
}

std::vector<array> quantized_matmul_many(const array& x, const std::vector<array>& w,
                                         const std::vector<array>& scales,
                                         const std::vector<array>& biases,
                                         std::optional<int> group_size, std::optional<int> bits,
                                         const std::string& mode, StreamOrDevice s) {
  const char* op = "quantized_matmul_many";
  const bool affine = string_to_quantization_mode(mode, op) == QuantizationMode::Affine;
  if (w.empty() || scales.size() != w.size() || biases.size() != (affine ? w.size() : 0)) {
    invalid(op,
            "Expected one scales{} per matrix and at least one matrix; got {} matrices, {} "
            "scales and {} biases.",
            affine ? " and biases" : " (and no biases)", w.size(), scales.size(), biases.size());
  }
  std::vector<Shape> shapes;
  std::optional<MatmulCheck> first;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i].ndim() != 2) {
      invalid(op, "Each matrix must be 2-D; matrix {} has shape {}.", i, shape_str(w[i].shape()));
    }
    const std::optional<array> b = affine ? std::optional<array>(biases[i]) : std::nullopt;
    const auto c = check_matmul(op, x, w[i], scales[i], b, true, group_size, bits, mode);
    if (first && (c.dtype != first->dtype || scales[i].dtype() != scales[0].dtype())) {
      invalid(op,
              "Every matrix's scales and result must have one dtype each; matrix {} has {} "
              "scales and a {} result, matrix 0 {} and {}.",
              i, dtype_name(scales[i].dtype()), dtype_name(c.dtype), dtype_name(scales[0].dtype()),
              dtype_name(first->dtype));
    }
    if (!first) {
      first = c;
    }
    Shape shape = x.shape();
    shape.back() = c.n;
    shapes.push_back(std::move(shape));
  }
  const Dtype dtype = first->dtype;
  std::vector<array> inputs{astype(x, dtype, s)};
  for (size_t i = 0; i < w.size(); ++i) {
    inputs.push_back(w[i]);
    inputs.push_back(affine ? astype(scales[i], dtype, s) : scales[i]);
    if (affine) {
      inputs.push_back(astype(biases[i], dtype, s));
    }
  }
  return array::make_arrays(std::move(shapes), std::vector<Dtype>(w.size(), dtype),
                            std::make_shared<QuantizedMatmulMany>(to_stream(s), first->p.group_size,
                                                                  first->p.bits, first->p.mode),
                            std::move(inputs));
}

array gather_qmm(const array& x, const array& w, const array& scales,
                 const std::optional<array>& biases, std::optional<array> lhs_indices,
                 std::optional<array> rhs_indices, bool transpose, std::optional<int> group_size,
                 std::optional<int> bits, const std::string& mode, bool sorted_indices,
                 StreamOrDevice s) {
  if (!lhs_indices && !rhs_indices) {
    return quantized_matmul(x, w, scales, biases, transpose, group_size, bits, mode, s);
  }
  const char* op = "gather_qmm";
  const auto c = check_matmul(op, x, w, scales, biases, transpose, group_size, bits, mode);
  // Missing indices default to every matrix of that operand's batch, in order.
  auto indices = [&](const std::optional<array>& given, const array& a) {
    if (a.ndim() < 2) {
      invalid(op, "Input must have at least two dimensions but got input with shape {}.",
              shape_str(a.shape()));
    }
    if (given) {
      if (!issubdtype(given->dtype(), integer)) {
        invalid(op, "Got indices with invalid dtype {}. Indices must be integral.",
                dtype_name(given->dtype()));
      }
      return astype(*given, int64, s);
    }
    const Shape batch = batch_of(a);
    int64_t count = 1;
    for (auto d : batch) {
      count *= d;
    }
    return reshape(arange(0.0, double(count), int64, s), batch, s);
  };
  auto idx = broadcast_arrays({indices(lhs_indices, x), indices(rhs_indices, w)}, s);
  Shape out_shape = idx[0].shape();
  out_shape.push_back(x.shape(-2));
  out_shape.push_back(c.n);
  const bool affine = c.p.mode == QuantizationMode::Affine;
  std::vector<array> inputs{astype(x, c.dtype, s), w, affine ? astype(scales, c.dtype, s) : scales};
  if (affine) {
    inputs.push_back(astype(*biases, c.dtype, s));
  }
  inputs.push_back(idx[0]);
  inputs.push_back(idx[1]);
  return array(
      out_shape, c.dtype,
      std::make_shared<GatherQMM>(to_stream(s), c.p.group_size, c.p.bits, c.p.mode, transpose,
                                  sorted_indices && !rhs_indices, sorted_indices && !lhs_indices),
      std::move(inputs));
}

array to_fp8(array x, StreamOrDevice s) {
  if (!issubdtype(x.dtype(), floating)) {
    invalid("to_fp8", "Only real floating types are supported but x.dtype() == {}.",
            dtype_name(x.dtype()));
  }
  Shape shape = x.shape();
  return array(shape, uint8, std::make_shared<ConvertFP8>(to_stream(s), true), {std::move(x)});
}

array from_fp8(array x, Dtype dtype, StreamOrDevice s) {
  if (x.dtype() != uint8) {
    invalid("from_fp8", "Input must have type uint8 but x.dtype() == {}.", dtype_name(x.dtype()));
  }
  if (!issubdtype(dtype, floating)) {
    invalid("from_fp8", "Only real floating types are supported but dtype == {}.",
            dtype_name(dtype));
  }
  Shape shape = x.shape();
  return array(shape, dtype, std::make_shared<ConvertFP8>(to_stream(s), false), {std::move(x)});
}

}  // namespace mlxcpp
