// Internal to model/: what Model and Session share beyond the public header.
#pragma once

#include "model/blocks.h"
#include "model/model.h"
#include "model/weights.h"

namespace trit {

// The FFN activation a compat profile runs (the model's own unless a reference graph differs).
Activation effective_activation(const HParams& hp, Compat compat);

// The float rounding a compat profile reproduces (blocks.h RefNumerics).
RefNumerics ref_numerics(Compat compat);

// The context a Session gets for ModelOptions::n_ctx: n_ctx, or for 0 the model's training
// context, at most 4096.
int effective_n_ctx(const HParams& hp, int n_ctx);

// Bytes of a Session's KV cache at ModelOptions::n_ctx (fp16 K and V of every layer).
int64_t session_kv_cache_bytes(const HParams& hp, int n_ctx);

// Bytes a Session of this model holds besides the KV cache: one prompt chunk's activations,
// per-thread attention scratch, matmul's quantized activations, one row of logits (session.cpp).
// n_ctx 0: the Session's default; n_threads: as the pool resolves it (>= 1).
int64_t session_scratch_bytes(const HParams& hp, int n_ctx, int n_threads);

// Heap bytes of the GGUF metadata parsed into memory (mostly the vocabulary: one gguf::Value per
// array item, plus the buffers of strings too long for std::string's inline storage).
int64_t metadata_heap_bytes(const gguf::File& file);

// The resident memory the TQ1_0 -> TQ2_0 repack may add by default (model.cpp explains the rule).
// Whether this CPU's TQ1_0 kernel reads kernels/repack.h's 16-row groups: then the default budget
// is 0 (TQ1_0 stays TQ1_0, in 16-row groups).
bool tq1_reads_16_row_groups();
int64_t default_repack_budget(const gguf::File& file, const HParams& hp, const ModelOptions& opts);

}  // namespace trit
