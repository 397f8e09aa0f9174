// The safetensors format: an 8-byte little-endian header length, a JSON
// header {"__metadata__": {str: str}, name: {"dtype", "shape",
// "data_offsets": [begin, end]}, ...}, then the tensor bytes (offsets are
// relative to the end of the header).
//
// Every header is checked before any tensor is touched: its length, the
// JSON (no duplicate names, bounded nesting), each entry's fields, that
// shape x itemsize equals the byte range, that ranges lie inside the file
// and do not overlap. Files load through a memory mapping: tensors whose
// bytes are aligned for their type are views of the mapping (no copy, pages
// read when first used); the rest are copied.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/transforms.h"
#include "mlxcpp/io/io.h"
#include "mlxcpp/io/mapped_file.h"

namespace mlxcpp {

namespace {

using json = nlohmann::json;

// Hugging Face's limit on the header size; anything larger is not a real file.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;
// Deepest nesting a valid header has: the object, an entry, its shape array.
constexpr int kMaxDepth = 3;

struct TensorEntry {
  std::string name;
  Dtype dtype = float32;
  Shape shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct Header {
  std::vector<TensorEntry> tensors;
  std::unordered_map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // file offset of the data section
};

Dtype dtype_from_string(const std::string& s, const std::string& file, const std::string& name) {
  static const std::map<std::string, Dtype> types{
      {"BOOL", bool_},   {"U8", uint8},      {"I8", int8},       {"U16", uint16},
      {"I16", int16},    {"U32", uint32},    {"I32", int32},     {"U64", uint64},
      {"I64", int64},    {"F16", float16},   {"BF16", bfloat16}, {"F32", float32},
      {"F64", float64},  {"C64", complex64}, {"F8_E4M3", uint8}, {"F8_E5M2", uint8},
      {"F8_E8M0", uint8}};
  auto it = types.find(s);
  if (it == types.end()) {
    throw FormatError(file, 8, "Tensor '" + name + "' has the unknown dtype '" + s + "'.");
  }
  return it->second;
}

const char* dtype_to_string(Dtype t) {
  switch (t) {
    case Dtype::Val::bool_:
      return "BOOL";
    case Dtype::Val::uint8:
      return "U8";
    case Dtype::Val::int8:
      return "I8";
    case Dtype::Val::uint16:
      return "U16";
    case Dtype::Val::int16:
      return "I16";
    case Dtype::Val::uint32:
      return "U32";
    case Dtype::Val::int32:
      return "I32";
    case Dtype::Val::uint64:
      return "U64";
    case Dtype::Val::int64:
      return "I64";
    case Dtype::Val::float16:
      return "F16";
    case Dtype::Val::bfloat16:
      return "BF16";
    case Dtype::Val::float32:
      return "F32";
    case Dtype::Val::float64:
      return "F64";
    case Dtype::Val::complex64:
      return "C64";
  }
  return "";
}

// The JSON text, rejecting duplicate names and nesting deeper than a header has.
json parse_json(const char* text, size_t n, const std::string& file) {
  std::set<std::string> names;
  auto guard = [&](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxDepth) {
      throw FormatError(file, 8, "The header nests deeper than a safetensors header can.");
    }
    if (event == json::parse_event_t::key && depth == 1 &&
        !names.insert(parsed.get<std::string>()).second) {
      throw FormatError(file, 8,
                        "The header names tensor '" + parsed.get<std::string>() + "' twice.");
    }
    return true;
  };
  try {
    return json::parse(text, text + n, guard);
  } catch (const json::parse_error& e) {
    throw FormatError(file, 8 + e.byte, std::string("The header is not valid JSON: ") + e.what());
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    throw FormatError(file, 8, std::string("The header is not valid JSON: ") + e.what());
  }
}

TensorEntry parse_entry(const std::string& name, const json& v, uint64_t data_size,
                        const std::string& file) {
  auto fail = [&](const std::string& what) {
    throw FormatError(file, 8, "Tensor '" + name + "': " + what);
  };
  if (!v.is_object() || v.size() != 3 || !v.contains("dtype") || !v.contains("shape") ||
      !v.contains("data_offsets")) {
    fail("expected an object with exactly dtype, shape and data_offsets.");
  }
  if (!v["dtype"].is_string()) {
    fail("dtype must be a string.");
  }
  TensorEntry e;
  e.name = name;
  e.dtype = dtype_from_string(v["dtype"].get<std::string>(), file, name);
  const json& shape = v["shape"];
  if (!shape.is_array()) {
    fail("shape must be a list of non-negative integers.");
  }
  uint64_t elements = 1;
  bool overflow = false;
  for (const auto& d : shape) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(INT32_MAX)) {
      fail("shape must be a list of integers in [0, 2^31).");
    }
    const uint64_t dim = d.get<uint64_t>();
    overflow |= dim != 0 && elements > UINT64_MAX / dim;
    elements *= dim;
    e.shape.push_back(static_cast<ShapeElem>(dim));
  }
  const json& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
      !off[1].is_number_unsigned()) {
    fail("data_offsets must be two non-negative integers.");
  }
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  if (e.begin > e.end || e.end > data_size) {
    fail("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
         ") lie outside the " + std::to_string(data_size) + " data bytes.");
  }
  const uint64_t item = size_of(e.dtype);
  if (overflow || elements > UINT64_MAX / item || elements * item != e.end - e.begin) {
    fail("its shape and dtype need a different number of bytes than data_offsets hold (" +
         std::to_string(e.end - e.begin) + ").");
  }
  return e;
}

