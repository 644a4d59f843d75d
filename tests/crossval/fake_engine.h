// A deterministic in-memory Engine for runner tests: logits are a fixed function of
// (position, previous tokens), so two FakeEngines agree exactly unless a test perturbs one.
#pragma once

#include <cmath>
#include <functional>

#include "crossval/engine.h"

namespace trit::crossval::testing {

class FakeEngine : public Engine {
 public:
  explicit FakeEngine(int n_vocab = 64, int n_ctx = 1024) : n_vocab_(n_vocab), n_ctx_(n_ctx) {}

  // Called on each row after it is computed: (position, row) -> modify in place.
  std::function<void(int, std::span<float>)> perturb;
  // Tokenizer: one token per byte (mod n_vocab), BOS = 1 when add_special.
  std::function<std::vector<int32_t>(std::string_view)> tokenizer;

  int n_vocab() const override { return n_vocab_; }
  int n_ctx() const override { return n_ctx_; }

  Result<std::vector<int32_t>> tokenize(std::string_view text, bool add_special, bool) override {
    if (tokenizer) return tokenizer(text);
    std::vector<int32_t> ids;
    if (add_special) ids.push_back(1);
    for (unsigned char c : text) ids.push_back(static_cast<int32_t>(c % n_vocab_));
    return ids;
  }

  Result<std::vector<float>> eval_all(std::span<const int32_t> tokens) override {
    std::vector<float> out(tokens.size() * static_cast<size_t>(n_vocab_));
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < tokens.size(); ++i) {
      h = (h ^ static_cast<uint32_t>(tokens[i])) * 16777619u;  // causal: depends on the prefix only
      std::span<float> row(out.data() + i * n_vocab_, n_vocab_);
      for (int v = 0; v < n_vocab_; ++v) {
        row[v] = 4.0f * std::sin(0.37f * static_cast<float>(v) + static_cast<float>(h % 1000) * 0.01f);
      }
      if (perturb) perturb(static_cast<int>(i), row);
    }
    return out;
  }

  Result<std::vector<int32_t>> greedy(std::span<const int32_t> prompt, int n) override {
    std::vector<int32_t> seq(prompt.begin(), prompt.end()), out;
    for (int i = 0; i < n; ++i) {
      auto logits = eval_all(seq);
      std::span<const float> last(logits->data() + (seq.size() - 1) * n_vocab_, n_vocab_);
      int32_t best = 0;
      for (int v = 1; v < n_vocab_; ++v) {
        if (last[v] > last[best]) best = v;
      }
      out.push_back(best);
      seq.push_back(best);
    }
    return out;
  }

 private:
  int n_vocab_, n_ctx_;
};

}  // namespace trit::crossval::testing
