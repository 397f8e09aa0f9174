// Region updates: copies (mode None) go through the copy engine; reducing
// modes combine element by element, in float for the half types.
#include "mlxcpp/backend/cpu/update.h"

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/strided.h"
#include "mlxcpp/core/allocator.h"

namespace mlxcpp::cpu {

namespace {

// dst[i] = combine(dst[i], upd[i]) over a strided region.
template <typename T, typename Combine>
void combine_into(const T* upd, const Strides& upd_strides, const Shape& shape, T* dst,
                  const Strides& dst_strides, Combine combine) {
  auto c = collapse_dims<2>(shape, {&upd_strides, &dst_strides});
  const int64_t inner = c.shape.back();
  const int64_t su = c.strides[0].back();
  const int64_t sd = c.strides[1].back();
  RowCursor<2> cur(c, 0);
  for (int64_t r = 0, rows = num_rows(c.shape); r < rows; ++r) {
    const T* s = upd + cur.offsets()[0];
    T* d = dst + cur.offsets()[1];
    for (int64_t i = 0; i < inner; ++i) {
      d[i * sd] = static_cast<T>(combine(d[i * sd], s[i * su]));
    }
    cur.next();
  }
}

// The combine function of a reducing mode on values of type T.
template <typename T, typename F>
void with_combine(UpdateMode mode, F f) {
  using C = std::conditional_t<is_half_v<T>, float, T>;
  switch (mode) {
    case UpdateMode::None:
      return f([](C, C b) { return b; });
    case UpdateMode::Sum:
      if constexpr (std::is_same_v<T, bool>) {
        return f([](bool a, bool b) { return a || b; });
      } else {
        return f([](C a, C b) { return a + b; });
      }
    case UpdateMode::Prod:
      if constexpr (std::is_same_v<T, bool>) {
        return f([](bool a, bool b) { return a && b; });
      } else {
        return f([](C a, C b) { return a * b; });
      }
    case UpdateMode::Max:
      return f([](C a, C b) { return b > a ? b : a; });
    case UpdateMode::Min:
      return f([](C a, C b) { return b < a ? b : a; });
  }
}

}  // namespace

void update_elements(const void* upd, Dtype dtype, void* dst, const int64_t* offsets, int64_t n,
                     UpdateMode mode) {
  dispatch_all_types(dtype, [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    const T* u = static_cast<const T*>(upd);
    T* d = static_cast<T*>(dst);
    with_combine<T>(mode, [&](auto combine) {
      for (int64_t i = 0; i < n; ++i) {
        T& target = d[offsets[i]];
        target = static_cast<T>(combine(target, u[i]));
      }
    });
  });
}

void copy_or_donate(const array& src, array& out) {
  if (src.flags().row_contiguous && src.is_donatable() && src.itemsize() == out.itemsize()) {
    out.copy_shared_buffer(src);
  } else {
    copy_to_row_major(src, out);
  }
}

void update_region(const void* upd, const Strides& upd_strides, const Shape& shape, Dtype dtype,
                   void* dst, const Strides& dst_strides, UpdateMode mode) {
  if (mode == UpdateMode::None) {
    copy_raw(upd, dtype, upd_strides, shape, dst, dtype, dst_strides);
    return;
  }
  dispatch_all_types(dtype, [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    with_combine<T>(mode, [&](auto combine) {
      combine_into<T>(static_cast<const T*>(upd), upd_strides, shape, static_cast<T*>(dst),
                      dst_strides, combine);
    });
  });
}

void update_region(const array& upd, array& out, int64_t offset, const Strides& strides,
                   UpdateMode mode) {
  if (upd.size() == 0) {
    return;
  }
  char* base = out.data<char>() + offset * static_cast<int64_t>(out.itemsize());
  if (mode == UpdateMode::None) {
    copy_strided(upd, base, out.dtype(), strides);
    return;
  }
  update_region(upd.data<void>(), upd.strides(), upd.shape(), out.dtype(), base, strides, mode);
}

}  // namespace mlxcpp::cpu
