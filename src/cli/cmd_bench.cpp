// `trit bench`: flags to BenchOptions, src/bench/ measures, this prints (CONTRACT.md).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/bench.h"
#include "cli/command.h"
#include "kernels/thread_pool.h"

namespace trit::cli {

Command add_bench(CLI::App& root) {
  auto opts = std::make_shared<bench::BenchOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand("bench", "Measure prompt (pp) and generation (tg) tokens/s");
  app->add_option("--model,-m", opts->model, "GGUF model")->required();
  app->add_option("-p", opts->n_prompt, "prompt tokens, evaluated in one batch")->capture_default_str();
  app->add_option("-n", opts->n_gen, "tokens decoded one at a time")->capture_default_str();
  app->add_option("-d,--depth", opts->depth,
                  "tokens already in the context when decoding starts (evaluated untimed as one batch): decode speed at a long context")
      ->capture_default_str();
  app->add_option("-t,--threads", opts->threads, "threads (0: all cores)")->capture_default_str();
  app->add_option("-r", opts->reps, "repetitions (the median is reported)")->capture_default_str();
  app->add_option("--ref", opts->ref, "also measure a reference through the crossval shim, alternating runs")
      ->check(CLI::IsMember({"llama", "bitnet"}));
  app->add_flag("--json", *json, "print trit.bench/1 JSON on stdout");
  auto no_ceiling = std::make_shared<bool>(false);
  app->add_flag("--no-ceiling", *no_ceiling,
                "skip the memory-bandwidth ceiling (timed reads of the weight bytes with the same threads just before and after each decode run, then up to 16 more trit tokens each between two reads)");
  return {app, [opts, json, no_ceiling]() -> int {
            if (opts->threads <= 0) opts->threads = default_thread_count();
            opts->ceiling = !*no_ceiling;
            auto runs = bench::run_bench(*opts);
            if (!runs.ok()) {
              std::fprintf(stderr, "trit bench: %s\n", runs.error().message.c_str());
              return runs.error().message.find("not available") != std::string::npos ? 3 : kExitUsage;
            }
            const double rss = runs->front().rss_peak_mb > 0 ? runs->front().rss_peak_mb : bench::peak_rss_mb();
            const auto model = bench::model_json(opts->model);
            nlohmann::json out = nlohmann::json::array();
            for (const auto& r : *runs) out.push_back(bench::bench_json(*opts, r, model, rss));
            if (*json) {
              std::printf("%s\n", (runs->size() == 1 ? out[0] : out).dump(2).c_str());
              return 0;
            }
            for (const auto& j : out) {
              std::fprintf(stderr, "%-10s t=%d  pp%d %8.2f tok/s   tg%d%s %7.2f tok/s", j["engine"].get<std::string>().c_str(),
                           opts->threads, opts->n_prompt, j["pp"]["tok_s_median"].get<double>(), opts->n_gen,
                           opts->depth > 0 ? ("@d" + std::to_string(opts->depth)).c_str() : "",
                           j["tg"]["tok_s_median"].get<double>());
              if (!j["tg"]["latency_ms_p50"].is_null())
                std::fprintf(stderr, "  p50 %.1f ms p95 %.1f ms", j["tg"]["latency_ms_p50"].get<double>(),
                             j["tg"]["latency_ms_p95"].get<double>());
              std::fprintf(stderr, "\n");
            }
            if (out[0].contains("ceiling")) {
              const auto& c = out[0]["ceiling"];
              const double kv_mb = double(c.value("kv_bytes_per_token", uint64_t(0))) / 1e6;
              std::fprintf(stderr, "ceiling    t=%d  read %.1f GB/s (median) over %.0f MB/token", opts->threads,
                           c["read_gb_s"].get<double>(), double(c["bytes_per_token"].get<uint64_t>()) / 1e6 + kv_mb);
              if (kv_mb >= 1.0) std::fprintf(stderr, " (KV cache %.0f MB)", kv_mb);
              std::fprintf(stderr, " -> %.1f tok/s;", c["tg_tok_s_ceiling"].get<double>());
              for (const auto& j : out)
                std::fprintf(stderr, " %s %.0f%%", j["engine"].get<std::string>().c_str(),
                             100.0 * j["ceiling"]["tg_fraction_of_ceiling"].get<double>());
              std::fprintf(stderr, "\n");
              if (c.contains("paired")) {
                const auto& p = c["paired"];
                std::fprintf(stderr,
                             "paired     t=%d  %d more trit tokens, each between two read passes: %.0f%% of their mean "
                             "(median; p10 %.0f%%, p90 %.0f%%)\n",
                             opts->threads, p["tokens"].get<int>(), 100.0 * p["tg_fraction"].get<double>(),
                             100.0 * p["tg_fraction_p10"].get<double>(), 100.0 * p["tg_fraction_p90"].get<double>());
              }
            }
            std::fprintf(stderr, "peak RSS %.0f MB (whole process)\n", rss);
            if (runs->size() == 2) {
              const auto& a = out[0];
              const auto& b = out[1];
              std::fprintf(stderr, "ratio trit/%s: pp %.2fx  tg %.2fx\n", b["engine"].get<std::string>().c_str(),
                           a["pp"]["tok_s_median"].get<double>() / b["pp"]["tok_s_median"].get<double>(),
                           a["tg"]["tok_s_median"].get<double>() / b["tg"]["tok_s_median"].get<double>());
            }
            return 0;
          }};
}

}  // namespace trit::cli
