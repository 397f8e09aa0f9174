// Loading and saving arrays (MLX's io.h API). This issue provides .npy; the
// model-files issue adds safetensors, GGUF and npz.
#pragma once

#include <memory>
#include <string>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/utils.h"
#include "mlxcpp/io/stream.h"

namespace mlxcpp {

/** Write a in .npy format (version 1.0, or 2.0 for very large headers). */
void save(std::shared_ptr<io::Writer> out_stream, array a);

/** Write a to file in .npy format (".npy" is appended when missing), atomically. */
void save(std::string file, array a);

/** Read a .npy array. Big-endian and Fortran-order data are converted; object arrays,
 *  structured dtypes and malformed headers throw FormatError naming the file and offset. */
array load(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s = {});

/** Read a .npy file. Throws IoError when it cannot be opened. */
array load(std::string file, StreamOrDevice s = {});

}  // namespace mlxcpp
