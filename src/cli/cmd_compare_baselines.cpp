// `trit compare-baselines`: flags to CompareOptions, src/bench/compare compares, this prints
// (CONTRACT.md). Exit 0 no regression, 1 a regression beyond the tolerance, 4 bad input.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "bench/compare.h"
#include "cli/command.h"

namespace trit::cli {
namespace {

struct CompareArgs {
  std::string current, baseline, format = "md", mode = "ratio";
  double tolerance = 0.05;
};

int run_compare(const CompareArgs& a) {
  auto current = bench::load_bench_file(a.current);
  if (!current) {
    std::fprintf(stderr, "trit compare-baselines: --current %s\n", current.error().message.c_str());
    return kExitUsage;
  }
  auto baseline = bench::load_bench_file(a.baseline);
  if (!baseline) {
    std::fprintf(stderr, "trit compare-baselines: --baseline %s\n", baseline.error().message.c_str());
    return kExitUsage;
  }
  bench::CompareOptions o;
  o.tolerance = a.tolerance;
  o.mode = a.mode == "absolute" ? bench::CompareMode::kAbsolute : bench::CompareMode::kRatio;
  auto c = bench::compare_baselines(*current, *baseline, o);
  if (!c) {
    std::fprintf(stderr, "trit compare-baselines: %s\n", c.error().message.c_str());
    return kExitUsage;
  }
  if (a.format == "json") {
    std::printf("%s\n", bench::comparison_json(*c).dump(2).c_str());
  } else {
    std::printf("%s", bench::comparison_markdown(*c).c_str());
  }
  for (const auto& r : c->rows) {
    if (r.status == bench::MetricStatus::kRegression)
      std::fprintf(stderr, "trit compare-baselines: regression: %s %+.1f%% (tolerance %.1f%%)\n", r.label.c_str(),
                   *r.change * 100.0, a.tolerance * 100.0);
  }
  return c->regression() ? 1 : 0;
}

}  // namespace

Command add_compare_baselines(CLI::App& root) {
  auto a = std::make_shared<CompareArgs>();
  auto* app = root.add_subcommand("compare-baselines",
                                  "Compare a `trit bench --json` result with a baseline; exit 1 on a regression");
  app->add_option("--current", a->current, "bench JSON of this build")->required();
  app->add_option("--baseline", a->baseline, "bench JSON to compare with (e.g. benchmarks/baselines/*.json)")
      ->required();
  app->add_option("--tolerance", a->tolerance, "allowed relative change in the bad direction (0.05 = 5%)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--format", a->format, "md | json (on stdout)")
      ->capture_default_str()
      ->check(CLI::IsMember({"md", "json"}));
  app->add_option("--mode", a->mode,
                  "ratio: trit/reference from `trit bench --ref` arrays (machine-independent); absolute: trit's "
                  "own numbers")
      ->capture_default_str()
      ->check(CLI::IsMember({"ratio", "absolute"}));
  app->footer(
      "Flags a drop in pp or tg tokens/s, a rise in tg p95 latency or in peak RSS beyond the tolerance.\n"
      "Exit: 0 no regression, 1 regression, 4 bad usage or input.\n"
      "Example:\n"
      "  trit bench -m m.gguf --ref llama --json > cur.json\n"
      "  trit compare-baselines --current cur.json --baseline benchmarks/baselines/bitnet-tiny-tq2_0.json");
  return {app, [a] { return run_compare(*a); }};
}

}  // namespace trit::cli
