// Request parsing for the OpenAI-style endpoints: JSON text in, a validated struct or an Error out.
// Kept apart from the HTTP layer and the model so that it can be fuzzed on its own: no I/O, no
// globals, and every limit it enforces comes from RequestLimits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "generate/sampler.h"
#include "tokenizer/chat_template.h"

namespace trit::serve {

struct RequestLimits {
  int max_tokens = 4096;          // the largest max_tokens a request may ask for
  int max_json_depth = 64;        // deeper nesting is rejected before parsing
  size_t max_stop = 4;            // stop sequences per request (OpenAI's limit)
  size_t max_stop_bytes = 256;    // bytes per stop sequence
  size_t max_messages = 4096;     // chat messages per request
};

// What both endpoints share once parsed. Fields left out of the JSON keep these defaults, except
// the sampler, whose defaults are llama.cpp's (generate/sampler.h), as llama.cpp's server does.
struct GenerationParams {
  std::optional<int> max_tokens;     // nullopt: the endpoint's default
  SamplerParams sampler;             // temperature 0 means greedy
  bool seed_given = false;           // false: the server draws a fresh seed per request
  std::vector<std::string> stop;     // generation ends before any of these strings
  bool stream = false;               // server-sent events
  bool include_usage = false;        // stream_options.include_usage: a last chunk with usage
  bool ignore_eos = false;           // llama.cpp's extension: generate past end-of-generation
};

// POST /v1/completions
struct CompletionRequest {
  std::string model;                   // as sent (informational: the server has one model)
  std::string prompt;                  // text; or
  std::vector<int32_t> prompt_tokens;  // token ids, when "prompt" is an array of integers
  GenerationParams params;
};

// POST /v1/chat/completions
struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;  // roles: system, user, assistant
  GenerationParams params;
};

// Errors say which field is wrong and what was expected ("'temperature' must be a number in
// [0, 2], got \"hot\""); malformed JSON says so and where ("malformed JSON at byte 17: ...").
Result<CompletionRequest> parse_completion_request(std::string_view body, const RequestLimits& limits);
Result<ChatRequest> parse_chat_request(std::string_view body, const RequestLimits& limits);

// The deepest [ / { nesting in `text`, ignoring brackets inside strings. Checked before parsing so
// that a body of a million '[' costs a scan, not a parse.
int json_nesting_depth(std::string_view text);

}  // namespace trit::serve
