// Stream: an ordered queue of work on a device. async_eval runs a graph on
// its stream's worker thread; eval runs it on the calling thread.
#pragma once

#include <tuple>
#include <vector>

#include "mlxcpp/core/device.h"

namespace mlxcpp {

struct Stream {
  int index;
  Device device;
  explicit Stream(int index, Device device) : index(index), device(device) {}

  bool operator==(const Stream&) const = default;
  bool operator<(const Stream& rhs) const {
    return std::tie(device, index) < std::tie(rhs.device, rhs.index);
  }
};

/** A stream handle that names a different stream in each thread that uses it. */
struct ThreadLocalStream : public Stream {
  using Stream::Stream;
};

/** The current thread's default stream for device d. */
Stream default_stream(Device d);

/** Make s the default for its device in the current thread. */
void set_default_stream(Stream s);

/** A new stream on device d. */
Stream new_stream(Device d);

/** A new stream; on the CPU it is the same as new_stream. */
Stream new_thread_unsafe_stream(Device d);

/** A stream handle that resolves to a separate stream in each thread. */
ThreadLocalStream new_thread_local_stream(Device d);

/** The current thread's stream for a ThreadLocalStream. */
Stream stream_from_thread_local_stream(ThreadLocalStream tls);

/** Every stream created so far. */
std::vector<Stream> get_streams();

/** Wait until all work queued on the default stream has finished. */
void synchronize();

/** Wait until all work queued on s has finished. */
void synchronize(Stream s);

/** Wait until all work queued on the current thread's stream for tls has finished. */
void synchronize(ThreadLocalStream tls);

/** Forget the current thread's default streams (later calls create new ones). */
void clear_streams();

}  // namespace mlxcpp
