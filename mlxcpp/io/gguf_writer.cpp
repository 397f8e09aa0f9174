// Writing GGUF v3: plain tensors as their type (F32, F16, BF16, F64, I8-I64),
// MLX affine triplets with groups of 32 as Q4_0, Q4_1 or Q8_0 blocks, and
// the metadata values load_gguf returns; plus quantizing float weights to
// those block types (GGML's reference rounding) in MLX's triplet layout.
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

namespace mlxcpp {

namespace {

using io::gguf::TensorType;

[[noreturn]] void invalid(const std::string& what) {
  throw std::invalid_argument("[save_gguf] " + what);
}

class Bytes {
 public:
  template <typename T>
  void put(T v) {
    const size_t at = data_.size();
    data_.resize(at + sizeof(T));
    std::memcpy(data_.data() + at, &v, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    data_.insert(data_.end(), s.begin(), s.end());
  }
  void pad_to(size_t align) { data_.resize((data_.size() + align - 1) / align * align, 0); }
  void append(const char* p, size_t n) { data_.insert(data_.end(), p, p + n); }
  const std::vector<char>& data() const { return data_; }
  size_t size() const { return data_.size(); }

 private:
  std::vector<char> data_;
};

uint32_t value_type_of(Dtype d) {
  switch (d) {
    case Dtype::Val::uint8:
      return 0;
    case Dtype::Val::int8:
      return 1;
    case Dtype::Val::uint16:
      return 2;
    case Dtype::Val::int16:
      return 3;
    case Dtype::Val::uint32:
      return 4;
    case Dtype::Val::int32:
      return 5;
    case Dtype::Val::float32:
      return 6;
    case Dtype::Val::bool_:
      return 7;
    case Dtype::Val::uint64:
      return 10;
    case Dtype::Val::int64:
      return 11;
    case Dtype::Val::float64:
      return 12;
    default:
      invalid("Metadata arrays must be integer, bool, float32 or float64.");
  }
}

void put_scalar(Bytes& b, const array& a, size_t i) {
  const char* p = a.data<char>() + i * a.itemsize();
  b.append(p, a.itemsize());
}

void put_metadata(Bytes& b, const std::string& key, const GGUFMetaData& value) {
  if (std::holds_alternative<std::monostate>(value)) {
    invalid("Metadata '" + key + "' has no value.");
  }
  b.put_string(key);
  if (const auto* s = std::get_if<std::string>(&value)) {
    b.put<uint32_t>(8);
    b.put_string(*s);
  } else if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    b.put<uint32_t>(9);
    b.put<uint32_t>(8);
    b.put<uint64_t>(list->size());
    for (const auto& s : *list) {
      b.put_string(s);
    }
  } else {
    array a = contiguous(std::get<array>(value));
    a.eval();
    if (a.ndim() > 1) {
      invalid("Metadata '" + key + "' must be a scalar or a 1-D array.");
    }
    const uint32_t t = value_type_of(a.dtype());
    if (a.ndim() == 0) {
      b.put<uint32_t>(t);
      put_scalar(b, a, 0);
      return;
    }
    b.put<uint32_t>(9);
    b.put<uint32_t>(t);
    b.put<uint64_t>(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      put_scalar(b, a, i);
    }
  }
}

struct OutTensor {
  std::string name;
  Shape shape;  // logical (MLX order)
  TensorType type;
  std::vector<char> bytes;
};

TensorType plain_type(Dtype d, const std::string& name) {
  switch (d) {
    case Dtype::Val::float32:
      return TensorType::F32;
    case Dtype::Val::float16:
      return TensorType::F16;
    case Dtype::Val::bfloat16:
      return TensorType::BF16;
    case Dtype::Val::float64:
      return TensorType::F64;
    case Dtype::Val::int8:
      return TensorType::I8;
    case Dtype::Val::int16:
      return TensorType::I16;
    case Dtype::Val::int32:
      return TensorType::I32;
    case Dtype::Val::int64:
      return TensorType::I64;
    default:
      invalid("Tensor '" + name + "' has dtype " + std::string(dtype_name(d)) +
              ", which GGUF cannot store.");
  }
}

std::string prefix_of(const std::string& name) {
  const std::string suffix = ".weight";
  if (name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

// An MLX affine triplet (groups of 32, 4 or 8 bits, float16 scales and biases) as blocks.
OutTensor affine_tensor(const std::string& name, array w, array scales, array biases) {
  w = contiguous(w);
  scales = contiguous(scales);
  biases = contiguous(biases);
  eval(w, scales, biases);
  if (scales.dtype() != float16 || biases.dtype() != float16 || scales.shape() != biases.shape() ||
      scales.ndim() == 0 || w.ndim() != scales.ndim()) {
    invalid("Quantized tensor '" + name + "' needs float16 scales and biases of one shape.");
  }
  const int64_t groups = scales.shape().back();
  const int64_t k = groups * 32;
  const int64_t packed = w.shape().back();
  const bool eight = packed * 4 == k;
  if (!eight && packed * 8 != k) {
    invalid("Quantized tensor '" + name + "' is not 4 or 8 bits in groups of 32.");
  }
  const uint16_t* sb = scales.data<uint16_t>();
  const uint16_t* bb = biases.data<uint16_t>();
  bool q4_0 = !eight;
  for (size_t i = 0; i < scales.size() && q4_0; ++i) {
    q4_0 = bb[i] == float16_t(-8.0f * static_cast<float>(float16_t::from_bits(sb[i]))).bits_;
  }
  OutTensor t{name,
              w.shape(),
              eight  ? TensorType::Q8_0
              : q4_0 ? TensorType::Q4_0
                     : TensorType::Q4_1,
              {}};
  t.shape.back() = static_cast<ShapeElem>(k);
  const size_t block_bytes = io::gguf::type_info(static_cast<uint32_t>(t.type))->block_bytes;
  t.bytes.resize(scales.size() * block_bytes);
  const uint8_t* codes = w.data<uint8_t>();
  for (size_t i = 0; i < scales.size(); ++i) {
    io::gguf::AffineBlock a{};
    a.scale_bits = sb[i];
    a.bias_bits = bb[i];
    for (int j = 0; j < 32; ++j) {
      a.codes[j] = eight ? codes[i * 32 + j] : (codes[i * 16 + j / 2] >> (4 * (j % 2))) & 0xF;
    }
    if (!io::gguf::from_affine(t.type, a,
                               reinterpret_cast<uint8_t*>(t.bytes.data()) + i * block_bytes)) {
      invalid("Quantized tensor '" + name + "': 8-bit groups need biases of -128 * scale (Q8_0).");
    }
  }
  return t;
}

}  // namespace

void save_gguf(std::string file, std::unordered_map<std::string, array> arrays,
               std::unordered_map<std::string, GGUFMetaData> meta) {
  if (file.size() < 5 || file.compare(file.size() - 5, 5, ".gguf") != 0) {
    file += ".gguf";
  }
  std::vector<std::string> names;
  for (const auto& [n, a] : arrays) {
    names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  std::set<std::string> used;
  std::vector<OutTensor> tensors;
  for (const auto& n : names) {
    const array& a = arrays.at(n);
    const std::string p = prefix_of(n);
    if (a.dtype() == uint32 && arrays.count(p + ".scales") && arrays.count(p + ".biases")) {
      tensors.push_back(affine_tensor(n, a, arrays.at(p + ".scales"), arrays.at(p + ".biases")));
      used.insert(p + ".scales");
      used.insert(p + ".biases");
    }
  }
  for (const auto& n : names) {
    if (used.count(n) || std::any_of(tensors.begin(), tensors.end(),
                                     [&](const OutTensor& t) { return t.name == n; })) {
      continue;
    }
    array a = contiguous(arrays.at(n));
    a.eval();
    OutTensor t{n, a.shape(), plain_type(a.dtype(), n), {}};
    t.bytes.assign(a.data<char>(), a.data<char>() + a.nbytes());
    tensors.push_back(std::move(t));
  }
  uint64_t align = 32;
  if (auto it = meta.find("general.alignment"); it != meta.end()) {
    const array* a = std::get_if<array>(&it->second);
    if (a == nullptr || a->ndim() != 0 || a->dtype() != uint32 || a->item<uint32_t>() == 0 ||
        (a->item<uint32_t>() & (a->item<uint32_t>() - 1)) != 0) {
      invalid("general.alignment must be a uint32 power of two.");
    }
    align = a->item<uint32_t>();
  }
  Bytes b;
  b.put<uint32_t>(0x46554747);
  b.put<uint32_t>(3);
  b.put<uint64_t>(tensors.size());
  b.put<uint64_t>(meta.size());
  std::map<std::string, GGUFMetaData> sorted_meta(meta.begin(), meta.end());
  for (const auto& [k, v] : sorted_meta) {
    put_metadata(b, k, v);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    b.put_string(t.name);
    b.put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) {
      b.put<uint64_t>(static_cast<uint64_t>(*it));
    }
    b.put<uint32_t>(static_cast<uint32_t>(t.type));
    b.put<uint64_t>(offset);
    offset = (offset + t.bytes.size() + align - 1) / align * align;
  }
  b.pad_to(align);
  io::FileWriter out(file, /*atomic=*/true);
  out.write(b.data().data(), b.size());
  const std::vector<char> zeros(align, 0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    out.write(tensors[i].bytes.data(), tensors[i].bytes.size());
    if (i + 1 < tensors.size()) {  // no padding after the last tensor
      out.write(zeros.data(), (align - tensors[i].bytes.size() % align) % align);
    }
  }
  out.commit();
}

namespace io {

std::vector<array> gguf_quantize(const array& w_in, const std::string& type) {
  TensorType t;
  if (type == "Q4_0") {
    t = TensorType::Q4_0;
  } else if (type == "Q4_1") {
    t = TensorType::Q4_1;
  } else if (type == "Q8_0") {
    t = TensorType::Q8_0;
  } else {
    throw std::invalid_argument("[gguf_quantize] The type must be Q4_0, Q4_1 or Q8_0; got '" +
                                type + "'.");
  }
  if (w_in.ndim() == 0 || w_in.shape().back() % 32 != 0 || !issubdtype(w_in.dtype(), floating)) {
    throw std::invalid_argument(
        "[gguf_quantize] Expected floating point weights whose last axis is a multiple of 32.");
  }
  array w = contiguous(astype(w_in, float32));
  w.eval();
  const size_t blocks = w.size() / 32;
  const bool eight = t == TensorType::Q8_0;
  const size_t block_bytes = gguf::type_info(static_cast<uint32_t>(t))->block_bytes;
  std::vector<uint8_t> block(block_bytes);
  allocator::Buffer packed = allocator::malloc(blocks * (eight ? 32 : 16));
  allocator::Buffer sc = allocator::malloc(blocks * 2);
  allocator::Buffer bi = allocator::malloc(blocks * 2);
  auto* pp = static_cast<uint8_t*>(packed.raw_ptr());
  auto* sp = static_cast<uint16_t*>(sc.raw_ptr());
  auto* bp = static_cast<uint16_t*>(bi.raw_ptr());
  for (size_t i = 0; i < blocks; ++i) {
    gguf::quantize_block(t, w.data<float>() + i * 32, block.data());
    const auto a = gguf::to_affine(t, block.data());
    sp[i] = a.scale_bits;
    bp[i] = a.bias_bits;
    for (int j = 0; j < (eight ? 32 : 16); ++j) {
      pp[i * (eight ? 32 : 16) + j] =
          eight ? a.codes[j] : static_cast<uint8_t>(a.codes[2 * j] | (a.codes[2 * j + 1] << 4));
    }
  }
  Shape ws = w.shape();
  ws.back() /= eight ? 4 : 8;
  Shape ss = w.shape();
  ss.back() /= 32;
  return {array(packed, ws, uint32), array(sc, ss, float16), array(bi, ss, float16)};
}

}  // namespace io

}  // namespace mlxcpp
