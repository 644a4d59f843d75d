#include "model/hparams.h"

#include <cmath>

namespace trit {
namespace {

// Limits that keep a lying header from making trit allocate absurd buffers. Real models are far
// below them (Llama-3-405B: n_embd 16384, 126 layers).
constexpr uint64_t kMaxEmbd = 65536;
constexpr uint64_t kMaxLayers = 1024;
constexpr uint64_t kMaxHeads = 1024;
constexpr uint64_t kMaxFf = 1 << 20;
constexpr uint64_t kMaxCtx = 1 << 24;

Result<Arch> arch_from_name(const std::string& name) {
  if (name == "llama") return Arch::kLlama;
  if (name == "bitnet") return Arch::kBitnet;
  if (name == "bitnet-b1.58" || name == "bitnet-25") return Arch::kBitnetB158;
  return make_error("unsupported architecture '" + name + "' (trit runs llama, bitnet, bitnet-b1.58, bitnet-25)");
}

Result<Activation> activation_from_name(const std::string& name) {
  if (name == "silu" || name == "swish") return Activation::kSilu;
  if (name == "relu2" || name == "relu_squared" || name == "squared_relu" || name == "relu^2")
    return Activation::kRelu2;
  if (name == "gelu") return Activation::kGelu;
  return make_error("unknown hidden_activation '" + name + "' (expected silu, relu2 or gelu)");
}

}  // namespace

std::string_view arch_name(Arch a) {
  switch (a) {
    case Arch::kLlama: return "llama";
    case Arch::kBitnet: return "bitnet";
    case Arch::kBitnetB158: return "bitnet-b1.58";
  }
  return "?";
}

std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::kSilu: return "silu";
    case Activation::kRelu2: return "relu2";
    case Activation::kGelu: return "gelu";
  }
  return "?";
}

Result<HParams> read_hparams(const gguf::File& f) {
  HParams hp;
  auto arch = f.get_string("general.architecture");
  if (!arch) return make_error(f.path() + ": metadata 'general.architecture' is missing");
  auto a = arch_from_name(*arch);
  if (!a) return make_error(f.path() + ": " + a.error().message);
  hp.arch = *a;
  hp.arch_name = *arch;
  const std::string p = *arch + ".";

  auto need = [&](const char* key, uint64_t max, uint32_t* out) -> Status {
    auto v = f.get_uint(p + key);
    if (!v) return make_error(f.path() + ": metadata '" + p + key + "' is missing or not an integer");
    if (*v == 0 || *v > max)
      return make_error(f.path() + ": metadata '" + p + key + "' = " + std::to_string(*v) +
                        " is out of range (1.." + std::to_string(max) + ")");
    *out = uint32_t(*v);
    return {};
  };
  TRIT_TRY(need("embedding_length", kMaxEmbd, &hp.n_embd));
  TRIT_TRY(need("block_count", kMaxLayers, &hp.n_layer));
  TRIT_TRY(need("attention.head_count", kMaxHeads, &hp.n_head));
  TRIT_TRY(need("feed_forward_length", kMaxFf, &hp.n_ff));
  if (f.find(p + "attention.head_count_kv")) {
    TRIT_TRY(need("attention.head_count_kv", kMaxHeads, &hp.n_head_kv));
  } else {
    hp.n_head_kv = hp.n_head;
  }
  if (f.find(p + "context_length")) {
    TRIT_TRY(need("context_length", kMaxCtx, &hp.n_ctx_train));
  } else {
    hp.n_ctx_train = 4096;
  }
  if (hp.n_embd % hp.n_head != 0)
    return make_error(f.path() + ": n_embd " + std::to_string(hp.n_embd) + " is not divisible by n_head " +
                      std::to_string(hp.n_head));
  if (hp.n_head % hp.n_head_kv != 0)
    return make_error(f.path() + ": n_head " + std::to_string(hp.n_head) + " is not a multiple of n_head_kv " +
                      std::to_string(hp.n_head_kv));
  hp.head_dim = hp.n_embd / hp.n_head;
  if (auto kl = f.get_uint(p + "attention.key_length"); kl && *kl != hp.head_dim)
    return make_error(f.path() + ": attention.key_length " + std::to_string(*kl) +
                      " differs from n_embd/n_head; trit does not support that yet");
  if (hp.head_dim % 2 != 0) return make_error(f.path() + ": head dimension must be even for RoPE");
  if (auto rot = f.get_uint(p + "rope.dimension_count"); rot && *rot != hp.head_dim)
    return make_error(f.path() + ": rope.dimension_count " + std::to_string(*rot) +
                      " != head dimension; partial RoPE is not supported");

  if (auto eps = f.get_float(p + "attention.layer_norm_rms_epsilon")) {
    if (!(*eps > 0 && *eps < 1)) return make_error(f.path() + ": layer_norm_rms_epsilon out of range");
    hp.rms_eps = float(*eps);
  }
  if (auto base = f.get_float(p + "rope.freq_base")) {
    if (!(*base > 1 && std::isfinite(*base))) return make_error(f.path() + ": rope.freq_base out of range");
    hp.rope_freq_base = float(*base);
  }
  // llama.cpp: llama uses adjacent pairs; bitnet rotates halves (LLAMA_ROPE_TYPE_NEOX).
  hp.rope_type = hp.arch == Arch::kLlama ? RopeType::kNormal : RopeType::kNeox;
  // BitNet b1.58 was trained with squared ReLU (REFERENCE.md section 2).
  hp.activation = hp.arch == Arch::kLlama ? Activation::kSilu : Activation::kRelu2;
  if (auto act = f.get_string(p + "hidden_activation")) {
    auto a2 = activation_from_name(*act);
    if (!a2) return make_error(f.path() + ": " + a2.error().message);
    hp.activation = *a2;
    hp.activation_declared = true;
  }

  const auto* embd = f.find_tensor("token_embd.weight");
  if (!embd) return make_error(f.path() + ": tensor 'token_embd.weight' is missing");
  if (embd->shape.size() != 2 || embd->shape[0] != hp.n_embd)
    return make_error(f.path() + ": tensor 'token_embd.weight' should be [" + std::to_string(hp.n_embd) +
                      ", n_vocab]");
  if (embd->shape[1] == 0 || embd->shape[1] > (1u << 24))
    return make_error(f.path() + ": vocabulary size " + std::to_string(embd->shape[1]) + " out of range");
  hp.n_vocab = uint32_t(embd->shape[1]);
  hp.tied_embeddings = f.find_tensor("output.weight") == nullptr;
  return hp;
}

}  // namespace trit
