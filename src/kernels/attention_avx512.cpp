// AVX-512F blocked causal attention over an fp16 KV cache (kernels/attention.h defines the
// numerics). A call takes up to 16 queries at a time (a block of tokens x the query heads of one
// KV head) through three stages:
//   scores   per step, 4 keys x 16 queries (8 keys x 8 or 4 queries in smaller calls): 16 dims
//            of a key are widened at once and each 4 of them repeated (a shuffle) against 4
//            queries' partial sums per register, so one fused multiply-add advances 4 dots; 4
//            such registers (16 dots) share a 9-instruction reduction instead of each dot paying
//            a horizontal sum;
//   softmax  key-major scores, one row of 4, 8 or 16 slots per key, so a vector holds the rows
//            of 4, 2 or 1 keys: max, exp and the double sum run 16 lanes at a time while each
//            query still sums its own keys in key order. With one lane per query instead, a
//            decode step's 4 queries left 12 of 16 lanes idle and the softmax took 19% of the
//            attention (2B4T shapes, 512 keys, 1 thread); rows of 4 took the whole call from
//            18.2 to 15.0 us, the same bits;
//   P·V      16 queries (or 8 x 2 chunks, 4 x 4, ...) x 16 output values stay in registers across
//            all keys; each V chunk is widened once and multiplied by every query's probability.
// K and V are read in place, as fp16: widening them into a buffer first cost more (its stores)
// than the conversions it saved, which run beside the multiply-adds.
// Each query's arithmetic (its partial sums, its reduction, its key order) is the same whichever
// slot it occupies and whichever queries share the call, so its output bits do not depend on
// the block.
// GCC 12's AVX-512 intrinsics read a self-initialized "undefined" source (as in the VNNI files).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/attention.h"

