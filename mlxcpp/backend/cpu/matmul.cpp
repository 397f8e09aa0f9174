// Matrix products: Matmul, AddMM and GatherMM. Every product is a batch of
// 2-D GEMMs whose operands may be transposed or strided views: BLAS takes
// them in place when their layout allows, otherwise they are copied first.
// float16/bfloat16 compute in float32; integers exactly, with wrapping.
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "mlxcpp/backend/cpu/blas.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/half_gemv.h"
#include "mlxcpp/backend/cpu/quantized.h"
#include "mlxcpp/backend/cpu/strided.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

// Where each matrix of a batch starts, and the element strides of its rows and columns.
struct Batch {
  std::vector<int64_t> offsets;  // elements from the array's data pointer
  int64_t row_stride;
  int64_t col_stride;
};

// The batch of 2-D matrices in x (the last two axes), with the batch axes
// broadcast to `batch_shape` by their strides.
Batch batch_of(const array& x, const Shape& batch_shape) {
  Batch b;
  const int nd = static_cast<int>(x.ndim());
  b.row_stride = x.strides()[nd - 2];
  b.col_stride = x.strides()[nd - 1];
  Strides bstrides(x.strides().begin(), x.strides().end() - 2);
  int64_t count = 1;
  for (auto d : batch_shape) {
    count *= d;
  }
  b.offsets.resize(count);
  if (count == 0) {
    return b;
  }
  Shape shape = batch_shape;
  if (shape.empty()) {
    b.offsets[0] = 0;
    return b;
  }
  auto c = cpu::collapse_dims<1>(shape, {&bstrides});
  const int64_t inner = c.shape.back();
  cpu::RowCursor<1> cur(c, 0);
  int64_t i = 0;
  for (int64_t r = 0, rows = cpu::num_rows(c.shape); r < rows; ++r) {
    for (int64_t j = 0; j < inner; ++j) {
      b.offsets[i++] = cur.offsets()[0] + j * c.strides[0].back();
    }
    cur.next();
  }
  return b;
}

// How BLAS can read a rows x cols matrix with these strides: directly (maybe
// transposed) when one stride is 1 and the other spans a row; else not at all.
struct BlasLayout {
  bool ok;
  bool trans;
  int64_t ld;
};

BlasLayout blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  constexpr int64_t max_ld = std::numeric_limits<int>::max();
  if ((cs == 1 || cols <= 1) && (rs >= std::max<int64_t>(cols, 1) || rows <= 1)) {
    const int64_t ld = rows <= 1 ? std::max<int64_t>(cols, 1) : rs;
    return {ld <= max_ld, false, ld};
  }
  if ((rs == 1 || rows <= 1) && (cs >= std::max<int64_t>(rows, 1) || cols <= 1)) {
    const int64_t ld = cols <= 1 ? std::max<int64_t>(rows, 1) : cs;
    return {ld <= max_ld, true, ld};
  }
  return {false, false, 0};
}

// C_i = alpha * A_i B_i + beta * C_i for float, double or complex64, with C row-major.
template <typename T>
void gemm_batch(const array& a, const Batch& ab, const array& b, const Batch& bb, T* c, int64_t m,
                int64_t n, int64_t k, T alpha, T beta) {
  const size_t count = ab.offsets.size();
  const auto la = blas_layout(m, k, ab.row_stride, ab.col_stride);
  const auto lb = blas_layout(k, n, bb.row_stride, bb.col_stride);
  auto one = [&](size_t i, std::vector<T>& ta, std::vector<T>& tb) {
    const T* pa = a.data<T>() + ab.offsets[i];
    const T* pb = b.data<T>() + bb.offsets[i];
    BlasLayout ua = la;
    BlasLayout ub = lb;
    if (!la.ok) {
      ta.resize(m * k);
      cpu::copy_raw(pa, a.dtype(), {ab.row_stride, ab.col_stride}, {ShapeElem(m), ShapeElem(k)},
                    ta.data(), a.dtype(), {k, 1});
      pa = ta.data();
      ua = {true, false, std::max<int64_t>(k, 1)};
    }
    if (!lb.ok) {
      tb.resize(k * n);
      cpu::copy_raw(pb, b.dtype(), {bb.row_stride, bb.col_stride}, {ShapeElem(k), ShapeElem(n)},
                    tb.data(), b.dtype(), {n, 1});
      pb = tb.data();
      ub = {true, false, std::max<int64_t>(n, 1)};
    }
    cpu::gemm(ua.trans, ub.trans, m, n, k, alpha, pa, ua.ld, pb, ub.ld, beta, c + i * m * n,
              std::max<int64_t>(n, 1));
  };
  // Many small products run one per task; a few large ones split inside gemm.
  if (count > 1 && 2.0 * double(m) * double(n) * double(k) < 4e6) {
    cpu::parallel_for(static_cast<int64_t>(count), 1, [&](int64_t s, int64_t e) {
      std::vector<T> ta, tb;
      for (int64_t i = s; i < e; ++i) {
        one(static_cast<size_t>(i), ta, tb);
      }
    });
  } else {
    std::vector<T> ta, tb;
    for (size_t i = 0; i < count; ++i) {
      one(i, ta, tb);
    }
  }
}

