// fp16 attention kernels, dispatched once like matmul: per-query helpers (model/blocks.cpp
// attention_head) and the blocked causal attention of the native numerics (model/session.cpp).
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace trit {

// sum(a[i] * b[i]) in float. The AVX2 variant sums in 32 lanes (a different order than the
// sequential scalar loop: kernels tests bound the difference).
float dot_f16_f16(const fp16_t* a, const fp16_t* b, int64_t n);
// out[i] += p * v[i], rounding exactly as the scalar loop (mul then add, per element).
void axpy_f16(float p, const fp16_t* v, float* out, int64_t n);
// For all n_kv keys of one query (rows of the cache kv_stride apart): scores[j] = dot_f16_f16(q16,
// k_j, n) * scale, and out[0..n) = sum over j, in order, of p16[j] * v_j (axpy_f16 from zero).
// The same bits as those calls one key at a time, with less work per key.
void qk_scores_f16(const fp16_t* q16, const fp16_t* k, int64_t kv_stride, int64_t n_kv, int64_t n, float scale,
                   float* scores);
void pv_f16(const fp16_t* p16, const fp16_t* v, int64_t kv_stride, int64_t n_kv, int64_t n, float* out);
// out[i] = fp32_to_fp16(x[i]) (F16C when available: the same round-to-nearest-even bits).
void fp32_to_fp16_row(const float* x, fp16_t* out, int64_t n);

// ---- Blocked causal attention (the native numerics: RefNumerics::ggml_simd false) ----
//
// One call computes every query of a block of consecutive tokens x the query heads that share
// one KV head (GQA), so each fp16 K and V value is read and widened once for up to 16 queries
// instead of once per query. Block token t (absolute position pos0 + t) sees keys
// [0, n_kv + t), n_kv = pos0 + 1. Any head_dim >= 1 (the AVX-512 kernel masks partial chunks).
//
// Each query's arithmetic depends only on its own q, its own key count and head_dim, never on
// the block it was computed in, the thread count or the batch size: a prompt evaluated at once
// gives the same bits as token by token (tests/model/determinism_test.cpp).
//
// The AVX-512F kernel (attention_avx512.cpp) computes, per query:
//   1. q16 = fp16(q) (llama.cpp rounds src1 to F16); K and V are fp16 in the cache.
//   2. s_j = dot(q16, k_j) * scale, the dot in 4 float partial sums: sum r adds dims r, r + 4,
//      ... in order with fused multiply-adds, then dot = (sum0 + sum2) + (sum1 + sum3).
//   3. m = max_j s_j;  e_j = ggml_expf(s_j - m) (kernels/ggml_order.h, bit for bit);
//      sum = sum of double(e_j) in key order, in double;  inv = float(1.0 / sum);
//      p_j = fp16(e_j * inv).
//   4. out[d] = sum over keys j in order of p_j * v_jd, each a separate multiply and add (the
//      rounding of pv_f16 / axpy_f16), from 0. (p_j * v_jd is exact in float, so a fused
//      multiply-add gives the same bits.)
// The portable fallback (CPUs without AVX-512F, or TRIT_ISA=avx2|scalar) runs one query at a time
// through qk_scores_f16 and pv_f16 with std::exp: exactly attention_head's native path of before
// the blocked kernel, the same bits. The two differ in the dots' summation order and the exp, so
// not bit for bit; each is within 1e-3 * sum_j p_j |v_jd| of a double-precision reference on the
// same fp16 q, K, V (measured: 4.2e-4, the fp16 rounding of p; tests/kernels/attention_test.cpp).
struct AttentionBlock {
  const float* q = nullptr;   // query (token t, head h) at q + t * q_stride + h * head_dim
  int64_t q_stride = 0;
  const fp16_t* k = nullptr;  // key j at k + j * kv_stride (head_dim halves); V alike
  const fp16_t* v = nullptr;
  int64_t kv_stride = 0;
  float* out = nullptr;       // output (t, h) at out + t * out_stride + h * head_dim
  int64_t out_stride = 0;
  int64_t n_tokens = 0;
  int64_t n_heads = 0;        // query heads of this KV head computed here (a whole GQA group or part)
  int64_t head_dim = 0;
  int64_t n_kv = 0;           // keys seen by the block's first token (>= 1); token t sees n_kv + t
  float scale = 1.0f;
};

// One query of the portable definition above: q16 = fp16(q), scores through qk_scores_f16, std::exp
// and a double sum in key order, p = fp16(e * inv), then pv_f16. scores: n_kv floats; half:
// max(n_kv, head_dim) halves.
void attention_query_f16(const float* q, const fp16_t* k, const fp16_t* v, int64_t kv_stride, int64_t n_kv,
                         int64_t head_dim, float scale, float* scores, fp16_t* half, float* out);

// Queries per call that fill the AVX-512 kernel's 16 lanes (callers size blocks by this).
constexpr int64_t kAttentionBlockQueries = 16;

// Floats of scratch a call needs whose last token sees at most max_kv keys.
int64_t attention_block_scratch(int64_t max_kv, int64_t head_dim);
// Dispatches: the AVX-512F kernel where cpu_features().avx512f and isa_supported(kAvx512Vnni)
// (TRIT_ISA caps it), else the portable one. scratch: attention_block_scratch() floats.
void attention_block_f16(const AttentionBlock& b, float* scratch);
// The portable fallback, per query (any CPU).
void attention_block_f16_portable(const AttentionBlock& b, float* scratch);
// Whether attention_block_f16 takes the AVX-512F kernel.
bool attention_block_avx512();

namespace avx512 {
// The AVX-512F kernel (attention_avx512.cpp). Call only where cpu_features().avx512f, avx512bw
// and avx512vl (isa_available(Isa::kAvx512Vnni) implies them).
void attention_block_f16(const AttentionBlock& b, float* scratch);
}  // namespace avx512

}  // namespace trit
