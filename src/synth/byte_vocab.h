// A small self-contained byte-level BPE vocabulary (GPT-2 style) for synthetic models: 256 byte
// tokens, merges that build a few hundred common English words, and three special tokens.
#pragma once

#include "gguf/gguf.h"

namespace trit::synth {

// Writes tokenizer.* metadata; returns the vocabulary size. With pad_to larger than the natural
// size, reserved control tokens <|reserved_N|> fill the vocabulary up to pad_to (as Llama-3's
// reserved special tokens do), so a shape can have its real model's embedding size.
uint32_t write_byte_vocab(gguf::Writer& w, uint32_t pad_to = 0);

// Copies every tokenizer.* key from another GGUF (e.g. ggml-vocab-llama-bpe.gguf); returns the
// vocabulary size, or an Error if the file has no usable vocabulary.
Result<uint32_t> copy_vocab(const std::string& path, gguf::Writer& w);

}  // namespace trit::synth
