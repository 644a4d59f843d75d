// A fixed pool of worker threads for data-parallel loops. The calling thread takes part as
// thread 0, so ThreadPool(1) runs everything inline with no synchronisation at all.
// The one allowed piece of global mutable state in trit is a pool owned by a Session (not a global).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace trit {

class ThreadPool {
 public:
  // n_threads <= 0: one per hardware thread.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(thread_index, n_threads) on every thread and returns when all have finished.
  void run(const std::function<void(int ith, int nth)>& fn);

  // Splits [0, n) into contiguous chunks, one per thread (chunk boundaries multiples of `grain`),
  // and runs fn(begin, end) on each non-empty chunk.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

  // The same coverage, but balanced as threads finish, so a thread that is slowed down (another
  // process on its core, a slower core) costs its lost time once instead of making every other
  // thread wait for it at the end. Each thread starts with parallel_for's contiguous share and
  // claims it from the front, half of what is left at a time (never less than
  // 1/(kFinestPiecesPerThread * n_threads) of n); a thread whose share is done takes pieces of the
  // same size from the back of the others' shares. So without stalls each thread walks one
  // contiguous run, one memory stream: with 2 threads, 2560 x 2560 TQ2_0 decode took 29-30 us a
  // call against 35-36 us when threads claimed shrinking pieces from one shared counter (guided
  // self-scheduling, about 6 separate runs per thread), Zen 5. Pieces are multiples of `grain`
  // (but the last). Each index goes to exactly one fn call; which thread runs it varies, so fn
  // must not depend on that. n / grain must be below 2^32.
  // min_piece (in chunks of `grain`, 0 for the default) lowers that floor: the threads' last
  // pieces are what one finishes while the other idles, so a caller that knows its cost per chunk
  // keeps them short (matmul: about 64 KiB of weights; 2B4T's 657 MB head at 2 threads, 1/32 of
  // it was 20 MB a piece and the threads ended 100-300 us apart, 10-20 us with the floor).
  // caller_done, when set, runs once on the calling thread as soon as no piece is left for it,
  // while the other threads may still be finishing theirs: work the caller needs right after the
  // loop that can overlap that wait (matmul: asking for the next RMS norm's weights).
  static constexpr int kFinestPiecesPerThread = 16;
  void parallel_for_dynamic(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn,
                            int64_t min_piece = 0, const std::function<void()>& caller_done = {});

 private:
  void worker(int ith);

  int n_threads_;
  std::vector<std::thread> threads_;
  // What a run() hands over sits on one cache line and what its workers hand back on another, and
  // the mutex is taken only to wake a sleeping worker: the workers spin on `generation`, and a
  // core that writes or locks a line they are reading waits for it to come back (300 ns one way
  // between the two cores of the Zen 5 VM here; an empty run() at 2 threads took 1.02-1.14 us
  // with the mutex and everything on shared lines, 0.68-0.78 us now).
  struct alignas(64) Start {
    std::atomic<const std::function<void(int, int)>*> job{nullptr};
    std::atomic<uint64_t> generation{0};  // bumped once per run(); workers spin on it, then sleep
    std::atomic<bool> stop{false};
  };
  Start start_;
  alignas(64) std::atomic<int> pending_{0};
  alignas(64) std::atomic<int> sleepers_{0};  // workers about to sleep or asleep on start_cv_
  std::mutex mu_;
  std::condition_variable start_cv_;
  // parallel_for_dynamic's share of each thread: [begin, end) in chunks, begin in the low 32 bits,
  // one word so that claims from the front and from the back see each other.
  struct alignas(64) Share {
    std::atomic<uint64_t> range{0};
  };
  std::unique_ptr<Share[]> shares_;
};

int default_thread_count();

}  // namespace trit
