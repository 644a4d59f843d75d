// `trit run`: load a model, tokenize the prompt, generate, and stream the text to stdout (or print
// CONTRACT.md's JSON object with --json). Flags to structs, structs to the library, results to
// the terminal: the loop itself lives in generate/.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/model_flags.h"
#include "core/log.h"
#include "generate/generate.h"
#include "generate/session_source.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace trit::cli {
namespace {

struct RunFlags {
  std::string model;
  std::string prompt;
  int n_predict = 64;
  SamplerParams sampler;  // its defaults are the flags' defaults
  int threads = 0;
  int ctx = 0;
  std::string compat = "native";
  bool json = false;
  bool no_bos = false;
  bool special = false;
};

constexpr const char* kFooter = R"(
Sampling runs llama.cpp's default chain: repeat penalty -> top-k -> top-p -> min-p -> temperature.
Without --seed the seed is fixed, so the same command prints the same text; --greedy (or --temp 0)
always takes the most likely token.

Examples:
  trit run --model m.gguf --prompt "The capital of France is" -n 32
  trit run --model m.gguf --prompt "Once upon a time" --greedy
  trit run --model m.gguf --prompt "Hi" --temp 0.7 --top-k 50 --seed 7 --json | jq .text
  trit run --model bitnet.gguf --prompt "Hello" --compat llama.cpp --threads 8

--json prints one object on stdout and nothing else:
  {"prompt_tokens": [ids], "tokens": [ids], "text": "...", "stop": "eog|length|ctx|cancel",
   "timing": {"prompt_tok_s": x, "gen_tok_s": y}}
Exit codes: 0 ok, 4 bad flags or unreadable model, 1 evaluation failed.)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "trit run: error: %s\n", message.c_str());
  return kExitUsage;
}

void print_json(const GenerateResult& r) {
  nlohmann::ordered_json j;  // ordered: keys in CONTRACT.md's order
  j["prompt_tokens"] = r.prompt_tokens;
  j["tokens"] = r.tokens;
  j["text"] = r.text;
  j["stop"] = std::string(stop_reason_name(r.stop));
  j["timing"] = {{"prompt_tok_s", r.timing.prompt_tok_s}, {"gen_tok_s", r.timing.gen_tok_s}};
  // replace: a run cut off by -n can end inside a multi-byte UTF-8 character; print U+FFFD
  // rather than throw.
  std::fputs(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str(), stdout);
  std::fputc('\n', stdout);
}

void print_summary(const GenerateResult& r, int n_ctx) {
  std::fprintf(
      stderr,
      "\ntrit: prompt %zu tokens, %.1f tok/s | generated %zu tokens, %.1f tok/s | stop: %s\n",
      r.prompt_tokens.size(), r.timing.prompt_tok_s, r.tokens.size(), r.timing.gen_tok_s,
      std::string(stop_reason_name(r.stop)).c_str());
  if (r.stop == StopReason::kContext)
    std::fprintf(stderr, "trit: stopped because the context (%d tokens) is full; raise --ctx\n",
                 n_ctx);
}

int run(RunFlags f) {
  if (Status s = validate(f.sampler); !s) return usage_error(s.error().message);
  auto loaded = load_model_and_tokenizer(
      f.model, {.compat = f.compat, .n_ctx = f.ctx, .n_threads = f.threads, .log_deviations = true});
  if (!loaded) return usage_error(loaded.error().message);
  const std::unique_ptr<Model> model = std::move(loaded->model);
  const std::unique_ptr<Tokenizer> tokenizer = std::move(loaded->tokenizer);
  const std::vector<int32_t> prompt =
      tokenizer->tokenize(f.prompt, /*add_special=*/!f.no_bos, /*parse_special=*/f.special);

  Session session(*model);
  if (prompt.empty()) return usage_error("the prompt has no tokens (empty --prompt with --no-bos)");
  if (int(prompt.size()) > session.n_ctx())
    return usage_error("the prompt has " + std::to_string(prompt.size()) +
                       " tokens but the context holds " + std::to_string(session.n_ctx()) +
                       "; raise --ctx");

  const TokenText text{
      .is_eog = [&](int32_t id) { return tokenizer->is_eog(id); },
      .piece = [&](int32_t id) { return tokenizer->token_to_piece(id, f.special); },
  };
  OnToken stream;
  if (!f.json) {
    // Echo the prompt, then each piece as it is sampled (as llama.cpp's examples do).
    std::fputs(f.prompt.c_str(), stdout);
    std::fflush(stdout);
    stream = [](int32_t, std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    };
  }

  SessionSource source(session);
  auto result =
      generate(source, prompt, {.n_predict = f.n_predict, .sampler = f.sampler}, text, stream);
  if (!result) {
    if (!f.json) std::fputc('\n', stdout);
    std::fprintf(stderr, "trit run: error: %s\n", result.error().message.c_str());
    return 1;
  }
  if (f.json) {
    print_json(*result);
  } else {
    std::fputc('\n', stdout);
    std::fflush(stdout);
    print_summary(*result, session.n_ctx());
  }
  return 0;
}

}  // namespace

Command add_run(CLI::App& root) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* app = root.add_subcommand("run", "Generate text from a prompt, streaming it to stdout");
  app->footer(kFooter);

  app->add_option("-m,--model", f->model, "GGUF model file")->required();
  app->add_option("-p,--prompt", f->prompt, "Text to continue")->required();
  app->add_option("-n,--n-predict", f->n_predict,
                  "Tokens to generate (-1: until end of generation or a full context)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 1 << 30));

  auto* greedy = app->add_flag("--greedy", f->sampler.greedy,
                               "Always take the most likely token (after --repeat-penalty)");
  const std::vector<CLI::Option*> sampling = {
      app->add_option("--temp", f->sampler.temperature, "Temperature; 0 = greedy")
          ->capture_default_str(),
      app->add_option("--top-k", f->sampler.top_k, "Keep the K most likely tokens; 0 = off")
          ->capture_default_str(),
      app->add_option("--top-p", f->sampler.top_p,
                      "Keep the smallest set reaching probability P; 1 = off")
          ->capture_default_str(),
      app->add_option("--min-p", f->sampler.min_p,
                      "Drop tokens below P x the best token's probability; 0 = off")
          ->capture_default_str(),
      app->add_option("--seed", f->sampler.seed, "Random seed (default fixed, so runs repeat)"),
  };
  for (CLI::Option* o : sampling) greedy->excludes(o);
  // The penalty is not part of the exclusive group: greedy takes the argmax after it, as
  // llama.cpp's chain does with --temp 0.
  app->add_option("--repeat-penalty", f->sampler.repeat_penalty, "Penalize recent tokens; 1 = off")
      ->capture_default_str();
  app->add_option("--repeat-last-n", f->sampler.repeat_last_n,
                  "Recent tokens the penalty looks at (prompt included); 0 = off, -1 = all")
      ->capture_default_str();

  add_threads_option(app, f->threads);
  add_ctx_option(app, f->ctx);
  add_compat_option(app, f->compat,
                    "Numerics profile: native (the model's own definition), llama.cpp or bitnet.cpp "
                    "(reproduce that engine's graph)");
  app->add_flag("--json", f->json,
                "Print one JSON object on stdout (CONTRACT.md) instead of streaming");
  app->add_flag("--no-bos", f->no_bos, "Do not add the model's BOS token to the prompt");
  app->add_flag(
      "--special", f->special,
      "Parse special-token text (e.g. <|eot_id|>) in the prompt and print special tokens");
  return {app, [f] { return run(*f); }};
}

}  // namespace trit::cli
