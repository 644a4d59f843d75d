// Byte-level BPE merging of one pre-tokenized word, as llm_tokenizer_bpe_session::tokenize in
// llama.cpp's src/llama-vocab.cpp: start from single UTF-8 characters of the byte-encoded word,
// repeatedly merge the adjacent pair with the lowest merge rank (leftmost first on ties), then map
// each symbol to its token, or each of its bytes to a one-byte token where the symbol is no token.
//
// Fast: merges are interned to integer piece ids, so a pair lookup is one hash of two ints, and a
// heap orders candidate pairs, so a word of n characters costs O(n log n), not O(n^2).
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "tokenizer/vocab.h"

namespace trit::tok {

class BpeModel {
 public:
  // Interns vocab.merges. The vocab must outlive the model.
  static Result<BpeModel> build(const Vocab& vocab);

  // Appends the tokens of `word` (already byte-encoded) to `out`.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t result;  // piece id of left + right
  };
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  int32_t piece_id(std::string_view s) const {
    auto it = piece_ids_.find(s);
    return it == piece_ids_.end() ? -1 : it->second;
  }

  const Vocab* vocab_ = nullptr;
  TokenIndex piece_ids_;             // every string that occurs in a merge -> piece id
  std::vector<int32_t> piece_token_;  // piece id -> token id, or kNoToken
  std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace trit::tok