namespace trit::avx512 {
// Internal linkage on purpose (kernels/avx2_common.h): these are compiled with AVX-512 flags.
namespace {

constexpr int kLanes = 16;

// Where the head's 16-value chunks are: n chunks, the last one masked to the head's end.
struct Chunks {
  int64_t n;        // ceil(head_dim / 16)
  __mmask16 tail;   // lanes of the last chunk inside the head
  __mmask16 mask(int64_t c) const { return c == n - 1 ? tail : __mmask16(0xFFFF); }
};

// Up to 16 queries of one call, one per lane ("slot"); slots past the real queries pad the
// scores' tiles of 4 (zero q, probabilities 0, never written out).
struct Slots {
  int n_real = 0;
  int n = 0;                    // n_real rounded up to whole tiles of 4; also the scores' row length
  const float* q[kLanes];
  float* out[kLanes];
  int64_t n_kv[kLanes];         // keys the slot's query sees
  int64_t max_kv(int s0, int count) const { return *std::max_element(n_kv + s0, n_kv + s0 + count); }
  int64_t min_kv(int s0, int count) const { return *std::min_element(n_kv + s0, n_kv + s0 + count); }
};

inline __m512 load_f16(const fp16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }

inline __m512 round_f16(__m512 x) {
  return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

// ---- the cache rows ahead of a decode step's walk ----
//
// A decode step reads each layer's K and V from memory (the weights stream through the caches
// between one layer's attention and the next), and the scores' walk (8 keys at a time, 8 bytes of
// each per step) hardly gets the hardware prefetchers going: without help one KV head's 4 queries
// ran at a fifth of the read bandwidth. So a decode call asks for the K rows kDecodeAheadKeys
// keys ahead of the scores, then for the V rows as far ahead of P·V, and the rows arrive while
// the keys before them are computed. Zen 5, benchmarks/attention_bench.cpp from memory, the builds
// alternating, three rounds: 5.0-6.0 -> 3.6-4.5 us at 128 keys, 20.5-22 -> 15-17 at 512, 89-114 ->
// 64-71 at 2048, where asking for all the K rows and then all the V rows before computing took
// the time of both; in cache unchanged. 8 to 32 keys ahead measured alike, 64 to 256 slower
// (71-82 us at 2048).
// Prompts skip it: their blocks' K and V are in L2.
constexpr int64_t kDecodeAheadKeys = 16;

// Asks for every cache line of n rows (row_bytes each, stride halves apart). Always inlined, and
// so must be any helper around it: GCC treats a function whose only effect is a prefetch as
// having none and drops its calls (a non-inlined ask() below compiled to nothing).
inline __attribute__((always_inline)) void prefetch_rows(const fp16_t* rows, int64_t n, int64_t stride,
                                                         int64_t row_bytes) {
  for (int64_t j = 0; j < n; ++j) {
    const auto* row = reinterpret_cast<const char*>(rows + j * stride);
    for (int64_t o = 0; o < row_bytes; o += 64) _mm_prefetch(row + o, _MM_HINT_T0);
  }
}

// K or V rows asked for `keys` ahead of a walk over them (keys 0: none).
struct RowsAhead {
  int64_t keys = 0;
  int64_t stride = 0;     // halves from one row to the next
  int64_t row_bytes = 0;
  int64_t n = 0;          // rows there are
  // Rows j + keys .. j + keys + count - 1, those below n.
  __attribute__((always_inline)) void ask(const fp16_t* rows, int64_t j, int64_t count) const {
    if (keys == 0) return;
    const int64_t a = j + keys, e = std::min(n, a + count);
    if (a < e) prefetch_rows(rows + a * stride, e - a, stride, row_bytes);
  }
  // The first `keys` rows, before the walk starts.
  __attribute__((always_inline)) void start(const fp16_t* rows) const { ask(rows, -keys, keys); }
};

// ---- scores ----

// The queries for the scores, in tiles of 4 (nt tiles; query qi of tile t is slot qi * nt + t):
// for dims 4s .. 4s + 3 ("quad" s) and tile t, 16 floats at qa + (s * nt + t) * 16: the 4
// queries' values of that quad side by side. rows: the widened queries, slot s at rows + s * hdp.
void arrange_queries(const float* rows, int64_t hdp, int nt, float* qa) {
  for (int t = 0; t < nt; ++t)
    for (int64_t c = 0; c < hdp / kLanes; ++c) {
      // 4 rows' chunk c = 4 quads each; quad m of the 4 rows side by side (a 4 x 4 transpose of
      // 128-bit blocks).
      __m512 r[4];
      for (int qi = 0; qi < 4; ++qi) r[qi] = _mm512_loadu_ps(rows + (qi * nt + t) * hdp + 16 * c);
      const __m512 lo01 = _mm512_shuffle_f32x4(r[0], r[1], 0x44), hi01 = _mm512_shuffle_f32x4(r[0], r[1], 0xEE);
      const __m512 lo23 = _mm512_shuffle_f32x4(r[2], r[3], 0x44), hi23 = _mm512_shuffle_f32x4(r[2], r[3], 0xEE);
      const __m512 quad[4] = {_mm512_shuffle_f32x4(lo01, lo23, 0x88), _mm512_shuffle_f32x4(lo01, lo23, 0xDD),
                              _mm512_shuffle_f32x4(hi01, hi23, 0x88), _mm512_shuffle_f32x4(hi01, hi23, 0xDD)};
      for (int m = 0; m < 4; ++m) _mm512_storeu_ps(qa + ((4 * c + m) * nt + t) * kLanes, quad[m]);
    }
}

// Four fp16 values (dims 4s .. 4s + 3 of a key) widened and repeated in all four 128-bit blocks;
// with count_mask, only those values (the head's last dims), the rest 0.
inline __m512 key_quad(const fp16_t* p) {
  int64_t bits;
  std::memcpy(&bits, p, sizeof(bits));
  return _mm512_cvtph_ps(_mm256_set1_epi64x(bits));
}
inline __m512 key_quad(const fp16_t* p, __mmask8 count_mask) {
  return _mm512_cvtph_ps(_mm256_broadcastq_epi64(_mm_maskz_loadu_epi16(count_mask, p)));
}

// acc[kk][t] += q(quad, tile t) * k_kk(quad): every register holds 4 queries x 4 partial sums.
template <int NT, int kKeys>
inline __attribute__((always_inline)) void quad_step(__m512 (&acc)[kKeys][NT], const float* qa_quad,
                                                     const __m512 (&k)[kKeys]) {
  __m512 q[NT];
  for (int t = 0; t < NT; ++t) q[t] = _mm512_loadu_ps(qa_quad + t * kLanes);
#pragma GCC unroll 16
  for (int kk = 0; kk < kKeys; ++kk)
    for (int t = 0; t < NT; ++t) acc[kk][t] = _mm512_fmadd_ps(q[t], k[kk], acc[kk][t]);
}

// Quad kQuad (0..3) of 16 widened dims: its 4 values repeated in every 128-bit block, the same
// vector as key_quad's for those dims. One conversion of 16 values and a shuffle per quad instead
// of a conversion per quad: a decode step's scores (one tile) spent more instructions widening
// keys than multiplying them. benchmarks/attention_bench.cpp, one KV head's 4 queries, Intel Xeon,
// 1 thread: from cache 19.2 -> 16.4 us at 512 keys, 75.6 -> 65.5 at 2048; from memory 29.1-29.7 ->
// 27.4-28.8 and 120-127 -> 114-116 (the rows' latency holds it there).
template <int kQuad>
inline __m512 quad_of_16(__m512 k16) {
  return _mm512_shuffle_f32x4(k16, k16, kQuad * 0x55);
}

// Four accumulators, each holding per 128-bit block qi one query's 4 partial sums p0..p3 (sum r:
// the dims = r mod 4), to one vector: block qi = (a, b, c, d)'s dots (p0 + p2) + (p1 + p3).
inline __m512 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_ps(c, d, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_ps(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
  return _mm512_add_ps(_mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
}

// Scores of all 4 * NT slots for keys [0, n), 16 / NT keys per step (8 for one tile: 16 key
// pointers did not fit the registers): an accumulator is (key, tile). Stored key-major, one row
// of 4 * NT slots per key: st[j * 4 * NT + slot]. Keys past n in the last step repeat the last
// key and are not stored.
template <int NT>
void scores_tile(const float* qa, const fp16_t* k, int64_t kv_stride, int64_t head_dim, int64_t n, float scale,
                 float* st, const RowsAhead& ahead) {
  constexpr int kKeys = NT == 1 ? 8 : kLanes / NT, kSlots = 4 * NT, kGroups = kKeys * NT / 4;
  const int64_t full_quads = head_dim / 4;
  const __mmask8 rest = __mmask8((1u << (head_dim % 4)) - 1);
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int64_t r0 = 0; r0 < n; r0 += kKeys) {
    ahead.ask(k, r0, kKeys);
    const fp16_t* kr[kKeys];
    for (int kk = 0; kk < kKeys; ++kk) kr[kk] = k + std::min(r0 + kk, n - 1) * kv_stride;
    __m512 acc[kKeys][NT];
#pragma GCC unroll 16
    for (int kk = 0; kk < kKeys; ++kk)
#pragma GCC unroll 16
      for (int t = 0; t < NT; ++t) acc[kk][t] = _mm512_setzero_ps();
    __m512 kq[kKeys];
    int64_t s = 0;
    for (; s + 4 <= full_quads; s += 4) {  // 16 dims of each key widened at once
      __m512 k16[kKeys];
      for (int kk = 0; kk < kKeys; ++kk)
        k16[kk] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(kr[kk] + 4 * s)));
      auto quad = [&]<int kQuad>() __attribute__((always_inline)) {
        for (int kk = 0; kk < kKeys; ++kk) kq[kk] = quad_of_16<kQuad>(k16[kk]);
        quad_step<NT, kKeys>(acc, qa + (s + kQuad) * NT * kLanes, kq);
      };
      quad.template operator()<0>();
      quad.template operator()<1>();
      quad.template operator()<2>();
      quad.template operator()<3>();
    }
    for (; s < full_quads; ++s) {
      for (int kk = 0; kk < kKeys; ++kk) kq[kk] = key_quad(kr[kk] + 4 * s);
      quad_step<NT, kKeys>(acc, qa + s * NT * kLanes, kq);
    }
    if (rest != 0) {  // the head's last dims, masked so as not to read past it
      for (int kk = 0; kk < kKeys; ++kk) kq[kk] = key_quad(kr[kk] + 4 * full_quads, rest);
      quad_step<NT, kKeys>(acc, qa + full_quads * NT * kLanes, kq);
    }
    // Four accumulators (keys g * 4 / NT .., all tiles) per vector: lane 4 qi + u for u = key *
    // NT + tile, i.e. slot qi * NT + tile of key g * 4 / NT + u / NT; reordered key-major, the
    // vector is the 4 / NT keys' rows side by side: one store.
#pragma GCC unroll 4
    for (int g = 0; g < kGroups; ++g) {
      const __m512* a = &acc[0][0] + 4 * g;
      __m512 v = _mm512_mul_ps(reduce4(a[0], a[1], a[2], a[3]), vscale);
      if constexpr (NT < 4) {
        static constexpr int32_t kToKeyMajor[2][16] = {
            {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15},   // NT = 1
            {0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15}};  // NT = 2
        v = _mm512_permutexvar_ps(_mm512_loadu_si512(kToKeyMajor[NT - 1]), v);
      }
      const int64_t r = r0 + g * (4 / NT);
      if (r >= n) break;
      const int64_t keys = std::min<int64_t>(4 / NT, n - r);
      _mm512_mask_storeu_ps(st + r * kSlots, __mmask16((1u << (keys * kSlots)) - 1), v);
    }
  }
}

// ---- softmax ----

// ggml_expf (kernels/ggml_order.h) in 16 lanes, the same operations per lane; _mm512_scalef_ps
// is the exact power-of-two scaling of its ldexp (one rounding, also into subnormals), and
// n < -192 gives 0 as there. For x <= 0 (n <= 0), which is all softmax asks.
inline __m512 exp_ggml(__m512 x) {
  const __m512 r = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
  const __m512 n = _mm512_sub_ps(z, r);
  const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                    _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 j = _mm512_fmadd_ps(
      _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                      _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
      u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
  const __mmask16 keep = _mm512_cmp_ps_mask(n, _mm512_set1_ps(-192.0f), _CMP_NLT_UQ);  // NaN stays NaN
  return _mm512_maskz_scalef_ps(keep, j, n);
}

// The per-slot maximum of m's 16 / S rows of S slots, in every row.
template <int S>
inline __m512 max_over_rows(__m512 m) {
  if constexpr (S <= 8) m = _mm512_max_ps(m, _mm512_shuffle_f32x4(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
  if constexpr (S == 4) m = _mm512_max_ps(m, _mm512_shuffle_f32x4(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
  return m;
}

// Each slot's sum in double, the keys added one row after another (key order), and its inverse.
// 16 slots need two registers of 8 doubles, 8 slots one, 4 slots one of 4.
template <int S>
struct SlotSums {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();  // S == 16: slots 0-7, 8-15; S == 8: lo
  __m256d quad = _mm256_setzero_pd();                           // S == 4

  // += the 16 / S rows of e.
  void add(__m512 e) {
    const __m256 e_lo = _mm512_castps512_ps256(e);
    const __m256 e_hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1));
    if constexpr (S == 16) {
      lo = _mm512_add_pd(lo, _mm512_cvtps_pd(e_lo));
      hi = _mm512_add_pd(hi, _mm512_cvtps_pd(e_hi));
    } else if constexpr (S == 8) {
      lo = _mm512_add_pd(_mm512_add_pd(lo, _mm512_cvtps_pd(e_lo)), _mm512_cvtps_pd(e_hi));
    } else {
      quad = _mm256_add_pd(quad, _mm256_cvtps_pd(_mm512_castps512_ps128(e)));
      quad = _mm256_add_pd(quad, _mm256_cvtps_pd(_mm512_extractf32x4_ps(e, 1)));
      quad = _mm256_add_pd(quad, _mm256_cvtps_pd(_mm512_extractf32x4_ps(e, 2)));
      quad = _mm256_add_pd(quad, _mm256_cvtps_pd(_mm512_extractf32x4_ps(e, 3)));
    }
  }

  // float(1.0 / sum) per slot, repeated in each of the 16 / S rows.
  __m512 inverse() const {
    if constexpr (S == 16) {
      const __m512d one = _mm512_set1_pd(1.0);
      return _mm512_castpd_ps(
          _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(_mm512_div_pd(one, lo)))),
                             _mm256_castps_pd(_mm512_cvtpd_ps(_mm512_div_pd(one, hi))), 1));
    } else if constexpr (S == 8) {
      const __m256 inv = _mm512_cvtpd_ps(_mm512_div_pd(_mm512_set1_pd(1.0), lo));
      return _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(inv)));
    } else {
      return _mm512_broadcast_f32x4(_mm256_cvtpd_ps(_mm256_div_pd(_mm256_set1_pd(1.0), quad)));
    }
  }
};

