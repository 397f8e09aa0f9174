// The memory API over the caching allocator, and the hard memory limit.
#include <cstdio>
#include <fstream>
#include <string>
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

// Restores the limits a test changes.
struct LimitGuard {
  size_t memory = get_memory_limit();
  size_t cache = set_cache_limit(get_memory_limit());
  LimitGuard() { set_cache_limit(cache); }
  ~LimitGuard() {
    set_memory_limit(memory);
    set_cache_limit(cache);
  }
};

TEST(Memory, ActiveMemoryFollowsLiveArrays) {
  LimitGuard guard;
  clear_cache();
  const size_t base = get_active_memory();
  {
    array a = zeros({1 << 20});  // 4 MiB
    a.eval();
    EXPECT_GE(get_active_memory(), base + (size_t(4) << 20));
  }
  EXPECT_EQ(get_active_memory(), base);
}

TEST(Memory, FreedBuffersGoToTheCacheAndAreReused) {
  LimitGuard guard;
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  const void* first;
  {
    array a = zeros({1 << 18});
    a.eval();
    first = a.data<void>();
  }
  EXPECT_GE(get_cache_memory(), size_t(1) << 20);
  array b = ones({1 << 18});
  b.eval();
  EXPECT_EQ(b.data<void>(), first);  // the cached block served the same size
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
}

TEST(Memory, CacheLimitZeroDisablesTheCache) {
  LimitGuard guard;
  set_cache_limit(0);
  {
    array a = zeros({1 << 16});
    a.eval();
  }
  EXPECT_EQ(get_cache_memory(), 0u);
}

TEST(Memory, PeakIsRecordedAndResets) {
  LimitGuard guard;
  reset_peak_memory();
  EXPECT_EQ(get_peak_memory(), 0u);
  {
    array a = zeros({1 << 20});
    a.eval();
  }
  EXPECT_GE(get_peak_memory(), size_t(4) << 20);
}

TEST(Memory, AllocationPastTheLimitThrowsAndChangesNothing) {
  LimitGuard guard;
  clear_cache();
  array big = zeros({1 << 22});  // 16 MiB: over the limit set below
  const size_t active = get_active_memory();
  const size_t previous = set_memory_limit(active + (size_t(8) << 20));
  EXPECT_EQ(previous, guard.memory);
  EXPECT_THROW(big.eval(), MemoryLimitError);
  EXPECT_EQ(big.status(), array::Status::unscheduled);
  EXPECT_EQ(get_active_memory(), active);
  // A smaller allocation still works, and raising the limit lets the first one through.
  array small = zeros({1 << 20});
  EXPECT_NO_THROW(small.eval());
  set_memory_limit(guard.memory);
  EXPECT_NO_THROW(big.eval());
  EXPECT_EQ(values<float>(big)[123], 0.0f);
}

TEST(Memory, LimitErrorIsAnMlxcppError) {
  LimitGuard guard;
  set_memory_limit(get_active_memory() + 1024);
  try {
    ones({1 << 20}).eval();
    FAIL() << "expected MemoryLimitError";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("memory limit"), std::string::npos) << e.what();
  }
}

TEST(Memory, ImpossibleSizesThrowInsteadOfAborting) {
  EXPECT_THROW(allocator::malloc(size_t(1) << 63), MemoryLimitError);
}

// Weights and caches of 2 MiB or more start on a huge-page boundary (so the kernel can back
// them with transparent huge pages); their data stays readable and writable end to end.
TEST(Memory, LargeBuffersStartOnAHugePageBoundary) {
  clear_cache();
  for (const size_t size : {size_t(2) << 20, (size_t(5) << 20) + 4096 + 3}) {
    allocator::Buffer b = allocator::malloc(size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.raw_ptr()) % (size_t(2) << 20), 0u) << size;
    auto* bytes = static_cast<unsigned char*>(b.raw_ptr());
    bytes[0] = 1;
    bytes[size - 1] = 2;
    EXPECT_EQ(bytes[0] + bytes[size - 1], 3);
    allocator::free(b);
  }
  clear_cache();
}

// The mapping of address p in /proc/self/smaps: its "THPeligible:" value ("" when absent).
std::string thp_eligible(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<uintptr_t>(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find('-') < 16) {
      inside = lo <= at && at < hi;
    } else if (inside && line.rfind("THPeligible:", 0) == 0) {
      return line.substr(line.find_first_not_of(" \t", 12));
    }
  }
  return "";
}

// Where the kernel offers transparent huge pages on request (THP "madvise" or "always"), a
// large block is eligible for them.
TEST(Memory, LargeBuffersAreAdvisedForHugePages) {
  std::ifstream setting("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  std::getline(setting, mode);
  if (mode.find("[madvise]") == std::string::npos && mode.find("[always]") == std::string::npos) {
    GTEST_SKIP() << "THP is off here: '" << mode << "'";
  }
  clear_cache();
  allocator::Buffer b = allocator::malloc(size_t(4) << 20);
  EXPECT_EQ(thp_eligible(b.raw_ptr()), "1");
  allocator::free(b);
  clear_cache();
}

TEST(Memory, WiredLimitIsAcceptedOnCpu) {
  EXPECT_EQ(set_wired_limit(1 << 20), 0u);
}

}  // namespace
}  // namespace mlxcpp::test
