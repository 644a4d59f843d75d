// The attention fp16 helpers against plain loops, and the blocked attention (native numerics)
// against a double-precision reference and against its own per-query definition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "kernel_test_util.h"
#include "kernels/attention.h"
#include "kernels/ggml_order.h"
#include "kernels/matmul_variants.h"

namespace trit {
namespace {

// dot_f16_f16 sums 32 float lanes instead of sequentially: for n <= 256 the difference is below
// 256 * 2^-24 * sum|terms|; 2e-5 relative to sum|terms| bounds it with margin.
constexpr double kDotRelTol = 2e-5;

TEST(AttentionKernels, DotF16) {
  for (int64_t n : {1, 7, 64, 128, 131}) {
    const auto a = test::random_floats(n, uint32_t(n)), b = test::random_floats(n, uint32_t(n + 1));
    std::vector<fp16_t> ha(static_cast<size_t>(n)), hb(static_cast<size_t>(n));
    double want = 0.0, mag = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      ha[size_t(i)] = fp32_to_fp16(a[size_t(i)]);
      hb[size_t(i)] = fp32_to_fp16(b[size_t(i)]);
      const double p = double(fp16_to_fp32(ha[size_t(i)])) * fp16_to_fp32(hb[size_t(i)]);
      want += p;
      mag += std::fabs(p);
    }
    EXPECT_NEAR(dot_f16_f16(ha.data(), hb.data(), n), want, kDotRelTol * mag + 1e-30) << n;
  }
}

TEST(AttentionKernels, AxpyF16ExactlyAsScalar) {
  for (int64_t n : {5, 64, 133}) {
    const auto v = test::random_floats(n, 3);
    std::vector<fp16_t> hv(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) hv[size_t(i)] = fp32_to_fp16(v[size_t(i)]);
    auto out = test::random_floats(n, 4), want = out;
    const float p = 0.3125f + 1e-3f;
    for (int64_t i = 0; i < n; ++i) want[size_t(i)] += p * fp16_to_fp32(hv[size_t(i)]);
    axpy_f16(p, hv.data(), out.data(), n);
    EXPECT_EQ(out, want);
  }
}

std::vector<fp16_t> random_f16(int64_t n, uint32_t seed) {
  const auto f = test::random_floats(n, seed);
  std::vector<fp16_t> h(size_t(n), 0);
  for (int64_t i = 0; i < n; ++i) h[size_t(i)] = fp32_to_fp16(f[size_t(i)]);
  return h;
}

// One query against a cache of n_kv rows (stride wider than the head, as with GQA): the same bits
// as the per-key calls, for head sizes with and without 32- and 8-element tails and odd key counts.
TEST(AttentionKernels, ScoresAndPvEqualPerKeyCalls) {
  for (int64_t n : {7, 64, 80, 100, 128}) {
    for (int64_t n_kv : {1, 2, 3, 17}) {
      const int64_t stride = n * 3;
      const auto q = random_f16(n, uint32_t(n)), k = random_f16(n_kv * stride, uint32_t(n + n_kv)),
                 v = random_f16(n_kv * stride, uint32_t(2 * n + n_kv)), p = random_f16(n_kv, uint32_t(n_kv));
      const float scale = 0.0883883f;
      std::vector<float> scores(size_t(n_kv), NAN), out(size_t(n), NAN), want_out(size_t(n), 0.0f);
      qk_scores_f16(q.data(), k.data(), stride, n_kv, n, scale, scores.data());
      pv_f16(p.data(), v.data(), stride, n_kv, n, out.data());
      for (int64_t j = 0; j < n_kv; ++j) {
        EXPECT_EQ(scores[size_t(j)], dot_f16_f16(q.data(), k.data() + j * stride, n) * scale) << n << " " << j;
        axpy_f16(fp16_to_fp32(p[size_t(j)]), v.data() + j * stride, want_out.data(), n);
      }
      EXPECT_EQ(out, want_out) << "n=" << n << " n_kv=" << n_kv;
    }
  }
}

// ---- Blocked causal attention (attention_block_f16) ----

// One block's inputs: n_tokens x n_heads queries of one KV head, the cache rows of that KV head
// interleaved with others' (kv_stride > head_dim), outputs with room between heads and tokens.
struct BlockCase {
  int64_t head_dim, n_heads, n_tokens, n_kv;  // n_kv: keys of the first token
  float q_scale = 1.0f;
  int64_t kv_stride() const { return head_dim * 3; }
  int64_t q_stride() const { return n_heads * head_dim + 5; }
  int64_t max_kv() const { return n_kv + n_tokens - 1; }
  std::string name() const {
    return "hd=" + std::to_string(head_dim) + " heads=" + std::to_string(n_heads) + " tokens=" +
           std::to_string(n_tokens) + " n_kv=" + std::to_string(n_kv) + " q_scale=" + std::to_string(q_scale);
  }
};

struct BlockData {
  std::vector<float> q;
  std::vector<fp16_t> k, v;
  explicit BlockData(const BlockCase& c) {
    const uint32_t seed = uint32_t(c.head_dim * 1000 + c.n_heads * 100 + c.n_tokens * 10 + c.n_kv);
    q = test::random_floats(c.n_tokens * c.q_stride(), seed, c.q_scale);
    k = random_f16(c.max_kv() * c.kv_stride(), seed + 1);
    v = random_f16(c.max_kv() * c.kv_stride(), seed + 2);
  }
};

using BlockFn = std::function<void(const AttentionBlock&, float*)>;

// The case's cache and strides, with the given queries, outputs and shape.
AttentionBlock make_block(const BlockCase& c, const BlockData& d, const float* q, float* out, int64_t n_tokens,
                          int64_t n_heads, int64_t n_kv) {
  AttentionBlock b;
  b.q = q;
  b.q_stride = c.q_stride();
  b.k = d.k.data();
  b.v = d.v.data();
  b.kv_stride = c.kv_stride();
  b.out = out;
  b.out_stride = c.q_stride();
  b.n_tokens = n_tokens;
  b.n_heads = n_heads;
  b.head_dim = c.head_dim;
  b.n_kv = n_kv;
  b.scale = 1.0f / std::sqrt(float(c.head_dim));
  return b;
}

// Runs fn over the case; outputs are [token][q_stride] like the queries, NaN where nothing may be
// written.
std::vector<float> run_block(const BlockFn& fn, const BlockCase& c, const BlockData& d) {
  std::vector<float> out(size_t(c.n_tokens * c.q_stride()), NAN);
  std::vector<float> scratch(size_t(attention_block_scratch(c.max_kv(), c.head_dim)), NAN);
  fn(make_block(c, d, d.q.data(), out.data(), c.n_tokens, c.n_heads, c.n_kv), scratch.data());
  return out;
}

// Query (t, h) alone: a block of one token and one head, over the same cache.
std::vector<float> run_alone(const BlockFn& fn, const BlockCase& c, const BlockData& d, int64_t t, int64_t h) {
  std::vector<float> out(size_t(c.head_dim), NAN);
  std::vector<float> scratch(size_t(attention_block_scratch(c.n_kv + t, c.head_dim)), NAN);
  fn(make_block(c, d, d.q.data() + t * c.q_stride() + h * c.head_dim, out.data(), 1, 1, c.n_kv + t), scratch.data());
  return out;
}

// The definition in attention.h, one query in plain scalar code (std::fma for the partial sums'
// fused multiply-adds): what the AVX-512 kernel must equal bit for bit.
[[maybe_unused]] void blocked_definition(const AttentionBlock& b, float* /*scratch*/) {
  for (int64_t t = 0; t < b.n_tokens; ++t)
    for (int64_t h = 0; h < b.n_heads; ++h) {
      const float* q = b.q + t * b.q_stride + h * b.head_dim;
      const int64_t n_kv = b.n_kv + t;
      std::vector<float> s(static_cast<size_t>(n_kv));
      for (int64_t j = 0; j < n_kv; ++j) {
        float sum[4] = {};
        for (int64_t d = 0; d < b.head_dim; ++d)
          sum[d % 4] = std::fma(fp16_to_fp32(fp32_to_fp16(q[d])), fp16_to_fp32(b.k[j * b.kv_stride + d]), sum[d % 4]);
        s[size_t(j)] = ((sum[0] + sum[2]) + (sum[1] + sum[3])) * b.scale;
      }
      const float m = *std::max_element(s.begin(), s.end());
      double sum = 0.0;
      for (auto& x : s) {
        x = ggml_expf(x - m);
        sum += double(x);
      }
      const float inv = float(1.0 / sum);
      float* out = b.out + t * b.out_stride + h * b.head_dim;
      for (int64_t d = 0; d < b.head_dim; ++d) out[d] = 0.0f;
      for (int64_t j = 0; j < n_kv; ++j) {
        const float p = fp16_to_fp32(fp32_to_fp16(s[size_t(j)] * inv));
        for (int64_t d = 0; d < b.head_dim; ++d) {
          const float pv = p * fp16_to_fp32(b.v[j * b.kv_stride + d]);
          out[d] = out[d] + pv;
        }
      }
    }
}

// The kernels under test: the dispatched entry, the portable one and (where the CPU has it) the
// AVX-512 one.
std::vector<std::pair<std::string, BlockFn>> block_kernels() {
  std::vector<std::pair<std::string, BlockFn>> fns = {{"dispatch", attention_block_f16},
                                                      {"portable", attention_block_f16_portable}};
#if TRIT_KERNELS_X86
  if (isa_available(Isa::kAvx512Vnni)) fns.emplace_back("avx512", avx512::attention_block_f16);
#endif
  return fns;
}

std::vector<BlockCase> block_cases() {
  std::vector<BlockCase> cases;
  for (int64_t hd : {64, 80, 128, 100, 7})
    for (int64_t heads : {1, 4})
      for (int64_t tokens : {1, 2, 3, 4, 5})
        for (int64_t n_kv : {1, 2, 15, 33, 70}) cases.push_back({hd, heads, tokens, n_kv});
  // More than 16 queries per call (two lane sets), and peaky softmaxes whose small terms
  // underflow ggml_expf into subnormals and zeros.
  cases.push_back({128, 8, 3, 40});
  cases.push_back({128, 3, 5, 20});
  cases.push_back({256, 4, 4, 20});
  cases.push_back({64, 4, 4, 67, 12.0f});
  cases.push_back({128, 4, 2, 90, 30.0f});
  return cases;
}

// The plain double reference on the same fp16-rounded q, K and V: the kernels differ from it by
// fp16 probabilities (relative 2^-11 each) and float sums; the bound is relative to
// sum_j p_j |v_jd|, the size of the output's terms.
TEST(AttentionBlock, MatchesDoubleReference) {
  for (const auto& [name, fn] : block_kernels())
    for (const BlockCase& c : block_cases()) {
      const BlockData d(c);
      const auto out = run_block(fn, c, d);
      const double s_scale = double(1.0f / std::sqrt(float(c.head_dim)));
      for (int64_t t = 0; t < c.n_tokens; ++t)
        for (int64_t h = 0; h < c.n_heads; ++h) {
          const int64_t n_kv = c.n_kv + t;
          std::vector<double> p(static_cast<size_t>(n_kv));
          double mx = -INFINITY, sum = 0.0;
          for (int64_t j = 0; j < n_kv; ++j) {
            double dot = 0.0;
            for (int64_t i = 0; i < c.head_dim; ++i)
              dot += double(fp16_to_fp32(fp32_to_fp16(d.q[size_t(t * c.q_stride() + h * c.head_dim + i)]))) *
                     fp16_to_fp32(d.k[size_t(j * c.kv_stride() + i)]);
            p[size_t(j)] = dot * s_scale;
            mx = std::max(mx, p[size_t(j)]);
          }
          for (auto& x : p) sum += (x = std::exp(x - mx));
          for (int64_t i = 0; i < c.head_dim; ++i) {
            double want = 0.0, mag = 0.0;
            for (int64_t j = 0; j < n_kv; ++j) {
              const double vj = fp16_to_fp32(d.v[size_t(j * c.kv_stride() + i)]);
              want += p[size_t(j)] / sum * vj;
              mag += p[size_t(j)] / sum * std::fabs(vj);
            }
            ASSERT_NEAR(out[size_t(t * c.q_stride() + h * c.head_dim + i)], want, 1e-3 * mag + 1e-6)
                << name << " " << c.name() << " t=" << t << " h=" << h << " d=" << i;
          }
        }
      // Nothing written outside the block's outputs.
      for (int64_t t = 0; t < c.n_tokens; ++t)
        for (int64_t i = c.n_heads * c.head_dim; i < c.q_stride(); ++i)
          ASSERT_TRUE(std::isnan(out[size_t(t * c.q_stride() + i)])) << name << " " << c.name();
    }
}

#if TRIT_KERNELS_X86
// The AVX-512 kernel is its definition (attention.h) bit for bit: K·q's partial sums, ggml_expf
// (also where it underflows), the double sum in key order, fp16 probabilities, P·V's rounding.
TEST(AttentionBlock, Avx512EqualsItsDefinitionBitForBit) {
  if (!isa_available(Isa::kAvx512Vnni)) GTEST_SKIP() << "no AVX-512 on this CPU";
  for (const BlockCase& c : block_cases()) {
    const BlockData d(c);
    const auto got = run_block(avx512::attention_block_f16, c, d);
    const auto want = run_block(blocked_definition, c, d);
    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float))) << c.name();
  }
}
#endif