// bfloat16 x bfloat16 with a's rows and the weight's rows contiguous (x @ w.T) on a CPU
// with AVX-512 BF16: products of bfloat16 values are exact in float32, so vdpbf16ps
// computes what the float32 GEMM computes (sums in another order) at twice its rate,
// reading the operands in place. Both the GEMM (bf16_gemm) and the GEMV (bf16_gemv) need it.
bool bf16_in_place(const array& a, const Batch& ab, const array& b, const Batch& bb) {
  return a.dtype() == bfloat16 && b.dtype() == bfloat16 && ab.col_stride == 1 &&
         bb.row_stride == 1 && cpu::bf16_gemv_available();
}

// The GEMM's further conditions: dense operands, a bfloat16 result, no alpha or beta.
bool bf16_gemm_applies(const array& a, const Batch& ab, const array& b, const Batch& bb,
                       const array& out, int64_t m, int64_t k, float alpha, float beta) {
  return bf16_in_place(a, ab, b, bb) && out.dtype() == bfloat16 && alpha == 1.0f && beta == 0.0f &&
         k % 2 == 0 && k > 0 && (ab.row_stride == k || m == 1) && bb.col_stride == k;
}

void bf16_gemm(const array& a, const Batch& ab, const array& b, const Batch& bb, array& out,
               size_t i, int64_t m, int64_t n, int64_t k) {
  std::vector<float> y(m * n);
  cpu::quant::QGemmBf16 q;
  q.x = a.data<uint16_t>() + ab.offsets[i];
  q.M = m;
  q.N = n;
  q.K = k;
  q.w = reinterpret_cast<const uint8_t*>(b.data<uint16_t>() + bb.offsets[i]);
  q.row_bytes = k * 2;
  q.bits = 16;
  q.group_size = static_cast<int>(k);
  q.load_groups = [](int64_t, int64_t rows, float* s, float* bias) {
    std::fill_n(s, rows, 1.0f);
    std::fill_n(bias, rows, 0.0f);
  };
  q.out = y.data();
  cpu::quant::qgemm_avx512bf16(q);
  cpu::copy_raw(y.data(), float32, {n, 1}, {ShapeElem(m), ShapeElem(n)},
                out.data<char>() + i * m * n * out.itemsize(), out.dtype(), {n, 1});
}

