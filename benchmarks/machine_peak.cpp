#include "machine_peak.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "bench/bench.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace trit::peak {

double read_gb_s(std::span<const uint8_t> bytes, int threads, int passes) {
  const std::vector<std::span<const uint8_t>> spans{bytes};
  // Both read patterns (bench::fastest_read_streams), the faster counting, as trit bench's ceiling.
  double best = 0.0;
  for (int i = 0; i < passes; ++i)
    for (int streams : {1, bench::kManyReadStreams}) best = std::max(best, bench::read_once(spans, threads, nullptr, streams));
  return best;
}

namespace {

using Clock = std::chrono::steady_clock;

// Independent accumulator chains: enough to cover the latency (4-5 cycles) times the throughput
// (1-2 per cycle) of every instruction below on current x86 cores.
constexpr int kChains = 12;
constexpr int64_t kIterations = 4'000'000;

#if defined(__x86_64__)
// Each function returns the multiply-accumulates it did; `seed` comes from outside so the
// compiler cannot fold the loop, and the accumulators are stored to `sink` so it cannot drop it.
__attribute__((target("avx512f,avx512vnni"))) int64_t vnni_dots(int32_t seed, int32_t* sink) {
  __m512i acc[kChains];
  for (auto& a : acc) a = _mm512_set1_epi32(seed);
  const __m512i u = _mm512_set1_epi8(char(seed | 1)), s = _mm512_set1_epi8(char(seed + 3));
  for (int64_t i = 0; i < kIterations; ++i)
    for (auto& a : acc) a = _mm512_dpbusd_epi32(a, u, s);
  __m512i t = acc[0];
  for (int c = 1; c < kChains; ++c) t = _mm512_add_epi32(t, acc[c]);
  _mm512_storeu_si512(sink, t);
  return kIterations * kChains * 64;
}

__attribute__((target("avx512f"))) int64_t avx512_fmas(int32_t seed, int32_t* sink) {
  __m512 acc[kChains];
  for (auto& a : acc) a = _mm512_set1_ps(float(seed));
  const __m512 m = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(float(seed) * 1e-3f);
  for (int64_t i = 0; i < kIterations; ++i)
    for (auto& a : acc) a = _mm512_fmadd_ps(a, m, b);
  __m512 t = acc[0];
  for (int c = 1; c < kChains; ++c) t = _mm512_add_ps(t, acc[c]);
  _mm512_storeu_si512(sink, _mm512_castps_si512(t));
  return kIterations * kChains * 16;
}

// AVX2's int8 dot: vpmaddubsw (32 products, pairs summed to int16) then vpmaddwd by ones (to
// int32) and an add, the sequence the AVX2 kernels use.
__attribute__((target("avx2"))) int64_t avx2_dots(int32_t seed, int32_t* sink) {
  __m256i acc[kChains];
  for (auto& a : acc) a = _mm256_set1_epi32(seed);
  const __m256i u = _mm256_set1_epi8(char(seed | 1)), s = _mm256_set1_epi8(char(seed + 3));
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < kIterations; ++i)
    for (auto& a : acc) a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), ones));
  __m256i t = acc[0];
  for (int c = 1; c < kChains; ++c) t = _mm256_add_epi32(t, acc[c]);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(sink), t);
  return kIterations * kChains * 32;
}

__attribute__((target("avx2,fma"))) int64_t avx2_fmas(int32_t seed, int32_t* sink) {
  __m256 acc[kChains];
  for (auto& a : acc) a = _mm256_set1_ps(float(seed));
  const __m256 m = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(float(seed) * 1e-3f);
  for (int64_t i = 0; i < kIterations; ++i)
    for (auto& a : acc) a = _mm256_fmadd_ps(a, m, b);
  __m256 t = acc[0];
  for (int c = 1; c < kChains; ++c) t = _mm256_add_ps(t, acc[c]);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(sink), _mm256_castps_si256(t));
  return kIterations * kChains * 8;
}
#endif

using PeakLoop = int64_t (*)(int32_t, int32_t*);

PeakLoop peak_loop(Isa isa, Arith arith) {
#if defined(__x86_64__)
  switch (isa) {
    case Isa::kAvx2: return arith == Arith::kInt8Dot ? avx2_dots : avx2_fmas;
    case Isa::kAvx512Vnni:
    case Isa::kAvx512Vbmi: return arith == Arith::kInt8Dot ? vnni_dots : avx512_fmas;
    default: return nullptr;
  }
#else
  (void)isa;
  (void)arith;
  return nullptr;
#endif
}

// The fastest of three timed runs: a run that lost the core to another process is not the peak.
double measure(PeakLoop loop) {
  static volatile int32_t seed = 1;
  alignas(64) int32_t sink[16];
  double best = 0.0;
  for (int run = 0; run < 3; ++run) {
    const auto t0 = Clock::now();
    const int64_t macs = loop(seed, sink);
    const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
    if (sec > 0) best = std::max(best, double(macs) / sec / 1e9);
  }
  return best;
}

}  // namespace

double gmac_s_per_thread(Isa isa, Arith arith) {
  const PeakLoop loop = peak_loop(isa, arith);
  if (loop == nullptr || !isa_available(isa)) return 0.0;
  static std::mutex mu;
  static std::map<std::pair<Isa, Arith>, double> cache;
  const std::lock_guard lock(mu);
  auto [it, inserted] = cache.try_emplace({isa, arith}, 0.0);
  if (inserted) it->second = measure(loop);
  return it->second;
}

}  // namespace trit::peak
