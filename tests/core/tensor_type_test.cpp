#include "core/tensor_type.h"

#include <gtest/gtest.h>

namespace trit {
namespace {

TEST(TensorType, Geometry) {
  EXPECT_EQ(*row_bytes(TensorType::TQ2_0, 512), 2u * 66u);
  EXPECT_EQ(*row_bytes(TensorType::Q8_0, 64), 2u * 34u);
  EXPECT_FALSE(row_bytes(TensorType::Q4_0, 33).has_value());
  EXPECT_EQ(*tensor_bytes(TensorType::I2_S, 128, 128 * 4), 128u + kI2sTrailerBytes);
  EXPECT_EQ(*tensor_bytes(TensorType::F16, 7, 21), 42u);
}

TEST(TensorType, OverflowIsRejected) {
  EXPECT_FALSE(tensor_bytes(TensorType::F32, 1, UINT64_MAX).has_value());
  EXPECT_FALSE(tensor_bytes(TensorType::F32, 3, 10).has_value());  // not whole rows
}

TEST(TensorType, Names) {
  EXPECT_EQ(tensor_type_from_name("TQ2_0"), TensorType::TQ2_0);
  EXPECT_EQ(tensor_type_name(TensorType::I2_S), "i2_s");
  EXPECT_FALSE(tensor_type_from_name("q9_9").has_value());
  EXPECT_FALSE(tensor_type_info(36 + 1000).has_value());
  EXPECT_EQ(tensor_type_info(36)->type, TensorType::I2_S);
}

}  // namespace
}  // namespace trit
