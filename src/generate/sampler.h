// Token sampling: repetition penalty, top-k, top-p, min-p, temperature, then a seeded draw.
// Same order as llama.cpp's default chain (common/common.h `samplers`: penalties -> top_k ->
// top_p -> min_p -> temperature -> dist), so the truncations see untempered logits and the
// temperature only reshapes what survives them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "generate/rng.h"

namespace trit {

// Fixed, so that a run without --seed repeats; pass a seed to vary the output.
inline constexpr uint64_t kDefaultSeed = 0x7472'6974;  // "trit"

// Defaults are llama.cpp's common_params_sampling defaults.
struct SamplerParams {
  float temperature = 0.8f;     // 0: greedy (argmax after the penalty)
  int top_k = 40;               // 0: off (whole vocabulary)
  float top_p = 0.95f;          // in (0, 1]; 1: off
  float min_p = 0.05f;          // in [0, 1]; 0: off. Keeps p_i >= min_p * p_max
  float repeat_penalty = 1.0f;  // > 0; 1: off. Logit > 0 is divided by it, logit <= 0 multiplied
  int repeat_last_n = 64;       // tokens of history penalized; 0: off, -1: all accepted tokens
  uint64_t seed = kDefaultSeed;
  bool greedy = false;  // argmax after the penalty, lowest id on ties; ignores the rest
};

// An error naming the first parameter out of range and its valid range.
Status validate(const SamplerParams& params);

// One surviving candidate: token id and its probability in the final distribution.
struct TokenProb {
  int32_t id;
  float p;
};

class Sampler {
 public:
  static Result<Sampler> create(const SamplerParams& params);

  // Pick the next token from one position's logits (n_vocab floats). Does not record it: call
  // accept() with the token actually used (the generation loop does this, prompt included).
  int32_t sample(std::span<const float> logits);

  // The distribution sample() draws from: the survivors of the chain, most probable first (ties:
  // lower id first), probabilities summing to 1. Greedy gives one candidate with p = 1.
  // Consumes no randomness; for tests and tools that want to see the truncation.
  std::vector<TokenProb> candidates(std::span<const float> logits) const;

  // Add a token to the repetition-penalty history (llama.cpp's llama_sampler_accept).
  void accept(int32_t token);
  // Forget the history and restart the random stream from the seed.
  void reset();

  const SamplerParams& params() const { return params_; }
  bool is_greedy() const { return params_.greedy || params_.temperature == 0.0f; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };
  explicit Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}
  // Runs the chain: `out` ends as the survivors, sorted, logits divided by the temperature.
  void chain(std::span<const float> logits, std::vector<Candidate>& out) const;
  void apply_penalty(std::vector<Candidate>& cands) const;

  SamplerParams params_;
  Rng rng_;
  std::vector<int32_t> history_;    // newest last; at most repeat_last_n (all when -1)
  std::vector<Candidate> scratch_;  // reused by sample() so a token costs no allocation
};

}  // namespace trit
