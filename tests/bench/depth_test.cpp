// `trit bench -d`: decode measured after a context of depth tokens (src/bench/bench.h). End to end
// through the binary (skips, visibly, when build/trit is not built): the JSON echoes the depth and
// has one tg rate per run; a depth past the model's training context warns but still measures;
// a negative or absurd depth is a usage error naming -d; with llama.cpp available, the reference is
// measured at the same depth (skips when the shim is not installed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "model/model_test_util.h"
#include "shell_command.h"

namespace trit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DepthCli : public ::testing::Test {
 protected:
  void SetUp() override {
    trit_ = std::string(TRIT_BINARY_DIR) + "/trit";
    if (!fs::exists(trit_)) GTEST_SKIP() << trit_ << " not built";
    model_ = testing::synth_model("bitnet", TensorType::TQ2_0);
    ASSERT_FALSE(model_.empty());
  }
  test::ShellResult bench(const std::string& args, int reps = 2) const {
    return test::run_shell(trit_ + " bench -m " + model_ + " -p 8 -n 4 -t 2 --no-ceiling -r " + std::to_string(reps) +
                           " " + args);
  }
  std::string trit_, model_;
};

TEST_F(DepthCli, JsonEchoesTheDepthAndMeasuresEveryRun) {
  const auto r = bench("-d 64 --json 2>/dev/null");
  ASSERT_EQ(r.rc, 0);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["tg"]["depth"], 64);
  EXPECT_EQ(j["tg"]["n_tokens"], 4);
  ASSERT_EQ(j["tg"]["tok_s"].size(), 2u);
  for (const auto& v : j["tg"]["tok_s"]) EXPECT_GT(v.get<double>(), 0.0);
  // Without -d the depth is 0 (decode from an empty context after one warm-up token).
  const auto d0 = bench("--json 2>/dev/null");
  ASSERT_EQ(d0.rc, 0);
  EXPECT_EQ(nlohmann::json::parse(d0.out)["tg"]["depth"], 0);
}

TEST_F(DepthCli, TextNamesTheDepth) {
  const auto r = bench("-d 16 2>&1 >/dev/null");
  ASSERT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, HasSubstr("tg4@d16 "));
}

TEST_F(DepthCli, PastTheTrainingContextWarnsAndStillMeasures) {
  // The tiny synthetic shape declares a 1024-token training context.
  const auto r = bench("-d 1024 2>&1", 1);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("exceed the model's training context (1024)"));
  EXPECT_THAT(r.out, HasSubstr("tg4@d1024 "));
  // Within it, no warning.
  EXPECT_THAT(bench("-d 512 2>&1", 1).out, ::testing::Not(HasSubstr("training context")));
}

TEST_F(DepthCli, NegativeOrAbsurdDepthIsAUsageError) {
  for (const char* d : {"-1", "100000000"}) {
    const auto r = bench(std::string("-d ") + d + " 2>&1");
    EXPECT_EQ(r.rc, 4) << d << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("-d must be")) << d;
  }
}

TEST_F(DepthCli, ReferenceIsMeasuredAtTheSameDepth) {
  const auto r = bench("-d 32 --ref llama --json 2>/dev/null");
  if (r.rc == 3) GTEST_SKIP() << "llama.cpp shim not installed (scripts/setup.sh fetches it)";
  ASSERT_EQ(r.rc, 0);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array() && j.size() == 2) << r.out;
  EXPECT_EQ(j[1]["tg"]["depth"], 32);
  EXPECT_THAT(j[1]["note"].get<std::string>(), HasSubstr("timed in the shim"));
  for (const auto& v : j[1]["tg"]["tok_s"]) EXPECT_GT(v.get<double>(), 0.0);
}

}  // namespace
}  // namespace trit
