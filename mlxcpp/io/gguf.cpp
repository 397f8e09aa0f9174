// GGUF v2/v3: header, metadata key/values, tensor infos, aligned tensor data.
//
// The whole header is parsed with bounds checks before any tensor is read:
// every length is checked against the bytes left (so a lying count cannot
// make us allocate), nesting is bounded, tensor names and metadata keys are
// unique, offsets are aligned, inside the data section and disjoint. Plain
// types view the file mapping when aligned; Q4_0, Q4_1 and Q8_0 become MLX
// affine triplets (name, prefix.scales, prefix.biases; groups of 32, float16
// scales and biases), exactly as MLX loads them; the other quantized types
// are dequantized to float16.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <set>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/transforms.h"
#include "mlxcpp/io/gguf_quants.h"
#include "mlxcpp/io/io.h"
#include "mlxcpp/io/mapped_file.h"

static_assert(std::endian::native == std::endian::little, "GGUF reading assumes little endian");

namespace mlxcpp {

namespace {

using io::gguf::TensorType;

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian
constexpr int kMaxNesting = 8;
constexpr uint32_t kMaxDims = 8;

enum ValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

// Bounds-checked little-endian reads over the mapped file.
class Cursor {
 public:
  Cursor(const char* data, size_t size, std::string file)
      : data_(data), size_(size), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& what) const { throw FormatError(file_, pos_, what); }
  size_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }
  const std::string& file() const { return file_; }

  template <typename T>
  T read() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const char* what) {
    const uint64_t n = read<uint64_t>();
    if (n > left()) {
      fail(std::string(what) + " of " + std::to_string(n) +
           " bytes runs past the end of the file.");
    }
    std::string s(data_ + pos_, n);
    pos_ += n;
    return s;
  }

 private:
  void need(size_t n) const {
    if (n > left()) {
      fail("The file ends inside the header.");
    }
  }
  const char* data_;
  size_t size_;
  std::string file_;
  size_t pos_ = 0;
};

size_t value_size(uint32_t type) {
  switch (type) {
    case U8:
    case I8:
    case BOOL:
      return 1;
    case U16:
    case I16:
      return 2;
    case U32:
    case I32:
    case F32:
      return 4;
    case U64:
    case I64:
    case F64:
      return 8;
    case STRING:
      return 8;  // at least its length field
    case ARRAY:
      return 12;  // at least its type and length
    default:
      return 0;
  }
}

nlohmann::json read_value_json(Cursor& c, uint32_t type, int depth);

// A metadata list (its element type is stored in *elem_type when given).
nlohmann::json read_array_json(Cursor& c, int depth, uint32_t* elem_type = nullptr) {
  if (depth > kMaxNesting) {
    c.fail("Metadata lists nest deeper than " + std::to_string(kMaxNesting) + " levels.");
  }
  const uint32_t type = c.read<uint32_t>();
  const uint64_t n = c.read<uint64_t>();
  const size_t min = value_size(type);
  if (min == 0) {
    c.fail("Unknown metadata value type " + std::to_string(type) + ".");
  }
  if (n > c.left() / min) {
    c.fail("A metadata list of " + std::to_string(n) + " values runs past the end of the file.");
  }
  nlohmann::json out = nlohmann::json::array();
  for (uint64_t i = 0; i < n; ++i) {
    out.push_back(read_value_json(c, type, depth + 1));
  }
  if (elem_type != nullptr) {
    *elem_type = type;
  }
  return out;
}

nlohmann::json read_value_json(Cursor& c, uint32_t type, int depth) {
  switch (type) {
    case U8:
      return c.read<uint8_t>();
    case I8:
      return c.read<int8_t>();
    case U16:
      return c.read<uint16_t>();
    case I16:
      return c.read<int16_t>();
    case U32:
      return c.read<uint32_t>();
    case I32:
      return c.read<int32_t>();
    case F32:
      return c.read<float>();
    case U64:
      return c.read<uint64_t>();
    case I64:
      return c.read<int64_t>();
    case F64:
      return c.read<double>();
    case BOOL: {
      const uint8_t b = c.read<uint8_t>();
      if (b > 1) {
        c.fail("A boolean metadata value is " + std::to_string(b) + ", not 0 or 1.");
      }
      return b == 1;
    }
    case STRING:
      return c.read_string("A metadata string");
    case ARRAY:
      return read_array_json(c, depth);
    default:
      c.fail("Unknown metadata value type " + std::to_string(type) + ".");
  }
}

