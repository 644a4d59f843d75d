// crossval-summary.md from parity and receipt JSON files; see summary.h.
#include "crossval/summary.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

namespace trit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kParitySchema = "trit.crossval.parity/1";
constexpr const char* kReceiptSchema = "trit.crossval.receipt/1";
constexpr const char* kParityPrefix = "crossval-parity-";
constexpr const char* kReceiptPrefix = "crossval-receipt-";
constexpr const char* kMatrixFile = "crossval-matrix.tsv";
constexpr const char* kPerfPrefix = "perf-compare";
constexpr const char* kPerfSchema = "trit.perf.compare/1";
// Free text from the JSON (prompts, reasons) is cut to this many bytes so one odd run cannot flood
// a PR comment.
constexpr size_t kMaxText = 160;

// ---- reading the JSON -------------------------------------------------------------------------

const json* find(const json& j, std::initializer_list<const char*> path) {
  const json* node = &j;
  for (const char* key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

std::string get_string(const json& j, std::initializer_list<const char*> path) {
  const json* v = find(j, path);
  if (!v || v->is_null()) return {};
  if (v->is_string()) return v->get<std::string>();
  return v->dump();
}

std::optional<double> get_number(const json& j, std::initializer_list<const char*> path) {
  const json* v = find(j, path);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

// The file parsed as JSON, or an error naming it.
Result<json> parse_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(path.string() + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    return make_error(path.string() + ": malformed JSON: " + e.what());
  }
}

Result<json> read_json(const fs::path& path, const char* schema) {
  auto parsed = parse_json_file(path);
  if (!parsed) return parsed.error();
  json j = std::move(*parsed);
  if (!j.is_object()) return make_error(path.string() + ": expected a JSON object");
  std::string got = get_string(j, {"schema"});
  if (got != schema) {
    return make_error(path.string() + ": schema is '" + (got.empty() ? "<missing>" : got) +
                      "', expected '" + schema + "'");
  }
  std::string status = get_string(j, {"status"});
  if (status != "pass" && status != "fail" && status != "skipped" && status != "error") {
    return make_error(path.string() + ": status is '" + status +
                      "', expected pass, fail, skipped or error");
  }
  return j;
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > kMaxText) {
    size_t cut = kMaxText;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    s = s.substr(0, cut) + "...";
  }
  return s;
}

std::string quote_text(const std::string& s) { return "\"" + one_line(s) + "\""; }

// The `cases` entry a parity file's first divergence refers to, described as `pos P in "prompt"`.
std::string describe_first_divergence(const json& parity) {
  const json* fd = find(parity, {"summary", "first_divergence"});
  std::string where;
  for (const json& c : parity.value("cases", json::array())) {
    const json* cfd = find(c, {"first_divergence"});
    if (cfd && !cfd->is_null()) {
      where = " in " + quote_text(get_string(c, {"prompt"}));
      if (!fd || fd->is_null()) fd = cfd;
      break;
    }
  }
  if (!fd) return {};
  if (fd->is_null()) return "none";
  if (fd->is_number()) return "pos " + fd->dump() + where;
  if (fd->is_object()) {
    std::string pos = get_string(*fd, {"pos"});
    if (pos.empty()) pos = get_string(*fd, {"position"});
    std::string prompt = get_string(*fd, {"prompt"});
    if (!pos.empty()) return "pos " + pos + (prompt.empty() ? where : " in " + quote_text(prompt));
  }
  return one_line(fd->dump()) + where;
}

void collect_deviations(const json& j, std::vector<std::string>& out) {
  // Free-form notes a run records, e.g. a reference known to deviate from the model's definition.
  for (const json* list : {find(j, {"deviations"}), find(j, {"reference", "deviations"})}) {
    if (!list || !list->is_array()) continue;
    for (const json& d : *list) {
      std::string text = d.is_string() ? d.get<std::string>() : d.dump();
      if (std::find(out.begin(), out.end(), one_line(text)) == out.end()) out.push_back(one_line(text));
    }
  }
}

void collect_parity_deviations(const json& parity, std::vector<std::string>& out) {
  const json* tok = find(parity, {"tokenization"});
  if (tok && tok->is_object() && tok->value("match", true) == false) {
    const json mismatches = tok->value("mismatches", json::array());
    std::string line = "tokenization mismatch in " + std::to_string(mismatches.size()) + " of " +
                       get_string(*tok, {"cases"}) + " cases";
    if (!mismatches.empty()) {
      const json& m = mismatches.front();
      line += "; first: " + quote_text(get_string(m, {"text"})) + " differs at token " +
              get_string(m, {"first_diff"}) + " (ours " + one_line(get_string(m, {"ours"})) +
              ", ref " + one_line(get_string(m, {"ref"})) + ")";
    }
    out.push_back(line);
  }
  for (const json& c : parity.value("cases", json::array())) {
    const json* fm = find(c, {"decode", "first_mismatch"});
    if (!fm || fm->is_null()) continue;
    std::string line = "greedy decode differs at step " + fm->dump() + " in " +
                       quote_text(get_string(c, {"prompt"}));
    const json* ours = find(c, {"decode", "ours"});
    const json* ref = find(c, {"decode", "ref"});
    if (fm->is_number_integer() && ours && ref && ours->is_array() && ref->is_array()) {
      auto k = fm->get<long long>();
      if (k >= 0 && size_t(k) < ours->size() && size_t(k) < ref->size()) {
        line += " (ours " + (*ours)[size_t(k)].dump() + ", ref " + (*ref)[size_t(k)].dump() + ")";
      }
    }
    out.push_back(line);
  }
  const json* first = find(parity, {"trace", "first"});
  if (first && first->is_object()) {
    std::string line = "first diverging tensor";
    std::string pos = get_string(parity, {"trace", "position"});
    if (!pos.empty()) line += " at pos " + pos;
    line += ": layer " + get_string(*first, {"layer"}) + " `" + get_string(*first, {"tensor"}) + "`";
    line += " (cos " + get_string(*first, {"cos"}) + ", max_abs " + get_string(*first, {"max_abs"}) + ")";
    out.push_back(line);
  }
  collect_deviations(parity, out);
}

std::string lane_from_file_name(const std::string& name, const char* prefix) {
  std::string rest = name.substr(std::string(prefix).size());
  return rest.substr(0, rest.size() - std::string(".json").size());
}

std::string describe_reference(const json& j) {
  const json* r = find(j, {"reference"});
  if (!r || !r->is_object()) return {};
  std::string s = get_string(*r, {"name"});
  std::string version = get_string(*r, {"version"});
  std::string commit = get_string(*r, {"commit"});
  if (!version.empty()) s += (s.empty() ? "" : " ") + version;
  if (!commit.empty()) s += " (" + commit + ")";
  return s;
}

void fill_from_parity(CrossvalRun& run, const json& p) {
  run.status = get_string(p, {"status"});
  run.reason = one_line(get_string(p, {"reason"}));
  run.model = fs::path(get_string(p, {"model", "path"})).filename().string();
  run.arch = get_string(p, {"model", "arch"});
  run.ftype = get_string(p, {"model", "ftype"});
  run.profile = get_string(p, {"profile", "name"});
  if (std::string compat = get_string(p, {"compat"}); !compat.empty()) {
    run.profile += " (compat " + compat + ")";
  }
  run.reference = describe_reference(p);
  run.cos_min = get_number(p, {"summary", "cos_min"});
  run.kl_mean = get_number(p, {"summary", "kl_mean"});
  run.kl_max = get_number(p, {"summary", "kl_max"});
  run.top1_agreement = get_number(p, {"summary", "top1_agreement"});
  run.decode_match_rate = get_number(p, {"summary", "decode_match_rate"});
  run.seconds = get_number(p, {"timing", "seconds"});
  if (auto n = get_number(p, {"summary", "positions"})) run.positions = static_cast<long long>(*n);
  run.first_divergence = describe_first_divergence(p);
  collect_parity_deviations(p, run.deviations);
  if (std::string fix = get_string(p, {"fix"}); !fix.empty()) {
    run.deviations.push_back("to run this lane: " + one_line(fix));
  }
}

void fill_from_receipt(CrossvalRun& run, const json& r) {
  // The receipt's os is uname's "sysname release" (e.g. "Linux 6.8.0-1017-azure"): group by the
  // system name, so runners with different kernels still share a row.
  std::string os = get_string(r, {"platform", "os"});
  os = os.substr(0, os.find(' '));
  std::string arch = get_string(r, {"platform", "arch"});
  if (!os.empty()) run.os = os + (arch.empty() ? "" : " " + arch);
  std::string version = get_string(r, {"trit", "version"});
  std::string sha = get_string(r, {"trit", "git_sha"});
  const json* ffi = find(r, {"trit", "ffi"});
  run.trit_build = version + (sha.empty() ? "" : " (" + sha + ")");
  if (ffi && ffi->is_boolean()) run.trit_build += ffi->get<bool>() ? " ffi" : " no-ffi";
  // The parity file is the richer source; the receipt fills what it lacks.
  if (run.status.empty()) run.status = get_string(r, {"status"});
  if (run.reason.empty()) run.reason = one_line(get_string(r, {"reason"}));
  if (run.model.empty()) run.model = fs::path(get_string(r, {"model", "path"})).filename().string();
  if (run.arch.empty()) run.arch = get_string(r, {"model", "arch"});
  if (run.ftype.empty()) run.ftype = get_string(r, {"model", "ftype"});
  if (run.profile.empty()) run.profile = get_string(r, {"profile"});
  if (run.reference.empty()) run.reference = describe_reference(r);
  collect_deviations(r, run.deviations);
}

// ---- rendering --------------------------------------------------------------------------------

std::string fixed(const std::optional<double>& v, const char* fmt) {
  if (!v) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, *v);
  return buf;
}

