#include "generate/perplexity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

namespace trit {
namespace {

// Scored positions are evaluated this many at a time with all logits kept: bounds the logits
// buffer to kScoreBatch x n_vocab floats instead of ctx x n_vocab (128k-token vocabularies).
constexpr int kScoreBatch = 64;

// Checked before a Session (and its KV cache of ctx tokens) is made.
Status check_windows(size_t n_tokens, int ctx) {
  if (ctx < 3) return make_error("--ctx must be at least 3 to score anything, got " + std::to_string(ctx));
  if (n_tokens < size_t(ctx))
    return make_error("the text has " + std::to_string(n_tokens) + " tokens, fewer than one window of --ctx " +
                      std::to_string(ctx) + "; use a longer text or --ctx " +
                      std::to_string(std::max<size_t>(3, n_tokens)) + " or less");
  return {};
}

}  // namespace

double token_nll(std::span<const float> logits, int32_t target) {
  float max = logits[0];
  for (float l : logits) max = std::max(max, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(l - max);
  return std::log(sum) - double(logits[size_t(target)] - max);
}

Result<PerplexityResult> perplexity_tokens(Session& session, std::span<const int32_t> tokens, int ctx,
                                           int32_t bos, const PerplexityProgress& progress) {
  TRIT_TRY(check_windows(tokens.size(), ctx));
  if (ctx > session.n_ctx())
    return make_error("--ctx " + std::to_string(ctx) + " is larger than the model context (" +
                      std::to_string(session.n_ctx()) + ")");
  const int64_t n_windows = int64_t(tokens.size()) / ctx;

  PerplexityResult r;
  r.ctx = ctx;
  r.n_tokens = int64_t(tokens.size());
  r.n_windows = int(n_windows);
  const int first = ctx / 2;  // first scored position of a window: it predicts token first + 1
  std::vector<int32_t> window(size_t(ctx), 0);
  std::vector<float> logits;
  const auto start = std::chrono::steady_clock::now();

  for (int64_t w = 0; w < n_windows; ++w) {
    std::copy_n(tokens.begin() + w * ctx, ctx, window.begin());
    if (bos >= 0) window[0] = bos;
    session.reset();
    // The unscored first half needs no logits: one batch, last row only.
    std::span<const int32_t> all(window);
    if (Status s = session.eval(all.first(size_t(first)), &logits, false); !s) return s.error();
    const int n_vocab = int(logits.size());
    double nll = 0;
    int64_t scored = 0;
    // Positions first .. ctx-2 are scored, each on the next token; the last token needs no
    // evaluation, nothing follows it.
    for (int pos = first; pos < ctx - 1; pos += kScoreBatch) {
      const int n = std::min(kScoreBatch, ctx - 1 - pos);
      if (Status s = session.eval(all.subspan(size_t(pos), size_t(n)), &logits, true); !s) return s.error();
      for (int i = 0; i < n; ++i) {
        const std::span<const float> row(logits.data() + size_t(i) * size_t(n_vocab), size_t(n_vocab));
        nll += token_nll(row, window[size_t(pos + i + 1)]);
        ++scored;
      }
    }
    r.window_nll.push_back(nll / double(scored));
    r.nll_sum += nll;
    r.n_scored += scored;
    if (progress) progress(int(w + 1), int(n_windows));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.tok_s = r.seconds > 0 ? double(n_windows * (ctx - 1)) / r.seconds : 0.0;
  r.nll_mean = r.nll_sum / double(r.n_scored);
  r.ppl = std::exp(r.nll_mean);
  return r;
}

Result<PerplexityResult> perplexity(const Model& model, const Tokenizer& tokenizer, std::string_view text, int ctx,
                                    const PerplexityProgress& progress) {
  const std::vector<int32_t> tokens = tokenizer.tokenize(text, /*add_special=*/true, /*parse_special=*/false);
  // llama.cpp puts BOS at the start of every window when the vocab adds BOS; the tokenizer told
  // us whether it does by adding one at the start of the text.
  const bool adds_bos = !tokens.empty() && tokenizer.bos() >= 0 && tokens.front() == tokenizer.bos();
  TRIT_TRY(check_windows(tokens.size(), ctx));
  Session session(model);
  return perplexity_tokens(session, tokens, ctx, adds_bos ? tokenizer.bos() : -1, progress);
}

}  // namespace trit
