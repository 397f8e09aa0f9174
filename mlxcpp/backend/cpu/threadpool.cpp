#include "mlxcpp/backend/cpu/threadpool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mlxcpp::cpu {

namespace {

thread_local bool t_in_parallel = false;

int configured_threads() {
  if (const char* env = std::getenv("MLXCPP_NUM_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && v <= 1024) {
      return static_cast<int>(v);
    }
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
  explicit ThreadPool(int threads) : size_(threads) {
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
    {
      std::lock_guard lock(mutex_);
      for (int64_t i = 1; i < chunks; ++i) {
        queue_.push_back(job);
      }
    }
    if (chunks - 1 >= size_ - 1) {
      cv_.notify_all();
    } else {
      for (int64_t i = 1; i < chunks; ++i) {
        cv_.notify_one();
      }
    }
    job->work();
    {
      std::unique_lock lock(job->mutex);
      job->finished.wait(lock, [&] { return job->done.load() == job->chunks; });
    }
    if (job->error) {
      std::rethrow_exception(job->error);
    }
  }

 private:
  void loop() {
    while (true) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_ && queue_.empty()) {
          return;
        }
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job->work();
    }
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stop_{false};
};

ThreadPool& pool() {
  // Never destroyed: kernels may still run while other statics are torn down at exit.
  static ThreadPool* p = new ThreadPool(configured_threads());
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
