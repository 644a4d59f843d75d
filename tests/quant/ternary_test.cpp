// The absmean ternary quantizer, and that its codes survive TQ1_0 / TQ2_0 / I2_S exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/fp16.h"
#include "quant/formats.h"
#include "quant/i2_s.h"
#include "quant/quant_test_util.h"
#include "quant/ternary.h"

namespace trit::quant {
namespace {

TEST(Ternary, AbsmeanScaleIsMeanAbsoluteValue) {
  const float w[] = {1.0f, -2.0f, 0.0f, 3.0f};
  EXPECT_EQ(absmean_scale(w, 4), 1.5f);
  const float zeros[4] = {};
  EXPECT_EQ(absmean_scale(zeros, 4), kAbsmeanMinScale);
  EXPECT_EQ(absmean_scale(zeros, 0), kAbsmeanMinScale);
}

TEST(Ternary, CodesRoundHalfToEvenAndClamp) {
  const float w[] = {0.5f, -0.5f, 0.51f, 1.5f, -7.0f, 0.0f, -0.49f, std::numeric_limits<float>::quiet_NaN()};
  int8_t c[8];
  ternarize(w, 1.0f, c, 8);
  const int8_t expected[] = {0, 0, 1, 1, -1, 0, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(c[i], expected[i]) << "w=" << w[i];
}

// Synth's path: floats -> absmean codes -> code * scale -> any ternary format -> the same codes.
TEST(Ternary, CodesSurviveEveryTernaryFormat) {
  const int64_t n = 4 * 256;
  const auto w = test::random_row(test::Dist::kNormal, n, 8);
  const float scale = absmean_scale(w.data(), n);
  std::vector<int8_t> codes(static_cast<size_t>(n));
  ternarize(w.data(), scale, codes.data(), n);
  std::vector<float> tern(static_cast<size_t>(n));
  ternary_to_float(codes.data(), scale, tern.data(), n);

  // The formats store the scale in fp16 (TQ*) or float (I2_S): dequantized values are code * that.
  const float scale_h = fp16_to_fp32(fp32_to_fp16(scale));
  for (TensorType t : {TensorType::TQ1_0, TensorType::TQ2_0, TensorType::I2_S}) {
    std::vector<uint8_t> data(static_cast<size_t>(*quantized_tensor_bytes(t, 1, n)));
    ASSERT_TRUE(quantize_tensor(t, tern.data(), 1, n, data.data()).ok());
    std::vector<float> y(static_cast<size_t>(n));
    ASSERT_TRUE(dequantize_tensor(t, data.data(), 1, n, y.data()).ok());
    const float s = t == TensorType::I2_S ? scale : scale_h;
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(y[size_t(i)], float(codes[size_t(i)]) * s) << tensor_type_name(t) << " element " << i;
  }
}

}  // namespace
}  // namespace trit::quant
