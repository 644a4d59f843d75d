// The half of a trit_ref.h implementation that does not depend on which llama.h it is built
// against: error/status handling, logging, the batch, argument checks, logits copying, trace
// capture, and the exported calls that only use API spelled the same in old and new llama.h.
//
// Header-only, included exactly once per shim translation unit (llama_shim.cpp for Lane B,
// bitnet_shim.cpp for Lane A), AFTER llama.h / ggml-backend.h and after the shim has defined
// `struct trit_ref_model` (with at least ctx, n_vocab, n_ctx, trace_fn, trace_user, trace_buf,
// trace_raw). The shim then defines the three hooks declared below, whose llama.h spelling
// differs between the two APIs, plus trit_ref_name / trit_ref_open / trit_ref_close.
// Every exported function catches exceptions: nothing C++ crosses the C ABI.
#pragma once

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "trit_ref.h"

#ifndef TRIT_REF_VERSION
#define TRIT_REF_VERSION "unknown"
#endif
#ifndef TRIT_REF_COMMIT
#define TRIT_REF_COMMIT "unknown"
#endif

namespace {

// Hooks each shim defines (their llama.h spelling differs between the APIs).
void init_backend_once();                 // log routing, backend init, g_library_path, g_system_info
void clear_kv(llama_context* ctx);        // empty the KV cache / memory of ctx
int32_t tokenize_text(const trit_ref_model* m, const char* text, int32_t text_len, int32_t* tokens,
                      int32_t cap, bool add_special, bool parse_special);  // llama_tokenize's return

thread_local std::string g_last_error;
std::atomic<int> g_log_level{0};
std::string g_library_path;
std::string g_system_info;
std::once_flag g_backend_once;

trit_ref_status fail(trit_ref_status s, std::string msg) {
  g_last_error = std::move(msg);
  return s;
}

// Runs `body`, turning any exception into TRIT_REF_ERR_INTERNAL with its message.
template <class F>
trit_ref_status guarded(const char* fn, F&& body) {
  try {
    g_last_error.clear();
    return body();
  } catch (const std::exception& e) {
    return fail(TRIT_REF_ERR_INTERNAL, std::string(fn) + ": exception: " + e.what());
  } catch (...) {
    return fail(TRIT_REF_ERR_INTERNAL, std::string(fn) + ": unknown exception");
  }
}

void log_callback(ggml_log_level level, const char* text, void*) {
  // Continuation lines inherit the level of the line they continue.
  static thread_local ggml_log_level last = GGML_LOG_LEVEL_INFO;
  if (level != GGML_LOG_LEVEL_CONT) last = level;
  const int want = g_log_level.load();
  const bool show = last == GGML_LOG_LEVEL_ERROR || (want >= 1 && last == GGML_LOG_LEVEL_WARN) || want >= 2;
  if (show) std::fputs(text, stderr);
}

// realpath of the libllama the dynamic linker chose (the one holding `symbol`), or "".
std::string library_path_of(void* symbol) {
  Dl_info info{};
  if (dladdr(symbol, &info) && info.dli_fname) {
    char resolved[4096];
    return realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
  }
  return {};
}

int32_t default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 4 : static_cast<int32_t>(n);
}

// Clears the KV cache on scope exit too, so no call sees state left by an earlier one.
struct KvGuard {
  llama_context* ctx;
  explicit KvGuard(llama_context* c) : ctx(c) { clear_kv(ctx); }
  ~KvGuard() { clear_kv(ctx); }
};

// A heap batch (llama_batch_init). In the old API its trailing all_pos_* / all_seq_id fields are
// ignored because pos and seq_id are always set; llama_batch_get_one (which relies on them) is not used.
struct Batch {
  llama_batch b;
  explicit Batch(int32_t n) : b(llama_batch_init(n, 0, 1)) {}
  ~Batch() { llama_batch_free(b); }
  void set(int32_t n, const int32_t* tokens, int32_t pos0, bool all_outputs) {
    b.n_tokens = n;
    for (int32_t i = 0; i < n; ++i) {
      b.token[i] = tokens[i];
      b.pos[i] = pos0 + i;
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = 0;
      b.logits[i] = all_outputs || i == n - 1;
    }
  }
};

trit_ref_status check_tokens(const trit_ref_model* m, const int32_t* tokens, int32_t n, int32_t extra,
                             const char* fn) {
  if (!m || !m->ctx) return fail(TRIT_REF_ERR_ARGUMENT, std::string(fn) + ": no model, or it was opened vocab-only");
  if (n <= 0 || !tokens) return fail(TRIT_REF_ERR_ARGUMENT, std::string(fn) + ": empty token sequence");
  if (static_cast<int64_t>(n) + extra > m->n_ctx) {
    return fail(TRIT_REF_ERR_ARGUMENT, std::string(fn) + ": " + std::to_string(n + extra) +
                                           " positions exceed the context of " + std::to_string(m->n_ctx));
  }
  for (int32_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= m->n_vocab) {
      return fail(TRIT_REF_ERR_ARGUMENT, std::string(fn) + ": token " + std::to_string(tokens[i]) +
                                             " at index " + std::to_string(i) + " is outside the vocabulary [0, " +
                                             std::to_string(m->n_vocab) + ")");
    }
  }
  return TRIT_REF_OK;
}

