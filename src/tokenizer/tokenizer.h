// trit's tokenizer: text <-> token ids exactly as llama.cpp's llama_tokenize / llama_token_to_piece /
// llama_detokenize do for the same GGUF file. Byte-level BPE ("gpt2", with the default, llama3,
// gpt-2, starcoder and falcon pre-tokenizers) and SentencePiece ("llama", with byte fallback).
//
//   auto file = gguf::File::open(path);            // or any validated gguf::File
//   auto tok = Tokenizer::from_gguf(*file);         // Error on a malformed vocab, never a crash
//   std::vector<int32_t> ids = (*tok)->tokenize("Hello", /*add_special=*/true, /*parse_special=*/false);
//   std::string text = (*tok)->detokenize(ids);
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tokenizer/vocab.h"

namespace trit {

namespace gguf {
class File;
}
namespace tok {
class PreTokenizer;
class BpeModel;
}  // namespace tok

// llama_detokenize's flags. The defaults round-trip: detokenize(tokenize(t, false, false)) == t
// for valid UTF-8 t. Set clean_spaces = vocab().clean_spaces to get llama_detokenize's exact text
// (it drops the space in " ?", " 's", ... for BPE vocabs).
struct DetokenizeOptions {
  bool remove_special = false;   // drop a leading BOS / trailing EOS the vocab adds
  bool unparse_special = false;  // render control tokens as their text ("<|eot_id|>")
  bool clean_spaces = false;
};

class Tokenizer {
 public:
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const gguf::File& file);
  static Result<std::unique_ptr<Tokenizer>> from_vocab(Vocab vocab);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // llama_tokenize(text, add_special, parse_special). add_special adds BOS / EOS where the vocab
  // says so (tokenizer.ggml.add_bos_token / add_eos_token, else llama.cpp's defaults).
  // parse_special: control tokens written in the text ("<|eot_id|>") become those tokens.
  // Any bytes are accepted: invalid UTF-8 is repaired as llama.cpp repairs it. Thread-safe.
  std::vector<int32_t> tokenize(std::string_view text, bool add_special, bool parse_special) const;

  // llama_token_to_piece(id, lstrip = 0, special). May be part of a UTF-8 character (byte
  // tokens). special = false renders control and unknown tokens as "". Out-of-range id: "".
  std::string token_to_piece(int32_t id, bool special) const;

  std::string detokenize(std::span<const int32_t> ids) const { return detokenize(ids, DetokenizeOptions{}); }
  std::string detokenize(std::span<const int32_t> ids, const DetokenizeOptions& options) const;

  bool is_eog(int32_t id) const;
  bool is_control(int32_t id) const;
  int32_t n_vocab() const { return vocab_.n_tokens(); }
  int32_t bos() const { return vocab_.bos; }
  int32_t eos() const { return vocab_.eos; }
  int32_t eot() const { return vocab_.eot; }
  const Vocab& vocab() const { return vocab_; }

 private:
  Tokenizer() = default;
  void tokenize_text(std::string_view text, bool prev_special, std::vector<int32_t>& out) const;

  Vocab vocab_;
  std::unique_ptr<tok::PreTokenizer> pre_;  // BPE only
  std::unique_ptr<tok::BpeModel> bpe_;      // BPE only
  std::vector<std::string> pieces_;         // token_to_piece(id, special = true), precomputed
};

}  // namespace trit
