// Splitting raw text around special tokens before tokenizing, as llama.cpp's
// llama_vocab::impl::tokenizer_st_partition: for each special token, longest text first, every
// occurrence in every still-raw fragment becomes that token. Control and unknown tokens take part
// only when parse_special is true; user-defined tokens always do (as Hugging Face tokenizers).
// (llama.cpp's per-model LSTRIP/RSTRIP attributes, set only for phi-3, jina and modern-bert by
// model name, are not reproduced.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace trit::tok {

struct Fragment {
  int32_t token = kNoToken;  // kNoToken: raw text [offset, offset + length)
  size_t offset = 0;
  size_t length = 0;
  bool is_text() const { return token == kNoToken; }
};

std::vector<Fragment> partition_special(const Vocab& vocab, std::string_view text, bool parse_special);

}  // namespace trit::tok
