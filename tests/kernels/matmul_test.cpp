// Every matmul variant against the scalar reference matmul_ref (the spec) on random data: odd row
// counts, several blocks per row, 1..9 tokens (token tiles and remainders), 1..3 threads.
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "kernel_test_util.h"
#include "kernels/matmul_ref.h"
#include "core/cpu.h"
#include "kernels/kernels_vnni.h"
#include "kernels/matmul_variants.h"
#include "kernels/repack.h"

namespace trit {
namespace {

// Integer kernels (TQ1_0, I2_S, Q6_K; every NEON one) compute each block's int32 exactly and then
// the reference's float epilogue in the same order without FMA: they must match bit for bit.
constexpr float kExactTol = 0.0f;
// F16 x F16: products are exact in float, but the AVX2 kernel sums them in float across 32 lanes
// while the reference sums sequentially in double. With n <= 1024 terms the float summation error
// is below n * 2^-24 * sum|terms| ~ 6e-5 * sum|terms|; 1e-4 leaves margin and still catches any
// wrong element (one element is ~1/n of sum|terms|, i.e. >= 1e-3 here).
constexpr double kF16DotRelTol = 1e-4;
// TQ2_0, Q8_0 and Q4_0 SIMD kernels reproduce llama.cpp's x86 epilogue (matmul_ternary_avx2.cpp
// ggml_lane_fma, matmul_q8_avx2.cpp q8_tile), for Q8_0/Q4_0 with nb = cols / 32 blocks:
// 8 float lanes, fused multiply-add per block, then a tree sum, where the reference rounds
// float(sumi) * d once per block. The integer part is still exact; the float part differs by a few
// roundings of 2^-24 relative over at most nb + 3 steps: 1e-5 of sum|terms| bounds it with margin
// and still catches any wrong element (~1/768 of sum|terms| here).
constexpr double kLaneEpilogueRelTol = 1e-5;

struct Case {
  TensorType type;
  int64_t cols;  // several blocks of the format
};

constexpr Case kCases[] = {
    {TensorType::TQ2_0, 768}, {TensorType::TQ1_0, 768}, {TensorType::I2_S, 384}, {TensorType::Q8_0, 352},
    {TensorType::Q4_0, 352},  {TensorType::F16, 1100},  {TensorType::Q6_K, 512},
};

float tolerance_for(TensorType type, const WeightMatrix& w, const float* x, int64_t row, Isa isa = Isa::kAvx2) {
  // TQ2_0, Q8_0, Q4_0 x86 SIMD kernels use ggml's 8-lane FMA epilogue; the NEON ones the
  // reference's, so they must be exact.
  const bool x86 = isa == Isa::kAvx2 || isa == Isa::kAvx512Vnni || isa == Isa::kAvx512Vbmi;
  const bool lanes = (type == TensorType::TQ2_0 || type == TensorType::Q8_0 || type == TensorType::Q4_0) && x86;
  if (type != TensorType::F16 && !lanes) return kExactTol;
  const double rel = lanes ? kLaneEpilogueRelTol : kF16DotRelTol;
  std::vector<float> wr(size_t(w.cols));
  dequantize_weight_row(w, row, wr.data());
  double mag = 0.0;
  for (int64_t i = 0; i < w.cols; ++i) mag += std::fabs(double(wr[size_t(i)]) * double(x[i]));
  return float(rel * mag * std::fabs(w.out_scale));
}

class MatmulVariants : public ::testing::TestWithParam<Case> {};

TEST_P(MatmulVariants, MatchReference) {
  const Case c = GetParam();
  const auto variants = matmul_variants(c.type);
  ASSERT_FALSE(variants.empty());
  ASSERT_EQ(variants.front().isa, Isa::kScalar) << "the scalar row must come first";
  int tested = 0;
  for (const auto& v : variants) {
    if (!isa_available(v.isa)) continue;
    ++tested;
    for (int64_t rows : {1, 17, 37}) {
      const auto ow = test::random_weights(c.type, rows, c.cols, uint32_t(rows * 7 + c.cols));
      for (int64_t n_tokens = 1; n_tokens <= 9; ++n_tokens) {
        const auto x = test::random_floats(n_tokens * c.cols, uint32_t(n_tokens * 131 + rows));
        std::vector<float> want(size_t(n_tokens * rows));
        ThreadPool one(1);
        matmul_ref(ow.w, x.data(), n_tokens, want.data(), one);
        for (int threads = 1; threads <= 3; ++threads) {
          ThreadPool pool(threads);
          std::vector<float> got(want.size(), NAN);
          matmul_with(v, ow.w, x.data(), n_tokens, got.data(), pool);
          for (int64_t t = 0; t < n_tokens; ++t)
            for (int64_t r = 0; r < rows; ++r) {
              const size_t i = size_t(t * rows + r);
              const float tol = tolerance_for(c.type, ow.w, x.data() + t * c.cols, r, v.isa);
              ASSERT_LE(std::fabs(got[i] - want[i]), tol)
                  << v.name << " rows=" << rows << " tokens=" << n_tokens << " threads=" << threads << " t=" << t
                  << " r=" << r << " got " << got[i] << " want " << want[i];
            }
        }
      }
    }
  }
  if (tested < int(variants.size()))
    GTEST_SKIP() << "host lacks the ISA of " << variants.size() - size_t(tested) << " variant(s) of "
                 << tensor_type_name(c.type) << "; those were not tested";
}

// AVX-512 VNNI variants promise more than the tolerance: the AVX2 variant's exact bits, so that
// llama.cpp parity (TQ2_0 to the last bit) does not depend on which of the two a CPU runs.
TEST_P(MatmulVariants, Avx512VnniEqualsAvx2BitForBit) {
  const Case c = GetParam();
  const MatmulVariant* avx2 = nullptr;
  const MatmulVariant* vnni = nullptr;
  for (const auto& v : matmul_variants(c.type)) {
    if (v.isa == Isa::kAvx2) avx2 = &v;
    if (v.isa == Isa::kAvx512Vnni) vnni = &v;
  }
  if (vnni == nullptr) GTEST_SKIP() << tensor_type_name(c.type) << " has no AVX-512 VNNI variant";
  ASSERT_NE(avx2, nullptr);
  if (!isa_available(Isa::kAvx512Vnni)) GTEST_SKIP() << "host lacks AVX-512 VNNI; " << vnni->name << " not tested";
  for (int64_t rows : {1, 17, 40}) {
    const auto ow = test::random_weights(c.type, rows, c.cols * 3, uint32_t(rows * 5 + c.cols));
    // Token counts around the tile (8) and token block (64) edges.
    for (int64_t n_tokens : {1, 3, 4, 5, 8, 9, 13, 63, 64, 65, 77}) {
      const auto x = test::random_floats(n_tokens * ow.w.cols, uint32_t(n_tokens * 31 + rows));
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        std::vector<float> want(size_t(n_tokens * rows)), got(want.size(), NAN);
        matmul_with(*avx2, ow.w, x.data(), n_tokens, want.data(), pool);
        matmul_with(*vnni, ow.w, x.data(), n_tokens, got.data(), pool);
        for (size_t i = 0; i < want.size(); ++i)
          ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
              << vnni->name << " rows=" << rows << " tokens=" << n_tokens << " i=" << i;
      }
    }
  }
}

// The variant of `type` that reads kernels/repack.h's 16-row layout, when this host runs it; else
// null, and *skip says why.
// Every variant that reads kernels/repack.h's 16-row layout and runs here (AVX2 and AVX-512 VNNI
// for Q4_0 / Q8_0); empty with *skip saying why when there is none.
std::vector<const MatmulVariant*> interleaved_variants(TensorType type, std::string* skip) {
  std::vector<const MatmulVariant*> out;
  for (const auto& v : matmul_variants(type)) {
    if (!v.interleaves()) continue;
    if (isa_available(v.isa)) out.push_back(&v);
    else *skip = "host lacks " + std::string(isa_name(v.isa)) + "; " + std::string(v.name) + " not tested";
  }
  if (out.empty() && skip->empty()) *skip = std::string(tensor_type_name(type)) + " has no variant for 16-row groups";
  return out;
}

// Variants that read kernels/repack.h's 16-row layout promise exact bits on it: Q4_0 / Q8_0 / TQ2_0
// / TQ1_0 the scalar reference's (their float epilogue is the reference's own, once per 16 rows;
// I2_S has only exact integers before its per-row epilogue), F16 the reference within
// kF16DotRelTol. Under MatmulOrder::kGgmlX86, a variant with a separate rows_x16_ggml (TQ2_0) gives
// its own row-major kernel's bits instead (llama.cpp's 8-lane epilogue, so --compat llama.cpp keeps
// TQ2_0 equal to llama.cpp).
TEST_P(MatmulVariants, InterleavedRowsEqualReferenceBitForBit) {
  const Case c = GetParam();
  std::string skip;
  const auto fasts = interleaved_variants(c.type, &skip);
  if (fasts.empty()) GTEST_SKIP() << skip;
  for (const MatmulVariant* fast : fasts) {
    const MatmulVariant& ref = matmul_variants(c.type)[0];
    for (int64_t rows : {16, 48, 80}) {
      const auto ow = test::random_weights(c.type, rows, c.cols * 3, uint32_t(rows * 7 + c.cols));
      ASSERT_TRUE(can_interleave(c.type, rows));
      const auto packed = test::interleaved(ow);
      const WeightMatrix& pw = packed.w;
      // Token counts around the 8- and 4-token tiles.
      for (int64_t n_tokens : {1, 2, 3, 4, 5, 8, 9, 12, 13, 17}) {
        const auto x = test::random_floats(n_tokens * ow.w.cols, uint32_t(n_tokens * 17 + rows));
        for (int threads : {1, 2, 3}) {
          ThreadPool pool(threads);
          std::vector<float> want(size_t(n_tokens * rows)), got(want.size(), NAN);
          matmul_with(ref, ow.w, x.data(), n_tokens, want.data(), pool);
          matmul_with(*fast, pw, x.data(), n_tokens, got.data(), pool);
          for (size_t i = 0; i < want.size(); ++i) {
            if (c.type == TensorType::F16) {  // float sums in another order: the F16 tolerance
              const int64_t t = int64_t(i) / rows, r = int64_t(i) % rows;
              ASSERT_LE(std::fabs(got[i] - want[i]), tolerance_for(c.type, ow.w, x.data() + t * ow.w.cols, r))
                  << fast->name << " rows=" << rows << " tokens=" << n_tokens << " i=" << i;
              continue;
            }
            ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
                << fast->name << " rows=" << rows << " tokens=" << n_tokens << " threads=" << threads << " i=" << i;
          }
          if (fast->rows_x16_ggml == nullptr) continue;
          matmul_with(*fast, ow.w, x.data(), n_tokens, want.data(), pool, MatmulOrder::kGgmlX86);
          matmul_with(*fast, pw, x.data(), n_tokens, got.data(), pool, MatmulOrder::kGgmlX86);
          for (size_t i = 0; i < want.size(); ++i)
            ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
                << fast->name << " (ggml x86 order) rows=" << rows << " tokens=" << n_tokens << " threads=" << threads
                << " i=" << i;
        }
      }
    }
  }
}

// One token on the 16-row layouts walks several parts of the groups side by side where
// one_token_reads_streams() (core/prefetch.h): 19 groups are 8 parts of 2 and a remainder of 3 on
// one thread, and other cuts of the pieces at 2 and 3. Each row still equals the reference (bits;
// F16 within its tolerance), and a prompt's tile gives the same bits as the one-token walk.
TEST_P(MatmulVariants, OneTokenStreamsEqualReference) {
  const Case c = GetParam();
  std::string skip;
  const auto fasts = interleaved_variants(c.type, &skip);
  if (fasts.empty()) GTEST_SKIP() << skip;
  for (const MatmulVariant* fast : fasts) {
    const int64_t rows = 19 * kInterleaveRows;
    const auto ow = test::random_weights(c.type, rows, c.cols * 2, uint32_t(c.cols + 5));
    const auto packed = test::interleaved(ow);
    const WeightMatrix& pw = packed.w;
    const auto x = test::random_floats(2 * ow.w.cols, 23);
    const MatmulVariant& ref = matmul_variants(c.type)[0];
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      std::vector<float> want(size_t(rows), 0.0f), got(want.size(), NAN), pair(size_t(2 * rows), NAN);
      matmul_with(ref, ow.w, x.data(), 1, want.data(), pool);
      matmul_with(*fast, pw, x.data(), 1, got.data(), pool);
      matmul_with(*fast, pw, x.data(), 2, pair.data(), pool);
      for (int64_t r = 0; r < rows; ++r) {
        if (c.type == TensorType::F16)
          ASSERT_LE(std::fabs(got[size_t(r)] - want[size_t(r)]), tolerance_for(c.type, ow.w, x.data(), r)) << fast->name << " row " << r;
        else
          ASSERT_EQ(std::bit_cast<uint32_t>(got[size_t(r)]), std::bit_cast<uint32_t>(want[size_t(r)]))
              << fast->name << " row " << r << " threads " << threads;
        ASSERT_EQ(std::bit_cast<uint32_t>(got[size_t(r)]), std::bit_cast<uint32_t>(pair[size_t(r)]))
            << fast->name << " one token vs a 2-token tile, row " << r << " threads " << threads;
      }
    }
  }
}

