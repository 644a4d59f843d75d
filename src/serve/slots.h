// N inference slots over one model, each its own Session (KV cache and scratch), handed out first
// come, first served. A request holds a Lease for as long as it generates; the Session is reset
// when handed out, so no state crosses from one request to the next.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "model/model.h"

namespace trit::serve {

class SlotPool {
 public:
  // max_queue: how many requests may wait for a slot at once; one more is turned away.
  SlotPool(const Model& model, int n_slots, int max_queue);
  ~SlotPool();
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), index_(other.index_) { other.pool_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Session& session() const;
    int index() const { return index_; }

   private:
    friend class SlotPool;
    Lease(SlotPool* pool, int index) : pool_(pool), index_(index) {}
    SlotPool* pool_;
    int index_;
  };

  enum class Refusal { kQueueFull, kClosed };
  struct Acquired {
    std::optional<Lease> lease;  // empty: refused, for `refusal`
    Refusal refusal = Refusal::kQueueFull;
  };
  // Blocks until a slot is free (waiting in FIFO order). Refuses at once when max_queue requests
  // are already waiting, and wakes every waiter with kClosed once close() is called.
  Acquired acquire();
  // Refuse new requests and release the waiters (server shutdown).
  void close();

  int size() const { return int(sessions_.size()); }
  int n_ctx() const { return sessions_.front()->n_ctx(); }
  int busy() const;
  int queued() const;

 private:
  void release(int index);

  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<bool> in_use_;
  const int max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<uint64_t> waiting_;  // tickets, oldest first
  uint64_t next_ticket_ = 0;
  int busy_ = 0;
  bool closed_ = false;
};

}  // namespace trit::serve
