#include "kernels/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace trit {
namespace {

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
  for (int threads = 1; threads <= 3; ++threads) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 5, 16, 33, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      for (int rep = 0; rep < 50; ++rep)
        pool.parallel_for(n, 16, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
        });
      for (auto& h : hits) EXPECT_EQ(h.load(), 50);
    }
  }
}

TEST(ThreadPool, ManyShortJobs) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  for (int rep = 0; rep < 2000; ++rep) pool.run([&](int ith, int) { total.fetch_add(ith + 1); });
  EXPECT_EQ(total.load(), 2000 * 6);
}

}  // namespace
}  // namespace trit
