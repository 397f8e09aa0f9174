// Event: completion of asynchronously scheduled work, with its error.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>

namespace mlxcpp {

class Event {
 public:
  /** Mark the work done; error (if any) is rethrown to every waiter. */
  void signal(std::exception_ptr error = nullptr) {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
      error_ = error;
    }
    cv_.notify_all();
  }

  /** Block until signalled; rethrow the work's error. */
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
    if (error_) {
      std::rethrow_exception(error_);
    }
  }

  bool is_signaled() {
    std::lock_guard lock(mutex_);
    return done_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_{false};
  std::exception_ptr error_;
};

}  // namespace mlxcpp
