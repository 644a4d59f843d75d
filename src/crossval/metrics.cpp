#include "crossval/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace trit::crossval {

std::vector<double> log_softmax(std::span<const float> logits) {
  std::vector<double> out(logits.size());
  if (logits.empty()) return out;
  double mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  const double lse = mx + std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - lse;
  return out;
}

double cosine(std::span<const float> a, std::span<const float> b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  if (aa == 0 && bb == 0) return 1.0;
  if (aa == 0 || bb == 0) return 0.0;
  return ab / (std::sqrt(aa) * std::sqrt(bb));
}

double l2_distance(std::span<const float> a, std::span<const float> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    s += d * d;
  }
  return std::sqrt(s);
}

double max_abs_diff(std::span<const float> a, std::span<const float> b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
    if (!(d <= m)) m = d;  // also propagates NaN
  }
  return m;
}

namespace {
double kl_from_log_probs(const std::vector<double>& lr, const std::vector<double>& lo) {
  double kl = 0;
  for (size_t i = 0; i < lr.size(); ++i) {
    const double p = std::exp(lr[i]);
    if (p > 0) kl += p * (lr[i] - lo[i]);
  }
  return kl < 0 ? 0 : kl;  // rounding can leave -1e-17 on identical inputs
}
}  // namespace

double kl_divergence(std::span<const float> ref, std::span<const float> ours) {
  return kl_from_log_probs(log_softmax(ref), log_softmax(ours));
}

std::vector<int32_t> top_k(std::span<const float> logits, int k) {
  const size_t n = std::min(logits.size(), static_cast<size_t>(std::max(k, 0)));
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(), [&](int32_t x, int32_t y) {
    return logits[x] > logits[y] || (logits[x] == logits[y] && x < y);
  });
  ids.resize(n);
  return ids;
}

int32_t arg_max(std::span<const float> logits) {
  return logits.empty() ? -1 : static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

double topk_overlap(std::span<const float> a, std::span<const float> b, int k) {
  std::vector<int32_t> ta = top_k(a, k), tb = top_k(b, k);
  if (ta.empty()) return 1.0;
  std::sort(ta.begin(), ta.end());
  std::sort(tb.begin(), tb.end());
  std::vector<int32_t> both;
  std::set_intersection(ta.begin(), ta.end(), tb.begin(), tb.end(), std::back_inserter(both));
  return static_cast<double>(both.size()) / static_cast<double>(ta.size());
}

PositionMetrics compare_position(std::span<const float> ours, std::span<const float> ref, int pos, int32_t token,
                                 int32_t next, int k, double tie_margin) {
  PositionMetrics m;
  m.pos = pos;
  m.token = token;
  m.finite = std::all_of(ours.begin(), ours.end(), [](float v) { return std::isfinite(v); }) &&
             std::all_of(ref.begin(), ref.end(), [](float v) { return std::isfinite(v); });
  if (!m.finite) {
    // Worst possible values; JSON writes them as null and every profile check fails on NaN.
    m.cos = m.l2 = m.max_abs = m.kl = NAN;
    m.top1_ours = m.top1_ref = -1;
    return m;
  }
  m.cos = cosine(ours, ref);
  m.l2 = l2_distance(ours, ref);
  m.max_abs = max_abs_diff(ours, ref);
  const std::vector<double> lr = log_softmax(ref), lo = log_softmax(ours);
  m.kl = kl_from_log_probs(lr, lo);
  m.top1_ours = arg_max(ours);
  m.top1_ref = arg_max(ref);
  m.top1_match = m.top1_ours == m.top1_ref;
  if (!m.top1_match) {
    const double gap_ref = static_cast<double>(ref[m.top1_ref]) - ref[m.top1_ours];
    const double gap_ours = static_cast<double>(ours[m.top1_ours]) - ours[m.top1_ref];
    m.top1_tie = gap_ref <= tie_margin && gap_ours <= tie_margin;
  }
  m.topk_overlap = topk_overlap(ours, ref, k);
  if (next >= 0 && static_cast<size_t>(next) < ours.size()) {
    m.has_next = true;
    m.nll_ours = -lo[static_cast<size_t>(next)];
    m.nll_ref = -lr[static_cast<size_t>(next)];
  }
  return m;
}

}  // namespace trit::crossval
