// ScaledDotProductAttention: tiled attention with an online softmax
// (FlashAttention's recurrence) in float32, so memory stays at one
// [rows, key block] tile per task however long the sequence.
//
// A task is a batch entry, a key/value head and a block of rows, where the
// rows are (query position, query head) pairs of the heads that share that
// key/value head: grouped-query attention reads each K/V block once for all
// of them and never repeats K/V. Per key block: S = Q K^T (GEMM), mask,
// running max and sum, O = O * correction + P V (GEMM). A task of a few rows (decoding)
// with float16 or bfloat16 K/V makes both products GEMVs that read K and V in place
// (half_gemv), rather than converting each block to float32 for a GEMM. Masked scores take
// the lowest finite value of the type, as MLX's composition does, so a fully
// masked row averages V; blocks a causal mask hides entirely are skipped
// when that cannot change the result.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "mlxcpp/backend/cpu/blas.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/half_convert.h"
#include "mlxcpp/backend/cpu/half_gemv.h"
#include "mlxcpp/backend/cpu/math.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/fast_primitives.h"
#include "mlxcpp/core/utils.h"

namespace mlxcpp::fast {

namespace {

constexpr int64_t kRowBlock = 64;
constexpr int64_t kKeyBlock = 256;

// A [B, H, L, D] operand whose last axis is contiguous.
struct Operand {
  array a;
  int64_t sb, sh, sl;
};

Operand operand_of(const array& in) {
  array a = in.strides().back() == 1 || in.shape(-1) <= 1 ? in : cpu::row_major(in);
  return {a, a.strides()[0], a.strides()[1], a.strides()[2]};
}

struct Problem {
  int64_t batch, q_heads, kv_heads, q_len, k_len, head_dim, v_dim, repeats;
  float scale;
  bool causal;
  float masked_value;  // the lowest finite value of the type
};

// Query row r of a task's row range: query position r / repeats, head g * repeats + r % repeats.
struct RowIndex {
  int64_t position;
  int64_t head;
};

template <typename T>
class AttentionTask {
 public:
  AttentionTask(const Problem& p, const Operand& q, const Operand& k, const Operand& v,
                const array* mask, const array* sinks)
      : p_(p), q_(q), k_(k), v_(v), mask_(mask), sinks_(sinks) {}

  // Computes rows [r0, r1) of batch entry b and key/value head g into out.
  void run(int64_t b, int64_t g, int64_t r0, int64_t r1, T* out);

 private:
  RowIndex row(int64_t g, int64_t r) const {
    return {r / p_.repeats, g * p_.repeats + r % p_.repeats};
  }
  void load_queries(int64_t b, int64_t g, int64_t r0, int64_t rows);
  const float* key_block(int64_t b, int64_t g, int64_t j0, int64_t n, const Operand& o, int64_t dim,
                         std::vector<float>& buf, int64_t& ld) const;
  void apply_mask(int64_t b, int64_t g, int64_t r0, int64_t rows, int64_t j0, int64_t n);
  void accumulate(int64_t rows, int64_t n, const float* vb, int64_t ldv);
  void block_in_place(int64_t b, int64_t g, int64_t r0, int64_t rows, int64_t j0, int64_t n);
  void softmax_update(int64_t rows, int64_t n);

