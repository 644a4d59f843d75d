// render_crossval_summary on hand-written parity / receipt fixtures (fixtures/, one folder per
// artifact): statuses, metrics, first divergence, deviations, artifact paths, and errors naming the file.
#include "crossval/summary.h"

#include "crossval/report.h"
#include "scratch_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string fixture(const std::string& name) {
  return std::string(TRIT_SOURCE_DIR) + "/tests/crossval_summary/fixtures/" + name;
}

std::string render(const std::vector<std::string>& names, const SummaryOptions& options = {}) {
  std::vector<std::string> dirs;
  for (const auto& n : names) dirs.push_back(fixture(n));
  auto md = render_crossval_summary(dirs, options);
  EXPECT_TRUE(md.ok()) << (md.ok() ? "" : md.error().message);
  return md.ok() ? *md : std::string();
}

std::string error_of(const std::vector<std::string>& dirs) {
  auto md = render_crossval_summary(dirs, {});
  EXPECT_FALSE(md.ok());
  return md.ok() ? std::string() : md.error().message;
}

TEST(CrossvalSummary, PassingLaneShowsMetricsAndArtifactPaths) {
  std::string md = render({"lane-b-llama-Linux"});
  EXPECT_THAT(md, HasSubstr("**Overall: ✅ passed** — 2 run(s) from 1 artifact folder(s)."));
  EXPECT_THAT(md, HasSubstr("| Lane B (llama.cpp) | Linux x86_64 | ✅ passed | 2 | 2 | 0 | 0 |"));
  EXPECT_THAT(md, HasSubstr("## Lane B (llama.cpp) · Linux x86_64"));
  EXPECT_THAT(md, HasSubstr("- reference: llama.cpp 3.22.1 (0ad4a86)"));
  EXPECT_THAT(md, HasSubstr("- trit: 0.1.0 (abc123def456) ffi"));
  // Each model's row: metrics as the parity file has them.
  EXPECT_THAT(md, HasSubstr("| bitnet-tq2_0.gguf | bitnet-b1.58 | TQ2_0 | default | ✅ passed | 0.999991 | "
                            "1.250e-06 | 4.500e-06 | 1.0000 | 1.0000 | none |"));
  EXPECT_THAT(md, HasSubstr("| llama-q8_0.gguf | llama | Q8_0 | default | ✅ passed | 0.999876 |"));
  EXPECT_THAT(md, HasSubstr("lane-b-llama-Linux/llama-q8_0/crossval-parity-llama.json`<br>`"));
  EXPECT_THAT(md, HasSubstr("lane-b-llama-Linux/llama-q8_0/crossval-receipt-llama.json`"));
  EXPECT_THAT(md, HasSubstr("## Deviations and notes\n\nNone reported."));
}

TEST(CrossvalSummary, FailingLaneShowsFirstDivergenceAndDeviations) {
  std::string md = render({"lane-b-llama-Linux", "lane-b-llama-macOS"});
  EXPECT_THAT(md, HasSubstr("**Overall: ❌ failed** — 3 run(s) from 2 artifact folder(s)."));
  EXPECT_THAT(md, HasSubstr("| Lane B (llama.cpp) | Linux x86_64 | ✅ passed | 2 | 2 | 0 | 0 |"));
  EXPECT_THAT(md, HasSubstr("| Lane B (llama.cpp) | Darwin arm64 | ❌ failed | 1 | 0 | 1 | 0 |"));
  EXPECT_THAT(md, HasSubstr("| bitnet-tq1_0.gguf | bitnet-b1.58 | TQ1_0 | default (compat llama.cpp) | ❌ failed: logits parity "
                            "outside tolerance 'default' at position 3 | 0.912346 | 1.230e-02 | 2.500e-01 | "
                            "0.8750 | 0.6667 | pos 3 in \"The capital of France \\| is\" |"));
  EXPECT_THAT(md, HasSubstr("- **Lane B (llama.cpp) · Darwin arm64 · bitnet-tq1_0.gguf**"));
  EXPECT_THAT(md, HasSubstr("  - tokenization mismatch in 1 of 2 cases; first: \"naïve café\" differs at token 2 "
                            "(ours [1,2,3], ref [1,2,4])"));
  EXPECT_THAT(md, HasSubstr("  - greedy decode differs at step 1 in \"The capital of France | is\" (ours 10, ref 12)"));
  EXPECT_THAT(md, HasSubstr("  - first diverging tensor at pos 3: layer 1 `ffn_out` (cos 0.93, max_abs 0.8)"));
  EXPECT_THAT(md, HasSubstr("  - llama.cpp's bitnet graph uses SiLU; the model declares relu^2"));
  // Within a lane, OS sections are sorted by name.
  EXPECT_LT(md.find("## Lane B (llama.cpp) · Darwin"), md.find("## Lane B (llama.cpp) · Linux"));
}

