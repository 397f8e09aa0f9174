// The copy engine: strided, type-converting copies used by astype, copy,
// concatenate, pad, slice updates and anything that needs a dense input.
#pragma once

#include "mlxcpp/core/array.h"

namespace mlxcpp::cpu {

/** Copy the elements of shape `shape` at src (laid out with src_strides, in elements) to dst
 *  (laid out with dst_strides), converting src_dtype to dst_dtype. Parallel for large copies. */
void copy_raw(const void* src, Dtype src_dtype, const Strides& src_strides, const Shape& shape,
              void* dst, Dtype dst_dtype, const Strides& dst_strides);

/** Copy n contiguous elements, converting src_dtype to dst_dtype. */
void copy_flat(const void* src, Dtype src_dtype, void* dst, Dtype dst_dtype, size_t n);

/** Copy every element of src into memory at dst laid out with dst_strides (same shape as src),
 *  converting to dst_dtype. */
void copy_strided(const array& src, void* dst, Dtype dst_dtype, const Strides& dst_strides);

/** Give out (src's size, any shape and dtype) a fresh row-major buffer holding src's values
 *  in row-major order. */
void copy_to_row_major(const array& src, array& out);

/** src itself when it is row-major, otherwise a row-major copy of it (evaluated). */
array row_major(const array& src);

/** Give out a buffer for an elementwise result over `in`: in's own buffer when it can be
 *  donated, else a fresh one with in's layout when in is dense, else a row-major one. */
void allocate_like(const array& in, array& out);

/** Fill n elements of type T at dst with value. */
void fill_bytes(void* dst, const void* value, size_t itemsize, size_t n);

}  // namespace mlxcpp::cpu
