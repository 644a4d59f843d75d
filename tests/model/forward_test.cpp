// End to end: trit's forward pass on tiny synthetic models against the independent plain
// double-precision implementation in plain_forward.h.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <tuple>

#include "core/cpu.h"
#include "model/model.h"
#include "model_test_util.h"
#include "plain_forward.h"

namespace trit {
namespace {

// F32/F16/BF16 weights: trit rounds Q, K, V and the attention probabilities to fp16 as llama.cpp
// does (and F16/BF16 weights take F16/BF16 activations); the plain reference keeps doubles.
constexpr double kFloatCosMin = 0.9999;
// Quantized activations (Q8_K, Q8_0, per-token int8) add ~0.5% relative noise per matmul.
constexpr double kQuantCosMin = 0.995;

double cosine(const std::vector<float>& a, size_t off, const std::vector<double>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    ab += a[off + i] * b[i];
    aa += double(a[off + i]) * a[off + i];
    bb += b[i] * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

const std::vector<int32_t> kTokens = {5, 100, 37, 250, 9, 77, 300, 12, 64, 200, 3, 150};

struct Case {
  const char* arch;
  TensorType type;
  Compat compat;
};

class ForwardVsPlain : public ::testing::TestWithParam<Case> {};

TEST_P(ForwardVsPlain, LogitsAgreeAtEveryPosition) {
  const Case c = GetParam();
  const std::string path = testing::synth_model(c.arch, c.type);
  ASSERT_FALSE(path.empty());
  auto model = Model::load(path, {.compat = c.compat, .n_ctx = 64, .n_threads = 2});
  ASSERT_TRUE(model.ok()) << model.error().message;
  Session session(**model);
  std::vector<float> logits;
  ASSERT_TRUE(session.eval(kTokens, &logits, true).ok());

  auto f = gguf::File::open(path);
  const bool relu2 = std::string(c.arch) != "llama" && c.compat != Compat::kLlamaCpp;
  auto plain = testing::load_plain(*f, relu2);
  auto want = testing::plain_forward(plain, std::vector<int>(kTokens.begin(), kTokens.end()));
  const size_t V = (*model)->hparams().n_vocab;
  const bool float_type = c.type == TensorType::F32;
  const double cos_min = float_type ? kFloatCosMin : kQuantCosMin;
  int top1_agree = 0;
  for (size_t t = 0; t < kTokens.size(); ++t) {
    const double cs = cosine(logits, t * V, want[t]);
    EXPECT_GT(cs, cos_min) << "position " << t;
    size_t a = 0, b = 0;
    for (size_t i = 1; i < V; ++i) {
      if (logits[t * V + i] > logits[t * V + a]) a = i;
      if (want[t][i] > want[t][b]) b = i;
    }
    top1_agree += a == b;
  }
  EXPECT_GE(top1_agree, int(kTokens.size()) - 2);
}

INSTANTIATE_TEST_SUITE_P(
    Archs, ForwardVsPlain,
    ::testing::Values(Case{"llama", TensorType::F32, Compat::kNative}, Case{"llama", TensorType::F16, Compat::kNative},
                      Case{"llama", TensorType::Q8_0, Compat::kNative}, Case{"llama", TensorType::Q4_0, Compat::kNative},
                      Case{"llama", TensorType::BF16, Compat::kNative}, Case{"llama", TensorType::Q6_K, Compat::kNative},
                      Case{"llama", TensorType::TQ2_0, Compat::kNative},
                      Case{"bitnet", TensorType::F32, Compat::kNative}, Case{"bitnet", TensorType::TQ2_0, Compat::kNative},
                      Case{"bitnet", TensorType::TQ1_0, Compat::kNative},
                      Case{"bitnet", TensorType::TQ2_0, Compat::kLlamaCpp},
                      Case{"bitnet-b1.58", TensorType::I2_S, Compat::kNative},
                      Case{"bitnet-b1.58", TensorType::I2_S, Compat::kBitnetCpp}),
    [](const auto& p) { return testing::case_name(p); });

// Evaluating a prompt in one batch or one token at a time gives bit-identical logits, and so do
// 1 and 2 threads: no kernel's reduction order depends on batching or threading. The FFN of 2816
// also gives the ternary down matrix two column spans at 1 thread and one at 2 (kernels/repack.h
// ternary_span_columns), so the two loads differ in layout too.
TEST(Forward, BatchedEqualsIncrementalAndThreadCountInvariant) {
  for (const auto& [arch, type, shape] : {std::tuple{"bitnet", TensorType::TQ2_0, "tiny"},
                                          std::tuple{"bitnet", TensorType::TQ2_0, "256x2x4x2x2816"},
                                          std::tuple{"bitnet-b1.58", TensorType::I2_S, "256x2x4x2x2816"}}) {
    SCOPED_TRACE(std::string(arch) + " " + std::string(tensor_type_name(type)) + " " + shape);
    const std::string path = testing::synth_model(arch, type, shape);
    auto m1 = Model::load(path, {.n_ctx = 64, .n_threads = 1});
    auto m2 = Model::load(path, {.n_ctx = 64, .n_threads = 2});
    ASSERT_TRUE(m1.ok() && m2.ok());
    Session batch(**m2), inc(**m1);
    std::vector<float> all, one;
    ASSERT_TRUE(batch.eval(kTokens, &all, true).ok());
    const size_t V = (*m1)->hparams().n_vocab;
    for (size_t t = 0; t < kTokens.size(); ++t) {
      ASSERT_TRUE(inc.eval(std::span(&kTokens[t], 1), &one).ok());
      for (size_t i = 0; i < V; ++i) ASSERT_EQ(one[i], all[t * V + i]) << "position " << t << " logit " << i;
    }
    EXPECT_EQ(inc.n_past(), int(kTokens.size()));
  }
}

TEST(Forward, CompatLlamaCppUsesSiluAndSaysSo) {
  const std::string path = testing::synth_model("bitnet", TensorType::TQ2_0);
  auto native = Model::load(path, {.n_ctx = 32});
  auto llama = Model::load(path, {.compat = Compat::kLlamaCpp, .n_ctx = 32});
  ASSERT_TRUE(native.ok() && llama.ok());
  EXPECT_TRUE((*native)->deviations().empty());
  ASSERT_EQ((*llama)->deviations().size(), 1u);
  EXPECT_NE((*llama)->deviations()[0].find("silu instead of the model's relu2"), std::string::npos);
}

TEST(Forward, BadTokensAndContextOverflowAreErrors) {
  const std::string path = testing::synth_model("llama", TensorType::F16);
  auto m = Model::load(path, {.n_ctx = 8});
  ASSERT_TRUE(m.ok());
  Session s(**m);
  std::vector<float> logits;
  std::vector<int32_t> bad = {1, -3};
  auto st = s.eval(bad, &logits);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("outside the vocabulary"), std::string::npos);
  std::vector<int32_t> big = {int32_t((*m)->hparams().n_vocab)};
  EXPECT_FALSE(s.eval(big, &logits).ok());
  std::vector<int32_t> nine(9, 1);
  st = s.eval(nine, &logits);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("context full"), std::string::npos);
  EXPECT_EQ(s.n_past(), 0);  // a refused eval changes nothing
  std::vector<int32_t> eight(8, 1);
  EXPECT_TRUE(s.eval(eight, &logits).ok());
  EXPECT_FALSE(s.eval(std::span(eight.data(), 1), &logits).ok());
  EXPECT_TRUE(s.truncate(4).ok());
  EXPECT_TRUE(s.eval(std::span(eight.data(), 1), &logits).ok());
}

// A context that cannot fit in this machine's memory is refused at load, with the sizes, instead of
// std::bad_alloc (or the OOM killer) when a Session allocates its KV cache.
TEST(Forward, ContextLargerThanTheMachinesMemoryIsRefusedAtLoad) {
  const std::string path = testing::synth_model("llama", TensorType::F16);
  const int64_t ram = physical_memory_bytes();
  if (ram <= 0) GTEST_SKIP() << "this machine's memory size is unknown";
  auto small = Model::load(path, {.n_ctx = 64});
  ASSERT_TRUE(small.ok());
  const HParams& hp = (*small)->hparams();
  const int64_t kv_per_position = 2 * int64_t(hp.n_layer) * hp.n_head_kv * hp.head_dim * 2;  // fp16 K and V
  const int64_t positions = ram / kv_per_position + 1;  // the KV cache alone is larger than memory
  if (positions > std::numeric_limits<int>::max()) GTEST_SKIP() << "the synthetic model's cache is too small";
  auto m = Model::load(path, {.n_ctx = int(positions)});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("positions needs"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("use a smaller context"), std::string::npos) << m.error().message;
  // Each trit serve slot is a Session: half the memory's worth of context fits once, not twice.
  const int half = int(positions / 2);
  EXPECT_TRUE(Model::load(path, {.n_ctx = half / 2}).ok());
  auto two = Model::load(path, {.n_ctx = half + 1, .n_sessions = 2});
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.error().message.find("x 2 sessions"), std::string::npos) << two.error().message;
}

TEST(Forward, UntiedOutputHeadIsUsed) {
  const std::string path = testing::synth_model("llama", TensorType::F32, "tiny", 7, TensorType::F16, true);
  auto m = Model::load(path, {.n_ctx = 32});
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_FALSE((*m)->hparams().tied_embeddings);
  Session s(**m);
  std::vector<float> logits;
  ASSERT_TRUE(s.eval(kTokens, &logits, true).ok());
  auto f = gguf::File::open(path);
  auto plain = testing::load_plain(*f, false);
  auto want = testing::plain_forward(plain, std::vector<int>(kTokens.begin(), kTokens.end()));
  EXPECT_GT(cosine(logits, (kTokens.size() - 1) * plain.V, want.back()), kFloatCosMin);
}

}  // namespace
}  // namespace trit
