// trit.crossval.parity/1 (CONTRACT.md): every number below is the one the verdict was made from.
#include <cmath>

#include "crossval/report.h"

namespace trit::crossval {
namespace {

using nlohmann::json;

// JSON has no NaN or infinity: a non-finite metric is written as null (and has already failed).
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json optional_int(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

json position_json(const PositionMetrics& m) {
  return {{"pos", m.pos},          {"token", m.token},     {"cos", num(m.cos)},
          {"l2", num(m.l2)},       {"max_abs", num(m.max_abs)}, {"kl", num(m.kl)},
          {"top1_match", m.top1_match}, {"top1_tie", m.top1_tie}, {"top1_ours", m.top1_ours},
          {"top1_ref", m.top1_ref}, {"topk_overlap", num(m.topk_overlap)}};
}

json case_json(const CaseResult& c) {
  json positions = json::array();
  for (const PositionMetrics& m : c.positions) positions.push_back(position_json(m));
  json decode = {{"n", c.decode.n},
                 {"ours", c.decode.ours},
                 {"ref", c.decode.ref},
                 {"first_mismatch", optional_int(c.decode.first_mismatch)},
                 {"tie", c.decode.tie},
                 {"match_fraction", num(c.decode.match_fraction)}};
  return {{"prompt", c.prompt},
          {"n_tokens", c.tokens.size()},
          {"tokens", c.tokens},
          {"positions", positions},
          {"first_divergence", optional_int(c.first_divergence)},
          {"decode", decode}};
}

json divergence_json(const LaneRun& run) {
  const auto& d = run.summary.first_divergence;
  if (!d) return nullptr;
  return {{"case", d->case_index}, {"pos", d->pos}, {"prompt", run.cases[static_cast<size_t>(d->case_index)].prompt}};
}

json trace_tensor_json(const TraceTensor& t) {
  return {{"layer", t.layer}, {"tensor", t.tensor}, {"ref_tensor", t.ref_name}, {"cos", num(t.cos)},
          {"max_abs", num(t.max_abs)}};
}

json trace_json(const TraceResult& t) {
  json tensors = json::array();
  for (const TraceTensor& x : t.tensors) tensors.push_back(trace_tensor_json(x));
  return {{"case", t.case_index},
          {"position", t.position},
          {"cos_min", t.cos_min},
          {"first", t.first ? trace_tensor_json(t.tensors[*t.first]) : json(nullptr)},
          {"tensors", tensors},
          {"unpaired", t.unpaired}};
}

}  // namespace

json parity_json(const LaneReport& r) {
  const LaneRun& run = r.run;
  const Summary& s = run.summary;
  json mismatches = json::array();
  for (const TokenizationMismatch& m : run.mismatches) {
    mismatches.push_back({{"text", m.text}, {"ours", m.ours}, {"ref", m.ref}, {"first_diff", m.first_diff}});
  }
  json cases = json::array();
  for (const CaseResult& c : run.cases) cases.push_back(case_json(c));
  json j = {
      {"schema", "trit.crossval.parity/1"},
      {"lane", r.lane},
      {"status", status_name(r.status)},
      {"reason", r.reason},
      {"model",
       {{"path", r.model.path}, {"sha256", r.model.sha256}, {"arch", r.model.arch}, {"ftype", r.model.ftype},
        {"n_params", r.model.n_params}}},
      {"reference",
       {{"name", r.reference.name}, {"version", r.reference.version}, {"commit", r.reference.commit},
        {"library", r.reference.library}}},
      {"profile",
       {{"name", r.profile.name}, {"cos_min", r.profile.cos_min}, {"kl_max", r.profile.kl_max},
        {"top1_min", r.profile.top1_min}, {"decode_match_min", r.profile.decode_match_min}, {"tie_margin", r.profile.tie_margin}}},
      {"compat", r.compat},
      {"deviations", r.deviations},
      {"tokenization",
       {{"match", run.tokenization_match}, {"cases", run.tokenization_cases}, {"mismatches", mismatches}}},
      {"cases", cases},
      {"summary", nullptr},
      {"timing",
       {{"ours_tok_s", num(run.timing.ours_tok_s)}, {"ref_tok_s", num(run.timing.ref_tok_s)},
        {"seconds", num(r.seconds_total)}}},
  };
  if (!r.fix.empty()) j["fix"] = r.fix;
  if (r.trace) j["trace"] = trace_json(*r.trace);
  if (!r.trace_note.empty()) j["trace_note"] = r.trace_note;
  if (r.ran && run.tokenization_match) {
    j["summary"] = {{"positions", s.positions},
                    {"cos_min", num(s.cos_min)},
                    {"cos_mean", num(s.cos_mean)},
                    {"kl_mean", num(s.kl_mean)},
                    {"kl_p99", num(s.kl_p99)},
                    {"kl_max", num(s.kl_max)},
                    {"top1_agreement", num(s.top1_agreement)},
                    {"top1_agreement_ties", num(s.top1_agreement_ties)},
                    {"topk_overlap_mean", num(s.topk_overlap_mean)},
                    {"max_abs", num(s.max_abs)},
                    {"first_divergence", divergence_json(run)},
                    {"decode_match_rate", num(s.decode_match_rate)},
                    {"nll_ours", num(s.nll_ours)},
                    {"nll_ref", num(s.nll_ref)}};
  }
  return j;
}

}  // namespace trit::crossval
