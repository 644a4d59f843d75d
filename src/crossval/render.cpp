// Text (stderr, for people) and Markdown (for CI summaries) renderings of a LaneReport: the same
// numbers as the parity JSON, formatted once here.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "crossval/report.h"

namespace trit::crossval {
namespace {

std::string g(double v, const char* f = "%.6g") {
  if (!std::isfinite(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string ids(const std::vector<int32_t>& v, size_t max = 32) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; ++i) {
    if (i) s += ' ';
    s += std::to_string(v[i]);
  }
  if (v.size() > max) s += " ... (" + std::to_string(v.size()) + " tokens)";
  return s;
}

std::string divergence(const LaneRun& run) {
  const auto& d = run.summary.first_divergence;
  if (!d) return "none";
  const CaseResult& c = run.cases[static_cast<size_t>(d->case_index)];
  const PositionMetrics& m = c.positions[static_cast<size_t>(d->pos)];
  return "prompt " + std::to_string(d->case_index) + " position " + std::to_string(d->pos) + " (cos " + g(m.cos) +
         ", kl " + g(m.kl) + ", top1 " + std::to_string(m.top1_ours) + " vs " + std::to_string(m.top1_ref) + ")";
}

struct Row {
  std::string name, value, limit;
};

std::vector<Row> summary_rows(const LaneReport& r) {
  const Summary& s = r.run.summary;
  const Profile& p = r.profile;
  return {
      {"positions", std::to_string(s.positions), ""},
      {"cos min / mean", g(s.cos_min, "%.7f") + " / " + g(s.cos_mean, "%.7f"), ">= " + g(p.cos_min)},
      {"KL mean / p99 / max (nats)", g(s.kl_mean, "%.3g") + " / " + g(s.kl_p99, "%.3g") + " / " + g(s.kl_max, "%.3g"),
       "max <= " + g(p.kl_max)},
      {"top-1 agreement (with near ties)", g(s.top1_agreement, "%.4f") + " (" + g(s.top1_agreement_ties, "%.4f") + ")",
       ">= " + g(p.top1_min)},
      {"top-k overlap mean", g(s.topk_overlap_mean, "%.4f"), ""},
      {"max |diff|", g(s.max_abs, "%.4g"), ""},
      {"first divergence", divergence(r.run), ""},
      {"decode match rate", g(s.decode_match_rate, "%.4f"), ">= " + g(p.decode_match_min)},
      {"NLL trit / reference (nats)", g(s.nll_ours, "%.5f") + " / " + g(s.nll_ref, "%.5f"), ""},
      {"speed trit / reference (tok/s)", g(r.run.timing.ours_tok_s, "%.1f") + " / " + g(r.run.timing.ref_tok_s, "%.1f"),
       ""},
  };
}

}  // namespace

std::string render_text(const LaneReport& r) {
  std::ostringstream o;
  o << "crossval lane " << r.lane << ": " << status_name(r.status) << "\n";
  o << "  reason:    " << r.reason << "\n";
  if (!r.fix.empty()) o << "  fix:       " << r.fix << "\n";
  if (!r.model.path.empty()) {
    o << "  model:     " << r.model.path << " (" << r.model.arch << ", " << r.model.ftype << ", sha256 "
      << r.model.sha256.substr(0, 16) << ")\n";
  }
  if (!r.reference.name.empty()) {
    o << "  reference: " << r.reference.name << " " << r.reference.version << " (" << r.reference.commit << ") "
      << r.reference.library << "\n";
  }
  o << "  profile:   " << r.profile.name << " (" << r.profile.why << ")";
  if (!r.compat.empty()) o << "; trit compat: " << r.compat;
  o << "\n";
  for (const std::string& d : r.deviations) o << "  deviation: " << d << "\n";
  for (const TokenizationMismatch& m : r.run.mismatches) {
    o << "  tokenization differs at index " << m.first_diff << " for \"" << m.text << "\"\n"
      << "    trit:      " << ids(m.ours) << "\n    reference: " << ids(m.ref) << "\n";
  }
  if (!r.ran || !r.run.tokenization_match) return o.str();
  for (const Row& row : summary_rows(r)) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-34s %-36s %s\n", row.name.c_str(), row.value.c_str(), row.limit.c_str());
    o << line;
  }
  for (size_t c = 0; c < r.run.cases.size(); ++c) {
    const DecodeResult& d = r.run.cases[c].decode;
    if (d.n == 0 || !d.first_mismatch) continue;
    o << "  decode, prompt " << c << ": first mismatch at token " << *d.first_mismatch
      << (d.tie ? " (a near tie)" : "") << "\n    trit:      " << ids(d.ours) << "\n    reference: " << ids(d.ref)
      << "\n";
  }
  return o.str();
}

std::string render_markdown(const LaneReport& r) {
  std::ostringstream o;
  o << "### crossval lane `" << r.lane << "`: **" << status_name(r.status) << "**\n\n";
  o << "- reason: " << r.reason << "\n";
  if (!r.fix.empty()) o << "- fix: " << r.fix << "\n";
  if (!r.model.path.empty()) {
    o << "- model: `" << r.model.path << "` (" << r.model.arch << ", " << r.model.ftype << ", sha256 `"
      << r.model.sha256 << "`)\n";
  }
  if (!r.reference.name.empty()) {
    o << "- reference: " << r.reference.name << " " << r.reference.version << " (`" << r.reference.commit << "`)\n";
  }
  o << "- profile: `" << r.profile.name << "`: " << r.profile.why << "\n";
  if (!r.compat.empty()) o << "- trit compat: `" << r.compat << "`\n";
  for (const std::string& d : r.deviations) o << "- deviation: " << d << "\n";
  for (const TokenizationMismatch& m : r.run.mismatches) {
    o << "- tokenization differs at index " << m.first_diff << " for `" << m.text << "`: trit `" << ids(m.ours)
      << "`, reference `" << ids(m.ref) << "`\n";
  }
  if (!r.ran || !r.run.tokenization_match) return o.str();
  o << "\n| metric | value | limit |\n|---|---|---|\n";
  for (const Row& row : summary_rows(r)) o << "| " << row.name << " | " << row.value << " | " << row.limit << " |\n";
  return o.str();
}

}  // namespace trit::crossval
