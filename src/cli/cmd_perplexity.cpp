// `trit perplexity`: perplexity of a model over a text file (generate/perplexity.h: llama.cpp's
// method, windows of --ctx tokens, second half of each scored). Human summary on stderr; --json
// prints one object on stdout.
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/command.h"
#include "cli/model_flags.h"
#include "core/log.h"
#include "generate/perplexity.h"

namespace trit::cli {
namespace {

struct PerplexityFlags {
  std::string model;
  std::string file;
  int ctx = 512;
  int threads = 0;
  std::string compat = "native";
  bool json = false;
};

constexpr const char* kFooter = R"(
Method (llama.cpp's examples/perplexity): the text is tokenized with BOS and cut into windows of
--ctx tokens (a last partial window is left out). Each window is evaluated from an empty context
with BOS as its first token, and positions ctx/2 .. ctx-2 are scored on the token that follows,
so each scored token sees at least ctx/2 tokens. PPL = exp(mean negative log-likelihood).

--json prints one object on stdout:
  {"schema": "trit.perplexity/1", "model", "file", "ctx", "n_tokens", "n_windows", "n_scored",
   "nll_mean", "ppl", "window_nll": [...], "seconds", "tok_s"}

Examples:
  trit perplexity --model m.gguf --file wiki.test.raw
  trit perplexity --model m.gguf --file text.txt --ctx 128 --json | jq .ppl)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "trit perplexity: error: %s\n", message.c_str());
  return kExitUsage;
}

int run(const PerplexityFlags& f) {
  std::ifstream in(f.file, std::ios::binary);
  if (!in) return usage_error("cannot read --file " + f.file);
  std::ostringstream text;
  text << in.rdbuf();

  // The context is exactly one window: no KV cache beyond what is scored.
  auto loaded = load_model_and_tokenizer(f.model, {.compat = f.compat, .n_ctx = f.ctx, .n_threads = f.threads});
  if (!loaded) return usage_error(loaded.error().message);

  std::unique_ptr<Progress> progress;  // made once the number of windows is known
  auto r = perplexity(*loaded->model, *loaded->tokenizer, text.str(), f.ctx, [&](int done, int total) {
    if (!progress) progress = std::make_unique<Progress>("perplexity", uint64_t(total));
    progress->update(uint64_t(done));
  });
  if (progress) progress->finish();
  if (!r) return usage_error(r.error().message);

  TRIT_LOG_INFO("perplexity: %.4f (mean NLL %.6f nats) over %lld scored tokens, %d windows of %d; "
                "%lld tokens in the text; %.1f tok/s, %.2f s",
                r->ppl, r->nll_mean, static_cast<long long>(r->n_scored), r->n_windows, r->ctx,
                static_cast<long long>(r->n_tokens), r->tok_s, r->seconds);
  if (f.json) {
    nlohmann::ordered_json j;
    j["schema"] = "trit.perplexity/1";
    j["model"] = f.model;
    j["file"] = f.file;
    j["ctx"] = r->ctx;
    j["n_tokens"] = r->n_tokens;
    j["n_windows"] = r->n_windows;
    j["n_scored"] = r->n_scored;
    j["nll_mean"] = r->nll_mean;
    j["ppl"] = r->ppl;
    j["window_nll"] = r->window_nll;
    j["seconds"] = r->seconds;
    j["tok_s"] = r->tok_s;
    std::puts(j.dump().c_str());
  }
  return 0;
}

}  // namespace

Command add_perplexity(CLI::App& root) {
  auto f = std::make_shared<PerplexityFlags>();
  CLI::App* app = root.add_subcommand("perplexity", "Perplexity of the model over a text file");
  app->footer(kFooter);
  app->add_option("-m,--model", f->model, "GGUF model file")->required();
  app->add_option("-f,--file", f->file, "Text file")->required();
  app->add_option("-c,--ctx", f->ctx, "Window size in tokens")->capture_default_str()->check(CLI::Range(3, 1 << 20));
  add_threads_option(app, f->threads);
  add_compat_option(app, f->compat);
  app->add_flag("--json", f->json, "Print one JSON object on stdout");
  return {app, [f] { return run(*f); }};
}

}  // namespace trit::cli
