// Counters for GET /metrics, rendered as Prometheus text exposition format (version 0.0.4).
// Thread-safe; every handler thread records into the one instance the server owns.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace trit::serve {

struct SlotGauges {
  int busy = 0;
  int total = 0;
  int queued = 0;
};

class Metrics {
 public:
  // One answered HTTP request, by route ("/v1/completions", or "other" for unknown paths so
  // that a scanner cannot grow the label set) and status code.
  void count_request(const std::string& route, int status);
  // One finished generation (also a cancelled one: its tokens were computed).
  void add_generation(int64_t prompt_tokens, int64_t generated_tokens, double prompt_s, double gen_s);
  void count_cancelled();     // the client went away mid-stream
  void count_queue_full();    // refused with 503

  std::string render(const SlotGauges& slots) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  uint64_t prompt_tokens_ = 0, generated_tokens_ = 0, generations_ = 0;
  double prompt_s_ = 0, gen_s_ = 0;
  uint64_t cancelled_ = 0, queue_full_ = 0;
};

}  // namespace trit::serve