TEST(CrossvalSummary, SkippedLaneShowsItsReason) {
  std::string md = render({"lane-a-bitnet-skipped"});
  EXPECT_THAT(md, HasSubstr("**Overall: ⏭️ skipped (no lane ran against a reference)**"));
  EXPECT_THAT(md, HasSubstr("| Lane A (bitnet.cpp) | Linux x86_64 | ⏭️ skipped: bitnet.cpp not found: set "
                            "BITNET_CPP_DIR to a built microsoft/BitNet checkout | 1 | 0 | 0 | 1 |"));
  EXPECT_THAT(md, HasSubstr("| default.gguf | bitnet-b1.58 | I2_S | default | ⏭️ skipped: bitnet.cpp not found"));
  // A skipped run has no metrics: dashes, never numbers.
  EXPECT_THAT(md, HasSubstr("| — | — | — | — | — | — |"));
  EXPECT_THAT(md, Not(HasSubstr("passed")));
  EXPECT_THAT(md, Not(HasSubstr("- reference:")));  // the skipped run names no reference
  EXPECT_THAT(md, HasSubstr("  - to run this lane: build microsoft/BitNet and set BITNET_CPP_DIR"));
}

TEST(CrossvalSummary, LaneAFailureIsNonBlockingByDefault) {
  std::string md = render({"lane-b-llama-Linux", "lane-a-bitnet-failed"});
  EXPECT_THAT(md, HasSubstr("**Overall: ⚠️ passed with non-blocking failures**"));
  EXPECT_THAT(md, HasSubstr("| Lane A (bitnet.cpp) | Linux x86_64 | ⚠️ failed (non-blocking) | 1 | 0 | 1 | 0 |"));
  EXPECT_THAT(md, HasSubstr("⚠️ failed (non-blocking): decode parity 0.5 < 1.0"));
  EXPECT_THAT(md, HasSubstr("- reference: bitnet.cpp 2024-10 (deadbee)"));
  EXPECT_LT(md.find("| Lane B (llama.cpp) |"), md.find("| Lane A (bitnet.cpp) |"));

  auto runs = load_crossval_runs({fixture("lane-a-bitnet-failed")});
  ASSERT_TRUE(runs.ok());
  EXPECT_FALSE(has_blocking_failure(*runs, {}));
  SummaryOptions blocking;
  blocking.non_blocking_lanes.clear();
  EXPECT_TRUE(has_blocking_failure(*runs, blocking));
  std::string strict = render({"lane-a-bitnet-failed"}, blocking);
  EXPECT_THAT(strict, HasSubstr("| Lane A (bitnet.cpp) | Linux x86_64 | ❌ failed | 1 | 0 | 1 | 0 |"));
  EXPECT_THAT(strict, HasSubstr("**Overall: ❌ failed**"));
}

TEST(CrossvalSummary, ReceiptWithoutParityFileUsesTheReceipt) {
  auto runs = load_crossval_runs({fixture("stub-receipt-only")});
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 1u);
  const CrossvalRun& r = runs->front();
  EXPECT_EQ(r.lane, "llama");  // from the file name: the receipt has no "lane"
  EXPECT_EQ(r.status, "skipped");
  EXPECT_EQ(r.os, "Linux x86_64");
  EXPECT_TRUE(r.parity_path.empty());
  EXPECT_THAT(r.receipt_path, HasSubstr("stub-receipt-only/crossval-receipt-llama.json"));
  EXPECT_THAT(r.reason, HasSubstr("TRIT_LLAMA_CPP_DIR=/tmp/empty has no libllama"));
}

TEST(CrossvalSummary, EmptyFolderIsListedAsNoResults) {
  auto empty = trit::testing::scratch_dir("trit-crossval-summary-empty");
  auto md = render_crossval_summary({fixture("lane-b-llama-Linux"), empty.string()}, {});
  ASSERT_TRUE(md.ok());
  EXPECT_THAT(*md, HasSubstr("| — | — | ❔ no results in `" + empty.string() + "` | 0 | 0 | 0 | 0 |"));
  auto only_empty = render_crossval_summary({empty.string()}, {});
  ASSERT_TRUE(only_empty.ok());
  EXPECT_THAT(*only_empty, HasSubstr("**Overall: ❔ no results** — 0 run(s)"));
}

TEST(CrossvalSummary, ArtifactsUrlAndTitleAreRendered) {
  SummaryOptions o;
  o.title = "Nightly crossval";
  o.artifacts_url = "https://github.com/o/r/actions/runs/1";
  std::string md = render({"lane-b-llama-Linux"}, o);
  EXPECT_EQ(md.rfind("# Nightly crossval\n", 0), 0u);
  EXPECT_THAT(md, HasSubstr("Artifacts: https://github.com/o/r/actions/runs/1"));
}

