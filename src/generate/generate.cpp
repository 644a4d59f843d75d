#include "generate/generate.h"

#include <chrono>
#include <string>

namespace trit {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double rate(double n, double seconds) { return seconds > 0 ? n / seconds : 0.0; }

}  // namespace

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kEog:
      return "eog";
    case StopReason::kLength:
      return "length";
    case StopReason::kContext:
      return "ctx";
    case StopReason::kCancel:
      return "cancel";
  }
  return "?";
}

Result<GenerateResult> generate(LogitsSource& source, std::span<const int32_t> prompt,
                                const GenerateOptions& options, const TokenText& text,
                                const OnToken& on_token) {
  if (options.n_predict < -1)
    return make_error("n_predict must be >= -1 (-1 = until end of generation), got " +
                      std::to_string(options.n_predict));
  if (prompt.empty())
    return make_error("the prompt has no tokens; give a non-empty prompt or allow BOS");
  const int room = source.n_ctx() - source.n_past();
  if (int64_t(prompt.size()) > room)
    return make_error("the prompt has " + std::to_string(prompt.size()) +
                      " tokens but the context has room for " + std::to_string(room) + " (of " +
                      std::to_string(source.n_ctx()) + "); raise --ctx or shorten the prompt");
  auto sampler = Sampler::create(options.sampler);
  if (!sampler) return sampler.error();

  GenerateResult result;
  result.prompt_tokens.assign(prompt.begin(), prompt.end());
  GenerateTiming& timing = result.timing;

  std::vector<float> logits;
  const auto prompt_start = Clock::now();
  if (Status s = source.eval(prompt, &logits); !s) return s.error();
  timing.prompt_s = seconds_since(prompt_start);
  timing.prompt_tok_s = rate(double(prompt.size()), timing.prompt_s);
  // The prompt counts as history for the repetition penalty, as in llama.cpp's CLI.
  for (int32_t id : prompt) sampler->accept(id);

  result.stop = StopReason::kLength;
  while (options.n_predict < 0 || int(result.tokens.size()) < options.n_predict) {
    const int32_t id = sampler->sample(logits);
    if (text.is_eog && text.is_eog(id)) {
      result.stop = StopReason::kEog;
      break;
    }
    sampler->accept(id);
    result.tokens.push_back(id);
    const std::string piece = text.piece ? text.piece(id) : std::string();
    result.text += piece;
    if (on_token && !on_token(id, piece)) {
      result.stop = StopReason::kCancel;
      break;
    }
    if (options.n_predict >= 0 && int(result.tokens.size()) >= options.n_predict) break;
    if (source.n_past() >= source.n_ctx()) {
      result.stop = StopReason::kContext;
      break;
    }
    const auto eval_start = Clock::now();
    if (Status s = source.eval(std::span<const int32_t>(&id, 1), &logits); !s) return s.error();
    timing.gen_s += seconds_since(eval_start);
    ++timing.n_gen_evals;
  }
  timing.gen_tok_s = rate(timing.n_gen_evals, timing.gen_s);
  return result;
}

}  // namespace trit
