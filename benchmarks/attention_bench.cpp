// Blocked causal attention (kernels/attention.h) on 2B4T's shape: head_dim 128, 4 query heads
// per KV head, the KV cache head-major as the model keeps it (one KV head's keys contiguous).
//
//   decode   1 token x the group's 4 query heads against n_kv keys;
//   prefill  4 tokens x 4 query heads (the 16 queries a call fills), the last block of a prompt.
//
// "/mem:dram" runs cycle through copies of the K and V rows filling a 512 MiB buffer
// (dram_ring.h): in a decode step the weights stream through the caches between one layer's
// attention and the next, so each layer's KV cache is read from memory.
//
// Counters: GMAC/s (query x key x head_dim, for the scores and again for P·V), mac_frac against
// threads x the measured 512-bit (or 256-bit for the portable kernel) FMA peak, KV GB/s (the K
// and V bytes the call reads), and for memory-resident runs bw_frac against the read bandwidth of
// the same bytes measured next to the run.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "dram_ring.h"
#include "kernels/attention.h"
#include "machine_peak.h"
#include "timed_run.h"

namespace trit {
namespace {

constexpr int64_t kHeadDim = 128, kGroup = 4;

struct AttentionCase {
  const char* kernel;  // "avx512" | "portable"
  int64_t n_tokens;
  int64_t n_kv;        // keys the block's last token sees
  bool dram;
};

void bm_attention(benchmark::State& state, AttentionCase c) {
  const bool avx512 = std::string(c.kernel) == "avx512";
  // K rows then V rows of one KV head, as one block of bytes so the ring copies both.
  const int64_t rows = c.n_kv, kv_halves = rows * kHeadDim;
  std::vector<fp16_t> kv(size_t(2 * kv_halves));
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& h : kv) h = fp32_to_fp16(dist(rng));
  std::vector<float> q(size_t(c.n_tokens * kGroup * kHeadDim)), out(q.size());
  for (auto& f : q) f = dist(rng);
  std::vector<float> scratch(size_t(attention_block_scratch(c.n_kv, kHeadDim)));

  const auto* bytes = reinterpret_cast<const uint8_t*>(kv.data());
  const size_t kv_bytes = kv.size() * sizeof(fp16_t);
  bench_ring::Copies ring;
  if (c.dram) ring = bench_ring::fill(bytes, kv_bytes);

  AttentionBlock b;
  b.q = q.data();
  b.q_stride = kGroup * kHeadDim;
  b.kv_stride = kHeadDim;
  b.out = out.data();
  b.out_stride = kGroup * kHeadDim;
  b.n_tokens = c.n_tokens;
  b.n_heads = kGroup;
  b.head_dim = kHeadDim;
  b.n_kv = c.n_kv - c.n_tokens + 1;
  b.scale = 0.0884f;
  // Keys seen, summed over the block's tokens.
  int64_t keys = 0;
  for (int64_t t = 0; t < c.n_tokens; ++t) keys += b.n_kv + t;
  const bench_run::PerCall per_call{double(kv_bytes), double(2 * keys * kGroup * kHeadDim)};
  const double mac_peak = peak::gmac_s_per_thread(avx512 ? Isa::kAvx512Vnni : Isa::kAvx2, peak::Arith::kF32Fma);
  bench_run::run(state, ring, bytes, 1, per_call, mac_peak, "KV_GB/s", [&](const uint8_t* data) {
    b.k = reinterpret_cast<const fp16_t*>(data);
    b.v = b.k + kv_halves;
#if defined(__x86_64__)
    if (avx512) avx512::attention_block_f16(b, scratch.data());
    else attention_block_f16_portable(b, scratch.data());
#else
    attention_block_f16_portable(b, scratch.data());
#endif
    benchmark::DoNotOptimize(out.data());
  });
}

int register_all() {
  std::vector<const char*> kernels{"portable"};
  if (attention_block_avx512()) kernels.insert(kernels.begin(), "avx512");
  for (const char* kernel : kernels) {
    for (int64_t n_kv : {128, 512, 2048})
      for (bool dram : {false, true}) {
        const AttentionCase c{kernel, 1, n_kv, dram};
        const std::string name = std::string("attention_") + kernel + "/decode/n_kv:" + std::to_string(n_kv) +
                                 (dram ? "/mem:dram" : "");
        benchmark::RegisterBenchmark(name.c_str(), bm_attention, c)->UseRealTime();
      }
    const AttentionCase prefill{kernel, 4, 512, false};
    benchmark::RegisterBenchmark((std::string("attention_") + kernel + "/prefill/tok:4/n_kv:512").c_str(), bm_attention,
                                 prefill)
        ->UseRealTime();
  }
  return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace trit
