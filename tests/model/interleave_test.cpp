// Q4_0 / Q8_0 / TQ1_0 / TQ2_0 / I2_S / F16 matrices are rewritten at load into 16-row groups where
// this CPU's kernel reads them (AVX-512 VNNI; kernels/repack.h). The interleaved kernels equal the
// scalar reference bit for bit (tests/kernels/) and the row-major ones follow ggml's 8-lane epilogue
// (F16: both sum floats, in different orders): the two differ by float
// rounding per matmul, which these small random-weight models amplify into ~1% of the largest logit
// (as with llama.cpp: the lanes' `reorder` profile, src/crossval/profile.cpp). So every position's
// logits must point the same way (cosine >= 0.9995, the reorder profile's bound); one wrong row or
// block drops it far below.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/matmul_variants.h"
#include "model/model.h"
#include "model_test_util.h"

namespace trit {
namespace {

const std::vector<int32_t> kPrompt = {1, 15, 99, 7, 250, 3, 42, 8, 160, 77, 5, 31};

struct Case {
  TensorType type;
  bool untied;  // a separate output.weight, rewritten too; tied F16 embeddings are rewritten, and the lookup reads rows back
};

class Interleave : public ::testing::TestWithParam<Case> {};

TEST_P(Interleave, ModelMatchesRowMajor) {
  const Case c = GetParam();
  const MatmulVariant* v = chosen_matmul_variant(c.type);
  if (v == nullptr || !v->interleaves())
    GTEST_SKIP() << "this CPU's " << tensor_type_name(c.type) << " kernel reads row-major weights; nothing is rewritten";
  const std::string path = testing::synth_model("llama", c.type, "tiny", 7, c.type, c.untied);
  ASSERT_FALSE(path.empty());
  int64_t plain_bytes = -1, packed_bytes = -1;
  const auto plain = testing::eval_logits(path, false, kPrompt, -1, &plain_bytes);
  const auto packed = testing::eval_logits(path, true, kPrompt, -1, &packed_bytes);
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain_bytes, 0);
  EXPECT_GT(packed_bytes, 0) << "no matrix was rewritten";
  ASSERT_EQ(plain.size(), packed.size());
  const size_t n_vocab = plain.size() / kPrompt.size();
  for (size_t pos = 0; pos < kPrompt.size(); ++pos) {
    double dot = 0, a2 = 0, b2 = 0;
    for (size_t i = pos * n_vocab; i < (pos + 1) * n_vocab; ++i) {
      dot += double(plain[i]) * packed[i];
      a2 += double(plain[i]) * plain[i];
      b2 += double(packed[i]) * packed[i];
    }
    EXPECT_GE(dot / std::sqrt(a2 * b2), 0.9995) << "position " << pos;
  }
}

// Under --compat llama.cpp, TQ2_0's interleaved kernel keeps the row-major kernels' exact
// operations (llama.cpp's 8-lane epilogue, MatmulOrder::kGgmlX86); TQ1_0's (with TRIT_REPACK off:
// its row-major kernel) and I2_S's dots are exact integers before the same per-row epilogue: for
// all three, the whole model's logits are the same bits, for a prompt and for decode steps. (In
// native numerics TQ2_0's interleaved kernel takes the scalar reference's epilogue instead: the
// kernel tests hold it to those bits.)
struct ExactCase {
  const char* arch;
  TensorType type;
  Compat compat = Compat::kNative;
};

class InterleaveExact : public ::testing::TestWithParam<ExactCase> {};

TEST_P(InterleaveExact, ModelEqualsRowMajorBitForBit) {
  const ExactCase c = GetParam();
  const MatmulVariant* v = chosen_matmul_variant(c.type);
  if (v == nullptr || !v->interleaves())
    GTEST_SKIP() << "this CPU's " << tensor_type_name(c.type) << " kernel reads row-major weights";
  // F32 embeddings: a tied F16 head would be rewritten too, and the F16 kernels sum in different
  // orders (Interleave above covers it).
  const std::string path = testing::synth_model(c.arch, c.type, "tiny", 7, TensorType::F32);
  ASSERT_FALSE(path.empty());
  // The prompt, then one decode step (the one-token tiles).
  int64_t plain_bytes = -1, packed_bytes = -1;
  const auto plain = testing::eval_logits(path, false, kPrompt, 42, &plain_bytes, c.compat);
  const auto packed = testing::eval_logits(path, true, kPrompt, 42, &packed_bytes, c.compat);
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain_bytes, 0);
  EXPECT_GT(packed_bytes, 0) << "no matrix was rewritten";
  ASSERT_EQ(plain.size(), packed.size());
  for (size_t i = 0; i < plain.size(); ++i) ASSERT_EQ(plain[i], packed[i]) << "logit " << i;
}

INSTANTIATE_TEST_SUITE_P(Ternary, InterleaveExact,
                         ::testing::Values(ExactCase{"bitnet", TensorType::TQ2_0, Compat::kLlamaCpp},
                                           ExactCase{"bitnet", TensorType::TQ1_0},
                                           ExactCase{"bitnet-b1.58", TensorType::I2_S}),
                         [](const auto& p) { return std::string(tensor_type_name(p.param.type)); });

INSTANTIATE_TEST_SUITE_P(Q4Q8F16Tq2, Interleave,
                         ::testing::Values(Case{TensorType::Q4_0, false}, Case{TensorType::Q8_0, false},
                                           Case{TensorType::Q4_0, true}, Case{TensorType::F16, true},
                                           Case{TensorType::F16, false}, Case{TensorType::TQ2_0, false}),
                         [](const auto& p) {
                           return std::string(tensor_type_name(p.param.type)) + (p.param.untied ? "_untied" : "");
                         });

}  // namespace
}  // namespace trit
