// The kernel thread pool: every index runs once, errors reach the caller, nested calls run
// serially, and back-to-back jobs (the decode pattern the polling serves) all complete.
// CTest runs this file twice: polling (default) and with MLXCPP_SPIN_US=0, where every
// hand-off goes through the condition variables.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mlxcpp/backend/cpu/threadpool.h"

namespace mlxcpp::test {
namespace {

TEST(ThreadPool, EveryIndexRunsExactlyOnce) {
  for (int64_t n : {0, 1, 7, 1000, 100003}) {
    for (int64_t grain : {1, 16, 4096}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      cpu::parallel_for(n, grain, [&](int64_t b, int64_t e) {
        EXPECT_LE(0, b);
        EXPECT_LE(b, e);
        EXPECT_LE(e, n);
        for (int64_t i = b; i < e; ++i) {
          hits[static_cast<size_t>(i)].fetch_add(1);
        }
      });
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " i=" << i;
      }
    }
  }
}

TEST(ThreadPool, ManyJobsBackToBackAllComplete) {
  std::atomic<int64_t> total{0};
  for (int job = 0; job < 5000; ++job) {
    cpu::parallel_for(64, 1, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
    if (job % 1000 == 999) {
      // Long enough for idle workers to stop polling and sleep.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  EXPECT_EQ(total.load(), 5000 * 64);
}

TEST(ThreadPool, AnErrorInAChunkReachesTheCaller) {
  std::atomic<int64_t> ran{0};
  EXPECT_THROW(cpu::parallel_for(1000, 1,
                                 [&](int64_t b, int64_t e) {
                                   ran.fetch_add(e - b);
                                   if (b == 0) {
                                     throw std::runtime_error("chunk failed");
                                   }
                                 }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 1000);  // the other chunks still ran; nothing is left half-done
  // The pool keeps working afterwards.
  std::atomic<int64_t> after{0};
  cpu::parallel_for(100, 1, [&](int64_t b, int64_t e) { after.fetch_add(e - b); });
  EXPECT_EQ(after.load(), 100);
}

TEST(ThreadPool, NestedCallsRunSeriallyOnTheirThread) {
  std::atomic<int64_t> inner{0};
  cpu::parallel_for(8, 1, [&](int64_t b, int64_t e) {
    if (cpu::num_threads() > 1) {  // one thread runs the whole range in place
      EXPECT_TRUE(cpu::in_parallel_region());
    }
    for (int64_t i = b; i < e; ++i) {
      const auto outer_thread = std::this_thread::get_id();
      cpu::parallel_for(100, 1, [&](int64_t ib, int64_t ie) {
        EXPECT_EQ(std::this_thread::get_id(), outer_thread);
        inner.fetch_add(ie - ib);
      });
    }
  });
  EXPECT_FALSE(cpu::in_parallel_region());
  EXPECT_EQ(inner.load(), 800);
}

}  // namespace
}  // namespace mlxcpp::test
