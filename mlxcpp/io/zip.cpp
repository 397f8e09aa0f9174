// ZIP reading and writing as PKWARE's APPNOTE (6.3) describes it, limited to what .npz
// files use: one disk, stored and deflated members, ZIP64 extensions.
#include "mlxcpp/io/zip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "mlxcpp/core/errors.h"

namespace mlxcpp::io::zip {

namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndRecord = 0x06054b50;
constexpr uint32_t kZip64EndRecord = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t k32Max = 0xffffffffu;
constexpr uint16_t k16Max = 0xffffu;
constexpr size_t kEndRecordSize = 22;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
// Deflate expands at most ~1032:1; anything claiming more is lying.
constexpr uint64_t kMaxDeflateRatio = 1032;
// 1980-01-01 00:00 in MS-DOS format: archives we write do not depend on the clock.
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

uint64_t le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  }
  return v;
}

void put(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

// Bounds-checked little-endian reads from a buffer that came from `file` at `base`.
class Cursor {
 public:
  Cursor(const std::string& buf, std::string file, uint64_t base)
      : buf_(buf), file_(std::move(file)), base_(base) {}
  uint64_t take(size_t at, int bytes) const {
    need(at, static_cast<size_t>(bytes));
    return le(buf_.data() + at, bytes);
  }
  std::string text(size_t at, size_t n) const {
    need(at, n);
    return buf_.substr(at, n);
  }
  void need(size_t at, size_t n) const {
    if (at > buf_.size() || n > buf_.size() - at) {
      fail(at, "record runs past the end of the central directory");
    }
  }
  [[noreturn]] void fail(size_t at, const std::string& what) const {
    throw FormatError(file_, base_ + at, "[load_npz] " + what);
  }

 private:
  const std::string& buf_;
  std::string file_;
  uint64_t base_;
};

std::string read_at(Reader& in, uint64_t offset, size_t n) {
  std::string buf(n, '\0');
  in.read(buf.data(), n, offset);
  return buf;
}

struct Directory {
  uint64_t entries = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

// Reads the ZIP64 end record that the locator just before the end record at eocd points to.
void read_zip64_end(Reader& in, uint64_t eocd, Directory& dir) {
  const std::string file = in.label();
  if (eocd < 20) {
    throw FormatError(file, eocd, "[load_npz] ZIP64 sizes without a ZIP64 end record locator");
  }
  const std::string loc = read_at(in, eocd - 20, 20);
  if (le(loc.data(), 4) != kZip64Locator) {
    throw FormatError(file, eocd - 20, "[load_npz] ZIP64 sizes without a ZIP64 end record locator");
  }
  const uint64_t at = le(loc.data() + 8, 8);
  if (at > eocd - 20 || eocd - 20 - at < 56) {
    throw FormatError(file, eocd - 20, "[load_npz] ZIP64 end record offset out of range");
  }
  const std::string rec = read_at(in, at, 56);
  if (le(rec.data(), 4) != kZip64EndRecord) {
    throw FormatError(file, at, "[load_npz] bad ZIP64 end record signature");
  }
  if (le(rec.data() + 16, 4) != 0 || le(rec.data() + 20, 4) != 0) {
    throw Unsupported("[load_npz] " + file + ": multi-disk ZIP archives are not supported");
  }
  dir.entries = le(rec.data() + 32, 8);
  dir.size = le(rec.data() + 40, 8);
  dir.offset = le(rec.data() + 48, 8);
}

// Applies the ZIP64 extended-information field to the values that overflowed 32 bits.
void apply_zip64_extra(const Cursor& c, size_t at, size_t len, Entry& e, bool offset_overflow) {
  const size_t end = at + len;
  while (at + 4 <= end) {
    const uint64_t id = c.take(at, 2);
    const uint64_t n = c.take(at + 2, 2);
    at += 4;
    if (n > end - at) {
      c.fail(at, "extra field of member '" + e.name + "' runs past its record");
    }
    if (id == kZip64ExtraId) {
      size_t p = at;
      auto next = [&](uint64_t& v) {
        if (p + 8 > at + n) {
          c.fail(p, "ZIP64 field of member '" + e.name + "' is too short");
        }
        v = c.take(p, 8);
        p += 8;
      };
      if (e.size == k32Max)
        next(e.size);
      if (e.compressed_size == k32Max)
        next(e.compressed_size);
      if (offset_overflow)
        next(e.local_header_offset);
      return;
    }
    at += n;
  }
}

}  // namespace

std::vector<Entry> read_directory(Reader& in) {
  const std::string file = in.label();
  const uint64_t size = in.size();
  if (size < kEndRecordSize) {
    throw FormatError(file, 0, "[load_npz] not a ZIP archive: too short for an end record");
  }
  const size_t tail_len = static_cast<size_t>(std::min<uint64_t>(size, kEndRecordSize + k16Max));
  const uint64_t tail_at = size - tail_len;
  const std::string tail = read_at(in, tail_at, tail_len);
  // The end record is the last signature whose comment length reaches the end of the file.
  size_t pos = std::string::npos;
  for (size_t i = tail_len - kEndRecordSize + 1; i-- > 0;) {
    if (le(tail.data() + i, 4) == kEndRecord &&
        i + kEndRecordSize + le(tail.data() + i + 20, 2) <= tail_len) {
      pos = i;
      break;
    }
  }
  if (pos == std::string::npos) {
    throw FormatError(file, size, "[load_npz] not a ZIP archive: no end of central directory");
  }
  const char* r = tail.data() + pos;
  const uint64_t eocd = tail_at + pos;
  if (le(r + 4, 2) != 0 || le(r + 6, 2) != 0) {
    throw Unsupported("[load_npz] " + file + ": multi-disk ZIP archives are not supported");
  }
  Directory dir{le(r + 10, 2), le(r + 12, 4), le(r + 16, 4)};
  if (dir.entries == k16Max || dir.size == k32Max || dir.offset == k32Max) {
    read_zip64_end(in, eocd, dir);
  }
  if (dir.offset > eocd || dir.size > eocd - dir.offset) {
    throw FormatError(file, eocd, "[load_npz] central directory lies outside the file");
  }
  if (dir.entries > dir.size / kCentralHeaderSize) {
    throw FormatError(file, eocd, "[load_npz] end record claims more members than fit");
  }
  const std::string buf = read_at(in, dir.offset, static_cast<size_t>(dir.size));
  const Cursor c(buf, file, dir.offset);
  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(dir.entries));
  size_t at = 0;
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (c.take(at, 4) != kCentralHeader) {
      c.fail(at, "bad central directory signature");
    }
    Entry e;
    e.flags = static_cast<uint16_t>(c.take(at + 8, 2));
    e.method = static_cast<uint16_t>(c.take(at + 10, 2));
    e.crc32 = static_cast<uint32_t>(c.take(at + 16, 4));
    e.compressed_size = c.take(at + 20, 4);
    e.size = c.take(at + 24, 4);
    const size_t name_len = c.take(at + 28, 2);
    const size_t extra_len = c.take(at + 30, 2);
    const size_t comment_len = c.take(at + 32, 2);
    e.local_header_offset = c.take(at + 42, 4);
    e.name = c.text(at + kCentralHeaderSize, name_len);
    const size_t extra_at = at + kCentralHeaderSize + name_len;
    c.need(extra_at, extra_len + comment_len);
    const bool offset_overflow = e.local_header_offset == k32Max;
    apply_zip64_extra(c, extra_at, extra_len, e, offset_overflow);
    at = extra_at + extra_len + comment_len;
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string read_member(Reader& in, const Entry& e) {
  const std::string file = in.label();
  const uint64_t size = in.size();
  const uint64_t off = e.local_header_offset;
  auto fail = [&](uint64_t at, const std::string& what) -> FormatError {
    return FormatError(file, at, "[load_npz] member '" + e.name + "': " + what);
  };
  if (e.flags & 1) {
    throw Unsupported("[load_npz] " + file + ": member '" + e.name + "' is encrypted");
  }
  if (e.method != 0 && e.method != 8) {
    throw Unsupported("[load_npz] " + file + ": member '" + e.name + "' uses compression method " +
                      std::to_string(e.method) + "; only stored (0) and deflate (8) are supported");
  }
  if (off > size || size - off < kLocalHeaderSize) {
    throw fail(off, "local header lies outside the file");
  }
  const std::string h = read_at(in, off, kLocalHeaderSize);
  if (le(h.data(), 4) != kLocalHeader) {
    throw fail(off, "bad local header signature");
  }
  const uint64_t data_at = off + kLocalHeaderSize + le(h.data() + 26, 2) + le(h.data() + 28, 2);
  if (data_at > size || e.compressed_size > size - data_at) {
    throw fail(data_at, "data runs past the end of the file");
  }
  const std::string packed = read_at(in, data_at, static_cast<size_t>(e.compressed_size));
  std::string out;
  if (e.method == 0) {
    if (e.size != e.compressed_size) {
      throw fail(off, "stored member with different sizes");
    }
    out = packed;
  } else {
    if (e.size > e.compressed_size * kMaxDeflateRatio + 64) {
      throw fail(off, "declared size " + std::to_string(e.size) + " cannot come from " +
                          std::to_string(e.compressed_size) + " deflated bytes");
    }
    out.assign(static_cast<size_t>(e.size), '\0');
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
      throw Error("[load_npz] zlib inflateInit2 failed");
    }
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = static_cast<uInt>(std::min<uint64_t>(packed.size(), UINT32_MAX));
    uint64_t in_left = packed.size() - z.avail_in;
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(std::min<uint64_t>(out.size(), UINT32_MAX));
    uint64_t out_left = out.size() - z.avail_out;
    int rc = Z_OK;
    while (rc == Z_OK) {
      if (z.avail_in == 0 && in_left > 0) {
        z.avail_in = static_cast<uInt>(std::min<uint64_t>(in_left, UINT32_MAX));
        in_left -= z.avail_in;
      }
      if (z.avail_out == 0 && out_left > 0) {
        z.avail_out = static_cast<uInt>(std::min<uint64_t>(out_left, UINT32_MAX));
        out_left -= z.avail_out;
      }
      // Z_BUF_ERROR (no progress: truncated input or more output than declared) ends the
      // loop like any other error and is reported below.
      rc = inflate(&z, Z_NO_FLUSH);
    }
    const uint64_t produced = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || produced != e.size) {
      throw fail(data_at, rc == Z_DATA_ERROR ? "corrupt deflate data"
                                             : "deflate data does not match the declared size " +
                                                   std::to_string(e.size));
    }
  }
  const uint32_t crc =
      static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(out.data()), out.size()));
  if (crc != e.crc32) {
    throw fail(data_at, "CRC-32 mismatch (the data is corrupt)");
  }
  return out;
}

