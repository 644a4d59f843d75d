#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "model/hparams.h"
#include "model/model.h"
#include "model_test_util.h"

namespace trit {
namespace {

gguf::Writer minimal(const std::string& arch) {
  gguf::Writer w;
  w.set_string("general.architecture", arch);
  w.set_u32(arch + ".embedding_length", 64);
  w.set_u32(arch + ".block_count", 1);
  w.set_u32(arch + ".attention.head_count", 4);
  w.set_u32(arch + ".feed_forward_length", 128);
  (void)w.add_tensor("token_embd.weight", TensorType::F32, {64, 10}, std::vector<uint8_t>(64 * 10 * 4));
  return w;
}

TEST(HParams, ReadsDefaultsPerArch) {
  auto bytes = minimal("bitnet-b1.58").to_bytes();
  auto f = gguf::File::parse(bytes);
  ASSERT_TRUE(f.ok());
  auto hp = read_hparams(*f);
  ASSERT_TRUE(hp.ok()) << hp.error().message;
  EXPECT_EQ(hp->arch, Arch::kBitnetB158);
  EXPECT_EQ(hp->activation, Activation::kRelu2);  // BitNet b1.58's true definition
  EXPECT_EQ(hp->rope_type, RopeType::kNeox);
  EXPECT_EQ(hp->n_head_kv, 4u);
  EXPECT_EQ(hp->n_vocab, 10u);
  EXPECT_TRUE(hp->tied_embeddings);
}

TEST(HParams, DeclaredActivationWins) {
  auto w = minimal("bitnet");
  w.set_string("bitnet.hidden_activation", "silu");
  auto bytes = w.to_bytes();
  auto hp = read_hparams(*gguf::File::parse(bytes));
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->activation, Activation::kSilu);
  EXPECT_TRUE(hp->activation_declared);
}

TEST(HParams, RejectsNonsense) {
  auto check = [](gguf::Writer w, const std::string& needle) {
    auto bytes = w.to_bytes();
    auto hp = read_hparams(*gguf::File::parse(bytes));
    ASSERT_FALSE(hp.ok()) << needle;
    EXPECT_NE(hp.error().message.find(needle), std::string::npos) << hp.error().message;
  };
  check(minimal("gpt-j"), "unsupported architecture 'gpt-j'");
  auto w = minimal("llama");
  w.set_u32("llama.attention.head_count", 3);
  check(w, "not divisible by n_head");
  w = minimal("llama");
  w.set_u32("llama.attention.head_count_kv", 3);
  check(w, "not a multiple of n_head_kv");
  w = minimal("llama");
  w.set_u32("llama.block_count", 0);
  check(w, "out of range");
  w = minimal("llama");
  w.set_u32("llama.embedding_length", 4000000000u);
  check(w, "out of range");
  w = minimal("llama");
  w.set_string("llama.hidden_activation", "tanh");
  check(w, "unknown hidden_activation");
}

TEST(ModelLoad, MissingOrMisshapenTensorsAreNamed) {
  auto w = minimal("llama");
  auto dir = testing::scratch_dir("trit_hp");
  const std::string path = (dir / "m.gguf").string();
  ASSERT_TRUE(w.write(path).ok());
  auto m = Model::load(path);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("output_norm.weight' is missing"), std::string::npos) << m.error().message;
}

}  // namespace
}  // namespace trit
