#include "synth/byte_vocab.h"

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace trit::synth {
namespace {

// GPT-2's reversible byte -> printable code point map: printable Latin-1 bytes map to
// themselves, the rest to U+0100 onwards, so every byte is a visible character.
std::string byte_token(uint8_t b) {
  static const std::array<uint32_t, 256> cp = [] {
    std::array<uint32_t, 256> m{};
    uint32_t next = 256;
    for (int i = 0; i < 256; ++i) {
      const bool printable = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF);
      m[i] = printable ? uint32_t(i) : next++;
    }
    return m;
  }();
  const uint32_t c = cp[b];
  std::string s;
  if (c < 0x80) {
    s += char(c);
  } else {
    s += char(0xC0 | (c >> 6));
    s += char(0x80 | (c & 0x3F));
  }
  return s;
}

// Common English words; each gets merges that build it from bytes, with and without a leading
// space, so ordinary prompts tokenize into a realistic mix of words and pieces.
constexpr const char* kWords[] = {
    "the", "of", "and", "to", "in", "is", "that", "it", "was", "for", "on", "are", "as", "with",
    "his", "they", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but",
    "not", "what", "all", "were", "we", "when", "your", "can", "said", "there", "use", "an",
    "each", "which", "she", "do", "how", "their", "if", "will", "up", "other", "about", "out",
    "many", "then", "them", "these", "so", "some", "her", "would", "make", "like", "him", "into",
    "time", "has", "look", "two", "more", "write", "go", "see", "number", "no", "way", "could",
    "people", "my", "than", "first", "water", "been", "call", "who", "oil", "its", "now", "find",
    "long", "down", "day", "did", "get", "come", "made", "may", "part", "model", "token", "layer",
    "Hello", "world", "The", "In", "It", "This", "A", "I", "capital", "France", "Paris", "city",
    "language", "machine", "learning", "neural", "network", "computer", "engine", "fast", "slow",
    "once", "upon", "story", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "question",
    "answer", "what", "where", "why", "because", "function", "return", "int", "void", "const",
    "ing", "ed", "er", "ly", "tion", "es", "un", "re"};

}  // namespace

uint32_t write_byte_vocab(gguf::Writer& w, uint32_t pad_to) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::set<std::string> known;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(byte_token(uint8_t(b)));
    types.push_back(1);  // normal
    known.insert(tokens.back());
  }
  std::vector<std::string> merges;
  std::set<std::string> merge_set;
  auto build = [&](const std::string& word) {
    // Left to right: ((w0 w1) w2) ...; every intermediate is a token, so the BPE is consistent.
    std::string cur = byte_token(uint8_t(word[0]));
    for (size_t i = 1; i < word.size(); ++i) {
      const std::string next = byte_token(uint8_t(word[i]));
      const std::string merge = cur + " " + next;
      cur += next;
      if (merge_set.insert(merge).second) merges.push_back(merge);
      if (known.insert(cur).second) {
        tokens.push_back(cur);
        types.push_back(1);
      }
    }
  };
  for (const char* word : kWords) {
    build(word);
    build(std::string(" ") + word);
  }
  const int32_t bos = int32_t(tokens.size());
  for (const char* special : {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"}) {
    tokens.push_back(special);
    types.push_back(3);  // control
  }
  for (uint32_t i = 0; tokens.size() < pad_to; ++i) {
    tokens.push_back("<|reserved_" + std::to_string(i) + "|>");
    types.push_back(3);
  }
  const uint32_t n_vocab = uint32_t(tokens.size());
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "gpt-2");
  w.set_string_array("tokenizer.ggml.tokens", std::move(tokens));
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_string_array("tokenizer.ggml.merges", std::move(merges));
  w.set_u32("tokenizer.ggml.bos_token_id", uint32_t(bos));
  w.set_u32("tokenizer.ggml.eos_token_id", uint32_t(bos + 1));
  w.set_u32("tokenizer.ggml.eot_token_id", uint32_t(bos + 2));
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_bool("tokenizer.ggml.add_eos_token", false);
  return n_vocab;
}

Result<uint32_t> copy_vocab(const std::string& path, gguf::Writer& w) {
  auto f = gguf::File::open(path);
  if (!f) return f.error();
  auto tokens = f->get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return make_error(path + ": no vocabulary to copy: " + tokens.error().message);
  for (const auto& kv : f->metadata())
    if (kv.key.rfind("tokenizer.", 0) == 0) w.set(kv.key, kv.value);
  return uint32_t(tokens->size());
}

}  // namespace trit::synth
