// Temporary synthetic models for model/ tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

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

}  // namespace trit::testing
