// Copy kernels and the primitives that are plain copies: AsType, Copy,
// Contiguous and Full.
#include "mlxcpp/backend/cpu/copy.h"

#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/strided.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp::cpu {

namespace {

// Same-size element types let a same-dtype copy move raw words.
template <size_t Size>
struct Word;
template <>
struct Word<1> {
  using type = uint8_t;
};
template <>
struct Word<2> {
  using type = uint16_t;
};
template <>
struct Word<4> {
  using type = uint32_t;
};
template <>
struct Word<8> {
  using type = uint64_t;
};

template <typename From, typename To>
void convert_row(const From* src, int64_t ss, To* dst, int64_t ds, int64_t n) {
  if (ss == 1 && ds == 1) {
    if constexpr (std::is_same_v<From, To>) {
      std::memcpy(dst, src, n * sizeof(To));
    } else {
      for (int64_t i = 0; i < n; ++i) {
        dst[i] = value_cast<To>(src[i]);
      }
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      dst[i * ds] = value_cast<To>(src[i * ss]);
    }
  }
}

#if defined(__AVX2__)
// An 8x8 block of 32-bit words: dst[r][c] = src[c][r].
inline void transpose_8x8_u32(const uint32_t* src, int64_t src_stride, uint32_t* dst,
                              int64_t dst_stride) {
  __m256 r[8];
  for (int k = 0; k < 8; ++k) {
    r[k] = _mm256_castsi256_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + k * src_stride)));
  }
  __m256 t[8];
  for (int k = 0; k < 8; k += 2) {
    t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
    t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
  }
  __m256 u[8];
  for (int k = 0; k < 8; k += 4) {
    u[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
    u[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xEE);
    u[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
    u[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
  }
  for (int k = 0; k < 4; ++k) {
    const __m256 lo = _mm256_permute2f128_ps(u[k], u[k + 4], 0x20);
    const __m256 hi = _mm256_permute2f128_ps(u[k], u[k + 4], 0x31);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + k * dst_stride), _mm256_castps_si256(lo));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (k + 4) * dst_stride),
                        _mm256_castps_si256(hi));
  }
}
#endif

// Copy a 2-D block where the source is contiguous along the outer axis and
// the destination along the inner one (a transpose): work in tiles so both
// sides stay in cache.
template <typename From, typename To>
void transpose_block(const From* src, int64_t s_outer, int64_t s_inner, To* dst, int64_t d_outer,
                     int64_t n_outer, int64_t n_inner) {
  constexpr int64_t tile = 32;
  for (int64_t o0 = 0; o0 < n_outer; o0 += tile) {
    const int64_t o1 = std::min(n_outer, o0 + tile);
    for (int64_t i0 = 0; i0 < n_inner; i0 += tile) {
      const int64_t i1 = std::min(n_inner, i0 + tile);
#if defined(__AVX2__)
      // 32-bit words with a unit-stride source: whole 8x8 blocks in registers.
      if constexpr (std::is_same_v<From, uint32_t> && std::is_same_v<To, uint32_t>) {
        if (s_outer == 1 && o1 - o0 == tile && i1 - i0 == tile) {
          for (int64_t o = o0; o < o1; o += 8) {
            for (int64_t i = i0; i < i1; i += 8) {
              transpose_8x8_u32(src + o + i * s_inner, s_inner, dst + o * d_outer + i, d_outer);
            }
          }
          continue;
        }
      }
#endif
      for (int64_t o = o0; o < o1; ++o) {
        const From* s = src + o * s_outer;
        To* d = dst + o * d_outer;
        for (int64_t i = i0; i < i1; ++i) {
          d[i] = value_cast<To>(s[i * s_inner]);
        }
      }
    }
  }
}

