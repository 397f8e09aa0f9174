// MLX's memory API over the caching allocator.
//
// A deliberate difference from MLX, which treats the memory limit as a
// guideline: an allocation that would pass the limit throws MemoryLimitError.
#pragma once

#include <cstddef>

namespace mlxcpp {

/** Bytes held by live arrays and buffers (the cache not included). */
size_t get_active_memory();

/** The largest active memory seen since start or the last reset_peak_memory. */
size_t get_peak_memory();

/** Reset the recorded peak to zero, as MLX does. */
void reset_peak_memory();

/** Bytes held in the allocator's cache, free for reuse. */
size_t get_cache_memory();

/** Set the memory limit in bytes; returns the previous one. Defaults to the machine's RAM. */
size_t set_memory_limit(size_t limit);

/** The current memory limit in bytes. */
size_t get_memory_limit();

/** Set the cache limit in bytes (0 disables the cache); returns the previous one. */
size_t set_cache_limit(size_t limit);

/** Return every cached block to the system. */
void clear_cache();

/** Wired memory only matters on Apple GPUs; kept for API compatibility. Returns the previous value.
 */
size_t set_wired_limit(size_t limit);

}  // namespace mlxcpp
