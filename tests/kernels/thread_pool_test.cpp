#include "kernels/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
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

TEST(ThreadPool, DynamicParallelForCoversEveryIndexOnceInGrainAlignedPieces) {
  for (int threads = 1; threads <= 3; ++threads) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 5, 16, 33, 1000, 100000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> calls{0}, misaligned{0};
      for (int rep = 0; rep < 50; ++rep)
        pool.parallel_for_dynamic(n, 16, [&](int64_t b, int64_t e) {
          calls.fetch_add(1);
          if (b % 16 != 0 || (e % 16 != 0 && e != n)) misaligned.fetch_add(1);
          for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
        });
      for (auto& h : hits) EXPECT_EQ(h.load(), 50);
      EXPECT_EQ(misaligned.load(), 0);
      // No piece is smaller than the finest split (but the last), so calls are bounded.
      EXPECT_LE(calls.load(), 50 * threads * ThreadPool::kFinestPiecesPerThread) << "n=" << n;
    }
  }
}

// min_piece lowers the floor of the halving claims: the threads' last pieces go down to it (so
// they end together), and every index is still covered once. Without it the smallest piece would
// be n / (kFinestPiecesPerThread * n_threads), 32 chunks here.
TEST(ThreadPool, DynamicParallelForClaimsDownToMinPiece) {
  for (int threads = 2; threads <= 3; ++threads) {
    ThreadPool pool(threads);
    // Shares of 512 chunks: halving them never leaves an odd remainder below min_piece.
    const int64_t chunks = 512 * threads, n = 16 * chunks, min_piece = 2;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    std::mutex mu;
    int64_t smallest = n;
    pool.parallel_for_dynamic(
        n, 16,
        [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          smallest = std::min(smallest, e - b);
        },
        min_piece);
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    EXPECT_EQ(smallest, 16 * min_piece) << "threads=" << threads;
  }
}

// A thread that stalls in one piece leaves the rest to the others: the thread that takes the first
// piece (a quarter of the work with 2 threads) sleeps in it, and the other thread runs every other
// piece meanwhile. A static split would have left half of the indices to the stalled thread.
TEST(ThreadPool, DynamicParallelForLetsOtherThreadsTakeAStalledThreadsShare) {
  ThreadPool pool(2);
  const int64_t n = 16 * 2 * ThreadPool::kFinestPiecesPerThread * 4;
  std::mutex mu;
  std::map<std::thread::id, int64_t> done;  // indices per thread
  std::thread::id stalled;
  int64_t stalled_piece = 0;
  pool.parallel_for_dynamic(n, 16, [&](int64_t b, int64_t e) {
    if (b == 0) {
      {
        std::lock_guard<std::mutex> lock(mu);
        stalled = std::this_thread::get_id();
        stalled_piece = e - b;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    done[std::this_thread::get_id()] += e - b;
  });
  ASSERT_GT(stalled_piece, 0);
  EXPECT_EQ(done[stalled], 0);
  int64_t others = 0;
  for (const auto& [id, count] : done)
    if (id != stalled) others += count;
  EXPECT_EQ(others, n - stalled_piece);
}

// caller_done runs once, on the calling thread, after the last piece that thread runs (the
// others may still be running theirs); a loop with nothing to do does not run it.
TEST(ThreadPool, DynamicParallelForRunsCallerDoneOnceOnTheCallerAfterItsPieces) {
  for (int threads = 1; threads <= 3; ++threads) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 33, 100000}) {
      const std::thread::id caller = std::this_thread::get_id();
      std::atomic<int> done_calls{0}, pieces_after_done{0};
      std::atomic<bool> on_caller{true};
      std::atomic<int64_t> covered{0};
      pool.parallel_for_dynamic(
          n, 16,
          [&](int64_t b, int64_t e) {
            if (std::this_thread::get_id() == caller && done_calls.load() > 0) pieces_after_done.fetch_add(1);
            covered.fetch_add(e - b);
          },
          0,
          [&] {
            done_calls.fetch_add(1);
            if (std::this_thread::get_id() != caller) on_caller = false;
          });
      EXPECT_EQ(covered.load(), n);
      EXPECT_EQ(done_calls.load(), n > 0 ? 1 : 0) << "threads=" << threads << " n=" << n;
      EXPECT_TRUE(on_caller.load());
      EXPECT_EQ(pieces_after_done.load(), 0);
    }
  }
}

TEST(ThreadPool, ManyShortJobs) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  for (int rep = 0; rep < 2000; ++rep) pool.run([&](int ith, int) { total.fetch_add(ith + 1); });
  EXPECT_EQ(total.load(), 2000 * 6);
}

// Workers sleep after spinning idle for a while (thread_pool.cpp kSpinFor); a run() must wake
// them whether they are asleep, falling asleep, or still spinning as it starts (a lost wake-up
// hangs here). The gaps sweep across the spin time.
TEST(ThreadPool, WakesWorkersAtAnyPointOfFallingAsleep) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  int runs = 0;
  for (int gap_us = 0; gap_us <= 400; gap_us += 7, ++runs) {
    std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
    pool.run([&](int ith, int) { total.fetch_add(ith + 1); });
  }
  EXPECT_EQ(total.load(), int64_t(runs) * 6);
}

}  // namespace
}  // namespace trit