std::string cell(std::string s) {
  if (s.empty()) return "—";
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else out += c;
  }
  return out;
}

std::string lane_title(const std::string& lane) {
  if (lane == "llama") return "Lane B (llama.cpp)";
  if (lane == "bitnet") return "Lane A (bitnet.cpp)";
  return "Lane " + lane;
}

int lane_order(const std::string& lane) { return lane == "llama" ? 0 : lane == "bitnet" ? 1 : 2; }

bool is_failure(const std::string& status) { return status == "fail" || status == "error"; }

bool non_blocking(const std::string& lane, const SummaryOptions& o) {
  return std::find(o.non_blocking_lanes.begin(), o.non_blocking_lanes.end(), lane) !=
         o.non_blocking_lanes.end();
}

std::string run_status(const CrossvalRun& r, const SummaryOptions& o) {
  std::string nb = non_blocking(r.lane, o) ? " (non-blocking)" : "";
  if (r.status == "pass") return "✅ passed";
  if (r.status == "skipped") return "⏭️ skipped" + (r.reason.empty() ? "" : ": " + r.reason);
  std::string icon = nb.empty() ? "❌ " : "⚠️ ";
  std::string what = r.status == "error" ? "failed (error)" : "failed";
  return icon + what + nb + (r.reason.empty() ? "" : ": " + r.reason);
}

