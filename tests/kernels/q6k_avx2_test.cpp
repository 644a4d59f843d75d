// avx2::matmul_rows_q6_k_q8k against the scalar reference rows (quant/'s vec_dot_q6_K_q8_K, one
// call per row and token) bit for bit: reference-quantized random weights and activations, then
// raw random blocks that reach the extremes of every field (scales -128, codes 0 and 63,
// activations +-127) that the reference quantizers rarely produce.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/kernels_avx2.h"
#include "kernels/kernels_scalar.h"
#include "kernels/matmul_variants.h"
#include "quant/q6_k.h"
#include "quant/q8_k.h"

// AVX2 kernels exist in x86-64 builds only (kernels/CMakeLists.txt).
#if TRIT_KERNELS_X86
namespace trit {
namespace {

using quant::kQK_K;
using quant::Q6KBlock;
using quant::Q8KBlock;

// Tokens quantized to Q8_K with the reference quantizer, at an odd (non-multiple-of-64) stride
// so the kernel cannot rely on aligned activation rows.
struct Acts {
  std::vector<uint8_t> bytes;
  int64_t stride = 0;
};

Acts quantize_acts(const std::vector<float>& x, int64_t n_tokens, int64_t cols) {
  Acts a;
  a.stride = act_row_bytes(TensorType::Q6_K, cols) + 4;
  a.bytes.assign(size_t(a.stride * n_tokens), 0);
  for (int64_t t = 0; t < n_tokens; ++t)
    quant::quantize_row_q8_K_ref(x.data() + t * cols, reinterpret_cast<Q8KBlock*>(a.bytes.data() + t * a.stride),
                                 cols);
  return a;
}

// Runs scalar and AVX2 rows over [r0, r1) and expects identical bits there and untouched outputs
// elsewhere.
void expect_bit_exact(const WeightMatrix& w, const Acts& acts, int64_t n_tokens, int64_t r0, int64_t r1,
                      const char* what) {
  const size_t n = size_t(n_tokens * w.rows);
  std::vector<float> want(n, -7.0f), got(n, -7.0f);
  const MatmulArgs aw{&w, acts.bytes.data(), acts.stride, n_tokens, want.data()};
  const MatmulArgs ag{&w, acts.bytes.data(), acts.stride, n_tokens, got.data()};
  scalar::matmul_rows_vec_dot(aw, r0, r1);
  avx2::matmul_rows_q6_k_q8k(ag, r0, r1);
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t r = 0; r < w.rows; ++r) {
      const size_t i = size_t(t * w.rows + r);
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
          << what << " cols=" << w.cols << " rows=" << w.rows << " tokens=" << n_tokens << " range=[" << r0 << ","
          << r1 << ") t=" << t << " r=" << r << " got " << got[i] << " want " << want[i];
    }
}

class Q6KAvx2 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isa_available(Isa::kAvx2)) GTEST_SKIP() << "host lacks AVX2 + FMA + F16C";
  }
};

TEST_F(Q6KAvx2, MatchesScalarOnQuantizedData) {
  for (int64_t cols : {256, 512, 2560}) {
    for (int64_t rows : {1, 7, 16, 33}) {
      const auto ow = test::random_weights(TensorType::Q6_K, rows, cols, uint32_t(rows * 31 + cols));
      for (int64_t n_tokens : {1, 3, 8}) {
        const auto x = test::random_floats(n_tokens * cols, uint32_t(n_tokens * 977 + rows * 13 + cols));
        const Acts acts = quantize_acts(x, n_tokens, cols);
        expect_bit_exact(ow.w, acts, n_tokens, 0, rows, "all rows");
        if (rows > 2) expect_bit_exact(ow.w, acts, n_tokens, 1, rows - 1, "inner rows");
      }
    }
  }
}

// Every bit pattern of ql / qh / scales is a valid Q6_K block, and Q8_K codes are in [-127, 127].
TEST_F(Q6KAvx2, MatchesScalarOnRawBlocks) {
  std::mt19937 rng(12345);
  auto byte = [&] { return uint8_t(rng() & 0xFF); };
  for (int64_t cols : {256, 2560}) {
    const int64_t rows = 21, n_tokens = 9, nb = cols / kQK_K;
    std::vector<Q6KBlock> wblocks(size_t(rows * nb));
    for (size_t i = 0; i < wblocks.size(); ++i) {
      Q6KBlock& b = wblocks[i];
      const int mode = int(i % 4);  // 0: random, 1: all codes 0 (q = -32), 2: all 63 (q = 31), 3: mixed
      for (auto& v : b.ql) v = mode == 1 ? 0x00 : mode == 2 ? 0xFF : byte();
      for (auto& v : b.qh) v = mode == 1 ? 0x00 : mode == 2 ? 0xFF : byte();
      for (auto& v : b.scales) v = int8_t(mode == 1 || mode == 2 ? (rng() % 2 ? -128 : 127) : int(byte()) - 128);
      const float d = std::ldexp(float(int(rng() % 2001) - 1000) / 1000.0f, -int(rng() % 12));
      b.d = fp32_to_fp16(d);
    }
    WeightMatrix w;
    w.type = TensorType::Q6_K;
    w.data = reinterpret_cast<const uint8_t*>(wblocks.data());
    w.rows = rows;
    w.cols = cols;
    w.row_bytes = size_t(nb) * sizeof(Q6KBlock);
    w.out_scale = 1.25f;

    Acts acts;
    acts.stride = nb * int64_t(sizeof(Q8KBlock));
    acts.bytes.assign(size_t(acts.stride * n_tokens), 0);
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t j = 0; j < nb; ++j) {
        Q8KBlock y{};
        const int mode = int((t + j) % 3);  // 0: random, 1: all +127 / -127, 2: alternating extremes
        for (int i = 0; i < kQK_K; ++i)
          y.qs[i] = int8_t(mode == 0   ? int(rng() % 255) - 127
                           : mode == 1 ? (t % 2 ? 127 : -127)
                                       : (i % 2 ? 127 : -127));
        y.d = float(int(rng() % 1000) + 1) * 1e-4f;
        std::memcpy(acts.bytes.data() + t * acts.stride + j * int64_t(sizeof(Q8KBlock)), &y, sizeof y);
      }
    for (int64_t nt : {int64_t(1), int64_t(4), int64_t(5), n_tokens})
      expect_bit_exact(w, acts, nt, 0, rows, "raw blocks");
  }
}

// More tokens than the kernel transposes at a time (its token blocks), with a tile remainder.
TEST_F(Q6KAvx2, MatchesScalarAcrossTokenBlocks) {
  const int64_t cols = 512, rows = 17, n_tokens = 70;
  const auto ow = test::random_weights(TensorType::Q6_K, rows, cols, 99);
  const auto x = test::random_floats(n_tokens * cols, 100);
  const Acts acts = quantize_acts(x, n_tokens, cols);
  expect_bit_exact(ow.w, acts, n_tokens, 0, rows, "many tokens");
}

}  // namespace
}  // namespace trit
#endif  // TRIT_KERNELS_X86
