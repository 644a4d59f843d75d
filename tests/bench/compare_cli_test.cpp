// `trit compare-baselines` end to end through the binary: a slowdown planted with TRIT_ISA=scalar
// (the scalar reference kernels instead of the SIMD ones) is flagged in absolute mode with exit 1; the
// exit codes for no regression (0) and bad input (4). Skips (visibly) when the binary is not built or
// when this machine has no fast kernel to disable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "scratch_dir.h"
#include "shell_command.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The scalar kernels are several times slower than AVX2 (measured 4x on this model's prefill, 20x on
// its decode, one thread); a 25% tolerance keeps the test far from that on a loaded machine, and far
// from noise the other way.
constexpr double kTolerance = 0.25;

using Ran = trit::test::ShellResult;
Ran sh(const std::string& cmd) { return trit::test::run_shell(cmd + " 2>/dev/null"); }

class CompareCli : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    trit_ = std::string(TRIT_BINARY_DIR) + "/trit";
    if (!fs::exists(trit_)) return;
    dir_ = trit::testing::scratch_dir("trit-compare-cli");
    const std::string model = (dir_ / "m.gguf").string();
    // Small but matmul-bound: 512-wide, 2 layers, TQ2_0; one thread so the two runs see the same machine.
    sh(trit_ + " synth --arch bitnet --shape 512x2x8x2x1536 --type tq2_0 --seed 1 -o " + model);
    const std::string bench = " bench -m " + model + " -p 64 -n 16 -r 3 -t 1 --json";
    std::ofstream(dir_ / "fast.json") << sh(trit_ + bench).out;
    std::ofstream(dir_ / "scalar.json") << sh("TRIT_ISA=scalar " + trit_ + bench).out;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!fs::exists(trit_)) GTEST_SKIP() << trit_ << " not built";
    const auto fast = nlohmann::json::parse(std::ifstream(dir_ / "fast.json"), nullptr, false);
    ASSERT_TRUE(fast.is_object()) << "trit bench --json did not give a trit.bench/1 object";
    const std::string kernel = fast["kernels"].value("tq2_0", "");
    if (kernel.ends_with("_ref")) GTEST_SKIP() << "no fast TQ2_0 kernel on this machine (" << kernel << ")";
  }
  std::string compare(const std::string& current, const std::string& baseline, const std::string& args) {
    return trit_ + " compare-baselines --current " + (dir_ / current).string() + " --baseline " +
           (dir_ / baseline).string() + " " + args;
  }

  static inline std::string trit_;
  static inline fs::path dir_;
};

TEST_F(CompareCli, ScalarKernelsAreFlaggedAsARegression) {
  const auto scalar = nlohmann::json::parse(std::ifstream(dir_ / "scalar.json"));
  EXPECT_TRUE(scalar["kernels"].value("tq2_0", "").ends_with("_ref")) << "TRIT_ISA=scalar did not take effect";

  const Ran r = sh(compare("scalar.json", "fast.json", "--mode absolute --format json --tolerance " +
                                                           std::to_string(kTolerance)));
  EXPECT_EQ(r.rc, 1);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["regression"], true);
  EXPECT_EQ(j["metrics"][0]["metric"], "pp_tok_s");
  EXPECT_EQ(j["metrics"][0]["status"], "regression") << j.dump(2);

  const Ran md = sh(compare("scalar.json", "fast.json", "--mode absolute --tolerance " + std::to_string(kTolerance)));
  EXPECT_EQ(md.rc, 1);
  EXPECT_THAT(md.out, HasSubstr("| Metric | Baseline | Current | Change | Status |"));
  EXPECT_THAT(md.out, HasSubstr("❌ regression"));
}

TEST_F(CompareCli, FasterThanTheBaselineExitsZero) {
  const Ran r = sh(compare("fast.json", "scalar.json", "--mode absolute --format json --tolerance " +
                                                           std::to_string(kTolerance)));
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)["regression"], false);
}

TEST_F(CompareCli, BadInputExitsFour) {
  EXPECT_EQ(sh(compare("missing.json", "fast.json", "--mode absolute")).rc, 4);
  std::ofstream(dir_ / "bad.json") << "{ not json";
  EXPECT_EQ(sh(compare("bad.json", "fast.json", "--mode absolute")).rc, 4);
  // Ratio mode (the default) needs `trit bench --ref` arrays.
  EXPECT_EQ(sh(compare("fast.json", "fast.json", "")).rc, 4);
  EXPECT_EQ(sh(compare("fast.json", "fast.json", "--mode absolute --format xml")).rc, 4);
}

}  // namespace