// Half types compute in float32. A product with few rows (decoding) reads B in
// place (half_gemv); a larger one converts both operands to float32 for BLAS,
// B keeping its orientation so the conversion reads memory in order.
void gemm_batch_half(const array& a, const Batch& ab, const array& b, const Batch& bb, array& out,
                     int64_t m, int64_t n, int64_t k, float alpha, float beta) {
  const size_t count = ab.offsets.size();
  const bool gemv =
      m <= cpu::kHalfGemvMaxRows && cpu::half_gemv_layout_ok(bb.row_stride, bb.col_stride);
  const auto lb = blas_layout(k, n, bb.row_stride, bb.col_stride);
  const bool b_trans = lb.ok && lb.trans;  // B's columns are contiguous: copy it as B^T
  if (!gemv && bf16_gemm_applies(a, ab, b, bb, out, m, k, alpha, beta)) {
    for (size_t i = 0; i < count; ++i) {
      bf16_gemm(a, ab, b, bb, out, i, m, n, k);
    }
    return;
  }
  // No float32 conversion of x or the weight for bf16_gemv.
  const bool use_bf16_gemv = gemv && bf16_in_place(a, ab, b, bb);
  auto work = [&](int64_t s, int64_t e) {
    std::vector<float> fa(use_bf16_gemv ? 0 : m * k), fb(gemv ? 0 : k * n), fc(m * n),
        fy(gemv ? m * n : 0);
    int64_t converted_b = -1;
    for (int64_t i = s; i < e; ++i) {
      const char* pa = a.data<char>() + ab.offsets[i] * a.itemsize();
      const char* pb = b.data<char>() + bb.offsets[i] * b.itemsize();
      if (!use_bf16_gemv) {
        cpu::copy_raw(pa, a.dtype(), {ab.row_stride, ab.col_stride}, {ShapeElem(m), ShapeElem(k)},
                      fa.data(), float32, {k, 1});
      }
      char* pc = out.data<char>() + i * m * n * out.itemsize();
      if (beta != 0.0f) {
        cpu::copy_raw(pc, out.dtype(), {n, 1}, {ShapeElem(m), ShapeElem(n)}, fc.data(), float32,
                      {n, 1});
      }
      if (gemv) {
        if (use_bf16_gemv) {
          cpu::bf16_gemv(reinterpret_cast<const uint16_t*>(pb), bb.col_stride,
                         reinterpret_cast<const uint16_t*>(pa), ab.row_stride, m, n, k, fy.data());
        } else {
          cpu::half_gemv(b.dtype(), pb, bb.row_stride, bb.col_stride, fa.data(), m, n, k,
                         fy.data());
        }
        for (int64_t t = 0; t < m * n; ++t) {
          fc[t] = alpha * fy[t] + (beta != 0.0f ? beta * fc[t] : 0.0f);
        }
      } else {
        if (converted_b != bb.offsets[i]) {  // a weight shared across the batch converts once
          if (b_trans) {
            cpu::copy_raw(pb, b.dtype(), {bb.col_stride, bb.row_stride},
                          {ShapeElem(n), ShapeElem(k)}, fb.data(), float32, {k, 1});
          } else {
            cpu::copy_raw(pb, b.dtype(), {bb.row_stride, bb.col_stride},
                          {ShapeElem(k), ShapeElem(n)}, fb.data(), float32, {n, 1});
          }
          converted_b = bb.offsets[i];
        }
        const int64_t ldb = b_trans ? std::max<int64_t>(k, 1) : std::max<int64_t>(n, 1);
        cpu::gemm(false, b_trans, m, n, k, alpha, fa.data(), std::max<int64_t>(k, 1), fb.data(),
                  ldb, beta, fc.data(), std::max<int64_t>(n, 1));
      }
      cpu::copy_raw(fc.data(), float32, {n, 1}, {ShapeElem(m), ShapeElem(n)}, pc, out.dtype(),
                    {n, 1});
    }
  };
  if (count > 1 && 2.0 * double(m) * double(n) * double(k) < 4e6) {
    cpu::parallel_for(static_cast<int64_t>(count), 1, work);
  } else {
    work(0, static_cast<int64_t>(count));
  }
}

// Integers: exact products accumulated in 64 bits, stored with wrapping.
template <typename T>
void gemm_batch_int(const array& a, const Batch& ab, const array& b, const Batch& bb, T* c,
                    int64_t m, int64_t n, int64_t k, bool accumulate) {
  const size_t count = ab.offsets.size();
  using Acc = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
  cpu::parallel_for(
      static_cast<int64_t>(count) * m, std::max<int64_t>(1, 4096 / std::max<int64_t>(n * k, 1)),
      [&](int64_t s, int64_t e) {
        std::vector<Acc> row(n);
        for (int64_t t = s; t < e; ++t) {
          const int64_t i = t / m;
          const int64_t r = t % m;
          const T* pa = a.data<T>() + ab.offsets[i] + r * ab.row_stride;
          const T* pb = b.data<T>() + bb.offsets[i];
          std::fill(row.begin(), row.end(), Acc(0));
          for (int64_t p = 0; p < k; ++p) {
            const Acc av = static_cast<Acc>(pa[p * ab.col_stride]);
            const T* brow = pb + p * bb.row_stride;
            for (int64_t j = 0; j < n; ++j) {
              row[j] = static_cast<Acc>(
                  static_cast<uint64_t>(row[j]) +
                  static_cast<uint64_t>(av) *
                      static_cast<uint64_t>(static_cast<Acc>(brow[j * bb.col_stride])));
            }
          }
          T* pc = c + (i * m + r) * n;
          for (int64_t j = 0; j < n; ++j) {
            const uint64_t v = static_cast<uint64_t>(row[j]) +
                               (accumulate ? static_cast<uint64_t>(static_cast<Acc>(pc[j])) : 0);
            pc[j] = static_cast<T>(v);
          }
        }
      });
}

