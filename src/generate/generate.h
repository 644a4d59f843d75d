// The generation loop: evaluate the prompt in one batch, then sample and evaluate one token at a
// time, streaming each piece to a callback, until end-of-generation, the token limit, a full
// context, or the callback says stop. Independent of Model and Tokenizer: logits come through
// LogitsSource (Session adapts to it in session_source.h) and text through TokenText, so tests
// drive the loop with a fake.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "generate/sampler.h"

namespace trit {

// Where logits come from: a context that grows by the tokens it evaluates.
class LogitsSource {
 public:
  virtual ~LogitsSource() = default;
  // Evaluate `tokens` at positions n_past()..n_past()+n-1, append them to the context, and
  // write the logits of the last one (n_vocab floats) to *logits.
  virtual Status eval(std::span<const int32_t> tokens, std::vector<float>* logits) = 0;
  virtual int n_past() const = 0;
  virtual int n_ctx() const = 0;
};

// How ids become text and which ids end generation; the tokenizer supplies both in real use.
struct TokenText {
  std::function<bool(int32_t id)> is_eog;        // empty: nothing ends generation early
  std::function<std::string(int32_t id)> piece;  // empty: pieces and text stay ""
};

// Called with each generated token and its text as soon as it is sampled; return false to stop.
using OnToken = std::function<bool(int32_t id, std::string_view piece)>;

enum class StopReason {
  kEog,      // the model sampled an end-of-generation token (not included in the output)
  kLength,   // n_predict tokens generated
  kContext,  // the context is full: the last token could not be evaluated
  kCancel,   // the callback returned false
};
// "eog" | "length" | "ctx" | "cancel" (CONTRACT.md `trit run --json` "stop").
std::string_view stop_reason_name(StopReason reason);

struct GenerateOptions {
  int n_predict = 64;  // tokens to generate; -1: until end-of-generation or a full context
  SamplerParams sampler;
};

struct GenerateTiming {
  double prompt_s = 0;      // the one batched prompt evaluation
  double gen_s = 0;         // the single-token evaluations (sampling excluded, as llama.cpp's
                            // "eval time")
  int n_gen_evals = 0;      // single-token evaluations: one fewer than tokens generated, since
                            // the last sampled token needs no logits
  double prompt_tok_s = 0;  // prompt tokens / prompt_s
  double gen_tok_s = 0;     // n_gen_evals / gen_s; 0 when nothing was evaluated
};

struct GenerateResult {
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> tokens;  // generated, in order; an end-of-generation token is left out
  std::string text;             // the pieces of `tokens` concatenated, exactly as streamed
  StopReason stop = StopReason::kLength;
  GenerateTiming timing;
};

// Runs the loop from the source's current position (n_past() need not be 0, so a caller can
// continue a context). The repetition-penalty history is this call's prompt and output.
// The last generated token (and an end-of-generation token) is sampled but not evaluated: a
// caller that continues the context passes it at the front of its next input.
// Errors: empty prompt, a prompt the context cannot hold, n_predict < -1, bad sampler
// parameters, or an evaluation failure (its message).
Result<GenerateResult> generate(LogitsSource& source, std::span<const int32_t> prompt,
                                const GenerateOptions& options, const TokenText& text,
                                const OnToken& on_token = {});

}  // namespace trit