Dtype metadata_dtype(uint32_t type) {
  switch (type) {
    case U8:
      return uint8;
    case I8:
      return int8;
    case U16:
      return uint16;
    case I16:
      return int16;
    case U32:
      return uint32;
    case I32:
      return int32;
    case F32:
      return float32;
    case U64:
      return uint64;
    case I64:
      return int64;
    case F64:
      return float64;
    default:
      return bool_;
  }
}

// An array of numeric JSON values as a 1-D (or 0-d) array of the GGUF type's dtype.
array numeric_array(const nlohmann::json& values, uint32_t type, bool scalar) {
  const Dtype dt = metadata_dtype(type);
  std::vector<double> as_double;
  if (scalar) {
    as_double.push_back(values.get<double>());
  } else {
    for (const auto& v : values) {
      as_double.push_back(v.get<double>());
    }
  }
  // Integers beyond 2^53 would lose bits through double: build those directly.
  if (dt == uint64 || dt == int64) {
    std::vector<int64_t> ints;
    if (scalar) {
      ints.push_back(dt == uint64 ? static_cast<int64_t>(values.get<uint64_t>())
                                  : values.get<int64_t>());
    } else {
      for (const auto& v : values) {
        ints.push_back(dt == uint64 ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>());
      }
    }
    array a(ints.begin(), scalar ? Shape{} : Shape{static_cast<ShapeElem>(ints.size())}, int64);
    return dt == uint64 ? view(a, uint64) : a;
  }
  return astype(array(as_double.begin(),
                      scalar ? Shape{} : Shape{static_cast<ShapeElem>(as_double.size())}, float64),
                dt);
}

GGUFMetaData to_metadata_lazy(Cursor& c, uint32_t type);

// Metadata values are small: evaluate them now, so callers can read them at once.
GGUFMetaData to_metadata(Cursor& c, uint32_t type) {
  GGUFMetaData v = to_metadata_lazy(c, type);
  if (auto* a = std::get_if<array>(&v)) {
    a->eval();
  }
  return v;
}

