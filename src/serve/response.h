// OpenAI's response shapes, as JSON text: whole responses, server-sent-event chunks, errors.
// Shapes follow https://platform.openai.com/docs/api-reference (completions, chat, models).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "serve/generation.h"

namespace trit::serve {

enum class ApiKind { kCompletion, kChat };

struct ResponseMeta {
  std::string id;       // "cmpl-7" / "chatcmpl-7"
  int64_t created = 0;  // Unix seconds
  std::string model;
};

// The body of a non-streamed response.
std::string response_body(ApiKind kind, const ResponseMeta& meta, const Generation& g);

// One server-sent event: "data: {json}\n\n". A chunk carries `text` as the next piece;
// finish_reason is set on the last one. Chat's first chunk also carries the role.
std::string event_chunk(ApiKind kind, const ResponseMeta& meta, std::string_view text,
                        std::optional<std::string_view> finish_reason, bool first = false);
// stream_options.include_usage: an event with empty choices and the usage.
std::string event_usage(ApiKind kind, const ResponseMeta& meta, const Generation& g);
// The stream's end (OpenAI's sentinel).
inline constexpr std::string_view kEventDone = "data: [DONE]\n\n";
// An error inside a stream that has already answered 200 (e.g. an evaluation failure).
std::string event_error(std::string_view message);

// {"error": {"message", "type", "param": null, "code"}}
std::string error_body(std::string_view message, std::string_view type, std::string_view code = {});

std::string models_body(std::string_view model, int64_t created);

}  // namespace trit::serve