// In place over st[j * S + slot] (S = sl.n slots per key), j < max n_kv: scores -> fp16-rounded
// probabilities (as float), each real slot over its own keys; everything else becomes 0. A vector
// holds 16 / S keys' rows: a decode step's 4 queries take a quarter of the exp and multiply work
// of one key per vector. Each slot's arithmetic is the same for every S: the max, exp(s - max)
// per key, the keys' sum in double in key order, one division.
template <int S>
void softmax_rows(float* st, const Slots& sl) {
  constexpr int kRows = kLanes / S;
  const int64_t n_max = sl.max_kv(0, sl.n);
  alignas(64) int32_t kv[kLanes] = {}, row[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    kv[l] = l % S < sl.n_real ? int32_t(sl.n_kv[l % S]) : 0;  // padding slots: no live keys
    row[l] = l / S;
  }
  const __m512i n_kv = _mm512_load_si512(kv), rows = _mm512_load_si512(row);
  // Lanes of the keys j0 .. j0 + kRows - 1 that belong to a real query's range, and those < n_max.
  auto key = [&](int64_t j0) { return _mm512_add_epi32(rows, _mm512_set1_epi32(int32_t(j0))); };
  auto live = [&](int64_t j0) { return _mm512_cmplt_epi32_mask(key(j0), n_kv); };
  auto stored = [&](int64_t j0) { return _mm512_cmplt_epi32_mask(key(j0), _mm512_set1_epi32(int32_t(n_max))); };

  __m512 m = _mm512_set1_ps(-INFINITY);
  for (int64_t j = 0; j < n_max; j += kRows) m = _mm512_max_ps(m, _mm512_mask_loadu_ps(m, live(j), st + j * S));
  m = max_over_rows<S>(m);
  const __mmask16 real = _mm512_cmplt_epi32_mask(_mm512_setzero_si512(), n_kv);  // real slots have keys
  m = _mm512_maskz_mov_ps(real, m);  // padding lanes: a harmless 0

  // e_j = exp(s_j - m), each slot's sum in double in key order (an exact 0 off its range).
  SlotSums<S> sums;
  for (int64_t j = 0; j < n_max; j += kRows) {
    const __mmask16 lv = live(j);
    const __m512 e = _mm512_maskz_mov_ps(lv, exp_ggml(_mm512_sub_ps(_mm512_maskz_loadu_ps(lv, st + j * S), m)));
    _mm512_mask_storeu_ps(st + j * S, stored(j), e);
    sums.add(e);
  }
  // Padding lanes (sum 0, inverse inf) are zeroed below.
  const __m512 inv = sums.inverse();
  for (int64_t j = 0; j < n_max; j += kRows) {
    const __m512 p = round_f16(_mm512_mul_ps(_mm512_maskz_loadu_ps(stored(j), st + j * S), inv));
    _mm512_mask_storeu_ps(st + j * S, stored(j), _mm512_maskz_mov_ps(real, p));
  }
}

