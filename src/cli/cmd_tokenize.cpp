// `trit tokenize --model M (--text S | --file F) [--no-bos] [--special] [--json]`: token ids of a
// text, exactly as llama.cpp's llama_tokenize gives them for the same GGUF file.
// Default output: the ids separated by spaces on one line; --json: {"tokens": [...], "pieces": [...]}.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace trit::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  std::string file;
  bool no_bos = false;
  bool special = false;
  bool json = false;
};

int run_tokenize(const TokenizeArgs& a, bool have_text, bool have_file) {
  if (have_text == have_file) {
    std::fprintf(stderr, "trit tokenize: give exactly one of --text or --file\n");
    return kExitUsage;
  }
  std::string text = a.text;
  if (have_file) {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "trit tokenize: cannot read --file '%s'\n", a.file.c_str());
      return kExitUsage;
    }
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto file = gguf::File::open(a.model);
  if (!file.ok()) {
    std::fprintf(stderr, "trit tokenize: %s\n", file.error().message.c_str());
    return kExitUsage;
  }
  auto tok = Tokenizer::from_gguf(*file);
  if (!tok.ok()) {
    std::fprintf(stderr, "trit tokenize: %s\n", tok.error().message.c_str());
    return kExitUsage;
  }
  // --no-bos drops everything add_special would add (BOS, and EOS where the vocab adds one).
  const auto ids = (*tok)->tokenize(text, !a.no_bos, a.special);
  if (a.json) {
    nlohmann::json j;
    j["tokens"] = ids;
    nlohmann::json pieces = nlohmann::json::array();
    for (int32_t id : ids) pieces.push_back((*tok)->token_to_piece(id, true));
    j["pieces"] = std::move(pieces);
    // A byte token's piece can be part of a UTF-8 character: replace rather than throw.
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ' ';
    line += std::to_string(ids[i]);
  }
  std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace

Command add_tokenize(CLI::App& root) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* app = root.add_subcommand("tokenize", "Token ids of a text (identical to llama.cpp's llama_tokenize)");
  app->add_option("--model,-m", args->model, "GGUF model or vocab file")->required();
  auto* text = app->add_option("--text,-t", args->text, "Text to tokenize");
  auto* file = app->add_option("--file,-f", args->file, "Read the text from this file (bytes as they are)");
  text->excludes(file);
  app->add_flag("--no-bos", args->no_bos, "Do not add the BOS/EOS tokens the vocab asks for");
  app->add_flag("--special", args->special, "Parse special tokens written in the text, e.g. <|eot_id|>");
  app->add_flag("--json", args->json, "Print {\"tokens\": [...], \"pieces\": [...]} on stdout");
  return {app, [args, text, file] { return run_tokenize(*args, text->count() > 0, file->count() > 0); }};
}

}  // namespace trit::cli
