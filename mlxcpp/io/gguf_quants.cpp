// GGML block formats (ggml-common.h in ggml), decoded in the same float
// operation order as GGML's reference dequantizers so results match them.
#include "mlxcpp/io/gguf_quants.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mlxcpp/core/half_types.h"

namespace mlxcpp::io::gguf {

namespace {

constexpr size_t QK = 32;     // elements per block of the simple types
constexpr size_t QK_K = 256;  // elements per super-block of the K types

float half_at(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return static_cast<float>(float16_t::from_bits(bits));
}

uint16_t half_bits(float v) {
  return float16_t(v).bits_;
}

// A 4-bit code from v (already offset): truncated toward zero as GGML's int8 cast, clamped
// to [0, 15] (NaN gives 0).
uint8_t code4(float v) {
  if (!(v > 0.0f)) {
    return 0;
  }
  return static_cast<uint8_t>(std::min(15.0f, std::trunc(v)));
}

void q4_0(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const uint8_t* qs = b + 2;
  for (size_t j = 0; j < QK / 2; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
    y[j + QK / 2] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void q4_1(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const float m = half_at(b + 2);
  const uint8_t* qs = b + 4;
  for (size_t j = 0; j < QK / 2; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
    y[j + QK / 2] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// Q5_0 (with_min = false) and Q5_1: the fifth bits of the 32 codes are one uint32.
void q5(const uint8_t* b, float* y, bool with_min) {
  const float d = half_at(b);
  const float m = with_min ? half_at(b + 2) : 0.0f;
  const uint8_t* p = b + (with_min ? 4 : 2);
  uint32_t qh;
  std::memcpy(&qh, p, 4);
  const uint8_t* qs = p + 4;
  const int offset = with_min ? 0 : 16;
  for (size_t j = 0; j < QK / 2; ++j) {
    const int x0 = ((qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) - offset;
    const int x1 = ((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset;
    y[j] = with_min ? static_cast<float>(x0) * d + m : static_cast<float>(x0) * d;
    y[j + QK / 2] = with_min ? static_cast<float>(x1) * d + m : static_cast<float>(x1) * d;
  }
}

void q8_0(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const int8_t* qs = reinterpret_cast<const int8_t*>(b + 2);
  for (size_t j = 0; j < QK; ++j) {
    y[j] = static_cast<float>(qs[j]) * d;
  }
}

void q2_k(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* q = b + 16;
  const float d = half_at(b + 80);
  const float dmin = half_at(b + 82);
  int is = 0;
  for (size_t n = 0; n < QK_K; n += 128) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int half = 0; half < 2; ++half) {
        const uint8_t sc = scales[is++];
        const float dl = d * static_cast<float>(sc & 0xF);
        const float ml = dmin * static_cast<float>(sc >> 4);
        for (int l = 0; l < 16; ++l) {
          *y++ = dl * static_cast<float>((q[l + 16 * half] >> shift) & 3) - ml;
        }
      }
    }
    q += 32;
  }
}

// The 16 signed 6-bit scales of a Q3_K block, unpacked from its 12 bytes.
void q3_k_scales(const uint8_t* s, int* out) {
  for (int i = 0; i < 16; ++i) {
    const int low = i < 8 ? (s[i] & 0x0F) : (s[i - 8] >> 4);
    const int high = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
    out[i] = (low | (high << 4)) - 32;
  }
}

void q3_k(const uint8_t* b, float* y) {
  const uint8_t* hm = b;
  const uint8_t* q = b + 32;
  int scales[16];
  q3_k_scales(b + 96, scales);
  const float d_all = half_at(b + 108);
  int is = 0;
  uint8_t m = 1;
  for (size_t n = 0; n < QK_K; n += 128) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int half = 0; half < 2; ++half) {
        const float dl = d_all * static_cast<float>(scales[is++]);
        for (int l = 0; l < 16; ++l) {
          const int k = l + 16 * half;
          const int v = ((q[k] >> shift) & 3) - ((hm[k] & m) ? 0 : 4);
          *y++ = dl * static_cast<float>(v);
        }
      }
      m <<= 1;
    }
    q += 32;
  }
}

void scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q4_K (qh == nullptr) and Q5_K: eight sub-blocks of 32 with 6-bit scales and mins.
void q45_k(const uint8_t* b, float* y, bool five_bits) {
  const float d = half_at(b);
  const float dmin = half_at(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = five_bits ? b + 16 : nullptr;
  const uint8_t* ql = b + (five_bits ? 48 : 16);
  int is = 0;
  uint8_t u1 = 1, u2 = 2;
  for (size_t j = 0; j < QK_K; j += 64) {
    uint8_t sc, m;
    scale_min_k4(is, scales, &sc, &m);
    const float d1 = d * static_cast<float>(sc);
    const float m1 = dmin * static_cast<float>(m);
    scale_min_k4(is + 1, scales, &sc, &m);
    const float d2 = d * static_cast<float>(sc);
    const float m2 = dmin * static_cast<float>(m);
    for (int l = 0; l < 32; ++l) {
      const int hi = qh != nullptr && (qh[l] & u1) ? 16 : 0;
      *y++ = d1 * static_cast<float>((ql[l] & 0xF) + hi) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      const int hi = qh != nullptr && (qh[l] & u2) ? 16 : 0;
      *y++ = d2 * static_cast<float>((ql[l] >> 4) + hi) - m2;
    }
    ql += 32;
    is += 2;
    u1 <<= 2;
    u2 <<= 2;
  }
}

void q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = half_at(b + 208);
  for (size_t n = 0; n < QK_K; n += 128) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = static_cast<int8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = static_cast<int8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = static_cast<int8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = static_cast<int8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

void q8_k(const uint8_t* b, float* y) {
  float d;
  std::memcpy(&d, b, 4);
  const int8_t* qs = reinterpret_cast<const int8_t*>(b + 4);
  for (size_t j = 0; j < QK_K; ++j) {
    y[j] = d * static_cast<float>(qs[j]);
  }
}

}  // namespace

std::optional<TypeInfo> type_info(uint32_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::F32:
      return TypeInfo{"F32", 1, 4};
    case TensorType::F16:
      return TypeInfo{"F16", 1, 2};
    case TensorType::BF16:
      return TypeInfo{"BF16", 1, 2};
    case TensorType::F64:
      return TypeInfo{"F64", 1, 8};
    case TensorType::I8:
      return TypeInfo{"I8", 1, 1};
    case TensorType::I16:
      return TypeInfo{"I16", 1, 2};
    case TensorType::I32:
      return TypeInfo{"I32", 1, 4};
    case TensorType::I64:
      return TypeInfo{"I64", 1, 8};
    case TensorType::Q4_0:
      return TypeInfo{"Q4_0", QK, 18};
    case TensorType::Q4_1:
      return TypeInfo{"Q4_1", QK, 20};
    case TensorType::Q5_0:
      return TypeInfo{"Q5_0", QK, 22};
    case TensorType::Q5_1:
      return TypeInfo{"Q5_1", QK, 24};
    case TensorType::Q8_0:
      return TypeInfo{"Q8_0", QK, 34};
    case TensorType::Q2_K:
      return TypeInfo{"Q2_K", QK_K, 84};
    case TensorType::Q3_K:
      return TypeInfo{"Q3_K", QK_K, 110};
    case TensorType::Q4_K:
      return TypeInfo{"Q4_K", QK_K, 144};
    case TensorType::Q5_K:
      return TypeInfo{"Q5_K", QK_K, 176};
    case TensorType::Q6_K:
      return TypeInfo{"Q6_K", QK_K, 210};
    case TensorType::Q8_K:
      return TypeInfo{"Q8_K", QK_K, 292};
  }
  return std::nullopt;
}

void dequantize(TensorType type, const uint8_t* blocks, size_t n, float* out) {
  const TypeInfo info = *type_info(static_cast<uint32_t>(type));
  for (size_t i = 0; i < n / info.block_elements; ++i) {
    const uint8_t* b = blocks + i * info.block_bytes;
    float* y = out + i * info.block_elements;
    switch (type) {
      case TensorType::Q4_0:
        q4_0(b, y);
        break;
      case TensorType::Q4_1:
        q4_1(b, y);
        break;
      case TensorType::Q5_0:
        q5(b, y, false);
        break;
      case TensorType::Q5_1:
        q5(b, y, true);
        break;
      case TensorType::Q8_0:
        q8_0(b, y);
        break;
      case TensorType::Q2_K:
        q2_k(b, y);
        break;
      case TensorType::Q3_K:
        q3_k(b, y);
        break;
      case TensorType::Q4_K:
        q45_k(b, y, false);
        break;
      case TensorType::Q5_K:
        q45_k(b, y, true);
        break;
      case TensorType::Q6_K:
        q6_k(b, y);
        break;
      case TensorType::Q8_K:
        q8_k(b, y);
        break;
      default:
        break;  // plain types are never block-decoded
    }
  }
}

AffineBlock to_affine(TensorType type, const uint8_t* b) {
  AffineBlock a{};
  uint16_t d_bits;
  std::memcpy(&d_bits, b, 2);
  const float d = static_cast<float>(float16_t::from_bits(d_bits));
  a.scale_bits = d_bits;
  if (type == TensorType::Q8_0) {
    for (size_t j = 0; j < QK; ++j) {
      a.codes[j] = static_cast<uint8_t>(b[2 + j] ^ 0x80);  // int8 q -> q + 128
    }
    a.bias_bits = half_bits(-128.0f * d);
    return a;
  }
  const uint8_t* qs = b + (type == TensorType::Q4_1 ? 4 : 2);
  for (size_t j = 0; j < QK / 2; ++j) {
    a.codes[j] = qs[j] & 0x0F;
    a.codes[j + QK / 2] = qs[j] >> 4;
  }
  if (type == TensorType::Q4_1) {
    std::memcpy(&a.bias_bits, b + 2, 2);
  } else {
    a.bias_bits = half_bits(-8.0f * d);
  }
  return a;
}

bool from_affine(TensorType type, const AffineBlock& a, uint8_t* b) {
  const float d = static_cast<float>(float16_t::from_bits(a.scale_bits));
  std::memcpy(b, &a.scale_bits, 2);
  if (type == TensorType::Q8_0) {
    if (a.bias_bits != half_bits(-128.0f * d)) {
      return false;
    }
    for (size_t j = 0; j < QK; ++j) {
      b[2 + j] = static_cast<uint8_t>(a.codes[j] ^ 0x80);
    }
    return true;
  }
  uint8_t* qs = b + 2;
  if (type == TensorType::Q4_1) {
    std::memcpy(b + 2, &a.bias_bits, 2);
    qs = b + 4;
  } else if (a.bias_bits != half_bits(-8.0f * d)) {
    return false;
  }
  for (size_t j = 0; j < QK / 2; ++j) {
    if (a.codes[j] > 15 || a.codes[j + QK / 2] > 15) {
      return false;
    }
    qs[j] = static_cast<uint8_t>(a.codes[j] | (a.codes[j + QK / 2] << 4));
  }
  return true;
}

void quantize_block(TensorType type, const float* x, uint8_t* b) {
  if (type == TensorType::Q8_0) {
    float amax = 0.0f;
    for (size_t j = 0; j < QK; ++j) {
      amax = std::max(amax, std::fabs(x[j]));
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t bits = half_bits(d);
    std::memcpy(b, &bits, 2);
    for (size_t j = 0; j < QK; ++j) {
      const float r = std::round(x[j] * id);
      const float c = r != r ? 0.0f : std::clamp(r, -127.0f, 127.0f);
      b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(c));
    }
  } else if (type == TensorType::Q4_0) {
    float amax = 0.0f, max = 0.0f;  // max: the value of largest magnitude, with its sign
    for (size_t j = 0; j < QK; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t bits = half_bits(d);
    std::memcpy(b, &bits, 2);
    for (size_t j = 0; j < QK / 2; ++j) {
      b[2 + j] =
          static_cast<uint8_t>(code4(x[j] * id + 8.5f) | (code4(x[j + QK / 2] * id + 8.5f) << 4));
    }
  } else {  // Q4_1
    float min = x[0], max = x[0];
    for (size_t j = 1; j < QK; ++j) {
      min = std::min(min, x[j]);
      max = std::max(max, x[j]);
    }
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t dbits = half_bits(d);
    const uint16_t mbits = half_bits(min);
    std::memcpy(b, &dbits, 2);
    std::memcpy(b + 2, &mbits, 2);
    for (size_t j = 0; j < QK / 2; ++j) {
      b[4 + j] = static_cast<uint8_t>(code4((x[j] - min) * id + 0.5f) |
                                      (code4((x[j + QK / 2] - min) * id + 0.5f) << 4));
    }
  }
}

}  // namespace mlxcpp::io::gguf
