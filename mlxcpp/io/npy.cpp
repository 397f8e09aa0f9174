// The .npy format: a magic string, a version, a header that is a Python dict
// literal ({'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }),
// then the raw data.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <string_view>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/transforms.h"
#include "mlxcpp/io/io.h"

namespace mlxcpp {

namespace {

constexpr char magic[] = "\x93NUMPY";
constexpr size_t magic_len = 6;
constexpr size_t max_header_len = 1 << 20;

struct NpyHeader {
  Dtype dtype = float32;
  bool big_endian = false;
  bool fortran_order = false;
  Shape shape;
};

// A strict parser of the header dict: only the three keys numpy writes,
// each once, with string / bool / tuple-of-int values.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string file, size_t base)
      : text_(text), file_(std::move(file)), base_(base) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        check_once(have_descr, key);
        parse_descr(h);
      } else if (key == "fortran_order") {
        check_once(have_order, key);
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        check_once(have_shape, key);
        h.shape = parse_shape();
      } else {
        fail("Unexpected header key '" + key + "'; expected descr, fortran_order and shape.");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail("Expected ',' or '}' in the header.");
      }
    }
    if (!have_descr || !have_order || !have_shape) {
      fail("The header lacks one of descr, fortran_order and shape.");
    }
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(file_, base_ + pos_, what);
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }

  void expect(char c) {
    skip_space();
    if (peek() != c) {
      fail(std::string("Expected '") + c + "' in the header.");
    }
    ++pos_;
  }

  void check_once(bool& seen, const std::string& key) {
    if (seen) {
      fail("The header key '" + key + "' appears twice.");
    }
    seen = true;
  }

  std::string parse_string() {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') {
      if (q == '[') {
        fail("Structured dtypes are not supported.");
      }
      fail("Expected a quoted string in the header.");
    }
    ++pos_;
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != q) {
      ++pos_;
    }
    if (pos_ >= text_.size()) {
      fail("Unterminated string in the header.");
    }
    return std::string(text_.substr(start, pos_++ - start));
  }

  bool parse_bool() {
    skip_space();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("Expected True or False for fortran_order.");
  }

  Shape parse_shape() {
    expect('(');
    Shape shape;
    while (true) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        return shape;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) {
        fail("Expected a non-negative integer in the shape.");
      }
      int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        v = v * 10 + (peek() - '0');
        if (v > std::numeric_limits<ShapeElem>::max()) {
          fail("A shape dimension is larger than 2^31 - 1.");
        }
        ++pos_;
      }
      shape.push_back(static_cast<ShapeElem>(v));
      if (shape.size() > 64) {
        fail("The shape has more than 64 dimensions.");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail("Expected ',' or ')' in the shape.");
      }
    }
  }

  void parse_descr(NpyHeader& h) {
    const std::string d = parse_string();
    if (d.size() < 2) {
      fail("Unsupported descr '" + d + "'.");
    }
    const char order = d[0];
    std::string_view type(d);
    if (order == '<' || order == '>' || order == '|' || order == '=') {
      type.remove_prefix(1);
    }
    h.big_endian = order == '>';
    if (type == "b1") {
      h.dtype = bool_;
    } else if (type == "u1") {
      h.dtype = uint8;
    } else if (type == "u2") {
      h.dtype = uint16;
    } else if (type == "u4") {
      h.dtype = uint32;
    } else if (type == "u8") {
      h.dtype = uint64;
    } else if (type == "i1") {
      h.dtype = int8;
    } else if (type == "i2") {
      h.dtype = int16;
    } else if (type == "i4") {
      h.dtype = int32;
    } else if (type == "i8") {
      h.dtype = int64;
    } else if (type == "f2") {
      h.dtype = float16;
    } else if (type == "f4") {
      h.dtype = float32;
    } else if (type == "f8") {
      h.dtype = float64;
    } else if (type == "c8") {
      h.dtype = complex64;
    } else if (type == "V2") {
      h.dtype = bfloat16;  // how MLX writes bfloat16
    } else if (type[0] == 'O') {
      fail("Object arrays are not supported.");
    } else {
      fail("Unsupported dtype '" + d + "'.");
    }
  }

  std::string_view text_;
  std::string file_;
  size_t base_;
  size_t pos_{0};
};

// Reverse the byte order of each `word`-byte unit in n bytes (big-endian files).
void swap_bytes(char* data, size_t n, size_t word) {
  if (word <= 1) {
    return;
  }
  for (size_t i = 0; i + word <= n; i += word) {
    std::reverse(data + i, data + i + word);
  }
}

std::string dtype_descr(Dtype t) {
  if (t == bool_) {
    return "|b1";
  }
  if (t == bfloat16) {
    return "<V2";
  }
  std::string d = t.size() == 1 ? "|" : "<";
  switch (kindof(t)) {
    case Dtype::Kind::u:
      d += 'u';
      break;
    case Dtype::Kind::i:
      d += 'i';
      break;
    case Dtype::Kind::f:
      d += 'f';
      break;
    case Dtype::Kind::c:
      d += 'c';
      break;
    default:
      d += 'V';
      break;
  }
  return d + std::to_string(t.size());
}

}  // namespace

