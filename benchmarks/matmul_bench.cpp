// Per-variant matmul throughput on 2B4T-like shapes (2560 x 2560 ternary, and 2560 x 6912, the FFN
// down projection's long rows; F16 2560 x 4096 slice of the head), for 1 token (decode), 16 and
// 128 (prompt tiles), reported against the machine's measured peaks (machine_peak.h). Registered from
// the variant tables, so a new variant is benchmarked automatically; variants that read the
// 16-row layout (kernels/repack.h) also run on it, named "<variant>_x16".
//
// Counters: GB/s = weight bytes read per second, GMAC/s = rows * cols * tokens per second, and
// mac_frac = GMAC/s over threads x the measured per-thread peak of the instruction the variant is
// built on (how close a cache-resident prompt kernel is to the core's arithmetic limit).
//
// Decode streams every weight from memory once per token, which a 2-21 MB matrix repeated in a
// loop does not: it stays in L2/L3. The "/mem:dram" runs (one token, SIMD variants) therefore cycle
// through copies of the matrix filling bench_ring::kBytes (512 MiB), so each iteration reads memory, and report
// bw_frac = GB/s over the read bandwidth measured over the same bytes, with the same threads, just
// before and after the run (the fastest of two passes on each side: trit bench's ceiling).
//
// TRIT_BENCH_ROWS=N cuts every matrix to N rows (a multiple of 16): at 512 the ternary matrices
// (0.33 MB) fit one core's L2, so the cache runs show what a kernel computes with memory out of the
// way (at 2560 rows they spill into a VM's L3 on some machines).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "dram_ring.h"
#include "kernels/matmul_variants.h"
#include "kernels/repack.h"
#include "machine_peak.h"
#include "timed_run.h"
#include "quant/formats.h"
#include "quant/i2_s.h"

namespace trit {
namespace {

struct Shape {
  TensorType type;
  int64_t rows, cols;
};

constexpr Shape kShapes[] = {
    {TensorType::TQ2_0, 2560, 2560}, {TensorType::TQ1_0, 2560, 2560}, {TensorType::I2_S, 2560, 2560},
    {TensorType::TQ2_0, 2560, 6912}, {TensorType::I2_S, 2560, 6912},  // FFN down: long rows
    {TensorType::Q8_0, 2048, 2048},  {TensorType::Q4_0, 2048, 2048},  {TensorType::F16, 4096, 2560},
    {TensorType::Q6_K, 2048, 2048},
};

enum class Residence { kCache, kDram };

struct Case {
  Shape shape;
  const MatmulVariant* variant;
  int64_t n_tokens;
  int threads;
  bool interleaved;  // kernels/repack.h's 16-row layout (what the model loads for such variants)
  Residence residence;
};

peak::Arith arith_of(TensorType type) { return type == TensorType::F16 ? peak::Arith::kF32Fma : peak::Arith::kInt8Dot; }

void bm_matmul(benchmark::State& state, Case c) {
  const Shape s = c.shape;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> wf(size_t(s.rows * s.cols)), x(size_t(c.n_tokens * s.cols));
  for (auto& f : wf) f = dist(rng);
  for (auto& f : x) f = dist(rng);
  std::vector<uint8_t> bytes(size_t(*quant::quantized_tensor_bytes(s.type, s.rows, s.cols)));
  if (!quant::quantize_tensor(s.type, wf.data(), s.rows, s.cols, bytes.data()).ok()) {
    state.SkipWithError("quantize failed");
    return;
  }
  const auto* traits = quant::format_traits(s.type);
  WeightMatrix w{.type = s.type, .data = bytes.data(), .rows = s.rows, .cols = s.cols,
                 .row_bytes = size_t(s.cols / traits->block_size * traits->type_size)};
  if (s.type == TensorType::I2_S) w.tensor_scale = quant::i2_s_scale(bytes.data(), s.rows * s.cols);
  std::vector<uint8_t> packed;
  if (c.interleaved) {
    packed.resize(size_t(w.row_bytes) * size_t(s.rows));
    repack_interleaved(s.type, bytes.data(), packed.data(), s.rows, s.cols);
    w.data = packed.data();
    w.interleave = kInterleaveRows;
  }
  // Memory-resident: copies of the matrix (with I2_S's trailing scale) cycled through.
  bench_ring::Copies ring;
  if (c.residence == Residence::kDram) ring = bench_ring::fill(w.data, c.interleaved ? packed.size() : bytes.size());

  std::vector<float> y(size_t(c.n_tokens * s.rows));
  ThreadPool pool(c.threads);
  const bench_run::PerCall per_call{double(w.row_bytes) * double(s.rows), double(s.rows * s.cols * c.n_tokens)};
  const double mac_peak = peak::gmac_s_per_thread(c.variant->isa, arith_of(s.type)) * c.threads;
  bench_run::run(state, ring, w.data, c.threads, per_call, mac_peak, "GB/s", [&](const uint8_t* data) {
    w.data = data;
    matmul_with(*c.variant, w, x.data(), c.n_tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  });
}

std::string case_name(const Case& c) {
  const Shape& s = c.shape;
  return std::string(c.variant->name) + (c.interleaved ? "_x16" : "") + "/" + std::to_string(s.rows) + "x" +
         std::to_string(s.cols) + "/tok:" + std::to_string(c.n_tokens) + "/t:" + std::to_string(c.threads) +
         (c.residence == Residence::kDram ? "/mem:dram" : "");
}

// The measured peaks, in the context block every output format prints.
void add_peak_context() {
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512Vnni}) {
    if (!isa_available(isa)) continue;
    const std::string n(isa_name(isa));
    benchmark::AddCustomContext("peak_int8_gmac_s_per_thread_" + n,
                                std::to_string(peak::gmac_s_per_thread(isa, peak::Arith::kInt8Dot)));
    benchmark::AddCustomContext("peak_f32_fma_gmac_s_per_thread_" + n,
                                std::to_string(peak::gmac_s_per_thread(isa, peak::Arith::kF32Fma)));
  }
}

// kShapes, cut to TRIT_BENCH_ROWS rows when it names a positive multiple of 16.
std::vector<Shape> shapes() {
  std::vector<Shape> out(std::begin(kShapes), std::end(kShapes));
  if (const char* e = std::getenv("TRIT_BENCH_ROWS"); e != nullptr && *e != '\0') {
    const long rows = std::strtol(e, nullptr, 10);
    if (rows > 0 && rows % 16 == 0)
      for (auto& s : out) s.rows = rows;
    else
      std::fprintf(stderr, "TRIT_BENCH_ROWS=%s ignored: expected a positive multiple of 16\n", e);
  }
  return out;
}

int register_all() {
  add_peak_context();
  for (const auto& s : shapes())
    for (const auto& v : matmul_variants(s.type)) {
      if (!isa_available(v.isa)) continue;
      for (bool interleaved : {false, true}) {
        if (interleaved && !(v.interleaves() && can_interleave(s.type, s.rows))) continue;
        for (int64_t n_tokens : {1, 16, 128})
          for (int threads : {1, 2})
            for (Residence r : {Residence::kCache, Residence::kDram}) {
              if (r == Residence::kDram && (n_tokens != 1 || v.isa == Isa::kScalar)) continue;
              const Case c{s, &v, n_tokens, threads, interleaved, r};
              benchmark::RegisterBenchmark(case_name(c).c_str(), bm_matmul, c)->UseRealTime();
            }
      }
    }
  return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace trit

BENCHMARK_MAIN();
