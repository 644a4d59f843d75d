// dequantize(quantize(x)) stays within each format's error bound, for every distribution and for
// rows of one block and of many blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "quant/formats.h"
#include "quant/quant_test_util.h"

namespace trit::quant {
namespace {

using test::Dist;

// fp16 stores a scale with a relative error of at most 2^-11 (11 significant bits, round to nearest).
constexpr double kFp16RelErr = 1.0 / 2048;

// Absolute error of a scale d stored as fp16: 2^-11 relative for normals, and half the subnormal
// spacing (2^-25) below, where a tiny block's scale underflows.
double fp16_err(double d) { return std::max(d * kFp16RelErr, 0x1p-25); }

// Largest |x - x'| allowed in one block, given the block's largest magnitude.
double max_block_error(TensorType t, double absmax) {
  switch (t) {
    case TensorType::F32: return 0.0;  // identity
    // Per element, not per block: handled in element_bound.
    case TensorType::F16: case TensorType::BF16: return 0.0;
    // q = round(x / d), d = absmax / 127: half a step, plus up to 127 steps of the fp16 error of d.
    case TensorType::Q8_0: return (absmax / 127 * 0.5 + 127 * fp16_err(absmax / 127)) * (1 + 1e-6);
    // d = absmax / 8 and the value opposite the maximum is clipped from +8 to +7: one whole step,
    // plus 8 steps of the fp16 error of d.
    case TensorType::Q4_0: return (absmax / 8 + 8 * fp16_err(absmax / 8)) * (1 + 1e-6);
    // d = absmax / 127 in float (no fp16): half a step.
    case TensorType::Q8_K: return absmax / 127 * 0.5 * (1 + 1e-5);
    // Groups of 16, codes -32..31 with the group's signed max at -32: like Q4_0 the opposite end
    // clips from +32 to +31, one whole step (group absmax / 32). The scale search may widen the step
    // by up to 0.9/32 (candidates nmax +- 0.9) and the int8 group scale rounds by up to 1/256 of the
    // largest one: absmax / 30 bounds it. The fp16 super-scale d ~ absmax / 4096 multiplies
    // |scale * q| <= 4096.
    case TensorType::Q6_K: return absmax / 30 + 4096 * fp16_err(absmax / 4096);
    // Ternary: anything between the levels 0 and +-absmax is off by at most half of absmax, plus the
    // fp16 error of the scale.
    case TensorType::TQ1_0: case TensorType::TQ2_0: return (absmax * 0.5 + fp16_err(absmax)) * (1 + 1e-6);
    default: return 0.0;
  }
}

double element_bound(TensorType t, double x) {
  const double ax = std::fabs(x);
  // Round to nearest: half an ulp, i.e. 2^-11 (half) / 2^-8 (bfloat16) relative, for normals;
  // subnormal halves are spaced 2^-24 apart.
  if (t == TensorType::F16) return std::max(ax * kFp16RelErr, 0x1p-25);
  if (t == TensorType::BF16) return ax / 256;
  return 0.0;
}

class RoundTrip : public ::testing::TestWithParam<TensorType> {};

TEST_P(RoundTrip, ErrorWithinFormatBound) {
  const FormatTraits& f = *format_traits(GetParam());
  const int64_t unit = f.block_size == 1 ? 32 : f.block_size;
  for (Dist dist : test::kAllDists) {
    // Formats whose values or scales are fp16 cannot hold the huge distribution (|x| up to ~5e6,
    // scale x/8 or x/1 > 65504): they saturate to inf by design, as ggml does.
    const bool fp16_overflows = f.type == TensorType::F16 || f.type == TensorType::Q4_0 ||
                                f.type == TensorType::TQ1_0 || f.type == TensorType::TQ2_0;
    if (fp16_overflows && dist == Dist::kHuge) continue;
    for (int64_t blocks : {int64_t(1), int64_t(5)}) {
      const int64_t n = blocks * unit;
      const auto x = test::random_row(dist, n, 3);
      std::vector<uint8_t> q(static_cast<size_t>(n / f.block_size * f.type_size));
      std::vector<float> y(static_cast<size_t>(n));
      f.quantize_row(x.data(), q.data(), n);
      f.dequantize_row(q.data(), y.data(), n);
      for (int64_t b = 0; b < n / unit; ++b) {
        double absmax = 0;
        for (int64_t i = b * unit; i < (b + 1) * unit; ++i) absmax = std::max(absmax, std::fabs(double(x[size_t(i)])));
        const double block_bound = max_block_error(f.type, absmax);
        for (int64_t i = b * unit; i < (b + 1) * unit; ++i) {
          const double xi = x[size_t(i)], yi = y[size_t(i)];
          const double bound = std::max(block_bound, element_bound(f.type, xi));
          ASSERT_LE(std::fabs(xi - yi), bound)
              << f.name << " " << test::dist_name(dist) << " n=" << n << " element " << i << ": x=" << xi << " y=" << yi;
        }
      }
    }
  }
}

TEST_P(RoundTrip, AllZeroRowStaysZero) {
  const FormatTraits& f = *format_traits(GetParam());
  const int64_t n = 4 * (f.block_size == 1 ? 32 : f.block_size);
  const std::vector<float> x(static_cast<size_t>(n), 0.0f);
  std::vector<uint8_t> q(static_cast<size_t>(n / f.block_size * f.type_size), 0xAB);
  std::vector<float> y(static_cast<size_t>(n), 1.0f);
  f.quantize_row(x.data(), q.data(), n);
  f.dequantize_row(q.data(), y.data(), n);
  for (float v : y) ASSERT_EQ(v, 0.0f) << f.name;
}

// A row of exactly ternary values {-a, 0, +a} survives every format whose grid contains it,
// up to the rounding of a itself to the format's scale type.
TEST_P(RoundTrip, TernaryRowIsExactUpToScaleRounding) {
  const FormatTraits& f = *format_traits(GetParam());
  const int64_t n = 2 * (f.block_size == 1 ? 32 : f.block_size);
  const auto x = test::random_row(Dist::kTernary, n, 5);  // values 0, +-0.37
  std::vector<uint8_t> q(static_cast<size_t>(n / f.block_size * f.type_size));
  std::vector<float> y(static_cast<size_t>(n));
  f.quantize_row(x.data(), q.data(), n);
  f.dequantize_row(q.data(), y.data(), n);
  // 0.37 is not on the fp16 / bf16 grid, and Q6_K re-fits its scales: compare with a tolerance.
  // Q4_0's grid is asymmetric (-8..7 steps, the signed max at -8): the value opposite the max comes
  // back at 7/8 of its size, one step (a / 8) off.
  const double tol = f.type == TensorType::F32 || f.type == TensorType::Q8_K ? 1e-6
                     : f.type == TensorType::Q4_0                             ? 0.37 / 8 * 1.01
                                                                              : 0.37 * 0.01;
  for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(x[size_t(i)], y[size_t(i)], tol) << f.name << " element " << i;
}

std::vector<TensorType> per_row_types() {
  std::vector<TensorType> v;
  for (const auto& f : formats())
    if (!f.per_tensor_scale) v.push_back(f.type);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip, ::testing::ValuesIn(per_row_types()),
                         [](const auto& p) { return std::string(format_traits(p.param)->name); });

}  // namespace
}  // namespace trit::quant