trit_ref_status decode(trit_ref_model* m, Batch& batch, const char* fn) {
  const int32_t rc = llama_decode(m->ctx, batch.b);
  if (rc != 0) return fail(TRIT_REF_ERR_EVAL, std::string(fn) + ": llama_decode returned " + std::to_string(rc));
  return TRIT_REF_OK;
}

trit_ref_status eval_impl(trit_ref_model* m, const int32_t* tokens, int32_t n, float* logits, size_t cap,
                          const char* fn) {
  if (auto s = check_tokens(m, tokens, n, 0, fn); s != TRIT_REF_OK) return s;
  const size_t need = static_cast<size_t>(n) * static_cast<size_t>(m->n_vocab);
  if (logits && cap < need) {
    return fail(TRIT_REF_ERR_BUFFER, std::string(fn) + ": logits buffer holds " + std::to_string(cap) +
                                         " floats, " + std::to_string(need) + " needed");
  }
  KvGuard guard(m->ctx);
  Batch batch(n);
  batch.set(n, tokens, 0, /*all_outputs=*/true);
  if (auto s = decode(m, batch, fn); s != TRIT_REF_OK) return s;
  if (!logits) return TRIT_REF_OK;
  for (int32_t i = 0; i < n; ++i) {
    const float* row = llama_get_logits_ith(m->ctx, i);
    if (!row) return fail(TRIT_REF_ERR_EVAL, std::string(fn) + ": no logits for position " + std::to_string(i));
    std::memcpy(logits + static_cast<size_t>(i) * m->n_vocab, row, sizeof(float) * m->n_vocab);
  }
  return TRIT_REF_OK;
}

// ggml_backend_sched eval callback (same contract in bitnet.cpp's fork as in mainline), installed once
// at context creation. ask=true: do we want this node's data? ask=false: here it is (computed);
// returning false would abort the graph, so we always return true then.
bool trace_callback(ggml_tensor* t, bool ask, void* user) {
  auto* m = static_cast<trit_ref_model*>(user);
  if (!m->trace_fn) return ask ? false : true;
  const bool wanted = (t->type == GGML_TYPE_F32 || t->type == GGML_TYPE_F16) && ggml_is_contiguous(t) &&
                      ggml_get_name(t)[0] != '\0';
  if (ask) return wanted;
  if (!wanted) return true;
  const int64_t n = ggml_nelements(t);
  m->trace_buf.resize(static_cast<size_t>(n));
  if (t->type == GGML_TYPE_F32) {
    ggml_backend_tensor_get(t, m->trace_buf.data(), 0, ggml_nbytes(t));
  } else {
    m->trace_raw.resize(ggml_nbytes(t));
    ggml_backend_tensor_get(t, m->trace_raw.data(), 0, ggml_nbytes(t));
    ggml_fp16_to_fp32_row(reinterpret_cast<const ggml_fp16_t*>(m->trace_raw.data()), m->trace_buf.data(), n);
  }
  const int64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]};
  m->trace_fn(ggml_get_name(t), m->trace_buf.data(), ne, m->trace_user);
  return true;
}

// The context trit_ref_open creates, in the fields both llama.h APIs spell alike: n_ctx positions
// (n_ctx_arg, else min(4096, the training context)) in one batch, one sequence, F16 KV cache (F32 on
// request), no embeddings or perf counters, trace_callback installed. The shim adds its own fields
// (flash attention off, and what else its API needs).
llama_context_params common_context_params(trit_ref_model* m, int32_t n_ctx_arg, int32_t n_ctx_train,
                                           int32_t n_threads, uint32_t flags) {
  const int32_t ctx = n_ctx_arg > 0 ? n_ctx_arg : std::min<int32_t>(4096, n_ctx_train > 0 ? n_ctx_train : 4096);
  const int32_t threads = n_threads > 0 ? n_threads : default_threads();
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(ctx);
  cp.n_batch = static_cast<uint32_t>(ctx);  // one llama_decode call per prompt
  cp.n_seq_max = 1;
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.type_k = (flags & TRIT_REF_OPEN_KV_F32) ? GGML_TYPE_F32 : GGML_TYPE_F16;
  cp.type_v = cp.type_k;
  cp.embeddings = false;
  cp.no_perf = true;
  cp.cb_eval = trace_callback;
  cp.cb_eval_user_data = m;
  return cp;
}

}  // namespace