// Parses and checks the header of a file of file_size bytes; read(buf, n, offset) reads bytes.
template <typename Read>
Header read_header(uint64_t file_size, const std::string& file, Read read) {
  if (file_size < 8) {
    throw FormatError(file, 0, "The file is shorter than a safetensors header length.");
  }
  unsigned char len_bytes[8];
  read(reinterpret_cast<char*>(len_bytes), 8, 0);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) {
    n = (n << 8) | len_bytes[i];
  }
  if (n > kMaxHeaderBytes || n > file_size - 8) {
    throw FormatError(file, 0,
                      "The header length " + std::to_string(n) + " exceeds the file (" +
                          std::to_string(file_size) + " bytes) or the 100 MB limit.");
  }
  std::string text(n, '\0');
  read(text.data(), n, 8);
  const json j = parse_json(text.data(), n, file);
  if (!j.is_object()) {
    throw FormatError(file, 8, "The header must be a JSON object.");
  }
  Header h;
  h.data_start = 8 + n;
  const uint64_t data_size = file_size - h.data_start;
  for (const auto& [key, value] : j.items()) {
    if (key == "__metadata__") {
      if (value.is_null()) {
        continue;  // MLX writes null when there is no metadata
      }
      if (!value.is_object()) {
        throw FormatError(file, 8, "__metadata__ must be an object of strings.");
      }
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) {
          throw FormatError(file, 8, "Metadata '" + mk + "' must be a string.");
        }
        h.metadata[mk] = mv.template get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_entry(key, value, data_size, file));
  }
  // Byte ranges may not overlap (empty tensors take no bytes).
  std::vector<const TensorEntry*> by_offset;
  for (const auto& t : h.tensors) {
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorEntry* a, const TensorEntry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      throw FormatError(file, 8,
                        "Tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name +
                            "' overlap in the file.");
    }
  }
  return h;
}

// A bool is one byte holding 0 or 1; any other byte is read as true (as NumPy does), since
// a C++ bool holding another value is undefined behaviour.
bool bools_are_canonical(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (static_cast<uint8_t>(p[i]) > 1) {
      return false;
    }
  }
  return true;
}

void canonicalize_bools(char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    p[i] = p[i] != 0 ? 1 : 0;
  }
}

}  // namespace

SafetensorsLoad load_safetensors(std::shared_ptr<io::Reader> in, StreamOrDevice) {
  if (!in || !in->is_open() || !in->good()) {
    throw IoError("[load_safetensors] Cannot read " + (in ? in->label() : std::string("null")) +
                  ".");
  }
  const uint64_t size = in->size();
  const std::string file = in->label();
  const Header h =
      read_header(size, file, [&](char* buf, size_t n, uint64_t off) { in->read(buf, n, off); });
  SafetensorsLoad out;
  out.second = h.metadata;
  for (const auto& t : h.tensors) {
    const size_t bytes = t.end - t.begin;
    allocator::Buffer buf = allocator::malloc(bytes);
    if (bytes > 0) {
      in->read(static_cast<char*>(buf.raw_ptr()), bytes, h.data_start + t.begin);
    }
    if (t.dtype == bool_) {
      canonicalize_bools(static_cast<char*>(buf.raw_ptr()), bytes);
    }
    out.first.emplace(t.name, array(buf, t.shape, t.dtype));
  }
  return out;
}

SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice) {
  const auto map = io::MappedFile::open(file);
  const Header h = read_header(map->size(), file, [&](char* buf, size_t n, uint64_t off) {
    std::memcpy(buf, map->data() + off, n);
  });
  SafetensorsLoad out;
  out.second = h.metadata;
  for (const auto& t : h.tensors) {
    const char* src = map->data() + h.data_start + t.begin;
    const size_t bytes = t.end - t.begin;
    const bool aligned = reinterpret_cast<uintptr_t>(src) % size_of(t.dtype) == 0;
    if (bytes > 0 && aligned && (t.dtype != bool_ || bools_are_canonical(src, bytes))) {
      // A view of the mapping; the deleter keeps the mapping alive.
      out.first.emplace(t.name, array(const_cast<char*>(src), t.shape, t.dtype, [map](void*) {}));
    } else {
      allocator::Buffer buf = allocator::malloc(bytes);
      if (bytes > 0) {
        std::memcpy(buf.raw_ptr(), src, bytes);
      }
      if (t.dtype == bool_) {
        canonicalize_bools(static_cast<char*>(buf.raw_ptr()), bytes);
      }
      out.first.emplace(t.name, array(buf, t.shape, t.dtype));
    }
  }
  return out;
}

