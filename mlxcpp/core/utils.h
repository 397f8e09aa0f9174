// StreamOrDevice, dtype limits, broadcasting helpers and printing (as MLX's utils.h).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/dtype.h"
#include "mlxcpp/core/stream.h"

namespace mlxcpp {

/** Where an op runs: nothing (the default stream of the default device), a stream or a device. */
using StreamOrDevice =
    std::variant<std::monostate, Stream, ThreadLocalStream, Device, Device::DeviceType>;

/** The stream s names. Throws std::invalid_argument for a device this build cannot run. */
Stream to_stream(StreamOrDevice s);
/** As to_stream(s), with default_ used when s is empty. */
Stream to_stream(StreamOrDevice s, Device default_);

/** Makes a stream (or device) the default for the current scope. */
struct StreamContext {
 public:
  StreamContext(StreamOrDevice s);
  ~StreamContext();
  StreamContext(const StreamContext&) = delete;
  StreamContext& operator=(const StreamContext&) = delete;

 private:
  Stream previous_;
};

/** Limits of a floating point dtype. */
struct finfo {
  explicit finfo(Dtype dtype);
  Dtype dtype;
  int bits;
  double min;
  double max;
  double eps;
  double smallest_normal;
};

/** Limits of an integer dtype. */
struct iinfo {
  explicit iinfo(Dtype dtype);
  Dtype dtype;
  int64_t min;
  uint64_t max;
};

/** The type from promoting the arrays' types with one another. */
inline Dtype result_type(const array& a, const array& b) {
  return promote_types(a.dtype(), b.dtype());
}
inline Dtype result_type(const array& a, const array& b, const array& c) {
  return promote_types(result_type(a, b), c.dtype());
}
Dtype result_type(const std::vector<array>& arrays);

/** The shape two shapes broadcast to; throws std::invalid_argument if they do not. */
Shape broadcast_shapes(const Shape& s1, const Shape& s2);

/** The axis in [0, ndim); throws std::invalid_argument when it is out of range. */
int normalize_axis_index(int axis, int ndim, const std::string& msg_prefix = "");

/** Print options used by operator<< of array. */
struct PrintOptions {
  int precision{-1};
};
void set_printoptions(PrintOptions options);

std::ostream& operator<<(std::ostream& os, const Device& d);
std::ostream& operator<<(std::ostream& os, const Stream& s);
std::ostream& operator<<(std::ostream& os, const Dtype& d);
std::ostream& operator<<(std::ostream& os, const Dtype::Kind& k);
/** Prints the array's values (evaluating it) like MLX: array([[1, 2], ...], dtype=int32). */
std::ostream& operator<<(std::ostream& os, array a);
std::ostream& operator<<(std::ostream& os, const Shape& v);
std::ostream& operator<<(std::ostream& os, const Strides& v);
inline std::ostream& operator<<(std::ostream& os, const complex64_t& v) {
  return os << v.real() << (v.imag() >= 0 ? "+" : "") << v.imag() << "j";
}
inline std::ostream& operator<<(std::ostream& os, const float16_t& v) {
  return os << static_cast<float>(v);
}
inline std::ostream& operator<<(std::ostream& os, const bfloat16_t& v) {
  return os << static_cast<float>(v);
}

inline bool is_power_of_2(int n) {
  return ((n & (n - 1)) == 0) && n != 0;
}

}  // namespace mlxcpp
