// SHA-256 and SHA-1 (FIPS 180-4), to check downloads against the hub's metadata: LFS
// files carry their SHA-256, other files their git blob id (SHA-1 of "blob <size>\0" + data).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mlxcpp::hub {

/** Streaming SHA-256. */
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  /** The digest as 64 lowercase hex digits; the object is spent afterwards. */
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t used_ = 0;
  uint64_t total_ = 0;
};

/** Streaming SHA-1 (only for git blob ids, never for security). */
class Sha1 {
 public:
  Sha1();
  void update(const void* data, size_t n);
  /** The digest as 40 lowercase hex digits; the object is spent afterwards. */
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 5> h_;
  std::array<uint8_t, 64> buf_{};
  size_t used_ = 0;
  uint64_t total_ = 0;
};

}  // namespace mlxcpp::hub
