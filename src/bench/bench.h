// `trit bench` (CONTRACT.md): prompt processing (one batched eval of n_prompt tokens) and text
// generation (n_gen single-token evals) throughput of trit, and optionally of a reference engine
// through the crossval shim in the same process, runs alternating so both see the same machine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "gguf/gguf.h"

namespace trit::bench {

struct BenchOptions {
  std::string model;
  int n_prompt = 512;
  int n_gen = 128;
  // Context already in the cache when tg starts (llama-bench's -d): depth tokens are evaluated as
  // one untimed batch, then the n_gen timed evals run at positions depth .. depth + n_gen - 1.
  int depth = 0;
  int threads = 0;  // 0: all cores
  int reps = 3;
  std::string ref;  // "", "llama" or "bitnet"
  bool ceiling = true;  // measure the memory-bandwidth ceiling of decode (--no-ceiling: off)
};

// The memory-bandwidth ceiling of decode (README.md): one decoded token reads every weight byte once,
// so tokens/s cannot exceed read bandwidth / weight bytes per token. Shared machines drift by tens
// of percent within minutes, so the bandwidth is measured next to each timed decode run.
struct Ceiling {
  uint64_t bytes_per_token = 0;
  // The fp16 K and V a timed decode token reads from the cache, averaged over the timed tokens
  // (kv_cache_bytes_per_token): 0.4% of the weights for 2B4T's tg128 from an empty context, about 7%
  // at a depth of 1024. Part of the bytes the ceiling divides by; not read by the passes.
  uint64_t kv_bytes_per_token = 0;
  int threads = 1;
  int read_streams = 1;  // streams per piece of every read pass (fastest_read_streams)
  // One per timed decode run of the engine, in order: the read bandwidth (1e9 bytes/s) of the fastest
  // of four read_once passes, two just before the run and two just after it.
  std::vector<double> read_gb_s;
  uint64_t checksum = 0;  // xor of the bytes read (keeps the reads from being optimised out)
  // Token-paired fractions (trit only; README.md): after each timed decode run, paired_tokens()
  // more single-token evals, each between two read passes, and per token its bytes/s over the mean
  // bandwidth of those two passes (paired_fraction). A run-level fraction sets a multi-second
  // decode run, which every burst of a neighbour's traffic slows, against the fastest of four short
  // passes; here each token meets the machine of its own 40 ms.
  uint64_t paired_kv_bytes_per_token = 0;  // the KV cache a paired token reads (they follow the run)
  std::vector<double> paired_fractions;    // one per paired token, all runs
  std::vector<double> paired_read_gb_s;    // every pass between them

  double median_read_gb_s() const;
  double tok_s() const;                // the ceiling at the median bandwidth
  double tok_s_at(double gb_s) const;  // gb_s * 1e9 / (bytes_per_token + kv_bytes_per_token)
};

// Paired tokens per timed decode run: 16, or n_gen when that is fewer.
int paired_tokens(int n_gen);

// One paired token's fraction: bytes / seconds against the mean of the passes before and after it
// (1e9 bytes/s each); 0 when a pass or the time is not positive.
double paired_fraction(uint64_t bytes, double seconds, double read_before_gb_s, double read_after_gb_s);

// The mean bytes of KV cache (fp16 K and V, every layer) read per decode token by n_gen tokens
// evaluated after `first` positions: token i attends to first + i + 1 positions.
uint64_t kv_cache_bytes_per_token(uint32_t n_layer, uint32_t n_head_kv, uint32_t head_dim, int first, int n_gen);

// The weight bytes a single-token decode reads: every tensor of the file (all layers' matmul weights
// and their norms and scales, output_norm, rope_freqs) and the head, except token_embd.weight when a
// separate output.weight exists (then decode reads one row of it). With tied embeddings token_embd is
// the head and is read in full for the logits. Spans point into the file's mapping.
struct DecodeWeights {
  uint64_t bytes = 0;
  std::vector<std::span<const uint8_t>> spans;  // one per tensor, file order
};
DecodeWeights decode_weights(const gguf::File& file);

// One timed stream-read of `spans` over `threads` threads, in 256 KiB pieces claimed as
// ThreadPool::parallel_for_dynamic balances them (each thread one contiguous run unless the other
// is slower); each thread xors 64-bit words, each piece as `streams` interleaved streams
// (kernels/stream_read.h). Returns the bytes/s; *checksum (if set) gets the xor of every span's
// words (tail bytes zero-padded), which does not depend on the thread or stream count.
double read_once(const std::vector<std::span<const uint8_t>>& spans, int threads, uint64_t* checksum = nullptr,
                 int streams = 1);

// The streams per piece read_once reads fastest with here, 1 or kManyReadStreams: the better of
// two passes each, alternating. Some CPUs read faster from several streams at once than from one
// (an Intel Xeon: 8 streams 19-21 GB/s at 1 thread against 14-17), and the ceiling is the
// machine's fastest read, so every ceiling pass uses this.
inline constexpr int kManyReadStreams = 8;
int fastest_read_streams(const std::vector<std::span<const uint8_t>>& spans, int threads, uint64_t* checksum = nullptr);

struct EngineRuns {
  std::string engine;  // "trit", "llama.cpp", ...
  std::vector<double> pp_tok_s;
  std::vector<double> tg_tok_s;
  std::vector<double> tg_latency_ms;  // every decoded token of every run (empty: not measurable)
  std::string note;                   // how it was measured, when it differs from trit's way
  std::optional<Ceiling> ceiling;     // this engine's decode runs' ceilings; unset with --no-ceiling
  double rss_peak_mb = 0.0;           // this process's peak RSS when the runs ended
};

double median(std::vector<double> v);
double percentile(std::vector<double> v, double p);  // nearest rank, p in [0, 100]
double peak_rss_mb();                                // getrusage: this process's peak so far

// Runs the benchmark; the first entry is trit, the second the reference when opts.ref is set.
Result<std::vector<EngineRuns>> run_bench(const BenchOptions& opts);

// One `trit.bench/1` object per engine.
nlohmann::json bench_json(const BenchOptions& opts, const EngineRuns& runs, const nlohmann::json& model,
                          double rss_mb);
nlohmann::json model_json(const std::string& path);  // {"path", "size_mb"}
// {"bytes_per_token", "kv_bytes_per_token", "read_gb_s" (median over runs), "read_gb_s_runs", "threads", "tg_tok_s_ceiling"
//  (at the median bandwidth), "tg_fraction_of_ceiling"} for an engine whose decode runs gave
// tg_tok_s: the fraction is the median over runs i of tg_tok_s[i] / (the ceiling at read_gb_s[i]),
// so each run is compared with the bandwidth measured next to it. With paired tokens, also
// "paired": {"tokens", "kv_bytes_per_token", "read_gb_s" (median pass), "tg_fraction" (median),
// "tg_fraction_p10", "tg_fraction_p90"}.
nlohmann::json ceiling_json(const Ceiling& c, const std::vector<double>& tg_tok_s);

}  // namespace trit::bench
