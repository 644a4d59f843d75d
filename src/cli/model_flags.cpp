#include "cli/model_flags.h"

#include <utility>

#include "core/log.h"

namespace trit::cli {

CLI::Option* add_threads_option(CLI::App* app, int& threads, const std::string& help) {
  return app->add_option("-t,--threads", threads, help)->capture_default_str()->check(CLI::NonNegativeNumber);
}

CLI::Option* add_ctx_option(CLI::App* app, int& ctx, const std::string& help) {
  return app->add_option("-c,--ctx", ctx, help)->capture_default_str()->check(CLI::NonNegativeNumber);
}

CLI::Option* add_compat_option(CLI::App* app, std::string& compat, const std::string& help) {
  return app->add_option("--compat", compat, help)
      ->capture_default_str()
      ->check(CLI::IsMember({"native", "llama.cpp", "bitnet.cpp"}));
}

Result<LoadedModel> load_model_and_tokenizer(const std::string& path, const LoadOptions& opts) {
  auto compat = compat_from_name(opts.compat);
  if (!compat) return compat.error();
  auto model = Model::load(path, {.compat = *compat, .n_ctx = opts.n_ctx, .n_threads = opts.n_threads,
                                  .n_sessions = opts.n_sessions});
  if (!model) return model.error();
  if (opts.log_deviations) {
    for (const std::string& d : (*model)->deviations()) TRIT_LOG_INFO("--compat %s: %s", opts.compat.c_str(), d.c_str());
  }
  auto tokenizer = Tokenizer::from_gguf((*model)->file());
  if (!tokenizer) return make_error(path + ": " + tokenizer.error().message);
  return LoadedModel{.model = std::move(*model), .tokenizer = std::move(*tokenizer)};
}

Result<ChatTemplateKind> chat_template_for(const Tokenizer& tokenizer, std::string_view name,
                                           const std::string& model_path) {
  bool fell_back = false;
  auto kind = choose_chat_template(tokenizer, name, &fell_back);
  if (kind && fell_back)
    TRIT_LOG_WARN("%s has no chat template trit knows; using the plain 'User: / Assistant:' format "
                  "(--chat-template to choose)", model_path.c_str());
  return kind;
}

}  // namespace trit::cli
