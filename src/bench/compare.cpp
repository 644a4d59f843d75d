// Baseline comparison of `trit bench --json` results; see compare.h.
#include "bench/compare.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace trit::bench {
namespace {

using nlohmann::json;

constexpr const char* kBenchSchema = "trit.bench/1";
constexpr const char* kCompareSchema = "trit.perf.compare/1";

std::optional<double> number_at(const json& j, const char* a, const char* b = nullptr) {
  if (!j.is_object() || !j.contains(a)) return std::nullopt;
  const json* v = &j[a];
  if (b) {
    if (!v->is_object() || !v->contains(b)) return std::nullopt;
    v = &(*v)[b];
  }
  if (!v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::string string_at(const json& j, const char* a, const char* b = nullptr) {
  if (!j.is_object() || !j.contains(a)) return {};
  const json* v = &j[a];
  if (b) {
    if (!v->is_object() || !v->contains(b)) return {};
    v = &(*v)[b];
  }
  return v->is_string() ? v->get<std::string>() : std::string();
}

// One trit.bench/1 object: the fields every comparison reads must be there.
Status check_entry(const json& e, const std::string& path, size_t index) {
  const std::string where = path + (index == size_t(-1) ? "" : " [" + std::to_string(index) + "]");
  if (!e.is_object()) return make_error(where + ": expected a trit.bench/1 object");
  const std::string schema = string_at(e, "schema");
  if (schema != kBenchSchema)
    return make_error(where + ": schema is '" + (schema.empty() ? "<missing>" : schema) + "', expected '" +
                      kBenchSchema + "' (the output of `trit bench --json`)");
  if (string_at(e, "engine").empty()) return make_error(where + ": no \"engine\"");
  for (const char* phase : {"pp", "tg"}) {
    auto v = number_at(e, phase, "tok_s_median");
    if (!v || !(*v > 0) || !std::isfinite(*v))
      return make_error(where + ": " + phase + ".tok_s_median is missing or not a positive number");
  }
  return {};
}

std::string model_name(const BenchSide& s) {
  return std::filesystem::path(string_at(s.trit, "model", "path")).filename().string();
}

std::string reference_name(const BenchSide& s) {
  return s.reference.is_null() ? std::string() : string_at(s.reference, "engine");
}

struct MetricSpec {
  const char* key;
  const char* label;       // absolute mode
  const char* ratio_label; // ratio mode; "%s" is the reference engine
  bool higher_is_better;
};

constexpr MetricSpec kMetrics[] = {
    {"pp_tok_s", "pp tok/s", "pp tok/s (trit/%s)", true},
    {"tg_tok_s", "tg tok/s", "tg tok/s (trit/%s)", true},
    {"tg_latency_p95", "tg p95 latency ms", "tg p95 latency (trit p95 / %s mean)", false},
    {"rss_peak_mb", "peak RSS MB", "peak RSS MB (whole process)", false},
};

std::optional<double> metric_value(const BenchSide& s, const std::string& key, CompareMode mode) {
  const json& t = s.trit;
  if (key == "rss_peak_mb") return number_at(t, "rss_peak_mb");
  if (mode == CompareMode::kAbsolute) {
    if (key == "pp_tok_s") return number_at(t, "pp", "tok_s_median");
    if (key == "tg_tok_s") return number_at(t, "tg", "tok_s_median");
    return number_at(t, "tg", "latency_ms_p95");
  }
  const json& r = s.reference;
  if (key == "pp_tok_s") return *number_at(t, "pp", "tok_s_median") / *number_at(r, "pp", "tok_s_median");
  if (key == "tg_tok_s") return *number_at(t, "tg", "tok_s_median") / *number_at(r, "tg", "tok_s_median");
  // The reference's mean time per generated token: the shim measures whole greedy runs only.
  auto p95 = number_at(t, "tg", "latency_ms_p95");
  if (!p95) return std::nullopt;
  return *p95 / (1000.0 / *number_at(r, "tg", "tok_s_median"));
}

std::string format_value(const MetricRow& r, CompareMode mode, const std::optional<double>& v) {
  if (!v) return "—";
  char buf[64];
  const bool ratio = mode == CompareMode::kRatio && r.key != "rss_peak_mb";
  std::snprintf(buf, sizeof buf, ratio ? "%.3fx" : (r.key == "rss_peak_mb" ? "%.1f" : "%.2f"), *v);
  return buf;
}

std::string format_change(const std::optional<double>& c) {
  if (!c) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", *c * 100.0);
  return buf;
}

const char* status_icon(MetricStatus s) {
  switch (s) {
    case MetricStatus::kOk: return "✅ ok";
    case MetricStatus::kRegression: return "❌ regression";
    case MetricStatus::kImproved: return "🚀 improved";
    case MetricStatus::kMissing: return "➖ not measured";
  }
  return "";
}

json side_json(const BenchSide& s) {
  json j = {{"path", s.path},
            {"model", model_name(s)},
            {"platform", s.trit.contains("platform") ? s.trit["platform"] : json(nullptr)},
            {"threads", s.trit.contains("threads") ? s.trit["threads"] : json(nullptr)}};
  const std::string ref = reference_name(s);
  j["reference"] = ref.empty() ? json(nullptr) : json(ref);
  return j;
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

bool Comparison::regression() const {
  for (const auto& r : rows)
    if (r.status == MetricStatus::kRegression) return true;
  return false;
}

const char* mode_name(CompareMode m) { return m == CompareMode::kRatio ? "ratio" : "absolute"; }

const char* status_name(MetricStatus s) {
  switch (s) {
    case MetricStatus::kOk: return "ok";
    case MetricStatus::kRegression: return "regression";
    case MetricStatus::kImproved: return "improved";
    case MetricStatus::kMissing: return "missing";
  }
  return "";
}

Result<BenchSide> bench_side_from_json(const json& j, const std::string& path) {
  BenchSide s;
  s.path = path;
  s.reference = nullptr;
  if (j.is_object()) {
    TRIT_TRY(check_entry(j, path, size_t(-1)));
    if (string_at(j, "engine") != "trit")
      return make_error(path + ": engine is '" + string_at(j, "engine") + "', expected a trit result");
    s.trit = j;
    return s;
  }
  if (!j.is_array() || j.empty())
    return make_error(path + ": expected a trit.bench/1 object or a non-empty array of them");
  for (size_t i = 0; i < j.size(); ++i) TRIT_TRY(check_entry(j[i], path, i));
  if (string_at(j[0], "engine") != "trit")
    return make_error(path + ": the first entry's engine is '" + string_at(j[0], "engine") +
                      "', expected 'trit' (`trit bench --ref` writes trit first)");
  s.trit = j[0];
  if (j.size() >= 2) s.reference = j[1];
  return s;
}

Result<BenchSide> load_bench_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(path + ": cannot open");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    return make_error(path + ": malformed JSON: " + e.what());
  }
  return bench_side_from_json(j, path);
}

Result<Comparison> compare_baselines(const BenchSide& current, const BenchSide& baseline,
                                     const CompareOptions& options) {
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance))
    return make_error("tolerance must be a number >= 0 (a fraction: 0.05 is 5%)");
  if (options.mode == CompareMode::kRatio) {
    for (const BenchSide* s : {&current, &baseline}) {
      if (s->reference.is_null())
        return make_error(s->path + ": ratio mode needs a reference entry: write it with `trit bench --ref llama "
                                    "--json` (an array [trit, reference]), or compare with --mode absolute");
    }
  }
  Comparison c;
  c.options = options;
  c.current = current;
  c.baseline = baseline;

