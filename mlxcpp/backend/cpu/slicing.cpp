// Slices and the primitives that write into parts of an array: slice
// updates (static and dynamic), concatenate, pad and split.
#include <string>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/strided.h"
#include "mlxcpp/backend/cpu/update.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

// Element offset and strides of the slice start:stop:step of an array with
// the given strides (start already normalized by the op).
int64_t slice_offset(const Shape& start, const Strides& strides) {
  int64_t offset = 0;
  for (size_t i = 0; i < start.size(); ++i) {
    offset += static_cast<int64_t>(start[i]) * strides[i];
  }
  return offset;
}

Strides slice_strides(const Shape& step, const Strides& strides) {
  Strides out(step.size());
  for (size_t i = 0; i < step.size(); ++i) {
    out[i] = strides[i] * step[i];
  }
  return out;
}

// The start offsets of a dynamic slice along axes, read from an integer
// index array. Negative starts count from the end; the slice must fit.
int64_t dynamic_offset(const array& starts_in, const std::vector<int>& axes, const Shape& shape,
                       const Shape& slice_shape, const Strides& strides, const char* op) {
  const array starts = cpu::row_major(starts_in);
  int64_t offset = 0;
  cpu::dispatch_integer_types(starts.dtype(), op, [&](auto tag) {
    using I = MLXCPP_TAG_TYPE(tag);
    const I* idx = starts.data<I>();
    for (size_t i = 0; i < axes.size(); ++i) {
      const int ax = axes[i];
      const int64_t n = shape[ax];
      // Unsigned values beyond int64 cannot fit any axis; keep them out of range.
      int64_t start = (std::is_unsigned_v<I> && static_cast<uint64_t>(idx[i]) > uint64_t(INT64_MAX))
                          ? INT64_MAX
                          : static_cast<int64_t>(idx[i]);
      const int64_t given = start;
      if (start < 0) {
        start += n;
      }
      if (start < 0 || start > n - slice_shape[ax]) {
        throw std::invalid_argument(
            std::string("[") + op + "] Start index " + std::to_string(given) + " on axis " +
            std::to_string(ax) + " does not fit a slice of size " +
            std::to_string(slice_shape[ax]) + "; expected a start in [" + std::to_string(-n) +
            ", " + std::to_string(n - slice_shape[ax]) + "].");
      }
      offset += start * strides[ax];
    }
  });
  return offset;
}

}  // namespace

void Slice::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  const auto strides = slice_strides(strides_, in.strides());
  const int64_t offset = out.size() == 0 ? 0 : slice_offset(start_indices_, in.strides());
  const auto l = cpu::layout_of(out.shape(), strides);
  out.copy_shared_buffer(in, strides, l.flags, l.data_size, offset);
}

void SliceUpdate::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_or_donate(inputs[0], out);
  const auto& upd = inputs[1];
  if (upd.size() == 0) {
    return;
  }
  cpu::update_region(upd, out, slice_offset(start_indices_, out.strides()),
                     slice_strides(strides_, out.strides()), cpu::update_mode(reduce_type_));
}

void DynamicSlice::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  const int64_t offset =
      dynamic_offset(inputs[1], axes_, in.shape(), slice_size_, in.strides(), "slice");
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const char* base = in.data<char>() + offset * static_cast<int64_t>(in.itemsize());
  cpu::copy_raw(base, in.dtype(), in.strides(), out.shape(), out.data<void>(), out.dtype(),
                out.strides());
}

void DynamicSliceUpdate::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& upd = inputs[1];
  // Check the start before touching the output so that a bad index changes nothing.
  const auto& src = inputs[0];
  const int64_t offset = dynamic_offset(inputs[2], axes_, src.shape(), upd.shape(),
                                        cpu::row_major_strides(src.shape()), "slice_update");
  cpu::copy_or_donate(src, out);
  cpu::update_region(upd, out, offset, out.strides(), cpu::UpdateMode::None);
}

void Concatenate::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  int64_t offset = 0;
  for (const auto& in : inputs) {
    if (in.size() > 0) {
      char* base = out.data<char>() + offset * out.strides()[axis_] * out.itemsize();
      cpu::copy_strided(in, base, out.dtype(), out.strides());
    }
    offset += in.shape(axis_);
  }
}

void Pad::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  const auto& value = inputs[1];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  cpu::fill_bytes(out.data<void>(), value.data<void>(), out.itemsize(), out.size());
  Shape start(out.ndim(), 0);
  for (size_t i = 0; i < axes_.size(); ++i) {
    start[axes_[i]] = low_pad_size_[i];
  }
  if (in.size() > 0) {
    char* base = out.data<char>() + slice_offset(start, out.strides()) * out.itemsize();
    cpu::copy_strided(in, base, out.dtype(), out.strides());
  }
}

void Split::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const auto& in = inputs[0];
  int64_t start = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto& out = outputs[i];
    const auto l = cpu::layout_of(out.shape(), in.strides());
    const int64_t offset = out.size() == 0 ? 0 : start * in.strides()[axis_];
    out.copy_shared_buffer(in, in.strides(), l.flags, l.data_size, offset);
    start = i < indices_.size() ? indices_[i] : start;
  }
}

}  // namespace mlxcpp