struct Group {
  std::string lane, os;
  std::vector<const CrossvalRun*> runs;
};

std::string group_status(const Group& g, const SummaryOptions& o) {
  int pass = 0, fail = 0, skipped = 0;
  std::set<std::string> reasons;
  for (const CrossvalRun* r : g.runs) {
    if (r->status == "pass") ++pass;
    else if (is_failure(r->status)) ++fail;
    else {
      ++skipped;
      if (!r->reason.empty()) reasons.insert(r->reason);
    }
  }
  if (fail) return non_blocking(g.lane, o) ? "⚠️ failed (non-blocking)" : "❌ failed";
  if (pass) return "✅ passed";
  std::string s = "⏭️ skipped";
  if (!reasons.empty()) {
    s += ":";
    for (const std::string& reason : reasons) s += " " + reason + (reason == *reasons.rbegin() ? "" : ";");
  }
  return s;
}

// ---- the model matrix and the performance comparisons ---------------------------------------

// Files under `dir` (recursively) whose name satisfies `want`, sorted.
Result<std::vector<fs::path>> files_under(const std::string& dir, bool (*want)(const std::string&)) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error(dir + ": not a directory");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_regular_file(ec) && want(it->path().filename().string())) files.push_back(it->path());
  }
  if (ec) return make_error(dir + ": cannot list: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

bool is_matrix_file(const std::string& name) { return name == kMatrixFile; }
bool is_perf_file(const std::string& name) { return name.starts_with(kPerfPrefix) && name.ends_with(".json"); }

// crossval-matrix.tsv: "# ..." comments, then ENTRY ROW TIER ARCH SHAPE TYPE MODEL, tab-separated.
Status load_matrix_file(const std::string& dir, const fs::path& path, std::vector<MatrixEntry>& out) {
  std::ifstream in(path);
  if (!in) return make_error(path.string() + ": cannot open");
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, '\t');) f.push_back(x);
    if (f.size() != 7) {
      return make_error(path.string() + ":" + std::to_string(n) + ": expected 7 tab-separated fields, got " +
                        std::to_string(f.size()));
    }
    out.push_back({dir, path.parent_path().lexically_normal().string(), f[0], f[1], f[2], f[3], f[4], f[5], f[6]});
  }
  return {};
}

