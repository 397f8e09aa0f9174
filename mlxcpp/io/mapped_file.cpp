#include "mlxcpp/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mlxcpp/core/errors.h"

namespace mlxcpp::io {

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw IoError("Cannot open " + path + ": " + std::strerror(errno) + ".");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError("Cannot map " + path + ": not a regular file.");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  const char* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw IoError("Cannot map " + path + ": " + std::strerror(err) + ".");
    }
    data = static_cast<const char*>(p);
  }
  ::close(fd);  // the mapping stays valid without the descriptor
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) {
    ::munmap(const_cast<char*>(data_), size_);
  }
}

bool MappedFile::contains(const void* p, size_t n) const {
  const char* c = static_cast<const char*>(p);
  return data_ != nullptr && c >= data_ && n <= size_ &&
         c - data_ <= static_cast<std::ptrdiff_t>(size_ - n);
}

}  // namespace mlxcpp::io
