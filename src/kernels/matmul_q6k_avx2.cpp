// AVX2 matmul of Q6_K weights against Q8_K activations, equal to quant/'s vec_dot_q6_K_q8_K (and so
// to ggml_vec_dot_q6_K_q8_K_generic) bit for bit.
//
// The reference keeps 8 int32 lanes per super-block, lane l = element % 8, of scale * q6 * q8, then
// lane_sum[l] += (dx * dy) * float(lane_int[l]) in 8 float lanes, and adds the 8 lanes in order at
// the end. The float part is lane-wise, so it maps onto one __m256 (mul then add, no FMA:
// -ffp-contract=off); only the integer lanes need care, since maddubs / madd add neighbouring
// bytes / words, which in element order belong to different lanes.
//
// So every 32 elements (groups a = 2j and b = 2j + 1, 16 elements each) are stored transposed as
// 8 x 4 bytes: byte 4i + k holds element i + 8k (i = 0..7, k = 0..3). Then
//   maddubs(|q|, sign(y, q)) word 2i   = q[i] y[i] + q[i+8] y[i+8]         (lane i of group a)
//                            word 2i+1 = q[i+16] y[i+16] + q[i+24] y[i+24] (lane i of group b)
//   madd(that, {s_a, s_b} x 8) dword i = lane i's share of this 32-element chunk, times its scale,
// i.e. the int32 lanes come out indexed by element % 8, as in the reference. The weights are
// transposed once per super-block (shared by every token of a tile); the activations once per
// call into a per-thread buffer, so the per-token inner loop is load, sign, maddubs, madd, add.
//
// Ranges: |q - 32| <= 32, |y| <= 127 (Q8_K never writes -128, which sign_epi8 could not negate),
// so a maddubs pair is at most 2 * 32 * 127 = 8128 (no int16 saturation); one lane of a
// super-block sums 32 products of at most 128 * 32 * 127 (no int32 overflow), exactly as the
// reference's int32 lanes.
#include <vector>

#include "kernels/avx2_common.h"
#include "kernels/kernels_avx2.h"
#include "quant/q6_k.h"
#include "quant/q8_k.h"

namespace trit::avx2 {
namespace {

using quant::kQK_K;
using quant::Q6KBlock;
using quant::Q8KBlock;

constexpr int64_t kRowChunk = 16;  // rows whose weights are reused by every token tile
constexpr int kTokTile = 4;        // tokens per weight decode
constexpr int64_t kTokBlock = 32;  // tokens transposed into the per-thread buffer at a time

// 32 bytes in element order to the transposed order above: dwords {0, 2, 4, 6 | 1, 3, 5, 7} gather
// elements {0-3, 8-11, 16-19, 24-27 | 4-7, ...}, then a 4 x 4 byte transpose in each 128-bit half.
inline __m256i transpose_chunk(__m256i v) {
  const __m256i dw = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
  return _mm256_shuffle_epi8(dw, _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,  //
                                                  0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
}

// One token's nb super-blocks of int8 activations, transposed chunk by chunk (256 bytes per block).
void transpose_acts(const Q8KBlock* y, int64_t nb, int8_t* out) {
  for (int64_t b = 0; b < nb; ++b)
    for (int c = 0; c < kQK_K / 32; ++c)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + b * kQK_K + 32 * c),
                          transpose_chunk(loadu(y[b].qs + 32 * c)));
}

// Outputs of one weight row for NT tokens: yt[k] the transposed activations, yb[k] the Q8_K blocks
// (for their scales). Writes the reference's final float sums (before out_scale) to out[k].
template <int NT>
void q6k_row(const Q6KBlock* x, int64_t nb, const int8_t* const* yt, const Q8KBlock* const* yb, float* out) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m2 = _mm256_set1_epi8(0x30);
  const __m256i k32 = _mm256_set1_epi8(32);
  __m256 fsum[NT];
  for (int k = 0; k < NT; ++k) fsum[k] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const Q6KBlock& xb = x[b];
    // Dword j = {scales[2j], scales[2j + 1]} as int16: the madd multipliers of chunk j.
    alignas(32) int32_t sc[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(sc),
                       _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xb.scales))));
    __m256i isum[NT];
    for (int k = 0; k < NT; ++k) isum[k] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      // Transposing ql / qh bytes transposes every element they hold (the same position in each
      // 32-element chunk), so the decoded chunks come out transposed.
      const __m256i ql0 = transpose_chunk(loadu(xb.ql + 64 * h));
      const __m256i ql1 = transpose_chunk(loadu(xb.ql + 64 * h + 32));
      const __m256i qh = transpose_chunk(loadu(xb.qh + 32 * h));
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m2));
      q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m2));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m2));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                             _mm256_and_si256(_mm256_srli_epi16(qh, 2), m2));
      for (int c = 0; c < 4; ++c) {
        const __m256i qs = _mm256_sub_epi8(q[c], k32);  // element h * 128 + 32c + (0..31), -32..31
        const __m256i aq = _mm256_sign_epi8(qs, qs);
        const __m256i s = _mm256_set1_epi32(sc[4 * h + c]);
        const int64_t off = b * kQK_K + 128 * h + 32 * c;
        for (int k = 0; k < NT; ++k) {
          const __m256i p = _mm256_maddubs_epi16(aq, _mm256_sign_epi8(loadu(yt[k] + off), qs));
          isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(p, s));
        }
      }
    }
    // lane_sum[l] += d * float(lane_int[l]), d = dx * dy.
    const float dx = _cvtsh_ss(xb.d);
    for (int k = 0; k < NT; ++k) {
      const float d = dx * yb[k][b].d;
      fsum[k] = _mm256_add_ps(fsum[k], _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum[k])));
    }
  }
  for (int k = 0; k < NT; ++k) {
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, fsum[k]);
    float sum = 0.0f;  // the reference's order: 0 + lane 0 + lane 1 + ... + lane 7
    for (float v : lanes) sum += v;
    out[k] = sum;
  }
}

}  // namespace