array load(std::shared_ptr<io::Reader> in, StreamOrDevice) {
  if (!in || !in->is_open()) {
    throw IoError("[load] Failed to open " + (in ? in->label() : std::string("(null)")) + ".");
  }
  const std::string file = in->label();
  const size_t file_size = in->size();
  if (file_size < magic_len + 4) {
    throw FormatError(file, 0, "Not an .npy file; it is shorter than the npy preamble.");
  }
  char pre[magic_len + 2];
  in->read(pre, sizeof(pre), 0);
  if (std::memcmp(pre, magic, magic_len) != 0) {
    throw FormatError(file, 0, "Not an .npy file; the magic string is missing.");
  }
  const int major = static_cast<unsigned char>(pre[magic_len]);
  if (major < 1 || major > 3) {
    throw FormatError(file, magic_len,
                      "Unsupported npy version " + std::to_string(major) + "; expected 1, 2 or 3.");
  }
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    unsigned char b[2];
    in->read(reinterpret_cast<char*>(b), 2, magic_len + 2);
    header_len = b[0] | (size_t(b[1]) << 8);
    header_start = magic_len + 4;
  } else {
    unsigned char b[4];
    if (file_size < magic_len + 6) {
      throw FormatError(file, magic_len + 2, "The file ends inside the header length.");
    }
    in->read(reinterpret_cast<char*>(b), 4, magic_len + 2);
    header_len = b[0] | (size_t(b[1]) << 8) | (size_t(b[2]) << 16) | (size_t(b[3]) << 24);
    header_start = magic_len + 6;
  }
  if (header_len > max_header_len || header_start + header_len > file_size) {
    throw FormatError(file, magic_len + 2,
                      "Invalid header length " + std::to_string(header_len) +
                          "; expected at most " + std::to_string(max_header_len) +
                          " bytes inside a file of " + std::to_string(file_size) + " bytes.");
  }
  std::string header(header_len, '\0');
  in->read(header.data(), header_len, header_start);
  NpyHeader h = HeaderParser(header, file, header_start).parse();

  // Bound the byte size (not just the element count) so the product cannot wrap.
  const uint64_t max_count = (uint64_t(1) << 62) / h.dtype.size();
  uint64_t count = 1;
  bool empty = false;
  for (auto d : h.shape) {
    empty |= d == 0;
  }
  for (auto d : h.shape) {
    if (!empty && count > max_count / static_cast<uint64_t>(d)) {
      throw FormatError(file, header_start, "The shape is too large.");
    }
    count = empty ? 0 : count * static_cast<uint64_t>(d);
  }
  const size_t data_start = header_start + header_len;
  const uint64_t nbytes = count * h.dtype.size();
  if (nbytes > file_size - data_start) {
    throw FormatError(file, data_start,
                      "The data is truncated; expected " + std::to_string(nbytes) + " bytes, got " +
                          std::to_string(file_size - data_start) + ".");
  }
  Shape storage_shape = h.shape;
  if (h.fortran_order) {
    std::reverse(storage_shape.begin(), storage_shape.end());
  }
  array out(allocator::malloc(nbytes), storage_shape, h.dtype);
  if (nbytes > 0) {
    in->read(out.data<char>(), nbytes, data_start);
  }
  if (h.dtype == bool_) {
    // Any nonzero byte is true (as NumPy reads it); a C++ bool must hold 0 or 1.
    char* p = out.data<char>();
    for (uint64_t i = 0; i < nbytes; ++i) {
      p[i] = p[i] != 0 ? 1 : 0;
    }
  }
  if (h.big_endian) {
    // complex64 is two float32 parts, each stored big-endian on its own.
    swap_bytes(out.data<char>(), nbytes, h.dtype == complex64 ? 4 : h.dtype.size());
  }
  if (h.fortran_order && h.shape.size() > 1) {
    // Column-major data: the reversed-shape array transposed, made row-major.
    array rows = contiguous(transpose(out));
    rows.eval();
    return rows;
  }
  return out;
}

array load(std::string file, StreamOrDevice s) {
  auto reader = std::make_shared<io::FileReader>(file);
  if (!reader->is_open()) {
    throw IoError("[load] Failed to open " + file + ".");
  }
  return load(reader, s);
}

void save(std::shared_ptr<io::Writer> out, array a) {
  if (!out || !out->is_open()) {
    throw IoError("[save] Failed to open " + (out ? out->label() : std::string("(null)")) + ".");
  }
  a = contiguous(a);
  a.eval();
  std::string header =
      "{'descr': '" + dtype_descr(a.dtype()) + "', 'fortran_order': False, 'shape': (";
  for (auto d : a.shape()) {
    header += std::to_string(d) + ", ";
  }
  header += "), }";
  const bool v1 = header.size() + 11 < 65536;
  const size_t prefix = magic_len + 2 + (v1 ? 2 : 4);
  // Pad with spaces so that the data starts on a 64-byte boundary.
  const size_t total = prefix + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string pre(magic, magic_len);
  pre += static_cast<char>(v1 ? 1 : 2);
  pre += '\0';
  const size_t len = header.size();
  pre += static_cast<char>(len & 0xff);
  pre += static_cast<char>((len >> 8) & 0xff);
  if (!v1) {
    pre += static_cast<char>((len >> 16) & 0xff);
    pre += static_cast<char>((len >> 24) & 0xff);
  }
  out->write(pre.data(), pre.size());
  out->write(header.data(), header.size());
  if (a.nbytes() > 0) {
    out->write(a.data<char>(), a.nbytes());
  }
}

void save(std::string file, array a) {
  if (file.size() < 4 || file.compare(file.size() - 4, 4, ".npy") != 0) {
    file += ".npy";
  }
  auto writer = std::make_shared<io::FileWriter>(file, true);
  if (!writer->is_open()) {
    throw IoError("[save] Failed to open " + file + " for writing.");
  }
  save(writer, std::move(a));
  writer->commit();
}

}  // namespace mlxcpp
