#include "mlxcpp/core/utils.h"

#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/transforms.h"

namespace mlxcpp {

Stream to_stream(StreamOrDevice s) {
  return to_stream(std::move(s), default_device());
}

Stream to_stream(StreamOrDevice s, Device default_) {
  if (std::holds_alternative<std::monostate>(s)) {
    return default_stream(default_);
  } else if (std::holds_alternative<Device>(s)) {
    return default_stream(std::get<Device>(s));
  } else if (std::holds_alternative<Device::DeviceType>(s)) {
    return default_stream(Device(std::get<Device::DeviceType>(s)));
  } else if (std::holds_alternative<ThreadLocalStream>(s)) {
    return stream_from_thread_local_stream(std::get<ThreadLocalStream>(s));
  }
  Stream st = std::get<Stream>(s);
  if (!is_available(st.device)) {
    throw std::invalid_argument(
        "[to_stream] The stream's device is not available; expected a cpu stream.");
  }
  return st;
}

StreamContext::StreamContext(StreamOrDevice s) : previous_(default_stream(default_device())) {
  if (std::holds_alternative<std::monostate>(s)) {
    throw std::invalid_argument(
        "[StreamContext] Invalid argument; expected a stream or device, got none.");
  }
  auto st = to_stream(s);
  set_default_device(st.device);
  set_default_stream(st);
}

StreamContext::~StreamContext() {
  set_default_device(previous_.device);
  set_default_stream(previous_);
}

namespace {

template <typename T>
void set_finfo(finfo& f) {
  f.bits = sizeof(T) * 8;
  f.min = static_cast<double>(std::numeric_limits<T>::lowest());
  f.max = static_cast<double>(std::numeric_limits<T>::max());
  f.eps = static_cast<double>(std::numeric_limits<T>::epsilon());
  f.smallest_normal = static_cast<double>(std::numeric_limits<T>::min());
}

}  // namespace

finfo::finfo(Dtype dtype_) : dtype(dtype_) {
  switch (dtype) {
    case Dtype::Val::float32:
      set_finfo<float>(*this);
      break;
    case Dtype::Val::float64:
      set_finfo<double>(*this);
      break;
    case Dtype::Val::complex64:
      dtype = float32;
      set_finfo<float>(*this);
      break;
    case Dtype::Val::float16:
      bits = 16;
      max = 65504.0;
      min = -max;
      eps = 0.0009765625;                 // 2^-10
      smallest_normal = 6.103515625e-05;  // 2^-14
      break;
    case Dtype::Val::bfloat16:
      bits = 16;
      max = 3.3895313892515355e+38;  // (2 - 2^-7) * 2^127
      min = -max;
      eps = 0.0078125;                           // 2^-7
      smallest_normal = 1.1754943508222875e-38;  // 2^-126
      break;
    default:
      throw std::invalid_argument("[finfo] Expected an inexact dtype, got " +
                                  std::string(dtype_name(dtype)) + ".");
  }
}

iinfo::iinfo(Dtype dtype_) : dtype(dtype_) {
  auto set = [this](auto lo, auto hi) {
    min = static_cast<int64_t>(lo);
    max = static_cast<uint64_t>(hi);
  };
  switch (dtype) {
    case Dtype::Val::uint8:
      set(0, UINT8_MAX);
      break;
    case Dtype::Val::uint16:
      set(0, UINT16_MAX);
      break;
    case Dtype::Val::uint32:
      set(0, UINT32_MAX);
      break;
    case Dtype::Val::uint64:
      set(0, UINT64_MAX);
      break;
    case Dtype::Val::int8:
      set(INT8_MIN, INT8_MAX);
      break;
    case Dtype::Val::int16:
      set(INT16_MIN, INT16_MAX);
      break;
    case Dtype::Val::int32:
      set(INT32_MIN, INT32_MAX);
      break;
    case Dtype::Val::int64:
      set(INT64_MIN, INT64_MAX);
      break;
    default:
      throw std::invalid_argument("[iinfo] Expected an integer dtype, got " +
                                  std::string(dtype_name(dtype)) + ".");
  }
}

Dtype result_type(const std::vector<array>& arrays) {
  if (arrays.empty()) {
    throw std::invalid_argument("[result_type] Expected at least one array, got none.");
  }
  Dtype t = arrays[0].dtype();
  for (const auto& a : arrays) {
    t = promote_types(t, a.dtype());
  }
  return t;
}

Shape broadcast_shapes(const Shape& s1, const Shape& s2) {
  const int n1 = static_cast<int>(s1.size());
  const int n2 = static_cast<int>(s2.size());
  const int ndim = std::max(n1, n2);
  Shape out(ndim);
  for (int i = 0; i < ndim; ++i) {
    const int i1 = n1 - ndim + i;
    const int i2 = n2 - ndim + i;
    const ShapeElem a = i1 >= 0 ? s1[i1] : 1;
    const ShapeElem b = i2 >= 0 ? s2[i2] : 1;
    if (a == b || b == 1) {
      out[i] = a;
    } else if (a == 1) {
      out[i] = b;
    } else {
      std::ostringstream msg;
      msg << "[broadcast_shapes] Shapes " << s1 << " and " << s2
          << " cannot be broadcast; expected equal sizes or 1 in each dimension.";
      throw std::invalid_argument(msg.str());
    }
  }
  return out;
}

int normalize_axis_index(int axis, int ndim, const std::string& msg_prefix) {
  if (axis < -ndim || axis >= ndim) {
    std::ostringstream msg;
    msg << msg_prefix << "Axis " << axis << " is out of bounds for array with " << ndim
        << " dimensions; expected an axis in [" << -ndim << ", " << ndim << ").";
    throw std::invalid_argument(msg.str());
  }
  return axis < 0 ? axis + ndim : axis;
}

// ---------------------------------------------------------------- printing

namespace {

std::mutex& print_mutex() {
  static std::mutex m;
  return m;
}

PrintOptions& print_options() {
  static PrintOptions options;
  return options;
}

template <typename T>
void print_value(std::ostream& os, T v, int precision) {
  if constexpr (std::is_same_v<T, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
    os << static_cast<int>(v);
  } else if constexpr (is_half_v<T>) {
    print_value(os, static_cast<float>(v), precision);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (precision >= 0) {
      std::ostringstream tmp;
      tmp.precision(precision);
      tmp << std::fixed << v;
      os << tmp.str();
    } else {
      os << v;
    }
  } else {
    os << v;
  }
}

template <typename T>
void print_array(std::ostream& os, const array& a, int precision) {
  // Arrays over 1000 elements show the first and last 3 entries of each axis.
  const bool summarize = a.size() > 1000;
  const T* data = a.data<T>();
  const int ndim = static_cast<int>(a.ndim());
  if (ndim == 0) {
    print_value(os, data[0], precision);
    return;
  }
  // Explicit stack of (dim, index, offset) so deep arrays never recurse.
  struct Frame {
    int dim;
    int64_t index;
    int64_t offset;
  };
  std::vector<Frame> stack{{0, 0, 0}};
  os << "[";
  while (!stack.empty()) {
    auto& f = stack.back();
    const int64_t n = a.shape(f.dim);
    if (f.index >= n) {
      os << "]";
      stack.pop_back();
      continue;
    }
    if (f.index > 0) {
      os << ",";
      if (f.dim < ndim - 1) {
        // A blank line between blocks of 3 or more dimensions, as NumPy prints.
        os << (f.dim < ndim - 2 ? "\n\n" : "\n") << std::string(7 + f.dim, ' ');
      } else {
        os << " ";
      }
    }
    if (summarize && n > 6 && f.index == 3) {
      os << "...";
      f.index = n - 3;
      continue;
    }
    const int64_t offset = f.offset + f.index * a.strides()[f.dim];
    ++f.index;
    if (f.dim == ndim - 1) {
      print_value(os, data[offset], precision);
    } else {
      os << "[";
      stack.push_back({f.dim + 1, 0, offset});
    }
  }
}

}  // namespace

void set_printoptions(PrintOptions options) {
  std::lock_guard lock(print_mutex());
  print_options() = options;
}

std::ostream& operator<<(std::ostream& os, const Device& d) {
  return os << "Device(" << (d.type == Device::cpu ? "cpu" : "gpu") << ", " << d.index << ")";
}

std::ostream& operator<<(std::ostream& os, const Stream& s) {
  return os << "Stream(" << s.device << ", " << s.index << ")";
}

std::ostream& operator<<(std::ostream& os, const Dtype& d) {
  return os << dtype_name(d);
}

std::ostream& operator<<(std::ostream& os, const Dtype::Kind& k) {
  switch (k) {
    case Dtype::Kind::b:
      return os << "b";
    case Dtype::Kind::u:
      return os << "u";
    case Dtype::Kind::i:
      return os << "i";
    case Dtype::Kind::f:
      return os << "f";
    case Dtype::Kind::c:
      return os << "c";
    case Dtype::Kind::V:
      return os << "V";
  }
  return os;
}

std::ostream& operator<<(std::ostream& os, array a) {
  a.eval();
  int precision;
  {
    std::lock_guard lock(print_mutex());
    precision = print_options().precision;
  }
  os << "array(";
  switch (a.dtype()) {
    case Dtype::Val::bool_:
      print_array<bool>(os, a, precision);
      break;
    case Dtype::Val::uint8:
      print_array<uint8_t>(os, a, precision);
      break;
    case Dtype::Val::uint16:
      print_array<uint16_t>(os, a, precision);
      break;
    case Dtype::Val::uint32:
      print_array<uint32_t>(os, a, precision);
      break;
    case Dtype::Val::uint64:
      print_array<uint64_t>(os, a, precision);
      break;
    case Dtype::Val::int8:
      print_array<int8_t>(os, a, precision);
      break;
    case Dtype::Val::int16:
      print_array<int16_t>(os, a, precision);
      break;
    case Dtype::Val::int32:
      print_array<int32_t>(os, a, precision);
      break;
    case Dtype::Val::int64:
      print_array<int64_t>(os, a, precision);
      break;
    case Dtype::Val::float16:
      print_array<float16_t>(os, a, precision);
      break;
    case Dtype::Val::float32:
      print_array<float>(os, a, precision);
      break;
    case Dtype::Val::float64:
      print_array<double>(os, a, precision);
      break;
    case Dtype::Val::bfloat16:
      print_array<bfloat16_t>(os, a, precision);
      break;
    case Dtype::Val::complex64:
      print_array<complex64_t>(os, a, precision);
      break;
  }
  return os << ", dtype=" << a.dtype() << ")";
}

namespace {
template <typename V>
std::ostream& print_vector(std::ostream& os, const V& v) {
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) {
    os << (i ? "," : "") << v[i];
  }
  return os << ")";
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Shape& v) {
  return print_vector(os, v);
}
std::ostream& operator<<(std::ostream& os, const Strides& v) {
  return print_vector(os, v);
}

}  // namespace mlxcpp