  const Problem& p_;
  const Operand& q_;
  const Operand& k_;
  const Operand& v_;
  const array* mask_;
  const array* sinks_;
  std::vector<float> qf_, s_, o_, m_, l_, kbuf_, vbuf_;
  std::vector<T> qh_;              // the rows of qf_ in T (exact: qf_ is rounded through T)
  std::vector<float> dense_, pv_;  // block_in_place's packed operands and P V
};

template <typename T>
void AttentionTask<T>::load_queries(int64_t b, int64_t g, int64_t r0, int64_t rows) {
  qf_.resize(rows * p_.head_dim);
  qh_.resize(rows * p_.head_dim);
  const T* base = q_.a.data<T>() + b * q_.sb;
  for (int64_t r = 0; r < rows; ++r) {
    const RowIndex ri = row(g, r0 + r);
    float* dst = qf_.data() + r * p_.head_dim;
    cpu::to_float(base + ri.head * q_.sh + ri.position * q_.sl, dst, p_.head_dim);
    for (int64_t d = 0; d < p_.head_dim; ++d) {
      dst[d] *= p_.scale;
    }
    // MLX scales q in its own type before the product.
    cpu::round_through<T>(dst, p_.head_dim, qh_.data() + r * p_.head_dim);
  }
}

// Rows [j0, j0 + n) of K or V for head g as float32: in place for float32, else converted.
template <typename T>
const float* AttentionTask<T>::key_block(int64_t b, int64_t g, int64_t j0, int64_t n,
                                         const Operand& o, int64_t dim, std::vector<float>& buf,
                                         int64_t& ld) const {
  const T* base = o.a.template data<T>() + b * o.sb + g * o.sh + j0 * o.sl;
  if constexpr (std::is_same_v<T, float>) {
    ld = o.sl;
    return base;
  } else {
    buf.resize(n * dim);
    for (int64_t j = 0; j < n; ++j) {
      cpu::to_float(base + j * o.sl, buf.data() + j * dim, dim);
    }
    ld = dim;
    return buf.data();
  }
}

template <typename T>
void AttentionTask<T>::apply_mask(int64_t b, int64_t g, int64_t r0, int64_t rows, int64_t j0,
                                  int64_t n) {
  const int64_t shift = p_.k_len - p_.q_len;
  for (int64_t r = 0; r < rows; ++r) {
    const RowIndex ri = row(g, r0 + r);
    float* s = s_.data() + r * kKeyBlock;
    if (p_.causal) {
      for (int64_t j = std::max<int64_t>(0, ri.position + shift + 1 - j0); j < n; ++j) {
        s[j] = p_.masked_value;
      }
    }
    if (mask_ == nullptr) {
      continue;
    }
    const auto& ms = mask_->strides();
    const int64_t off = b * ms[0] + ri.head * ms[1] + ri.position * ms[2] + j0 * ms[3];
    if (mask_->dtype() == bool_) {
      const bool* m = mask_->data<bool>() + off;
      for (int64_t j = 0; j < n; ++j) {
        s[j] = m[j * ms[3]] ? s[j] : p_.masked_value;
      }
    } else {
      // Scores and the additive mask meet in the type, as in MLX's composition.
      const T* m = mask_->data<T>() + off;
      for (int64_t j = 0; j < n; ++j) {
        s[j] = static_cast<float>(static_cast<T>(s[j] + static_cast<float>(m[j * ms[3]])));
      }
    }
  }
}

// Online softmax step for scores s_ [rows, n]: s_ becomes the block's weights, and the
// running max, sum and output rows are rescaled to the new max.
template <typename T>
void AttentionTask<T>::softmax_update(int64_t rows, int64_t n) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  // The max, exponentials and sum run over kLanes independent lanes, which the compiler
  // turns into vector code (a single running sum or max is a chain it must keep serial):
  // decoding over long caches spent a quarter of its time here.
  constexpr int64_t kLanes = 16;
  const int64_t whole = n / kLanes * kLanes;
  for (int64_t r = 0; r < rows; ++r) {
    float* s = s_.data() + r * kKeyBlock;
    float lane_max[kLanes];
    std::fill_n(lane_max, kLanes, neg_inf);
    for (int64_t j = 0; j < whole; j += kLanes) {
      for (int64_t q = 0; q < kLanes; ++q) {
        lane_max[q] = std::max(lane_max[q], s[j + q]);
      }
    }
    float block_max = *std::max_element(lane_max, lane_max + kLanes);
    for (int64_t j = whole; j < n; ++j) {
      block_max = std::max(block_max, s[j]);
    }
    const float m_new = std::max(m_[r], block_max);
    if (m_new == neg_inf) {
      std::fill(s, s + n, 0.0f);  // nothing but -inf so far: no weight yet
      continue;
    }
    const float correction = cpu::fast_exp(m_[r] - m_new);
    for (int64_t j = 0; j < n; ++j) {
      s[j] = cpu::fast_exp(s[j] - m_new);
    }
    float lane_sum[kLanes] = {};
    for (int64_t j = 0; j < whole; j += kLanes) {
      for (int64_t q = 0; q < kLanes; ++q) {
        lane_sum[q] += s[j + q];
      }
    }
    float sum = 0.0f;
    for (int64_t q = 0; q < kLanes; ++q) {
      sum += lane_sum[q];
    }
    for (int64_t j = whole; j < n; ++j) {
      sum += s[j];
    }
    l_[r] = l_[r] * correction + sum;
    m_[r] = m_new;
    float* o = o_.data() + r * p_.v_dim;
    for (int64_t d = 0; d < p_.v_dim; ++d) {
      o[d] *= correction;
    }
  }
}

// Online softmax update of rows with scores s_ [rows, n] and values vb [n, v_dim].
template <typename T>
void AttentionTask<T>::accumulate(int64_t rows, int64_t n, const float* vb, int64_t ldv) {
  softmax_update(rows, n);
  cpu::gemm(false, false, rows, p_.v_dim, n, 1.0f, s_.data(), kKeyBlock, vb, ldv, 1.0f, o_.data(),
            p_.v_dim);
}

// Keys [j0, j0 + n) for a few rows with half-precision K/V: S = Q K^T and O += P V as
// GEMVs over K and V in place.
template <typename T>
void AttentionTask<T>::block_in_place(int64_t b, int64_t g, int64_t r0, int64_t rows, int64_t j0,
                                      int64_t n) {
  const Dtype dt = std::is_same_v<T, float16_t> ? float16 : bfloat16;
  const T* kb = k_.a.template data<T>() + b * k_.sb + g * k_.sh + j0 * k_.sl;
  const T* vb = v_.a.template data<T>() + b * v_.sb + g * v_.sh + j0 * v_.sl;
  dense_.resize(std::max(rows * n, rows * p_.v_dim));
  // K^T(d, j) = kb[j * sl + d]: columns contiguous. bfloat16 q and K: exact products on
  // vdpbf16ps, summed in float32 as the float path sums them (in another order, and with
  // subnormal values read as zero; see bf16_gemv).
  bool scored = false;
  if constexpr (std::is_same_v<T, bfloat16_t>) {
    if (cpu::bf16_gemv_available()) {
      cpu::bf16_gemv(reinterpret_cast<const uint16_t*>(kb), k_.sl,
                     reinterpret_cast<const uint16_t*>(qh_.data()), p_.head_dim, rows, n,
                     p_.head_dim, dense_.data());
      scored = true;
    }
  }
  if (!scored) {
    cpu::half_gemv(dt, kb, 1, k_.sl, qf_.data(), rows, n, p_.head_dim, dense_.data());
  }
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(dense_.data() + r * n, n, s_.data() + r * kKeyBlock);
  }
  if (p_.causal || mask_ != nullptr) {
    apply_mask(b, g, r0, rows, j0, n);
  }
  softmax_update(rows, n);
  // P packed [rows, n] as half_gemv's x; V(j, d) = vb[j * sl + d]: rows contiguous.
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(s_.data() + r * kKeyBlock, n, dense_.data() + r * n);
  }
  pv_.resize(rows * p_.v_dim);
  cpu::half_gemv(dt, vb, v_.sl, 1, dense_.data(), rows, p_.v_dim, n, pv_.data());
  for (int64_t i = 0; i < rows * p_.v_dim; ++i) {
    o_[i] += pv_[i];
  }
}

