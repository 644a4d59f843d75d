// Where llama.cpp's tokenizer test vocabs live (models/ggml-vocab-*.gguf with .inp / .out):
// $TRIT_LLAMA_CPP_DIR/src/models, else ${TRIT_CACHE_DIR:-~/.cache/trit}/llama_cpp/src/models.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace trit::test {

inline std::filesystem::path llama_cpp_models_dir() {
  if (const char* d = std::getenv("TRIT_LLAMA_CPP_DIR"); d && *d) return std::filesystem::path(d) / "src" / "models";
  std::filesystem::path cache;
  if (const char* c = std::getenv("TRIT_CACHE_DIR"); c && *c) {
    cache = c;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    cache = std::filesystem::path(h) / ".cache" / "trit";
  }
  return cache / "llama_cpp" / "src" / "models";
}

inline std::string vocab_path(const std::string& name) {
  return (llama_cpp_models_dir() / ("ggml-vocab-" + name + ".gguf")).string();
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace trit::test

// Skips (loudly) when the llama.cpp reference bundle is not installed.
#define TRIT_REQUIRE_VOCAB(path)                                                                    \
  do {                                                                                              \
    if (!std::filesystem::exists(path)) {                                                           \
      GTEST_SKIP() << "llama.cpp vocab not found: " << (path)                                       \
                   << " -- run scripts/fetch-llama-cpp.sh or set TRIT_LLAMA_CPP_DIR";               \
    }                                                                                               \
  } while (0)