// A prompt's tiles (up to 16 tokens for F16, whose float sums have an order) give each token the
// bits of a one-token call, as the model's determinism promises (batched vs one token at a time):
// token counts that leave every smaller tile, columns that leave a narrower last block.
TEST_P(MatmulVariants, InterleavedBatchEqualsOneTokenAtATimeBitForBit) {
  const Case c = GetParam();
  std::string skip;
  const auto fasts = interleaved_variants(c.type, &skip);
  if (fasts.empty()) GTEST_SKIP() << skip;
  for (const MatmulVariant* fast : fasts) {
    const int64_t rows = 48;
    const auto ow = test::random_weights(c.type, rows, c.cols * 3, uint32_t(c.cols + 3));
    const auto packed = test::interleaved(ow);
    const WeightMatrix& pw = packed.w;
    const int64_t n_tokens = 16 + 8 + 4 + 2 + 1 + 16;
    const auto x = test::random_floats(n_tokens * ow.w.cols, uint32_t(rows + 11));
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      std::vector<float> batch(size_t(n_tokens * rows), NAN), one(size_t(rows), NAN);
      matmul_with(*fast, pw, x.data(), n_tokens, batch.data(), pool);
      for (int64_t t = 0; t < n_tokens; ++t) {
        matmul_with(*fast, pw, x.data() + t * ow.w.cols, 1, one.data(), pool);
        for (int64_t r = 0; r < rows; ++r)
          ASSERT_EQ(std::bit_cast<uint32_t>(batch[size_t(t * rows + r)]), std::bit_cast<uint32_t>(one[size_t(r)]))
              << fast->name << " token " << t << " row " << r << " threads " << threads;
      }
    }
  }
}