void softmax_lanes(float* st, const Slots& sl) {
  if (sl.n == 4) softmax_rows<4>(st, sl);
  else if (sl.n == 8) softmax_rows<8>(st, sl);
  else softmax_rows<16>(st, sl);
}

// ---- P·V ----

// out of QT slots from s0, chunks c0 .. c0 + DT: the sum over each slot's keys, in order, of
// p * v. Keys below every slot's count run with all accumulators in registers; the few past
// the smallest count (the later tokens of a block) continue from the stored sums, per slot.
// A fused multiply-add rounds exactly as the definition's multiply then add: p and v are both
// fp16 values (11-bit significands, at least 2^-24), so p * v has at most 22 significant bits,
// at least 2^-48: exact in float, and the add's is the only rounding either way. (Measured on
// Zen 5: 15-25% less time than a multiply and an add.)
template <int QT, int DT>
void pv_tile(const float* st, const Slots& sl, int s0, const fp16_t* v, int64_t kv_stride, const Chunks& ch,
             int64_t c0, const RowsAhead& ahead) {
  // Every loop over acc is unrolled: a runtime index would keep the accumulators in memory.
  __m512 acc[QT][DT];
  __mmask16 m[DT];
  for (int dt = 0; dt < DT; ++dt) m[dt] = ch.mask(c0 + dt);
#pragma GCC unroll 16
  for (int qi = 0; qi < QT; ++qi)
#pragma GCC unroll 16
    for (int dt = 0; dt < DT; ++dt) acc[qi][dt] = _mm512_setzero_ps();
  const int64_t lo = sl.min_kv(s0, QT);
  const fp16_t* vr = v + 16 * c0;
  const float* p = st + s0;
  for (int64_t j = 0; j < lo; ++j, vr += kv_stride, p += sl.n) {
    ahead.ask(v, j, 1);
    __m512 vv[DT];
    for (int dt = 0; dt < DT; ++dt) vv[dt] = load_f16(vr + 16 * dt, m[dt]);
#pragma GCC unroll 16
    for (int qi = 0; qi < QT; ++qi) {
      const __m512 pj = _mm512_set1_ps(p[qi]);
#pragma GCC unroll 16
      for (int dt = 0; dt < DT; ++dt) acc[qi][dt] = _mm512_fmadd_ps(pj, vv[dt], acc[qi][dt]);
    }
  }
#pragma GCC unroll 16
  for (int qi = 0; qi < QT; ++qi) {
#pragma GCC unroll 16
    for (int dt = 0; dt < DT; ++dt) _mm512_mask_storeu_ps(sl.out[s0 + qi] + 16 * (c0 + dt), m[dt], acc[qi][dt]);
  }
  for (int qi = 0; qi < QT; ++qi) {
    float* out = sl.out[s0 + qi] + 16 * c0;
    for (int64_t j = lo; j < sl.n_kv[s0 + qi]; ++j) {
      const __m512 pj = _mm512_set1_ps(st[j * sl.n + s0 + qi]);
      for (int dt = 0; dt < DT; ++dt) {
        const __m512 o = _mm512_maskz_loadu_ps(m[dt], out + 16 * dt);
        const __m512 vj = load_f16(v + j * kv_stride + 16 * (c0 + dt), m[dt]);
        _mm512_mask_storeu_ps(out + 16 * dt, m[dt], _mm512_fmadd_ps(pj, vj, o));
      }
    }
  }
}

