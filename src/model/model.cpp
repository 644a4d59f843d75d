// Loading: GGUF -> HParams -> bound weights. The forward pass lives in session.cpp.
#include "model/model.h"

#include "model/model_impl.h"

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
  // bitnet.cpp's BitNet graphs use squared ReLU.
  if (compat == Compat::kBitnetCpp && hp.arch != Arch::kLlama) return Activation::kRelu2;
  return hp.activation;
}

Result<std::unique_ptr<Model>> Model::load(const std::string& path, const ModelOptions& opts) {
  auto file = gguf::File::open(path);
  if (!file) return file.error();
  auto hp = read_hparams(*file);
  if (!hp) return hp.error();
  auto weights = bind_weights(*file, *hp);
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

uint64_t Model::n_params() const {
  uint64_t n = 0;
  for (const auto& t : file_.tensors()) n += t.n_elements();
  return n;
}

}  // namespace trit