Status load_perf_file(const std::string& dir, const fs::path& path, std::vector<PerfResult>& out) {
  auto parsed = parse_json_file(path);
  if (!parsed) return parsed.error();
  const json j = std::move(*parsed);
  std::string schema = j.is_object() ? get_string(j, {"schema"}) : std::string();
  if (schema != kPerfSchema) {
    return make_error(path.string() + ": schema is '" + (schema.empty() ? "<missing>" : schema) + "', expected '" +
                      kPerfSchema + "'");
  }
  PerfResult p;
  p.source_dir = dir;
  p.path = path.lexically_normal().string();
  p.entry = path.parent_path().filename().string();
  p.mode = get_string(j, {"mode"});
  p.reference = get_string(j, {"current", "reference"});
  p.cpu = get_string(j, {"current", "platform", "cpu"});
  p.tolerance = get_number(j, {"tolerance"}).value_or(0.0);
  p.regression = j.value("regression", false);
  for (const json& m : j.value("metrics", json::array())) {
    p.metrics.push_back({get_string(m, {"metric"}), get_string(m, {"status"}), get_number(m, {"baseline"}),
                         get_number(m, {"current"}), get_number(m, {"change"})});
  }
  for (const json& n : j.value("notes", json::array())) p.notes.push_back(one_line(n.is_string() ? n.get<std::string>() : n.dump()));
  out.push_back(std::move(p));
  return {};
}

const CrossvalRun* run_of(const MatrixEntry& e, const std::vector<CrossvalRun>& runs) {
  const fs::path folder = fs::path(e.folder) / e.entry;
  for (const CrossvalRun& r : runs) {
    const std::string& file = r.parity_path.empty() ? r.receipt_path : r.parity_path;
    if (!file.empty() && fs::path(file).parent_path().lexically_normal() == folder.lexically_normal()) return &r;
  }
  return nullptr;
}