// All chunks of QT slots from s0: 16 / QT chunks per pass (16 accumulators; at most 8), the rest
// one at a time.
template <int QT>
void pv_slots(const float* st, const Slots& sl, int s0, const fp16_t* v, int64_t kv_stride, const Chunks& ch,
              const RowsAhead& ahead) {
  constexpr int kChunks = std::min(kLanes / QT, 8);
  const RowsAhead none;  // the first pass asks for whole rows; the later ones find them in cache
  int64_t c = 0;
  for (; c + kChunks <= ch.n; c += kChunks)
    pv_tile<QT, kChunks>(st, sl, s0, v, kv_stride, ch, c, c == 0 ? ahead : none);
  for (; c < ch.n; ++c) pv_tile<QT, 1>(st, sl, s0, v, kv_stride, ch, c, c == 0 ? ahead : none);
}

// out = sum over each real slot's keys of p * v: the largest tiles of 16, 8, 4, 2, 1 slots that fit.
void pv_all(const float* st, const Slots& sl, const fp16_t* v, int64_t kv_stride, const Chunks& ch,
            const RowsAhead& ahead) {
  int s = 0;
  for (; s + 16 <= sl.n_real; s += 16) pv_slots<16>(st, sl, s, v, kv_stride, ch, ahead);
  for (; s + 8 <= sl.n_real; s += 8) pv_slots<8>(st, sl, s, v, kv_stride, ch, ahead);
  for (; s + 4 <= sl.n_real; s += 4) pv_slots<4>(st, sl, s, v, kv_stride, ch, ahead);
  for (; s + 2 <= sl.n_real; s += 2) pv_slots<2>(st, sl, s, v, kv_stride, ch, ahead);
  for (; s < sl.n_real; ++s) pv_slots<1>(st, sl, s, v, kv_stride, ch, ahead);
}

