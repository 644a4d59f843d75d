// Per-variant matmul throughput on 2B4T-like shapes (2560 x 2560 ternary; F16 2560 x 4096 slice
// of the head). Registered from the variant tables, so a new variant is benchmarked automatically;
// variants that read the 16-row layout (kernels/repack.h) also run on it, named "<variant>_x16".
// Counters: GB/s = weight bytes read per second (decode is bandwidth-bound: compare with the
// machine's measured read bandwidth), GMAC/s = rows * cols * tokens per second.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/matmul_variants.h"
#include "kernels/repack.h"
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
    {TensorType::Q8_0, 2048, 2048},  {TensorType::Q4_0, 2048, 2048},  {TensorType::F16, 4096, 2560},
    {TensorType::Q6_K, 2048, 2048},
};

// interleaved: run on the weights rewritten in kernels/repack.h's 16-row layout (what the model
// loads for variants that read it), else on the file's row-major layout.
void bm_matmul(benchmark::State& state, Shape s, const MatmulVariant* v, int64_t n_tokens, int threads,
               bool interleaved) {
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> wf(size_t(s.rows * s.cols)), x(size_t(n_tokens * s.cols));
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
  if (interleaved) {
    packed.resize(size_t(w.row_bytes) * size_t(s.rows));
    repack_interleaved(s.type, bytes.data(), packed.data(), s.rows, s.cols);
    w.data = packed.data();
    w.interleave = kInterleaveRows;
  }
  std::vector<float> y(size_t(n_tokens * s.rows));
  ThreadPool pool(threads);
  for (auto _ : state) {
    matmul_with(*v, w, x.data(), n_tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  const double it = double(state.iterations());
  state.counters["GB/s"] = benchmark::Counter(it * double(w.row_bytes) * double(s.rows) / 1e9, benchmark::Counter::kIsRate);
  state.counters["GMAC/s"] =
      benchmark::Counter(it * double(s.rows * s.cols * n_tokens) / 1e9, benchmark::Counter::kIsRate);
}

int register_all() {
  for (const auto& s : kShapes)
    for (const auto& v : matmul_variants(s.type)) {
      if (!isa_available(v.isa)) continue;
      for (bool interleaved : {false, true}) {
        if (interleaved && !(v.interleaves() && can_interleave(s.type, s.rows))) continue;
        for (int64_t n_tokens : {1, 16})
          for (int threads : {1, 2}) {
            const std::string name = std::string(v.name) + (interleaved ? "_x16" : "") + "/" + std::to_string(s.rows) +
                                     "x" + std::to_string(s.cols) + "/tok:" + std::to_string(n_tokens) +
                                     "/t:" + std::to_string(threads);
            benchmark::RegisterBenchmark(name.c_str(), bm_matmul, s, &v, n_tokens, threads, interleaved)->UseRealTime();
          }
      }
    }
  return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace trit

BENCHMARK_MAIN();
