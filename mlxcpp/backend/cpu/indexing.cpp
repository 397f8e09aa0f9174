// Gathers and scatters: Gather, GatherAxis, Scatter, ScatterAxis and
// MaskedScatter. Every index is checked before anything is written, so a bad
// index throws from eval and leaves no partial result behind.
#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "mlxcpp/backend/cpu/axis_layout.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/strided.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/backend/cpu/update.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

// The values of an integer index array in row-major order, each checked to start a
// slice of `slice` elements inside an axis of size n ([-n, n - slice] with negatives
// counting from the end) and returned as a non-negative start.
std::vector<int64_t> checked_indices(const array& idx_in, int64_t n, int64_t slice, int axis,
                                     const char* op) {
  const array idx = cpu::row_major(idx_in);
  std::vector<int64_t> out(idx.size());
  cpu::dispatch_integer_types(idx.dtype(), op, [&](auto tag) {
    using I = MLXCPP_TAG_TYPE(tag);
    const I* v = idx.data<I>();
    for (size_t i = 0; i < out.size(); ++i) {
      // Unsigned values beyond int64 fit no axis; keep them out of range.
      const int64_t given =
          (std::is_unsigned_v<I> && static_cast<uint64_t>(v[i]) > uint64_t(INT64_MAX))
              ? std::numeric_limits<int64_t>::max()
              : static_cast<int64_t>(v[i]);
      const int64_t start = given < 0 ? given + n : given;
      if (start < 0 || start > n - slice) {
        if (slice == 1) {
          throw std::invalid_argument(fmt::format(
              "[{}] Index {} is out of bounds for axis {} with size {}.", op, given, axis, n));
        }
        throw std::invalid_argument(
            fmt::format("[{}] Index {} on axis {} (size {}) does not start a slice of size {}.", op,
                        given, axis, n, slice));
      }
      out[i] = start;
    }
  });
  return out;
}

// Calls f with an unsigned type of the given byte size, for copies that only move bits.
template <typename F>
void with_word_type(size_t itemsize, F f) {
  switch (itemsize) {
    case 1:
      return f(uint8_t{});
    case 2:
      return f(uint16_t{});
    case 4:
      return f(uint32_t{});
    default:
      return f(uint64_t{});
  }
}

// Element offsets (by the given strides) of the positions that index arrays pick.
std::vector<int64_t> index_offsets(const std::vector<std::vector<int64_t>>& idx,
                                   const std::vector<int>& axes, const Strides& strides,
                                   int64_t n) {
  std::vector<int64_t> offsets(n, 0);
  for (size_t k = 0; k < idx.size(); ++k) {
    const int64_t stride = strides[axes[k]];
    for (int64_t i = 0; i < n; ++i) {
      offsets[i] += idx[k][i] * stride;
    }
  }
  return offsets;
}

// Element offsets in a row-major array of shape `target` of the positions that an
// along-axis index array (row-major, shape `idx_shape`) picks.
std::vector<int64_t> along_axis_offsets(const std::vector<int64_t>& idx, const Shape& idx_shape,
                                        const Shape& target, int axis) {
  const auto l = cpu::axis_layout(idx_shape, axis);
  const int64_t n_target = target[axis];
  std::vector<int64_t> offsets(idx.size());
  for (size_t t = 0; t < idx.size(); ++t) {
    const int64_t o = static_cast<int64_t>(t) / (l.n * l.inner);
    const int64_t in = static_cast<int64_t>(t) % l.inner;
    offsets[t] = (o * n_target + idx[t]) * l.inner + in;
  }
  return offsets;
}

}  // namespace

void Gather::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& src = inputs[0];
  std::vector<std::vector<int64_t>> idx;
  for (size_t k = 0; k < axes_.size(); ++k) {
    const int ax = axes_[k];
    idx.push_back(checked_indices(inputs[k + 1], src.shape(ax), slice_sizes_[ax], ax, "gather"));
  }
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const int64_t n = inputs.size() > 1 ? static_cast<int64_t>(inputs[1].size()) : 1;
  const int64_t slice_size = static_cast<int64_t>(out.size()) / n;
  const std::vector<int64_t> offsets = index_offsets(idx, axes_, src.strides(), n);
  const size_t item = src.itemsize();
  const char* s = src.data<char>();
  char* d = out.data<char>();
  if (slice_size == 1) {
    with_word_type(item, [&](auto word) {
      using W = decltype(word);
      const W* sw = reinterpret_cast<const W*>(s);
      W* dw = reinterpret_cast<W*>(d);
      cpu::parallel_for(n, cpu::elementwise_grain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          dw[i] = sw[offsets[i]];
        }
      });
    });
    return;
  }
  const Strides dst_strides = cpu::row_major_strides(slice_sizes_);
  const int64_t grain = std::max<int64_t>(1, cpu::elementwise_grain / slice_size);
  cpu::parallel_for(n, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      cpu::copy_raw(s + offsets[i] * static_cast<int64_t>(item), src.dtype(), src.strides(),
                    slice_sizes_, d + i * slice_size * static_cast<int64_t>(item), out.dtype(),
                    dst_strides);
    }
  });
}

void GatherAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& idx_in = inputs[1];
  const std::vector<int64_t> idx =
      checked_indices(idx_in, inputs[0].shape(axis_), 1, axis_, "take_along_axis");
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const array src = cpu::row_major(inputs[0]);
  const std::vector<int64_t> offsets = along_axis_offsets(idx, idx_in.shape(), src.shape(), axis_);
  with_word_type(src.itemsize(), [&](auto word) {
    using W = decltype(word);
    const W* s = src.data<W>();
    W* d = out.data<W>();
    cpu::parallel_for(static_cast<int64_t>(offsets.size()), cpu::elementwise_grain,
                      [&](int64_t b, int64_t e) {
                        for (int64_t i = b; i < e; ++i) {
                          d[i] = s[offsets[i]];
                        }
                      });
  });
}

void Scatter::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& src = inputs[0];
  const array updates = cpu::row_major(inputs.back());
  const size_t n_idx = axes_.size();
  const Shape slice_shape(updates.shape().end() - src.ndim(), updates.shape().end());
  std::vector<std::vector<int64_t>> idx;
  for (size_t k = 0; k < n_idx; ++k) {
    const int ax = axes_[k];
    idx.push_back(checked_indices(inputs[k + 1], src.shape(ax), slice_shape[ax], ax, "scatter"));
  }
  cpu::copy_or_donate(src, out);
  if (updates.size() == 0) {
    return;
  }
  const int64_t n = n_idx > 0 ? static_cast<int64_t>(inputs[1].size()) : 1;
  const int64_t slice_size = static_cast<int64_t>(updates.size()) / n;
  const std::vector<int64_t> offsets = index_offsets(idx, axes_, out.strides(), n);
  const cpu::UpdateMode mode = cpu::update_mode(reduce_type_);
  if (slice_size == 1) {
    cpu::update_elements(updates.data<void>(), out.dtype(), out.data<void>(), offsets.data(), n,
                         mode);
    return;
  }
  // In index order, so that repeated indices combine (or overwrite) deterministically.
  const Strides upd_strides = cpu::row_major_strides(slice_shape);
  const int64_t item = static_cast<int64_t>(out.itemsize());
  for (int64_t i = 0; i < n; ++i) {
    cpu::update_region(updates.data<char>() + i * slice_size * item, upd_strides, slice_shape,
                       out.dtype(), out.data<char>() + offsets[i] * item, out.strides(), mode);
  }
}

void ScatterAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& idx_in = inputs[1];
  const std::vector<int64_t> idx =
      checked_indices(idx_in, inputs[0].shape(axis_), 1, axis_,
                      reduce_type_ == Sum ? "scatter_add_axis" : "put_along_axis");
  cpu::copy_or_donate(inputs[0], out);
  if (idx.empty()) {
    return;
  }
  const array updates = cpu::row_major(inputs[2]);
  const std::vector<int64_t> offsets = along_axis_offsets(idx, idx_in.shape(), out.shape(), axis_);
  cpu::update_elements(updates.data<void>(), out.dtype(), out.data<void>(), offsets.data(),
                       static_cast<int64_t>(offsets.size()),
                       reduce_type_ == Sum ? cpu::UpdateMode::Sum : cpu::UpdateMode::None);
}

void MaskedScatter::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array mask = cpu::row_major(inputs[1]);
  const array values = cpu::row_major(inputs[2]);
  const bool* m = mask.data<bool>();
  std::vector<int64_t> offsets;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (m[i]) {
      offsets.push_back(static_cast<int64_t>(i));
    }
  }
  if (offsets.size() > values.size()) {
    throw std::invalid_argument(
        fmt::format("[masked_scatter] The mask selects {} elements but only {} values were given.",
                    offsets.size(), values.size()));
  }
  cpu::copy_or_donate(inputs[0], out);
  cpu::update_elements(values.data<void>(), out.dtype(), out.data<void>(), offsets.data(),
                       static_cast<int64_t>(offsets.size()), cpu::UpdateMode::None);
}

}  // namespace mlxcpp