void render_matrix(std::ostringstream& md, const SummaryData& data, const SummaryOptions& options) {
  md << "\n## Model matrix\n\n"
        "| Model | Arch | Shape | Type | Tier | OS | Status | cos_min | kl_max | top1_agreement | "
        "decode_match_rate |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  auto dash = [](const std::string& s) { return s == "-" ? std::string() : s; };
  for (const MatrixEntry& e : data.matrix) {
    const CrossvalRun* r = run_of(e, data.runs);
    std::string model = e.model == "-" || e.model.empty() ? e.entry : e.entry + " (`" + e.model + "`)";
    md << "| " << cell(model) << " | " << cell(dash(e.arch)) << " | " << cell(dash(e.shape)) << " | "
       << cell(dash(e.type)) << " | " << cell(dash(e.tier)) << " | " << cell(r ? r->os : "") << " | "
       << cell(r ? run_status(*r, options) : "❔ no result (see " + e.entry + "/*.log)") << " | "
       << fixed(r ? r->cos_min : std::nullopt, "%.6f") << " | " << fixed(r ? r->kl_max : std::nullopt, "%.3e")
       << " | " << fixed(r ? r->top1_agreement : std::nullopt, "%.4f") << " | "
       << fixed(r ? r->decode_match_rate : std::nullopt, "%.4f") << " |\n";
  }
}

std::string perf_cell(const PerfResult& p, const std::string& metric) {
  for (const PerfMetric& m : p.metrics) {
    if (m.metric != metric) continue;
    const bool ratio = p.mode == "ratio" && metric != "rss_peak_mb";
    std::string s = fixed(m.current, ratio ? "%.3fx" : metric == "rss_peak_mb" ? "%.1f" : "%.2f");
    if (m.change) s += " (" + fixed(*m.change * 100.0, "%+.1f%%") + ")";
    if (m.status == "regression") s += " ❌";
    else if (m.status == "improved") s += " 🚀";
    else if (m.status == "missing") s += " ➖";
    return s;
  }
  return "—";
}

void render_perf(std::ostringstream& md, const SummaryData& data) {
  bool any = std::any_of(data.perf.begin(), data.perf.end(), [](const PerfResult& p) { return p.regression; });
  md << "\n## Performance\n\n**" << (any ? "❌ regression beyond the tolerance" : "✅ no regression beyond the tolerance")
     << "** — " << data.perf.size() << " model(s) compared with their baselines (`trit compare-baselines`; "
     << "current value, change from the baseline).\n\n"
     << "| Model | Mode | pp tok/s | tg tok/s | tg p95 latency | peak RSS MB | Result | CPU |\n"
        "|---|---|---|---|---|---|---|---|\n";
  for (const PerfResult& p : data.perf) {
    std::string mode = p.mode == "ratio" ? "trit/" + p.reference : p.mode;
    mode += " ±" + fixed(p.tolerance * 100.0, "%.0f%%");
    md << "| " << cell(p.entry) << " | " << cell(mode) << " | " << cell(perf_cell(p, "pp_tok_s")) << " | "
       << cell(perf_cell(p, "tg_tok_s")) << " | " << cell(perf_cell(p, "tg_latency_p95")) << " | "
       << cell(perf_cell(p, "rss_peak_mb")) << " | " << (p.regression ? "❌ regression" : "✅ ok") << " | "
       << cell(p.cpu) << " |\n";
  }
  std::ostringstream notes;
  for (const PerfResult& p : data.perf) {
    for (const std::string& n : p.notes) notes << "- " << p.entry << ": " << n << "\n";
  }
  if (!notes.str().empty()) md << "\n" << notes.str();
}

}  // namespace

