/* A lying reference: implements shim/trit_ref.h and misbehaves as FAKE_REF_MODE says, so that
 * `trit crossval --ref-dir` can be shown to report `error` (or at worst `fail`), never `pass`.
 * FAKE_REF_N_VOCAB: the vocabulary size it claims; FAKE_REF_TOKENS: "1,2,3", the ids it returns
 * for any text (the test passes trit's own tokenization so the tokenization gate is passed).
 * Modes: nan, inf, garbage (finite noise), eval_error, open_error, vocab_mismatch, tok_negative,
 * tok_overflow, greedy_out_of_range, null_strings, crash. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "trit_ref.h"

struct trit_ref_model {
  int32_t n_vocab;
};

static const char* mode(void) {
  const char* m = getenv("FAKE_REF_MODE");
  return m ? m : "";
}
static int is(const char* m) { return strcmp(mode(), m) == 0; }
static const char* str(const char* s) { return is("null_strings") ? NULL : s; }

uint32_t trit_ref_abi_version(void) { return TRIT_REF_ABI_VERSION; }
const char* trit_ref_name(void) { return str("fake"); }
const char* trit_ref_version(void) { return str("0"); }
const char* trit_ref_commit(void) { return str("0"); }
const char* trit_ref_library_path(void) { return str("/dev/null"); }
const char* trit_ref_system_info(void) { return str("fake"); }
const char* trit_ref_last_error(void) { return str("the fake reference failed on purpose"); }
void trit_ref_set_log_level(int32_t level) { (void)level; }

trit_ref_status trit_ref_open(const char* path, int32_t n_ctx, int32_t n_threads, uint32_t flags,
                              trit_ref_model** out) {
  (void)path, (void)n_ctx, (void)n_threads, (void)flags;
  if (is("open_error")) return TRIT_REF_ERR_LOAD;
  *out = (trit_ref_model*)malloc(sizeof(trit_ref_model));
  const char* v = getenv("FAKE_REF_N_VOCAB");
  (*out)->n_vocab = v ? atoi(v) : 0;
  return TRIT_REF_OK;
}
void trit_ref_close(trit_ref_model* model) { free(model); }

trit_ref_status trit_ref_n_vocab(const trit_ref_model* model, int32_t* out) {
  *out = model->n_vocab + (is("vocab_mismatch") ? 1 : 0);
  return TRIT_REF_OK;
}
trit_ref_status trit_ref_n_ctx(const trit_ref_model* model, int32_t* out) {
  (void)model;
  *out = 4096;
  return TRIT_REF_OK;
}

trit_ref_status trit_ref_tokenize(const trit_ref_model* model, const char* text, int32_t text_len,
                                  int32_t add_special, int32_t parse_special, int32_t* tokens,
                                  int32_t cap, int32_t* n_out) {
  (void)model, (void)text, (void)text_len, (void)add_special, (void)parse_special;
  if (is("tok_negative")) {
    *n_out = -5;
    return TRIT_REF_ERR_BUFFER;
  }
  if (is("tok_overflow")) {
    *n_out = cap + 1000000;  /* claims to have written past the buffer */
    return TRIT_REF_OK;
  }
  const char* s = getenv("FAKE_REF_TOKENS");
  int32_t n = 0;
  while (s && *s) {
    int32_t id = (int32_t)strtol(s, (char**)&s, 10);
    if (n < cap) tokens[n] = id;
    ++n;
    if (*s == ',') ++s;
  }
  *n_out = n;
  return n <= cap ? TRIT_REF_OK : TRIT_REF_ERR_BUFFER;
}

static uint32_t rng = 12345;
static float noise(void) {
  rng = rng * 1664525u + 1013904223u;
  return (float)(rng >> 8) / 16777216.0f * 20.0f - 10.0f;
}

trit_ref_status trit_ref_eval(trit_ref_model* model, const int32_t* tokens, int32_t n, float* logits,
                              size_t logits_cap) {
  (void)tokens;
  if (is("crash")) raise(SIGSEGV);
  if (is("eval_error")) return TRIT_REF_ERR_EVAL;
  const size_t want = (size_t)n * (size_t)model->n_vocab;
  for (size_t i = 0; i < want && i < logits_cap; ++i) {
    logits[i] = is("nan") ? __builtin_nanf("") : is("inf") && i % 7 == 3 ? __builtin_inff() : noise();
  }
  return TRIT_REF_OK;
}

trit_ref_status trit_ref_eval_trace(trit_ref_model* model, const int32_t* tokens, int32_t n, float* logits,
                                    size_t logits_cap, trit_ref_trace_fn fn, void* user_data) {
  (void)fn, (void)user_data;
  return trit_ref_eval(model, tokens, n, logits, logits_cap);
}

trit_ref_status trit_ref_greedy(trit_ref_model* model, const int32_t* prompt, int32_t n_prompt, int32_t n_gen,
                                int32_t* out) {
  (void)prompt, (void)n_prompt;
  for (int32_t i = 0; i < n_gen; ++i) out[i] = is("greedy_out_of_range") ? model->n_vocab + 1000 + i : i % 7;
  return TRIT_REF_OK;
}
