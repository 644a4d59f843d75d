#include "serve/generation.h"

#include "generate/session_source.h"
#include "serve/text_stream.h"

namespace trit::serve {

Result<Generation> run_generation(Session& session, const Tokenizer& tokenizer,
                                  std::span<const int32_t> prompt, int n_predict,
                                  const GenerationParams& params, const OnText& on_text,
                                  const std::atomic<bool>* stopping) {
  TextStream stream(params.stop);
  bool client_gone = false;
  const TokenText text{
      .is_eog = [&](int32_t id) { return !params.ignore_eos && tokenizer.is_eog(id); },
      // Control tokens render as "" (llama.cpp's server does the same with special = false).
      .piece = [&](int32_t id) { return tokenizer.token_to_piece(id, /*special=*/false); },
  };
  const OnToken on_token = [&](int32_t, std::string_view piece) {
    if (stopping && stopping->load(std::memory_order_relaxed)) {
      client_gone = true;
      return false;
    }
    const std::string ready = stream.push(piece);
    if (!ready.empty() && on_text && !on_text(ready)) {
      client_gone = true;
      return false;
    }
    return !stream.stopped();
  };

  SessionSource source(session);
  auto result = generate(source, prompt, {.n_predict = n_predict, .sampler = params.sampler}, text, on_token);
  if (!result) return result.error();

  Generation g;
  g.prompt_tokens = int(prompt.size());
  g.completion_tokens = int(result->tokens.size());
  g.timing = result->timing;
  g.cancelled = client_gone;
  if (!client_gone) {
    const std::string rest = stream.finish();
    if (!rest.empty() && on_text && !on_text(rest)) g.cancelled = true;
  }
  g.text = stream.sent();
  // A full context ends the answer early just as max_tokens does; OpenAI calls both "length".
  g.finish_reason = stream.stopped() || result->stop == StopReason::kEog ? "stop" : "length";
  return g;
}

}  // namespace trit::serve
