#include "crossval/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <span>

namespace trit::crossval {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::vector<int32_t> fit_positions(std::vector<int32_t> tokens, int positions, bool has_bos) {
  if (positions <= 0 || tokens.empty()) return tokens;
  const size_t n = static_cast<size_t>(positions);
  if (tokens.size() >= n) {
    tokens.resize(n);
    return tokens;
  }
  const size_t body = has_bos && tokens.size() > 1 ? 1 : 0;  // repeat the text, not BOS
  const size_t period = tokens.size() - body;
  for (size_t i = 0; tokens.size() < n; ++i) tokens.push_back(tokens[body + i % period]);
  return tokens;
}

int first_difference(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<int>(i);
  }
  return static_cast<int>(n);
}

// Is the decode mismatch at step j a near tie? Re-evaluate the shared prefix with both engines and
// look at the last position, as compare_position does for teacher-forced positions.
Result<bool> decode_tie(Engine& ours, Engine& ref, const std::vector<int32_t>& prompt, const DecodeResult& d, int j,
                        int k, double tie_margin) {
  std::vector<int32_t> seq = prompt;
  seq.insert(seq.end(), d.ref.begin(), d.ref.begin() + j);
  auto lo = ours.eval_all(seq);
  if (!lo.ok()) return lo.error();
  auto lr = ref.eval_all(seq);
  if (!lr.ok()) return lr.error();
  const size_t nv = static_cast<size_t>(ref.n_vocab());
  std::span<const float> ro(lo->data() + (seq.size() - 1) * nv, nv), rr(lr->data() + (seq.size() - 1) * nv, nv);
  const PositionMetrics m = compare_position(ro, rr, static_cast<int>(seq.size() - 1), seq.back(), -1, k, tie_margin);
  // The tokens each engine actually chose must be the ones whose gap the check measured.
  return m.finite && m.top1_ours == d.ours[static_cast<size_t>(j)] && m.top1_ref == d.ref[static_cast<size_t>(j)] &&
         m.top1_tie;
}

}  // namespace

std::string_view status_name(LaneStatus s) {
  switch (s) {
    case LaneStatus::kPass: return "pass";
    case LaneStatus::kFail: return "fail";
    case LaneStatus::kSkipped: return "skipped";
    case LaneStatus::kError: return "error";
  }
  return "error";
}

bool position_passes(const PositionMetrics& m, const Profile& p) {
  // Written so that NaN fails every comparison.
  return m.finite && m.cos >= p.cos_min && m.kl <= p.kl_max && (m.top1_match || m.top1_tie || p.top1_min < 1.0);
}

Summary summarize(const std::vector<CaseResult>& cases) {
  Summary s;
  std::vector<double> kls;
  double cos_sum = 0, kl_sum = 0, topk_sum = 0, nll_o = 0, nll_r = 0, decode_sum = 0;
  int top1 = 0, top1_ties = 0, n_next = 0, n_decode = 0;
  for (size_t c = 0; c < cases.size(); ++c) {
    for (const PositionMetrics& m : cases[c].positions) {
      ++s.positions;
      if (!m.finite) s.finite = false;
      s.cos_min = std::fmin(s.cos_min, m.cos);
      if (std::isnan(m.cos)) s.cos_min = NAN;
      cos_sum += m.cos;
      kl_sum += m.kl;
      kls.push_back(m.kl);
      top1 += m.top1_match;
      top1_ties += m.top1_match || m.top1_tie;
      topk_sum += m.topk_overlap;
      if (!(m.max_abs <= s.max_abs)) s.max_abs = m.max_abs;
      if (m.has_next) {
        nll_o += m.nll_ours, nll_r += m.nll_ref;
        ++n_next;
      }
    }
    if (!s.first_divergence && cases[c].first_divergence) {
      s.first_divergence = Divergence{static_cast<int>(c), *cases[c].first_divergence};
    }
    if (cases[c].decode.n > 0) {
      decode_sum += cases[c].decode.match_fraction;
      ++n_decode;
    }
  }
  if (s.positions > 0) {
    const double n = s.positions;
    s.cos_mean = cos_sum / n;
    s.kl_mean = kl_sum / n;
    s.top1_agreement = top1 / n;
    s.top1_agreement_ties = top1_ties / n;
    s.topk_overlap_mean = topk_sum / n;
    if (s.finite) {
      std::sort(kls.begin(), kls.end());
      s.kl_max = kls.back();
      // Nearest-rank 99th percentile.
      const size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(kls.size())));
      s.kl_p99 = kls[std::max<size_t>(rank, 1) - 1];
    } else {
      s.kl_max = s.kl_p99 = s.kl_mean = s.cos_mean = NAN;
    }
  }
  if (n_next > 0) s.nll_ours = nll_o / n_next, s.nll_ref = nll_r / n_next;
  if (n_decode > 0) s.decode_match_rate = decode_sum / n_decode;
  return s;
}

