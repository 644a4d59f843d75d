#include "crossval/trace.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "crossval/metrics.h"
#include "model/model.h"

namespace trit::crossval {
namespace {

// Reference names tried for one of trit's names, best first.
std::vector<std::string> ref_candidates(const std::string& ours) {
  if (ours == "ffn_out") return {"ffn_out", "ffn_down"};  // bitnet graph: the down projection's own name
  return {ours};
}

std::string full_name(const std::string& name, int layer) {
  return layer < 0 ? name : name + "-" + std::to_string(layer);
}

bool all_finite(std::span<const float> v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

}  // namespace

std::pair<std::string, int> split_ref_name(std::string_view name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == name.size()) return {std::string(name), -1};
  int layer = 0;
  for (size_t i = dash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || layer > 1'000'000) return {std::string(name), -1};
    layer = layer * 10 + (name[i] - '0');
  }
  return {std::string(name.substr(0, dash)), layer};
}

std::optional<std::vector<float>> ref_token_row(const float* data, const int64_t ne[4], int n_tokens, int position) {
  if (n_tokens <= 0 || position < 0 || position >= n_tokens) return std::nullopt;
  int64_t total = 1;
  for (int d = 0; d < 4; ++d) {
    if (ne[d] <= 0) return std::nullopt;
    total *= ne[d];
  }
  if (total % n_tokens != 0) return std::nullopt;
  const int64_t n = total / n_tokens;
  if (n_tokens == 1) return std::vector<float>(data, data + n);
  int outer = 3;
  while (outer > 0 && ne[outer] == 1) --outer;
  if (ne[outer] == n_tokens && outer > 0) {  // token rows are contiguous
    const float* row = data + static_cast<int64_t>(position) * n;
    return std::vector<float>(row, row + n);
  }
  if (ne[0] == n_tokens) {  // transposed: token index fastest
    std::vector<float> row(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) row[static_cast<size_t>(i)] = data[i * n_tokens + position];
    return row;
  }
  return std::nullopt;
}

Result<std::vector<TraceRow>> collect_trit_trace(Session& session, std::span<const int32_t> tokens, int position) {
  if (position < 0 || static_cast<size_t>(position) >= tokens.size()) {
    return make_error("trace: position " + std::to_string(position) + " outside the " +
                      std::to_string(tokens.size()) + " evaluated tokens");
  }
  std::vector<TraceRow> rows;
  // A long prompt is evaluated in chunks; each chunk starts with inp_embd. Only the chunk that
  // holds `position` is kept; result_norm / result_output cover the same rows (all logits).
  int chunk_start = 0, chunk_len = 0;
  bool started = false;
  session.set_trace([&](std::string_view name, int layer, const float* data, int n_tokens, int n) {
    if (name == "inp_embd") {
      chunk_start = started ? chunk_start + chunk_len : 0;
      chunk_len = n_tokens;
      started = true;
    }
    const int r = position - chunk_start;
    if (r < 0 || r >= n_tokens) return;
    const float* row = data + static_cast<int64_t>(r) * n;
    rows.push_back({std::string(name), layer, std::vector<float>(row, row + n)});
  });
  std::vector<float> logits;
  session.reset();
  Status s = session.eval(tokens, &logits, /*all_logits=*/true);
  session.set_trace({});
  session.reset();
  if (!s.ok()) return s.error();
  return rows;
}

Result<std::vector<TraceRow>> collect_ref_trace(RefModel& ref, std::span<const int32_t> tokens, int position) {
  if (position < 0 || static_cast<size_t>(position) >= tokens.size()) {
    return make_error("trace: position " + std::to_string(position) + " outside the " +
                      std::to_string(tokens.size()) + " evaluated tokens");
  }
  const int n_tokens = static_cast<int>(tokens.size());
  std::vector<TraceRow> rows;
  std::map<std::string, size_t> index;  // full name -> rows index: the last of a name wins
  auto r = ref.eval_trace(tokens, [&](std::string_view name, const float* data, const int64_t ne[4]) {
    auto row = ref_token_row(data, ne, n_tokens, position);
    if (!row) return;
    auto [base, layer] = split_ref_name(name);
    const std::string key(name);
    if (auto it = index.find(key); it != index.end()) {
      rows[it->second].row = std::move(*row);
    } else {
      index[key] = rows.size();
      rows.push_back({std::move(base), layer, std::move(*row)});
    }
  });
  if (!r.ok()) return r.error();
  return rows;
}

TraceResult compare_traces(const std::vector<TraceRow>& ours, const std::vector<TraceRow>& ref, double cos_min) {
  TraceResult out;
  out.cos_min = cos_min;
  out.ref_tensors = static_cast<int>(ref.size());
  std::map<std::pair<std::string, int>, const TraceRow*> by_name;
  for (const TraceRow& r : ref) by_name[{r.name, r.layer}] = &r;
  for (const TraceRow& o : ours) {
    const TraceRow* match = nullptr;
    for (const std::string& cand : ref_candidates(o.name)) {
      auto it = by_name.find({cand, o.layer});
      if (it != by_name.end() && it->second->row.size() == o.row.size()) {
        match = it->second;
        break;
      }
    }
    if (!match) {
      out.unpaired.push_back(full_name(o.name, o.layer));
      continue;
    }
    TraceTensor t;
    t.layer = o.layer;
    t.tensor = o.name;
    t.ref_name = full_name(match->name, match->layer);
    t.finite = all_finite(o.row) && all_finite(match->row);
    t.cos = cosine(o.row, match->row);
    t.max_abs = max_abs_diff(o.row, match->row);
    // Written so that NaN counts as outside the tolerance.
    if (!out.first && (!t.finite || !(t.cos >= cos_min))) out.first = out.tensors.size();
    out.tensors.push_back(std::move(t));
  }
  return out;
}

Result<TraceResult> trace_position(Session& ours, RefModel& ref, std::span<const int32_t> tokens, int position,
                                   double cos_min) {
  auto o = collect_trit_trace(ours, tokens, position);
  if (!o.ok()) return o.error();
  auto r = collect_ref_trace(ref, tokens, position);
  if (!r.ok()) return r.error();
  TraceResult t = compare_traces(*o, *r, cos_min);
  t.position = position;
  return t;
}

TracePoint choose_trace_point(const std::vector<std::optional<int>>& first_divergence,
                              const std::vector<int>& n_tokens, int position) {
  TracePoint p;
  for (size_t c = 0; c < first_divergence.size(); ++c) {
    if (first_divergence[c]) {
      p.case_index = static_cast<int>(c);
      p.position = *first_divergence[c];
      break;
    }
  }
  const int n = n_tokens.empty() ? 1 : n_tokens[static_cast<size_t>(p.case_index)];
  const bool diverged = p.case_index > 0 || (!first_divergence.empty() && first_divergence[0]);
  if (position >= 0) {
    p.position = std::min(position, n - 1);
  } else if (!diverged) {
    p.position = n - 1;
  }
  return p;
}

}  // namespace trit::crossval
