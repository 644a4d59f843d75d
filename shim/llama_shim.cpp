// Lane B shim: trit_ref.h implemented over mainline llama.cpp (the pinned npm release).
//
// This is the only translation unit in the project that includes llama.h. It is compiled by
// scripts/build-shim.sh against the headers of the exact llama.cpp release in the cache and
// linked to that release's prebuilt libllama, so struct layouts always match the library.
// What does not depend on the llama.h API (errors, batch, eval, trace, greedy) is in shim_common.h,
// shared with the Lane A shim; this file keeps only the mainline llama.h spelling.
// Every exported function catches exceptions: nothing C++ crosses the C ABI.
#include "trit_ref.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"

struct trit_ref_model {
  llama_model* model = nullptr;
  llama_context* ctx = nullptr;  // null when opened vocab-only
  const llama_vocab* vocab = nullptr;
  int32_t n_vocab = 0;
  int32_t n_ctx = 0;
  // Set only for the duration of trit_ref_eval_trace; the eval callback is installed once at
  // context creation (llama.cpp has no public way to change it later) and is a no-op when null.
  trit_ref_trace_fn trace_fn = nullptr;
  void* trace_user = nullptr;
  std::vector<float> trace_buf;
  std::vector<uint8_t> trace_raw;
};

#include "shim_common.h"

namespace {

std::string g_backend_error;

// The npm prebuilt libraries ship the CPU backend as separate libggml-cpu-<variant>.so files,
// loaded at run time; without ggml_backend_load_all_from_path(<their dir>) no device exists.
// Their directory is the one holding the libllama we are linked to.
void init_backend_once() {
  std::call_once(g_backend_once, [] {
    if (const char* env = std::getenv("TRIT_REF_LOG")) g_log_level.store(std::atoi(env));
    llama_log_set(log_callback, nullptr);
    ggml_log_set(log_callback, nullptr);
    g_library_path = library_path_of(reinterpret_cast<void*>(&llama_model_load_from_file));
    std::string dir = g_library_path.substr(0, g_library_path.find_last_of('/'));
    if (ggml_backend_dev_count() == 0 && !dir.empty()) ggml_backend_load_all_from_path(dir.c_str());
    llama_backend_init();
    if (ggml_backend_dev_count() == 0) {
      g_backend_error = "no ggml backend could be loaded from " + dir +
                        " (expected libggml-cpu-*.so there; re-run scripts/fetch-llama-cpp.sh)";
    }
    g_system_info = llama_print_system_info();
  });
}

void clear_kv(llama_context* ctx) { llama_memory_clear(llama_get_memory(ctx), true); }

int32_t tokenize_text(const trit_ref_model* m, const char* text, int32_t text_len, int32_t* tokens,
                      int32_t cap, bool add_special, bool parse_special) {
  return llama_tokenize(m->vocab, text, text_len, tokens, cap, add_special, parse_special);
}

}  // namespace

extern "C" {

const char* trit_ref_name(void) { return "llama.cpp"; }

trit_ref_status trit_ref_open(const char* path, int32_t n_ctx, int32_t n_threads, uint32_t flags,
                              trit_ref_model** out) {
  return guarded("trit_ref_open", [&]() -> trit_ref_status {
    if (!path || !out) return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_open: null path or output pointer");
    *out = nullptr;
    init_backend_once();
    if (!g_backend_error.empty()) return fail(TRIT_REF_ERR_LOAD, "trit_ref_open: " + g_backend_error);

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.vocab_only = (flags & TRIT_REF_OPEN_VOCAB_ONLY) != 0;
    auto m = std::make_unique<trit_ref_model>();
    m->model = llama_model_load_from_file(path, mp);
    if (!m->model) {
      return fail(TRIT_REF_ERR_LOAD, std::string("trit_ref_open: llama.cpp could not load ") + path +
                                         " (set TRIT_REF_LOG=2 to see llama.cpp's own messages)");
    }
    m->vocab = llama_model_get_vocab(m->model);
    m->n_vocab = llama_vocab_n_tokens(m->vocab);
    if (!mp.vocab_only) {
      llama_context_params cp =
          common_context_params(m.get(), n_ctx, llama_model_n_ctx_train(m->model), n_threads, flags);
      cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
      m->ctx = llama_init_from_model(m->model, cp);
      if (!m->ctx) {
        llama_model_free(m->model);
        return fail(TRIT_REF_ERR_LOAD, std::string("trit_ref_open: llama.cpp could not create a context of ") +
                                           std::to_string(cp.n_ctx) + " positions for " + path);
      }
      llama_set_causal_attn(m->ctx, true);
      m->n_ctx = static_cast<int32_t>(llama_n_ctx(m->ctx));
    }
    *out = m.release();
    return TRIT_REF_OK;
  });
}

void trit_ref_close(trit_ref_model* m) {
  if (!m) return;
  try {
    if (m->ctx) llama_free(m->ctx);
    if (m->model) llama_model_free(m->model);
  } catch (...) {
  }
  delete m;
}

}  // extern "C"
