// `trit serve`: load a model and answer OpenAI-style HTTP requests until SIGINT / SIGTERM.
// The server itself lives in serve/; this file turns flags into ServerOptions and owns the signals.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "cli/command.h"
#include "cli/model_flags.h"
#include "core/log.h"
#include "generate/chat_session.h"
#include "kernels/thread_pool.h"
#include "serve/server.h"

namespace trit::cli {
namespace {

struct ServeFlags {
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_key;
  std::string alias;
  int parallel = 1;
  int queue = 64;
  int ctx = 0;
  int threads = 0;
  std::string compat = "native";
  std::string chat_template;
  size_t max_body = 1 << 20;
  int max_tokens = 4096;
};

constexpr const char* kFooter = R"(
Endpoints (OpenAI request and response shapes):
  POST /v1/completions        {"prompt": "Once upon a time", "max_tokens": 32, "stream": false}
  POST /v1/chat/completions   {"messages": [{"role": "user", "content": "Hi"}], "stream": true}
  GET  /v1/models   GET /health   GET /metrics (Prometheus text)
Sampling fields: temperature (0 = greedy), top_p, top_k, min_p, repeat_penalty, seed, stop,
max_tokens, ignore_eos. Without "seed" each request draws a fresh one.

Each of the --parallel slots owns a KV cache of --ctx tokens and runs one request at a time;
other requests wait in a queue of --queue, beyond which they get 503. --threads is per slot
(0: cores / parallel). The API key may also come from the environment: TRIT_API_KEY.

Examples:
  trit serve --model m.gguf
  trit serve --model m.gguf --port 9000 --parallel 4 --api-key secret
  curl -s localhost:8080/v1/completions -d '{"prompt": "Hello", "max_tokens": 16}')";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "trit serve: error: %s\n", message.c_str());
  return kExitUsage;
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int run(ServeFlags f) {
  // Signals go to one thread that stops the server. They are blocked before any other thread
  // exists (the slots' thread pools and httplib's workers inherit the mask), so none of those
  // takes them. A shell starts background jobs with SIGINT ignored, and an ignored signal never
  // reaches sigwait: restore the default so that `kill -INT` stops a server started with `&`.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);  // sent by ourselves when run() returns for another reason
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  if (f.api_key.empty()) {
    if (const char* env = std::getenv("TRIT_API_KEY")) f.api_key = env;
  }
  // Slots run side by side: split the cores between them unless told otherwise.
  const int threads = f.threads > 0 ? f.threads : std::max(1, default_thread_count() / f.parallel);

  auto loaded = load_model_and_tokenizer(
      f.model, {.compat = f.compat, .n_ctx = f.ctx, .n_threads = threads, .n_sessions = f.parallel,
                .log_deviations = true});
  if (!loaded) return usage_error(loaded.error().message);
  Model& model = *loaded->model;
  const Tokenizer& tokenizer = *loaded->tokenizer;
  auto kind = chat_template_for(tokenizer, f.chat_template, f.model);
  if (!kind) return usage_error(kind.error().message);

  serve::ServerOptions o;
  o.host = f.host;
  o.port = f.port;
  o.api_key = f.api_key;
  o.model_name = f.alias.empty() ? std::filesystem::path(f.model).stem().string() : f.alias;
  o.n_slots = f.parallel;
  o.max_queue = f.queue;
  o.max_body_bytes = f.max_body;
  o.limits.max_tokens = f.max_tokens;
  o.chat_template = *kind;
  serve::Server server(model, tokenizer, o);
  if (Status s = server.bind(); !s) return usage_error(s.error().message);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig != SIGUSR1) TRIT_LOG_INFO("serve: %s received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    server.stop();
  });

  if (!is_loopback(f.host))
    TRIT_LOG_WARN("serve: listening on %s, reachable from other machines%s", f.host.c_str(),
                  f.api_key.empty() ? "; consider --api-key" : "");
  TRIT_LOG_INFO("serve: http://%s:%d  model %s, %d slot(s) of %d tokens, %d thread(s) each%s", f.host.c_str(),
                server.port(), o.model_name.c_str(), f.parallel, server.n_ctx(), threads,
                f.api_key.empty() ? "" : ", API key required");
  server.run();
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  return 0;
}

}  // namespace

Command add_serve(CLI::App& root) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* app = root.add_subcommand("serve", "OpenAI-compatible HTTP server (completions, chat, metrics)");
  app->footer(kFooter);
  app->add_option("-m,--model", f->model, "GGUF model file")->required();
  app->add_option("--host", f->host, "Address to listen on (loopback by default)")->capture_default_str();
  app->add_option("--port", f->port, "Port; 0 = any free port")->capture_default_str()->check(CLI::Range(0, 65535));
  app->add_option("--api-key", f->api_key, "Require 'Authorization: Bearer KEY' (or set TRIT_API_KEY)");
  app->add_option("--alias", f->alias, "Model name in responses (default: the file name)");
  app->add_option("--parallel", f->parallel, "Requests generated at once (slots, one KV cache each)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app->add_option("--queue", f->queue, "Requests that may wait for a slot; more get 503")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  add_ctx_option(app, f->ctx, "Context size per slot in tokens; 0 = min(model's, 4096)");
  add_threads_option(app, f->threads, "Threads per slot; 0 = cores / parallel");
  add_compat_option(app, f->compat);
  app->add_option("--chat-template", f->chat_template, "bitnet or llama3 (default: from the model)")
      ->check(CLI::IsMember({"bitnet", "llama3"}));
  app->add_option("--max-body", f->max_body, "Largest request body in bytes; larger get 413")
      ->capture_default_str()
      ->check(CLI::Range(size_t(1024), size_t(1) << 30));
  app->add_option("--max-tokens", f->max_tokens, "Largest max_tokens a request may ask for")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  return {app, [f] { return run(*f); }};
}

}  // namespace trit::cli
