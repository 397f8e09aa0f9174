// Buffers and the caching allocator behind every array.
#pragma once

#include <cstddef>

namespace mlxcpp::allocator {

/** A block of memory: its address, its usable size in bytes, and whether the
 *  allocator owns it (malloc) or it wraps memory owned elsewhere (make_buffer). */
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(void* ptr, size_t size = 0, bool owned = false)
      : ptr_(ptr), size_(size), owned_(owned) {}

  void* raw_ptr() { return ptr_; }
  void* ptr() { return ptr_; }
  const void* ptr() const { return ptr_; }
  size_t size() const { return size_; }
  /** True for buffers from malloc: kernels may reuse them; free returns them to the cache. */
  bool owned() const { return owned_; }

 private:
  void* ptr_{nullptr};
  size_t size_{0};
  bool owned_{false};
};

/** Alignment in bytes of every buffer malloc returns. */
inline constexpr size_t alignment = 64;

/** Allocate at least size bytes (reusing a cached block when one fits).
 *  Throws MemoryLimitError when the allocation would pass the memory limit or
 *  the system has no memory left. size 0 gives an empty buffer. */
Buffer malloc(size_t size);

/** Return a buffer from malloc; it goes to the cache or back to the system. */
void free(Buffer buffer);

/** Wrap memory the allocator does not own, without a copy. Never freed by the allocator. */
inline Buffer make_buffer(void* ptr, size_t size) {
  return Buffer(ptr, size);
}

/** Let go of a buffer from make_buffer (nothing to free; its owner frees it). */
inline void release(Buffer) {}

}  // namespace mlxcpp::allocator