template <typename T>
void AttentionTask<T>::run(int64_t b, int64_t g, int64_t r0, int64_t r1, T* out) {
  const int64_t rows = r1 - r0;
  load_queries(b, g, r0, rows);
  s_.assign(rows * kKeyBlock, 0.0f);
  o_.assign(rows * p_.v_dim, 0.0f);
  m_.assign(rows, -std::numeric_limits<float>::infinity());
  l_.assign(rows, 0.0f);
  if (sinks_ != nullptr) {
    // A sink is one more logit per head whose value row is zero.
    for (int64_t r = 0; r < rows; ++r) {
      m_[r] = static_cast<float>(sinks_->data<T>()[row(g, r0 + r).head]);
      l_[r] = 1.0f;
    }
  }
  const int64_t shift = p_.k_len - p_.q_len;
  int64_t k_end = p_.k_len;
  if (p_.causal && row(g, r0).position + shift >= 0) {
    // Every row sees at least one key, so keys past the last row's limit weigh nothing.
    k_end = std::min(p_.k_len, row(g, r1 - 1).position + shift + 1);
  }
  constexpr bool half = !std::is_same_v<T, float>;
  const bool in_place = half && rows <= cpu::kHalfGemvMaxRows;
  for (int64_t j0 = 0; j0 < k_end; j0 += kKeyBlock) {
    const int64_t n = std::min(kKeyBlock, k_end - j0);
    if (in_place) {
      block_in_place(b, g, r0, rows, j0, n);
      continue;
    }
    int64_t ldk = 0;
    int64_t ldv = 0;
    const float* kb = key_block(b, g, j0, n, k_, p_.head_dim, kbuf_, ldk);
    cpu::gemm(false, true, rows, n, p_.head_dim, 1.0f, qf_.data(), p_.head_dim, kb, ldk, 0.0f,
              s_.data(), kKeyBlock);
    if (p_.causal || mask_ != nullptr) {
      apply_mask(b, g, r0, rows, j0, n);
    }
    const float* vb = key_block(b, g, j0, n, v_, p_.v_dim, vbuf_, ldv);
    accumulate(rows, n, vb, ldv);
  }
  std::vector<float> result(p_.v_dim);
  for (int64_t r = 0; r < rows; ++r) {
    const RowIndex ri = row(g, r0 + r);
    T* dst = out + ((b * p_.q_heads + ri.head) * p_.q_len + ri.position) * p_.v_dim;
    const float inv = 1.0f / l_[r];  // 0 / 0 = NaN for rows that are -inf throughout, as MLX
    for (int64_t d = 0; d < p_.v_dim; ++d) {
      result[d] = o_[r * p_.v_dim + d] * inv;
    }
    cpu::from_float(result.data(), dst, p_.v_dim);
  }
}

