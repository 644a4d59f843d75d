#include "serve/metrics.h"

#include <cstdio>

namespace trit::serve {

void Metrics::count_request(const std::string& route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::add_generation(int64_t prompt_tokens, int64_t generated_tokens, double prompt_s, double gen_s) {
  std::lock_guard lock(mu_);
  prompt_tokens_ += uint64_t(prompt_tokens);
  generated_tokens_ += uint64_t(generated_tokens);
  prompt_s_ += prompt_s;
  gen_s_ += gen_s;
  ++generations_;
}

void Metrics::count_cancelled() {
  std::lock_guard lock(mu_);
  ++cancelled_;
}

void Metrics::count_queue_full() {
  std::lock_guard lock(mu_);
  ++queue_full_;
}

namespace {

void metric(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const char* name, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, " %.17g\n", value);
  out += name;
  out += buf;
}

}  // namespace

std::string Metrics::render(const SlotGauges& slots) const {
  std::lock_guard lock(mu_);
  std::string out;
  metric(out, "trit_requests_total", "counter", "HTTP requests answered, by route and status code.");
  for (const auto& [key, n] : requests_) {
    out += "trit_requests_total{route=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(n) + "\n";
  }
  metric(out, "trit_generations_total", "counter", "Completions run (streamed or not).");
  sample(out, "trit_generations_total", double(generations_));
  metric(out, "trit_prompt_tokens_total", "counter", "Prompt tokens evaluated.");
  sample(out, "trit_prompt_tokens_total", double(prompt_tokens_));
  metric(out, "trit_generated_tokens_total", "counter", "Tokens generated.");
  sample(out, "trit_generated_tokens_total", double(generated_tokens_));
  metric(out, "trit_prompt_seconds_total", "counter", "Seconds spent evaluating prompts.");
  sample(out, "trit_prompt_seconds_total", prompt_s_);
  metric(out, "trit_generation_seconds_total", "counter", "Seconds spent in single-token evaluations.");
  sample(out, "trit_generation_seconds_total", gen_s_);
  metric(out, "trit_prompt_tokens_per_second", "gauge", "Prompt tokens per second since start.");
  sample(out, "trit_prompt_tokens_per_second", prompt_s_ > 0 ? double(prompt_tokens_) / prompt_s_ : 0.0);
  metric(out, "trit_generated_tokens_per_second", "gauge",
         "Generated tokens per second of evaluation since start (per slot, as llama.cpp's eval rate).");
  sample(out, "trit_generated_tokens_per_second", gen_s_ > 0 ? double(generated_tokens_) / gen_s_ : 0.0);
  metric(out, "trit_requests_cancelled_total", "counter", "Streams stopped because the client went away.");
  sample(out, "trit_requests_cancelled_total", double(cancelled_));
  metric(out, "trit_requests_rejected_total", "counter", "Requests refused with 503 because the queue was full.");
  sample(out, "trit_requests_rejected_total", double(queue_full_));
  metric(out, "trit_queue_depth", "gauge", "Requests waiting for a free slot.");
  sample(out, "trit_queue_depth", slots.queued);
  metric(out, "trit_slots_busy", "gauge", "Slots generating now.");
  sample(out, "trit_slots_busy", slots.busy);
  metric(out, "trit_slots_total", "gauge", "Slots (--parallel).");
  sample(out, "trit_slots_total", slots.total);
  return out;
}

}  // namespace trit::serve