TEST(CrossvalSummary, OutputIsDeterministic) {
  EXPECT_EQ(render({"lane-b-llama-macOS", "lane-b-llama-Linux"}),
            render({"lane-b-llama-macOS", "lane-b-llama-Linux"}));
}

TEST(CrossvalSummary, LongReasonIsCutOnACharacterBoundary) {
  auto dir = trit::testing::scratch_dir("trit-crossval-summary-long");
  std::string reason = "x";  // then 2-byte characters, so byte 160 falls inside one
  for (int i = 0; i < 200; ++i) reason += "é";
  std::ofstream(dir / "crossval-parity-llama.json")
      << R"({"schema": "trit.crossval.parity/1", "lane": "llama", "status": "error", "reason": ")" << reason
      << "\"}";
  auto runs = load_crossval_runs({dir.string()});
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 1u);
  const std::string& cut = runs->front().reason;
  EXPECT_EQ(cut, reason.substr(0, 159) + "...");
  auto md = render_crossval_summary({dir.string()}, {});
  ASSERT_TRUE(md.ok());
  EXPECT_THAT(*md, HasSubstr("| ❌ failed (error): " + reason.substr(0, 159) + "... |"));
}

// The summary reads what the crossval reports really write (crossval/report.h), not only fixtures.
TEST(CrossvalSummary, ReadsTheJsonCrossvalWrites) {
  namespace cv = trit::crossval;
  auto dir = trit::testing::scratch_dir("trit-crossval-summary-real");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "fail");
  std::filesystem::create_directories(dir / "skipped");

  cv::LaneReport fail;
  fail.lane = "llama";
  fail.status = cv::LaneStatus::kFail;
  fail.reason = "cos_min below the profile";
  fail.model.path = "/m/bitnet-tq2_0.gguf";
  fail.model.arch = "bitnet";
  fail.model.ftype = "TQ2_0";
  fail.reference.name = "llama.cpp";
  fail.reference.version = "3.22.1";
  fail.reference.commit = "0ad4a86";
  fail.compat = "llama.cpp";
  fail.deviations = {"reference graph uses SiLU"};
  fail.ran = true;
  cv::CaseResult c;
  c.prompt = "Hello there";
  c.first_divergence = 2;
  c.decode.n = 3;
  c.decode.ours = {1, 2, 3};
  c.decode.ref = {1, 5, 6};
  c.decode.first_mismatch = 1;
  fail.run.cases = {c};
  fail.run.summary.positions = 4;
  fail.run.summary.cos_min = 0.5;
  fail.run.summary.kl_mean = 0.25;
  fail.run.summary.kl_max = 1.5;
  fail.run.summary.top1_agreement = 0.75;
  fail.run.summary.decode_match_rate = 0.3333;
  fail.run.summary.first_divergence = cv::Divergence{0, 2};
  fail.parity_file = "crossval-parity-llama.json";

  cv::LaneReport skipped;
  skipped.lane = "bitnet";
  skipped.status = cv::LaneStatus::kSkipped;
  skipped.reason = "no bitnet.cpp shim";
  skipped.fix = "set BITNET_CPP_DIR";

  for (const auto& [sub, r] : {std::pair{"fail", &fail}, std::pair{"skipped", &skipped}}) {
    std::ofstream(dir / sub / ("crossval-parity-" + r->lane + ".json")) << cv::parity_json(*r).dump(2);
    std::ofstream(dir / sub / ("crossval-receipt-" + r->lane + ".json")) << cv::receipt_json(*r).dump(2);
  }
  auto runs = load_crossval_runs({dir.string()});
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 2u);
  auto md = render_crossval_summary(*runs, {dir.string()}, {});
  EXPECT_THAT(md, HasSubstr("**Overall: ❌ failed**"));
  EXPECT_THAT(md, HasSubstr("| bitnet-tq2_0.gguf | bitnet | TQ2_0 | " + std::string(fail.profile.name) +
                            " (compat llama.cpp) | ❌ failed: cos_min below the profile | 0.500000 | 2.500e-01 | 1.500e+00 | 0.7500 | 0.3333 | "
                            "pos 2 in \"Hello there\" |"));
  EXPECT_THAT(md, HasSubstr("  - greedy decode differs at step 1 in \"Hello there\" (ours 2, ref 5)"));
  EXPECT_THAT(md, HasSubstr("  - reference graph uses SiLU"));
  EXPECT_THAT(md, HasSubstr("⏭️ skipped: no bitnet.cpp shim"));
  EXPECT_THAT(md, HasSubstr("  - to run this lane: set BITNET_CPP_DIR"));
  EXPECT_THAT(md, HasSubstr("- reference: llama.cpp 3.22.1 (0ad4a86)"));
  // The OS comes from this machine's receipt: uname's system name and architecture.
  EXPECT_THAT(runs->front().os, Not(HasSubstr("unknown")));
}