  const std::string ref = reference_name(current);
  for (const MetricSpec& m : kMetrics) {
    MetricRow r;
    r.key = m.key;
    r.higher_is_better = m.higher_is_better;
    if (options.mode == CompareMode::kRatio) {
      char label[96];
      std::snprintf(label, sizeof label, m.ratio_label, ref.c_str());
      r.label = label;
    } else {
      r.label = m.label;
    }
    r.baseline = metric_value(baseline, m.key, options.mode);
    r.current = metric_value(current, m.key, options.mode);
    if (r.baseline && r.current && *r.baseline > 0) {
      r.change = (*r.current - *r.baseline) / *r.baseline;
      const double bad = r.higher_is_better ? -*r.change : *r.change;  // > 0: worse
      r.status = bad > options.tolerance ? MetricStatus::kRegression
                 : -bad > options.tolerance ? MetricStatus::kImproved
                                            : MetricStatus::kOk;
    }
    c.rows.push_back(r);
  }

  // What makes the numbers less comparable: said, not fatal (paths and machines differ by design).
  auto differs = [&](const char* what, const json& a, const json& b) {
    if (a != b) c.notes.push_back(std::string(what) + " differs: baseline " + b.dump() + ", current " + a.dump());
  };
  differs("pp.n_tokens", current.trit["pp"].value("n_tokens", json()), baseline.trit["pp"].value("n_tokens", json()));
  differs("tg.n_tokens", current.trit["tg"].value("n_tokens", json()), baseline.trit["tg"].value("n_tokens", json()));
  differs("threads", current.trit.value("threads", json()), baseline.trit.value("threads", json()));
  if (model_name(current) != model_name(baseline))
    c.notes.push_back("model file differs: baseline " + model_name(baseline) + ", current " + model_name(current));
  if (options.mode == CompareMode::kRatio && reference_name(baseline) != ref)
    c.notes.push_back("reference engine differs: baseline " + reference_name(baseline) + ", current " + ref);
  const std::string cpu_b = string_at(baseline.trit, "platform", "cpu");
  const std::string cpu_c = string_at(current.trit, "platform", "cpu");
  if (cpu_b != cpu_c) {
    c.notes.push_back("machine differs: baseline cpu '" + cpu_b + "', current cpu '" + cpu_c + "'" +
                      (options.mode == CompareMode::kAbsolute
                           ? " (absolute numbers are machine-specific; ratio mode compares across machines)"
                           : ""));
  }
  for (const auto& r : c.rows)
    if (r.status == MetricStatus::kMissing) c.notes.push_back(r.label + ": not measured on one side");
  return c;
}

