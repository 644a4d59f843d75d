// Determinism through the generation loop (issue 11 item 3): the same model, prompt and sampler
// seed give the same tokens across runs and thread counts 1..3, with sampling on (temperature,
// top-k, top-p, repetition penalty). Bit-identical logits per weight type are in
// tests/model/determinism_test.cpp; this adds the sampler and the loop on top.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "generate/generate.h"
#include "generate/session_source.h"
#include "model/model.h"
#include "scratch_dir.h"
#include "synth/synth.h"

namespace trit {
namespace {

namespace fs = std::filesystem;

std::string model_path(const std::string& arch, TensorType type) {
  const fs::path dir = testing::scratch_dir("trit-rel-det");
  const std::string path = (dir / (arch + "-" + std::string(tensor_type_name(type)) + ".gguf")).string();
  if (fs::exists(path)) return path;
  synth::Options o;
  o.arch = arch;
  o.shape = *synth::parse_shape("tiny");
  o.type = type;
  o.seed = 3;
  return synth::write_model(o, path).ok() ? path : std::string();
}

std::vector<int32_t> sample(const std::string& path, int n_threads, uint64_t seed) {
  auto m = Model::load(path, {.n_ctx = 128, .n_threads = n_threads});
  EXPECT_TRUE(m.ok());
  if (!m.ok()) return {};
  Session s(**m);
  SessionSource src(s);
  GenerateOptions o;
  o.n_predict = 24;
  o.sampler.temperature = 1.0f;
  o.sampler.top_k = 0;
  o.sampler.top_p = 0.95f;
  o.sampler.seed = seed;
  const std::vector<int32_t> prompt = {1, 72, 101, 108, 108, 111};
  auto r = generate(src, prompt, o, TokenText{});
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r->tokens : std::vector<int32_t>{};
}

TEST(GenerateDeterminism, SameSeedSameTokensAcrossRunsAndThreads) {
  for (auto [arch, type] : {std::pair{"bitnet", TensorType::TQ2_0}, std::pair{"llama", TensorType::Q8_0},
                            std::pair{"bitnet-b1.58", TensorType::I2_S}}) {
    SCOPED_TRACE(std::string(arch) + " " + std::string(tensor_type_name(type)));
    const std::string path = model_path(arch, type);
    ASSERT_FALSE(path.empty());
    const auto ref = sample(path, 1, 1234);
    ASSERT_EQ(ref.size(), 24u);
    EXPECT_EQ(ref, sample(path, 1, 1234)) << "second run";
    EXPECT_EQ(ref, sample(path, 2, 1234)) << "2 threads";
    EXPECT_EQ(ref, sample(path, 3, 1234)) << "3 threads";
    // The seed matters: another seed gives another sequence (at temperature 1 over 24 tokens).
    EXPECT_NE(ref, sample(path, 3, 99));
  }
}

// Context overflow through the loop: a prompt longer than the context is an error; a generation
// that reaches the end of the context stops with kContext, without evaluating past it.
TEST(GenerateDeterminism, ContextOverflowIsAnErrorOrAContextStop) {
  const std::string path = model_path("bitnet", TensorType::TQ2_0);
  auto m = Model::load(path, {.n_ctx = 8, .n_threads = 1});
  ASSERT_TRUE(m.ok());
  Session s(**m);
  SessionSource src(s);
  GenerateOptions o;
  o.n_predict = 100;
  o.sampler.temperature = 0;
  const std::vector<int32_t> too_long(9, 65);
  EXPECT_FALSE(generate(src, too_long, o, TokenText{}).ok());
  EXPECT_EQ(s.n_past(), 0);
  const std::vector<int32_t> prompt = {1, 65, 66};
  auto r = generate(src, prompt, o, TokenText{});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->stop, StopReason::kContext);
  EXPECT_LE(s.n_past(), 8);
}

}  // namespace
}  // namespace trit
