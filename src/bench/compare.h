// `trit compare-baselines` (CONTRACT.md): compares a current `trit bench --json` result with a baseline
// and flags regressions beyond a tolerance: a drop in pp or tg tokens/s, a rise in tg p95 latency or in
// peak RSS. Two modes:
//   ratio     (the CI default) both files are `trit bench --ref ... --json` arrays [trit, reference] from
//             one run each; tokens/s are compared as trit/reference ratios, the tg p95 latency as trit's
//             p95 over the reference's mean per-token time (1000 / its tg tok/s; the shim gives no
//             per-token latencies). Both engines ran alternately on the same machine, so the ratio
//             holds across machines where absolute numbers do not.
//   absolute  the trit entry's own numbers (an object, or the "trit" entry of an array).
// Peak RSS is compared as is in both modes: it is whole-process (trit and, with --ref, the reference
// too), and does not depend on the CPU's speed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace trit::bench {

enum class CompareMode { kRatio, kAbsolute };

struct CompareOptions {
  double tolerance = 0.05;  // relative: 0.05 flags a change of more than 5% in the bad direction
  CompareMode mode = CompareMode::kRatio;
};

enum class MetricStatus { kOk, kRegression, kImproved, kMissing };

struct MetricRow {
  std::string key;    // "pp_tok_s", "tg_tok_s", "tg_latency_p95", "rss_peak_mb"
  std::string label;  // what the numbers are, e.g. "tg tok/s (trit/llama.cpp)"
  bool higher_is_better = true;
  std::optional<double> baseline, current;
  std::optional<double> change;  // (current - baseline) / baseline
  MetricStatus status = MetricStatus::kMissing;
};

// One side of the comparison, as read from its file.
struct BenchSide {
  std::string path;
  nlohmann::json trit;       // the trit.bench/1 object of engine "trit"
  nlohmann::json reference;  // the reference's object (null when the file has none)
};

struct Comparison {
  CompareOptions options;
  BenchSide current, baseline;
  std::vector<MetricRow> rows;
  std::vector<std::string> notes;  // workload or machine differences worth knowing
  bool regression() const;
};

// Reads a `trit bench --json` file: a trit.bench/1 object or an array of them (trit first). Malformed
// input is an Error naming the file.
Result<BenchSide> load_bench_file(const std::string& path);
// The same from parsed JSON (`path` only names it in errors).
Result<BenchSide> bench_side_from_json(const nlohmann::json& j, const std::string& path);

// Compares; an Error (naming the file) when a side lacks what the mode needs, e.g. no reference
// entry in ratio mode.
Result<Comparison> compare_baselines(const BenchSide& current, const BenchSide& baseline,
                                     const CompareOptions& options);

std::string comparison_markdown(const Comparison& c);
// Schema trit.perf.compare/1 (read back by the crossval summary's performance section).
nlohmann::json comparison_json(const Comparison& c);

const char* mode_name(CompareMode m);
const char* status_name(MetricStatus s);  // "ok", "regression", "improved", "missing"

}  // namespace trit::bench