std::vector<std::string> failed_checks(const Summary& s, const Profile& p) {
  std::vector<std::string> out;
  if (!s.finite) out.push_back("non-finite logits (NaN or infinity)");
  if (!(s.cos_min >= p.cos_min)) out.push_back("cos_min " + fmt("%.6f", s.cos_min) + " < " + fmt("%g", p.cos_min));
  if (!(s.kl_max <= p.kl_max)) out.push_back("kl_max " + fmt("%.3g", s.kl_max) + " > " + fmt("%g", p.kl_max));
  if (!(s.top1_agreement_ties >= p.top1_min)) {
    out.push_back("top1_agreement " + fmt("%.4f", s.top1_agreement_ties) + " < " + fmt("%g", p.top1_min));
  }
  if (!(s.decode_match_rate >= p.decode_match_min)) {
    out.push_back("decode_match_rate " + fmt("%.4f", s.decode_match_rate) + " < " + fmt("%g", p.decode_match_min));
  }
  return out;
}

LaneRun run_parity(Engine& ours, Engine& ref, const RunOptions& opts) {
  LaneRun run;
  const auto t_start = Clock::now();
  auto error = [&](std::string msg) {
    run.status = LaneStatus::kError;
    run.reason = std::move(msg);
    run.timing.seconds = seconds_since(t_start);
    return run;
  };
  if (ours.n_vocab() != ref.n_vocab()) {
    return error("vocabulary sizes differ: trit " + std::to_string(ours.n_vocab()) + ", reference " +
                 std::to_string(ref.n_vocab()));
  }
  const size_t nv = static_cast<size_t>(ref.n_vocab());

  // 1. Tokenization gate.
  std::vector<std::vector<int32_t>> tokenized;
  for (const std::string& text : opts.prompts) {
    auto to = ours.tokenize(text, opts.add_special, opts.parse_special);
    if (!to.ok()) return error("trit tokenize: " + to.error().message);
    auto tr = ref.tokenize(text, opts.add_special, opts.parse_special);
    if (!tr.ok()) return error(tr.error().message);
    ++run.tokenization_cases;
    if (*to != *tr) {
      run.mismatches.push_back({text, *to, *tr, first_difference(*to, *tr)});
    }
    tokenized.push_back(std::move(*tr));
  }
  run.tokenization_match = run.mismatches.empty();
  if (!run.tokenization_match) {
    run.status = LaneStatus::kFail;
    run.reason = "tokenization mismatch in " + std::to_string(run.mismatches.size()) + " of " +
                 std::to_string(run.tokenization_cases) + " prompts";
    run.timing.seconds = seconds_since(t_start);
    return run;
  }

  double t_ours = 0, t_ref = 0;
  size_t n_evaluated = 0;
  for (size_t c = 0; c < opts.prompts.size(); ++c) {
    CaseResult cr;
    cr.prompt = opts.prompts[c];
    const std::vector<int32_t>& prompt = tokenized[c];
    if (prompt.empty()) return error("prompt " + std::to_string(c) + " tokenizes to nothing");
    const bool has_bos = opts.add_special;  // fit_positions keeps a leading special token in place
    cr.tokens = fit_positions(prompt, opts.positions, has_bos);
    const int n = static_cast<int>(cr.tokens.size());
    const int need = std::max(n, static_cast<int>(prompt.size()) + opts.decode);
    if (need > ours.n_ctx() || need > ref.n_ctx()) {
      return error("prompt " + std::to_string(c) + " needs " + std::to_string(need) + " positions; context is " +
                   std::to_string(std::min(ours.n_ctx(), ref.n_ctx())) + " (lower --positions/--decode)");
    }
    for (int32_t t : cr.tokens) {
      if (t < 0 || static_cast<size_t>(t) >= nv) return error("token id " + std::to_string(t) + " outside the vocabulary");
    }

    // 2. Teacher-forced logits at every position.
    auto t0 = Clock::now();
    auto lo = ours.eval_all(cr.tokens);
    t_ours += seconds_since(t0);
    if (!lo.ok()) return error("trit eval: " + lo.error().message);
    t0 = Clock::now();
    auto lr = ref.eval_all(cr.tokens);
    t_ref += seconds_since(t0);
    if (!lr.ok()) return error(lr.error().message);
    if (lo->size() != static_cast<size_t>(n) * nv || lr->size() != static_cast<size_t>(n) * nv) {
      return error("eval returned " + std::to_string(lo->size()) + " / " + std::to_string(lr->size()) +
                   " logits, expected " + std::to_string(static_cast<size_t>(n) * nv));
    }
    // A reference whose logits are not finite is broken, not a divergence of trit's: an error.
    if (const auto bad = std::find_if_not(lr->begin(), lr->end(), [](float v) { return std::isfinite(v); });
        bad != lr->end()) {
      return error("the reference returned non-finite logits (position " +
                   std::to_string((bad - lr->begin()) / static_cast<ptrdiff_t>(nv)) + " of prompt " +
                   std::to_string(c) + ")");
    }
    n_evaluated += static_cast<size_t>(n);
    for (int i = 0; i < n; ++i) {
      std::span<const float> ro(lo->data() + static_cast<size_t>(i) * nv, nv);
      std::span<const float> rr(lr->data() + static_cast<size_t>(i) * nv, nv);
      const int32_t next = i + 1 < n ? cr.tokens[static_cast<size_t>(i) + 1] : -1;
      PositionMetrics m = compare_position(ro, rr, i, cr.tokens[static_cast<size_t>(i)], next, opts.top_k, opts.profile.tie_margin);
      if (!cr.first_divergence && !position_passes(m, opts.profile)) cr.first_divergence = i;
      cr.positions.push_back(m);
    }

    // 3. Greedy decode from the prompt as given (not the --positions extension).
    if (opts.decode > 0) {
      DecodeResult& d = cr.decode;
      d.n = opts.decode;
      auto go = ours.greedy(prompt, opts.decode);
      if (!go.ok()) return error("trit greedy: " + go.error().message);
      auto gr = ref.greedy(prompt, opts.decode);
      if (!gr.ok()) return error(gr.error().message);
      for (int32_t t : *gr) {
        if (t < 0 || static_cast<size_t>(t) >= nv) {
          return error("the reference's greedy decode returned token id " + std::to_string(t) +
                       ", outside the vocabulary");
        }
      }
      d.ours = std::move(*go);
      d.ref = std::move(*gr);
      const int j = first_difference(d.ours, d.ref);
      if (j < d.n) {
        d.first_mismatch = j;
        auto tie = decode_tie(ours, ref, prompt, d, j, opts.top_k, opts.profile.tie_margin);
        if (!tie.ok()) return error("decode tie check: " + tie.error().message);
        d.tie = *tie;
        d.match_fraction = d.tie ? 1.0 : static_cast<double>(j) / d.n;
      }
    }
    run.cases.push_back(std::move(cr));
  }

  run.summary = summarize(run.cases);
  run.timing.seconds = seconds_since(t_start);
  run.timing.ours_tok_s = t_ours > 0 ? static_cast<double>(n_evaluated) / t_ours : 0;
  run.timing.ref_tok_s = t_ref > 0 ? static_cast<double>(n_evaluated) / t_ref : 0;
  const std::vector<std::string> failed = failed_checks(run.summary, opts.profile);
  run.status = failed.empty() ? LaneStatus::kPass : LaneStatus::kFail;
  for (const std::string& f : failed) {
    if (!run.reason.empty()) run.reason += "; ";
    run.reason += f;
  }
  if (run.status == LaneStatus::kPass) run.reason = "all checks of profile " + std::string(opts.profile.name) + " hold";
  return run;
}

}  // namespace trit::crossval
