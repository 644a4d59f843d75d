// Fuzz target: arbitrary bytes as text through the tokenizers. Byte 0 picks the vocabulary and the
// flags, the rest is the text. Vocabularies are built once, in process, as real GGUF bytes:
//   0: byte-level BPE (tests/tokenizer/synthetic_vocab.h: 256 byte tokens, merges, specials)
//   1: SentencePiece with byte fallback (below)
//   2..: llama.cpp's ggml-vocab-*.gguf test vocabs when installed (TRIT_LLAMA_CPP_DIR or the cache)
// Checks: no crash; every id is in range; and for the synthetic BPE vocab and valid UTF-8 text,
// detokenize(tokenize(text)) == text (tokenizer.h's round-trip promise).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf.h"
#include "tokenizer/synthetic_vocab.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab_files.h"

namespace {

using trit::Tokenizer;

// A small SentencePiece vocab: <unk>, <s>, </s>, the 256 byte tokens, a few scored pieces, one
// control and one user-defined token.
trit::gguf::Writer spm_writer() {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  std::vector<float> scores = {0, 0, 0};
  static const char* kHex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
    types.push_back(6);
    scores.push_back(0);
  }
  const std::string sp = "\xe2\x96\x81";  // U+2581, SentencePiece's space
  const std::vector<std::string> pieces = {sp, sp + "t", sp + "th", sp + "the", "h", "e", "t", "l", "o", "w", "r",
                                           "d", "a", "he", "ll", "llo", sp + "hello", sp + "world", "\xc3\xa9",
                                           sp + "a", "in", "ing", sp + sp, "1", "12"};
  float score = -1;
  for (const auto& p : pieces) {
    tokens.push_back(p);
    types.push_back(1);
    scores.push_back(score -= 0.5f);
  }
  tokens.push_back("<|eot_id|>");
  types.push_back(3);
  scores.push_back(0);
  tokens.push_back("<tool>");
  types.push_back(4);
  scores.push_back(0);
  trit::gguf::Writer w;
  w.set_string("general.architecture", "llama");
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
  return w;
}

struct Vocabs {
  std::vector<std::unique_ptr<trit::test::Built>> built;
  std::vector<std::vector<uint8_t>> files;  // bytes of the installed vocabs (File::parse keeps pointers)
  std::vector<std::unique_ptr<Tokenizer>> toks;
  Vocabs() {
    for (const auto& w : {trit::test::SyntheticBpe().writer(), spm_writer()}) {
      built.push_back(trit::test::build(w));
      if (!built.back()->tok.ok()) std::abort();  // the fixed vocabs must load
      toks.push_back(std::move(*built.back()->tok));
    }
    for (const char* name : {"llama-bpe", "llama-spm", "gpt-2", "starcoder", "falcon"}) {
      const std::string path = trit::test::vocab_path(name);
      if (!std::filesystem::exists(path)) continue;
      auto f = trit::gguf::File::open(path);
      if (!f.ok()) continue;
      auto t = Tokenizer::from_gguf(*f);
      if (t.ok()) toks.push_back(std::move(*t));
    }
  }
};

Vocabs& all_vocabs() {
  static Vocabs v;
  return v;
}

}  // namespace

// Loading llama.cpp's 128k-token vocabs takes seconds under ASan: do it before the per-input
// timeout starts (libFuzzer and replay_main.cpp both call this first).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  all_vocabs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Vocabs& vocabs = all_vocabs();
  if (size == 0) return 0;
  const uint8_t sel = data[0];
  const size_t which = (sel & 0x0f) % vocabs.toks.size();
  const bool add_special = sel & 0x10, parse_special = sel & 0x20;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Tokenizer& t = *vocabs.toks[which];
  const std::vector<int32_t> ids = t.tokenize(text, add_special, parse_special);
  for (int32_t id : ids) {
    if (id < 0 || id >= t.n_vocab()) std::abort();
    (void)t.token_to_piece(id, parse_special);
  }
  const std::string back = t.detokenize(ids, {.remove_special = add_special, .unparse_special = parse_special});
  if (which == 0 && !add_special && !parse_special && trit::tok::utf8_is_valid(text) && back != text) {
    std::abort();  // byte-level BPE must round-trip valid UTF-8
  }
  return 0;
}
