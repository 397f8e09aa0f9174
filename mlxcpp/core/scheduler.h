// The per-stream worker threads that run asynchronously scheduled graphs.
#pragma once

#include <functional>

#include "mlxcpp/core/stream.h"

namespace mlxcpp::scheduler {

/** Run task on s's worker thread after every task queued on s before it. */
void enqueue(const Stream& s, std::function<void()> task);

/** Block until every task queued on s so far has finished. */
void wait_for(const Stream& s);

}  // namespace mlxcpp::scheduler