template <typename From, typename To>
void copy_typed(const From* src, const Strides& src_strides, To* dst, const Strides& dst_strides,
                const Shape& shape) {
  auto c = collapse_dims<2>(shape, {&src_strides, &dst_strides});
  const int nd = static_cast<int>(c.shape.size());
  const int64_t inner = c.shape.back();
  const int64_t ss = c.strides[0].back();
  const int64_t ds = c.strides[1].back();
  int64_t size = 1;
  for (auto d : c.shape) {
    size *= d;
  }

  // Transpose-like: the source is unit-stride along the second-last axis and
  // the destination along the last one.
  if (nd >= 2 && ss != 1 && ds == 1 && c.strides[0][nd - 2] == 1 && inner >= 16 &&
      c.shape[nd - 2] >= 16) {
    const int64_t outer = c.shape[nd - 2];
    int64_t planes = 1;
    for (int d = 0; d < nd - 2; ++d) {
      planes *= c.shape[d];
    }
    // Iterate planes with a cursor over the leading dims by treating
    // (outer, inner) as one row: build a cursor on a shape without them.
    Collapsed<2> lead;
    lead.shape.assign(c.shape.begin(), c.shape.end() - 2);
    lead.shape.push_back(1);
    for (int k = 0; k < 2; ++k) {
      lead.strides[k].assign(c.strides[k].begin(), c.strides[k].end() - 2);
      lead.strides[k].push_back(0);
    }
    parallel_for(planes * outer, std::max<int64_t>(1, elementwise_grain / inner),
                 [&](int64_t begin, int64_t end) {
                   // Split by planes and outer rows; each task handles whole tiles of rows.
                   int64_t p = begin / outer;
                   int64_t o = begin % outer;
                   RowCursor<2> cur(lead, p);
                   while (begin < end) {
                     const int64_t rows = std::min(end - begin, outer - o);
                     transpose_block(src + cur.offsets()[0] + o, int64_t(1), ss,
                                     dst + cur.offsets()[1] + o * c.strides[1][nd - 2],
                                     c.strides[1][nd - 2], rows, inner);
                     begin += rows;
                     o = 0;
                     cur.next();
                   }
                 });
    return;
  }

  const int64_t rows = num_rows(c.shape);
  const int64_t grain = std::max<int64_t>(1, elementwise_grain / std::max<int64_t>(inner, 1));
  auto run = [&](int64_t begin, int64_t end) {
    RowCursor<2> cur(c, begin);
    for (int64_t r = begin; r < end; ++r) {
      convert_row(src + cur.offsets()[0], ss, dst + cur.offsets()[1], ds, inner);
      cur.next();
    }
  };
  if (size < elementwise_grain) {
    run(0, rows);
  } else if (rows == 1) {
    // One long row: split it.
    parallel_for(inner, elementwise_grain, [&](int64_t begin, int64_t end) {
      convert_row(src + begin * ss, ss, dst + begin * ds, ds, end - begin);
    });
  } else {
    parallel_for(rows, grain, run);
  }
  (void)nd;
}

}  // namespace

void copy_raw(const void* src, Dtype src_dtype, const Strides& src_strides, const Shape& shape,
              void* dst, Dtype dst_dtype, const Strides& dst_strides) {
  for (auto d : shape) {
    if (d == 0) {
      return;
    }
  }
  if (src_dtype == dst_dtype) {
    // Same type: move raw words of the element size (fewer instantiations).
    auto by_size = [&](auto word_tag) {
      using W = MLXCPP_TAG_TYPE(word_tag);
      copy_typed(static_cast<const W*>(src), src_strides, static_cast<W*>(dst), dst_strides, shape);
    };
    switch (size_of(src_dtype)) {
      case 1:
        return by_size(TypeTag<uint8_t>{});
      case 2:
        return by_size(TypeTag<uint16_t>{});
      case 4:
        return by_size(TypeTag<uint32_t>{});
      default:
        return by_size(TypeTag<uint64_t>{});
    }
  }
  dispatch_all_types(src_dtype, [&](auto in_tag) {
    using From = MLXCPP_TAG_TYPE(in_tag);
    dispatch_all_types(dst_dtype, [&](auto out_tag) {
      using To = MLXCPP_TAG_TYPE(out_tag);
      copy_typed(static_cast<const From*>(src), src_strides, static_cast<To*>(dst), dst_strides,
                 shape);
    });
  });
}

