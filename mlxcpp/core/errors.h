// Error types of mlxcpp.
//
// An op's argument errors throw std::invalid_argument, as MLX does. Every other
// error derives from mlxcpp::Error so a caller can catch the family or act on
// a specific kind. Messages read "[op] what is wrong; expected X, got Y".
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mlxcpp {

/** Base of every non-argument error raised by mlxcpp. */
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** A file or buffer does not follow its format. Carries the file and byte offset. */
class FormatError : public Error {
 public:
  FormatError(std::string file, uint64_t offset, const std::string& what);
  const std::string& file() const noexcept { return file_; }
  uint64_t offset() const noexcept { return offset_; }

 private:
  std::string file_;
  uint64_t offset_;
};

/** Reading or writing a file or socket failed. */
class IoError : public Error {
 public:
  using Error::Error;
};

/** The input is valid but not supported (model type, dtype, quantization mode, device). */
class Unsupported : public Error {
 public:
  using Error::Error;
};

/** An allocation would exceed the limit set with set_memory_limit, or the system is out of memory.
 */
class MemoryLimitError : public Error {
 public:
  using Error::Error;
};

/** A chat template failed to parse or render. */
class TemplateError : public Error {
 public:
  using Error::Error;
};

/** An operation was cancelled from another thread. */
class Cancelled : public Error {
 public:
  using Error::Error;
};

}  // namespace mlxcpp
