// Real comparisons against llama.cpp (issue 4, item 7): synthetic models of each arch and type,
// trit vs the Lane B reference through the shim, judged by the strict profile. A corrupted
// model (one weight changed) must FAIL: proof that the check can fail. Skips loudly without the
// reference (scripts/setup.sh installs it).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "crossval/ref/reference.h"
#include "crossval/runner.h"
#include "crossval/trit_engine.h"
#include "gguf/gguf.h"
#include "synth/synth.h"

namespace trit::crossval {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kPrompts = {"Hello world, this is a test.", "The quick brown fox jumps over the lazy dog",
                                           "1 2 3 4 5 6 7 8 9 10"};

struct Case {
  std::string name, arch, type, shape, vocab = "byte";
  Compat compat = Compat::kLlamaCpp;
  int positions = 0;
  int decode = 8;
  // The profile this case is held to: "strict" for every case (issue 4, item 7). The field stays so
  // that a case with a known, documented engine gap could be held to "loose" with its reason.
  std::string profile = "strict";
};

// gtest prints a parameter in the test's listing; a name, not the struct's bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

fs::path model_dir() {
  fs::path d = fs::path(TRIT_BINARY_DIR) / "test-models" / "crossval";
  fs::create_directories(d);
  return d;
}

std::string llama_bpe_vocab() { return default_cache_dir() + "/llama_cpp/src/models/ggml-vocab-llama-bpe.gguf"; }

Result<std::string> make_model(const Case& c) {
  const fs::path path = model_dir() / (c.name + ".gguf");
  if (fs::exists(path)) return path.string();
  synth::Options o;
  o.arch = c.arch;
  auto shape = synth::parse_shape(c.shape);
  if (!shape.ok()) return shape.error();
  o.shape = *shape;
  o.type = *tensor_type_from_name(c.type);
  o.vocab = c.vocab == "llama-bpe" ? llama_bpe_vocab() : c.vocab;
  o.seed = 7;
  auto r = synth::write_model(o, path.string());
  if (!r.ok()) return r.error();
  return path.string();
}

std::unique_ptr<Reference> reference_or_null(std::string* why) {
  RefLoad r = load_reference(Lane::kLlama);
  if (!r.ref) *why = "LANE B REFERENCE ABSENT, parity test skipped: " + r.reason + "; fix: " + r.fix;
  return std::move(r.ref);
}

LaneRun run_case(Reference& ref, const std::string& path, const Case& c, std::string* error) {
  auto ours = open_trit_engine(path, {.compat = c.compat, .n_ctx = 2048, .n_threads = 2});
  if (!ours.ok()) {
    *error = ours.error().message;
    return {};
  }
  auto theirs = ref.open(path, {.n_ctx = 2048, .n_threads = 2});
  if (!theirs.ok()) {
    *error = theirs.error().message;
    return {};
  }
  RunOptions o;
  o.prompts = kPrompts;
  o.positions = c.positions;
  o.decode = c.decode;
  o.profile = *profile_by_name(c.profile);
  return run_parity(**ours, **theirs, o);
}

class Parity : public ::testing::TestWithParam<Case> {};

TEST_P(Parity, StrictAgainstLlamaCpp) {
  const Case& c = GetParam();
  std::string why;
  auto ref = reference_or_null(&why);
  if (!ref) {
    std::fprintf(stderr, "\n*** %s\n", why.c_str());
    GTEST_SKIP() << why;
  }
  if (c.vocab == "llama-bpe" && !fs::exists(llama_bpe_vocab())) GTEST_SKIP() << "no " << llama_bpe_vocab();
  auto path = make_model(c);
  ASSERT_TRUE(path.ok()) << path.error().message;
  std::string error;
  const LaneRun run = run_case(*ref, *path, c, &error);
  ASSERT_TRUE(error.empty()) << error;
  const Summary& s = run.summary;
  std::fprintf(stderr, "[%s] %s: positions %d cos_min %.7f kl_max %.3g top1 %.4f decode %.3f max_abs %.3g nll %.4f/%.4f\n",
               c.name.c_str(), std::string(status_name(run.status)).c_str(), s.positions, s.cos_min, s.kl_max,
               s.top1_agreement, s.decode_match_rate, s.max_abs, s.nll_ours, s.nll_ref);
  EXPECT_EQ(run.status, LaneStatus::kPass) << run.reason;
  // Perplexity cross-check (issue 10): the mean NLL of the prompt tokens, i.e. log-perplexity, of
  // both engines. Within strict, per-position KL <= 1e-3 keeps it within 0.1% (measured: 1e-6 .. 2e-5).
  constexpr double kNllRelTol = 1e-3;
  EXPECT_NEAR(s.nll_ours, s.nll_ref, kNllRelTol * s.nll_ref) << "log-perplexity differs";
  if (c.profile != "strict") {
    const auto strict = failed_checks(s, *profile_by_name("strict"));
    if (!strict.empty()) {
      std::fprintf(stderr, "*** KNOWN GAP [%s]: passes %s but not strict: %s\n", c.name.c_str(), c.profile.c_str(),
                   run.reason.c_str());
      for (const std::string& f : strict) std::fprintf(stderr, "***   strict: %s\n", f.c_str());
    }
  }
}

// Shapes: tiny = 256 x 2 layers x 4 heads x 2 kv heads (GQA 2); 256x2x4x4x512 is GQA 1;
// 256x2x8x2x512 is GQA 4.
INSTANTIATE_TEST_SUITE_P(
    Lane, Parity,
    ::testing::Values(Case{"llama_f32", "llama", "f32", "256x2x4x4x512"},
                      Case{"llama_f16", "llama", "f16", "256x2x4x4x512"},
                      Case{"llama_q8_0", "llama", "q8_0", "256x2x8x2x512"},
                      Case{"llama_q4_0", "llama", "q4_0", "256x2x8x2x512"},
                      Case{"bitnet_f32", "bitnet", "f32", "256x2x4x4x512"},
                      Case{"bitnet_f16", "bitnet", "f16", "256x2x8x2x512"},
                      Case{"bitnet_tq1_0", "bitnet", "tq1_0", "256x2x8x2x512"},
                      Case{"bitnet_tq2_0", "bitnet", "tq2_0", "256x2x4x4x512"},
                      Case{"bitnet_f16_llama_bpe", "bitnet", "f16", "256x2x8x2x512", "llama-bpe"},
                      Case{"bitnet_tq2_0_llama_bpe", "bitnet", "tq2_0", "256x2x8x2x512", "llama-bpe"},
                      Case{"llama_f16_llama_bpe_long", "llama", "f16", "256x2x8x2x512", "llama-bpe", Compat::kLlamaCpp,
                           600, 4}),
    [](const auto& param_info) { return param_info.param.name; });

// Copies `path` to `bad` and XORs one byte of tensor `name` at byte `offset` of its data with `mask`.
void corrupt_copy(const std::string& path, const fs::path& bad, const std::string& name, uint64_t offset,
                  uint8_t mask) {
  fs::copy_file(path, bad, fs::copy_options::overwrite_existing);
  auto file = gguf::File::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  const gguf::TensorInfo* t = file->find_tensor(name);
  ASSERT_NE(t, nullptr) << name;
  const uint64_t at = file->data_offset() + t->offset + offset;
  std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char b = 0;
  f.read(&b, 1);
  b = static_cast<char>(b ^ mask);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&b, 1);
}