void copy_flat(const void* src, Dtype src_dtype, void* dst, Dtype dst_dtype, size_t n) {
  // Shapes are 32-bit, so very long runs go in pieces.
  constexpr size_t piece = size_t(1) << 30;
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  for (size_t done = 0; done < n; done += piece) {
    const size_t len = std::min(piece, n - done);
    copy_raw(s + done * size_of(src_dtype), src_dtype, {1}, {static_cast<ShapeElem>(len)},
             d + done * size_of(dst_dtype), dst_dtype, {1});
  }
}

void copy_strided(const array& src, void* dst, Dtype dst_dtype, const Strides& dst_strides) {
  if (src.size() == 0) {
    return;
  }
  copy_raw(src.data<void>(), src.dtype(), src.strides(), src.shape(), dst, dst_dtype, dst_strides);
}

void copy_to_row_major(const array& src, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  // out may have another shape of the same size (reshape): the row-major
  // order of src's shape is the order of out's elements.
  copy_strided(src, out.data<void>(), out.dtype(), row_major_strides(src.shape()));
}

array row_major(const array& src) {
  if (src.flags().row_contiguous) {
    return src;
  }
  array out(allocator::malloc(src.nbytes()), src.shape(), src.dtype());
  copy_strided(src, out.data<void>(), out.dtype(), out.strides());
  return out;
}

void allocate_like(const array& in, array& out) {
  if (in.flags().contiguous) {
    if (in.is_donatable() && in.itemsize() == out.itemsize()) {
      out.copy_shared_buffer(in);
    } else {
      out.set_data(allocator::malloc(in.data_size() * out.itemsize()), in.data_size(), in.strides(),
                   in.flags());
    }
  } else {
    out.set_data(allocator::malloc(out.nbytes()));
  }
}

void fill_bytes(void* dst, const void* value, size_t itemsize, size_t n) {
  auto fill = [&](auto tag) {
    using W = MLXCPP_TAG_TYPE(tag);
    W v;
    std::memcpy(&v, value, sizeof(W));
    W* d = static_cast<W*>(dst);
    parallel_for(static_cast<int64_t>(n), elementwise_grain,
                 [&](int64_t b, int64_t e) { std::fill(d + b, d + e, v); });
  };
  switch (itemsize) {
    case 1:
      return fill(TypeTag<uint8_t>{});
    case 2:
      return fill(TypeTag<uint16_t>{});
    case 4:
      return fill(TypeTag<uint32_t>{});
    default:
      return fill(TypeTag<uint64_t>{});
  }
}

}  // namespace mlxcpp::cpu

namespace mlxcpp {

void AsType::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  if (in.flags().contiguous) {
    // Keep the input's dense layout: convert its data_size elements as a flat run.
    cpu::allocate_like(in, out);
    cpu::copy_flat(in.data<void>(), in.dtype(), out.data<void>(), out.dtype(), in.data_size());
  } else {
    cpu::copy_to_row_major(in, out);
  }
}

void Copy::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_to_row_major(inputs[0], out);
}

void Contiguous::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  if (in.flags().row_contiguous || (allow_col_major_ && in.flags().col_contiguous)) {
    out.copy_shared_buffer(in);
  } else {
    cpu::copy_to_row_major(in, out);
  }
}

void Full::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  if (in.data_size() == 1 && out.size() > 0) {
    // A broadcast scalar: fill.
    out.set_data(allocator::malloc(out.nbytes()));
    cpu::fill_bytes(out.data<void>(), in.data<void>(), out.itemsize(), out.size());
  } else {
    cpu::copy_to_row_major(in, out);
  }
}

}  // namespace mlxcpp
