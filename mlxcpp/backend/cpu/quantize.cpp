// Quantize, Dequantize and ConvertFP8 on the CPU, bit-exact with MLX 846d176.
//
// Affine quantize follows MLX's CPU kernel (computed in float32): the larger-magnitude edge of
// each group becomes the bias and the scale is adjusted so that it lies on the grid. MLX
// evaluates everything else as a graph of ops in the weight's dtype (affine dequantize and the
// whole of mxfp4 / mxfp8 / nvfp4); those are emulated here step by step, rounding to that
// dtype after each op, so the results are the same bits. Where MLX's C++ casts a NaN or an
// out-of-range float to an integer (undefined behaviour), the value x86-64 gives is used.
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/quantized.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

static_assert(std::endian::native == std::endian::little,
              "MLX's packed formats are read as little-endian bytes.");

namespace mlxcpp {

namespace cpu::quant {

void unpack_codes(int bits, const uint8_t* w, int64_t count, uint8_t* q) {
  switch (bits) {
    case 2:
      for (int64_t i = 0; i < count / 4; ++i) {
        const uint8_t b = w[i];
        q[4 * i] = b & 3;
        q[4 * i + 1] = (b >> 2) & 3;
        q[4 * i + 2] = (b >> 4) & 3;
        q[4 * i + 3] = b >> 6;
      }
      return;
    case 4:
      for (int64_t i = 0; i < count / 2; ++i) {
        q[2 * i] = w[i] & 15;
        q[2 * i + 1] = w[i] >> 4;
      }
      return;
    case 8:
      std::memcpy(q, w, static_cast<size_t>(count));
      return;
    case 6:
      for (int64_t i = 0; i < count / 4; ++i) {
        const uint8_t* p = w + 3 * i;
        const uint32_t v = p[0] | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16;
        for (int j = 0; j < 4; ++j) {
          q[4 * i + j] = (v >> (6 * j)) & 63;
        }
      }
      return;
    default: {  // 3 and 5: 8 codes in 3 or 5 bytes
      const int nb = bits;
      const uint32_t mask = (1u << bits) - 1;
      for (int64_t i = 0; i < count / 8; ++i) {
        const uint8_t* p = w + nb * i;
        uint64_t v = 0;
        for (int j = 0; j < nb; ++j) {
          v |= uint64_t(p[j]) << (8 * j);
        }
        for (int j = 0; j < 8; ++j) {
          q[8 * i + j] = static_cast<uint8_t>((v >> (bits * j)) & mask);
        }
      }
      return;
    }
  }
}

void to_float_values(const void* src, Dtype dtype, int64_t n, float* out) {
  if (dtype == float16) {
    const auto* s = static_cast<const float16_t*>(src);
    for (int64_t i = 0; i < n; ++i) {
      out[i] = static_cast<float>(s[i]);
    }
  } else if (dtype == bfloat16) {
    const auto* s = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t bits = uint32_t(s[i]) << 16;
      std::memcpy(out + i, &bits, sizeof(float));
    }
  } else {
    std::memcpy(out, src, static_cast<size_t>(n) * sizeof(float));
  }
}

void scales_to_float(const Format& f, const void* src, Dtype dtype, int64_t count, float* out) {
  if (dtype != uint8) {
    return to_float_values(src, dtype, count, out);
  }
  const auto* s = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < count; ++i) {
    out[i] = f.mode == 3 ? e4m3_to_float(s[i]) : e8m0_to_float(s[i]);
  }
}

}  // namespace cpu::quant

namespace {

using cpu::quant::e4m3_to_float;
using cpu::quant::float_to_e4m3;
using cpu::quant::kFp4Values;

// A float rounded to T (identity for float).
template <typename T>
inline float rnd(float v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return static_cast<float>(T(v));
  }
}

// float -> int32 as x86-64's cvttss2si: NaN and out-of-range values give INT32_MIN.
inline int32_t to_i32(float v) {
  if (!(v >= -2147483648.0f && v < 2147483648.0f)) {
    return std::numeric_limits<int32_t>::min();
  }
  return static_cast<int32_t>(v);
}

inline uint8_t to_u8(float v) {
  return static_cast<uint8_t>(to_i32(v));
}