// ---- one call ----

// Query tiles of the scores (4 queries each): as few as hold the call's queries.
int qk_tiles(int n_real) { return n_real > 8 ? 4 : n_real > 4 ? 2 : 1; }

// Queries q_first .. q_first + n_real of the block (query i: token i / n_heads, head i % n_heads),
// asking for K and V rows ahead_keys ahead of the walks (0: not at all).
void run_slots(const AttentionBlock& b, int64_t q_first, int n_real, const Chunks& ch, float* scratch,
               int64_t ahead_keys) {
  const int64_t hdp = ch.n * kLanes;  // a head padded to whole chunks
  float* rows = scratch;              // [16][hdp] widened fp16 queries
  float* qa = rows + kLanes * hdp;    // [hdp / 4][tiles][16] the same arranged for the scores
  float* st = qa + kLanes * hdp;      // [max n_kv][sl.n] scores, then probabilities

  const int nt = qk_tiles(n_real);
  Slots sl;
  sl.n_real = n_real;
  sl.n = 4 * nt;
  for (int s = 0; s < sl.n; ++s) {
    const int64_t i = q_first + std::min(s, n_real - 1), t = i / b.n_heads, h = i % b.n_heads;
    sl.q[s] = b.q + t * b.q_stride + h * b.head_dim;
    sl.out[s] = b.out + t * b.out_stride + h * b.head_dim;
    sl.n_kv[s] = b.n_kv + t;
  }
  // q16 = fp16(q), widened once; zero past the head and in padding slots.
  for (int s = 0; s < sl.n; ++s)
    for (int64_t c = 0; c < ch.n; ++c) {
      const __m512 x = s < n_real ? _mm512_maskz_loadu_ps(ch.mask(c), sl.q[s] + 16 * c) : _mm512_setzero_ps();
      _mm512_storeu_ps(rows + s * hdp + 16 * c, round_f16(x));
    }
  arrange_queries(rows, hdp, nt, qa);
  const int64_t n_keys = sl.max_kv(0, sl.n);
  const RowsAhead ahead{ahead_keys, b.kv_stride, b.head_dim * int64_t(sizeof(fp16_t)), n_keys};
  ahead.start(b.k);
  if (nt == 1) scores_tile<1>(qa, b.k, b.kv_stride, b.head_dim, n_keys, b.scale, st, ahead);
  else if (nt == 2) scores_tile<2>(qa, b.k, b.kv_stride, b.head_dim, n_keys, b.scale, st, ahead);
  else scores_tile<4>(qa, b.k, b.kv_stride, b.head_dim, n_keys, b.scale, st, ahead);
  ahead.start(b.v);
  softmax_lanes(st, sl);
  pv_all(st, sl, b.v, b.kv_stride, ch, ahead);
}

}  // namespace

void attention_block_f16(const AttentionBlock& b, float* scratch) {
  const int64_t ahead = b.n_tokens == 1 ? kDecodeAheadKeys : 0;
  const Chunks ch{(b.head_dim + kLanes - 1) / kLanes,
                  __mmask16((1u << ((b.head_dim - 1) % kLanes + 1)) - 1)};
  const int64_t n_queries = b.n_tokens * b.n_heads;
  for (int64_t q0 = 0; q0 < n_queries; q0 += kLanes)
    run_slots(b, q0, int(std::min<int64_t>(kLanes, n_queries - q0)), ch, scratch, ahead);
}

}  // namespace trit::avx512
