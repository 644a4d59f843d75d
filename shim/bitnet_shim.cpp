// Lane A shim: trit_ref.h implemented over bitnet.cpp (microsoft/BitNet), whose llama.cpp fork
// (3rdparty/llama.cpp, late 2024) has the OLD llama.h API:
//   llama_load_model_from_file / llama_free_model, llama_new_context_with_model,
//   llama_tokenize(model, ...), llama_n_vocab(model), llama_kv_cache_clear, a llama_batch with
//   three trailing all_pos_0 / all_pos_1 / all_seq_id fields, a bool flash_attn, no backend plugins.
//
// Compiled by scripts/build-shim-bitnet.sh against the headers of the user's own bitnet.cpp
// checkout ($BITNET_CPP_DIR/3rdparty/llama.cpp/{include,ggml/include}) and linked to the libllama /
// libggml of that checkout's build, so struct layouts always match the library. Its behaviour is
// the same as the Lane B shim (shim/llama_shim.cpp) call for call: everything that does not depend
// on the llama.h API is shared with it in shim_common.h; only the llama.h spelling differs here.
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
  int32_t n_vocab = 0;
  int32_t n_ctx = 0;
  // Set only for the duration of trit_ref_eval_trace; the eval callback is installed once at
  // context creation and is a no-op when null.
  trit_ref_trace_fn trace_fn = nullptr;
  void* trace_user = nullptr;
  std::vector<float> trace_buf;
  std::vector<uint8_t> trace_raw;
};

#include "shim_common.h"

namespace {

// bitnet.cpp links its CPU backend into libggml (no plugins to load, unlike the npm packaging of
// mainline); we only record which libllama the dynamic linker chose.
void init_backend_once() {
  std::call_once(g_backend_once, [] {
    if (const char* env = std::getenv("TRIT_REF_LOG")) g_log_level.store(std::atoi(env));
    llama_log_set(log_callback, nullptr);
    g_library_path = library_path_of(reinterpret_cast<void*>(&llama_load_model_from_file));
    llama_backend_init();
    g_system_info = llama_print_system_info();
  });
}

void clear_kv(llama_context* ctx) { llama_kv_cache_clear(ctx); }

// The old API tokenizes with the model, not a llama_vocab.
int32_t tokenize_text(const trit_ref_model* m, const char* text, int32_t text_len, int32_t* tokens,
                      int32_t cap, bool add_special, bool parse_special) {
  return llama_tokenize(m->model, text, text_len, tokens, cap, add_special, parse_special);
}

}  // namespace

extern "C" {

const char* trit_ref_name(void) { return "bitnet.cpp"; }

trit_ref_status trit_ref_open(const char* path, int32_t n_ctx, int32_t n_threads, uint32_t flags,
                              trit_ref_model** out) {
  return guarded("trit_ref_open", [&]() -> trit_ref_status {
    if (!path || !out) return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_open: null path or output pointer");
    *out = nullptr;
    init_backend_once();

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.vocab_only = (flags & TRIT_REF_OPEN_VOCAB_ONLY) != 0;
    auto m = std::make_unique<trit_ref_model>();
    m->model = llama_load_model_from_file(path, mp);
    if (!m->model) {
      return fail(TRIT_REF_ERR_LOAD, std::string("trit_ref_open: bitnet.cpp could not load ") + path +
                                         " (set TRIT_REF_LOG=2 to see its own messages)");
    }
    m->n_vocab = llama_n_vocab(m->model);
    if (!mp.vocab_only) {
      llama_context_params cp = common_context_params(m.get(), n_ctx, llama_n_ctx_train(m->model), n_threads, flags);
      cp.n_ubatch = cp.n_batch;
      cp.flash_attn = false;
      cp.logits_all = false;  // per-token output flags in the batch decide
      m->ctx = llama_new_context_with_model(m->model, cp);
      if (!m->ctx) {
        llama_free_model(m->model);
        return fail(TRIT_REF_ERR_LOAD, std::string("trit_ref_open: bitnet.cpp could not create a context of ") +
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
    if (m->model) llama_free_model(m->model);
  } catch (...) {
  }
  delete m;
}

}  // extern "C"
