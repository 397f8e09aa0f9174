// A read-only memory mapping of a whole file, shared by the arrays that view it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace mlxcpp::io {

class MappedFile {
 public:
  /** Maps path read-only; throws IoError when it cannot be opened or mapped. */
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  /** True when [p, p + n) lies inside the mapping. */
  bool contains(const void* p, size_t n) const;

 private:
  MappedFile(std::string path, const char* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const char* data_;
  size_t size_;
};

}  // namespace mlxcpp::io