void save_safetensors(std::shared_ptr<io::Writer> out,
                      std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata) {
  if (!out || !out->is_open() || !out->good()) {
    throw IoError("[save_safetensors] Cannot write " + (out ? out->label() : std::string("null")) +
                  ".");
  }
  if (arrays.count("__metadata__") != 0) {
    throw std::invalid_argument("[save_safetensors] '__metadata__' cannot name a tensor.");
  }
  std::vector<std::string> names;
  for (auto& [name, a] : arrays) {
    names.push_back(name);
    a = contiguous(a);
  }
  std::sort(names.begin(), names.end());
  std::vector<array> values;
  for (const auto& n : names) {
    values.push_back(arrays.at(n));
  }
  eval(values);
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    std::map<std::string, std::string> sorted(metadata.begin(), metadata.end());
    header["__metadata__"] = sorted;
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const array& a = values[i];
    header[names[i]] = {{"dtype", dtype_to_string(a.dtype())},
                        {"shape", std::vector<int64_t>(a.shape().begin(), a.shape().end())},
                        {"data_offsets", {offset, offset + a.nbytes()}}};
    offset += a.nbytes();
  }
  std::string text = header.dump();
  // Pad with spaces (allowed by the format) so the data starts 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) {
    len[i] = static_cast<unsigned char>((uint64_t(text.size()) >> (8 * i)) & 0xff);
  }
  out->write(reinterpret_cast<const char*>(len), 8);
  out->write(text.data(), text.size());
  for (const array& a : values) {
    if (a.nbytes() > 0) {
      out->write(a.data<char>(), a.nbytes());
    }
  }
}

void save_safetensors(std::string file, std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata) {
  if (file.size() < 12 || file.compare(file.size() - 12, 12, ".safetensors") != 0) {
    file += ".safetensors";
  }
  auto writer = std::make_shared<io::FileWriter>(file, /*atomic=*/true);
  save_safetensors(writer, std::move(arrays), std::move(metadata));
  writer->commit();
}

namespace {

// A shard name from an index: a plain file name in the index's folder, nothing that
// could reach outside it.
std::string shard_path(const std::string& dir, const std::string& shard, const std::string& index) {
  if (shard.empty() || shard.find('/') != std::string::npos ||
      shard.find('\\') != std::string::npos || shard == "." || shard == "..") {
    throw FormatError(index, 0, "The shard name '" + shard + "' is not a plain file name.");
  }
  return dir.empty() ? shard : dir + "/" + shard;
}

}  // namespace

SafetensorsLoad load_sharded_safetensors(const std::string& index_file, StreamOrDevice s) {
  const auto map = io::MappedFile::open(index_file);
  json index;
  try {
    index = json::parse(map->data(), map->data() + map->size());
  } catch (const json::parse_error& e) {
    throw FormatError(index_file, e.byte, std::string("The index is not valid JSON: ") + e.what());
  } catch (const json::exception& e) {
    throw FormatError(index_file, 0, std::string("The index is not valid JSON: ") + e.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw FormatError(index_file, 0, "The index has no weight_map object.");
  }
  const size_t slash = index_file.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : index_file.substr(0, slash);
  std::map<std::string, std::set<std::string>> shards;  // file -> tensor names
  for (const auto& [name, file] : index["weight_map"].items()) {
    if (!file.is_string()) {
      throw FormatError(index_file, 0, "weight_map['" + name + "'] must be a file name.");
    }
    shards[file.get<std::string>()].insert(name);
  }
  SafetensorsLoad out;
  for (const auto& [shard, names] : shards) {
    auto part = load_safetensors(shard_path(dir, shard, index_file), s);
    for (auto& [name, a] : part.first) {
      if (names.count(name) == 0) {
        throw FormatError(shard, 0,
                          "The shard holds tensor '" + name +
                              "', which the index does not list "
                              "for it.");
      }
      out.first.emplace(name, std::move(a));
    }
    for (const auto& name : names) {
      if (part.first.count(name) == 0 && out.first.count(name) == 0) {
        throw FormatError(shard, 0,
                          "The index lists tensor '" + name +
                              "' in this shard, which "
                              "does not hold it.");
      }
    }
    out.second.insert(part.second.begin(), part.second.end());
  }
  return out;
}

}  // namespace mlxcpp
