// What every command that runs a model shares: the --threads / --ctx / --compat options (same
// names, checks and defaults everywhere; each command may word the help for its own meaning) and
// loading the Model plus its Tokenizer with the same error messages. A load error is bad input:
// the caller prints it as "trit <cmd>: error: ..." and exits kExitUsage (CONTRACT.md).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "core/result.h"
#include "generate/chat_session.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace trit::cli {

inline constexpr const char* kThreadsHelp = "Threads; 0 = all cores";
inline constexpr const char* kCtxHelp = "Context size in tokens; 0 = min(model's, 4096)";
inline constexpr const char* kCompatHelp = "Numerics profile: native, llama.cpp or bitnet.cpp";

// -t,--threads: a non-negative count, default shown.
CLI::Option* add_threads_option(CLI::App* app, int& threads, const std::string& help = kThreadsHelp);
// -c,--ctx: a non-negative token count (0 = the model's, capped), default shown.
CLI::Option* add_ctx_option(CLI::App* app, int& ctx, const std::string& help = kCtxHelp);
// --compat: native, llama.cpp or bitnet.cpp, default shown.
CLI::Option* add_compat_option(CLI::App* app, std::string& compat, const std::string& help = kCompatHelp);

struct LoadedModel {
  std::unique_ptr<Model> model;  // declared first: the tokenizer reads the model's GGUF file
  std::unique_ptr<Tokenizer> tokenizer;
};

struct LoadOptions {
  std::string compat = "native";  // the --compat name
  int n_ctx = 0;
  int n_threads = 0;
  int n_sessions = 1;           // Sessions held at once (ModelOptions::n_sessions)
  bool log_deviations = false;  // log each way --compat departs from the model's own definition
};

// Parses the compat name, loads the model at `path`, then its tokenizer. Errors: the compat or
// model message as is; a tokenizer error prefixed with "<path>: ".
Result<LoadedModel> load_model_and_tokenizer(const std::string& path, const LoadOptions& opts);

// The chat template for --chat-template `name` (generate/chat_session.h choose_chat_template),
// warning once when the model has no template trit knows and the plain format is used.
Result<ChatTemplateKind> chat_template_for(const Tokenizer& tokenizer, std::string_view name,
                                           const std::string& model_path);

}  // namespace trit::cli
