// The vocabulary of a GGUF model, read and validated from its `tokenizer.*` metadata, with the
// defaults and fix-ups llama.cpp applies when it loads the same file (src/llama-vocab.cpp,
// llama_vocab::impl::load), so that every id we produce is the id llama.cpp produces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace trit::gguf {
class File;
}

namespace trit {

// tokenizer.ggml.model: "llama" is SentencePiece (SPM), "gpt2" byte-level BPE.
enum class VocabType { kSpm, kBpe };

// The pre-tokenizer (regex split before BPE), chosen from tokenizer.ggml.pre as llama.cpp does.
enum class PreType {
  kDefault,    // "default" or missing (the official BitNet 2B4T GGUF): 4 regexes in sequence
  kLlama3,     // "llama3", "llama-bpe", "llama-v3", "falcon3", ...
  kGpt2,       // "gpt-2", "phi-2", "mpt", "olmo", ...
  kStarcoder,  // "starcoder", "refact", "smollm", ...: digits split, then the GPT-2 regex
  kFalcon,     // "falcon"
};

// Token attributes: llama.cpp's llama_token_attr bits, derived from tokenizer.ggml.token_type.
namespace token_attr {
inline constexpr uint32_t kUndefined = 0;
inline constexpr uint32_t kUnknown = 1u << 0;
inline constexpr uint32_t kUnused = 1u << 1;
inline constexpr uint32_t kNormal = 1u << 2;
inline constexpr uint32_t kControl = 1u << 3;
inline constexpr uint32_t kUserDefined = 1u << 4;
inline constexpr uint32_t kByte = 1u << 5;
}  // namespace token_attr

inline constexpr int32_t kNoToken = -1;

struct TokenData {
  std::string text;
  float score = 0.0f;
  uint32_t attr = token_attr::kNormal;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenIndex = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct Vocab {
  VocabType type = VocabType::kSpm;
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre ("" when absent)
  PreType pre_type = PreType::kDefault;

  std::vector<TokenData> tokens;
  TokenIndex token_to_id;
  std::vector<std::string> merges;  // BPE only, "left right" in rank order

  int32_t bos = kNoToken, eos = kNoToken, eot = kNoToken, eom = kNoToken;
  int32_t unk = kNoToken, pad = kNoToken;

  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;
  bool ignore_merges = false;  // llama3: a word that is itself a token skips merging
  bool clean_spaces = false;   // llama_detokenize's clean_up_tokenization_spaces default

  std::string chat_template;  // tokenizer.chat_template, "" when absent

  // Tokens matched in raw text before tokenizing (control, user-defined, unknown), longest
  // text first: llama.cpp's cache_special_tokens (ties broken by id; llama.cpp's sort is unstable).
  std::vector<int32_t> special_tokens;
  std::vector<int32_t> eog_ids;  // sorted; end-of-generation tokens

  // Every array length, id and merge is checked: a hostile file gets an Error naming the key.
  static Result<Vocab> from_gguf(const gguf::File& file);

  int32_t n_tokens() const { return static_cast<int32_t>(tokens.size()); }
  bool valid_id(int64_t id) const { return id >= 0 && id < static_cast<int64_t>(tokens.size()); }
  int32_t find(std::string_view text) const {
    auto it = token_to_id.find(text);
    return it == token_to_id.end() ? kNoToken : it->second;
  }
  uint32_t attr(int32_t id) const { return tokens[static_cast<size_t>(id)].attr; }
};

}  // namespace trit
