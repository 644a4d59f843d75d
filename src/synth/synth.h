// Deterministic synthetic GGUF models: any supported arch, shape and tensor type, with weights
// that look trained where it matters for numerics (ternary codes with an absmean scale, norms near
// 1, embeddings of sensible RMS), so that logits are neither flat nor one-hot.
// The same options and seed always give the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/tensor_type.h"

namespace trit::synth {

struct Shape {
  uint32_t n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, n_ff = 0;
  uint32_t n_ctx = 4096;
  float rope_freq_base = 10000.0f;
  uint32_t n_vocab = 0;  // 0: the vocabulary's own size; else pad the vocabulary to this size
};

// tiny | small | 2b4t (BitNet b1.58 2B4T, vocab 128256) | 1b (Llama-3.2-1B-like) | WxLxHxKVxFF
Result<Shape> parse_shape(const std::string& spec);

struct Options {
  std::string arch = "bitnet";          // llama | bitnet | bitnet-b1.58 | bitnet-25
  Shape shape;
  TensorType type = TensorType::TQ2_0;  // the big matrices
  TensorType embd_type = TensorType::F16;  // token_embd (and output.weight for llama)
  std::string vocab = "byte";           // "byte" or the path of a GGUF to copy tokenizer.* from
  uint64_t seed = 42;
  std::optional<std::string> activation;  // written as <arch>.hidden_activation when set
  bool tied_embeddings = true;          // llama: false writes a separate output.weight
  int n_threads = 0;                    // 0: all cores
};

struct Summary {
  uint64_t n_params = 0;
  uint64_t file_bytes = 0;
  uint32_t n_vocab = 0;
};

// Writes the model to `path` atomically.
Result<Summary> write_model(const Options& options, const std::string& path);

}  // namespace trit::synth
