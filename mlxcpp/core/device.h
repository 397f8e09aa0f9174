// Device: where arrays are computed. The CPU is always available; the gpu
// device type exists so a backend can be added later.
#pragma once

#include <cstddef>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>

namespace mlxcpp {

struct Device {
  enum class DeviceType {
    cpu,
    gpu,
  };

  static constexpr DeviceType cpu = DeviceType::cpu;
  static constexpr DeviceType gpu = DeviceType::gpu;

  Device(DeviceType type, int index = 0) : type(type), index(index) {}

  DeviceType type;
  int index;

  bool operator==(const Device&) const = default;
  bool operator<(const Device& rhs) const {
    return std::tie(type, index) < std::tie(rhs.type, rhs.index);
  }
};

inline bool operator==(const Device& device, Device::DeviceType type) {
  return device.type == type;
}

/** The device ops run on when none is given (cpu until a gpu backend exists). */
const Device& default_device();

/** Make d the default device; throws std::invalid_argument if d is not available. */
void set_default_device(const Device& d);

/** Whether this build and machine can run arrays on d. */
bool is_available(const Device& d);

/** Number of devices of the given type (0 for gpu in a CPU-only build). */
int device_count(Device::DeviceType type);

/** Properties of a device: device_name, architecture, memory_size (bytes), threads. */
const std::unordered_map<std::string, std::variant<std::string, size_t>>& device_info(
    const Device& d = default_device());

}  // namespace mlxcpp
