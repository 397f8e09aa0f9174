#include "mlxcpp/backend/cpu/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mlxcpp::cpu {

namespace {

thread_local bool t_in_parallel = false;

// The environment variable `name` as a whole decimal integer in [lo, hi]; nullopt when
// unset or anything else.
std::optional<long> env_integer(const char* name, long lo, long hi) {
  const char* env = std::getenv(name);
  if (env == nullptr) {
    return std::nullopt;
  }
  char* end = nullptr;
  const long v = std::strtol(env, &end, 10);
  if (end == env || *end != '\0' || v < lo || v > hi) {
    return std::nullopt;
  }
  return v;
}

// How long an idle worker, and a caller waiting for its job's last chunk, poll before
// sleeping (MLXCPP_SPIN_US, default 100; 0 never polls). Decoding runs one small parallel
// op after another with a few microseconds of serial work between them; waking a sleeping
// thread costs tens of microseconds, as much as a 1 MiB 4-bit GEMV takes.
std::chrono::microseconds configured_spin() {
  return std::chrono::microseconds(env_integer("MLXCPP_SPIN_US", 0, 1000000).value_or(100));
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls ready() for up to `spin`; true as soon as it holds.
template <typename Ready>
bool spin_until(std::chrono::microseconds spin, Ready&& ready) {
  if (spin.count() == 0) {
    return ready();
  }
  const auto deadline = std::chrono::steady_clock::now() + spin;
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) {
        return true;
      }
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return ready();
    }
  }
}

int configured_threads() {
  if (const auto v = env_integer("MLXCPP_NUM_THREADS", 1, 1024)) {
    return static_cast<int>(*v);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// One parallel_for call: chunks are claimed with an atomic counter by the
// caller and by any worker that picks the job up.
struct Job {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n;
  int64_t chunks;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex mutex;
  std::condition_variable finished;
  std::exception_ptr error;

  // Run chunks until none is left; returns after this thread's last chunk.
  void work() {
    bool was = t_in_parallel;
    t_in_parallel = true;
    for (int64_t c = next.fetch_add(1); c < chunks; c = next.fetch_add(1)) {
      const int64_t begin = n * c / chunks;
      const int64_t end = n * (c + 1) / chunks;
      try {
        (*fn)(begin, end);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!error) {
          error = std::current_exception();
        }
      }
      if (done.fetch_add(1) + 1 == chunks) {
        std::lock_guard lock(mutex);
        finished.notify_all();
      }
    }
    t_in_parallel = was;
  }
};

class ThreadPool {
 public:
  ThreadPool(int threads, std::chrono::microseconds spin) : size_(threads), spin_(spin) {
    for (int i = 1; i < threads; ++i) {
      workers_.emplace_back([this] { loop(); });
    }
  }

  ~ThreadPool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) {
      t.join();
    }
  }

  int size() const { return size_; }

  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t max_chunks = grain > 0 ? (n + grain - 1) / grain : n;
    const int64_t chunks = std::min<int64_t>(size_, max_chunks);
    if (chunks <= 1 || t_in_parallel) {
      if (n > 0) {
        fn(0, n);
      }
      return;
    }
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->n = n;
    job->chunks = chunks;
    int sleeping = 0;
    {
      std::lock_guard lock(mutex_);
      for (int64_t i = 1; i < chunks; ++i) {
        queue_.push_back(job);
      }
      queued_.store(static_cast<int64_t>(queue_.size()), std::memory_order_release);
      sleeping = sleeping_;
    }
    // Spinning workers see queued_; only sleeping ones need the (slow) notification.
    if (sleeping > 0) {
      if (chunks - 1 >= size_ - 1) {
        cv_.notify_all();
      } else {
        for (int64_t i = 1; i < chunks; ++i) {
          cv_.notify_one();
        }
      }
    }
    job->work();
    auto all_done = [&] { return job->done.load(std::memory_order_acquire) == job->chunks; };
    if (!spin_until(spin_, all_done)) {
      std::unique_lock lock(job->mutex);
      job->finished.wait(lock, all_done);
    }
    if (job->error) {
      std::rethrow_exception(job->error);
    }
  }

 private:
  void loop() {
    while (true) {
      std::shared_ptr<Job> job;
      spin_until(spin_, [this] { return queued_.load(std::memory_order_acquire) > 0; });
      {
        std::unique_lock lock(mutex_);
        if (!stop_ && queue_.empty()) {
          ++sleeping_;
          cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
          --sleeping_;
        }
        if (stop_ && queue_.empty()) {
          return;
        }
        job = std::move(queue_.front());
        queue_.pop_front();
        queued_.store(static_cast<int64_t>(queue_.size()), std::memory_order_release);
      }
      job->work();
    }
  }

  int size_;
  std::chrono::microseconds spin_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::atomic<int64_t> queued_{0};  // queue_.size(), readable without the mutex
  int sleeping_ = 0;                // workers waiting on cv_ (guarded by mutex_)
  bool stop_{false};
};

ThreadPool& pool() {
  // Never destroyed: kernels may still run while other statics are torn down at exit.
  static ThreadPool* p = new ThreadPool(configured_threads(), configured_spin());
  return *p;
}

}  // namespace

int num_threads() {
  return pool().size();
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  pool().run(n, grain, fn);
}

bool in_parallel_region() {
  return t_in_parallel;
}

}  // namespace mlxcpp::cpu
