#include "bench/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>

#include "core/cpu.h"
#include "core/log.h"
#include "crossval/ref/reference.h"
#include "kernels/matmul.h"
#include "kernels/stream_read.h"
#include "kernels/thread_pool.h"
#include "model/model.h"

namespace trit::bench {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Deterministic, spread-out token ids (the values do not change the work done).
std::vector<int32_t> bench_tokens(int n, uint32_t n_vocab) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) t[size_t(i)] = int32_t((uint64_t(i) * 7919u + 13u) % n_vocab);
  return t;
}

struct TritRunner {
  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
  std::vector<int32_t> tokens;  // the prompt is the first n_prompt; tg reads past the depth
  std::vector<float> logits;

  Status run_pp(const BenchOptions& o, EngineRuns& out) {
    session->reset();
    auto t0 = Clock::now();
    TRIT_TRY(session->eval(std::span<const int32_t>(tokens.data(), size_t(o.n_prompt)), &logits));
    out.pp_tok_s.push_back(double(o.n_prompt) / seconds_since(t0));
    return {};
  }

  // Without depth, one untimed eval of a token first (a warm-up, as llama-bench does); with it,
  // the depth tokens as one untimed batch.
  Status run_tg(const BenchOptions& o, EngineRuns& out) {
    session->reset();
    const size_t first = size_t(std::max(o.depth, 1));
    TRIT_TRY(session->eval(std::span<const int32_t>(tokens.data(), first), &logits));
    auto g0 = Clock::now();
    for (int i = 0; i < o.n_gen; ++i) {
      auto s0 = Clock::now();
      int32_t tok = tokens[first + size_t(i)];
      TRIT_TRY(session->eval({&tok, 1}, &logits));
      out.tg_latency_ms.push_back(seconds_since(s0) * 1e3);
    }
    out.tg_tok_s.push_back(double(o.n_gen) / seconds_since(g0));
    return {};
  }

  // Right after run_tg, in the same session: paired_tokens(n_gen) more single-token evals at the
  // next positions, each between two read passes of `spans` (Ceiling::paired_fractions).
  Status run_paired(const BenchOptions& o, const std::vector<std::span<const uint8_t>>& spans, Ceiling& c) {
    const size_t first = size_t(std::max(o.depth, 1) + o.n_gen);
    const uint64_t bytes = c.bytes_per_token + c.paired_kv_bytes_per_token;
    double before = read_once(spans, c.threads, &c.checksum, c.read_streams);
    c.paired_read_gb_s.push_back(before);
    for (int i = 0; i < paired_tokens(o.n_gen); ++i) {
      int32_t tok = tokens[first + size_t(i)];
      const auto s0 = Clock::now();
      TRIT_TRY(session->eval({&tok, 1}, &logits));
      const double sec = seconds_since(s0);
      const double after = read_once(spans, c.threads, &c.checksum, c.read_streams);
      c.paired_read_gb_s.push_back(after);
      c.paired_fractions.push_back(paired_fraction(bytes, sec, before, after));
      before = after;
    }
    return {};
  }
};

// A piece of one span; pieces are multiples of 8 bytes from the span's start except a span's last,
// so every thread split reads the same words.
struct Piece {
  const uint8_t* p;
  size_t n;
};
constexpr size_t kPieceBytes = size_t(256) << 10;

// Read passes on each side of a timed decode run; the run's bandwidth is the fastest of them all,
// so one pass slowed by a neighbour (or by a reference engine's threads still winding down) does
// not lower the ceiling.
constexpr int kPassesPerSide = 2;

}  // namespace

double Ceiling::median_read_gb_s() const { return median(read_gb_s); }

double Ceiling::tok_s() const { return tok_s_at(median_read_gb_s()); }

double Ceiling::tok_s_at(double gb_s) const {
  const uint64_t bytes = bytes_per_token + kv_bytes_per_token;
  return bytes == 0 ? 0.0 : gb_s * 1e9 / double(bytes);
}

int paired_tokens(int n_gen) { return std::clamp(n_gen, 0, 16); }

double paired_fraction(uint64_t bytes, double seconds, double read_before_gb_s, double read_after_gb_s) {
  const double read = 0.5 * (read_before_gb_s + read_after_gb_s);
  if (seconds <= 0 || read_before_gb_s <= 0 || read_after_gb_s <= 0) return 0.0;
  return double(bytes) / seconds / 1e9 / read;
}

