// Loading and saving arrays (MLX's io.h API): .npy, safetensors (single and
// sharded), GGUF, and .npz as our addition. Malformed files throw FormatError
// naming the file, the offset and what is wrong; unreadable ones IoError.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/utils.h"
#include "mlxcpp/io/stream.h"

namespace mlxcpp {

/** GGUF metadata values: numbers as 0-d arrays, numeric lists as 1-D arrays, strings, string
 *  lists; lists of lists are given as their JSON text. */
using GGUFMetaData = std::variant<std::monostate, array, std::string, std::vector<std::string>>;
using GGUFLoad = std::pair<std::unordered_map<std::string, array>,
                           std::unordered_map<std::string, GGUFMetaData>>;
using SafetensorsLoad =
    std::pair<std::unordered_map<std::string, array>, std::unordered_map<std::string, std::string>>;

/** Write a in .npy format (version 1.0, or 2.0 for very large headers). */
void save(std::shared_ptr<io::Writer> out_stream, array a);

/** Write a to file in .npy format (".npy" is appended when missing), atomically. */
void save(std::string file, array a);

/** Read a .npy array. Big-endian and Fortran-order data are converted; object arrays,
 *  structured dtypes and malformed headers throw FormatError naming the file and offset. */
array load(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s = {});

/** Read a .npy file. Throws IoError when it cannot be opened. */
array load(std::string file, StreamOrDevice s = {});

/** The arrays of a .npz archive (NumPy's savez / savez_compressed), keyed by member name
 *  without ".npy"; stored and deflated members, ZIP64. A member that is not a .npy array, a
 *  duplicate name, a corrupt archive or a CRC mismatch throws FormatError. (Our addition.) */
std::unordered_map<std::string, array> load_npz(std::shared_ptr<io::Reader> in_stream,
                                                StreamOrDevice s = {});
/** load_npz from a file. Throws IoError when it cannot be opened. */
std::unordered_map<std::string, array> load_npz(const std::string& file, StreamOrDevice s = {});
/** Write arrays as a .npz archive (members in name order); compressed = true deflates them
 *  as savez_compressed does. */
void save_npz(std::shared_ptr<io::Writer> out_stream, std::unordered_map<std::string, array> arrays,
              bool compressed = false);
/** Write a .npz file (".npz" is appended when missing), atomically. */
void save_npz(std::string file, std::unordered_map<std::string, array> arrays,
              bool compressed = false);

/** Arrays and metadata of a .safetensors stream (tensors are read into memory). */
SafetensorsLoad load_safetensors(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s = {});
/** Arrays and metadata of a .safetensors file. The file is memory-mapped: tensors whose data
 *  is aligned for their type view the mapping without a copy. F8 tensors load as uint8
 *  (convert with from_fp8); F64 is an extension over MLX. */
SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice s = {});
/** Write arrays (and string metadata) as safetensors, tensors in name order. */
void save_safetensors(std::shared_ptr<io::Writer> out_stream,
                      std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata = {});
/** Write a .safetensors file (the extension is appended when missing), atomically. */
void save_safetensors(std::string file, std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata = {});
/** All tensors of a sharded checkpoint from its index (model.safetensors.index.json): every
 *  tensor of the weight_map must be in the shard it names and no shard may hold others. */
SafetensorsLoad load_sharded_safetensors(const std::string& index_file, StreamOrDevice s = {});

/** Arrays and metadata of a GGUF (v2 or v3) file. Plain tensors keep their type (views of
 *  the file mapping when aligned); Q4_0, Q4_1 and Q8_0 load as MLX affine triplets ("name",
 *  "prefix.scales", "prefix.biases" with prefix the name without ".weight"; groups of 32,
 *  float16 scales and biases), as MLX does; other quantized types dequantize to float16. */
GGUFLoad load_gguf(const std::string& file, StreamOrDevice s = {});
/** Write a GGUF v3 file atomically: float and signed integer arrays as their type, affine
 *  triplets (4 or 8 bits, groups of 32, float16 scales and biases) as Q4_0, Q4_1 or Q8_0. */
void save_gguf(std::string file, std::unordered_map<std::string, array> array_map,
               std::unordered_map<std::string, GGUFMetaData> meta_data = {});

namespace io {
/** Float weights quantized to GGUF's "Q4_0", "Q4_1" or "Q8_0" (GGML's rounding), returned as
 *  the {weight, scales, biases} triplet load_gguf gives for such a tensor. */
std::vector<array> gguf_quantize(const array& w, const std::string& type);
}  // namespace io

}  // namespace mlxcpp
