// .npz: a ZIP archive of .npy members, as NumPy's savez / savez_compressed write it.
#include <algorithm>
#include <map>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/transforms.h"
#include "mlxcpp/io/io.h"
#include "mlxcpp/io/zip.h"

namespace mlxcpp {

namespace {

constexpr const char* kNpySuffix = ".npy";

}  // namespace

std::unordered_map<std::string, array> load_npz(std::shared_ptr<io::Reader> in, StreamOrDevice s) {
  if (!in || !in->is_open() || !in->good()) {
    throw IoError("[load_npz] Input stream is not open" +
                  std::string(in ? ": " + in->label() : "."));
  }
  const std::string file = in->label();
  std::unordered_map<std::string, array> out;
  for (const io::zip::Entry& e : io::zip::read_directory(*in)) {
    if (e.name.ends_with("/")) {
      continue;  // a folder entry holds no data
    }
    if (!e.name.ends_with(kNpySuffix)) {
      throw FormatError(file, e.local_header_offset,
                        "[load_npz] member '" + e.name + "' is not a .npy array");
    }
    const std::string key = e.name.substr(0, e.name.size() - 4);
    if (out.count(key)) {
      throw FormatError(file, e.local_header_offset,
                        "[load_npz] array '" + key + "' appears twice in the archive");
    }
    auto member =
        std::make_shared<io::MemoryReader>(io::zip::read_member(*in, e), file + ":" + e.name);
    out.emplace(key, load(member, s));
  }
  return out;
}

std::unordered_map<std::string, array> load_npz(const std::string& file, StreamOrDevice s) {
  auto in = std::make_shared<io::FileReader>(file);
  if (!in->is_open()) {
    throw IoError("[load_npz] Failed to open " + file);
  }
  return load_npz(in, s);
}

void save_npz(std::shared_ptr<io::Writer> out, std::unordered_map<std::string, array> arrays,
              bool compressed) {
  if (!out || !out->is_open() || !out->good()) {
    throw IoError("[save_npz] Output stream is not open" +
                  std::string(out ? ": " + out->label() : "."));
  }
  // Name order makes the archive reproducible.
  const std::map<std::string, array> sorted(arrays.begin(), arrays.end());
  io::zip::Writer zip(*out);
  for (const auto& [name, a] : sorted) {
    auto npy = std::make_shared<io::StringWriter>(name + kNpySuffix);
    save(npy, a);
    zip.add(name + kNpySuffix, npy->bytes(), compressed);
  }
  zip.finish();
}

void save_npz(std::string file, std::unordered_map<std::string, array> arrays, bool compressed) {
  if (!file.ends_with(".npz")) {
    file += ".npz";
  }
  // Evaluate first so that an error in the graph leaves no partial file.
  std::vector<array> values;
  for (auto& [name, a] : arrays) {
    values.push_back(a);
  }
  eval(values);
  auto out = std::make_shared<io::FileWriter>(file, /*atomic=*/true);
  if (!out->is_open()) {
    throw IoError("[save_npz] Failed to open " + file);
  }
  save_npz(out, std::move(arrays), compressed);
  out->commit();
}

}  // namespace mlxcpp
