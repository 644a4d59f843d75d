// Tiny vocabs written as real GGUF bytes (gguf::Writer -> File::parse), so tests run without the
// llama.cpp bundle and can break the metadata on purpose.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "tokenizer/byte_encoding.h"
#include "tokenizer/tokenizer.h"

namespace trit::test {

// A byte-level BPE vocab: the 256 byte tokens, a few merges, and special tokens
// "<|begin_of_text|>" (control, BOS), "<|eot_id|>" (control), "<|tool|>" (user-defined).
struct SyntheticBpe {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges;
  std::string pre = "llama-bpe";
  int32_t bos = -1, eot = -1, user = -1;

  SyntheticBpe() {
    for (int b = 0; b < 256; ++b) {
      tokens.emplace_back(tok::byte_to_unicode(static_cast<uint8_t>(b)));
      types.push_back(1);
    }
    const std::string sp(tok::byte_to_unicode(' '));
    for (const auto& [l, r] : std::vector<std::pair<std::string, std::string>>{
             {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {sp, "w"}, {"o", "r"}, {sp + "w", "or"},
             {sp + "wor", "l"}, {sp + "worl", "d"}}) {
      merges.push_back(l + " " + r);
      tokens.push_back(l + r);
      types.push_back(1);
    }
    bos = add_special("<|begin_of_text|>", 3);
    eot = add_special("<|eot_id|>", 3);
    user = add_special("<|tool|>", 4);
  }
  int32_t add_special(const std::string& text, int32_t type) {
    tokens.push_back(text);
    types.push_back(type);
    return static_cast<int32_t>(tokens.size() - 1);
  }
  gguf::Writer writer() const {
    gguf::Writer w;
    w.set_string("general.architecture", "llama");
    w.set_string("tokenizer.ggml.model", "gpt2");
    if (!pre.empty()) w.set_string("tokenizer.ggml.pre", pre);
    w.set_string_array("tokenizer.ggml.tokens", tokens);
    w.set_i32_array("tokenizer.ggml.token_type", types);
    w.set_string_array("tokenizer.ggml.merges", merges);
    w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(bos));
    w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(eot));
    return w;
  }
};

// Parses writer output and builds a tokenizer; the bytes are kept alive alongside.
struct Built {
  std::vector<uint8_t> bytes;
  Result<std::unique_ptr<Tokenizer>> tok = Error{"not built"};
};

inline std::unique_ptr<Built> build(const gguf::Writer& w) {
  auto b = std::make_unique<Built>();
  b->bytes = w.to_bytes();
  auto file = gguf::File::parse(b->bytes, "<synthetic>");
  if (!file.ok()) {
    b->tok = file.error();
    return b;
  }
  b->tok = Tokenizer::from_gguf(*file);
  return b;
}

}  // namespace trit::test