void matmul_rows_q6_k_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / kQK_K;
  const int64_t tok_bytes = nb * kQK_K;
  thread_local std::vector<int8_t> buf;
  const int64_t block_tokens = a.n_tokens < kTokBlock ? a.n_tokens : kTokBlock;
  if (buf.size() < size_t(block_tokens * tok_bytes)) buf.resize(size_t(block_tokens * tok_bytes));
  auto act = [&](int64_t t) { return reinterpret_cast<const Q8KBlock*>(a.xq + t * a.xq_stride); };

  for (int64_t tb = 0; tb < a.n_tokens; tb += kTokBlock) {
    const int64_t tb_end = tb + kTokBlock < a.n_tokens ? tb + kTokBlock : a.n_tokens;
    for (int64_t t = tb; t < tb_end; ++t) transpose_acts(act(t), nb, buf.data() + (t - tb) * tok_bytes);
    for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
      const int64_t rc_end = rc + kRowChunk < r1 ? rc + kRowChunk : r1;
      for (int64_t t0 = tb; t0 < tb_end; t0 += kTokTile) {
        const int nt = int(tb_end - t0 < kTokTile ? tb_end - t0 : kTokTile);
        const int8_t* yt[kTokTile];
        const Q8KBlock* yb[kTokTile];
        for (int k = 0; k < nt; ++k) {
          yt[k] = buf.data() + (t0 + k - tb) * tok_bytes;
          yb[k] = act(t0 + k);
        }
        for (int64_t r = rc; r < rc_end; ++r) {
          const auto* x = reinterpret_cast<const Q6KBlock*>(w.data + r * w.row_bytes);
          float out[kTokTile];
          switch (nt) {
            case 4: q6k_row<4>(x, nb, yt, yb, out); break;
            case 3: q6k_row<3>(x, nb, yt, yb, out); break;
            case 2: q6k_row<2>(x, nb, yt, yb, out); break;
            default: q6k_row<1>(x, nb, yt, yb, out); break;
          }
          for (int k = 0; k < nt; ++k) a.y[(t0 + k) * w.rows + r] = out[k] * w.out_scale;
        }
      }
    }
  }
}

}  // namespace trit::avx2
