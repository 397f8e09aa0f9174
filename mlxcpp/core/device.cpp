#include "mlxcpp/core/device.h"

#include <unistd.h>

#include <fstream>
#include <mutex>
#include <stdexcept>

#include "mlxcpp/backend/cpu/threadpool.h"

namespace mlxcpp {

namespace {

std::mutex& device_mutex() {
  static std::mutex m;
  return m;
}

Device& mutable_default_device() {
  static Device d{Device::cpu};
  return d;
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto pos = line.find(':');
      if (pos != std::string::npos) {
        return line.substr(pos + 2);
      }
    }
  }
#if defined(__x86_64__)
  return "x86_64 CPU";
#elif defined(__aarch64__)
  return "arm64 CPU";
#else
  return "CPU";
#endif
}

}  // namespace

const Device& default_device() {
  std::lock_guard lock(device_mutex());
  return mutable_default_device();
}

void set_default_device(const Device& d) {
  if (!is_available(d)) {
    throw std::invalid_argument(
        "[set_default_device] Cannot set the default device to one that is not available; "
        "expected cpu (this build has no gpu backend).");
  }
  std::lock_guard lock(device_mutex());
  mutable_default_device() = d;
}

bool is_available(const Device& d) {
  return d.type == Device::cpu && d.index >= 0 && d.index < device_count(Device::cpu);
}

int device_count(Device::DeviceType type) {
  return type == Device::cpu ? 1 : 0;
}

const std::unordered_map<std::string, std::variant<std::string, size_t>>& device_info(
    const Device& d) {
  if (!is_available(d)) {
    throw std::invalid_argument("[device_info] The device is not available; expected cpu.");
  }
  static const auto info = [] {
    std::unordered_map<std::string, std::variant<std::string, size_t>> m;
    m["device_name"] = cpu_model_name();
#if defined(__x86_64__)
    m["architecture"] = std::string("x86_64");
#elif defined(__aarch64__)
    m["architecture"] = std::string("arm64");
#else
    m["architecture"] = std::string("unknown");
#endif
    long pages = sysconf(_SC_PHYS_PAGES);
    long psize = sysconf(_SC_PAGE_SIZE);
    m["memory_size"] = static_cast<size_t>(pages > 0 && psize > 0 ? pages * psize : 0);
    m["threads"] = static_cast<size_t>(cpu::num_threads());
    return m;
  }();
  return info;
}

}  // namespace mlxcpp