// trit reads the corrupted file, llama.cpp the intact one; the profile must fail.
void expect_corruption_fails(Reference& ref, const std::string& intact, const fs::path& bad, const char* what,
                             const char* profile = "strict") {
  auto ours = open_trit_engine(bad.string(), {.compat = Compat::kLlamaCpp, .n_ctx = 512, .n_threads = 2});
  ASSERT_TRUE(ours.ok()) << ours.error().message;
  auto theirs = ref.open(intact, {.n_ctx = 512, .n_threads = 2});
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  RunOptions o;
  o.prompts = kPrompts;
  o.decode = 4;
  o.profile = *profile_by_name(profile);
  const LaneRun run = run_parity(**ours, **theirs, o);
  std::fprintf(stderr, "[%s] %s: cos_min %.7f kl_max %.3g: %s\n", what, std::string(status_name(run.status)).c_str(),
               run.summary.cos_min, run.summary.kl_max, run.reason.c_str());
  EXPECT_EQ(run.status, LaneStatus::kFail) << "a flipped weight went unnoticed: " << run.reason;
  EXPECT_TRUE(run.summary.first_divergence);
}

// One weight flipped: the sign of one element of output_norm in an F32 BitNet model.
TEST(ParityCorrupted, OneFlippedWeightFails) {
  std::string why;
  auto ref = reference_or_null(&why);
  if (!ref) {
    std::fprintf(stderr, "\n*** %s\n", why.c_str());
    GTEST_SKIP() << why;
  }
  const Case c{"bitnet_f32", "bitnet", "f32", "256x2x4x4x512"};
  auto path = make_model(c);
  ASSERT_TRUE(path.ok()) << path.error().message;
  const fs::path bad = model_dir() / "bitnet_f32_corrupted.gguf";
  corrupt_copy(*path, bad, "output_norm.weight", 3 * sizeof(float) + 3, 0x80);  // the sign byte of element 3
  expect_corruption_fails(*ref, *path, bad, "corrupted f32 output_norm");
}

