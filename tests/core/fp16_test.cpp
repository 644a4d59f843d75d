#include "core/fp16.h"

#include <gtest/gtest.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <cmath>
#include <cstring>
#include <random>

#include "core/cpu.h"

namespace trit {
namespace {

// Every half value survives a round trip through float.
TEST(Fp16, AllHalfValuesRoundTrip) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = fp16_to_fp32(fp16_t(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(fp32_to_fp16(f), h) << h;
  }
}

// The software conversion equals the hardware one ggml uses (round to nearest even): F16C on x86,
// FCVT (the __fp16 type) on 64-bit ARM.
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("f16c"))) uint16_t hw_fp32_to_fp16(float f) { return _cvtss_sh(f, 0); }
__attribute__((target("f16c"))) float hw_fp16_to_fp32(uint16_t h) { return _cvtsh_ss(h); }
bool have_hw_fp16() { return cpu_features().f16c; }
#elif defined(__aarch64__)
uint16_t hw_fp32_to_fp16(float f) {
  const __fp16 h = __fp16(f);
  uint16_t u;
  std::memcpy(&u, &h, sizeof u);
  return u;
}
float hw_fp16_to_fp32(uint16_t u) {
  __fp16 h;
  std::memcpy(&h, &u, sizeof h);
  return float(h);
}
bool have_hw_fp16() { return true; }
#else
uint16_t hw_fp32_to_fp16(float) { return 0; }
float hw_fp16_to_fp32(uint16_t) { return 0.0f; }
bool have_hw_fp16() { return false; }
#endif

TEST(Fp16, MatchesHardwareOnRandomFloats) {
  if (!have_hw_fp16()) GTEST_SKIP() << "no hardware fp16 conversion on this CPU";
  std::mt19937 rng(1);
  for (int i = 0; i < 2000000; ++i) {
    float f = bits_float(rng());
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), hw_fp32_to_fp16(f)) << f;
  }
  for (uint32_t h = 0; h < 65536; ++h) {
    float a = fp16_to_fp32(fp16_t(h)), b = hw_fp16_to_fp32(uint16_t(h));
    if (std::isnan(a)) {
      EXPECT_TRUE(std::isnan(b));
      continue;
    }
    EXPECT_EQ(float_bits(a), float_bits(b)) << h;
  }
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_fp32(0x3f80), 1.0f);
  // 1 + 2^-8 is exactly halfway between two bf16 values: ties go to even (1.0).
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3f808000u)), 0x3f80);
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3f818000u)), 0x3f82);
  EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(NAN))));
}

}  // namespace
}  // namespace trit