template <typename T>
void attention(const Problem& p, const std::vector<array>& inputs, bool has_mask, bool has_sinks,
               array& out) {
  const Operand q = operand_of(inputs[0]);
  const Operand k = operand_of(inputs[1]);
  const Operand v = operand_of(inputs[2]);
  const array* mask = has_mask ? &inputs[3] : nullptr;
  const array* sinks = has_sinks ? &inputs.back() : nullptr;
  array sinks_rm = sinks != nullptr ? cpu::row_major(*sinks) : array(0.0f);
  T* dst = out.data<T>();
  const int64_t rows = p.q_len * p.repeats;
  const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  const int64_t tasks = p.batch * p.kv_heads * blocks;
  cpu::parallel_for(tasks, 1, [&](int64_t t0, int64_t t1) {
    AttentionTask<T> task(p, q, k, v, mask, sinks != nullptr ? &sinks_rm : nullptr);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t blk = t % blocks;
      const int64_t g = (t / blocks) % p.kv_heads;
      const int64_t b = t / (blocks * p.kv_heads);
      task.run(b, g, blk * kRowBlock, std::min(rows, (blk + 1) * kRowBlock), dst);
    }
  });
}

}  // namespace

void ScaledDotProductAttention::eval_cpu(const std::vector<array>& inputs,
                                         std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  const array& q = inputs[0];
  const array& k = inputs[1];
  const array& v = inputs[2];
  Problem p{q.shape(0), q.shape(1), k.shape(1), q.shape(2),
            k.shape(2), q.shape(3), v.shape(3), q.shape(1) / k.shape(1),
            scale_,     causal_,    0.0f};
  if (out.size() == 0) {
    return;
  }
  switch (q.dtype()) {
    case Dtype::Val::float32:
      p.masked_value = std::numeric_limits<float>::lowest();
      return attention<float>(p, inputs, has_mask_, has_sinks_, out);
    case Dtype::Val::float16:
      p.masked_value = static_cast<float>(finfo(float16).min);
      return attention<float16_t>(p, inputs, has_mask_, has_sinks_, out);
    case Dtype::Val::bfloat16:
      p.masked_value = static_cast<float>(finfo(bfloat16).min);
      return attention<bfloat16_t>(p, inputs, has_mask_, has_sinks_, out);
    default:
      throw std::invalid_argument(
          "[scaled_dot_product_attention] The fused kernel takes float32, float16 or bfloat16; "
          "got " +
          std::string(dtype_name(q.dtype())) + ".");
  }
}

}  // namespace mlxcpp::fast
