// Temporary files for convert/ tests: synthetic models and their converted copies.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "convert/convert.h"
#include "scratch_dir.h"
#include "synth/synth.h"

namespace trit::testing {

// Removed when the test process exits (scratch_dir.h).
inline std::filesystem::path convert_test_dir() { return scratch_dir("trit_convert_test"); }

// A synthetic model (written once per process and name).
inline std::string synth_for_convert(const std::string& arch, TensorType type, const std::string& shape = "tiny",
                                     uint64_t seed = 7) {
  const std::string path = (convert_test_dir() / (arch + "_" + std::string(tensor_type_name(type)) + "_" + shape +
                                                  "_" + std::to_string(seed) + ".gguf"))
                               .string();
  if (std::filesystem::exists(path)) return path;
  synth::Options o;
  o.arch = arch;
  o.shape = *synth::parse_shape(shape);
  o.type = type;
  o.seed = seed;
  o.n_threads = 2;
  auto r = synth::write_model(o, path);
  return r.ok() ? path : std::string();
}

inline std::string temp_path(const std::string& name) { return (convert_test_dir() / name).string(); }

inline std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline convert::Options to(TensorType t, std::string arch = "") {
  convert::Options o;
  o.type = t;
  o.arch = std::move(arch);
  o.n_threads = 2;
  return o;
}

}  // namespace trit::testing
