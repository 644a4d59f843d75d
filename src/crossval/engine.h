// Engine: what crossval needs from either side of a comparison, trit or a reference.
// The runner compares two Engines and knows nothing else about them, so it is tested with fakes
// (tests/crossval/) and works the same for every lane.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace trit::crossval {

class Engine {
 public:
  virtual ~Engine() = default;
  virtual int n_vocab() const = 0;
  virtual int n_ctx() const = 0;
  virtual Result<std::vector<int32_t>> tokenize(std::string_view text, bool add_special,
                                                bool parse_special) = 0;
  // Logits for every position of `tokens` evaluated from an empty cache: n x n_vocab, row-major.
  virtual Result<std::vector<float>> eval_all(std::span<const int32_t> tokens) = 0;
  // Greedy decode of exactly n tokens after `prompt` (arg-max, lowest id on ties; EOG does not stop).
  virtual Result<std::vector<int32_t>> greedy(std::span<const int32_t> prompt, int n) = 0;
};

}  // namespace trit::crossval