namespace {

std::string deflate_raw(const std::string& bytes) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error("[save_npz] zlib deflateInit2 failed");
  }
  std::string out(deflateBound(&z, bytes.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    throw Error("[save_npz] zlib deflate failed");
  }
  return out;
}

}  // namespace

void Writer::add(const std::string& name, const std::string& bytes, bool deflate) {
  if (finished_) {
    throw std::logic_error("[save_npz] member added after finish()");
  }
  if (name.size() > k16Max) {
    throw std::invalid_argument("[save_npz] member name longer than 65535 bytes");
  }
  if (deflate && bytes.size() > UINT32_MAX) {
    throw Unsupported("[save_npz] compressed members over 4 GiB are not supported");
  }
  Entry e;
  e.name = name;
  e.method = deflate ? 8 : 0;
  e.crc32 =
      static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
  e.size = bytes.size();
  e.local_header_offset = out_.tell();
  const std::string packed = deflate ? deflate_raw(bytes) : std::string();
  const std::string& data = deflate ? packed : bytes;
  e.compressed_size = data.size();
  const bool zip64 = e.size >= k32Max || e.compressed_size >= k32Max;
  std::string h;
  put(h, kLocalHeader, 4);
  put(h, zip64 ? 45 : 20, 2);
  put(h, 0, 2);  // flags
  put(h, e.method, 2);
  put(h, 0, 2);  // time
  put(h, kDosDate, 2);
  put(h, e.crc32, 4);
  put(h, zip64 ? k32Max : e.compressed_size, 4);
  put(h, zip64 ? k32Max : e.size, 4);
  put(h, name.size(), 2);
  put(h, zip64 ? 20 : 0, 2);
  h += name;
  if (zip64) {
    put(h, kZip64ExtraId, 2);
    put(h, 16, 2);
    put(h, e.size, 8);
    put(h, e.compressed_size, 8);
  }
  out_.write(h.data(), h.size());
  out_.write(data.data(), data.size());
  entries_.push_back(std::move(e));
}

