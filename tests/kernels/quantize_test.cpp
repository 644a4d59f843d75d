// Each variant's activation quantizer against the scalar row's: bit-identical bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel_test_util.h"
#include "core/fp16.h"
#include "kernels/matmul_variants.h"

namespace trit {
namespace {

std::vector<std::vector<float>> inputs(int64_t n) {
  std::vector<std::vector<float>> in;
  in.push_back(test::random_floats(n, 1));
  in.push_back(test::random_floats(n, 2, 1000.0f));
  in.push_back(std::vector<float>(size_t(n), 0.0f));  // all-zero blocks
  auto ties = test::random_floats(n, 3);
  // Values that land on .5 after scaling (ties), both signs, and a negative extreme first.
  for (int64_t i = 0; i < n; ++i) ties[size_t(i)] = float((i % 17) - 8) * 0.5f;
  ties[0] = -8.0f;
  in.push_back(ties);
  auto dup = test::random_floats(n, 4);
  dup[3] = 50.0f;
  dup[5] = -50.0f;  // equal magnitudes: the first one's sign wins in Q8_K
  in.push_back(dup);
  return in;
}

TEST(QuantizeVariants, BitIdenticalToScalar) {
  for (TensorType type : {TensorType::TQ2_0, TensorType::I2_S, TensorType::Q8_0, TensorType::F16}) {
    const auto variants = matmul_variants(type);
    const int64_t n = 1024;
    const int64_t bytes = act_row_bytes(type, n);
    for (const auto& v : variants) {
      if (!isa_available(v.isa) || v.isa == Isa::kScalar) continue;
      for (const auto& x : inputs(n)) {
        std::vector<uint8_t> want(size_t(bytes), 0xAA), got(size_t(act_row_bytes(v, type, n)), 0x55);
        variants.front().quantize(x.data(), want.data(), n);
        v.quantize(x.data(), got.data(), n);
        if (v.act_value_bytes == 4) {
          // F16 values widened to F32: the same halves, 4 bytes each.
          ASSERT_EQ(type, TensorType::F16);
          std::vector<float> widened(static_cast<size_t>(n));
          for (int64_t i = 0; i < n; ++i) widened[size_t(i)] = fp16_to_fp32(reinterpret_cast<const fp16_t*>(want.data())[i]);
          ASSERT_EQ(0, std::memcmp(widened.data(), got.data(), got.size())) << v.name;
          continue;
        }
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), size_t(bytes))) << v.name;
      }
    }
  }
}

TEST(QuantizeVariants, I8TailBeyondVectorWidth) {
  const auto variants = matmul_variants(TensorType::I2_S);
  for (const auto& v : variants) {
    if (!isa_available(v.isa) || v.isa == Isa::kScalar) continue;
    for (int64_t n : {8, 40, 100}) {
      const auto x = test::random_floats(n, uint32_t(n));
      const int64_t bytes = act_row_bytes(TensorType::I2_S, n);
      std::vector<uint8_t> want(size_t(bytes), 0), got(size_t(bytes), 0);
      variants.front().quantize(x.data(), want.data(), n);
      v.quantize(x.data(), got.data(), n);
      EXPECT_EQ(want, got) << v.name << " n=" << n;
    }
  }
}

}  // namespace
}  // namespace trit