std::string comparison_markdown(const Comparison& c) {
  std::string md;
  char buf[256];
  const bool ratio = c.options.mode == CompareMode::kRatio;
  std::snprintf(buf, sizeof buf, "### Performance: %s (%s mode%s, tolerance %.1f%%)\n\n", model_name(c.current).c_str(),
                mode_name(c.options.mode),
                ratio ? (": trit / " + reference_name(c.current)).c_str() : "", c.options.tolerance * 100.0);
  md += buf;
  md += "| Metric | Baseline | Current | Change | Status |\n|---|---|---|---|---|\n";
  for (const auto& r : c.rows) {
    md += "| " + r.label + " | " + format_value(r, c.options.mode, r.baseline) + " | " +
          format_value(r, c.options.mode, r.current) + " | " + format_change(r.change) + " | " +
          status_icon(r.status) + " |\n";
  }
  md += "\n";
  std::string regressed;
  for (const auto& r : c.rows)
    if (r.status == MetricStatus::kRegression) regressed += (regressed.empty() ? "" : ", ") + r.label;
  md += regressed.empty() ? "**Result: ✅ no regression beyond the tolerance**\n"
                          : "**Result: ❌ regression: " + regressed + "**\n";
  md += "\n- baseline: `" + c.baseline.path + "` (cpu: " + string_at(c.baseline.trit, "platform", "cpu") + ")\n";
  md += "- current: `" + c.current.path + "` (cpu: " + string_at(c.current.trit, "platform", "cpu") + ")\n";
  for (const auto& n : c.notes) md += "- note: " + n + "\n";
  return md;
}

json comparison_json(const Comparison& c) {
  json metrics = json::array();
  for (const auto& r : c.rows) {
    metrics.push_back({{"metric", r.key},
                       {"label", r.label},
                       {"higher_is_better", r.higher_is_better},
                       {"baseline", optional_json(r.baseline)},
                       {"current", optional_json(r.current)},
                       {"change", optional_json(r.change)},
                       {"status", status_name(r.status)}});
  }
  return {{"schema", kCompareSchema},
          {"mode", mode_name(c.options.mode)},
          {"tolerance", c.options.tolerance},
          {"regression", c.regression()},
          {"model", model_name(c.current)},
          {"current", side_json(c.current)},
          {"baseline", side_json(c.baseline)},
          {"metrics", metrics},
          {"notes", c.notes}};
}

}  // namespace trit::bench
