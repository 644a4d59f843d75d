// SentencePiece-style (SPM) tokenization of one text fragment, as llm_tokenizer_spm_session in
// llama.cpp's src/llama-vocab.cpp: split into UTF-8 characters, repeatedly merge the adjacent pair
// whose concatenation is a token with the highest score (leftmost first on ties), then emit each
// symbol's token or, where it is none, byte-fallback tokens <0xXX>.
// The caller has already added the space prefix and replaced ' ' by U+2581.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace trit::tok {

void spm_encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

// The token for one raw byte: "<0xXX>", else the byte itself as a token (llama_vocab::byte_to_token
// for SPM); kNoToken when neither exists (llama.cpp throws there).
int32_t spm_byte_token(const Vocab& vocab, uint8_t byte);

}  // namespace trit::tok
