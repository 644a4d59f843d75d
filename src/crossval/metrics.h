// Per-position comparison of two logit vectors (ours vs the reference's) over the full vocabulary.
// Everything is computed in double so the metric itself adds no error worth mentioning.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace trit::crossval {

// Numerically stable log-softmax in double: x - max - log(sum exp(x - max)).
std::vector<double> log_softmax(std::span<const float> logits);

double cosine(std::span<const float> a, std::span<const float> b);    // 1 when both are all zero
double l2_distance(std::span<const float> a, std::span<const float> b);
double max_abs_diff(std::span<const float> a, std::span<const float> b);
// KL(P_ref || P_ours) in nats, softmax over the full vocabulary; never negative.
double kl_divergence(std::span<const float> ref, std::span<const float> ours);
// Ids of the k largest values, largest first; ties go to the lowest id (as greedy decoding does).
std::vector<int32_t> top_k(std::span<const float> logits, int k);
int32_t arg_max(std::span<const float> logits);
// |top_k(a) ∩ top_k(b)| / k.
double topk_overlap(std::span<const float> a, std::span<const float> b, int k);

struct PositionMetrics {
  int pos = 0;
  int32_t token = 0;        // the input token at this position
  double cos = 0, l2 = 0, max_abs = 0, kl = 0;
  bool top1_match = false;  // identical arg-max
  // Arg-maxes differ, but the two candidates are within `tie_margin` logits of each other in both
  // engines: a near tie that rounding can flip, not a wrong model (the profile sets the margin).
  bool top1_tie = false;
  int32_t top1_ours = 0, top1_ref = 0;
  double topk_overlap = 0;
  bool finite = true;       // false if either row has a NaN or an infinity
  // -log P(next prompt token) under each engine; only for positions that have a next token.
  bool has_next = false;
  double nll_ours = 0, nll_ref = 0;
};

// Compares one position. next < 0: no next token (last position). k: for top-k overlap.
PositionMetrics compare_position(std::span<const float> ours, std::span<const float> ref, int pos, int32_t token,
                                 int32_t next, int k, double tie_margin);

}  // namespace trit::crossval