// A query's output does not depend on the block it is computed in (which tokens and heads share
// the call, how many keys the others see): the same bits alone as inside any block. This is what
// keeps a prompt evaluated at once equal to token by token (tests/model/determinism_test.cpp).
TEST(AttentionBlock, QueryBitsIndependentOfTheBlock) {
  for (const auto& [name, fn] : block_kernels())
    for (const BlockCase& c : block_cases()) {
      const BlockData d(c);
      const auto out = run_block(fn, c, d);
      for (int64_t t = 0; t < c.n_tokens; ++t)
        for (int64_t h = 0; h < c.n_heads; ++h) {
          const auto alone = run_alone(fn, c, d, t, h);
          ASSERT_EQ(0, std::memcmp(alone.data(), out.data() + t * c.q_stride() + h * c.head_dim,
                                   size_t(c.head_dim) * sizeof(float)))
              << name << " " << c.name() << " t=" << t << " h=" << h;
        }
    }
}

// The portable path is the per-query native path of before the blocked kernel: qk_scores_f16,
// std::exp with a double sum in key order, fp16 probabilities, pv_f16.
TEST(AttentionBlock, PortableIsThePerQueryPath) {
  const BlockCase c{128, 4, 3, 21};
  const BlockData d(c);
  const auto out = run_block(attention_block_f16_portable, c, d);
  const float scale = 1.0f / std::sqrt(128.0f);
  for (int64_t t = 0; t < c.n_tokens; ++t)
    for (int64_t h = 0; h < c.n_heads; ++h) {
      const int64_t n_kv = c.n_kv + t;
      std::vector<fp16_t> q16(static_cast<size_t>(c.head_dim)), p16(static_cast<size_t>(n_kv));
      fp32_to_fp16_row(d.q.data() + t * c.q_stride() + h * c.head_dim, q16.data(), c.head_dim);
      std::vector<float> s(static_cast<size_t>(n_kv)), want(static_cast<size_t>(c.head_dim));
      qk_scores_f16(q16.data(), d.k.data(), c.kv_stride(), n_kv, c.head_dim, scale, s.data());
      const float m = *std::max_element(s.begin(), s.end());
      double sum = 0.0;
      for (auto& x : s) sum += double(x = std::exp(x - m));
      const float inv = float(1.0 / sum);
      for (int64_t j = 0; j < n_kv; ++j) p16[size_t(j)] = fp32_to_fp16(s[size_t(j)] * inv);
      pv_f16(p16.data(), d.v.data(), c.kv_stride(), n_kv, c.head_dim, want.data());
      ASSERT_EQ(0, std::memcmp(want.data(), out.data() + t * c.q_stride() + h * c.head_dim, want.size() * 4))
          << "t=" << t << " h=" << h;
    }
}

}  // namespace
}  // namespace trit
