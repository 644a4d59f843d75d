// benchmarks/trit_microbench reports against the machine's measured peaks (machine_peak.h): the
// context names the per-thread multiply-accumulate peaks, a memory-resident decode run reports its
// fraction of the read bandwidth measured next to it, and every SIMD run its fraction of the
// arithmetic peak. One short run of two cases (skips, visibly, when the benchmarks are not built:
// TRIT_BUILD_BENCHMARKS=OFF).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/cpu.h"
#include "shell_command.h"

namespace trit {
namespace {

TEST(Microbench, ReportsFractionsOfTheMeasuredPeaks) {
  const std::string bin = std::string(TRIT_BINARY_DIR) + "/benchmarks/trit_microbench";
  if (!std::filesystem::exists(bin)) GTEST_SKIP() << bin << " not built (TRIT_BUILD_BENCHMARKS=OFF)";
  if (!cpu_features().avx2) GTEST_SKIP() << "peaks are measured on x86-64 with AVX2 only";
  const auto r = test::run_shell(bin +
                                 " --benchmark_filter='^matmul_tq2_q8k_avx2/2560x2560/tok:1/t:1/mem:dram|"
                                 "^attention_portable/decode/n_kv:128/real_time' --benchmark_min_time=0.05 "
                                 "--benchmark_format=json 2>/dev/null");
  ASSERT_EQ(r.rc, 0);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  const auto& ctx = j["context"];
  ASSERT_TRUE(ctx.contains("peak_int8_gmac_s_per_thread_avx2")) << ctx.dump(2);
  EXPECT_GT(std::stod(ctx["peak_int8_gmac_s_per_thread_avx2"].get<std::string>()), 1.0);
  EXPECT_GT(std::stod(ctx["peak_f32_fma_gmac_s_per_thread_avx2"].get<std::string>()), 1.0);
  ASSERT_EQ(j["benchmarks"].size(), 2u) << j.dump(2);
  for (const auto& b : j["benchmarks"]) {
    const std::string name = b["name"];
    ASSERT_TRUE(b.contains("mac_frac")) << name;
    EXPECT_GT(b["mac_frac"].get<double>(), 0.0) << name;
    EXPECT_LT(b["mac_frac"].get<double>(), 1.5) << name;  // a kernel cannot beat its instructions' peak
    if (name.find("mem:dram") != std::string::npos) {
      ASSERT_TRUE(b.contains("bw_frac")) << name;
      EXPECT_GT(b["read_GB/s"].get<double>(), 0.1) << name;
      EXPECT_GT(b["bw_frac"].get<double>(), 0.0) << name;
      EXPECT_LT(b["bw_frac"].get<double>(), 3.0) << name;  // bounded, whatever a shared machine does
    } else {
      EXPECT_FALSE(b.contains("bw_frac")) << name << ": cache-resident runs have no memory fraction";
    }
  }
}

}  // namespace
}  // namespace trit
