// `trit bench` (CONTRACT.md): prompt processing (one batched eval of n_prompt tokens) and text
// generation (n_gen single-token evals) throughput of trit, and optionally of a reference engine
// through the crossval shim in the same process, runs alternating so both see the same machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace trit::bench {

struct BenchOptions {
  std::string model;
  int n_prompt = 512;
  int n_gen = 128;
  int threads = 0;  // 0: all cores
  int reps = 3;
  std::string ref;  // "", "llama" or "bitnet"
};

struct EngineRuns {
  std::string engine;  // "trit", "llama.cpp", ...
  std::vector<double> pp_tok_s;
  std::vector<double> tg_tok_s;
  std::vector<double> tg_latency_ms;  // every decoded token of every run (empty: not measurable)
  std::string note;                   // how it was measured, when it differs from trit's way
};

double median(std::vector<double> v);
double percentile(std::vector<double> v, double p);  // nearest rank, p in [0, 100]
double peak_rss_mb();                                // getrusage: this process's peak so far

// Runs the benchmark; the first entry is trit, the second the reference when opts.ref is set.
Result<std::vector<EngineRuns>> run_bench(const BenchOptions& opts);

// One `trit.bench/1` object per engine.
nlohmann::json bench_json(const BenchOptions& opts, const EngineRuns& runs, const nlohmann::json& model,
                          double rss_mb);
nlohmann::json model_json(const std::string& path);  // path, arch, size, kernels chosen

}  // namespace trit::bench
