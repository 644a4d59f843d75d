#include "kernels/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "core/assert.h"

namespace trit {

int default_thread_count() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : int(n);
}

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(n_threads <= 0 ? default_thread_count() : n_threads), shares_(new Share[size_t(n_threads_)]) {
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    start_.stop.store(true, std::memory_order_release);
    start_.generation.fetch_add(1, std::memory_order_seq_cst);
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// How long an idle worker spins before sleeping on the condition variable. A decode step issues
// a few hundred short parallel loops separated by microseconds of serial work; waking a sleeping
// thread costs tens of microseconds each time, spinning through the gap costs nothing.
constexpr auto kSpinFor = std::chrono::microseconds(100);

}  // namespace

void ThreadPool::worker(int ith) {
  uint64_t seen = 0;
  for (;;) {
    // Spin first (see kSpinFor), then sleep.
    auto deadline = std::chrono::steady_clock::now() + kSpinFor;
    for (int spins = 0; start_.generation.load(std::memory_order_acquire) == seen; ++spins) {
      // Pause-spin briefly, then yield while spinning, so that an oversubscribed machine (more
      // threads than free cores) still runs the threads that have work.
      if (spins < 2000) cpu_relax();
      else std::this_thread::yield();
      if ((spins & 255) == 255 && std::chrono::steady_clock::now() > deadline) {
        // Announce the sleep before the last look at the generation, both sequentially
        // consistent, as run() bumps it before it looks for sleepers: either this thread sees the
        // bump, or run() sees the sleeper and notifies under the mutex, which this thread holds
        // from its last look until it waits.
        std::unique_lock<std::mutex> lock(mu_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        start_cv_.wait(lock, [&] { return start_.generation.load(std::memory_order_seq_cst) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        break;
      }
    }
    seen = start_.generation.load(std::memory_order_acquire);
    if (start_.stop.load(std::memory_order_acquire)) return;
    const auto* job = start_.job.load(std::memory_order_acquire);
    (*job)(ith, n_threads_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  if (n_threads_ == 1) {
    fn(0, 1);
    return;
  }
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  start_.job.store(&fn, std::memory_order_relaxed);
  start_.generation.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    // Taking the mutex orders this notify after the sleeper's wait began (worker()).
    { std::lock_guard<std::mutex> lock(mu_); }
    start_cv_.notify_all();
  }
  fn(0, n_threads_);
  // Workers finish within microseconds of the caller for balanced loops: spin, then yield.
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins > 2000) std::this_thread::yield();
    else cpu_relax();
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t n_chunks = (n + grain - 1) / grain;
  run([&](int ith, int nth) {
    const int64_t per = (n_chunks + nth - 1) / nth;
    const int64_t begin = std::min(n, ith * per * grain);
    const int64_t end = std::min(n, (ith + 1) * per * grain);
    if (begin < end) fn(begin, end);
  });
}

namespace {

// Claims a piece of the share `range` (thread_pool.h): half of what is left, at least min_take
// chunks, from the front (the owner) or the back (another thread). False once the share is empty.
bool claim(std::atomic<uint64_t>& range, bool front, uint64_t min_take, uint64_t* lo, uint64_t* hi) {
  uint64_t cur = range.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t b = cur & 0xffffffffu, e = cur >> 32;
    if (b >= e) return false;
    const uint64_t take = std::min(e - b, std::max(min_take, (e - b) / 2));
    *lo = front ? b : e - take;
    *hi = front ? b + take : e;
    const uint64_t next = front ? (*hi | (e << 32)) : (b | (*lo << 32));
    if (range.compare_exchange_weak(cur, next, std::memory_order_relaxed)) return true;
  }
}

}  // namespace

void ThreadPool::parallel_for_dynamic(int64_t n, int64_t grain,
                                      const std::function<void(int64_t, int64_t)>& fn, int64_t min_piece,
                                      const std::function<void()>& caller_done) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (n_threads_ == 1) {
    fn(0, n);
    if (caller_done) caller_done();
    return;
  }
  const int64_t n_chunks = (n + grain - 1) / grain, nth = n_threads_;
  TRIT_ASSERT(n_chunks < (int64_t(1) << 32));
  const int64_t finest = nth * kFinestPiecesPerThread;
  auto min_take = uint64_t((n_chunks + finest - 1) / finest);  // so at most `finest` pieces
  if (min_piece > 0) min_take = std::min(min_take, uint64_t(min_piece));
  for (int64_t t = 0; t < nth; ++t)
    shares_[size_t(t)].range.store(uint64_t(n_chunks * t / nth) | (uint64_t(n_chunks * (t + 1) / nth) << 32),
                                   std::memory_order_relaxed);
  run([&](int ith, int) {
    uint64_t lo, hi;
    for (int64_t k = 0; k < nth; ++k) {  // its own share first, then the next threads' in turn
      std::atomic<uint64_t>& range = shares_[size_t((ith + k) % nth)].range;
      while (claim(range, k == 0, min_take, &lo, &hi)) fn(int64_t(lo) * grain, std::min(n, int64_t(hi) * grain));
    }
    if (ith == 0 && caller_done) caller_done();
  });
}

}  // namespace trit
