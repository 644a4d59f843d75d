// The formats table and the checked whole-tensor entry points.
#include <gtest/gtest.h>

#include <vector>

#include "core/tensor_type.h"
#include "quant/formats.h"
#include "quant/quant_test_util.h"

namespace trit::quant {
namespace {

TEST(Formats, TableCoversEverySupportedTypeAndAgreesWithCore) {
  const TensorType expected[] = {TensorType::F32,  TensorType::F16,  TensorType::Q4_0,  TensorType::Q8_0,
                                 TensorType::Q6_K, TensorType::Q8_K, TensorType::BF16,  TensorType::TQ1_0,
                                 TensorType::TQ2_0, TensorType::I2_S};
  ASSERT_EQ(formats().size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    const FormatTraits& f = formats()[i];
    EXPECT_EQ(f.type, expected[i]);
    EXPECT_EQ(format_traits(f.type), &f);
    const TensorTypeInfo& core = tensor_type_info(f.type);
    EXPECT_TRUE(core.supported) << f.name;
    EXPECT_EQ(f.name, core.name);
    // Same bytes per element as core's geometry (core describes I2_S as 4 codes per byte).
    EXPECT_EQ(f.type_size * int64_t(core.block_size), int64_t(core.type_size) * f.block_size) << f.name;
    if (!f.per_tensor_scale) {
      EXPECT_NE(f.quantize_row, nullptr) << f.name;
      EXPECT_NE(f.dequantize_row, nullptr) << f.name;
      EXPECT_NE(format_traits(f.vec_dot_type), nullptr) << f.name << " pairs with an unknown type";
    }
  }
  EXPECT_EQ(format_traits(TensorType::Q4_1), nullptr);
}

TEST(Formats, ActivationPairingsMatchGgml) {
  EXPECT_EQ(format_traits(TensorType::F32)->vec_dot_type, TensorType::F32);
  EXPECT_EQ(format_traits(TensorType::F16)->vec_dot_type, TensorType::F16);
  EXPECT_EQ(format_traits(TensorType::BF16)->vec_dot_type, TensorType::BF16);
  EXPECT_EQ(format_traits(TensorType::Q8_0)->vec_dot_type, TensorType::Q8_0);
  EXPECT_EQ(format_traits(TensorType::Q4_0)->vec_dot_type, TensorType::Q8_0);
  EXPECT_EQ(format_traits(TensorType::Q6_K)->vec_dot_type, TensorType::Q8_K);
  EXPECT_EQ(format_traits(TensorType::TQ1_0)->vec_dot_type, TensorType::Q8_K);
  EXPECT_EQ(format_traits(TensorType::TQ2_0)->vec_dot_type, TensorType::Q8_K);
  EXPECT_EQ(format_traits(TensorType::Q8_K)->vec_dot, nullptr);
}

TEST(Formats, TensorBytes) {
  EXPECT_EQ(*quantized_tensor_bytes(TensorType::Q8_0, 3, 64), 3 * 2 * 34);
  EXPECT_EQ(*quantized_tensor_bytes(TensorType::TQ2_0, 2, 512), 2 * 2 * 66);
  EXPECT_EQ(*quantized_tensor_bytes(TensorType::I2_S, 4, 256), 4 * 256 / 4 + 32);
  EXPECT_EQ(*quantized_tensor_bytes(TensorType::F16, 0, 7), 0);
}

TEST(Formats, BadShapesAreErrorsNotCrashes) {
  std::vector<float> x(1024, 1.0f);
  std::vector<uint8_t> buf(4096);
  struct Case { TensorType type; int64_t rows, cols; const char* needle; };
  const Case cases[] = {
      {TensorType::Q8_0, 2, 48, "multiple of 32"},
      {TensorType::TQ1_0, 1, 128, "multiple of 256"},
      {TensorType::I2_S, 1, 64, "multiple of 128"},
      {TensorType::Q4_1, 1, 32, "no reference implementation"},
      {TensorType::F32, -1, 32, "negative"},
      {TensorType::Q8_0, int64_t(1) << 62, int64_t(1) << 10, "overflows"},
  };
  for (const Case& c : cases) {
    auto bytes = quantized_tensor_bytes(c.type, c.rows, c.cols);
    ASSERT_FALSE(bytes.ok()) << c.needle;
    EXPECT_NE(bytes.error().message.find(c.needle), std::string::npos) << bytes.error().message;
    EXPECT_FALSE(quantize_tensor(c.type, x.data(), c.rows, c.cols, buf.data()).ok());
    EXPECT_FALSE(dequantize_tensor(c.type, buf.data(), c.rows, c.cols, x.data()).ok());
  }
}

TEST(Formats, TensorFunctionsEqualRowByRow) {
  const int64_t rows = 3;
  for (const FormatTraits& f : formats()) {
    if (f.per_tensor_scale) continue;
    const int64_t cols = 2 * (f.block_size == 1 ? 32 : f.block_size);
    const auto x = test::random_row(test::Dist::kNormal, rows * cols, 1);
    std::vector<uint8_t> whole(static_cast<size_t>(*quantized_tensor_bytes(f.type, rows, cols)));
    ASSERT_TRUE(quantize_tensor(f.type, x.data(), rows, cols, whole.data()).ok());
    const size_t row_bytes = whole.size() / rows;
    std::vector<uint8_t> row(row_bytes);
    std::vector<float> y(static_cast<size_t>(rows * cols)), yr(static_cast<size_t>(cols));
    ASSERT_TRUE(dequantize_tensor(f.type, whole.data(), rows, cols, y.data()).ok());
    for (int64_t r = 0; r < rows; ++r) {
      f.quantize_row(x.data() + r * cols, row.data(), cols);
      EXPECT_TRUE(test::same_bytes(row.data(), whole.data() + size_t(r) * row_bytes, row_bytes)) << f.name;
      f.dequantize_row(row.data(), yr.data(), cols);
      EXPECT_TRUE(test::same_bytes(yr.data(), y.data() + r * cols, size_t(cols) * 4)) << f.name;
    }
  }
}

}  // namespace
}  // namespace trit::quant
