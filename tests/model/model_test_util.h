// Temporary synthetic models for model/ tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <cctype>
#include <span>
#include <string>
#include <vector>

#include "model/model.h"
#include "scratch_dir.h"
#include "synth/synth.h"

namespace trit::testing {

// A synthetic model in a per-process scratch dir (scratch_dir.h), removed when the test process exits.
inline std::string synth_model(const std::string& arch, TensorType type, const std::string& shape = "tiny",
                               uint64_t seed = 7, TensorType embd = TensorType::F16, bool untied = false) {
  const auto dir = scratch_dir("trit_model_test");
  const std::string path = (dir / (arch + "_" + std::string(tensor_type_name(type)) + "_" + shape + "_" +
                                   std::to_string(seed) + (untied ? "_u" : "") +
                                   (embd != TensorType::F16 ? "_e" + std::string(tensor_type_name(embd)) : "") +
                                   ".gguf")).string();
  if (std::filesystem::exists(path)) return path;
  synth::Options o;
  o.arch = arch;
  o.shape = *synth::parse_shape(shape);
  o.type = type;
  o.embd_type = embd;
  o.seed = seed;
  o.tied_embeddings = !untied;
  auto r = synth::write_model(o, path);
  return r.ok() ? path : std::string();
}

// All positions' logits of `prompt` from a fresh session on the model at `path`, loaded with or
// without the load-time weight rewrites (ModelOptions::repack_tq1), 2 threads; then, when
// decode_token >= 0, that one token's logits appended (a decode step). *repacked (if set) gets
// Model::repacked_bytes(). Empty when loading fails (the caller's assertions then fail).
inline std::vector<float> eval_logits(const std::string& path, bool repack, std::span<const int32_t> prompt,
                                      int32_t decode_token = -1, int64_t* repacked = nullptr,
                                      Compat compat = Compat::kNative) {
  auto m = Model::load(path, {.compat = compat, .n_ctx = 32, .n_threads = 2, .repack_tq1 = repack});
  if (!m.ok()) return {};
  if (repacked != nullptr) *repacked = (*m)->repacked_bytes();
  Session s(**m);
  std::vector<float> out;
  if (!s.eval(prompt, &out, true).ok()) return {};
  if (decode_token >= 0) {
    std::vector<float> step;
    if (!s.eval(std::vector<int32_t>{decode_token}, &step).ok()) return {};
    out.insert(out.end(), step.begin(), step.end());
  }
  return out;
}

// gtest parameter names for cases with arch, type and compat: "bitnet_tq2_0_llama_cpp".
template <class Info>
std::string case_name(const Info& info) {
  std::string n = std::string(info.param.arch) + "_" + std::string(tensor_type_name(info.param.type)) + "_" +
                  std::string(compat_name(info.param.compat));
  for (auto& ch : n)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

}  // namespace trit::testing