// Codes (each < 2^bits) of n elements (a multiple of 32) as MLX's little-endian bit stream.
void pack_codes(int bits, const uint8_t* q, int64_t n, uint32_t* out) {
  uint64_t acc = 0;
  int filled = 0;
  for (int64_t i = 0; i < n; ++i) {
    acc |= uint64_t(q[i]) << filled;
    filled += bits;
    if (filled >= 32) {
      *out++ = static_cast<uint32_t>(acc);
      acc >>= 32;
      filled -= 32;
    }
  }
}

// ----------------------------------------------------------------- affine

template <typename T>
void affine_quantize_groups(const T* w, uint32_t* wq, T* scales, T* biases, int64_t g0, int64_t g1,
                            int gs, int bits) {
  const float n_bins = static_cast<float>((1 << bits) - 1);
  const float eps = 1e-7f;
  const int64_t words = int64_t(gs) * bits / 32;
  std::vector<uint8_t> q(gs);
  for (int64_t g = g0; g < g1; ++g) {
    const T* src = w + g * gs;
    float w_min = std::numeric_limits<float>::infinity();
    float w_max = -w_min;
    for (int j = 0; j < gs; ++j) {
      const float v = static_cast<float>(src[j]);
      w_max = std::max(w_max, v);
      w_min = std::min(w_min, v);
    }
    const bool mask = std::abs(w_min) > std::abs(w_max);
    float scale = std::max((w_max - w_min) / n_bins, eps);
    scale = mask ? scale : -scale;
    const float edge = mask ? w_min : w_max;
    const float q0 = std::rint(edge / scale);
    float bias = 0.0f;
    if (q0 != 0.0f) {
      scale = edge / q0;
      bias = edge;
    }
    for (int j = 0; j < gs; ++j) {
      const float shifted = static_cast<float>(src[j]) - bias;
      float v = std::rint(shifted / scale);
      v = std::min(std::max(v, 0.0f), n_bins);
      q[j] = std::isnan(v) ? 0 : static_cast<uint8_t>(v);
    }
    pack_codes(bits, q.data(), gs, wq + g * words);
    scales[g] = T(scale);
    biases[g] = T(bias);
  }
}

// w ~ q * scale + bias: the product rounded to the scales' type S, the sum to C (the
// promotion of S and the biases' type B), as MLX's multiply and add ops do.
template <typename S, typename B, typename C>
void affine_dequantize_rows(const uint8_t* w, const S* scales, const B* biases, C* out,
                            int64_t rows, int64_t k, int gs, int bits) {
  const int64_t row_bytes = k * bits / 8;
  const int64_t groups = k / gs;
  cpu::parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(k, 1)),
                    [&](int64_t r0, int64_t r1) {
                      std::vector<uint8_t> q(k);
                      for (int64_t r = r0; r < r1; ++r) {
                        cpu::quant::unpack_codes(bits, w + r * row_bytes, k, q.data());
                        for (int64_t g = 0; g < groups; ++g) {
                          const float s = static_cast<float>(scales[r * groups + g]);
                          const float b = static_cast<float>(biases[r * groups + g]);
                          C* o = out + r * k + g * gs;
                          const uint8_t* qg = q.data() + g * gs;
                          for (int j = 0; j < gs; ++j) {
                            const float p = rnd<S>(static_cast<float>(qg[j]) * s);
                            const float sum = p + b;
                            o[j] = C(sum);
                          }
                        }
                      }
                    });
}

void affine_dequantize(const array& w, const array& scales, const array& biases, array& out, int gs,
                       int bits) {
  const int64_t k = out.shape(-1);
  const int64_t rows = k == 0 ? 0 : static_cast<int64_t>(out.size()) / k;
  cpu::quant::with_float_type(scales.dtype(), [&](auto s_tag) {
    cpu::quant::with_float_type(biases.dtype(), [&](auto b_tag) {
      cpu::quant::with_float_type(out.dtype(), [&](auto c_tag) {
        using S = decltype(s_tag);
        using B = decltype(b_tag);
        using C = decltype(c_tag);
        affine_dequantize_rows<S, B, C>(w.data<uint8_t>(), scales.data<S>(), biases.data<B>(),
                                        out.data<C>(), rows, k, gs, bits);
      });
    });
  });
}

// ---------------------------------------------------------------- fp modes

