/* trit_ref.h: the C ABI of a lane shim (libtrit_ref_<lane>.so), the only interface between trit
 * and a reference engine (llama.cpp, bitnet.cpp).
 *
 * trit includes only this header; each shim implementation includes its lane's own llama.h and
 * is compiled against it (struct layouts of llama.cpp change often; declaring them by hand here
 * would break silently). trit loads the shim with dlopen and resolves these symbols by name.
 *
 * Rules of the ABI:
 *  - every function that can fail returns trit_ref_status; TRIT_REF_OK is 0. The message of the
 *    last failure on the calling thread is trit_ref_last_error(). No C++ exception crosses it.
 *  - plain C types only; buffers are owned by the caller, sizes are passed explicitly.
 *  - TRIT_REF_ABI_VERSION changes whenever a signature or a meaning changes; trit refuses a shim
 *    whose trit_ref_abi_version() differs from the one it was built with.
 */
#ifndef TRIT_REF_H
#define TRIT_REF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRIT_REF_ABI_VERSION 1u

typedef enum trit_ref_status {
  TRIT_REF_OK = 0,
  TRIT_REF_ERR_ARGUMENT = 1,  /* a null pointer, a negative count, a token id out of range */
  TRIT_REF_ERR_LOAD = 2,      /* the model file could not be loaded by the reference */
  TRIT_REF_ERR_EVAL = 3,      /* llama_decode (or the lane's equivalent) failed */
  TRIT_REF_ERR_BUFFER = 4,    /* the caller's buffer is too small; *n_out says how much is needed */
  TRIT_REF_ERR_INTERNAL = 5,  /* an exception or an unexpected state inside the reference */
} trit_ref_status;

/* Opaque: a loaded model plus one context (KV cache) over it. Not thread-safe; one caller at a time. */
typedef struct trit_ref_model trit_ref_model;

/* Flags for trit_ref_open. */
#define TRIT_REF_OPEN_VOCAB_ONLY 1u /* tokenizer only: no weights, no context (eval fails) */
#define TRIT_REF_OPEN_KV_F32 2u     /* F32 KV cache; without it the cache is F16, llama.cpp's default
                                       (and trit's), so that both round K and V the same way */

/* Called once per intermediate tensor captured during trit_ref_eval_trace, in graph order.
 * name: the reference's graph name, e.g. "attn_norm-3" (layer after the last '-') or "result_norm".
 * data: ne[0]*ne[1]*ne[2]*ne[3] floats, contiguous, ne[0] fastest. Valid only during the call. */
typedef void (*trit_ref_trace_fn)(const char* name, const float* data, const int64_t ne[4],
                                  void* user_data);

uint32_t trit_ref_abi_version(void);

/* Static facts about the linked reference; never null, valid for the life of the library. */
const char* trit_ref_name(void);         /* "llama.cpp" */
const char* trit_ref_version(void);      /* the pinned packaging version, e.g. "3.22.1 (v0.5.0)" */
const char* trit_ref_commit(void);       /* upstream commit the shim was built against */
const char* trit_ref_library_path(void); /* absolute path of the libllama actually loaded */
const char* trit_ref_system_info(void);  /* the reference's own system/feature line */

/* Message of the last failure on this thread ("" if none). */
const char* trit_ref_last_error(void);

/* 0: errors only (default), 1: warnings, 2: everything the reference logs (to stderr). */
void trit_ref_set_log_level(int32_t level);

/* Load `path`. n_ctx <= 0: 4096 capped at the model's training context. n_threads <= 0: all
 * cores. Flash attention off, causal attention on, one sequence, n_batch = n_ctx so that one call
 * evaluates a whole prompt. */
trit_ref_status trit_ref_open(const char* path, int32_t n_ctx, int32_t n_threads, uint32_t flags,
                              trit_ref_model** out);
void trit_ref_close(trit_ref_model* model);

trit_ref_status trit_ref_n_vocab(const trit_ref_model* model, int32_t* out);
trit_ref_status trit_ref_n_ctx(const trit_ref_model* model, int32_t* out);

/* Tokenize text (text_len bytes, need not be NUL-terminated). If cap is too small, returns
 * TRIT_REF_ERR_BUFFER with *n_out = the number of tokens needed. */
trit_ref_status trit_ref_tokenize(const trit_ref_model* model, const char* text, int32_t text_len,
                                  int32_t add_special, int32_t parse_special, int32_t* tokens,
                                  int32_t cap, int32_t* n_out);

/* Evaluate tokens[0..n) at positions 0..n-1 from an empty KV cache, in one batch with every
 * output flag set (causal attention), and write n * n_vocab logits, row per position, to
 * `logits` (capacity logits_cap floats). The KV cache is cleared before and after. */
trit_ref_status trit_ref_eval(trit_ref_model* model, const int32_t* tokens, int32_t n, float* logits,
                              size_t logits_cap);

/* Like trit_ref_eval, and also call fn for every F32/F16 intermediate tensor of the graph.
 * logits may be null (then logits_cap must be 0). */
trit_ref_status trit_ref_eval_trace(trit_ref_model* model, const int32_t* tokens, int32_t n,
                                    float* logits, size_t logits_cap, trit_ref_trace_fn fn,
                                    void* user_data);

/* Greedy decode from an empty KV cache: evaluate the prompt, then n_gen times take the arg-max
 * (lowest id on ties) and feed it back. Writes exactly n_gen tokens (end-of-generation tokens do
 * not stop it, so both engines always produce the same count). */
trit_ref_status trit_ref_greedy(trit_ref_model* model, const int32_t* prompt, int32_t n_prompt,
                                int32_t n_gen, int32_t* out);

/* trit_ref_greedy, timing its two phases on a steady clock: *prompt_seconds = the prompt's batch
 * evaluation, *decode_seconds = the n_gen - 1 single-token evaluations after it (trit bench -d:
 * decode after a long context, without the prompt's time). Optional: a shim built before it lacks
 * the symbol, and trit then says so instead of timing (the ABI version is unchanged, since no
 * existing function changed). */
trit_ref_status trit_ref_greedy_timed(trit_ref_model* model, const int32_t* prompt, int32_t n_prompt,
                                      int32_t n_gen, int32_t* out, double* prompt_seconds,
                                      double* decode_seconds);

#ifdef __cplusplus
}
#endif

#endif /* TRIT_REF_H */