// The same on the file's row-major layout, for every variant this host runs: a prompt's token tiles
// (8 / 4 / 2 / 1 for the ternary AVX2 kernels, 3 / 2 / 1 for F16) give each token the bits of a
// one-token call.
TEST_P(MatmulVariants, RowMajorBatchEqualsOneTokenAtATimeBitForBit) {
  const Case c = GetParam();
  const int64_t rows = 37;
  const auto ow = test::random_weights(c.type, rows, c.cols * 3, uint32_t(c.cols + 7));
  const int64_t n_tokens = 8 + 4 + 3 + 2 + 1;
  const auto x = test::random_floats(n_tokens * ow.w.cols, uint32_t(rows + 13));
  for (const auto& v : matmul_variants(c.type)) {
    if (!isa_available(v.isa)) continue;
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      std::vector<float> batch(size_t(n_tokens * rows), NAN), one(size_t(rows), NAN);
      matmul_with(v, ow.w, x.data(), n_tokens, batch.data(), pool);
      for (int64_t t = 0; t < n_tokens; ++t) {
        matmul_with(v, ow.w, x.data() + t * ow.w.cols, 1, one.data(), pool);
        for (int64_t r = 0; r < rows; ++r)
          ASSERT_EQ(std::bit_cast<uint32_t>(batch[size_t(t * rows + r)]), std::bit_cast<uint32_t>(one[size_t(r)]))
              << v.name << " token " << t << " row " << r << " threads " << threads;
      }
    }
  }
}

