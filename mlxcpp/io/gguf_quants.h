// GGML's tensor types as stored in GGUF files: block sizes, decoding of the
// quantized blocks to float, and encoding of the three types that map exactly
// onto MLX's affine quantization (Q4_0, Q4_1, Q8_0 with groups of 32).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace mlxcpp::io::gguf {

enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct TypeInfo {
  const char* name;
  size_t block_elements;  // elements per block (1 for plain types)
  size_t block_bytes;
};

/** Layout of a supported type; nullopt for types this reader does not handle. */
std::optional<TypeInfo> type_info(uint32_t type);

/** Decodes n elements (a multiple of the block size) of a quantized type to float. */
void dequantize(TensorType type, const uint8_t* blocks, size_t n, float* out);

/** The MLX affine form of one 32-element block of Q4_0, Q4_1 or Q8_0: the 32 unsigned
 *  codes and the float16 bits of scale and bias (value = scale * code + bias). */
struct AffineBlock {
  uint8_t codes[32];
  uint16_t scale_bits;
  uint16_t bias_bits;
};
AffineBlock to_affine(TensorType type, const uint8_t* block);

/** Encodes 32 floats as one block of Q4_0, Q4_1 or Q8_0 (GGML's reference rounding). */
void quantize_block(TensorType type, const float* x, uint8_t* block);

/** Encodes an affine block (codes, scale, bias) as Q4_0, Q4_1 or Q8_0; false when the bias
 *  does not fit the type (Q4_0 needs -8 * scale, Q8_0 -128 * scale). */
bool from_affine(TensorType type, const AffineBlock& in, uint8_t* block);

}  // namespace mlxcpp::io::gguf