TEST(CrossvalSummary, MatrixTableListsEveryEntryWithItsResult) {
  std::string md = render({"lane-b-matrix"});
  EXPECT_THAT(md, HasSubstr("## Model matrix\n\n| Model | Arch | Shape | Type | Tier | OS | Status | cos_min | kl_max | "
                            "top1_agreement | decode_match_rate |"));
  EXPECT_THAT(md, HasSubstr("| bitnet-tiny-tq2_0 | bitnet | tiny | tq2_0 | tiny | Linux x86_64 | ✅ passed | 0.999991 | "
                            "4.500e-06 | 1.0000 | 1.0000 |"));
  // An entry that left no parity file (its synth failed) is listed, not dropped.
  EXPECT_THAT(md, HasSubstr("| bitnet-tiny-q8_0 | bitnet | tiny | q8_0 | tiny | — | ❔ no result (see "
                            "bitnet-tiny-q8_0/*.log) | — | — | — | — |"));
  // A real model file a user added by path.
  EXPECT_THAT(md, HasSubstr("| mine (`/models/my-model.gguf`) | llama | — | — | full | — |"));
  // Matrix rows follow the file's order.
  EXPECT_LT(md.find("| bitnet-tiny-tq2_0 | bitnet"), md.find("| bitnet-tiny-q8_0 | bitnet"));
  // Without a matrix file, no matrix section.
  EXPECT_THAT(render({"lane-b-llama-Linux"}), Not(HasSubstr("## Model matrix")));
}

TEST(CrossvalSummary, PerfSectionShowsTheComparisons) {
  std::string md = render({"lane-b-llama-Linux", "perf-Linux"});
  EXPECT_THAT(md, HasSubstr("## Performance\n\n**❌ regression beyond the tolerance** — 2 model(s) compared"));
  EXPECT_THAT(md, HasSubstr("| bitnet-2b4t-tiny-tq2_0 | trit/llama.cpp ±5% | 1.470x (-2.0%) | 0.938x (-25.0%) ❌ | — ➖ | "
                            "121.5 (+1.2%) | ❌ regression | AMD EPYC 7763 64-Core Processor |"));
  EXPECT_THAT(md, HasSubstr("| llama3-8b-tiny-q4_0 | trit/llama.cpp ±5% | 1.470x (-2.0%) | 1.300x (+4.0%) |"));
  EXPECT_THAT(md, HasSubstr("- bitnet-2b4t-tiny-tq2_0: machine differs: baseline cpu 'Intel Xeon'"));
  // A perf folder has results: it is not listed as "no results"; the crossval verdict is unchanged.
  EXPECT_THAT(md, Not(HasSubstr("no results in")));
  EXPECT_THAT(md, HasSubstr("**Overall: ✅ passed**"));
  EXPECT_THAT(render({"perf-Linux"}), HasSubstr("**Overall: ➖ no crossval runs (performance only)**"));
  auto data = load_summary_data({fixture("perf-Linux")});
  ASSERT_TRUE(data.ok()) << data.error().message;
  ASSERT_EQ(data->perf.size(), 2u);
  EXPECT_EQ(data->perf[0].entry, "bitnet-2b4t-tiny-tq2_0");
  EXPECT_TRUE(data->perf[0].regression);
  EXPECT_FALSE(data->perf[1].regression);
}

TEST(CrossvalSummary, MalformedMatrixNamesTheFileAndLine) {
  std::string e = error_of({fixture("bad-matrix")});
  EXPECT_THAT(e, HasSubstr("bad-matrix/crossval-matrix.tsv:1: expected 7 tab-separated fields, got 3"));
}

TEST(CrossvalSummary, MalformedJsonNamesTheFile) {
  std::string e = error_of({fixture("lane-b-llama-Linux"), fixture("malformed")});
  EXPECT_THAT(e, HasSubstr("malformed/crossval-parity-llama.json: malformed JSON"));
}

TEST(CrossvalSummary, WrongSchemaNamesTheFileAndBothSchemas) {
  std::string e = error_of({fixture("wrong-schema")});
  EXPECT_THAT(e, HasSubstr("wrong-schema/crossval-receipt-llama.json: schema is 'trit.bench/1', expected "
                           "'trit.crossval.receipt/1'"));
}

TEST(CrossvalSummary, UnknownStatusIsAnError) {
  std::string e = error_of({fixture("bad-status")});
  EXPECT_THAT(e, HasSubstr("bad-status/crossval-parity-llama.json: status is 'ok'"));
}

TEST(CrossvalSummary, MissingDirectoryIsAnError) {
  std::string e = error_of({fixture("no-such-folder")});
  EXPECT_THAT(e, HasSubstr("no-such-folder: not a directory"));
}

}  // namespace
}  // namespace trit