// Rows as long as 2B4T's FFN down projection (6912 columns): the AVX2 ternary kernels walk a tile's
// activations in several passes there (matmul_ternary_avx2.cpp blocks_per_pass), so that they stay
// in L1, and carry each row's sums from pass to pass. A tile of 8 tokens and the ones left over
// against the reference, and against one token at a time (one pass) bit for bit.
TEST(RowMajor, TernaryLongRowsInPassesEqualOneTokenAtATime) {
  for (TensorType type : {TensorType::TQ2_0, TensorType::TQ1_0, TensorType::I2_S}) {
    const int64_t rows = 21, cols = 6912, n_tokens = 8 + 3;
    const auto ow = test::random_weights(type, rows, cols, 29);
    const auto x = test::random_floats(n_tokens * cols, 31);
    ThreadPool one_thread(1);
    std::vector<float> want(size_t(n_tokens * rows));
    matmul_ref(ow.w, x.data(), n_tokens, want.data(), one_thread);
    for (const auto& v : matmul_variants(type)) {
      if (!isa_available(v.isa) || v.isa == Isa::kScalar) continue;
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        std::vector<float> batch(size_t(n_tokens * rows), NAN), one(size_t(rows), NAN);
        matmul_with(v, ow.w, x.data(), n_tokens, batch.data(), pool);
        for (int64_t t = 0; t < n_tokens; ++t) {
          matmul_with(v, ow.w, x.data() + t * cols, 1, one.data(), pool);
          for (int64_t r = 0; r < rows; ++r) {
            const size_t i = size_t(t * rows + r);
            ASSERT_LE(std::fabs(batch[i] - want[i]), tolerance_for(type, ow.w, x.data() + t * cols, r, v.isa))
                << v.name << " token " << t << " row " << r << " threads " << threads;
            ASSERT_EQ(std::bit_cast<uint32_t>(batch[i]), std::bit_cast<uint32_t>(one[size_t(r)]))
                << v.name << " token " << t << " row " << r << " threads " << threads;
          }
        }
      }
    }
  }
}

