// Shared by the fuzz targets: the errors a malformed file may raise (anything else, and
// any sanitizer report, is a finding), and touching every byte of what was loaded so a
// view past the end of a buffer is caught.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "mlxcpp/mlxcpp.h"

namespace mlxcpp::fuzz {

/** Reads every element of a (and so every byte its view covers). */
inline void touch(const array& a) {
  if (a.size() > 0 && a.dtype() != complex64) {
    auto s = sum(astype(a, float32));
    s.eval();
    volatile float sink = s.item<float>();
    (void)sink;
  } else {
    eval(a);
  }
}

/** Runs f, accepting only the documented failure types of a loader. */
template <typename F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const Error&) {  // FormatError, IoError, Unsupported, MemoryLimitError
  } catch (const std::invalid_argument&) {
  }
}

/** A file holding data, for the loaders that take a path; removed on destruction. */
class TempFile {
 public:
  TempFile(const uint8_t* data, size_t size) {
    char name[] = "/dev/shm/mlxcpp_fuzz_XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0) {
      std::perror("mkstemp");
      std::abort();
    }
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd, data + done, size - done);
      if (n <= 0) {
        std::abort();
      }
      done += size_t(n);
    }
    ::close(fd);
    path_ = name;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mlxcpp::fuzz
