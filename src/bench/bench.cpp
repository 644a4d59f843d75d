#include "bench/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <set>

#include "core/cpu.h"
#include "crossval/ref/reference.h"
#include "kernels/matmul.h"
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
  std::vector<int32_t> prompt;
  std::vector<float> logits;

  Status run(const BenchOptions& o, EngineRuns& out) {
    session->reset();
    auto t0 = Clock::now();
    TRIT_TRY(session->eval(prompt, &logits));
    out.pp_tok_s.push_back(double(o.n_prompt) / seconds_since(t0));
    session->reset();
    int32_t tok = prompt[0];
    TRIT_TRY(session->eval({&tok, 1}, &logits));
    auto g0 = Clock::now();
    for (int i = 0; i < o.n_gen; ++i) {
      auto s0 = Clock::now();
      tok = prompt[size_t(i + 1) % prompt.size()];
      TRIT_TRY(session->eval({&tok, 1}, &logits));
      out.tg_latency_ms.push_back(seconds_since(s0) * 1e3);
    }
    out.tg_tok_s.push_back(double(o.n_gen) / seconds_since(g0));
    return {};
  }
};

}  // namespace

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
  ModelOptions mo;
  mo.n_threads = o.threads;
  mo.n_ctx = o.n_prompt + o.n_gen + 8;
  auto model = Model::load(o.model, mo);
  if (!model.ok()) return model.error();
  TritRunner trit;
  trit.model = std::move(*model);
  trit.session = std::make_unique<Session>(*trit.model);
  trit.prompt = bench_tokens(o.n_prompt, trit.model->hparams().n_vocab);

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
    // so no per-token latencies.
    runs[1].note = "pp: greedy(prompt, 0) (last-position logits); tg: greedy(1-token prompt, n + 1), n + 1 evals timed";
  }

  for (int rep = 0; rep < o.reps; ++rep) {
    TRIT_TRY(trit.run(o, runs[0]));
    if (ref_model) {
      auto t0 = Clock::now();
      auto l = ref_model->greedy(trit.prompt, 0);
      if (!l.ok()) return l.error();
      runs[1].pp_tok_s.push_back(double(o.n_prompt) / seconds_since(t0));
      auto g0 = Clock::now();
      auto g = ref_model->greedy(std::span<const int32_t>(trit.prompt.data(), 1), o.n_gen + 1);
      if (!g.ok()) return g.error();
      runs[1].tg_tok_s.push_back(double(o.n_gen + 1) / seconds_since(g0));
    }
  }
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
  nlohmann::json tg = {{"n_tokens", o.n_gen}, {"tok_s", r.tg_tok_s}, {"tok_s_median", median(r.tg_tok_s)}};
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
  return j;
}

}  // namespace trit::bench