// The index of the smallest |diff|, first one on ties, as MLX's argmin (NaN never wins).
template <typename Diff>
inline uint8_t nearest_fp4(Diff diff) {
  uint8_t best = 0;
  float best_v = diff(0);
  for (int j = 1; j < 16; ++j) {
    const float v = diff(j);
    if (v < best_v) {
      best_v = v;
      best = static_cast<uint8_t>(j);
    }
  }
  return best;
}

// The max of |w| over a group with NaN propagating (MLX's max reduction, in order).
template <typename T>
float abs_max(const T* src, int gs) {
  float m = -std::numeric_limits<float>::infinity();
  for (int j = 0; j < gs; ++j) {
    const float a = std::abs(static_cast<float>(src[j]));
    m = std::isnan(a) ? a : (a > m ? a : m);
  }
  return m;
}

// nvfp4: e4m3 scales (times 448 * 6 / global scale when given); codes chosen in float32.
template <typename T>
void nvfp4_group(const T* src, uint8_t* codes, uint8_t* scale, const float* global) {
  const float s = rnd<T>(abs_max(src, 16) / 6.0f);
  const float encode = global ? (448.0f * 6.0f) / *global : 1.0f;
  const float product = s * encode;
  *scale = float_to_e4m3(product);
  const float dec = rnd<T>(e4m3_to_float(*scale));
  for (int j = 0; j < 16; ++j) {
    const float v = rnd<T>(static_cast<float>(src[j]) / dec) * encode;
    codes[j] = nearest_fp4([&](int i) { return std::abs(v - kFp4Values[i]); });
  }
}

// mxfp4 / mxfp8: e8m0 scales = round(log2(max|w| / maxval)), codes chosen in T.
template <typename T>
void mx_group(const T* src, int bits, uint8_t* codes, uint8_t* scale) {
  const float s = rnd<T>(abs_max(src, 32) / (bits == 4 ? 6.0f : 448.0f));
  float e = 0.0f;
  if (s != 0.0f) {
    const float l = rnd<T>(std::log2(s));
    e = rnd<T>(static_cast<float>(to_i32(rnd<T>(std::rint(l)))));
  }
  const float p = rnd<T>(std::pow(2.0f, e));
  *scale = to_u8(rnd<T>(e + 127.0f));
  for (int j = 0; j < 32; ++j) {
    const float v = rnd<T>(static_cast<float>(src[j]) / p);
    if (bits == 8) {
      codes[j] = float_to_e4m3(v);
    } else {
      codes[j] = nearest_fp4([&](int i) { return std::abs(rnd<T>(v - kFp4Values[i])); });
    }
  }
}

template <typename T>
void fp_quantize_groups(const T* w, uint32_t* wq, uint8_t* scales, int64_t g0, int64_t g1, int gs,
                        int bits, QuantizationMode mode, const float* global) {
  uint8_t codes[32];
  const int64_t words = int64_t(gs) * bits / 32;
  for (int64_t g = g0; g < g1; ++g) {
    const T* src = w + g * gs;
    if (mode == QuantizationMode::Nvfp4) {
      nvfp4_group(src, codes, scales + g, global);
    } else {
      mx_group(src, bits, codes, scales + g);
    }
    uint32_t* dst = wq + g * words;
    if (bits == 8) {
      std::memcpy(dst, codes, static_cast<size_t>(gs));
    } else {
      pack_codes(4, codes, gs, dst);
    }
  }
}

// out = value(code) * scale in O (the fp4 value or e4m3 decode), as MLX's dequantize graph.
template <typename O>
void fp_dequantize_rows(const uint8_t* w, const uint8_t* scales, O* out, int64_t rows, int64_t k,
                        int gs, int bits, QuantizationMode mode, const float* global) {
  const int64_t row_bytes = k * bits / 8;
  const int64_t groups = k / gs;
  cpu::parallel_for(
      rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(k, 1)), [&](int64_t r0, int64_t r1) {
        std::vector<uint8_t> q(k);
        for (int64_t r = r0; r < r1; ++r) {
          cpu::quant::unpack_codes(bits, w + r * row_bytes, k, q.data());
          for (int64_t g = 0; g < groups; ++g) {
            const uint8_t sc = scales[r * groups + g];
            float scale;
            if (mode == QuantizationMode::Nvfp4) {
              scale = rnd<O>(e4m3_to_float(sc));
              if (global) {
                scale = scale * (*global / rnd<O>(448.0f * 6.0f));
              }
            } else {
              scale = rnd<O>(std::pow(2.0f, rnd<O>(static_cast<float>(sc)) - 127.0f));
            }
            O* o = out + r * k + g * gs;
            const uint8_t* qg = q.data() + g * gs;
            for (int j = 0; j < gs; ++j) {
              const float v = bits == 4 ? kFp4Values[qg[j]] : rnd<O>(e4m3_to_float(qg[j]));
              o[j] = O(v * scale);
            }
          }
        }
      });
}

}  // namespace

