#include "generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace trit {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::string fmt(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", double(v));
  return buf;
}

// Softmax weight relative to the maximum. A logit equal to the maximum weighs 1 even when the
// maximum is infinite, so +inf picks itself and an all -inf row stays a (uniform) distribution
// instead of NaN.
double weight(float logit, float max_logit) {
  return logit == max_logit ? 1.0 : std::exp(double(logit) - double(max_logit));
}

}  // namespace

Status validate(const SamplerParams& p) {
  if (!std::isfinite(p.temperature) || p.temperature < 0.0f)
    return make_error("temperature must be >= 0 (0 = greedy), got " + fmt(p.temperature));
  if (p.top_k < 0)
    return make_error("top-k must be >= 0 (0 = off), got " + std::to_string(p.top_k));
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f))
    return make_error("top-p must be in (0, 1] (1 = off), got " + fmt(p.top_p));
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f))
    return make_error("min-p must be in [0, 1] (0 = off), got " + fmt(p.min_p));
  if (!std::isfinite(p.repeat_penalty) || p.repeat_penalty <= 0.0f)
    return make_error("repeat-penalty must be > 0 (1 = off), got " + fmt(p.repeat_penalty));
  if (p.repeat_last_n < -1)
    return make_error("repeat-last-n must be >= -1 (0 = off, -1 = all), got " +
                      std::to_string(p.repeat_last_n));
  return {};
}

Result<Sampler> Sampler::create(const SamplerParams& params) {
  TRIT_TRY(validate(params));
  return Sampler(params);
}

void Sampler::accept(int32_t token) {
  if (params_.repeat_last_n == 0) return;
  history_.push_back(token);
  const size_t cap = size_t(params_.repeat_last_n);
  if (params_.repeat_last_n > 0 && history_.size() > cap)
    history_.erase(history_.begin(), history_.end() - ptrdiff_t(cap));
}

void Sampler::reset() {
  history_.clear();
  rng_.reseed(params_.seed);
}

// llama.cpp's repeat penalty: once per distinct token in the window, however often it occurs;
// divide a positive logit and multiply a non-positive one, so the token always becomes less likely.
void Sampler::apply_penalty(std::vector<Candidate>& cands) const {
  if (params_.repeat_penalty == 1.0f || history_.empty()) return;
  std::vector<int32_t> seen(history_);
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  for (int32_t id : seen) {
    if (id < 0 || size_t(id) >= cands.size()) continue;  // history from another vocabulary
    float& l = cands[size_t(id)].logit;                  // cands are still in id order here
    l = l <= 0.0f ? l * params_.repeat_penalty : l / params_.repeat_penalty;
  }
}

void Sampler::chain(std::span<const float> logits, std::vector<Candidate>& out) const {
  out.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    // NaN would break the sort's ordering; a NaN logit is never a sensible choice anyway.
    out[i] = {int32_t(i), std::isnan(logits[i]) ? kNegInf : logits[i]};
  }
  if (out.empty()) return;
  apply_penalty(out);

  if (is_greedy()) {
    // max_element keeps the first of equal maxima: the lowest id, as llama.cpp's greedy sampler.
    auto best =
        std::max_element(out.begin(), out.end(),
                         [](const Candidate& a, const Candidate& b) { return a.logit < b.logit; });
    out = {*best};
    return;
  }

  // A total order (logit descending, then id) so that equal logits sort the same everywhere.
  auto before = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  float max_logit = kNegInf;
  for (const Candidate& c : out) max_logit = std::max(max_logit, c.logit);
  // out[0, sorted) holds the best `sorted` candidates in final order; the rest are unordered.
  size_t sorted = 0;

  if (params_.top_k > 0 && size_t(params_.top_k) < out.size()) {
    sorted = size_t(params_.top_k);
    std::partial_sort(out.begin(), out.begin() + ptrdiff_t(sorted), out.end(), before);
    out.resize(sorted);
  }
  // Top-p normalizes over the top-k survivors: take their mass before min-p drops any.
  double total = 0.0;
  if (params_.top_p < 1.0f)
    for (const Candidate& c : out) total += weight(c.logit, max_logit);

  if (params_.min_p > 0.0f) {
    // p_i >= min_p * p_max  <=>  logit_i >= max_logit + log(min_p). Each step keeps a prefix of
    // the same order and the maximum survives all of them, so min-p's cut can be made first,
    // which leaves top-p a few tokens to sort instead of the vocabulary. The set is the same.
    const float threshold = max_logit + std::log(params_.min_p);
    std::erase_if(out, [&](const Candidate& c) { return !(c.logit >= threshold); });
    sorted = std::min(sorted, out.size());  // erase_if keeps order: the prefix stays sorted
  }
  if (params_.top_p < 1.0f) {
    // Smallest prefix whose probability reaches top_p. Sorted a chunk at a time, since a trained
    // model's nucleus is usually far smaller than the vocabulary (llama.cpp sorts adaptively too).
    const double target = double(params_.top_p) * total;
    double cum = 0.0;
    size_t keep = out.size();
    for (size_t i = 0; i < out.size(); ++i) {
      if (i == sorted) {
        sorted = std::min(out.size(), std::max<size_t>(256, sorted * 8));
        std::partial_sort(out.begin() + ptrdiff_t(i), out.begin() + ptrdiff_t(sorted), out.end(),
                          before);
      }
      cum += weight(out[i].logit, max_logit);
      if (cum >= target) {
        keep = i + 1;
        break;
      }
    }
    out.resize(keep);
  }
  // Most probable first, for the draw's order and candidates().
  if (sorted < out.size()) std::sort(out.begin() + ptrdiff_t(sorted), out.end(), before);
  // Last, as in llama.cpp's chain: the temperature reshapes but never decides who survives.
  for (Candidate& c : out) c.logit /= params_.temperature;
}

std::vector<TokenProb> Sampler::candidates(std::span<const float> logits) const {
  std::vector<Candidate> cands;
  chain(logits, cands);
  std::vector<TokenProb> probs;
  if (cands.empty()) return probs;
  const float max_logit = cands[0].logit;
  double total = 0.0;
  for (const Candidate& c : cands) total += weight(c.logit, max_logit);
  probs.reserve(cands.size());
  for (const Candidate& c : cands)
    probs.push_back({c.id, float(weight(c.logit, max_logit) / total)});
  return probs;
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (logits.empty()) return -1;
  chain(logits, scratch_);
  if (is_greedy()) return scratch_[0].id;
  // One draw per sampled token, even when one candidate is left (as llama.cpp's dist sampler),
  // so that the random stream's position depends only on how many tokens were sampled.
  const double u = rng_.uniform();
  if (scratch_.size() == 1) return scratch_[0].id;

  const float max_logit = scratch_[0].logit;
  double total = 0.0;
  for (const Candidate& c : scratch_) total += weight(c.logit, max_logit);
  // Inverse CDF: the first candidate whose running sum passes u * total. Strict `>` so a weight
  // that underflowed to 0 can never be picked.
  const double target = u * total;
  double cum = 0.0;
  size_t last_positive = 0;
  for (size_t i = 0; i < scratch_.size(); ++i) {
    const double w = weight(scratch_[i].logit, max_logit);
    if (w <= 0.0) continue;
    last_positive = i;
    cum += w;
    if (cum > target) return scratch_[i].id;
  }
  return scratch_[last_positive].id;  // rounding left target at total
}

}  // namespace trit