uint64_t kv_cache_bytes_per_token(uint32_t n_layer, uint32_t n_head_kv, uint32_t head_dim, int first, int n_gen) {
  if (n_gen <= 0) return 0;
  const uint64_t per_position = 2ull * n_layer * n_head_kv * head_dim * sizeof(uint16_t);  // K and V, fp16
  // Mean over i < n_gen of first + i + 1 positions, times 2 to stay in integers.
  const uint64_t twice_mean = 2ull * uint64_t(first) + uint64_t(n_gen) + 1;
  return per_position * twice_mean / 2;
}

DecodeWeights decode_weights(const gguf::File& file) {
  const bool untied = file.find_tensor("output.weight") != nullptr;
  DecodeWeights d;
  for (const auto& t : file.tensors()) {
    if (untied && t.name == "token_embd.weight") continue;
    d.bytes += t.n_bytes;
    d.spans.emplace_back(t.data, size_t(t.n_bytes));
  }
  return d;
}

double read_once(const std::vector<std::span<const uint8_t>>& spans, int threads, uint64_t* checksum, int streams) {
  std::vector<Piece> pieces;
  uint64_t total = 0;
  for (const auto& s : spans) {
    for (size_t off = 0; off < s.size(); off += kPieceBytes) {
      pieces.push_back({s.data() + off, std::min(kPieceBytes, s.size() - off)});
      total += pieces.back().n;
    }
  }
  ThreadPool pool(std::max(1, threads));
  std::atomic<uint64_t> sum{0};
  const auto t0 = Clock::now();
  // Balanced claims (parallel_for_dynamic: each thread walks its contiguous share, then takes
  // pieces of the other's), as trit's matmuls read: the two cores of the Zen 5 VM here stream at
  // different speeds (one 10-25% slower, whichever thread runs on it), and fixed halves measured
  // the slower core twice (57 GB/s against 63 balanced, alternating passes over 1 GB).
  pool.parallel_for_dynamic(int64_t(pieces.size()), 1, [&](int64_t begin, int64_t end) {
    uint64_t s = 0;
    for (int64_t i = begin; i < end; ++i) s ^= xor_stream(pieces[size_t(i)].p, pieces[size_t(i)].n, streams);
    sum.fetch_xor(s, std::memory_order_relaxed);
  }, 1);
  const double sec = seconds_since(t0);
  if (checksum) *checksum = sum.load();
  return sec > 0 ? double(total) / sec / 1e9 : 0.0;
}

int fastest_read_streams(const std::vector<std::span<const uint8_t>>& spans, int threads, uint64_t* checksum) {
  double one = 0.0, many = 0.0;
  for (int i = 0; i < 2; ++i) {
    one = std::max(one, read_once(spans, threads, checksum, 1));
    many = std::max(many, read_once(spans, threads, checksum, kManyReadStreams));
  }
  return many > one ? kManyReadStreams : 1;
}

