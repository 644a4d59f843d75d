// kernels/repack.h: TQ1_0 rewritten as TQ2_0 keeps every code and every scale.
#include "kernels/repack.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/kernels_avx2.h"
#include "kernels/matmul_variants.h"
#include "quant/tq1_0.h"
#include "quant/tq2_0.h"

namespace trit {
namespace {

// n_blocks TQ1_0 blocks from the reference quantizer, with zeros and both signs in every block.
std::vector<quant::TQ1_0Block> tq1_blocks(int64_t n_blocks, uint32_t seed) {
  auto x = test::random_floats(n_blocks * quant::kQK_K, seed);
  for (size_t i = 0; i < x.size(); i += 3) x[i] = 0.0f;
  std::vector<quant::TQ1_0Block> out(static_cast<size_t>(n_blocks));
  quant::quantize_row_tq1_0_ref(x.data(), out.data(), int64_t(x.size()));
  return out;
}

void expect_same_values(const std::vector<quant::TQ1_0Block>& in, const std::vector<uint8_t>& out) {
  const auto* tq2 = reinterpret_cast<const quant::TQ2_0Block*>(out.data());
  int8_t a[quant::kQK_K], b[quant::kQK_K];
  for (size_t i = 0; i < in.size(); ++i) {
    quant::unpack_tq1_0(in[i], a);
    quant::unpack_tq2_0(tq2[i], b);
    ASSERT_EQ(0, std::memcmp(a, b, sizeof a)) << "block " << i << ": codes differ";
    ASSERT_EQ(in[i].d, tq2[i].d) << "block " << i << ": scale differs";
  }
}

TEST(Repack, Tq1AsTq2KeepsCodesAndScales) {
  for (int64_t n : {1, 7, 40}) {
    const auto in = tq1_blocks(n, uint32_t(n));
    std::vector<uint8_t> out(size_t(tq2_0_bytes(n)), 0xAB);
    repack_tq1_0_as_tq2_0(reinterpret_cast<const uint8_t*>(in.data()), out.data(), n);
    expect_same_values(in, out);
  }
}

#if TRIT_KERNELS_X86
TEST(Repack, Avx2EqualsDispatchedBytes) {
  if (!isa_available(Isa::kAvx2)) GTEST_SKIP() << "host lacks AVX2";
  const auto in = tq1_blocks(33, 5);
  std::vector<uint8_t> a(size_t(tq2_0_bytes(33))), b(a.size());
  avx2::repack_tq1_0_as_tq2_0(reinterpret_cast<const uint8_t*>(in.data()), a.data(), 33);
  expect_same_values(in, a);
  repack_tq1_0_as_tq2_0(reinterpret_cast<const uint8_t*>(in.data()), b.data(), 33);
  EXPECT_EQ(a, b);
}
#endif

}  // namespace
}  // namespace trit
