#include "serve/response.h"

#include <nlohmann/json.hpp>

namespace trit::serve {
namespace {

using nlohmann::ordered_json;  // keys in the order OpenAI documents them

// Generated text may hold a broken UTF-8 sequence (a byte-fallback token cut off by max_tokens);
// send U+FFFD rather than throw.
std::string dump(const ordered_json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

ordered_json head(ApiKind kind, const ResponseMeta& meta, bool chunk) {
  ordered_json j;
  j["id"] = meta.id;
  j["object"] = kind == ApiKind::kCompletion ? "text_completion" : chunk ? "chat.completion.chunk" : "chat.completion";
  j["created"] = meta.created;
  j["model"] = meta.model;
  return j;
}

ordered_json usage(const Generation& g) {
  return {{"prompt_tokens", g.prompt_tokens},
          {"completion_tokens", g.completion_tokens},
          {"total_tokens", g.prompt_tokens + g.completion_tokens}};
}

}  // namespace

std::string response_body(ApiKind kind, const ResponseMeta& meta, const Generation& g) {
  ordered_json j = head(kind, meta, false);
  ordered_json choice;
  choice["index"] = 0;
  if (kind == ApiKind::kCompletion) {
    choice["text"] = g.text;
    choice["logprobs"] = nullptr;
  } else {
    choice["message"] = {{"role", "assistant"}, {"content", g.text}};
  }
  choice["finish_reason"] = g.finish_reason;
  j["choices"] = ordered_json::array({choice});
  j["usage"] = usage(g);
  return dump(j);
}

std::string event_chunk(ApiKind kind, const ResponseMeta& meta, std::string_view text,
                        std::optional<std::string_view> finish_reason, bool first) {
  ordered_json j = head(kind, meta, true);
  ordered_json choice;
  choice["index"] = 0;
  if (kind == ApiKind::kCompletion) {
    choice["text"] = text;
    choice["logprobs"] = nullptr;
  } else {
    ordered_json delta = ordered_json::object();
    if (first) delta["role"] = "assistant";
    if (!text.empty() || first) delta["content"] = text;
    choice["delta"] = delta;
  }
  choice["finish_reason"] = finish_reason ? ordered_json(*finish_reason) : ordered_json(nullptr);
  j["choices"] = ordered_json::array({choice});
  return "data: " + dump(j) + "\n\n";
}

std::string event_usage(ApiKind kind, const ResponseMeta& meta, const Generation& g) {
  ordered_json j = head(kind, meta, true);
  j["choices"] = ordered_json::array();
  j["usage"] = usage(g);
  return "data: " + dump(j) + "\n\n";
}

std::string event_error(std::string_view message) {
  ordered_json j;
  j["error"] = {{"message", message}, {"type", "server_error"}};
  return "data: " + dump(j) + "\n\n";
}

std::string error_body(std::string_view message, std::string_view type, std::string_view code) {
  ordered_json j;
  j["error"] = {{"message", message},
                {"type", type},
                {"param", nullptr},
                {"code", code.empty() ? ordered_json(nullptr) : ordered_json(code)}};
  return dump(j);
}

std::string models_body(std::string_view model, int64_t created) {
  ordered_json m;
  m["id"] = model;
  m["object"] = "model";
  m["created"] = created;
  m["owned_by"] = "trit";
  ordered_json j;
  j["object"] = "list";
  j["data"] = ordered_json::array({m});
  return dump(j);
}

}  // namespace trit::serve