Result<SummaryData> load_summary_data(const std::vector<std::string>& dirs) {
  SummaryData data;
  auto runs = load_crossval_runs(dirs);
  if (!runs) return runs.error();
  data.runs = std::move(*runs);
  for (const std::string& dir : dirs) {
    auto matrix = files_under(dir, is_matrix_file);
    if (!matrix) return matrix.error();
    for (const fs::path& path : *matrix) TRIT_TRY(load_matrix_file(dir, path, data.matrix));
    auto perf = files_under(dir, is_perf_file);
    if (!perf) return perf.error();
    for (const fs::path& path : *perf) TRIT_TRY(load_perf_file(dir, path, data.perf));
  }
  return data;
}

Result<std::vector<CrossvalRun>> load_crossval_runs(const std::vector<std::string>& dirs) {
  // (source dir, folder, lane) -> run, so a parity file and its receipt land in one run.
  std::map<std::tuple<std::string, std::string, std::string>, CrossvalRun> runs;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return make_error(dir + ": not a directory");
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string name = it->path().filename().string();
      bool parity = name.starts_with(kParityPrefix), receipt = name.starts_with(kReceiptPrefix);
      if ((parity || receipt) && name.ends_with(".json")) files.push_back(it->path());
    }
    if (ec) return make_error(dir + ": cannot list: " + ec.message());
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
      std::string name = path.filename().string();
      bool parity = name.starts_with(kParityPrefix);
      auto j = read_json(path, parity ? kParitySchema : kReceiptSchema);
      if (!j) return j.error();
      std::string lane = get_string(*j, {"lane"});
      if (lane.empty()) lane = lane_from_file_name(name, parity ? kParityPrefix : kReceiptPrefix);
      CrossvalRun& run = runs[{dir, path.parent_path().string(), lane}];
      run.lane = lane;
      run.source_dir = dir;
      if (parity) {
        run.parity_path = path.lexically_normal().string();
        fill_from_parity(run, *j);  // files are sorted, so a folder's parity comes before its receipt
      } else {
        run.receipt_path = path.lexically_normal().string();
        fill_from_receipt(run, *j);
      }
    }
  }
  std::vector<CrossvalRun> out;
  for (auto& [key, run] : runs) {
    if (run.os.empty()) run.os = "unknown OS";
    out.push_back(std::move(run));
  }
  return out;
}

bool has_blocking_failure(const std::vector<CrossvalRun>& runs, const SummaryOptions& options) {
  return std::any_of(runs.begin(), runs.end(), [&](const CrossvalRun& r) {
    return is_failure(r.status) && !non_blocking(r.lane, options);
  });
}

std::string render_crossval_summary(const std::vector<CrossvalRun>& runs,
                                    const std::vector<std::string>& dirs,
                                    const SummaryOptions& options) {
  SummaryData data;
  data.runs = runs;
  return render_crossval_summary(data, dirs, options);
}

