// The reference loader: STUB behaviour (nothing found -> a reason and a fix, never a crash) and,
// when the Lane B shim is installed, live calls through it. Live tests skip loudly otherwise.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crossval/ref/reference.h"
#include "scratch_dir.h"

namespace trit::crossval {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { had_ ? setenv(name_, old_.c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

fs::path empty_dir() { return trit::testing::scratch_dir("trit-xv-empty"); }

// STUB mode needs the loader; a -DTRIT_FFI=OFF build has none, and NoFfi below checks what it says.
class Stub : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ffi_enabled()) GTEST_SKIP() << "built with -DTRIT_FFI=OFF: no loader, so no STUB mode (see NoFfi)";
  }
};

TEST(NoFfi, EveryLaneSaysTheLoaderIsCompiledOut) {
  if (ffi_enabled()) GTEST_SKIP() << "FFI build: the loader exists (see Stub)";
  for (Lane lane : {Lane::kLlama, Lane::kBitnet}) {
    const RefLoad r = load_reference(lane);
    EXPECT_EQ(r.ref, nullptr);
    EXPECT_NE(r.reason.find("TRIT_FFI=OFF"), std::string::npos) << r.reason;
    EXPECT_NE(r.fix.find("TRIT_FFI=ON"), std::string::npos) << r.fix;
  }
}

TEST_F(Stub, ExplicitEmptyDirIsUnavailableWithReasonAndFix) {
  const fs::path dir = empty_dir();
  const RefLoad r = load_reference(Lane::kLlama, dir.string());
  EXPECT_EQ(r.ref, nullptr);
  EXPECT_EQ(r.where.source, "--ref-dir");
  EXPECT_NE(r.reason.find(dir.string()), std::string::npos) << r.reason;
  EXPECT_FALSE(r.fix.empty());
  EXPECT_NE(r.fix.find("setup-cpp"), std::string::npos) << r.fix;
}

TEST_F(Stub, EnvironmentBeatsCacheAndFlagBeatsEnvironment) {
  const fs::path dir = empty_dir();
  ScopedEnv env("TRIT_LLAMA_CPP_DIR", dir.c_str());
  LaneLocation loc = locate_lane(Lane::kLlama);
  EXPECT_EQ(loc.source, "TRIT_LLAMA_CPP_DIR");
  EXPECT_EQ(loc.dir, dir.string());
  EXPECT_TRUE(loc.shim.empty());
  loc = locate_lane(Lane::kLlama, "/nonexistent/x");
  EXPECT_EQ(loc.source, "--ref-dir");
  const RefLoad r = load_reference(Lane::kLlama);
  EXPECT_EQ(r.ref, nullptr);
  EXPECT_NE(r.reason.find("TRIT_LLAMA_CPP_DIR"), std::string::npos) << r.reason;
}

TEST_F(Stub, CacheDirComesFromTritCacheDir) {
  const fs::path dir = empty_dir();
  ScopedEnv env("TRIT_LLAMA_CPP_DIR", nullptr);
  ScopedEnv cache("TRIT_CACHE_DIR", dir.c_str());
  const RefLoad r = load_reference(Lane::kLlama);
  EXPECT_EQ(r.where.source, "cache");
  EXPECT_EQ(r.where.dir, (dir / "llama_cpp").string());
  EXPECT_EQ(r.ref, nullptr);
  EXPECT_NE(r.fix.find("scripts/setup.sh"), std::string::npos) << r.fix;
}

TEST_F(Stub, AFileThatIsNotAShimIsRefused) {
  const fs::path dir = empty_dir() / "bad";
  fs::create_directories(dir / "shim");
  std::ofstream(dir / "shim" / shim_file_name(Lane::kLlama)) << "not an ELF file";
  const RefLoad r = load_reference(Lane::kLlama, dir.string());
  EXPECT_EQ(r.ref, nullptr);
  EXPECT_NE(r.reason.find("could not load"), std::string::npos) << r.reason;
}

TEST_F(Stub, BitnetLaneExplainsItself) {
  const fs::path dir = empty_dir();
  const RefLoad r = load_reference(Lane::kBitnet, dir.string());
  EXPECT_EQ(r.ref, nullptr);
  EXPECT_NE(r.fix.find("BITNET_CPP_DIR"), std::string::npos) << r.fix;
}

