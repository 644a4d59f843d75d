// The crossval summary: reads the parity and receipt JSON files that `trit crossval --out-dir` writes
// (schemas trit.crossval.parity/1 and trit.crossval.receipt/1, CONTRACT.md) from one or more artifact
// directories, and renders crossval-summary.md: per lane and OS a status, the key metrics, the first
// divergence, the artifact paths, and the deviations; the model matrix the lanes ran; and the
// performance comparisons of scripts/ci/perf.sh. Everything in it comes from those files.
// Backs `trit crossval summary DIR... [-o crossval-summary.md]` and the CI's crossval-summary job.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace trit {

// What one `trit crossval` lane run left behind: a parity file, its receipt, or both (same folder,
// same lane). Fields absent from the JSON stay empty.
struct CrossvalRun {
  std::string lane;        // "llama", "bitnet", ... (from the JSON, else from the file name)
  std::string status;      // "pass", "fail", "skipped" or "error"
  std::string reason;      // why it was skipped / failed, as the run reported it
  std::string os;          // receipt platform: "<os> <arch>", or "unknown OS" without a receipt
  std::string source_dir;  // the artifact directory it was found under (as given)
  std::string parity_path;   // path of the parity file (source_dir/...), empty if none
  std::string receipt_path;  // path of the receipt, empty if none

  std::string model;  // model file name (basename of model.path)
  std::string arch;
  std::string ftype;
  std::string profile;    // tolerance profile name
  std::string reference;  // "llama.cpp 3.22.1 (0ad4a86)"
  std::string trit_build; // "0.1.0 (abc123) ffi"

  std::optional<double> cos_min, kl_mean, kl_max, top1_agreement, decode_match_rate, seconds;
  std::optional<long long> positions;
  std::string first_divergence;         // "none", "pos 3 in \"Hello\"", ...; empty when not reported
  std::vector<std::string> deviations;  // tokenization mismatches, decode mismatches, trace, notes
};

// One entry of the model matrix a lane ran: a line of the crossval-matrix.tsv that the lane scripts
// write next to their results (entries of benchmarks/matrix.tsv; see scripts/ci/matrix.sh).
struct MatrixEntry {
  std::string source_dir;  // the artifact directory it was found under (as given)
  std::string folder;      // the folder holding crossval-matrix.tsv; results are in folder/entry/
  std::string entry, row, tier, arch, shape, type, model;  // "-" where the file has none
};

// A `trit compare-baselines --format json` result (schema trit.perf.compare/1) that scripts/ci/perf.sh
// writes as <entry>/perf-compare.json.
struct PerfMetric {
  std::string metric;  // pp_tok_s, tg_tok_s, tg_latency_p95, rss_peak_mb
  std::string status;  // ok, regression, improved, missing
  std::optional<double> baseline, current, change;
};
struct PerfResult {
  std::string source_dir;
  std::string path;   // of the perf-compare.json
  std::string entry;  // the folder it is in (the matrix entry)
  std::string mode;   // ratio | absolute
  std::string reference, cpu;
  double tolerance = 0;
  bool regression = false;
  std::vector<PerfMetric> metrics;
  std::vector<std::string> notes;
};

// Everything the summary reads from the artifact directories.
struct SummaryData {
  std::vector<CrossvalRun> runs;
  std::vector<MatrixEntry> matrix;
  std::vector<PerfResult> perf;
};

struct SummaryOptions {
  // Lanes whose failures are reported as "failed (non-blocking)". Lane A (bitnet) never gates a merge:
  // the workflow runs it only on schedule and by hand.
  std::vector<std::string> non_blocking_lanes = {"bitnet"};
  // Where the artifacts can be downloaded (e.g. the workflow run's URL); empty: paths only.
  std::string artifacts_url;
  std::string title = "Cross-validation summary";
};

// Reads every crossval-parity-*.json and crossval-receipt-*.json under each directory (recursively).
// A directory that does not exist, malformed JSON, a wrong schema or an unknown status is an Error
// naming the file. A directory with no crossval files is not an error (it renders as "no results").
Result<std::vector<CrossvalRun>> load_crossval_runs(const std::vector<std::string>& dirs);

// load_crossval_runs, plus every crossval-matrix.tsv and perf-compare*.json under each directory (a
// malformed one is an Error naming the file and line).
Result<SummaryData> load_summary_data(const std::vector<std::string>& dirs);

// Renders the Markdown summary; `dirs` are the directories searched (those without any result are
// listed as having no results). With matrix entries, a "Model matrix" table (one row per entry: arch,
// shape, type, tier, status, key metrics); with perf results, a "Performance" table.
std::string render_crossval_summary(const SummaryData& data, const std::vector<std::string>& dirs,
                                    const SummaryOptions& options);
// The same with crossval runs only.
std::string render_crossval_summary(const std::vector<CrossvalRun>& runs,
                                    const std::vector<std::string>& dirs,
                                    const SummaryOptions& options);

// load_summary_data + render_crossval_summary.
Result<std::string> render_crossval_summary(const std::vector<std::string>& dirs,
                                            const SummaryOptions& options = {});

// True when a run of a blocking lane failed or errored (for a caller that wants a non-zero exit).
bool has_blocking_failure(const std::vector<CrossvalRun>& runs, const SummaryOptions& options);

}  // namespace trit
