// A lane's report: what ran, on what, and the verdict. Rendered as the parity JSON
// (trit.crossval.parity/1), the receipt (trit.crossval.receipt/1), text and Markdown, all from the
// same LaneReport so the numbers cannot disagree between formats.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crossval/profile.h"
#include "crossval/ref/reference.h"
#include "crossval/runner.h"
#include "crossval/trace.h"

namespace trit::crossval {

struct ModelInfo {
  std::string path, sha256, arch, ftype;
  uint64_t n_params = 0;
};

struct LaneReport {
  std::string lane;  // "llama" | "bitnet"
  LaneStatus status = LaneStatus::kSkipped;
  std::string reason;
  std::string fix;  // for skipped / error: how to make the lane run
  ModelInfo model;
  ReferenceInfo reference;
  Profile profile = profiles()[0];
  std::string compat;                   // trit's compat profile for this lane ("llama.cpp")
  std::vector<std::string> deviations;  // where the reference's graph departs from the model's definition
  LaneRun run;                          // empty cases when skipped
  bool ran = false;                     // run holds results
  std::optional<TraceResult> trace;     // --trace (or --trace auto after a divergence)
  std::string trace_note;               // why a requested trace did not run, or ""
  std::string parity_file;              // file name written by --out-dir ("" if none)
  double seconds_total = 0;             // whole lane, including loads
  double seconds_load = 0;
};

nlohmann::json parity_json(const LaneReport& r);
nlohmann::json receipt_json(const LaneReport& r);
std::string render_text(const LaneReport& r);
std::string render_markdown(const LaneReport& r);

// Receipt facts about this build and machine (also used by tests).
std::string rfc3339_utc_now();
std::string compiler_string();

}  // namespace trit::crossval
