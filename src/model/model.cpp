// Loading: GGUF -> HParams -> bound weights. The forward pass lives in session.cpp.
#include "model/model.h"

#include <cstdlib>
#include <string_view>

#include "model/model_impl.h"

#include "kernels/ggml_order.h"

namespace trit {

std::string_view compat_name(Compat c) {
  switch (c) {
    case Compat::kNative: return "native";
    case Compat::kLlamaCpp: return "llama.cpp";
    case Compat::kBitnetCpp: return "bitnet.cpp";
  }
  return "?";
}

Result<Compat> compat_from_name(std::string_view name) {
  if (name == "native" || name.empty()) return Compat::kNative;
  if (name == "llama.cpp" || name == "llama") return Compat::kLlamaCpp;
  if (name == "bitnet.cpp" || name == "bitnet") return Compat::kBitnetCpp;
  return make_error("unknown --compat '" + std::string(name) + "' (expected native, llama.cpp or bitnet.cpp)");
}

Activation effective_activation(const HParams& hp, Compat compat) {
  // Mainline llama.cpp's `bitnet` graph hard-codes SiLU (src/models/bitnet.cpp at the pinned commit).
  if (compat == Compat::kLlamaCpp && hp.arch != Arch::kLlama) return Activation::kSilu;
  // bitnet.cpp (3rdparty/llama.cpp src/llama.cpp): build_bitnet_158(), for `bitnet-b1.58` and
  // `bitnet-25`, uses squared ReLU; its older build_bitnet(), for `bitnet`, hard-codes SiLU as
  // mainline does (checked in the 2024-10 fork, merge-dev 406a503, and kept in later ones).
  if (compat == Compat::kBitnetCpp && hp.arch == Arch::kBitnetB158) return Activation::kRelu2;
  if (compat == Compat::kBitnetCpp && hp.arch == Arch::kBitnet) return Activation::kSilu;
  return hp.activation;
}

RefNumerics ref_numerics(Compat compat) {
  // llama.cpp's prebuilt CPU backend (GCC, FMA enabled) contracts RoPE's rotation into fused
  // multiply-adds and runs K·q, softmax and SiLU in ggml's SIMD order with ggml_v_expf; P·V keeps
  // fp16 probabilities (no llamafile for it). Measured: bitnet TQ2_0 cos 0.99998 -> 1.0000000.
  if (compat == Compat::kLlamaCpp)
    return {.rope_fma = true, .ggml_simd = true, .pv_f32 = false, .lanes = ggml_softmax_lanes()};
  if (compat != Compat::kBitnetCpp) return {};
  // bitnet.cpp is built by clang with -march=native (its CMake requires clang) and its ggml
  // (2024-10 fork) has llamafile on: RoPE with fmas, ggml's SIMD loops, P·V through tinyBLAS.
  return {.rope_fma = true, .ggml_simd = true, .pv_f32 = true, .lanes = ggml_softmax_lanes()};
}

Result<std::unique_ptr<Model>> Model::load(const std::string& path, const ModelOptions& opts) {
  auto file = gguf::File::open(path);
  if (!file) return file.error();
  auto hp = read_hparams(*file);
  if (!hp) return hp.error();
  const char* env = std::getenv("TRIT_REPACK");
  const bool repack = opts.repack_tq1 && !(env != nullptr && std::string_view(env) == "0");
  auto weights = bind_weights(*file, *hp, repack);
  if (!weights) return weights.error();
  if (opts.n_ctx < 0) return make_error("context size must be positive, got " + std::to_string(opts.n_ctx));
  auto model = std::unique_ptr<Model>(new Model(std::move(*file), std::move(*hp), opts));
  model->weights_ = std::make_shared<ModelWeights>(std::move(*weights));
  return model;
}

std::vector<std::string> Model::deviations() const {
  std::vector<std::string> out;
  const Activation used = effective_activation(hparams_, options_.compat);
  if (used != hparams_.activation) {
    out.push_back("FFN activation " + std::string(activation_name(used)) + " instead of the model's " +
                  std::string(activation_name(hparams_.activation)) + " (reproducing " +
                  std::string(compat_name(options_.compat)) + "'s " + hparams_.arch_name + " graph)");
  }
  return out;
}

int64_t Model::repacked_bytes() const { return weights_->repacked_bytes; }

uint64_t Model::n_params() const {
  uint64_t n = 0;
  for (const auto& t : file_.tensors()) n += t.n_elements();
  return n;
}

}  // namespace trit
