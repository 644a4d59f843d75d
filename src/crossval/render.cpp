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

std::string trace_first(const TraceResult& t) {
  if (!t.first) return "none (every paired tensor has cos >= " + g(t.cos_min) + ")";
  const TraceTensor& f = t.tensors[*t.first];
  return (f.layer >= 0 ? "layer " + std::to_string(f.layer) + ", " : std::string()) + f.tensor + ", cos " +
         g(f.cos, "%.6f") + ", max|diff| " + g(f.max_abs, "%.4g");
}

// Layers in graph order, each with its tensors' cosines: one line per layer.
void trace_text(std::ostringstream& o, const TraceResult& t) {
  o << "  trace (prompt " << t.case_index << ", position " << t.position << ", threshold cos >= " << g(t.cos_min)
    << "): first divergence: " << trace_first(t) << "\n";
  int layer = -2;
  for (size_t i = 0; i < t.tensors.size(); ++i) {
    const TraceTensor& x = t.tensors[i];
    if (x.layer != layer) {
      if (layer != -2) o << "\n";
      o << "    " << (x.layer < 0 ? std::string("      ") : "layer " + std::to_string(x.layer)) << ":";
      layer = x.layer;
    }
    char cell[160];
    std::snprintf(cell, sizeof cell, " %s %s/%s%s", x.tensor.c_str(), g(x.cos, "%.6f").c_str(),
                  g(x.max_abs, "%.2g").c_str(), t.first && *t.first == i ? " <== FIRST" : "");
    o << cell;
  }
  if (layer != -2) o << "\n";
  o << "    (cos/max|diff| per tensor; " << t.unpaired.size() << " trit tensors had no reference counterpart)\n";
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
  if (r.trace) trace_text(o, *r.trace);
  if (!r.trace_note.empty()) o << "  trace:     " << r.trace_note << "\n";
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
  if (!r.trace_note.empty()) o << "\n- trace: " << r.trace_note << "\n";
  if (r.trace) {
    const TraceResult& t = *r.trace;
    o << "\n#### trace: prompt " << t.case_index << ", position " << t.position << "\n\n"
      << "First tensor below cos " << g(t.cos_min) << ": **" << trace_first(t) << "**\n\n"
      << "| layer | tensor | reference tensor | cos | max abs diff |\n|---|---|---|---|---|\n";
    for (size_t i = 0; i < t.tensors.size(); ++i) {
      const TraceTensor& x = t.tensors[i];
      const bool first = t.first && *t.first == i;
      o << "| " << (x.layer < 0 ? std::string("-") : std::to_string(x.layer)) << " | " << (first ? "**" : "")
        << x.tensor << (first ? "**" : "") << " | `" << x.ref_name << "` | " << g(x.cos, "%.6f") << " | "
        << g(x.max_abs, "%.4g") << " |\n";
    }
  }
  return o.str();
}

}  // namespace trit::crossval
