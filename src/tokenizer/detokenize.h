// Token -> text pieces and the text clean-up of llama.cpp's detokenizer (src/llama-vocab.cpp:
// token_to_piece, llama_decode_text, detokenize).
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/vocab.h"

namespace trit::tok {

// llama_token_to_piece(id, lstrip = 0, special = true): control / user-defined / unknown tokens as
// their text; normal tokens with SPM's U+2581 as ' ' or BPE's byte encoding undone; byte tokens
// <0xXX> as that byte; unused / undefined tokens as "".
std::string render_piece(const Vocab& vocab, int32_t id);

// GPT-2 byte decoding of a BPE token text (llama_decode_text); a character that stands for no
// byte becomes "[UNK_BYTE_0x<hex>" + text + "]", as in llama.cpp.
std::string decode_byte_level(std::string_view text);

// clean_up_tokenization_spaces: " ?" " !" " ." " ," lose the space; " ' " becomes "'"; " 's" " 'm"
// " 're" " 've" lose the space (the three passes of llama_vocab::impl::detokenize).
void clean_up_spaces(std::string& text);

}  // namespace trit::tok
