// RandomBits: Threefry-2x32 (20 rounds) over counter pairs, laid out as MLX
// lays them out so that a key gives MLX's bits.
//
// Per key the output is W = ceil(bytes / 4) words. With h = W / 2 and
// o = W % 2, pair j < h hashes the counter (j, h + o + j) into words j and
// h + o + j; for odd W, word h is the first half of hash(h, 0). A final
// partial word keeps its low-address bytes.
#include <cstring>
#include <utility>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

inline uint32_t rotl(uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

std::pair<uint32_t, uint32_t> threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1) {
  constexpr int rotations[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
  const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
  uint32_t x0 = c0 + ks[0];
  uint32_t x1 = c1 + ks[1];
  for (int i = 0; i < 5; ++i) {
    for (int r : rotations[i % 2]) {
      x0 += x1;
      x1 = rotl(x1, r);
      x1 ^= x0;
    }
    x0 += ks[(i + 1) % 3];
    x1 += ks[(i + 2) % 3] + static_cast<uint32_t>(i) + 1;
  }
  return {x0, x1};
}

// Writes one key's bytes (n_bytes of them) at dst.
void fill_key(uint32_t k0, uint32_t k1, char* dst, size_t n_bytes) {
  const size_t words = (n_bytes + 3) / 4;
  const size_t half = words / 2;
  const uint32_t odd = static_cast<uint32_t>(words % 2);
  auto put = [&](size_t word, uint32_t v) {
    const size_t at = 4 * word;
    std::memcpy(dst + at, &v, std::min<size_t>(4, n_bytes - at));
  };
  cpu::parallel_for(static_cast<int64_t>(half), 1 << 12, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const uint32_t first = static_cast<uint32_t>(j);
      const uint32_t second = static_cast<uint32_t>(half + odd + j);
      const auto [a, c] = threefry2x32(k0, k1, first, second);
      put(first, a);
      put(second, c);
    }
  });
  if (odd) {
    put(half, threefry2x32(k0, k1, static_cast<uint32_t>(half), 0).first);
  }
}

}  // namespace

void RandomBits::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array keys = cpu::row_major(inputs[0]);
  out.set_data(allocator::malloc(out.nbytes()));
  const size_t n_keys = keys.size() / 2;
  if (n_keys == 0 || out.nbytes() == 0) {
    return;
  }
  const size_t bytes_per_key = out.nbytes() / n_keys;
  const uint32_t* k = keys.data<uint32_t>();
  char* dst = out.data<char>();
  for (size_t i = 0; i < n_keys; ++i) {
    fill_key(k[2 * i], k[2 * i + 1], dst + i * bytes_per_key, bytes_per_key);
  }
}

}  // namespace mlxcpp
