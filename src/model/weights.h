// The model's tensors bound by name to a plain struct, with every shape checked against HParams.
// Tensor names follow llama.cpp (token_embd, blk.N.attn_q, ...), so the same file loads in both.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/page_buffer.h"
#include "core/result.h"
#include "gguf/gguf.h"
#include "kernels/matmul.h"
#include "model/hparams.h"
#include "model/model.h"

namespace trit {

// A norm weight vector as float, copied (F16/BF16 converted) out of the file once at load.
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
  std::vector<PageBuffer> owned_bytes;  // the matrices rewritten at load (kernels/repack.h): one mapping
  int64_t repacked_bytes = 0;                     // their total size
  int tq1_repacked = 0;         // TQ1_0 layer matrices rewritten as TQ2_0
  int tq1_kept = 0;             // TQ1_0 layer matrices left as stored (repack off, or over the budget)
  int64_t tq1_extra_bytes = 0;  // resident bytes the TQ1_0 repack may have added (its cost, choose_repacks)
};

// What rewriting TQ1_0 matrix m as TQ2_0 may add to resident memory (an upper bound, the same for
// every matrix of a shape wherever the file put it).
int64_t tq1_repack_cost(const WeightMatrix& m);

// The repack budget rule. extra[i] is what repacking candidate matrix i may add to resident memory
// (tq1_repack_cost). Candidates are taken largest first (ties: lower index, i.e. file order), each
// one if it still fits in what is left of `budget`, so the FFN matrices (84% of a BitNet layer's
// weights) of the first layers go first and the smaller attention matrices fill what is left.
// Both kernels read every weight once per token, so what a repack saves grows with the matrix's
// size, about the same per byte of budget for every matrix (an expectation, not measured per
// matrix); largest first keeps the number of separate copies small. One flag per candidate.
std::vector<bool> choose_repacks(std::span<const int64_t> extra, int64_t budget);

// repack: rewrite weights at load (kernels/repack.h), value for value: Q4_0 / Q8_0 / TQ2_0 into
// 16-row groups where this CPU's kernel reads them (same bytes), and TQ1_0 layer matrices as TQ2_0
// (faster kernels, 22% more bytes; the file's TQ1_0 pages are then dropped from this process, so
// resident memory grows by the difference only). tq1_budget caps that growth (bytes,
// choose_repacks); the matrices over it stay TQ1_0, whose kernel computes the same values.
// ternary_span_cols: the ternary 16-row layouts' span width (kernels/repack.h ternary_span_columns).
Result<ModelWeights> bind_weights(const gguf::File& file, const HParams& hp, bool repack = true,
                                  int64_t tq1_budget = kRepackAll, int64_t ternary_span_cols = kTernarySpanColumns);

}  // namespace trit
