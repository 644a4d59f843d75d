// One request's generation on a leased Session: the generation loop (generate/) plus what an API
// adds on top: stop strings, text released only in whole UTF-8 characters, cancellation when the
// client goes away, and OpenAI's finish_reason.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "generate/generate.h"
#include "model/model.h"
#include "serve/request.h"
#include "tokenizer/tokenizer.h"

namespace trit::serve {

struct Generation {
  std::string text;           // what the client got (stop string and anything after it cut)
  std::string finish_reason;  // "stop" (end of generation or a stop string) | "length"
  int prompt_tokens = 0;
  int completion_tokens = 0;
  bool cancelled = false;     // on_text returned false or the server is stopping
  GenerateTiming timing;
};

// Called with text as it becomes safe to send; return false to stop (the client is gone).
using OnText = std::function<bool(std::string_view text)>;

// Generates up to n_predict tokens after `prompt` on `session` (which the caller has reset).
// `stopping`, when set, cancels the generation at the next token (server shutdown).
Result<Generation> run_generation(Session& session, const Tokenizer& tokenizer,
                                  std::span<const int32_t> prompt, int n_predict,
                                  const GenerationParams& params, const OnText& on_text,
                                  const std::atomic<bool>* stopping);

}  // namespace trit::serve
