// `trit detokenize --model M IDS... [--special]`: the text of token ids, as llama.cpp's
// llama_detokenize (without clean-up, so it round-trips with `trit tokenize`).
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace trit::cli {
namespace {

struct DetokenizeArgs {
  std::string model;
  std::vector<std::string> ids;
  bool special = false;
};

int run_detokenize(const DetokenizeArgs& a) {
  auto file = gguf::File::open(a.model);
  if (!file.ok()) {
    std::fprintf(stderr, "trit detokenize: %s\n", file.error().message.c_str());
    return kExitUsage;
  }
  auto tok = Tokenizer::from_gguf(*file);
  if (!tok.ok()) {
    std::fprintf(stderr, "trit detokenize: %s\n", tok.error().message.c_str());
    return kExitUsage;
  }
  std::vector<int32_t> ids;
  for (const std::string& s : a.ids) {
    // Ids may also come as one argument "1 2 3" or "1,2,3" (pasted from `trit tokenize`).
    size_t pos = 0;
    while (pos < s.size()) {
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == ',' || s[pos] == '\t' || s[pos] == '\n')) ++pos;
      if (pos >= s.size()) break;
      int64_t v = 0;
      auto [end, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), v);
      const bool sep_ok = end == s.data() + s.size() || *end == ' ' || *end == ',' || *end == '\t' || *end == '\n';
      if (ec != std::errc() || !sep_ok) {
        std::fprintf(stderr, "trit detokenize: '%s' is not a token id\n", s.c_str());
        return kExitUsage;
      }
      if (v < 0 || v >= (*tok)->n_vocab()) {
        std::fprintf(stderr, "trit detokenize: token id %lld out of range [0, %d)\n", static_cast<long long>(v),
                     (*tok)->n_vocab());
        return kExitUsage;
      }
      ids.push_back(static_cast<int32_t>(v));
      pos = static_cast<size_t>(end - s.data());
    }
  }
  DetokenizeOptions opts;
  opts.unparse_special = a.special;
  const std::string text = (*tok)->detokenize(ids, opts);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace

Command add_detokenize(CLI::App& root) {
  auto args = std::make_shared<DetokenizeArgs>();
  auto* app = root.add_subcommand("detokenize", "Text of token ids (as llama.cpp's llama_detokenize)");
  app->add_option("--model,-m", args->model, "GGUF model or vocab file")->required();
  app->add_option("ids", args->ids, "Token ids (separate arguments, or one \"1 2 3\" / \"1,2,3\")")->required();
  app->add_flag("--special", args->special, "Render control tokens as their text, e.g. <|eot_id|>");
  return {app, [args] { return run_detokenize(*args); }};
}

}  // namespace trit::cli