// One token of all +1 weights against activations at their extreme (equal inputs quantize to -128
// in Q8_K, +-127 for I2_S), on the file's row-major layout, in every variant this host runs. The
// AVX2 one-token TQ2_0 and I2_S kernels add the products of some bit positions as 4 * code in
// int16 (matmul_ternary_avx2.cpp tq2_one_token_sum16, i2s_rows_one_token) up to the edge of int16
// here: summed over one block more, those sums would wrap. 5 rows: 4 walked side by side where the
// CPU takes that path, and the one left over alone.
TEST(OneToken, TernarySumsAtTheInt16EdgeEqualTheReference) {
  for (TensorType type : {TensorType::TQ2_0, TensorType::I2_S}) {
    constexpr int64_t kRows = 5, kCols = 4096;  // 16 TQ2_0 blocks, 32 I2_S blocks
    const auto ow = test::weights_from_floats(type, std::vector<float>(size_t(kRows * kCols), 1.0f), kRows, kCols);
    for (const auto& v : matmul_variants(type)) {
      if (!isa_available(v.isa)) continue;
      for (float a : {-1.0f, 1.0f}) {
        const std::vector<float> x(size_t(kCols), a);
        ThreadPool pool(1);
        std::vector<float> want(kRows), got(kRows, NAN);
        matmul_ref(ow.w, x.data(), 1, want.data(), pool);
        matmul_with(v, ow.w, x.data(), 1, got.data(), pool);
        for (int64_t r = 0; r < kRows; ++r) {
          EXPECT_NEAR(std::fabs(want[size_t(r)]), float(kCols) * ow.w.out_scale, 1.0f) << v.name << " row " << r;
          EXPECT_LE(std::fabs(got[size_t(r)] - want[size_t(r)]), tolerance_for(type, ow.w, x.data(), r, v.isa))
              << v.name << " x = " << a << " row " << r << ": got " << got[size_t(r)] << " want " << want[size_t(r)];
        }
      }
    }
  }
}

// The one-token I2_S 16-row tile sums each 2-bit position in place, scaled by up to 64, in its own
// int32 chain. A row of 600k columns of +1 weights against activations of 127 would overflow such
// a chain (150k * 128 * 127 > 2^31) if it ran over the whole row; it must still equal the reference.
TEST(Interleaved, I2sOneTokenLongExtremeRowIsExact) {
  const MatmulVariant* v = chosen_matmul_variant(TensorType::I2_S);
  ASSERT_NE(v, nullptr);
  if (!v->interleaves()) GTEST_SKIP() << v->name << " has no 16-row kernel on this CPU";
  constexpr int64_t kRows = 16, kCols = 600064;  // a multiple of the 128-column block
  const auto ow = test::weights_from_floats(TensorType::I2_S, std::vector<float>(size_t(kRows * kCols), 1.0f), kRows, kCols);
  std::vector<uint8_t> packed(ow.bytes.size());
  repack_interleaved(TensorType::I2_S, ow.bytes.data(), packed.data(), kRows, kCols);
  WeightMatrix pw = ow.w;
  pw.data = packed.data();
  pw.interleave = kInterleaveRows;
  const std::vector<float> x(size_t(kCols), 1.0f);
  ThreadPool pool(1);
  std::vector<float> want(kRows), got(kRows, NAN);
  matmul_with(matmul_variants(TensorType::I2_S)[0], ow.w, x.data(), 1, want.data(), pool);
  matmul_with(*v, pw, x.data(), 1, got.data(), pool);
  for (int64_t r = 0; r < kRows; ++r) {
    EXPECT_GT(want[size_t(r)], 0.0f);
    EXPECT_EQ(std::bit_cast<uint32_t>(got[size_t(r)]), std::bit_cast<uint32_t>(want[size_t(r)])) << "row " << r;
  }
}

// Ternary matrices wider than kTernarySpanColumns come in column spans (repack.h), the last one
// narrower here (6912 columns, 2B4T's down matrix: TQ2_0 / TQ1_0 spans of 10, 10, 7 blocks, I2_S of
// 20, 20, 14); one token walks them span-major with the running sums in y, tiles group by group.
// Models loaded for several threads lay them out in one span (ternary_span_columns). Every width
// must give the reference's bits (and TQ2_0's ggml order its row-major kernel's).
TEST(Interleaved, TernaryColumnSpansEqualReferenceBitForBit) {
  for (TensorType type : {TensorType::TQ2_0, TensorType::TQ1_0, TensorType::I2_S})
  for (const auto& [span_cols, n_spans] : {std::pair{kTernarySpanColumns, int64_t(3)}, std::pair{int64_t(1024), int64_t(7)},
                                           std::pair{kTernaryWideSpanColumns, int64_t(1)}}) {
    const MatmulVariant* fast = nullptr;
    for (const auto& v : matmul_variants(type))
      if (v.interleaves()) fast = &v;
    if (fast == nullptr || !isa_available(fast->isa)) continue;
    const int64_t rows = 48, cols = 6912;
    const auto ow = test::random_weights(type, rows, cols, 21);
    ASSERT_EQ(x16_spans(type, rows, cols, span_cols).n_spans(), n_spans);
    std::vector<uint8_t> packed(ow.bytes.size());
    repack_interleaved(type, ow.bytes.data(), packed.data(), rows, cols, span_cols);
    WeightMatrix pw = ow.w;
    pw.data = packed.data();
    pw.interleave = kInterleaveRows;
    pw.ternary_span_cols = span_cols;
    for (int64_t n_tokens : {1, 2, 9}) {
      const auto x = test::random_floats(n_tokens * cols, uint32_t(n_tokens + 3));
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<float> want(size_t(n_tokens * rows)), got(want.size(), NAN);
        matmul_with(matmul_variants(type)[0], ow.w, x.data(), n_tokens, want.data(), pool);
        matmul_with(*fast, pw, x.data(), n_tokens, got.data(), pool);
        for (size_t i = 0; i < want.size(); ++i)
          ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
              << fast->name << " span " << span_cols << " tokens=" << n_tokens << " threads=" << threads << " i=" << i;
        if (fast->rows_x16_ggml == nullptr) continue;
        matmul_with(*fast, ow.w, x.data(), n_tokens, want.data(), pool, MatmulOrder::kGgmlX86);
        matmul_with(*fast, pw, x.data(), n_tokens, got.data(), pool, MatmulOrder::kGgmlX86);
        for (size_t i = 0; i < want.size(); ++i)
          ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
              << fast->name << " (ggml x86 order) span " << span_cols << " tokens=" << n_tokens << " threads=" << threads
              << " i=" << i;
      }
    }
  }
}