std::string render_crossval_summary(const SummaryData& data, const std::vector<std::string>& dirs,
                                    const SummaryOptions& options) {
  const std::vector<CrossvalRun>& runs = data.runs;
  std::vector<Group> groups;
  for (const CrossvalRun& r : runs) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& g) { return g.lane == r.lane && g.os == r.os; });
    if (it == groups.end()) it = groups.insert(groups.end(), Group{r.lane, r.os, {}});
    it->runs.push_back(&r);
  }
  std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    return std::make_tuple(lane_order(a.lane), a.lane, a.os) <
           std::make_tuple(lane_order(b.lane), b.lane, b.os);
  });

  std::ostringstream md;
  md << "# " << options.title << "\n\n";
  int blocking_failures = 0, other_failures = 0, passed = 0;
  for (const CrossvalRun& r : runs) {
    if (is_failure(r.status)) (non_blocking(r.lane, options) ? other_failures : blocking_failures)++;
    if (r.status == "pass") ++passed;
  }
  std::string verdict = blocking_failures ? "❌ failed"
                        : other_failures  ? "⚠️ passed with non-blocking failures"
                        : passed          ? "✅ passed"
                        : runs.empty()    ? (data.perf.empty() ? "❔ no results" : "➖ no crossval runs (performance only)")
                                          : "⏭️ skipped (no lane ran against a reference)";
  md << "**Overall: " << verdict << "** — " << runs.size() << " run(s) from " << dirs.size()
     << " artifact folder(s).";
  if (!options.artifacts_url.empty()) md << " Artifacts: " << options.artifacts_url;
  md << "\n\n";

  md << "| Lane | OS | Status | Runs | Passed | Failed | Skipped |\n|---|---|---|---|---|---|---|\n";
  for (const Group& g : groups) {
    int p = 0, f = 0, s = 0;
    for (const CrossvalRun* r : g.runs) (r->status == "pass" ? p : is_failure(r->status) ? f : s)++;
    md << "| " << lane_title(g.lane) << " | " << cell(g.os) << " | " << cell(group_status(g, options))
       << " | " << g.runs.size() << " | " << p << " | " << f << " | " << s << " |\n";
  }
  for (const std::string& dir : dirs) {
    bool any = std::any_of(runs.begin(), runs.end(), [&](const CrossvalRun& r) { return r.source_dir == dir; }) ||
               std::any_of(data.perf.begin(), data.perf.end(), [&](const PerfResult& p) { return p.source_dir == dir; });
    if (!any) md << "| — | — | ❔ no results in `" << cell(dir) << "` | 0 | 0 | 0 | 0 |\n";
  }

  for (const Group& g : groups) {
    md << "\n## " << lane_title(g.lane) << " · " << g.os << "\n\n";
    std::set<std::string> refs, builds;
    for (const CrossvalRun* r : g.runs) {
      if (!r->reference.empty()) refs.insert(r->reference);
      if (!r->trit_build.empty()) builds.insert(r->trit_build);
    }
    for (const std::string& s : refs) md << "- reference: " << s << "\n";
    for (const std::string& s : builds) md << "- trit: " << s << "\n";
    if (!refs.empty() || !builds.empty()) md << "\n";
    md << "| Model | Arch | Type | Profile | Status | cos_min | kl_mean | kl_max | top1_agreement | "
          "decode_match_rate | First divergence | Artifacts |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const CrossvalRun* r : g.runs) {
      std::string artifacts;
      for (const std::string& p : {r->parity_path, r->receipt_path}) {
        if (!p.empty()) artifacts += (artifacts.empty() ? "`" : "<br>`") + p + "`";
      }
      md << "| " << cell(r->model) << " | " << cell(r->arch) << " | " << cell(r->ftype) << " | "
         << cell(r->profile) << " | " << cell(run_status(*r, options)) << " | "
         << fixed(r->cos_min, "%.6f") << " | " << fixed(r->kl_mean, "%.3e") << " | "
         << fixed(r->kl_max, "%.3e") << " | " << fixed(r->top1_agreement, "%.4f") << " | "
         << fixed(r->decode_match_rate, "%.4f") << " | " << cell(r->first_divergence) << " | "
         << cell(artifacts) << " |\n";
    }
  }

  std::ostringstream dev;
  for (const Group& g : groups) {
    for (const CrossvalRun* r : g.runs) {
      if (r->deviations.empty()) continue;
      dev << "- **" << lane_title(g.lane) << " · " << g.os << " · " << (r->model.empty() ? "(no model)" : r->model)
          << "**\n";
      for (const std::string& d : r->deviations) dev << "  - " << d << "\n";
    }
  }
  if (!data.matrix.empty()) render_matrix(md, data, options);
  if (!data.perf.empty()) render_perf(md, data);
  md << "\n## Deviations and notes\n\n" << (dev.str().empty() ? "None reported.\n" : dev.str());
  return md.str();
}

Result<std::string> render_crossval_summary(const std::vector<std::string>& dirs,
                                            const SummaryOptions& options) {
  auto data = load_summary_data(dirs);
  if (!data) return data.error();
  return render_crossval_summary(*data, dirs, options);
}

}  // namespace trit
