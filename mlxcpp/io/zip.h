// The ZIP container under .npz: reading an archive's central directory and members
// (stored or deflated, ZIP64 aware) and writing one. Internal to io/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlxcpp/io/stream.h"

namespace mlxcpp::io::zip {

/** One member as the central directory describes it. */
struct Entry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_header_offset = 0;
};

/** The members of the archive in `in`, in directory order. Throws FormatError (file, offset)
 *  when the end record or directory is missing, truncated or points outside the file. */
std::vector<Entry> read_directory(Reader& in);

/** The uncompressed bytes of member e, checked against its size and CRC-32. Encrypted
 *  members and methods other than stored and deflate throw Unsupported. The declared size
 *  is bounded by what the compressed bytes can expand to, so a lying header cannot make
 *  this allocate more than ~1000x the archive. */
std::string read_member(Reader& in, const Entry& e);

/** Writes an archive member by member; finish() writes the central directory. ZIP64
 *  records are added where a size or offset needs them. */
class Writer {
 public:
  explicit Writer(io::Writer& out) : out_(out) {}
  /** Append a member; deflate = true compresses it (zlib level 6, as Python's zipfile). */
  void add(const std::string& name, const std::string& bytes, bool deflate);
  /** Write the central directory and end records. */
  void finish();

 private:
  io::Writer& out_;
  std::vector<Entry> entries_;
  bool finished_ = false;
};

}  // namespace mlxcpp::io::zip
