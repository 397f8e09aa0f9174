#include "mlxcpp/core/errors.h"

namespace mlxcpp {

FormatError::FormatError(std::string file, uint64_t offset, const std::string& what)
    : Error("[" + file + " @ " + std::to_string(offset) + "] " + what),
      file_(std::move(file)),
      offset_(offset) {}

}  // namespace mlxcpp
