// `trit run` end to end through the binary: CONTRACT.md's --json object, determinism, stops and
// exit codes, on a tiny synthetic model. Skips (visibly) when the binary has not been built.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "scratch_dir.h"
#include "shell_command.h"

namespace {

namespace fs = std::filesystem;

using Ran = trit::test::ShellResult;
Ran sh(const std::string& cmd) { return trit::test::run_shell(cmd + " 2>/dev/null"); }

class RunCli : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    trit_ = std::string(TRIT_BINARY_DIR) + "/trit";
    if (!fs::exists(trit_)) return;
    model_ = (trit::testing::scratch_dir("trit-run-cli") / "m.gguf").string();
    sh(trit_ + " synth --arch bitnet-b1.58 --shape tiny --type tq2_0 -o " + model_);
  }
  static void TearDownTestSuite() {
    if (!model_.empty()) fs::remove(model_);
  }
  void SetUp() override {
    if (!fs::exists(trit_)) GTEST_SKIP() << trit_ << " not built";
    ASSERT_TRUE(fs::exists(model_)) << "trit synth did not write " << model_;
  }
  std::string run(const std::string& args) { return trit_ + " run --model " + model_ + " " + args; }

  static inline std::string trit_;
  static inline std::string model_;
};

TEST_F(RunCli, JsonIsTheContractObjectAndNothingElse) {
  const Ran r = sh(run("--prompt 'Hello world' -n 8 --greedy --json"));
  ASSERT_EQ(r.rc, 0);
  const auto j = nlohmann::json::parse(r.out);  // throws if anything else is on stdout
  ASSERT_TRUE(j.is_object());
  for (const char* key : {"prompt_tokens", "tokens", "text", "stop", "timing"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j.size(), 5u);
  EXPECT_TRUE(j["prompt_tokens"].is_array());
  EXPECT_FALSE(j["prompt_tokens"].empty());
  EXPECT_TRUE(j["text"].is_string());
  EXPECT_TRUE(j["timing"]["prompt_tok_s"].is_number());
  EXPECT_TRUE(j["timing"]["gen_tok_s"].is_number());
  EXPECT_EQ(j["timing"].size(), 2u);
  const std::string stop = j["stop"];
  if (stop == "length") {
    EXPECT_EQ(j["tokens"].size(), 8u);
  } else {
    EXPECT_EQ(stop, "eog");
  }
}

TEST_F(RunCli, SameSeedSameOutput) {
  const std::string args = "--prompt 'Once upon' -n 12 --seed 9 --temp 1.2 --json";
  const Ran a = sh(run(args)), b = sh(run(args));
  ASSERT_EQ(a.rc, 0);
  ASSERT_EQ(b.rc, 0);
  EXPECT_EQ(nlohmann::json::parse(a.out)["tokens"], nlohmann::json::parse(b.out)["tokens"]);
}

TEST_F(RunCli, StopsCleanlyWhenTheContextIsFull) {
  const Ran r = sh(run("--prompt 'Hi' -n -1 --ctx 16 --greedy --json"));
  ASSERT_EQ(r.rc, 0);
  const auto j = nlohmann::json::parse(r.out);
  if (j["stop"] == "ctx") {
    EXPECT_EQ(j["prompt_tokens"].size() + j["tokens"].size(), 17u);  // the last one not evaluated
  } else {
    EXPECT_EQ(j["stop"], "eog");
  }
}

TEST_F(RunCli, HumanModeStreamsThePromptAndContinuation) {
  const Ran r = sh(run("--prompt 'Hello' -n 4 --greedy"));
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.out.rfind("Hello", 0), 0u) << r.out;
}

TEST_F(RunCli, BadInputExitsFour) {
  EXPECT_EQ(sh(trit_ + " run --model /nonexistent.gguf --prompt x").rc, 4);
  EXPECT_EQ(sh(run("")).rc, 4);  // no --prompt
  EXPECT_EQ(sh(run("--prompt x --top-p 0")).rc, 4);
  EXPECT_EQ(sh(run("--prompt x --temp -1")).rc, 4);
  EXPECT_EQ(sh(run("--prompt x --greedy --temp 0.5")).rc, 4);
  EXPECT_EQ(sh(run("--prompt x --compat nope")).rc, 4);
  EXPECT_EQ(sh(run("--prompt '' --no-bos")).rc, 4);
  EXPECT_EQ(sh(run("--prompt 'a b c d e f g h' --ctx 2")).rc, 4);
  EXPECT_EQ(sh(run("--prompt x --json --top-k -3")).rc, 4);
}

}  // namespace
