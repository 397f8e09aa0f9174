#include "mlxcpp/io/stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "mlxcpp/core/errors.h"

namespace mlxcpp::io {

namespace {
std::string errno_text() {
  return std::strerror(errno);
}

size_t resolve_seek(size_t pos, size_t size, int64_t off, std::ios_base::seekdir way,
                    const std::string& label) {
  int64_t base = 0;
  if (way == std::ios_base::cur) {
    base = static_cast<int64_t>(pos);
  } else if (way == std::ios_base::end) {
    base = static_cast<int64_t>(size);
  }
  const int64_t target = base + off;
  if (target < 0) {
    throw IoError("[" + label + "] Cannot seek before the start of the file.");
  }
  return static_cast<size_t>(target);
}
}  // namespace

FileReader::FileReader(std::string path)
    : fd_(::open(path.c_str(), O_RDONLY)), path_(std::move(path)) {}

FileReader::~FileReader() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

size_t FileReader::size() {
  struct stat st;
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) {
    throw IoError("[" + path_ + "] Cannot read the file size: " + errno_text());
  }
  return static_cast<size_t>(st.st_size);
}

void FileReader::seek(int64_t off, std::ios_base::seekdir way) {
  pos_ = resolve_seek(pos_, way == std::ios_base::end ? size() : 0, off, way, path_);
}

void FileReader::read(char* data, size_t n) {
  read(data, n, pos_);
  pos_ += n;
}

void FileReader::read(char* data, size_t n, size_t offset) {
  if (fd_ < 0) {
    throw IoError("[" + path_ + "] The file is not open.");
  }
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, data + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError("[" + path_ + "] Read failed: " + errno_text());
    }
    if (r == 0) {
      throw IoError("[" + path_ + "] Unexpected end of file; expected " + std::to_string(n) +
                    " bytes at offset " + std::to_string(offset) + ", got " + std::to_string(done) +
                    ".");
    }
    done += static_cast<size_t>(r);
  }
}

FileWriter::FileWriter(std::string path, bool atomic) : fd_(-1), path_(std::move(path)) {
  std::string target = path_;
  if (atomic) {
    std::random_device rd;
    temp_path_ = path_ + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(rd());
    target = temp_path_;
  }
  fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

FileWriter::~FileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  if (!temp_path_.empty() && !committed_) {
    ::unlink(temp_path_.c_str());
  }
}

void FileWriter::seek(int64_t off, std::ios_base::seekdir way) {
  struct stat st;
  size_t size = 0;
  if (way == std::ios_base::end && fd_ >= 0 && ::fstat(fd_, &st) == 0) {
    size = static_cast<size_t>(st.st_size);
  }
  pos_ = resolve_seek(pos_, size, off, way, path_);
}

void FileWriter::write(const char* data, size_t n) {
  if (fd_ < 0) {
    throw IoError("[" + path_ + "] The file is not open for writing.");
  }
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::pwrite(fd_, data + done, n - done, static_cast<off_t>(pos_ + done));
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError("[" + path_ + "] Write failed: " + errno_text());
    }
    done += static_cast<size_t>(w);
  }
  pos_ += n;
}

void FileWriter::commit() {
  if (fd_ < 0) {
    throw IoError("[" + path_ + "] The file is not open for writing.");
  }
  if (::fsync(fd_) != 0) {
    throw IoError("[" + path_ + "] Flushing the file failed: " + errno_text());
  }
  if (!temp_path_.empty()) {
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      throw IoError("[" + path_ + "] Moving the written file into place failed: " + errno_text());
    }
  }
  committed_ = true;
}

void MemoryReader::seek(int64_t off, std::ios_base::seekdir way) {
  pos_ = resolve_seek(pos_, bytes_.size(), off, way, label_);
}

void MemoryReader::read(char* data, size_t n) {
  read(data, n, pos_);
  pos_ += n;
}

void MemoryReader::read(char* data, size_t n, size_t offset) {
  if (offset > bytes_.size() || n > bytes_.size() - offset) {
    throw IoError("[" + label_ + "] Unexpected end of data; expected " + std::to_string(n) +
                  " bytes at offset " + std::to_string(offset) + ", have " +
                  std::to_string(bytes_.size()) + " in all.");
  }
  std::memcpy(data, bytes_.data() + offset, n);
}

void StringWriter::seek(int64_t off, std::ios_base::seekdir way) {
  pos_ = resolve_seek(pos_, bytes_.size(), off, way, label_);
}

void StringWriter::write(const char* data, size_t n) {
  if (pos_ > bytes_.size()) {
    bytes_.resize(pos_, '\0');
  }
  const size_t overlap = std::min(n, bytes_.size() - pos_);
  bytes_.replace(pos_, overlap, data, n);
  pos_ += n;
}

}  // namespace mlxcpp::io
