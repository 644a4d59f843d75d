// Loads llama.cpp's prebuilt libggml-base.so at test time (dlopen, no link dependency) so tests can
// call ggml's own reference functions and demand identical bytes. Reusable by kernel tests.
//
// Where it looks: $TRIT_LLAMA_CPP_DIR/lib, else $TRIT_CACHE_DIR/llama_cpp/lib, else
// ~/.cache/trit/llama_cpp/lib. When the library is absent, tests GTEST_SKIP() with
// skip_message(), which names the path and scripts/fetch-llama-cpp.sh.
#pragma once

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace trit::test {

class GgmlRef {
 public:
  // The process-wide instance (loaded once; the library stays mapped until exit).
  static const GgmlRef& get() {
    static const GgmlRef instance;
    return instance;
  }

  bool loaded() const { return handle_ != nullptr; }
  const std::string& path() const { return path_; }

  std::string skip_message() const {
    return "\n*** ggml reference library not loaded: " + path_ + " (" + error_ +
           ").\n*** Bit-exactness against llama.cpp was NOT checked. Run scripts/fetch-llama-cpp.sh, or set "
           "TRIT_LLAMA_CPP_DIR (uses $TRIT_LLAMA_CPP_DIR/lib) or TRIT_CACHE_DIR.\n";
  }

  // The exported symbol as a function pointer of type Fn, or nullptr.
  template <class Fn>
  Fn fn(const char* name) const {
    if (handle_ == nullptr) return nullptr;
    return reinterpret_cast<Fn>(dlsym(handle_, name));
  }

  // Signatures shared by ggml's row functions (their block pointers are passed as void*).
  using QuantizeRow = void (*)(const float* x, void* y, int64_t n);
  using DequantizeRow = void (*)(const void* x, float* y, int64_t n);

 private:
  GgmlRef() {
    path_ = library_dir() + "/libggml-base.so";
    handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      const char* e = dlerror();
      error_ = e != nullptr ? e : "dlopen failed";
    }
  }

  static std::string library_dir() {
    if (const char* dir = std::getenv("TRIT_LLAMA_CPP_DIR"); dir != nullptr && *dir != '\0')
      return std::string(dir) + "/lib";
    if (const char* cache = std::getenv("TRIT_CACHE_DIR"); cache != nullptr && *cache != '\0')
      return std::string(cache) + "/llama_cpp/lib";
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr ? home : "") + "/.cache/trit/llama_cpp/lib";
  }

  void* handle_ = nullptr;
  std::string path_;
  std::string error_;
};

}  // namespace trit::test

// Skips the current test, loudly, when libggml-base.so is not there.
#define TRIT_REQUIRE_GGML(ref)                                     \
  do {                                                             \
    if (!(ref).loaded()) GTEST_SKIP() << (ref).skip_message();     \
  } while (0)