extern "C" {

uint32_t trit_ref_abi_version(void) { return TRIT_REF_ABI_VERSION; }
const char* trit_ref_version(void) { return TRIT_REF_VERSION; }
const char* trit_ref_commit(void) { return TRIT_REF_COMMIT; }
const char* trit_ref_library_path(void) {
  try {
    init_backend_once();
  } catch (...) {
  }
  return g_library_path.c_str();
}
const char* trit_ref_system_info(void) {
  try {
    init_backend_once();
  } catch (...) {
  }
  return g_system_info.c_str();
}
const char* trit_ref_last_error(void) { return g_last_error.c_str(); }
void trit_ref_set_log_level(int32_t level) { g_log_level.store(level); }

trit_ref_status trit_ref_n_vocab(const trit_ref_model* m, int32_t* out) {
  if (!m || !out) return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_n_vocab: null argument");
  *out = m->n_vocab;
  return TRIT_REF_OK;
}

trit_ref_status trit_ref_n_ctx(const trit_ref_model* m, int32_t* out) {
  if (!m || !out) return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_n_ctx: null argument");
  *out = m->n_ctx;
  return TRIT_REF_OK;
}

trit_ref_status trit_ref_tokenize(const trit_ref_model* m, const char* text, int32_t text_len,
                                  int32_t add_special, int32_t parse_special, int32_t* tokens, int32_t cap,
                                  int32_t* n_out) {
  return guarded("trit_ref_tokenize", [&]() -> trit_ref_status {
    if (!m || !n_out || (!text && text_len > 0) || text_len < 0 || cap < 0 || (!tokens && cap > 0)) {
      return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_tokenize: null or negative argument");
    }
    const int32_t n = tokenize_text(m, text ? text : "", text_len, tokens, cap, add_special != 0, parse_special != 0);
    if (n == INT32_MIN) return fail(TRIT_REF_ERR_INTERNAL, "trit_ref_tokenize: token count overflows int32");
    if (n < 0) {
      *n_out = -n;
      return fail(TRIT_REF_ERR_BUFFER, "trit_ref_tokenize: " + std::to_string(-n) + " tokens, buffer holds " +
                                           std::to_string(cap));
    }
    *n_out = n;
    return TRIT_REF_OK;
  });
}

trit_ref_status trit_ref_eval(trit_ref_model* m, const int32_t* tokens, int32_t n, float* logits, size_t cap) {
  return guarded("trit_ref_eval", [&]() -> trit_ref_status {
    if (!logits) return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_eval: null logits buffer");
    return eval_impl(m, tokens, n, logits, cap, "trit_ref_eval");
  });
}

trit_ref_status trit_ref_eval_trace(trit_ref_model* m, const int32_t* tokens, int32_t n, float* logits,
                                    size_t cap, trit_ref_trace_fn fn, void* user) {
  return guarded("trit_ref_eval_trace", [&]() -> trit_ref_status {
    if (!fn) return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_eval_trace: null callback");
    if (!m) return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_eval_trace: null model");
    struct Reset {
      trit_ref_model* m;
      ~Reset() { m->trace_fn = nullptr, m->trace_user = nullptr; }
    } reset{m};
    m->trace_fn = fn;
    m->trace_user = user;
    return eval_impl(m, tokens, n, logits, cap, "trit_ref_eval_trace");
  });
}

trit_ref_status trit_ref_greedy_timed(trit_ref_model* m, const int32_t* prompt, int32_t n_prompt, int32_t n_gen,
                                      int32_t* out, double* prompt_seconds, double* decode_seconds) {
  return guarded("trit_ref_greedy", [&]() -> trit_ref_status {
    if (n_gen < 0 || (n_gen > 0 && !out)) return fail(TRIT_REF_ERR_ARGUMENT, "trit_ref_greedy: bad n_gen or output");
    if (auto s = check_tokens(m, prompt, n_prompt, n_gen, "trit_ref_greedy"); s != TRIT_REF_OK) return s;
    using Clock = std::chrono::steady_clock;
    auto seconds_since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    KvGuard guard(m->ctx);
    Batch batch(std::max(n_prompt, 1));
    batch.set(n_prompt, prompt, 0, /*all_outputs=*/false);
    const auto p0 = Clock::now();
    if (auto s = decode(m, batch, "trit_ref_greedy"); s != TRIT_REF_OK) return s;
    if (prompt_seconds) *prompt_seconds = seconds_since(p0);
    const auto d0 = Clock::now();
    for (int32_t i = 0; i < n_gen; ++i) {
      const float* row = llama_get_logits_ith(m->ctx, -1);
      if (!row) return fail(TRIT_REF_ERR_EVAL, "trit_ref_greedy: no logits after step " + std::to_string(i));
      // Arg-max, lowest id on ties (std::max_element returns the first maximum).
      const int32_t next = static_cast<int32_t>(std::max_element(row, row + m->n_vocab) - row);
      out[i] = next;
      if (i + 1 == n_gen) break;
      batch.set(1, &next, n_prompt + i, /*all_outputs=*/true);
      if (auto s = decode(m, batch, "trit_ref_greedy"); s != TRIT_REF_OK) return s;
    }
    if (decode_seconds) *decode_seconds = seconds_since(d0);
    return TRIT_REF_OK;
  });
}

trit_ref_status trit_ref_greedy(trit_ref_model* m, const int32_t* prompt, int32_t n_prompt, int32_t n_gen,
                                int32_t* out) {
  return trit_ref_greedy_timed(m, prompt, n_prompt, n_gen, out, nullptr, nullptr);
}

}  // extern "C"