nlohmann::json ceiling_json(const Ceiling& c, const std::vector<double>& tg_tok_s) {
  std::vector<double> fractions;
  for (size_t i = 0; i < std::min(c.read_gb_s.size(), tg_tok_s.size()); ++i) {
    const double ceil_i = c.tok_s_at(c.read_gb_s[i]);
    if (ceil_i > 0) fractions.push_back(tg_tok_s[i] / ceil_i);
  }
  nlohmann::json j = {{"bytes_per_token", c.bytes_per_token},
          {"kv_bytes_per_token", c.kv_bytes_per_token},
          {"read_gb_s", c.median_read_gb_s()},
          {"read_gb_s_runs", c.read_gb_s},
          {"threads", c.threads},
          {"read_streams", c.read_streams},
          {"tg_tok_s_ceiling", c.tok_s()},
          {"tg_fraction_of_ceiling", median(fractions)}};
  if (!c.paired_fractions.empty())
    j["paired"] = {{"tokens", c.paired_fractions.size()},
                   {"kv_bytes_per_token", c.paired_kv_bytes_per_token},
                   {"read_gb_s", median(c.paired_read_gb_s)},
                   {"tg_fraction", median(c.paired_fractions)},
                   {"tg_fraction_p10", percentile(c.paired_fractions, 10)},
                   {"tg_fraction_p90", percentile(c.paired_fractions, 90)}};
  return j;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const auto rank = size_t(std::ceil(p / 100.0 * double(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;  // Linux reports KiB
}

Result<std::vector<EngineRuns>> run_bench(const BenchOptions& o) {
  if (o.n_prompt < 1 || o.n_gen < 1 || o.reps < 1) return make_error("bench: -p, -n and -r must be >= 1");
  if (o.depth < 0) return make_error("bench: -d must be >= 0");
  constexpr int kMaxTokens = 1 << 20;
  if (o.n_prompt > kMaxTokens || o.n_gen > kMaxTokens || o.depth > kMaxTokens)
    return make_error("bench: -p, -n and -d must be <= " + std::to_string(kMaxTokens));
  ModelOptions mo;
  mo.n_threads = o.threads;
  // Decode's positions: the warm-up token or the depth, the timed tokens, then the paired ones.
  const int decode_positions = std::max(o.depth, 1) + o.n_gen + (o.ceiling ? paired_tokens(o.n_gen) : 0);
  mo.n_ctx = std::max(o.n_prompt, decode_positions) + 8;
  auto model = Model::load(o.model, mo);
  if (!model.ok()) return model.error();
  TritRunner trit;
  trit.model = std::move(*model);
  trit.session = std::make_unique<Session>(*trit.model);
  if (const uint32_t train = trit.model->hparams().n_ctx_train; train > 0 && uint32_t(mo.n_ctx) > train)
    TRIT_LOG_WARN("bench: %d positions exceed the model's training context (%u); the speed is still measured",
                  mo.n_ctx, train);
  trit.tokens = bench_tokens(std::max(o.n_prompt, decode_positions), trit.model->hparams().n_vocab);
  const std::span<const int32_t> prompt(trit.tokens.data(), size_t(o.n_prompt));

  std::vector<EngineRuns> runs(1);
  runs[0].engine = "trit";

  std::unique_ptr<crossval::Reference> ref;
  std::unique_ptr<crossval::RefModel> ref_model;
  if (!o.ref.empty()) {
    auto lane = crossval::lane_from_name(o.ref);
    if (!lane.ok()) return lane.error();
    auto load = crossval::load_reference(*lane, "");
    if (!load.ref) return make_error("bench: reference '" + o.ref + "' not available in this build or machine: " + load.reason +
                                     (load.fix.empty() ? "" : " (fix: " + load.fix + ")"));
    ref = std::move(load.ref);
    crossval::RefOpenOptions ro;
    ro.n_ctx = mo.n_ctx;
    ro.n_threads = o.threads;
    auto rm = ref->open(o.model, ro);
    if (!rm.ok()) return rm.error();
    ref_model = std::move(*rm);
    runs.push_back({});
    runs[1].engine = ref->info().name.empty() ? o.ref : ref->info().name;
    // The shim exposes whole evaluations only. pp is greedy(prompt, 0): one batch with logits for
    // the last position only, as trit's prompt eval and llama-bench do. tg is greedy(1-token
    // prompt, n + 1): n + 1 single-token evals, like trit's one warm-up eval plus n timed ones,
    // so no per-token latencies. With a depth, tg is greedy(depth tokens, n + 1) with the n
    // single-token evals after the depth's batch timed inside the shim (trit_ref_greedy_timed).
    runs[1].note = o.depth == 0 ? "pp: greedy(prompt, 0) (last-position logits); tg: greedy(1-token prompt, n + 1), n + 1 evals timed"
                                : "pp: greedy(prompt, 0) (last-position logits); tg: greedy(depth tokens, n + 1), the n evals "
                                  "after the depth's batch timed in the shim";
  }

  // The ceiling's reads (src/bench/README.md): kPassesPerSide passes just before and just after
  // every timed decode run, of trit's resident weights (no memory added, so the peak RSS stays the
  // engines').
  std::vector<std::span<const uint8_t>> spans;
  if (o.ceiling) {
    spans = trit.model->decode_weight_spans();
    Ceiling c;
    c.bytes_per_token = decode_weights(trit.model->file()).bytes;
    const HParams& hp = trit.model->hparams();
    c.kv_bytes_per_token = kv_cache_bytes_per_token(hp.n_layer, hp.n_head_kv, hp.head_dim, std::max(o.depth, 1), o.n_gen);
    c.paired_kv_bytes_per_token = kv_cache_bytes_per_token(hp.n_layer, hp.n_head_kv, hp.head_dim,
                                                           std::max(o.depth, 1) + o.n_gen, paired_tokens(o.n_gen));
    c.threads = o.threads > 0 ? o.threads : default_thread_count();
    c.read_streams = fastest_read_streams(spans, c.threads, &c.checksum);
    for (auto& r : runs) r.ceiling = c;
  }
  auto best_of_passes = [&](Ceiling& c) {
    double best = 0.0;
    for (int i = 0; i < kPassesPerSide; ++i)
      best = std::max(best, read_once(spans, c.threads, &c.checksum, c.read_streams));
    return best;
  };
  auto timed_decode = [&](EngineRuns& r, const std::function<Status()>& decode) -> Status {
    if (!r.ceiling) return decode();
    const double before = best_of_passes(*r.ceiling);
    TRIT_TRY(decode());
    const double after = best_of_passes(*r.ceiling);
    r.ceiling->read_gb_s.push_back(std::max(before, after));
    return {};
  };

  // A run at 1 thread with a reference takes minutes: a bar on a terminal (nothing otherwise),
  // advanced between the timed runs, never inside one.
  Progress progress("bench", uint64_t(o.reps) * (ref_model ? 4 : 2));
  uint64_t steps = 0;
  auto step_done = [&] { progress.update(++steps); };
  for (int rep = 0; rep < o.reps; ++rep) {
    TRIT_TRY(trit.run_pp(o, runs[0]));
    step_done();
    TRIT_TRY(timed_decode(runs[0], [&] { return trit.run_tg(o, runs[0]); }));
    if (runs[0].ceiling) TRIT_TRY(trit.run_paired(o, spans, *runs[0].ceiling));
    step_done();
    if (ref_model) {
      auto t0 = Clock::now();
      auto l = ref_model->greedy(prompt, 0);
      if (!l.ok()) return l.error();
      runs[1].pp_tok_s.push_back(double(o.n_prompt) / seconds_since(t0));
      step_done();
      TRIT_TRY(timed_decode(runs[1], [&]() -> Status {
        if (o.depth > 0) {
          const std::span<const int32_t> context(trit.tokens.data(), size_t(o.depth));
          auto g = ref_model->greedy_timed(context, o.n_gen + 1);
          if (!g.ok()) return g.error();
          runs[1].tg_tok_s.push_back(g->decode_seconds > 0 ? double(o.n_gen) / g->decode_seconds : 0.0);
          return {};
        }
        auto g0 = Clock::now();
        auto g = ref_model->greedy(std::span<const int32_t>(trit.tokens.data(), 1), o.n_gen + 1);
        if (!g.ok()) return g.error();
        runs[1].tg_tok_s.push_back(double(o.n_gen + 1) / seconds_since(g0));
        return {};
      }));
      step_done();
    }
  }
  progress.finish();
  const double rss = peak_rss_mb();
  for (auto& r : runs) r.rss_peak_mb = rss;
  return runs;
}

nlohmann::json model_json(const std::string& path) {
  nlohmann::json m = {{"path", path}};
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) m["size_mb"] = double(size) / (1024.0 * 1024.0);
  return m;
}

nlohmann::json bench_json(const BenchOptions& o, const EngineRuns& r, const nlohmann::json& model, double rss_mb) {
  nlohmann::json tg = {{"n_tokens", o.n_gen}, {"depth", o.depth}, {"tok_s", r.tg_tok_s}, {"tok_s_median", median(r.tg_tok_s)}};
  if (!r.tg_latency_ms.empty()) {
    tg["latency_ms_p50"] = percentile(r.tg_latency_ms, 50);
    tg["latency_ms_p95"] = percentile(r.tg_latency_ms, 95);
  } else {
    tg["latency_ms_p50"] = nullptr;
    tg["latency_ms_p95"] = nullptr;
  }
  nlohmann::json j = {
      {"schema", "trit.bench/1"},
      {"engine", r.engine},
      {"model", model},
      {"threads", o.threads},
      {"pp", {{"n_tokens", o.n_prompt}, {"tok_s", r.pp_tok_s}, {"tok_s_median", median(r.pp_tok_s)}}},
      {"tg", tg},
      {"rss_peak_mb", rss_mb},
      {"platform", {{"cpu", cpu_model_name()}, {"cpu_features", cpu_features_string()}}},
  };
  if (r.engine == "trit") {
    nlohmann::json k;
    for (auto t : {TensorType::TQ2_0, TensorType::TQ1_0, TensorType::I2_S, TensorType::F16, TensorType::Q8_0,
                   TensorType::Q4_0, TensorType::Q6_K})
      k[std::string(tensor_type_name(t))] = matmul_kernel_name(t);
    j["kernels"] = k;
  }
  if (!r.note.empty()) j["note"] = r.note;
  if (r.ceiling) j["ceiling"] = ceiling_json(*r.ceiling, r.tg_tok_s);
  return j;
}

}  // namespace trit::bench