// out (row-major, batch x m x n) = alpha * A B + beta * out for the out dtype.
void run_batch(const array& a, const Batch& ab, const array& b, const Batch& bb, array& out,
               int64_t m, int64_t n, int64_t k, float alpha, float beta) {
  switch (out.dtype()) {
    case Dtype::Val::float32:
      return gemm_batch<float>(a, ab, b, bb, out.data<float>(), m, n, k, alpha, beta);
    case Dtype::Val::float64:
      return gemm_batch<double>(a, ab, b, bb, out.data<double>(), m, n, k, alpha, beta);
    case Dtype::Val::complex64:
      return gemm_batch<complex64_t>(a, ab, b, bb, out.data<complex64_t>(), m, n, k, alpha, beta);
    case Dtype::Val::float16:
    case Dtype::Val::bfloat16:
      return gemm_batch_half(a, ab, b, bb, out, m, n, k, alpha, beta);
    default:
      break;
  }
  if (alpha != 1.0f || (beta != 0.0f && beta != 1.0f)) {
    throw Unsupported("[matmul] Integer products support alpha = 1 and beta in {0, 1}.");
  }
  cpu::dispatch_integer_types(out.dtype(), "matmul", [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    if constexpr (std::is_same_v<T, bool>) {
      throw Unsupported("[matmul] Not supported for bool.");
    } else {
      gemm_batch_int<T>(a, ab, b, bb, out.data<T>(), m, n, k, beta != 0.0f);
    }
  });
}

Shape batch_shape_of(const array& out) {
  return Shape(out.shape().begin(), out.shape().end() - 2);
}

// The stride between consecutive rows of a when its batch axes and rows form one forward
// run of rows (axes of size 1 aside), or -1 when they do not (a negative stride included).
int64_t stacked_row_stride(const array& a) {
  bool found = false;
  int64_t stride = 0;
  int64_t rows = 0;
  for (int d = static_cast<int>(a.ndim()) - 2; d >= 0; --d) {
    if (a.shape(d) == 1) {
      continue;
    }
    if (a.strides()[d] < 0) {
      return -1;
    }
    if (!found) {
      found = true;
      stride = a.strides()[d];
      rows = a.shape(d);
    } else if (a.strides()[d] == stride * rows) {
      rows *= a.shape(d);
    } else {
      return -1;
    }
  }
  return found ? stride : a.shape(-1);  // a single row: any stride reads it
}

// gather_mm's products that read the same matrix of b, run as one product over their
// stacked rows of a, so that each matrix of b is read (and converted) once: a prompt's
// tokens routed to the same expert. Groups of one row count run as one batch (the batch is
// what spreads small products over the pool). by_b: b's offset -> the products reading it.
void run_grouped(const array& a, const Batch& ab, const array& b, const Batch& bb,
                 const std::map<int64_t, std::vector<int64_t>>& by_b, array& out, int64_t m,
                 int64_t n, int64_t k) {
  std::map<size_t, std::vector<int64_t>> by_count;  // products per group -> b offsets
  for (const auto& [offset, items] : by_b) {
    by_count[items.size()].push_back(offset);
  }
  const int64_t in_bytes = m * k * int64_t(a.itemsize());
  const int64_t out_bytes = m * n * int64_t(out.itemsize());
  for (const auto& [count, offsets] : by_count) {
    const int64_t rows = int64_t(count) * m, products = int64_t(count * offsets.size());
    array xs(allocator::malloc(size_t(products * in_bytes)),
             {ShapeElem(products * m), ShapeElem(k)}, a.dtype());
    array ys(allocator::malloc(size_t(products * out_bytes)),
             {ShapeElem(products * m), ShapeElem(n)}, out.dtype());
    Batch xb{{}, k, 1}, wb{{}, bb.row_stride, bb.col_stride};
    int64_t at = 0;  // products stacked so far
    for (const int64_t offset : offsets) {
      xb.offsets.push_back(at * m * k);
      wb.offsets.push_back(offset);
      for (const int64_t i : by_b.at(offset)) {
        cpu::copy_raw(a.data<char>() + ab.offsets[i] * int64_t(a.itemsize()), a.dtype(),
                      {ab.row_stride, ab.col_stride}, {ShapeElem(m), ShapeElem(k)},
                      xs.data<char>() + at++ * in_bytes, a.dtype(), {k, 1});
      }
    }
    run_batch(xs, xb, b, wb, ys, rows, n, k, 1.0f, 0.0f);
    at = 0;
    for (const int64_t offset : offsets) {
      for (const int64_t i : by_b.at(offset)) {
        std::memcpy(out.data<char>() + i * out_bytes, ys.data<char>() + at++ * out_bytes,
                    size_t(out_bytes));
      }
    }
  }
}

}  // namespace