void Writer::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  const uint64_t dir_at = out_.tell();
  std::string d;
  for (const Entry& e : entries_) {
    std::string extra;
    if (e.size >= k32Max)
      put(extra, e.size, 8);
    if (e.compressed_size >= k32Max)
      put(extra, e.compressed_size, 8);
    if (e.local_header_offset >= k32Max)
      put(extra, e.local_header_offset, 8);
    const bool zip64 = !extra.empty();
    put(d, kCentralHeader, 4);
    put(d, (3 << 8) | 45, 2);  // made by: Unix, spec 4.5
    put(d, zip64 ? 45 : 20, 2);
    put(d, 0, 2);
    put(d, e.method, 2);
    put(d, 0, 2);
    put(d, kDosDate, 2);
    put(d, e.crc32, 4);
    put(d, std::min<uint64_t>(e.compressed_size, k32Max), 4);
    put(d, std::min<uint64_t>(e.size, k32Max), 4);
    put(d, e.name.size(), 2);
    put(d, zip64 ? extra.size() + 4 : 0, 2);
    put(d, 0, 2);  // comment
    put(d, 0, 2);  // disk
    put(d, 0, 2);  // internal attributes
    put(d, uint64_t(0100644) << 16, 4);
    put(d, std::min<uint64_t>(e.local_header_offset, k32Max), 4);
    d += e.name;
    if (zip64) {
      put(d, kZip64ExtraId, 2);
      put(d, extra.size(), 2);
      d += extra;
    }
  }
  const uint64_t dir_size = d.size();
  const uint64_t count = entries_.size();
  if (count >= k16Max || dir_at >= k32Max || dir_size >= k32Max) {
    const uint64_t rec_at = dir_at + dir_size;
    put(d, kZip64EndRecord, 4);
    put(d, 44, 8);  // size of the rest of this record
    put(d, (3 << 8) | 45, 2);
    put(d, 45, 2);
    put(d, 0, 4);
    put(d, 0, 4);
    put(d, count, 8);
    put(d, count, 8);
    put(d, dir_size, 8);
    put(d, dir_at, 8);
    put(d, kZip64Locator, 4);
    put(d, 0, 4);
    put(d, rec_at, 8);
    put(d, 1, 4);
  }
  put(d, kEndRecord, 4);
  put(d, 0, 2);
  put(d, 0, 2);
  put(d, std::min<uint64_t>(count, k16Max), 2);
  put(d, std::min<uint64_t>(count, k16Max), 2);
  put(d, std::min<uint64_t>(dir_size, k32Max), 4);
  put(d, std::min<uint64_t>(dir_at, k32Max), 4);
  put(d, 0, 2);
  out_.write(d.data(), d.size());
}

}  // namespace mlxcpp::io::zip