GGUFMetaData to_metadata_lazy(Cursor& c, uint32_t type) {
  if (type == STRING) {
    return c.read_string("A metadata string");
  }
  if (type != ARRAY) {
    const nlohmann::json v = read_value_json(c, type, 0);
    if (type == BOOL) {
      return array(v.get<bool>());
    }
    return numeric_array(v, type, true);
  }
  uint32_t elem = 0;
  const nlohmann::json values = read_array_json(c, 1, &elem);
  if (elem == STRING) {
    return values.get<std::vector<std::string>>();
  }
  if (elem == ARRAY) {
    return values.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (elem == BOOL) {
    std::vector<bool> bits = values.get<std::vector<bool>>();
    std::vector<uint8_t> bytes(bits.begin(), bits.end());
    return astype(array(bytes.begin(), {static_cast<ShapeElem>(bytes.size())}, uint8), bool_);
  }
  return numeric_array(values, elem, false);
}

struct TensorInfo {
  std::string name;
  Shape shape;  // MLX order (GGUF stores the innermost dimension first)
  TensorType type;
  uint64_t offset;
  uint64_t elements;
  uint64_t bytes;
};

TensorInfo read_tensor_info(Cursor& c) {
  TensorInfo t;
  t.name = c.read_string("A tensor name");
  const uint32_t ndims = c.read<uint32_t>();
  if (ndims > kMaxDims) {
    c.fail("Tensor '" + t.name + "' has " + std::to_string(ndims) + " dimensions; at most " +
           std::to_string(kMaxDims) + " are supported.");
  }
  std::vector<uint64_t> dims(ndims);
  t.elements = 1;
  for (auto& d : dims) {
    d = c.read<uint64_t>();
    if (d > uint64_t(INT32_MAX) || (d != 0 && t.elements > (uint64_t(1) << 62) / d)) {
      c.fail("Tensor '" + t.name + "' has a dimension of " + std::to_string(d) +
             ", too large for an array.");
    }
    t.elements *= d;
  }
  for (auto it = dims.rbegin(); it != dims.rend(); ++it) {
    t.shape.push_back(static_cast<ShapeElem>(*it));
  }
  const uint32_t type = c.read<uint32_t>();
  const auto info = io::gguf::type_info(type);
  if (!info) {
    c.fail("Tensor '" + t.name + "' has GGML type " + std::to_string(type) +
           ", which is not supported (F32, F16, BF16, F64, I8-I64, Q4_0, Q4_1, Q5_0, Q5_1, "
           "Q8_0, Q2_K-Q6_K, Q8_K are).");
  }
  t.type = static_cast<TensorType>(type);
  if (info->block_elements > 1 && (ndims == 0 || dims[0] % info->block_elements != 0)) {
    c.fail("Tensor '" + t.name + "' of type " + info->name +
           " needs its first dimension to be a "
           "multiple of " +
           std::to_string(info->block_elements) + ".");
  }
  t.bytes = t.elements / info->block_elements * info->block_bytes;
  t.offset = c.read<uint64_t>();
  return t;
}

Dtype plain_dtype(TensorType t) {
  switch (t) {
    case TensorType::F32:
      return float32;
    case TensorType::F16:
      return float16;
    case TensorType::BF16:
      return bfloat16;
    case TensorType::F64:
      return float64;
    case TensorType::I8:
      return int8;
    case TensorType::I16:
      return int16;
    case TensorType::I32:
      return int32;
    default:
      return int64;
  }
}

bool is_affine_type(TensorType t) {
  return t == TensorType::Q4_0 || t == TensorType::Q4_1 || t == TensorType::Q8_0;
}

bool is_plain_type(TensorType t) {
  return io::gguf::type_info(static_cast<uint32_t>(t))->block_elements == 1;
}

// The name prefix the scales and biases of a quantized tensor take (MLX: without ".weight").
std::string quant_prefix(const std::string& name) {
  const std::string suffix = ".weight";
  if (name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

// Q4_0 / Q4_1 / Q8_0 blocks as MLX's affine triplet.
void load_affine(const TensorInfo& t, const uint8_t* data, const std::string& file,
                 std::unordered_map<std::string, array>& out) {
  const bool eight = t.type == TensorType::Q8_0;
  const size_t blocks = t.elements / 32;
  Shape w_shape = t.shape;
  w_shape.back() /= eight ? 4 : 8;
  Shape s_shape = t.shape;
  s_shape.back() /= 32;
  allocator::Buffer w = allocator::malloc(blocks * (eight ? 32 : 16));
  allocator::Buffer sc = allocator::malloc(blocks * 2);
  allocator::Buffer bi = allocator::malloc(blocks * 2);
  auto* wp = static_cast<uint8_t*>(w.raw_ptr());
  auto* sp = static_cast<uint16_t*>(sc.raw_ptr());
  auto* bp = static_cast<uint16_t*>(bi.raw_ptr());
  const size_t block_bytes = io::gguf::type_info(static_cast<uint32_t>(t.type))->block_bytes;
  for (size_t i = 0; i < blocks; ++i) {
    const auto a = io::gguf::to_affine(t.type, data + i * block_bytes);
    sp[i] = a.scale_bits;
    bp[i] = a.bias_bits;
    if (eight) {
      std::memcpy(wp + i * 32, a.codes, 32);
    } else {
      for (int j = 0; j < 16; ++j) {  // two 4-bit codes per byte, low nibble first
        wp[i * 16 + j] = static_cast<uint8_t>(a.codes[2 * j] | (a.codes[2 * j + 1] << 4));
      }
    }
  }
  const std::string prefix = quant_prefix(t.name);
  auto insert = [&](const std::string& name, array a) {
    if (!out.emplace(name, std::move(a)).second) {
      throw FormatError(file, 0,
                        "Quantized tensor '" + t.name + "' would give a second '" + name + "'.");
    }
  };
  insert(t.name, array(w, w_shape, uint32));
  insert(prefix + ".scales", array(sc, s_shape, float16));
  insert(prefix + ".biases", array(bi, s_shape, float16));
}

array load_plain(const TensorInfo& t, const char* src,
                 const std::shared_ptr<const io::MappedFile>& map) {
  const Dtype dt = plain_dtype(t.type);
  if (t.bytes > 0 && reinterpret_cast<uintptr_t>(src) % size_of(dt) == 0) {
    return array(const_cast<char*>(src), t.shape, dt, [map](void*) {});
  }
  allocator::Buffer buf = allocator::malloc(t.bytes);
  if (t.bytes > 0) {
    std::memcpy(buf.raw_ptr(), src, t.bytes);
  }
  return array(buf, t.shape, dt);
}

array load_dequantized(const TensorInfo& t, const uint8_t* data) {
  std::vector<float> values(t.elements);
  io::gguf::dequantize(t.type, data, t.elements, values.data());
  allocator::Buffer buf = allocator::malloc(t.elements * 2);
  auto* h = static_cast<float16_t*>(buf.raw_ptr());
  for (size_t i = 0; i < t.elements; ++i) {
    h[i] = float16_t(values[i]);
  }
  return array(buf, t.shape, float16);
}

uint64_t alignment_of(const std::unordered_map<std::string, GGUFMetaData>& meta, const Cursor& c) {
  auto it = meta.find("general.alignment");
  if (it == meta.end()) {
    return 32;
  }
  const array* a = std::get_if<array>(&it->second);
  if (a == nullptr || a->ndim() != 0 || a->dtype() != uint32) {
    c.fail("general.alignment must be a uint32.");
  }
  const uint64_t v = a->item<uint32_t>();
  if (v == 0 || (v & (v - 1)) != 0) {
    c.fail("general.alignment must be a power of two; got " + std::to_string(v) + ".");
  }
  return v;
}

}  // namespace

GGUFLoad load_gguf(const std::string& file, StreamOrDevice) {
  const auto map = io::MappedFile::open(file);
  Cursor c(map->data(), map->size(), file);
  if (c.left() < 4 || c.read<uint32_t>() != kMagic) {
    throw FormatError(file, 0, "Not a GGUF file (the magic is not 'GGUF').");
  }
  const uint32_t version = c.read<uint32_t>();
  if (version != 2 && version != 3) {
    c.fail("GGUF version " + std::to_string(version) + " is not supported (2 and 3 are).");
  }
  const uint64_t n_tensors = c.read<uint64_t>();
  const uint64_t n_kv = c.read<uint64_t>();
  // A key/value takes at least 8 + 4 + 1 bytes and a tensor info 8 + 4 + 4 + 8.
  if (n_kv > c.left() / 13 || n_tensors > c.left() / 24) {
    c.fail("The header counts " + std::to_string(n_tensors) + " tensors and " +
           std::to_string(n_kv) + " metadata values, more than the file can hold.");
  }
  GGUFLoad out;
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.read_string("A metadata key");
    const uint32_t type = c.read<uint32_t>();
    GGUFMetaData value = to_metadata(c, type);
    if (!out.second.emplace(key, std::move(value)).second) {
      c.fail("The metadata key '" + key + "' appears twice.");
    }
  }
  std::vector<TensorInfo> tensors;
  std::set<std::string> names;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    tensors.push_back(read_tensor_info(c));
    if (!names.insert(tensors.back().name).second) {
      c.fail("The tensor name '" + tensors.back().name + "' appears twice.");
    }
  }
  const uint64_t align = alignment_of(out.second, c);
  const uint64_t data_start = (c.pos() + align - 1) / align * align;
  if (data_start > map->size()) {
    c.fail("The file ends before its tensor data.");
  }
  const uint64_t data_size = map->size() - data_start;
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : tensors) {
    if (t.offset % align != 0 || t.offset > data_size || t.bytes > data_size - t.offset) {
      throw FormatError(file, data_start + t.offset,
                        "Tensor '" + t.name + "' (" + std::to_string(t.bytes) + " bytes at " +
                            std::to_string(t.offset) + ") is misaligned or outside the data.");
    }
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->offset < by_offset[i - 1]->offset + by_offset[i - 1]->bytes) {
      throw FormatError(
          file, data_start + by_offset[i]->offset,
          "Tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name + "' overlap.");
    }
  }
  for (const auto& t : tensors) {
    const char* src = map->data() + data_start + t.offset;
    if (is_plain_type(t.type)) {
      if (!out.first.emplace(t.name, load_plain(t, src, map)).second) {
        throw FormatError(
            file, 0, "Tensor '" + t.name + "' clashes with a quantized tensor's scales or biases.");
      }
    } else if (is_affine_type(t.type)) {
      load_affine(t, reinterpret_cast<const uint8_t*>(src), file, out.first);
    } else {
      out.first.emplace(t.name, load_dequantized(t, reinterpret_cast<const uint8_t*>(src)));
    }
  }
  return out;
}

}  // namespace mlxcpp
