#include "mlxcpp/core/scheduler.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace mlxcpp::scheduler {

namespace {

class StreamWorker {
 public:
  StreamWorker() : thread_([this] { loop(); }) { thread_.detach(); }

  void enqueue(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      // Tasks catch their own errors (they store them in the arrays' events).
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::thread thread_;
};

class Registry {
 public:
  StreamWorker& worker(const Stream& s) {
    std::lock_guard lock(mutex_);
    auto& w = workers_[s];
    if (w == nullptr) {
      // Workers live for the whole process: a detached thread must never see
      // its queue destroyed at exit.
      w = new StreamWorker();
    }
    return *w;
  }

 private:
  std::mutex mutex_;
  std::map<Stream, StreamWorker*> workers_;
};

Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

void enqueue(const Stream& s, std::function<void()> task) {
  registry().worker(s).enqueue(std::move(task));
}

void wait_for(const Stream& s) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  enqueue(s, [&] {
    std::lock_guard lock(m);
    done = true;
    cv.notify_all();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
}

}  // namespace mlxcpp::scheduler
