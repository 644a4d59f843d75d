// trit convert: lossless ternary re-packs are byte-identical round trips; the lossy cases and bad
// input are errors naming the tensor; arch renaming renames every key in place.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "convert/convert.h"
#include "convert/convert_test_util.h"
#include "convert/ternary_tensor.h"
#include "gguf/gguf.h"
#include "quant/i2_s.h"
#include "quant/tq2_0.h"

namespace trit::convert {
namespace {

using testing::file_bytes;
using testing::synth_for_convert;
using testing::temp_path;
using testing::to;

TEST(Convert, I2sToTq2ToI2sIsByteIdentical) {
  const std::string i2s = synth_for_convert("bitnet-b1.58", TensorType::I2_S);
  ASSERT_FALSE(i2s.empty());
  const std::string tq2 = temp_path("rt.tq2_0.gguf"), back = temp_path("rt.i2_s.gguf");
  auto r1 = convert_model(i2s, tq2, to(TensorType::TQ2_0));
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ(r1->n_lossy, 0);
  EXPECT_EQ(r1->tensors.size(), 2u * 7u);  // tiny: 2 layers x 7 matrices
  auto r2 = convert_model(tq2, back, to(TensorType::I2_S));
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(file_bytes(i2s), file_bytes(back));
}

TEST(Convert, I2sViaTq1AndTq2IsByteIdentical) {
  const std::string i2s = synth_for_convert("bitnet-b1.58", TensorType::I2_S);
  const std::string tq1 = temp_path("v.tq1_0.gguf"), tq2 = temp_path("v.tq2_0.gguf"), back = temp_path("v.i2_s.gguf");
  ASSERT_TRUE(convert_model(i2s, tq1, to(TensorType::TQ1_0)).ok());
  ASSERT_TRUE(convert_model(tq1, tq2, to(TensorType::TQ2_0)).ok());
  ASSERT_TRUE(convert_model(tq2, back, to(TensorType::I2_S)).ok());
  EXPECT_EQ(file_bytes(i2s), file_bytes(back));
}

TEST(Convert, Tq2ToTq1ToTq2IsByteIdentical) {
  const std::string tq2 = synth_for_convert("bitnet", TensorType::TQ2_0);
  const std::string tq1 = temp_path("t.tq1_0.gguf"), back = temp_path("t.tq2_0.gguf");
  ASSERT_TRUE(convert_model(tq2, tq1, to(TensorType::TQ1_0)).ok());
  ASSERT_TRUE(convert_model(tq1, back, to(TensorType::TQ2_0)).ok());
  EXPECT_EQ(file_bytes(tq2), file_bytes(back));
}

TEST(Convert, SynthTq2EqualsConvertedSynthI2s) {
  // Same seed, same codes, fp16-exact scale: converting the I2_S model gives the TQ2_0 model's
  // weights (the tensor bytes; metadata differs only in general.name).
  const std::string i2s = synth_for_convert("bitnet", TensorType::I2_S);
  const std::string tq2 = synth_for_convert("bitnet", TensorType::TQ2_0);
  const std::string conv = temp_path("s.tq2_0.gguf");
  ASSERT_TRUE(convert_model(i2s, conv, to(TensorType::TQ2_0)).ok());
  auto a = gguf::File::open(tq2);
  auto b = gguf::File::open(conv);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->tensors().size(), b->tensors().size());
  for (size_t i = 0; i < a->tensors().size(); ++i) {
    const auto& x = a->tensors()[i];
    const auto& y = b->tensors()[i];
    ASSERT_EQ(x.name, y.name);
    ASSERT_EQ(x.type, y.type) << x.name;
    ASSERT_EQ(x.n_bytes, y.n_bytes) << x.name;
    EXPECT_EQ(0, std::memcmp(x.data, y.data, x.n_bytes)) << x.name;
  }
}

TEST(Convert, ArchRenameRenamesEveryKeyInPlaceAndBack) {
  const std::string i2s = synth_for_convert("bitnet-b1.58", TensorType::I2_S);
  const std::string tq2 = temp_path("a.tq2_0.gguf"), back = temp_path("a.i2_s.gguf");
  auto r = convert_model(i2s, tq2, to(TensorType::TQ2_0, "bitnet"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->arch_from, "bitnet-b1.58");
  EXPECT_EQ(r->arch_to, "bitnet");
  auto f = gguf::File::open(tq2);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->get_string("general.architecture").value_or(""), "bitnet");
  EXPECT_EQ(f->get_uint("bitnet.embedding_length").value_or(0), 256u);
  EXPECT_EQ(f->get_uint("general.file_type").value_or(0), 37u);
  for (const auto& kv : f->metadata()) EXPECT_NE(kv.key.rfind("bitnet-b1.58.", 0), 0u) << kv.key;
  ASSERT_TRUE(convert_model(tq2, back, to(TensorType::I2_S, "bitnet-b1.58")).ok());
  EXPECT_EQ(file_bytes(i2s), file_bytes(back));
}

TEST(Convert, FloatToTernaryKeepsTernaryValuesExactly) {
  // An F16 synth model of a BitNet arch holds ternary values (codes * an fp16 scale): converting it
  // to I2_S recovers the I2_S synth model's codes and scale exactly.
  const std::string f16 = synth_for_convert("bitnet", TensorType::F16);
  const std::string i2s = synth_for_convert("bitnet", TensorType::I2_S);
  const std::string out = temp_path("f.i2_s.gguf");
  auto r = convert_model(f16, out, to(TensorType::I2_S));
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (const auto& t : r->tensors) EXPECT_NE(t.how.find("kept exactly"), std::string::npos) << t.name << ": " << t.how;
  auto a = gguf::File::open(i2s);
  auto b = gguf::File::open(out);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto* x = a->find_tensor("blk.1.ffn_down.weight");
  const auto* y = b->find_tensor("blk.1.ffn_down.weight");
  ASSERT_TRUE(x && y);
  ASSERT_EQ(x->n_bytes, y->n_bytes);
  EXPECT_EQ(0, std::memcmp(x->data, y->data, x->n_bytes));
}

TEST(Convert, FloatToTernaryUsesAbsmeanOtherwiseAndToQ8_0) {
  const std::string f32 = synth_for_convert("llama", TensorType::F32);
  auto r = convert_model(f32, temp_path("l.tq2_0.gguf"), to(TensorType::TQ2_0));
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (const auto& t : r->tensors) EXPECT_EQ(t.how, "ternarized (absmean)") << t.name;
  auto q = convert_model(f32, temp_path("l.q8_0.gguf"), to(TensorType::Q8_0));
  ASSERT_TRUE(q.ok()) << q.error().message;
  auto f = gguf::File::open(temp_path("l.q8_0.gguf"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->find_tensor("blk.0.attn_q.weight")->type, TensorType::Q8_0);
  EXPECT_EQ(f->find_tensor("token_embd.weight")->type, TensorType::F16);  // not a layer matrix
  EXPECT_EQ(f->find_tensor("blk.0.attn_norm.weight")->type, TensorType::F32);
}

// ---- the lossless rules, on single tensors ----

TEST(TernaryTensor, NonFp16ScaleIsLossyToTq) {
  TernaryTensor t;
  t.codes.assign(256, 1);
  t.tensor_scale = 0.1f;  // not an fp16 value
  std::string lossy;
  auto p = pack_ternary(TensorType::TQ2_0, t, 256, &lossy);
  ASSERT_TRUE(p.ok());
  EXPECT_NE(lossy.find("not an fp16 value"), std::string::npos) << lossy;
  t.tensor_scale = 0.125f;
  p = pack_ternary(TensorType::TQ2_0, t, 256, &lossy);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(lossy, "");
}

TEST(TernaryTensor, TqBlocksWithDifferentScalesAreLossyToI2s) {
  TernaryTensor t;
  t.codes.assign(512, -1);
  t.block_d = {fp32_to_fp16(0.5f), fp32_to_fp16(0.25f)};
  std::string lossy;
  auto p = pack_ternary(TensorType::I2_S, t, 512, &lossy);
  ASSERT_TRUE(p.ok());
  EXPECT_NE(lossy.find("2 different scales"), std::string::npos) << lossy;
  // A block of zeros has no weight to scale: its d does not count.
  t.codes.assign(512, 0);
  for (int i = 0; i < 256; ++i) t.codes[size_t(i)] = int8_t(i % 3 - 1);
  p = pack_ternary(TensorType::I2_S, t, 512, &lossy);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(lossy, "");
  EXPECT_EQ(quant::i2_s_scale(p->data(), 512), 0.5f);
}

TEST(TernaryTensor, RowsMustFitTheTarget) {
  TernaryTensor t;
  t.codes.assign(384, 0);
  t.tensor_scale = 1.0f;
  EXPECT_FALSE(pack_ternary(TensorType::TQ2_0, t, 384, nullptr).ok());  // 384 % 256
  EXPECT_TRUE(pack_ternary(TensorType::I2_S, t, 384, nullptr).ok());    // 384 % 128 == 0
}

// ---- errors ----

// One TQ2_0 matrix quantized by ggml's reference from Gaussian floats: each block has its own
// absmax scale, which one I2_S tensor scale cannot hold.
std::string lossy_tq2_file() {
  const std::string path = temp_path("gauss.tq2_0.gguf");
  if (std::filesystem::exists(path)) return path;
  std::mt19937 rng(3);
  std::normal_distribution<float> nd;
  std::vector<float> w(512 * 4);
  for (auto& v : w) v = nd(rng);
  std::vector<uint8_t> data(w.size() / 256 * sizeof(quant::TQ2_0Block));
  quant::quantize_row_tq2_0_ref(w.data(), reinterpret_cast<quant::TQ2_0Block*>(data.data()), int64_t(w.size()));
  gguf::Writer wr;
  wr.set_string("general.architecture", "bitnet");
  EXPECT_TRUE(wr.add_tensor("blk.0.attn_q.weight", TensorType::TQ2_0, {512, 4}, std::move(data)).ok());
  EXPECT_TRUE(wr.write(path).ok());
  return path;
}

TEST(Convert, LossyRepackIsAnErrorUnlessAllowed) {
  const std::string q = lossy_tq2_file();
  const std::string out = temp_path("lossy.i2_s.gguf");
  auto r = convert_model(q, out, to(TensorType::I2_S));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("blk.0."), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("--allow-lossy"), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(out));
  auto o = to(TensorType::I2_S);
  o.allow_lossy = true;
  auto ok = convert_model(q, out, o);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_GT(ok->n_lossy, 0);
}

TEST(Convert, BadInputIsAnError) {
  const std::string junk = temp_path("junk.gguf");
  { std::ofstream(junk, std::ios::binary) << "GGUF but not really"; }
  EXPECT_FALSE(convert_model(junk, temp_path("o.gguf"), to(TensorType::TQ2_0)).ok());
  EXPECT_FALSE(convert_model(temp_path("missing.gguf"), temp_path("o.gguf"), to(TensorType::TQ2_0)).ok());
  const std::string i2s = synth_for_convert("bitnet-b1.58", TensorType::I2_S);
  EXPECT_FALSE(convert_model(i2s, temp_path("o.gguf"), to(TensorType::Q4_0)).ok());            // unsupported target
  EXPECT_FALSE(convert_model(i2s, temp_path("o.gguf"), to(TensorType::TQ2_0, "llama")).ok());  // not a bitnet arch
  // Rows of 384 cannot be TQ2_0 blocks of 256.
  const std::string odd = synth_for_convert("bitnet", TensorType::I2_S, "384x1x6x2x768");
  ASSERT_FALSE(odd.empty());
  auto r = convert_model(odd, temp_path("o.gguf"), to(TensorType::TQ2_0));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("multiple of 256"), std::string::npos) << r.error().message;
}

TEST(ConvertCli, ExitCodes) {
  const std::string trit = std::string(TRIT_BINARY_DIR) + "/trit";
  if (!std::filesystem::exists(trit)) GTEST_SKIP() << "no trit binary at " << trit;
  const std::string i2s = synth_for_convert("bitnet-b1.58", TensorType::I2_S);
  auto run = [&](const std::string& args) {
    const int rc = std::system((trit + " convert " + args + " 2>/dev/null >/dev/null").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  EXPECT_EQ(run(i2s + " " + temp_path("c.tq2_0.gguf") + " --type tq2_0 --arch bitnet"), 0);
  EXPECT_EQ(run(temp_path("missing.gguf") + " " + temp_path("c.gguf") + " --type tq2_0"), 4);
  EXPECT_EQ(run(i2s + " " + temp_path("c.gguf") + " --type nonsense"), 4);
  EXPECT_EQ(run(lossy_tq2_file() + " " + temp_path("c.gguf") + " --type i2_s"), 4);
  EXPECT_EQ(run(lossy_tq2_file() + " " + temp_path("c.gguf") + " --type i2_s --allow-lossy"), 0);
  EXPECT_EQ(run(i2s), 4);  // missing arguments
}

}  // namespace
}  // namespace trit::convert
