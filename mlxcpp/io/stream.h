// Byte sources and sinks for the file formats (as MLX's io::Reader/Writer).
#pragma once

#include <cstdint>
#include <ios>
#include <memory>
#include <string>

namespace mlxcpp::io {

class Reader {
 public:
  virtual ~Reader() = default;
  virtual bool is_open() const = 0;
  virtual bool good() const = 0;
  virtual size_t tell() = 0;
  virtual void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) = 0;
  /** Read exactly n bytes at the current position; throws IoError when fewer are available. */
  virtual void read(char* data, size_t n) = 0;
  /** Read exactly n bytes at offset; throws IoError when fewer are available. */
  virtual void read(char* data, size_t n, size_t offset) = 0;
  /** Total size in bytes. The default finds it by seeking to the end (MLX's Reader has no
   *  size(), so readers written for MLX work unchanged). */
  virtual size_t size() {
    const size_t pos = tell();
    seek(0, std::ios_base::end);
    const size_t end = tell();
    seek(static_cast<int64_t>(pos));
    return end;
  }
  /** A name for messages (the file path). */
  virtual std::string label() const = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  virtual bool is_open() const = 0;
  virtual bool good() const = 0;
  virtual size_t tell() = 0;
  virtual void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) = 0;
  /** Write n bytes; throws IoError on failure. */
  virtual void write(const char* data, size_t n) = 0;
  virtual std::string label() const = 0;
};

/** Reads a file with positional reads (safe to share between threads for read(data, n, offset)). */
class FileReader : public Reader {
 public:
  explicit FileReader(std::string path);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  bool is_open() const override { return fd_ >= 0; }
  bool good() const override { return fd_ >= 0; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) override;
  void read(char* data, size_t n) override;
  void read(char* data, size_t n, size_t offset) override;
  size_t size() override;
  std::string label() const override { return path_; }

 private:
  int fd_;
  std::string path_;
  size_t pos_{0};
};

/** Writes a file. With atomic = true it writes to a temporary file beside the target and
 *  renames it over the target in commit(); a writer destroyed without commit() leaves the
 *  target untouched. */
class FileWriter : public Writer {
 public:
  explicit FileWriter(std::string path, bool atomic = false);
  ~FileWriter() override;
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  bool is_open() const override { return fd_ >= 0; }
  bool good() const override { return fd_ >= 0; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) override;
  void write(const char* data, size_t n) override;
  std::string label() const override { return path_; }
  /** Flush and (when atomic) move the file into place. */
  void commit();

 private:
  int fd_;
  std::string path_;
  std::string temp_path_;
  size_t pos_{0};
  bool committed_{false};
};

/** Reads bytes held in memory (a member of an archive, a download). */
class MemoryReader : public Reader {
 public:
  MemoryReader(std::string bytes, std::string label)
      : bytes_(std::move(bytes)), label_(std::move(label)) {}
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) override;
  void read(char* data, size_t n) override;
  void read(char* data, size_t n, size_t offset) override;
  size_t size() override { return bytes_.size(); }
  std::string label() const override { return label_; }

 private:
  std::string bytes_;
  std::string label_;
  size_t pos_{0};
};

/** Collects what is written in memory; seeking back overwrites. */
class StringWriter : public Writer {
 public:
  explicit StringWriter(std::string label = "<memory>") : label_(std::move(label)) {}
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) override;
  void write(const char* data, size_t n) override;
  std::string label() const override { return label_; }
  /** Everything written so far. */
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
  std::string label_;
  size_t pos_{0};
};

}  // namespace mlxcpp::io
