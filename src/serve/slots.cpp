#include "serve/slots.h"

#include <algorithm>

#include "core/assert.h"

namespace trit::serve {

SlotPool::SlotPool(const Model& model, int n_slots, int max_queue)
    : in_use_(size_t(std::max(n_slots, 1)), false), max_queue_(std::max(max_queue, 0)) {
  for (size_t i = 0; i < in_use_.size(); ++i) sessions_.push_back(std::make_unique<Session>(model));
}

SlotPool::~SlotPool() {
  // Every Lease must be gone: a Lease outliving its pool would point at freed Sessions.
  std::lock_guard lock(mu_);
  TRIT_ASSERT(busy_ == 0);
}

SlotPool::Acquired SlotPool::acquire() {
  std::unique_lock lock(mu_);
  if (closed_) return {.lease = std::nullopt, .refusal = Refusal::kClosed};
  const bool must_wait = busy_ == size() || !waiting_.empty();
  if (must_wait && int(waiting_.size()) >= max_queue_) return {.lease = std::nullopt, .refusal = Refusal::kQueueFull};

  const uint64_t ticket = next_ticket_++;
  waiting_.push_back(ticket);
  cv_.wait(lock, [&] { return closed_ || (busy_ < size() && waiting_.front() == ticket); });
  waiting_.erase(std::find(waiting_.begin(), waiting_.end(), ticket));
  if (closed_) {
    cv_.notify_all();
    return {.lease = std::nullopt, .refusal = Refusal::kClosed};
  }
  const int index = int(std::find(in_use_.begin(), in_use_.end(), false) - in_use_.begin());
  in_use_[size_t(index)] = true;
  ++busy_;
  // The next waiter may be able to go too (several slots freed at once).
  cv_.notify_all();
  lock.unlock();
  sessions_[size_t(index)]->reset();
  return {.lease = Lease(this, index)};
}

void SlotPool::release(int index) {
  {
    std::lock_guard lock(mu_);
    TRIT_ASSERT(in_use_[size_t(index)]);
    in_use_[size_t(index)] = false;
    --busy_;
  }
  cv_.notify_all();
}

void SlotPool::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

int SlotPool::busy() const {
  std::lock_guard lock(mu_);
  return busy_;
}

int SlotPool::queued() const {
  std::lock_guard lock(mu_);
  return int(waiting_.size());
}

SlotPool::Lease::~Lease() {
  if (pool_) pool_->release(index_);
}

Session& SlotPool::Lease::session() const { return *pool_->sessions_[size_t(index_)]; }

}  // namespace trit::serve
