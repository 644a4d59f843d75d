// Lane A: trit --compat bitnet.cpp against a real bitnet.cpp build, strict profile, on I2_S models
// (REFERENCE.md section 3). Runs only where a user built bitnet.cpp and its shim (docs/lane-a.md):
// without BITNET_CPP_DIR it is skipped, loudly. The STUB path (no shim) always runs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "convert/convert_test_util.h"
#include "crossval/profile.h"
#include "crossval/ref/reference.h"
#include "crossval/runner.h"
#include "crossval/trit_engine.h"

namespace trit::crossval {
namespace {

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name;
  std::string old;
  bool had;
  ScopedEnv(const char* n, const std::string& v) : name(n) {
    const char* o = std::getenv(n);
    had = o != nullptr;
    if (had) old = o;
    setenv(n, v.c_str(), 1);
  }
  ~ScopedEnv() { had ? setenv(name.c_str(), old.c_str(), 1) : unsetenv(name.c_str()); }
};

TEST(LaneA, MissingBitnetCppIsSkippedWithReasonAndFix) {
  const auto empty = testing::convert_test_dir() / "no_bitnet_cpp";
  std::filesystem::create_directories(empty);
  ScopedEnv cache("TRIT_CACHE_DIR", (empty / "cache").string());
  ScopedEnv dir("BITNET_CPP_DIR", empty.string());
  const RefLoad load = load_reference(Lane::kBitnet);
  EXPECT_EQ(load.ref, nullptr);
  EXPECT_NE(load.reason.find(empty.string()), std::string::npos) << load.reason;
  EXPECT_NE(load.fix.find("docs/lane-a.md"), std::string::npos) << load.fix;
  EXPECT_NE(load.fix.find("--lane bitnet"), std::string::npos) << load.fix;
}

void run_lane_a(const std::string& arch, const std::string& shape) {
  const char* dir = std::getenv("BITNET_CPP_DIR");
  if (!dir || !*dir) {
    GTEST_SKIP() << "LANE A SKIPPED: BITNET_CPP_DIR is not set, so trit was not compared with bitnet.cpp. "
                    "Build bitnet.cpp (docs/lane-a.md), then scripts/build-shim.sh --lane bitnet --dir <checkout> "
                    "and BITNET_CPP_DIR=<checkout>.";
  }
  const RefLoad load = load_reference(Lane::kBitnet);
  ASSERT_NE(load.ref, nullptr) << "BITNET_CPP_DIR=" << dir << " but no Lane A shim: " << load.reason
                               << "; fix: " << load.fix;
  const std::string model = testing::synth_for_convert(arch, TensorType::I2_S, shape);
  ASSERT_FALSE(model.empty());
  RefOpenOptions ro;
  ro.n_ctx = 256;
  ro.n_threads = 2;
  auto ref = load.ref->open(model, ro);
  if (!ref.ok() && arch != "bitnet") {
    GTEST_SKIP() << "this bitnet.cpp cannot load arch '" << arch << "' (" << ref.error().message
                 << "); builds from 2025 on know bitnet-b1.58";
  }
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  TritEngineOptions eo;
  eo.compat = Compat::kBitnetCpp;
  eo.n_ctx = 256;
  eo.n_threads = 2;
  auto ours = open_trit_engine(model, eo);
  ASSERT_TRUE(ours.ok()) << ours.error().message;
  RunOptions opts;
  opts.prompts = {"The quick brown fox jumps over the lazy dog.", "Hello world, this is a test of the model",
                  "1 2 3 4 5 6 7 8 9 10"};
  opts.positions = 64;
  opts.decode = 16;
  opts.profile = *profile_by_name("strict");
  const LaneRun run = run_parity(**ours, **ref, opts);
  const auto& s = run.summary;
  std::printf("Lane A %s %s vs %s (%s): positions %d cos_min %.8f kl_max %.3e max_abs %.3e top1 %.3f decode %.3f\n",
              arch.c_str(), shape.c_str(), load.ref->info().name.c_str(), load.ref->info().commit.c_str(),
              s.positions, s.cos_min, s.kl_max, s.max_abs, s.top1_agreement, s.decode_match_rate);
  EXPECT_TRUE(run.tokenization_match);
  EXPECT_EQ(run.status, LaneStatus::kPass) << run.reason;
}

TEST(LaneA, BitnetArchI2sPassesStrict) { run_lane_a("bitnet", "small"); }
TEST(LaneA, BitnetB158ArchI2sPassesStrict) { run_lane_a("bitnet-b1.58", "small"); }

}  // namespace
}  // namespace trit::crossval