void Matmul::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& a = inputs[0];
  const auto& b = inputs[1];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const int64_t m = a.shape(-2), k = a.shape(-1), n = b.shape(-1);
  if (a.ndim() > 2 && b.ndim() == 2) {
    // One product over a's rows stacked across its batch axes (matmul leaves a unflattened
    // for this, rather than adding a flatten and a reshape node to every product).
    int64_t rs = stacked_row_stride(a);
    const array rows = rs < 0 ? cpu::row_major(a) : a;
    rs = rs < 0 ? k : rs;
    run_batch(rows, Batch{{0}, rs, rows.strides().back()}, b,
              Batch{{0}, b.strides()[0], b.strides()[1]}, out, int64_t(out.size()) / n, n, k, 1.0f,
              0.0f);
    return;
  }
  const Shape batch = batch_shape_of(out);
  run_batch(a, batch_of(a, batch), b, batch_of(b, batch), out, m, n, k, 1.0f, 0.0f);
}

void AddMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& a = inputs[0];
  const auto& b = inputs[1];
  const auto& c = inputs[2];
  // out starts as c (broadcast to the output), then accumulates alpha * a b.
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  cpu::copy_strided(c, out.data<void>(), out.dtype(), out.strides());
  const int64_t m = a.shape(-2), k = a.shape(-1), n = b.shape(-1);
  const Shape batch = batch_shape_of(out);
  run_batch(a, batch_of(a, batch), b, batch_of(b, batch), out, m, n, k, alpha_, beta_);
}

void GatherMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& a = inputs[0];
  const auto& b = inputs[1];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const int64_t m = a.shape(-2), k = a.shape(-1), n = b.shape(-1);
  // Matrix i of the output multiplies matrix lhs[i] of a by matrix rhs[i] of b,
  // each index counting the (row-major) batch of its operand.
  auto pick = [&](const array& x, const array& idx_in, const char* which) {
    const Shape xbatch(x.shape().begin(), x.shape().end() - 2);
    Batch all = batch_of(x, xbatch);
    const array idx = cpu::row_major(idx_in);
    Batch picked{{}, all.row_stride, all.col_stride};
    picked.offsets.resize(idx.size());
    const int64_t count = static_cast<int64_t>(all.offsets.size());
    cpu::dispatch_integer_types(idx.dtype(), "gather_mm", [&](auto tag) {
      using I = MLXCPP_TAG_TYPE(tag);
      const I* p = idx.data<I>();
      for (size_t i = 0; i < idx.size(); ++i) {
        // Compare in the index's own signedness so huge unsigned values do not wrap negative.
        const bool bad =
            std::is_unsigned_v<I>
                ? static_cast<uint64_t>(p[i]) >= static_cast<uint64_t>(count)
                : (static_cast<int64_t>(p[i]) < 0 || static_cast<int64_t>(p[i]) >= count);
        const int64_t v = static_cast<int64_t>(p[i]);
        if (bad) {
          throw std::invalid_argument("[gather_mm] " + std::string(which) + " index " +
                                      std::to_string(v) + " is out of range; expected [0, " +
                                      std::to_string(count) + ").");
        }
        picked.offsets[i] = all.offsets[v];
      }
    });
    return picked;
  };
  const Batch ab = pick(a, inputs[2], "lhs");
  const Batch bb = pick(b, inputs[3], "rhs");
  // Products by the matrix of b they read (tokens routed to the same expert).
  std::map<int64_t, std::vector<int64_t>> by_b;
  for (size_t i = 0; i < bb.offsets.size(); ++i) {
    by_b[bb.offsets[i]].push_back(int64_t(i));
  }
  if (by_b.size() == bb.offsets.size()) {
    return run_batch(a, ab, b, bb, out, m, n, k, 1.0f, 0.0f);
  }
  run_grouped(a, ab, b, bb, by_b, out, m, n, k);
}

}  // namespace mlxcpp
