// Helpers for the file-format tests: a per-test temporary folder, raw file bytes,
// MLX's manifests of the files it wrote, and "must fail cleanly" checks.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_helpers.h"

namespace mlxcpp::test {

namespace fs = std::filesystem;

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mlxcpp_io_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

inline std::string read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/** One tensor line of an MLX manifest: name, dtype, shape, sum and sum of |x| (float32). */
struct ManifestTensor {
  std::string name;
  std::string dtype;
  Shape shape;
  double sum = 0;
  double abs_sum = 0;
};

struct Manifest {
  std::vector<ManifestTensor> tensors;
  std::vector<std::pair<std::string, std::string>> meta;
  int meta_count = -1;
};

inline Manifest read_manifest(const std::string& file) {
  std::ifstream in(file);
  Manifest m;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) {
      f.push_back(cell);
    }
    if (f.empty() || f[0] == "OK") {
      continue;
    }
    if (f[0] == "meta") {
      m.meta.emplace_back(f[1], f[2]);
    } else if (f[0] == "meta_count") {
      m.meta_count = std::stoi(f[1]);
    } else {
      ManifestTensor t{f[0], f[1], {}, std::stod(f[3]), std::stod(f[4])};
      std::stringstream dims(f[2]);
      std::string d;
      while (std::getline(dims, d, ',')) {
        t.shape.push_back(std::stoi(d));
      }
      m.tensors.push_back(t);
    }
  }
  return m;
}

/** Expects a to match a manifest line (sums to the manifest's 6 significant digits). */
inline void expect_manifest(const array& a, const ManifestTensor& t) {
  EXPECT_EQ(std::string(dtype_name(a.dtype())), t.dtype) << t.name;
  EXPECT_EQ(a.shape(), t.shape) << t.name;
  const array f = astype(a, float32);
  const double sum = mlxcpp::sum(f).item<float>();
  const double abs_sum = mlxcpp::sum(abs(f)).item<float>();
  EXPECT_NEAR(sum, t.sum, 1e-5 * std::max(1.0, std::fabs(t.sum))) << t.name;
  EXPECT_NEAR(abs_sum, t.abs_sum, 1e-5 * std::max(1.0, std::fabs(t.abs_sum))) << t.name;
}

/** Runs f, which must either succeed or throw FormatError / IoError (never crash). Returns
 *  true when it threw. */
template <typename F>
bool fails_cleanly(F f) {
  try {
    f();
    return false;
  } catch (const FormatError&) {
    return true;
  } catch (const IoError&) {
    return true;
  }
}

/** Expects f to throw FormatError whose message contains `fragment`. */
template <typename F>
void expect_format_error(F f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no FormatError; expected one saying \"" << fragment << "\"";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace mlxcpp::test
