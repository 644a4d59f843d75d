// quant/ against ggml's own reference functions from libggml-base.so: identical bytes out of every
// quantizer, identical floats out of every dequantizer, over several distributions and sizes.
#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "quant/formats.h"
#include "quant/q8_k.h"
#include "quant/ggml_ref.h"  // tests/quant/ggml_ref.h
#include "quant/quant_test_util.h"

namespace trit::quant {
namespace {

using test::Dist;
using test::GgmlRef;

// ggml's exported names for each format's reference quantizer and dequantizer.
struct GgmlNames {
  TensorType type;
  const char* quantize;
  const char* dequantize;
};

constexpr GgmlNames kGgmlNames[] = {
    {TensorType::F16, "ggml_fp32_to_fp16_row", "ggml_fp16_to_fp32_row"},
    {TensorType::BF16, "ggml_fp32_to_bf16_row_ref", "ggml_bf16_to_fp32_row"},
    {TensorType::Q4_0, "quantize_row_q4_0_ref", "dequantize_row_q4_0"},
    {TensorType::Q8_0, "quantize_row_q8_0_ref", "dequantize_row_q8_0"},
    {TensorType::Q6_K, "quantize_row_q6_K_ref", "dequantize_row_q6_K"},
    {TensorType::Q8_K, "quantize_row_q8_K_ref", "dequantize_row_q8_K"},
    {TensorType::TQ1_0, "quantize_row_tq1_0_ref", "dequantize_row_tq1_0"},
    {TensorType::TQ2_0, "quantize_row_tq2_0_ref", "dequantize_row_tq2_0"},
};

// Names the parameter in gtest's output instead of dumping its bytes.
void PrintTo(const GgmlNames& names, std::ostream* os) { *os << names.quantize; }

// Block counts per row: one block, a few, and many (crosses any per-block state).
constexpr int64_t kBlockCounts[] = {1, 3, 64};

class BitExact : public ::testing::TestWithParam<GgmlNames> {};

TEST_P(BitExact, QuantizeMatchesGgmlByteForByte) {
  const auto& ref = GgmlRef::get();
  TRIT_REQUIRE_GGML(ref);
  const GgmlNames names = GetParam();
  const FormatTraits& f = *format_traits(names.type);
  auto ggml_quantize = ref.fn<GgmlRef::QuantizeRow>(names.quantize);
  ASSERT_NE(ggml_quantize, nullptr) << names.quantize << " not exported by " << ref.path();

  // Scalar formats have block size 1: use 32-element units so sizes stay comparable.
  const int64_t unit = f.block_size == 1 ? 32 : f.block_size;
  for (Dist dist : test::kAllDists) {
    for (int64_t blocks : kBlockCounts) {
      for (uint32_t seed = 0; seed < 2; ++seed) {
        // Scalar formats also get a ragged length (no block structure to respect).
        const int64_t n = blocks * unit + (f.block_size == 1 ? 5 : 0);
        const auto x = test::random_row(dist, n, seed);
        const size_t bytes = size_t(n / f.block_size * f.type_size);
        // Zero-filled on both sides: ggml leaves Q8_K's bsums unwritten for an all-zero block.
        std::vector<uint8_t> mine(bytes, 0), theirs(bytes, 0);
        f.quantize_row(x.data(), mine.data(), n);
        ggml_quantize(x.data(), theirs.data(), n);
        size_t at = 0;
        while (at < bytes && mine[at] == theirs[at]) ++at;
        ASSERT_EQ(at, bytes) << f.name << " " << test::dist_name(dist) << " n=" << n << " seed=" << seed
                             << ": first differing byte " << at << " (block " << at / size_t(f.type_size)
                             << "): trit " << int(mine[at]) << " ggml " << int(theirs[at]);
      }
    }
  }
}

TEST_P(BitExact, DequantizeMatchesGgmlFloatForFloat) {
  const auto& ref = GgmlRef::get();
  TRIT_REQUIRE_GGML(ref);
  const GgmlNames names = GetParam();
  const FormatTraits& f = *format_traits(names.type);
  auto ggml_quantize = ref.fn<GgmlRef::QuantizeRow>(names.quantize);
  auto ggml_dequantize = ref.fn<GgmlRef::DequantizeRow>(names.dequantize);
  ASSERT_NE(ggml_dequantize, nullptr) << names.dequantize << " not exported by " << ref.path();
  ASSERT_NE(ggml_quantize, nullptr);

  const int64_t unit = f.block_size == 1 ? 32 : f.block_size;
  const int64_t n = 16 * unit;
  const size_t bytes = size_t(n / f.block_size * f.type_size);
  auto check = [&](const std::vector<uint8_t>& data, const char* what) {
    std::vector<float> mine(static_cast<size_t>(n)), theirs(static_cast<size_t>(n));
    f.dequantize_row(data.data(), mine.data(), n);
    ggml_dequantize(data.data(), theirs.data(), n);
    const int64_t at = test::first_float_mismatch(mine, theirs);
    EXPECT_EQ(at, -1) << f.name << " " << what << ": element " << at << " trit " << mine[size_t(at)] << " ggml "
                      << theirs[size_t(at)];
  };

  // What ggml's quantizer produces, for every distribution...
  for (Dist dist : test::kAllDists) {
    std::vector<uint8_t> data(bytes, 0);
    ggml_quantize(test::random_row(dist, n, 7).data(), data.data(), n);
    check(data, test::dist_name(dist));
  }
  // ...and arbitrary bytes (codes no quantizer would write, e.g. TQ1_0 bytes above 242 trits).
  std::mt19937 rng(42);
  std::vector<uint8_t> noise(bytes);
  for (auto& b : noise) b = uint8_t(rng());
  if (names.type == TensorType::Q8_K) {
    // Q8_K's scale is a float: keep it finite so the comparison is about the codes.
    for (size_t off = 0; off < bytes; off += sizeof(Q8KBlock)) {
      const float d = float(rng() % 1000) / 997.0f - 0.5f;
      std::memcpy(noise.data() + off, &d, sizeof d);
    }
  }
  check(noise, "random bytes");
}

INSTANTIATE_TEST_SUITE_P(Formats, BitExact, ::testing::ValuesIn(kGgmlNames),
                         [](const auto& p) { return std::string(format_traits(p.param.type)->name); });

// Every half and bfloat16 value, not a sample: these are the activation formats of F16 / BF16 dots.
TEST(BitExactExhaustive, HalfAndBfloat16WideningMatchesGgml) {
  const auto& ref = GgmlRef::get();
  TRIT_REQUIRE_GGML(ref);
  auto fp16_to_fp32_row = ref.fn<GgmlRef::DequantizeRow>("ggml_fp16_to_fp32_row");
  auto bf16_to_fp32_row = ref.fn<GgmlRef::DequantizeRow>("ggml_bf16_to_fp32_row");
  ASSERT_NE(fp16_to_fp32_row, nullptr);
  ASSERT_NE(bf16_to_fp32_row, nullptr);
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = uint16_t(i);
  for (TensorType t : {TensorType::F16, TensorType::BF16}) {
    std::vector<float> mine(all.size()), theirs(all.size());
    format_traits(t)->dequantize_row(all.data(), mine.data(), int64_t(all.size()));
    (t == TensorType::F16 ? fp16_to_fp32_row : bf16_to_fp32_row)(all.data(), theirs.data(), int64_t(all.size()));
    EXPECT_EQ(test::first_float_mismatch(mine, theirs), -1) << format_traits(t)->name;
  }
}

// Narrowing over a sweep of float bit patterns: every exponent, mantissas that straddle the
// half / bfloat16 rounding points, subnormals, infinities and NaNs.
TEST(BitExactExhaustive, HalfAndBfloat16NarrowingMatchesGgml) {
  const auto& ref = GgmlRef::get();
  TRIT_REQUIRE_GGML(ref);
  auto fp32_to_fp16_row = ref.fn<GgmlRef::QuantizeRow>("ggml_fp32_to_fp16_row");
  auto fp32_to_bf16_row = ref.fn<GgmlRef::QuantizeRow>("ggml_fp32_to_bf16_row_ref");
  ASSERT_NE(fp32_to_fp16_row, nullptr);
  ASSERT_NE(fp32_to_bf16_row, nullptr);
  std::vector<float> x;
  for (uint32_t hi = 0; hi < 512; ++hi)  // sign + exponent
    for (uint32_t lo : {0u, 1u, 0xFFFu, 0x1000u, 0x1001u, 0x2000u, 0x3000u, 0x7FFFu, 0x8000u, 0x8001u,
                        0x18000u, 0x7FFFFFu, 0x400000u, 0x401000u})
      x.push_back(bits_float((hi << 23) | lo));
  const int64_t n = int64_t(x.size());
  for (TensorType t : {TensorType::F16, TensorType::BF16}) {
    std::vector<uint16_t> mine(x.size()), theirs(x.size());
    format_traits(t)->quantize_row(x.data(), mine.data(), n);
    (t == TensorType::F16 ? fp32_to_fp16_row : fp32_to_bf16_row)(x.data(), theirs.data(), n);
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_EQ(mine[i], theirs[i]) << format_traits(t)->name << " input bits 0x" << std::hex << float_bits(x[i]);
  }
}

}  // namespace
}  // namespace trit::quant