#if TRIT_KERNELS_X86
// The ternary 16-row kernels extract codes with GFNI where the CPU has it, else with shifts and
// masks: both must give the same bits (the variant test above covers whichever this CPU takes).
TEST(Interleaved, TernaryGfniAndShiftExtractionAgree) {
  if (!isa_available(Isa::kAvx512Vnni) || !cpu_features().gfni) GTEST_SKIP() << "host lacks AVX-512 VNNI or GFNI";
  for (TensorType type : {TensorType::TQ2_0, TensorType::I2_S}) {
    const int64_t rows = 48, cols = type == TensorType::TQ2_0 ? 768 : 384;
    auto ow = test::random_weights(type, rows, cols, 5);
    std::vector<uint8_t> packed(ow.bytes.size());
    repack_interleaved(type, ow.bytes.data(), packed.data(), rows, cols);
    WeightMatrix pw = ow.w;
    pw.data = packed.data();
    pw.interleave = kInterleaveRows;
    const MatmulVariant* v = chosen_matmul_variant(type);
    ASSERT_TRUE(v != nullptr && v->quantize != nullptr);
    for (int64_t n_tokens : {1, 5, 9}) {
      const auto x = test::random_floats(n_tokens * cols, uint32_t(n_tokens));
      const int64_t stride = (act_row_bytes(*v, type, cols) + 63) / 64 * 64;
      std::vector<uint8_t> xq_buf(size_t(stride * n_tokens + 64));
      uint8_t* xq = xq_buf.data() + (64 - reinterpret_cast<uintptr_t>(xq_buf.data()) % 64) % 64;
      for (int64_t t = 0; t < n_tokens; ++t) v->quantize(x.data() + t * cols, xq + t * stride, cols);
      using Fn = void (*)(const MatmulArgs&, int64_t, int64_t, bool);
      std::vector<Fn> fns = {vnni::x16_rows_i2s_i8};
      if (type == TensorType::TQ2_0) fns = {vnni::x16_rows_tq2_q8k, vnni::x16_rows_tq2_q8k_ggml};
      for (Fn fn : fns) {
        std::vector<float> shift(size_t(n_tokens * rows), NAN), gfni(shift.size(), NAN);
        const MatmulArgs a_shift{&pw, xq, stride, n_tokens, shift.data()}, a_gfni{&pw, xq, stride, n_tokens, gfni.data()};
        fn(a_shift, 0, rows, false);
        fn(a_gfni, 0, rows, true);
        for (size_t i = 0; i < shift.size(); ++i)
          ASSERT_EQ(std::bit_cast<uint32_t>(shift[i]), std::bit_cast<uint32_t>(gfni[i]))
              << tensor_type_name(type) << " tokens=" << n_tokens << " i=" << i;
      }
    }
  }
}
#endif

TEST(Repack, InterleaveOnlyWholeGroupsOfSupportedTypes) {
  EXPECT_TRUE(can_interleave(TensorType::Q4_0, 32));
  EXPECT_TRUE(can_interleave(TensorType::Q8_0, 16));
  EXPECT_FALSE(can_interleave(TensorType::Q8_0, 24));
  EXPECT_TRUE(can_interleave(TensorType::TQ2_0, 32));
  EXPECT_TRUE(can_interleave(TensorType::I2_S, 32));
  EXPECT_TRUE(can_interleave(TensorType::TQ1_0, 32));
  EXPECT_FALSE(can_interleave(TensorType::TQ1_0, 8));
  EXPECT_TRUE(can_interleave(TensorType::F16, 32));
  EXPECT_FALSE(can_interleave(TensorType::F32, 32));
  EXPECT_FALSE(can_interleave(TensorType::Q6_K, 32));
}