// One ternary weight flipped in a TQ2_0 model (now held to strict): the code of element 0 of row 0 of
// blk.1.ffn_down (bits 0-1 of its first byte, TQ2_0 layout in REFERENCE.md) is XORed with 2, so
// -1 <-> +1 and 0 -> 3 (which decodes to +2: a weight no ternary model has). Held to the "exact"
// profile: one ternary weight of 512 x 256 moves the logits by KL ~1e-4, below the strict profile's
// 1e-3 (which must also absorb Q8_0/Q4_0/TQ1_0's remaining epilogue rounding), far above exact's 1e-5;
// the intact model passes exact (checked first, so the failure below is the flip's).
TEST(ParityCorrupted, OneFlippedTernaryCodeFails) {
  std::string why;
  auto ref = reference_or_null(&why);
  if (!ref) {
    std::fprintf(stderr, "\n*** %s\n", why.c_str());
    GTEST_SKIP() << why;
  }
  const Case c{"bitnet_tq2_0", "bitnet", "tq2_0", "256x2x4x4x512"};
  auto path = make_model(c);
  ASSERT_TRUE(path.ok()) << path.error().message;
  const fs::path bad = model_dir() / "bitnet_tq2_0_corrupted.gguf";
  corrupt_copy(*path, bad, "blk.1.ffn_down.weight", 0, 0x02);
  {
    auto ours = open_trit_engine(*path, {.compat = Compat::kLlamaCpp, .n_ctx = 512, .n_threads = 2});
    ASSERT_TRUE(ours.ok()) << ours.error().message;
    auto theirs = ref->open(*path, {.n_ctx = 512, .n_threads = 2});
    ASSERT_TRUE(theirs.ok()) << theirs.error().message;
    RunOptions o;
    o.prompts = kPrompts;
    o.decode = 4;
    o.profile = *profile_by_name("exact");
    const LaneRun intact = run_parity(**ours, **theirs, o);
    ASSERT_EQ(intact.status, LaneStatus::kPass) << "intact TQ2_0 model fails exact: " << intact.reason;
  }
  expect_corruption_fails(*ref, *path, bad, "corrupted tq2_0 code", "exact");
}

}  // namespace
}  // namespace trit::crossval
