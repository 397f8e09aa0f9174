// Writing or reducing values into a region of an existing buffer: the shared
// core of slice updates and scatters.
#pragma once

#include "mlxcpp/core/array.h"

namespace mlxcpp::cpu {

/** How an update combines with the value already in place. */
enum class UpdateMode { None, Sum, Prod, Max, Min };

/** The mode of a primitive's ReduceType (SliceUpdate, Scatter: None, Sum, Prod, Max, Min). */
template <typename ReduceType>
UpdateMode update_mode(ReduceType type) {
  switch (type) {
    case ReduceType::Sum:
      return UpdateMode::Sum;
    case ReduceType::Prod:
      return UpdateMode::Prod;
    case ReduceType::Max:
      return UpdateMode::Max;
    case ReduceType::Min:
      return UpdateMode::Min;
    case ReduceType::None:
      break;
  }
  return UpdateMode::None;
}

/** out = a row-major copy of src, taking over src's buffer when it is row-major and
 *  used nowhere else. */
void copy_or_donate(const array& src, array& out);

/** For every element of the region of shape `shape`: dst = combine(dst, upd). upd and
 *  dst have dtype `dtype` and are laid out with the given strides (in elements). */
void update_region(const void* upd, const Strides& upd_strides, const Shape& shape, Dtype dtype,
                   void* dst, const Strides& dst_strides, UpdateMode mode);

/** update_region with all of upd (of out's dtype) combined into out's buffer at element
 *  `offset` with the given strides. */
void update_region(const array& upd, array& out, int64_t offset, const Strides& strides,
                   UpdateMode mode);

/** dst[offsets[i]] = combine(dst[offsets[i]], upd[i]) for i in [0, n), in order (so a
 *  repeated offset with mode None keeps the last value). upd and dst have dtype `dtype`. */
void update_elements(const void* upd, Dtype dtype, void* dst, const int64_t* offsets, int64_t n,
                     UpdateMode mode);

}  // namespace mlxcpp::cpu