// The F16 16-row layout comes in column blocks (repack.h), the last one narrower here (1100 =
// 2 x 512 + 76); f16_x16_row reads every row back as the file stored it.
TEST(Repack, F16RowsReadBackFromTheColumnBlocks) {
  for (int64_t cols : {int64_t(1100), int64_t(512), int64_t(7)}) {
    const int64_t rows = 48;
    const auto w = test::random_weights(TensorType::F16, rows, cols, 9);
    std::vector<uint8_t> packed(w.bytes.size());
    repack_interleaved(TensorType::F16, w.bytes.data(), packed.data(), rows, cols);
    EXPECT_NE(packed, w.bytes);
    std::vector<uint16_t> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      f16_x16_row(packed.data(), rows, cols, r, row.data());
      ASSERT_EQ(std::memcmp(row.data(), w.bytes.data() + r * cols * 2, size_t(cols) * 2), 0) << "cols " << cols << " row " << r;
    }
  }
}

// Walked span by span and group by group, a layout's blocks are the bytes 0, block_bytes, 2 *
// block_bytes, ... of the matrix: every block has its own place, and decode's walk is one stream.
TEST(Repack, ColumnSpansTileTheMatrixInWalkOrder) {
  for (const auto& [type, cols] : {std::pair{TensorType::TQ2_0, int64_t(6912)}, std::pair{TensorType::TQ1_0, int64_t(2560)},
                                   std::pair{TensorType::I2_S, int64_t(6912)}, std::pair{TensorType::F16, int64_t(1100)},
                                   std::pair{TensorType::Q8_0, int64_t(8192)}}) {
    const int64_t rows = 80;
    const X16Spans sp = x16_spans(type, rows, cols);
    int64_t expect = 0;
    for (int64_t s = 0; s < sp.n_spans(); ++s)
      for (int64_t g = 0; g < sp.groups; ++g)
        for (int64_t b = sp.first(s); b < sp.first(s) + sp.width(s); ++b, expect += sp.block_bytes) {
          ASSERT_EQ(sp.block_offset(g, b), expect) << tensor_type_name(type) << " span " << s << " group " << g << " block " << b;
          ASSERT_EQ(sp.offset(s, g) + (b - sp.first(s)) * sp.block_bytes, expect);
        }
    EXPECT_EQ(expect, rows * int64_t(*row_bytes(type, uint64_t(cols)))) << tensor_type_name(type);
  }
  EXPECT_EQ(x16_spans(TensorType::TQ2_0, 16, 6912).n_spans(), 3);  // 10, 10, 7 blocks
  EXPECT_EQ(x16_spans(TensorType::TQ2_0, 16, 2560).n_spans(), 1);
  EXPECT_EQ(x16_spans(TensorType::TQ2_0, 16, 6912, ternary_span_columns(1)).n_spans(), 3);
  EXPECT_EQ(x16_spans(TensorType::I2_S, 16, 6912, ternary_span_columns(2)).n_spans(), 1);
  EXPECT_EQ(x16_spans(TensorType::F16, 16, 1100, ternary_span_columns(2)).n_spans(), 3);  // F16 keeps its blocks
  EXPECT_EQ(x16_spans(TensorType::Q8_0, 16, 8192).n_spans(), 1);
}