void Quantize::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array w = cpu::row_major(inputs[0]);
  for (auto& o : outputs) {
    o.set_data(allocator::malloc(o.nbytes()));
  }
  const int64_t groups = static_cast<int64_t>(w.size()) / group_size_;
  const int64_t grain = std::max<int64_t>(1, 4096 / group_size_);
  if (mode_ == QuantizationMode::Affine) {
    cpu::quant::with_float_type(w.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::parallel_for(groups, grain, [&](int64_t g0, int64_t g1) {
        affine_quantize_groups(w.data<T>(), outputs[0].data<uint32_t>(), outputs[1].data<T>(),
                               outputs[2].data<T>(), g0, g1, group_size_, bits_);
      });
    });
    return;
  }
  float global = 0.0f;
  if (inputs.size() > 1) {
    global = cpu::row_major(inputs[1]).data<float>()[0];
  }
  const float* gp = inputs.size() > 1 ? &global : nullptr;
  cpu::quant::with_float_type(w.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::parallel_for(groups, grain, [&](int64_t g0, int64_t g1) {
      fp_quantize_groups(w.data<T>(), outputs[0].data<uint32_t>(), outputs[1].data<uint8_t>(), g0,
                         g1, group_size_, bits_, mode_, gp);
    });
  });
}

void Dequantize::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array w = cpu::row_major(inputs[0]);
  const array scales = cpu::row_major(inputs[1]);
  out.set_data(allocator::malloc(out.nbytes()));
  if (mode_ == QuantizationMode::Affine) {
    affine_dequantize(w, scales, cpu::row_major(inputs[2]), out, group_size_, bits_);
    return;
  }
  float global = 0.0f;
  if (inputs.size() > 2) {
    global = cpu::row_major(inputs[2]).data<float>()[0];
  }
  const float* gp = inputs.size() > 2 ? &global : nullptr;
  const int64_t k = out.shape(-1);
  const int64_t rows = k == 0 ? 0 : static_cast<int64_t>(out.size()) / k;
  cpu::quant::with_float_type(out.dtype(), [&](auto tag) {
    using O = decltype(tag);
    fp_dequantize_rows<O>(w.data<uint8_t>(), scales.data<uint8_t>(), out.data<O>(), rows, k,
                          group_size_, bits_, mode_, gp);
  });
}

namespace {

template <typename T>
void to_fp8_all(const T* in, uint8_t* out, int64_t n) {
  cpu::parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      out[i] = float_to_e4m3(static_cast<float>(in[i]));
    }
  });
}

template <typename T>
void from_fp8_all(const uint8_t* in, T* out, int64_t n) {
  cpu::parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      out[i] = static_cast<T>(e4m3_to_float(in[i]));
    }
  });
}

}  // namespace

void ConvertFP8::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array in = cpu::row_major(inputs[0]);
  out.set_data(allocator::malloc(out.nbytes()));
  const auto n = static_cast<int64_t>(in.size());
  const Dtype t = to_fp8_ ? in.dtype() : out.dtype();
  auto run = [&](auto tag) {
    using T = decltype(tag);
    if (to_fp8_) {
      to_fp8_all(in.data<T>(), out.data<uint8_t>(), n);
    } else {
      from_fp8_all(in.data<uint8_t>(), out.data<T>(), n);
    }
  };
  switch (t) {
    case Dtype::Val::float16:
      return run(float16_t{});
    case Dtype::Val::bfloat16:
      return run(bfloat16_t{});
    case Dtype::Val::float32:
      return run(float{});
    case Dtype::Val::float64:
      return run(double{});
    default:
      throw std::invalid_argument("[to_fp8] Expected a floating point array.");
  }
}

}  // namespace mlxcpp
