// The model's tensors bound by name to a plain struct, with every shape checked against HParams.
// Tensor names follow llama.cpp (token_embd, blk.N.attn_q, ...), so the same file loads in both.
#pragma once

#include <optional>
#include <vector>

#include "core/result.h"
#include "gguf/gguf.h"
#include "kernels/matmul.h"
#include "model/hparams.h"

namespace trit {

// A norm weight vector as float (F32 in the file is used in place; F16/BF16 are converted once).
struct NormWeight {
  const float* data = nullptr;
  int64_t n = 0;
  explicit operator bool() const { return data != nullptr; }
};

struct LayerWeights {
  NormWeight attn_norm;
  WeightMatrix wq, wk, wv, wo;
  NormWeight attn_sub_norm;  // bitnet: rmsnorm before Wo
  NormWeight ffn_norm;
  WeightMatrix ffn_gate, ffn_up, ffn_down;
  NormWeight ffn_sub_norm;   // bitnet: rmsnorm before Wdown
};

struct ModelWeights {
  WeightMatrix token_embd;   // [n_vocab rows][n_embd]
  NormWeight output_norm;
  WeightMatrix output;       // the head; token_embd when embeddings are tied
  std::vector<float> rope_freqs;  // optional llama3-style frequency factors, head_dim/2
  std::vector<LayerWeights> layers;
  std::vector<std::vector<float>> owned;  // converted norms
  std::vector<std::vector<uint8_t>> owned_bytes;  // repacked matrices (kernels/repack.h)
  int64_t repacked_bytes = 0;                     // their total size
};

// repack_tq1: rewrite TQ1_0 layer matrices as TQ2_0 (kernels/repack.h): the same values, faster
// kernels, 22% more bytes; the file's TQ1_0 pages are then dropped from this process (they stay in
// the page cache), so resident memory grows by the difference only.
Result<ModelWeights> bind_weights(const gguf::File& file, const HParams& hp, bool repack_tq1 = true);

}  // namespace trit
