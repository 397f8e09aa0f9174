// Evaluation: deep graphs, freeing intermediates, buffer donation,
// async_eval, errors surfacing from eval, evaluating from several threads.
#include <thread>

#include <chrono>
#include <future>
#include "mlxcpp/core/scheduler.h"
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

TEST(Graph, MillionOpChainEvaluatesWithoutStackOverflow) {
  array x = array(0.0f);
  for (int i = 0; i < 1000000; ++i) {
    x = x + 1.0f;
  }
  EXPECT_EQ(x.item<float>(), 1000000.0f);
}

TEST(Graph, MillionOpChainCanBeDroppedUnevaluated) {
  // Destroying a deep unevaluated graph must not recurse once per node.
  array x = array(1);
  for (int i = 0; i < 1000000; ++i) {
    x = negative(x);
  }
  x = array(0);  // drops the chain
  EXPECT_EQ(x.item<int>(), 0);
}

TEST(Graph, WideGraphOfSharedNodesRunsEachNodeOnce) {
  // Thousands of nodes, each shared by two consumers: the walk's set of seen nodes grows
  // many times over. A node missed would leave its consumers reading nothing; a node
  // taken twice would run after its graph was dropped.
  array a = array(1.0f);
  array b = array(3.0f);
  std::vector<array> fan;
  for (int i = 0; i < 3000; ++i) {
    const array mean = (a + b) * 0.5f;  // read by both a and b of the next step
    a = mean + 0.0f;
    b = mean * 1.0f;
    fan.push_back(a - b);
  }
  array total = a + b;
  for (const auto& f : fan) {
    total = total + f;
  }
  EXPECT_EQ(total.item<float>(), 4.0f);
}

TEST(Graph, PeakMemoryOfALongElementwiseChainStaysBounded) {
  constexpr int n = 1 << 20;  // 4 MiB per float32 buffer
  clear_cache();
  array x = zeros({n});
  x.eval();
  reset_peak_memory();
  const size_t before = get_active_memory();
  array y = x;
  for (int i = 0; i < 200; ++i) {
    y = y * 1.0001f + 1.0f;
  }
  y.eval();
  const size_t peak = get_peak_memory();
  // 400 intermediates of 4 MiB would need 1.6 GiB; freeing (and donating)
  // them keeps the peak to a few buffers.
  EXPECT_LT(peak - before, size_t(6) * n * 4);
  EXPECT_GT(values<float>(y)[0], 200.0f);
}

TEST(Graph, SingleUseInputBufferIsDonated) {
  array x = astype(arange(1 << 16), float32);
  x.eval();
  const void* buffer = x.data<void>();
  array y = exp(x);
  x = array(0.0f);  // y's graph now holds the only reference to the buffer
  y.eval();
  EXPECT_EQ(y.data<void>(), buffer);
  EXPECT_NEAR(values<float>(y)[1], std::exp(1.0f), 1e-6);
}

// An input still in flight when the graph is scheduled (the previous decode step's KV
// cache, say) is donated too once it is done: the tape must not keep a reference to it.
TEST(Graph, InputComputedAsynchronouslyIsDonated) {
  const int n = 1 << 20;
  for (const bool async : {false, true}) {
    clear_cache();
    const size_t before = get_active_memory();
    reset_peak_memory();
    // A task that waits for `open` holds the stream, so x is still in flight when y's graph
    // is scheduled.
    std::promise<void> open;
    scheduler::enqueue(default_stream(Device::cpu),
                       [opened = open.get_future().share()] { opened.wait(); });
    array x = ones({n}) * 3.0f;
    async_eval(x);
    array y = exp(x);
    x = array(0.0f);
    if (async) {
      async_eval(y);
      open.set_value();
      y.eval();
    } else {
      std::thread opener([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        open.set_value();
      });
      y.eval();  // waits for x inside eval
      opener.join();
    }
    // Donated, y reuses x's 4 MiB; copied, both buffers would live at once.
    EXPECT_LT(get_peak_memory() - before, size_t(6) * n) << (async ? "async_eval" : "eval");
    EXPECT_FLOAT_EQ(values<float>(y)[n - 1], std::exp(3.0f));
  }
}

TEST(Graph, SharedInputIsNotOverwritten) {
  array x = astype(arange(1 << 16), float32);
  x.eval();
  const void* buffer = x.data<void>();
  array y = exp(x);
  y.eval();
  EXPECT_NE(y.data<void>(), buffer);
  EXPECT_EQ(values<float>(x)[3], 3.0f);  // x still holds its own values
}

TEST(Graph, AsyncEvalComputesOnTheStreamWorker) {
  array x = ones({1000});
  for (int i = 0; i < 100; ++i) {
    x = x * 2.0f - 1.0f;  // stays 1
  }
  auto y = sum(x);
  async_eval(y);
  EXPECT_EQ(y.item<float>(), 1000.0f);  // item waits
  // Work depending on an array that is still in flight waits for it.
  array a = full({4096}, 3.0f);
  async_eval(a);
  array b = a + 1.0f;
  EXPECT_EQ(values<float>(b)[4095], 4.0f);
  synchronize();
}

TEST(Graph, ErrorsSurfaceFromEval) {
  // A dynamic slice start is only known at evaluation; a bad one throws from eval.
  auto a = arange(10);
  auto bad = slice(a, array({9}), {0}, {3});
  EXPECT_THROW(bad.eval(), std::invalid_argument);
  // The array is left unevaluated and can be retried; a good one works.
  EXPECT_EQ(bad.status(), array::Status::unscheduled);
  auto good = slice(a, array({-3}), {0}, {3});
  expect_values<int>(good, {3}, int32, {7, 8, 9});
}

TEST(Graph, ErrorsSurfaceFromWaitAfterAsyncEval) {
  auto bad = slice(arange(10), array({20}), {0}, {3});
  auto out = bad + 1;
  async_eval(out);
  EXPECT_THROW(out.eval(), std::invalid_argument);
  EXPECT_THROW(out.item<int>(), std::invalid_argument);
}

TEST(Graph, DisjointGraphsEvaluateFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<float> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &results] {
      array x = full({10000}, static_cast<float>(t));
      for (int i = 0; i < 50; ++i) {
        x = x + 1.0f;
      }
      results[t] = sum(x).item<float>();
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(results[t], 10000.0f * (t + 50));
  }
}

TEST(Graph, EvaluatedArrayCanBeReadFromAnyThread) {
  array x = arange(1000);
  x.eval();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      if (sum(x * 2).item<int>() == 999000) {
        ++ok;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(ok, 4);
}

TEST(Graph, SharedSubgraphIsComputedOnce) {
  auto a = exp(arange(5.0f));
  auto b = a + a;
  auto c = a * 2.0f;
  eval(b, c);
  auto vb = values<float>(b);
  auto vc = values<float>(c);
  for (size_t i = 0; i < vb.size(); ++i) {
    EXPECT_EQ(vb[i], vc[i]);
  }
}

}  // namespace
}  // namespace mlxcpp::test
