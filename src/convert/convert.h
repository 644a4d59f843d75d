// `trit convert`: re-pack a model's weight matrices into another tensor type, and rename its
// architecture for the engine that will read it. Everything else (norms, embeddings, tokenizer,
// metadata) is copied unchanged, in the same order, so a lossless round trip is byte-identical.
//
// Which tensors: the layer matrices blk.N.{attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,
// ffn_down}.weight (the ones bitnet.cpp and llama.cpp quantize to ternary). Per source -> target:
//   ternary -> ternary   re-pack of the same codes and scale (convert/ternary_tensor.h says exactly
//                        when that is lossless; otherwise an error unless allow_lossy);
//   float / Q* -> ternary  dequantize, then ternarize: exact for values already {-a, 0, +a},
//                        BitNet absmean otherwise;
//   any -> Q8_0 / F32 / F16 / BF16  dequantize, then the reference quantizer of the target.
// general.file_type is set to the target's llama_ftype (I2_S: bitnet.cpp's 40).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/tensor_type.h"

namespace trit::convert {

struct Options {
  TensorType type = TensorType::TQ2_0;
  // "" keeps general.architecture; otherwise the new name (bitnet | bitnet-b1.58 | bitnet-25), and
  // every `<old>.` metadata key is renamed to `<new>.` in place.
  std::string arch;
  bool allow_lossy = false;  // ternary -> ternary re-packs that change a value: warn instead of fail
  int n_threads = 0;         // 0: all cores
};

struct TensorReport {
  std::string name;
  TensorType from, to;
  std::string how;  // "copied", "re-packed", "re-packed (lossy: ...)", "ternarized (absmean)", ...
  bool lossy = false;
};

struct Report {
  std::string arch_from, arch_to;
  std::vector<TensorReport> tensors;  // the converted ones only
  int n_copied = 0;                   // tensors copied unchanged
  int n_lossy = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
};

// True for the tensors that convert re-packs (see the header comment).
bool is_weight_matrix(const std::string& tensor_name);

// The llama_ftype written for a weight type (llama.h; I2_S = 40 in bitnet.cpp's llama.h).
uint32_t ftype_of(TensorType t);

// Reads `in`, writes `out` atomically (gguf::Writer). An Error names the tensor and the reason:
// unreadable input, an unsupported type or shape, a lossy re-pack without allow_lossy, a bad arch.
Result<Report> convert_model(const std::string& in, const std::string& out, const Options& options);

}  // namespace trit::convert
