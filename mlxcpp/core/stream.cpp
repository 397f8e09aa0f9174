#include "mlxcpp/core/stream.h"

#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "mlxcpp/core/scheduler.h"

namespace mlxcpp {

namespace {

struct StreamList {
  std::mutex mutex;
  std::vector<Stream> streams;
  int thread_local_count{0};
};

StreamList& stream_list() {
  static StreamList* list = new StreamList();
  return *list;
}

// Each thread has its own default stream per device; unset, it is the
// process-wide default stream of that device (created on first use).
std::optional<Stream>& thread_default(const Device& d) {
  static thread_local std::map<Device, std::optional<Stream>> defaults;
  return defaults[d];
}

Stream process_default(const Device& d) {
  static std::map<Device, Stream>* defaults = new std::map<Device, Stream>();
  auto& list = stream_list();
  {
    std::lock_guard lock(list.mutex);
    auto it = defaults->find(d);
    if (it != defaults->end()) {
      return it->second;
    }
  }
  Stream s = new_stream(d);
  std::lock_guard lock(list.mutex);
  return defaults->emplace(d, s).first->second;
}

void check_device(const Device& d, const char* op) {
  if (!is_available(d)) {
    throw std::invalid_argument(std::string("[") + op +
                                "] The device is not available; expected cpu (this build has no "
                                "gpu backend).");
  }
}

}  // namespace

Stream default_stream(Device d) {
  check_device(d, "default_stream");
  auto& s = thread_default(d);
  if (!s) {
    return process_default(d);
  }
  return *s;
}

void set_default_stream(Stream s) {
  check_device(s.device, "set_default_stream");
  thread_default(s.device) = s;
}

Stream new_stream(Device d) {
  check_device(d, "new_stream");
  auto& list = stream_list();
  std::lock_guard lock(list.mutex);
  Stream s(static_cast<int>(list.streams.size()), d);
  list.streams.push_back(s);
  return s;
}

Stream new_thread_unsafe_stream(Device d) {
  return new_stream(d);
}

ThreadLocalStream new_thread_local_stream(Device d) {
  check_device(d, "new_thread_local_stream");
  auto& list = stream_list();
  std::lock_guard lock(list.mutex);
  return ThreadLocalStream(list.thread_local_count++, d);
}

Stream stream_from_thread_local_stream(ThreadLocalStream tls) {
  static thread_local std::map<int, Stream> streams;
  auto it = streams.find(tls.index);
  if (it == streams.end()) {
    it = streams.emplace(tls.index, new_stream(tls.device)).first;
  }
  return it->second;
}

std::vector<Stream> get_streams() {
  auto& list = stream_list();
  std::lock_guard lock(list.mutex);
  return list.streams;
}

void synchronize() {
  synchronize(default_stream(default_device()));
}

void synchronize(Stream s) {
  scheduler::wait_for(s);
}

void synchronize(ThreadLocalStream tls) {
  synchronize(stream_from_thread_local_stream(tls));
}

void clear_streams() {
  thread_default(Device::cpu).reset();
  thread_default(Device::gpu).reset();
}

}  // namespace mlxcpp