// Load rewrites a large matrix a slice of groups at a time (model/weights.cpp): slices must
// build the same bytes as one call.
TEST(Repack, SlicesOfGroupsBuildTheWholeLayout) {
  for (const auto& [type, cols] : {std::pair{TensorType::F16, int64_t(1100)}, std::pair{TensorType::TQ2_0, int64_t(5376)},
                                   std::pair{TensorType::TQ1_0, int64_t(512)}, std::pair{TensorType::I2_S, int64_t(2816)},
                                   std::pair{TensorType::Q8_0, int64_t(96)}, std::pair{TensorType::Q4_0, int64_t(96)}}) {
    const int64_t rows = 80;  // 5 groups
    const auto w = test::random_weights(type, rows, cols, 11);
    std::vector<uint8_t> whole(w.bytes.size(), 0xAB), sliced(w.bytes.size(), 0xAB);
    repack_interleaved(type, w.bytes.data(), whole.data(), rows, cols);
    for (auto [g0, g1] : {std::pair{0, 2}, std::pair{2, 3}, std::pair{3, 3}, std::pair{3, 5}})
      repack_interleaved_groups(type, w.bytes.data(), sliced.data(), rows, cols, g0, g1);
    EXPECT_EQ(sliced, whole) << tensor_type_name(type);
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulVariants, ::testing::ValuesIn(kCases),
                         [](const auto& p) { return std::string(tensor_type_name(p.param.type)); });

// matmul_batch splits the rows of several matrices over the pool together: each output must equal
// its own matmul() bit for bit, whatever the thread count, token count and layout (a 16-row matrix
// after a row-major one with an odd row count, so shares straddle matrices mid-way, and before it:
// one token of a 16-row matrix may be claimed in steps of parts, MatmulArgs::part_groups).
TEST_P(MatmulVariants, BatchEqualsSeparateMatmulsBitForBit) {
  const Case c = GetParam();
  const auto a = test::random_weights(c.type, 37, c.cols, 3);
  const auto b = test::random_weights(c.type, 48, c.cols, 4);
  const auto d = test::random_weights(c.type, 5, c.cols, 6);
  std::vector<uint8_t> packed(b.bytes.size());
  WeightMatrix bw = b.w;
  const MatmulVariant* v = chosen_matmul_variant(c.type);
  ASSERT_NE(v, nullptr);
  if (v->interleaves() && can_interleave(c.type, bw.rows)) {
    repack_interleaved(c.type, b.bytes.data(), packed.data(), bw.rows, bw.cols);
    bw.data = packed.data();
    bw.interleave = kInterleaveRows;
  }
  using Batch = std::array<const WeightMatrix*, 3>;
  for (const Batch& ws : {Batch{&a.w, &bw, &d.w}, Batch{&bw, &a.w, &d.w}}) {
    for (int64_t n_tokens : {1, 2, 9}) {
      const auto x = test::random_floats(n_tokens * c.cols, uint32_t(n_tokens + 40));
      for (int threads = 1; threads <= 3; ++threads) {
        ThreadPool pool(threads);
        std::vector<std::vector<float>> want(3), got(3);
        std::vector<MatmulOut> outs;
        for (size_t i = 0; i < 3; ++i) {
          want[i].assign(size_t(n_tokens * ws[i]->rows), NAN);
          got[i].assign(want[i].size(), NAN);
          matmul(*ws[i], x.data(), n_tokens, want[i].data(), pool);
          outs.push_back({ws[i], got[i].data()});
        }
        // With read_next (lines asked for after the caller's share, matmul.h): the same bits.
        const std::vector<float> next(3000, 1.0f);
        matmul_batch(outs, x.data(), n_tokens, pool, MatmulOrder::kFastest,
                     {reinterpret_cast<const uint8_t*>(next.data()), next.size() * sizeof(float)});
        for (size_t i = 0; i < 3; ++i)
          for (size_t j = 0; j < want[i].size(); ++j)
            ASSERT_EQ(std::bit_cast<uint32_t>(got[i][j]), std::bit_cast<uint32_t>(want[i][j]))
                << tensor_type_name(c.type) << " matrix " << i << " tokens=" << n_tokens << " threads=" << threads
                << " j=" << j;
      }
    }
  }
}

// Matrices of different types (a Q4_0 file's Q6_K tensors) go one matmul() at a time.
TEST(MatmulDispatch, BatchOfMixedTypesEqualsSeparateMatmuls) {
  const auto a = test::random_weights(TensorType::Q4_0, 33, 256, 1);
  const auto b = test::random_weights(TensorType::Q6_K, 20, 256, 2);
  const auto x = test::random_floats(2 * 256, 5);
  ThreadPool pool(2);
  std::vector<float> wa(66), wb(40), ga(66, NAN), gb(40, NAN);
  matmul(a.w, x.data(), 2, wa.data(), pool);
  matmul(b.w, x.data(), 2, wb.data(), pool);
  const MatmulOut outs[] = {{&a.w, ga.data()}, {&b.w, gb.data()}};
  const float next[64] = {};
  matmul_batch(outs, x.data(), 2, pool, MatmulOrder::kFastest, {reinterpret_cast<const uint8_t*>(next), sizeof(next)});
  for (size_t i = 0; i < wa.size(); ++i) ASSERT_EQ(std::bit_cast<uint32_t>(ga[i]), std::bit_cast<uint32_t>(wa[i])) << i;
  for (size_t i = 0; i < wb.size(); ++i) ASSERT_EQ(std::bit_cast<uint32_t>(gb[i]), std::bit_cast<uint32_t>(wb[i])) << i;
}

TEST(MatmulDispatch, ChosenVariantIsSupportedAndNamed) {
  for (const auto& c : kCases) {
    const MatmulVariant* v = chosen_matmul_variant(c.type);
    ASSERT_NE(v, nullptr);
    EXPECT_TRUE(isa_supported(v->isa));
    EXPECT_EQ(matmul_kernel_name(c.type), std::string(v->name));
  }
}

TEST(MatmulDispatch, PublicEntryMatchesReference) {
  const auto ow = test::random_weights(TensorType::TQ2_0, 48, 512, 5);
  const auto x = test::random_floats(3 * 512, 9);
  std::vector<float> want(3 * 48), got(3 * 48);
  ThreadPool pool(2);
  matmul_ref(ow.w, x.data(), 3, want.data(), pool);
  matmul(ow.w, x.data(), 3, got.data(), pool);
  for (int64_t t = 0; t < 3; ++t)
    for (int64_t r = 0; r < 48; ++r) {
      const size_t i = size_t(t * 48 + r);
      EXPECT_LE(std::fabs(got[i] - want[i]), tolerance_for(TensorType::TQ2_0, ow.w, x.data() + t * 512, r)) << i;
    }
}

}  // namespace
}  // namespace trit
