// AVX-512 TQ1_0 x Q8_K matmul on weights in kernels/repack.h's 16-row TQ1_0 layout (VNNI, VBMI,
// GFNI: Isa::kAvx512Vbmi).
//
// TQ1_0 keeps 5 ternary codes per byte. In the file they are base-3 digits of a scaled byte, and
// pulling one digit out costs a multiply, a mask and a compare or two per byte, more than the dot
// product itself. The 16-row layout re-encodes each byte as t_0 + 3 t_1 + 9 t_2 + 27 t_3 + 81 t_4,
// so that a 256-entry table (two vpermt2b over 128 entries each, then a byte blend on the top bit)
// returns t_0..t_3 as bit pairs, which one GFNI affine transform apiece moves to the low bits, and
// t_4 = q / 81 is two compares. Per 64 bytes of weights (5 code registers for 16 rows x 4
// elements) that is 13 instructions instead of ~30, and cached weights run at ~85% of the TQ2_0
// kernel's weights per second (benchmarks/) while a DRAM-bound decode reads 18% fewer bytes.
//
// The arithmetic is the scalar reference's (quant/tq1_0.cpp): per row, token and block the exact
// int32 sum of codes x activations minus the activations' sum, then sum += float(sumi) * (dx * dy)
// in block order without FMA. One register holds that sum for 16 rows, so the results equal the
// reference bit for bit (tests/kernels/matmul_test.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <array>
#include <vector>

#include "kernels/kernels_vnni.h"
#include "kernels/repack.h"
#include "kernels/x16_vnni.h"
#include "quant/q8_k.h"
#include "quant/tq1_0.h"

namespace trit::vnni {
namespace {

using quant::kQK_K;
using quant::Q8KBlock;

constexpr int kTile = 8;
constexpr int64_t kBlockBytes = kInterleaveRows * int64_t(sizeof(quant::TQ1_0Block));
static_assert(2 * kInterleaveRows + 64 * kTq1Chunks == kBlockBytes, "scales, then the chunks");
static_assert(kTq1Chunks * kTq1PlanesPerChunk >= kTq1Planes && 4 * kTq1Planes == kQK_K);

// Byte q = t_0 + 3 t_1 + 9 t_2 + 27 t_3 + 81 t_4 -> t_0..t_3 in bit pairs 0..3.
alignas(64) constexpr std::array<uint8_t, 256> kLowDigits = [] {
  std::array<uint8_t, 256> t{};
  for (int q = 0; q < 256; ++q) {
    int u = q % 81, packed = 0;
    for (int n = 0; n < 4; ++n, u /= 3) packed |= (u % 3) << (2 * n);
    t[size_t(q)] = uint8_t(packed);
  }
  return t;
}();

struct Tables {
  __m512i low[4];  // kLowDigits in 4 registers of 64 entries
  Tables() {
    for (int h = 0; h < 4; ++h) low[h] = _mm512_load_si512(kLowDigits.data() + 64 * h);
  }
};

// The 5 code registers (0..2 per byte) of one chunk.
inline void chunk_codes(const uint8_t* p, const Tables& t, __m512i c[kTq1PlanesPerChunk]) {
  const __m512i q = _mm512_loadu_si512(p);
  const __mmask64 high = _mm512_movepi8_mask(q);  // q >= 128: the table's upper half
  const __m512i packed = _mm512_mask_mov_epi8(_mm512_permutex2var_epi8(t.low[0], q, t.low[1]), high,
                                              _mm512_permutex2var_epi8(t.low[2], q, t.low[3]));
  c[0] = _mm512_and_si512(packed, _mm512_set1_epi8(3));
  for (int s = 1; s < 4; ++s)
    c[s] = _mm512_gf2p8affine_epi64_epi8(packed, _mm512_set1_epi64(int64_t(bit_pair_matrix(s))), 0);
  const __m512i one = _mm512_set1_epi8(1);
  const __m512i t4 = _mm512_maskz_mov_epi8(_mm512_cmpgt_epu8_mask(q, _mm512_set1_epi8(80)), one);
  c[4] = _mm512_mask_add_epi8(t4, _mm512_cmpgt_epu8_mask(q, _mm512_set1_epi8(char(161))), t4, one);
}

// One block's vpdpbusd for T tokens (x16_vnni.h ternary_blocks). The hardware prefetcher falls
// behind on decode's stream: on Zen 5 asking for whole blocks 4 ahead measured best, on an Intel
// Xeon asking for each line 4 KiB ahead as it is read (kLinesAhead, core/prefetch.h).
template <int T, bool kLinesAhead = false>
struct Dots {
  static constexpr int kChains = ternary_chains(T);
  const Tables& tables;
  void operator()(const uint8_t* blk, int64_t b, const Q8KBlock* const (&y)[T], __m512i (&sum)[T][kChains]) const {
#pragma GCC unroll 13
    for (int chunk = 0; chunk < kTq1Chunks; ++chunk) {
      __m512i c[kTq1PlanesPerChunk];
      if constexpr (kLinesAhead) prefetch_line_ahead(blk + 2 * kInterleaveRows + 64 * chunk);
      chunk_codes(blk + 2 * kInterleaveRows + 64 * chunk, tables, c);
#pragma GCC unroll 5
      for (int n = 0; n < kTq1PlanesPerChunk; ++n) {
        const int p = kTq1PlanesPerChunk * chunk + n;
        if (p >= kTq1Planes) break;
        for (int k = 0; k < T; ++k)
          sum[k][p % kChains] = _mm512_dpbusd_epi32(sum[k][p % kChains], c[n], _mm512_set1_epi32(load_i32(y[k][b].qs + 4 * p)));
      }
    }
  }
};

constexpr int kPrefetchBlocks = 4;  // on AMD (Dots)

}  // namespace

void x16_rows_tq1_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const X16Spans sp = x16_spans(*a.w);
  thread_local std::vector<int32_t> inits;
  ternary_block_offsets(a, sp.n_blocks, inits);
  const Tables tables;
  if (a.n_tokens == 1) {
    const int64_t g0 = r0 / kInterleaveRows, g1 = r1 / kInterleaveRows;
    if (every_kernel_asks_lines_ahead())
      return ternary_one_token<kBlockBytes, 0>(a, sp, g0, g1, inits.data(), Dots<1, true>{tables});
    return ternary_one_token<kBlockBytes, kPrefetchBlocks>(a, sp, g0, g1, inits.data(), Dots<1>{tables});
  }
  for_each_tile<kTile, 4>(a, r0, r1, [&](auto T, int64_t g, int64_t t) {
    ternary_x16_tile<T(), kBlockBytes, kPrefetchBlocks>(a, sp, g, t, inits.data(), Dots<T()>{tables});
  });
}

}  // namespace trit::vnni
