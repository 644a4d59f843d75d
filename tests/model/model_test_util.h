// Temporary synthetic models for model/ tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <cctype>
#include <string>

#include "model/model.h"
#include "synth/synth.h"

namespace trit::testing {

// A synthetic model in a per-process temp dir; removed at exit of the test binary's scope.
inline std::string synth_model(const std::string& arch, TensorType type, const std::string& shape = "tiny",
                               uint64_t seed = 7, TensorType embd = TensorType::F16, bool untied = false) {
  auto dir = std::filesystem::temp_directory_path() / ("trit_model_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (arch + "_" + std::string(tensor_type_name(type)) + "_" + shape + "_" +
                                   std::to_string(seed) + (untied ? "_u" : "") + ".gguf")).string();
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
