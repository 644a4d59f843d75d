// `trit chat`: an interactive conversation on the terminal. The loop is generate/chat_repl.h;
// this file parses flags and turns Ctrl-C into "stop this answer" rather than "quit".
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/model_flags.h"
#include "core/log.h"
#include "generate/chat_repl.h"
#include "generate/chat_session.h"

namespace trit::cli {
namespace {

struct ChatFlags {
  std::string model;
  std::string system;
  std::string chat_template;
  int n_predict = -1;
  SamplerParams sampler;
  int threads = 0;
  int ctx = 0;
  std::string compat = "native";
  bool stats = false;
};

constexpr const char* kFooter = R"(
Type a message and press Enter; the answer streams as it is generated. Commands:
  /reset   forget the conversation      /exit   quit (or Ctrl-D)      /help
End a line with \ to continue the message on the next line. Ctrl-C stops the current answer.
When the conversation outgrows --ctx, the oldest turns are dropped (the system message stays).
Answers go to stdout; the prompt and notices to stderr, so `trit chat ... < questions.txt > answers.txt`
works too.

Examples:
  trit chat --model m.gguf
  trit chat --model m.gguf --system "You are terse." --temp 0.7 --ctx 2048)";

// Async-signal-safe state for the SIGINT handler.
std::atomic<bool> g_interrupt{false};
std::atomic<bool> g_generating{false};

void on_sigint(int) {
  if (g_generating.load()) {
    g_interrupt.store(true);
  } else {
    constexpr char kHint[] = "\n(Ctrl-C stops an answer; /exit or Ctrl-D quits)\n> ";
    const ssize_t n = write(STDERR_FILENO, kHint, sizeof kHint - 1);
    (void)n;
  }
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "trit chat: error: %s\n", message.c_str());
  return kExitUsage;
}

int run(ChatFlags f) {
  if (Status s = validate(f.sampler); !s) return usage_error(s.error().message);
  auto loaded = load_model_and_tokenizer(f.model, {.compat = f.compat, .n_ctx = f.ctx, .n_threads = f.threads});
  if (!loaded) return usage_error(loaded.error().message);
  Model& model = *loaded->model;
  const Tokenizer& tokenizer = *loaded->tokenizer;
  auto kind = chat_template_for(tokenizer, f.chat_template, f.model);
  if (!kind) return usage_error(kind.error().message);

  Session session(model);
  ChatSession chat(session, tokenizer,
                   {.kind = *kind, .system = f.system, .n_predict = f.n_predict, .sampler = f.sampler});

  // SA_RESTART: a Ctrl-C at the prompt must not end the read (that would look like EOF).
  struct sigaction sa = {};
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);

  const bool interactive = isatty(STDIN_FILENO) == 1;
  if (interactive)
    std::fprintf(stderr, "trit chat: %s (%s template, context %d tokens). /help for commands.\n", f.model.c_str(),
                 std::string(chat_template_name(*kind)).c_str(), session.n_ctx());
  return run_chat_repl(chat, {.in = stdin,
                              .out = stdout,
                              .err = stderr,
                              .prompt = interactive,
                              .interrupt = &g_interrupt,
                              .generating = &g_generating,
                              .stats = f.stats});
}

}  // namespace

Command add_chat(CLI::App& root) {
  auto f = std::make_shared<ChatFlags>();
  CLI::App* app = root.add_subcommand("chat", "Interactive chat with the model's chat template");
  app->footer(kFooter);
  app->add_option("-m,--model", f->model, "GGUF model file")->required();
  app->add_option("-s,--system", f->system, "System message");
  app->add_option("--chat-template", f->chat_template, "bitnet or llama3 (default: from the model)")
      ->check(CLI::IsMember({"bitnet", "llama3"}));
  app->add_option("-n,--n-predict", f->n_predict, "Tokens per answer at most; -1 = until end of turn")
      ->capture_default_str()
      ->check(CLI::Range(-1, 1 << 30));
  auto* greedy = app->add_flag("--greedy", f->sampler.greedy, "Always take the most likely token");
  const std::vector<CLI::Option*> sampling = {
      app->add_option("--temp", f->sampler.temperature, "Temperature; 0 = greedy")->capture_default_str(),
      app->add_option("--top-k", f->sampler.top_k, "Keep the K most likely tokens; 0 = off")->capture_default_str(),
      app->add_option("--top-p", f->sampler.top_p, "Nucleus sampling; 1 = off")->capture_default_str(),
      app->add_option("--min-p", f->sampler.min_p, "Drop tokens below P x the best; 0 = off")->capture_default_str(),
      app->add_option("--repeat-penalty", f->sampler.repeat_penalty, "Penalize recent tokens; 1 = off")
          ->capture_default_str(),
      app->add_option("--seed", f->sampler.seed, "Random seed (default fixed)"),
  };
  for (CLI::Option* o : sampling) greedy->excludes(o);
  add_threads_option(app, f->threads);
  add_ctx_option(app, f->ctx);
  add_compat_option(app, f->compat);
  app->add_flag("--stats", f->stats, "After each answer, print token counts and tok/s on stderr");
  return {app, [f] { return run(*f); }};
}

}  // namespace trit::cli
