// A small self-contained byte-level BPE vocabulary (GPT-2 style) for synthetic models: 256 byte
// tokens, merges that build a few hundred common English words, and three special tokens.
#pragma once

#include "gguf/gguf.h"

namespace trit::synth {

// Writes tokenizer.* metadata; returns the vocabulary size.
uint32_t write_byte_vocab(gguf::Writer& w);

// Copies every tokenizer.* key from another GGUF (e.g. ggml-vocab-llama-bpe.gguf); returns the
// vocabulary size, or an Error if the file has no usable vocabulary.
Result<uint32_t> copy_vocab(const std::string& path, gguf::Writer& w);

}  // namespace trit::synth
