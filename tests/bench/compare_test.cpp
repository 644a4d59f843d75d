// compare_baselines on hand-written `trit bench --json` files (fixtures/): a planted slowdown is
// flagged, noise within the tolerance is not, ratio mode holds across machines where absolute mode
// does not, and bad input is an error naming the file.
#include "bench/compare.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace trit::bench {
namespace {

using ::testing::HasSubstr;

std::string fixture(const std::string& name) { return std::string(TRIT_SOURCE_DIR) + "/tests/bench/fixtures/" + name; }

BenchSide load(const std::string& name) {
  auto s = load_bench_file(fixture(name));
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : BenchSide{};
}

Comparison compare(const std::string& current, const std::string& baseline, CompareMode mode = CompareMode::kRatio,
                   double tolerance = 0.05) {
  auto c = compare_baselines(load(current), load(baseline), {.tolerance = tolerance, .mode = mode});
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : Comparison{};
}

const MetricRow& row(const Comparison& c, const std::string& key) {
  for (const auto& r : c.rows)
    if (r.key == key) return r;
  ADD_FAILURE() << "no row " << key;
  static const MetricRow none;
  return none;
}

std::string error_of(const std::string& current, const std::string& baseline, CompareMode mode = CompareMode::kRatio) {
  auto cur = load_bench_file(fixture(current));
  if (!cur.ok()) return cur.error().message;
  auto base = load_bench_file(fixture(baseline));
  if (!base.ok()) return base.error().message;
  auto c = compare_baselines(*cur, *base, {.mode = mode});
  EXPECT_FALSE(c.ok());
  return c.ok() ? std::string() : c.error().message;
}

TEST(CompareBaselines, PlantedTgSlowdownIsFlagged) {
  const Comparison c = compare("current-tg-slow.json", "baseline.json");
  EXPECT_TRUE(c.regression());
  EXPECT_EQ(row(c, "tg_tok_s").status, MetricStatus::kRegression);
  EXPECT_NEAR(*row(c, "tg_tok_s").baseline, 1.25, 1e-9);  // 200 / 160
  EXPECT_NEAR(*row(c, "tg_tok_s").current, 0.9375, 1e-9);  // 150 / 160
  EXPECT_NEAR(*row(c, "tg_tok_s").change, -0.25, 1e-9);
  // p95 over the reference's mean per-token time: 5.5 / 6.25 -> 7.5 / 6.25.
  EXPECT_EQ(row(c, "tg_latency_p95").status, MetricStatus::kRegression);
  EXPECT_EQ(row(c, "pp_tok_s").status, MetricStatus::kOk);
  EXPECT_EQ(row(c, "rss_peak_mb").status, MetricStatus::kOk);
  const std::string md = comparison_markdown(c);
  EXPECT_THAT(md, HasSubstr("| tg tok/s (trit/llama.cpp) | 1.250x | 0.938x | -25.0% | ❌ regression |"));
  EXPECT_THAT(md, HasSubstr("**Result: ❌ regression: tg tok/s (trit/llama.cpp), tg p95 latency"));
  const auto j = comparison_json(c);
  EXPECT_EQ(j["schema"], "trit.perf.compare/1");
  EXPECT_EQ(j["mode"], "ratio");
  EXPECT_EQ(j["regression"], true);
  EXPECT_EQ(j["metrics"][1]["metric"], "tg_tok_s");
  EXPECT_EQ(j["metrics"][1]["status"], "regression");
}

TEST(CompareBaselines, NoiseWithinToleranceIsNotARegression) {
  const Comparison c = compare("current-noise.json", "baseline.json");
  EXPECT_FALSE(c.regression());
  for (const auto& r : c.rows) EXPECT_EQ(r.status, MetricStatus::kOk) << r.key;
  EXPECT_THAT(comparison_markdown(c), HasSubstr("**Result: ✅ no regression beyond the tolerance**"));
  // A tighter tolerance than the 2% drop flags it.
  EXPECT_TRUE(compare("current-noise.json", "baseline.json", CompareMode::kRatio, 0.01).regression());
}

TEST(CompareBaselines, RatioHoldsOnASlowerMachineWhereAbsoluteDoesNot) {
  const Comparison ratio = compare("current-slower-machine.json", "baseline.json");
  EXPECT_FALSE(ratio.regression());
  EXPECT_NEAR(*row(ratio, "pp_tok_s").change, 0.0, 1e-9);
  EXPECT_THAT(comparison_markdown(ratio), HasSubstr("machine differs: baseline cpu 'Test CPU @ 3.0GHz', current cpu 'Slow CPU'"));
  const Comparison absolute = compare("current-slower-machine.json", "baseline.json", CompareMode::kAbsolute);
  EXPECT_TRUE(absolute.regression());
  EXPECT_EQ(row(absolute, "pp_tok_s").status, MetricStatus::kRegression);
  EXPECT_THAT(comparison_markdown(absolute), HasSubstr("absolute numbers are machine-specific"));
}

TEST(CompareBaselines, MemoryGrowthIsFlagged) {
  const Comparison c = compare("current-rss.json", "baseline.json");
  EXPECT_TRUE(c.regression());
  EXPECT_EQ(row(c, "rss_peak_mb").status, MetricStatus::kRegression);
  EXPECT_NEAR(*row(c, "rss_peak_mb").change, 0.2, 1e-9);
  EXPECT_TRUE(compare("current-rss.json", "baseline.json", CompareMode::kRatio, 0.25).rows.size() == 4);
  EXPECT_FALSE(compare("current-rss.json", "baseline.json", CompareMode::kRatio, 0.25).regression());
}

TEST(CompareBaselines, ImprovementIsReportedNotFailed) {
  const Comparison c = compare("current-faster.json", "baseline.json");
  EXPECT_FALSE(c.regression());
  EXPECT_EQ(row(c, "pp_tok_s").status, MetricStatus::kImproved);
  EXPECT_EQ(row(c, "tg_latency_p95").status, MetricStatus::kImproved);
}

TEST(CompareBaselines, AbsoluteModeOnTritOnlyFiles) {
  const Comparison c = compare("trit-only-slow.json", "trit-only.json", CompareMode::kAbsolute);
  EXPECT_TRUE(c.regression());
  EXPECT_EQ(row(c, "pp_tok_s").status, MetricStatus::kRegression);
  EXPECT_EQ(row(c, "tg_tok_s").status, MetricStatus::kRegression);
  EXPECT_EQ(row(c, "tg_latency_p95").status, MetricStatus::kRegression);
  EXPECT_THAT(comparison_markdown(c), HasSubstr("| pp tok/s | 1000.00 | 300.00 | -70.0% | ❌ regression |"));
  // Absolute mode reads the trit entry of a --ref array too.
  EXPECT_FALSE(compare("trit-only.json", "baseline.json", CompareMode::kAbsolute).rows.empty());
}

TEST(CompareBaselines, RatioModeNeedsAReferenceEntry) {
  EXPECT_THAT(error_of("trit-only.json", "baseline.json"),
              HasSubstr("trit-only.json: ratio mode needs a reference entry"));
  EXPECT_THAT(error_of("baseline.json", "trit-only.json"),
              HasSubstr("trit-only.json: ratio mode needs a reference entry"));
}

TEST(CompareBaselines, BadInputNamesTheFile) {
  EXPECT_THAT(error_of("malformed.json", "baseline.json"), HasSubstr("malformed.json: malformed JSON"));
  EXPECT_THAT(error_of("wrong-schema.json", "baseline.json"),
              HasSubstr("wrong-schema.json: schema is 'trit.crossval.parity/1', expected 'trit.bench/1'"));
  EXPECT_THAT(error_of("missing-field.json", "baseline.json"),
              HasSubstr("missing-field.json: tg.tok_s_median is missing or not a positive number"));
  EXPECT_THAT(error_of("reference-first.json", "baseline.json"),
              HasSubstr("reference-first.json: the first entry's engine is 'llama.cpp', expected 'trit'"));
  EXPECT_THAT(error_of("no-such-file.json", "baseline.json"), HasSubstr("no-such-file.json: cannot open"));
  auto c = compare_baselines(load("baseline.json"), load("baseline.json"), {.tolerance = -1});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("tolerance must be a number >= 0"));
}

TEST(CompareBaselines, WorkloadDifferencesAreNoted) {
  auto base = load("baseline.json");
  auto cur = base;
  cur.trit["pp"]["n_tokens"] = 64;
  cur.trit["threads"] = 4;
  auto c = compare_baselines(cur, base, {});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->regression());
  const std::string md = comparison_markdown(*c);
  EXPECT_THAT(md, HasSubstr("- note: pp.n_tokens differs: baseline 128, current 64"));
  EXPECT_THAT(md, HasSubstr("- note: threads differs: baseline 2, current 4"));
}

}  // namespace
}  // namespace trit::bench
