// The process-wide thread pool that CPU kernels split their work over.
//
// Sized to the machine (std::thread::hardware_concurrency), or to
// MLXCPP_NUM_THREADS when set. The calling thread takes part in the work, so
// parallel_for never waits on an idle pool, and a parallel_for inside another
// runs serially on its thread.
#pragma once

#include <cstdint>
#include <functional>

namespace mlxcpp::cpu {

/** Number of threads a parallel_for uses at most (the caller included). */
int num_threads();

/** Run fn(begin, end) over [0, n) in chunks of at least `grain` indices, in parallel.
 *  Returns when every chunk has run; rethrows the first exception a chunk threw. */
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

/** True on a thread that is running a parallel_for chunk. */
bool in_parallel_region();

}  // namespace mlxcpp::cpu
