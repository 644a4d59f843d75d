// Perplexity of a model over a text, by llama.cpp's method (examples/perplexity): the tokens are
// cut into consecutive windows of `ctx` tokens (a last partial window is left out); each window is
// evaluated from an empty context with its first token replaced by BOS (when the vocab adds one),
// and only the second half of each window is scored (positions ctx/2 .. ctx-2, each predicting the
// next token), so that every scored token sees at least ctx/2 tokens of context.
// PPL = exp(mean NLL over all scored tokens).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace trit {

struct PerplexityResult {
  double ppl = 0;           // exp(nll_mean)
  double nll_mean = 0;      // nats per scored token
  double nll_sum = 0;
  int64_t n_scored = 0;     // tokens whose probability was scored
  int n_windows = 0;
  int64_t n_tokens = 0;     // tokens in the text (with BOS)
  int ctx = 0;
  std::vector<double> window_nll;  // mean NLL of each window, in order
  double seconds = 0;       // evaluation time
  double tok_s = 0;         // tokens evaluated per second (n_windows * (ctx - 1) / seconds)
};

// Called after each window: (windows done, windows in all).
using PerplexityProgress = std::function<void(int done, int total)>;

// Tokenizes `text` (with BOS where the vocab adds one) and scores it. Errors: ctx < 3, ctx larger
// than the model's context, or a text shorter than one window (the message says how many tokens
// it has and what --ctx would fit).
Result<PerplexityResult> perplexity(const Model& model, const Tokenizer& tokenizer, std::string_view text,
                                    int ctx, const PerplexityProgress& progress = {});

// The same on tokens, for callers that tokenized already (crossval compares both engines on one
// token sequence). bos < 0: keep each window's first token as it is.
Result<PerplexityResult> perplexity_tokens(Session& session, std::span<const int32_t> tokens, int ctx,
                                           int32_t bos, const PerplexityProgress& progress = {});

// -log softmax(logits)[target], as llama.cpp's perplexity computes it (max subtracted, exp in
// float, sum in double).
double token_nll(std::span<const float> logits, int32_t target);

}  // namespace trit
