// Hyper-parameters read from GGUF metadata (`<arch>.*` keys), validated before any allocation.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "gguf/gguf.h"

namespace trit {

enum class Arch { kLlama, kBitnet, kBitnetB158 };  // kBitnetB158: bitnet.cpp's bitnet-b1.58 / bitnet-25
enum class Activation { kSilu, kRelu2, kGelu };
enum class RopeType { kNormal, kNeox };  // normal: adjacent pairs (llama); neox: rotate-half

struct HParams {
  Arch arch = Arch::kLlama;
  std::string arch_name;  // as in general.architecture
  uint32_t n_vocab = 0;
  uint32_t n_ctx_train = 0;
  uint32_t n_embd = 0;
  uint32_t n_layer = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  uint32_t n_ff = 0;
  uint32_t head_dim = 0;  // n_embd / n_head unless the file says otherwise
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  RopeType rope_type = RopeType::kNormal;
  Activation activation = Activation::kSilu;  // the model's own definition
  bool activation_declared = false;           // from `<arch>.hidden_activation`, else the arch default
  bool tied_embeddings = false;               // no output.weight: token_embd is the head
};

std::string_view arch_name(Arch a);
std::string_view activation_name(Activation a);

Result<HParams> read_hparams(const gguf::File& file);

}  // namespace trit