// ---- live: needs scripts/setup.sh (or scripts/fetch-llama-cpp.sh && scripts/build-shim.sh) ----

std::string vocab_dir() { return default_cache_dir() + "/llama_cpp/src/models"; }

std::unique_ptr<Reference> live_reference(std::string* why) {
  RefLoad r = load_reference(Lane::kLlama);
  if (!r.ref) *why = "LANE B REFERENCE ABSENT, live test skipped: " + r.reason + "; fix: " + r.fix;
  return std::move(r.ref);
}

#define REQUIRE_REFERENCE(ref)                      \
  std::string why_;                                 \
  auto ref = live_reference(&why_);                 \
  if (!ref) {                                       \
    std::fprintf(stderr, "\n*** %s\n", why_.c_str()); \
    GTEST_SKIP() << why_;                           \
  }

TEST(LiveShim, ReportsWhatWasLoaded) {
  REQUIRE_REFERENCE(ref);
  const ReferenceInfo& info = ref->info();
  EXPECT_EQ(info.name, "llama.cpp");
  EXPECT_FALSE(info.version.empty());
  EXPECT_FALSE(info.commit.empty());
  EXPECT_TRUE(fs::exists(info.library)) << info.library;
  EXPECT_TRUE(fs::exists(info.shim)) << info.shim;
}

TEST(LiveShim, MissingModelIsAnErrorWithThePath) {
  REQUIRE_REFERENCE(ref);
  auto m = ref->open("/nonexistent/model.gguf", {.vocab_only = true});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("/nonexistent/model.gguf"), std::string::npos) << m.error().message;
}

// llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0.cpp format), through our ABI.
TEST(LiveShim, TokenizesLlamaBpeTestVectors) {
  REQUIRE_REFERENCE(ref);
  const std::string base = vocab_dir() + "/ggml-vocab-llama-bpe.gguf";
  if (!fs::exists(base)) GTEST_SKIP() << "no " << base;
  auto m = ref->open(base, {.vocab_only = true});
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)->n_vocab(), 128256);

  std::stringstream raw;
  raw << std::ifstream(base + ".inp", std::ios::binary).rdbuf();
  const std::string text = raw.str(), sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (size_t pos = 0; pos < text.size();) {
    const size_t next = text.find(sep, pos);
    inputs.push_back(text.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) break;
    pos = next + sep.size();
  }
  std::ifstream out(base + ".out");
  std::vector<std::vector<int32_t>> expected;
  for (std::string line; std::getline(out, line);) {
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    for (int32_t id; ls >> id;) ids.push_back(id);
    expected.push_back(ids);
  }
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GT(inputs.size(), 10u);
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto ids = (*m)->tokenize(inputs[i], /*add_special=*/false, /*parse_special=*/false);
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    EXPECT_EQ(*ids, expected[i]) << "case " << i << ": \"" << inputs[i] << "\"";
  }
  auto bos = (*m)->tokenize("Hello", /*add_special=*/true, false);
  ASSERT_TRUE(bos.ok());
  EXPECT_EQ(bos->front(), 128000);  // <|begin_of_text|>
  auto special = (*m)->tokenize("<|eot_id|>", false, /*parse_special=*/true);
  ASSERT_TRUE(special.ok());
  EXPECT_EQ(*special, std::vector<int32_t>{128009});
}

TEST(LiveShim, EvalOnAVocabOnlyModelIsAnErrorNotACrash) {
  REQUIRE_REFERENCE(ref);
  const std::string base = vocab_dir() + "/ggml-vocab-llama-bpe.gguf";
  if (!fs::exists(base)) GTEST_SKIP() << "no " << base;
  auto m = ref->open(base, {.vocab_only = true});
  ASSERT_TRUE(m.ok()) << m.error().message;
  const std::vector<int32_t> toks = {128000, 9906};
  auto logits = (*m)->eval_all(toks);
  ASSERT_FALSE(logits.ok());
  EXPECT_NE(logits.error().message.find("vocab-only"), std::string::npos) << logits.error().message;
}

}  // namespace
}  // namespace trit::crossval
