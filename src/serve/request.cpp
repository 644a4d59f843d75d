#include "serve/request.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

namespace trit::serve {
namespace {

using nlohmann::json;

// The value of `j` for an error message, shortened: a client that sends a 1 MB string as
// "temperature" gets its first bytes back, not all of them.
std::string shown(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

Error field_error(std::string_view field, std::string_view expected, const json& got) {
  std::string m;
  m.append("'").append(field).append("' must be ").append(expected).append(", got ").append(shown(got));
  return make_error(std::move(m));
}

// Present and not null: OpenAI clients send null for "use the default".
const json* find(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// An integer, also when written as 5.0 (some clients serialize every number as a double).
std::optional<int64_t> as_integer(const json& j) {
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return j.get<int64_t>();
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return int64_t(d);
  }
  return std::nullopt;
}

Status read_int(const json& obj, std::string_view key, int64_t lo, int64_t hi, std::optional<int64_t>& out) {
  const json* j = find(obj, key);
  if (!j) return {};
  const auto v = as_integer(*j);
  if (!v || *v < lo || *v > hi)
    return field_error(key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", *j);
  out = *v;
  return {};
}

// A number in [lo, hi]; open_lo excludes lo itself.
Status read_float(const json& obj, std::string_view key, double lo, double hi, bool open_lo, float& out) {
  const json* j = find(obj, key);
  if (!j) return {};
  char range[64];
  std::snprintf(range, sizeof range, "a number in %s%g, %g]", open_lo ? "(" : "[", lo, hi);
  if (!j->is_number()) return field_error(key, range, *j);
  const double v = j->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi || (open_lo && v == lo)) return field_error(key, range, *j);
  out = float(v);
  return {};
}

Status read_bool(const json& obj, std::string_view key, bool& out) {
  const json* j = find(obj, key);
  if (!j) return {};
  if (!j->is_boolean()) return field_error(key, "true or false", *j);
  out = j->get<bool>();
  return {};
}

// Fields OpenAI defines that trit does not implement: accepted at their neutral value, so that
// clients sending defaults work, and refused otherwise rather than silently ignored.
Status check_unsupported(const json& obj) {
  if (const json* j = find(obj, "n"); j && as_integer(*j) != 1)
    return field_error("n", "1 (one choice per request)", *j);
  if (const json* j = find(obj, "best_of"); j && as_integer(*j) != 1)
    return field_error("best_of", "1", *j);
  for (const char* key : {"presence_penalty", "frequency_penalty"}) {
    if (const json* j = find(obj, key); j && !(j->is_number() && j->get<double>() == 0.0))
      return field_error(key, "0 (not supported; use repeat_penalty)", *j);
  }
  if (const json* j = find(obj, "logprobs"); j && !(j->is_boolean() && !j->get<bool>()) && as_integer(*j) != 0)
    return field_error("logprobs", "null or false (not supported)", *j);
  if (const json* j = find(obj, "echo"); j && !(j->is_boolean() && !j->get<bool>()))
    return field_error("echo", "false (not supported)", *j);
  if (const json* j = find(obj, "tools"); j && !(j->is_array() && j->empty()))
    return field_error("tools", "absent (tool calls are not supported)", *j);
  return {};
}

Status read_stop(const json& obj, const RequestLimits& limits, std::vector<std::string>& out) {
  const json* j = find(obj, "stop");
  if (!j) return {};
  const std::string expected = "a string or an array of at most " + std::to_string(limits.max_stop) +
                               " non-empty strings of at most " + std::to_string(limits.max_stop_bytes) + " bytes";
  std::vector<const json*> items;
  if (j->is_string()) {
    items.push_back(j);
  } else if (j->is_array() && j->size() <= limits.max_stop) {
    for (const json& s : *j) items.push_back(&s);
  } else {
    return field_error("stop", expected, *j);
  }
  for (const json* s : items) {
    if (!s->is_string()) return field_error("stop", expected, *j);
    const std::string& text = s->get_ref<const std::string&>();
    if (text.empty() || text.size() > limits.max_stop_bytes) return field_error("stop", expected, *j);
    out.push_back(text);
  }
  return {};
}

Status read_params(const json& obj, const RequestLimits& limits, std::string_view max_tokens_key,
                   GenerationParams& p) {
  TRIT_TRY(check_unsupported(obj));
  std::optional<int64_t> v;
  TRIT_TRY(read_int(obj, max_tokens_key, 1, limits.max_tokens, v));
  if (v) p.max_tokens = int(*v);

  SamplerParams& s = p.sampler;
  TRIT_TRY(read_float(obj, "temperature", 0.0, 2.0, false, s.temperature));
  TRIT_TRY(read_float(obj, "top_p", 0.0, 1.0, true, s.top_p));
  TRIT_TRY(read_float(obj, "min_p", 0.0, 1.0, false, s.min_p));
  TRIT_TRY(read_float(obj, "repeat_penalty", 0.0, 10.0, true, s.repeat_penalty));
  v.reset();
  TRIT_TRY(read_int(obj, "top_k", 0, std::numeric_limits<int32_t>::max(), v));
  if (v) s.top_k = int(*v);
  v.reset();
  TRIT_TRY(read_int(obj, "repeat_last_n", -1, std::numeric_limits<int32_t>::max(), v));
  if (v) s.repeat_last_n = int(*v);
  v.reset();
  TRIT_TRY(read_int(obj, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), v));
  if (v) {
    s.seed = uint64_t(*v);
    p.seed_given = true;
  }
  TRIT_TRY(read_stop(obj, limits, p.stop));
  TRIT_TRY(read_bool(obj, "stream", p.stream));
  TRIT_TRY(read_bool(obj, "ignore_eos", p.ignore_eos));
  if (const json* so = find(obj, "stream_options")) {
    if (!so->is_object()) return field_error("stream_options", "an object", *so);
    TRIT_TRY(read_bool(*so, "include_usage", p.include_usage));
  }
  if (Status st = validate(s); !st) return make_error("sampling parameters: " + st.error().message);
  return {};
}

Result<json> parse_object(std::string_view body, const RequestLimits& limits) {
  if (body.empty()) return make_error("empty request body; expected a JSON object");
  if (json_nesting_depth(body) > limits.max_json_depth)
    return make_error("malformed JSON: nested deeper than " + std::to_string(limits.max_json_depth) + " levels");
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond double ("1e400", found by fuzz/request).
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ..."; the
    // bracketed id means nothing to a client.
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    return make_error("malformed JSON: " + what);
  }
  if (!j.is_object()) return make_error("the request body must be a JSON object, got " + shown(j));
  return j;
}

Status read_model(const json& obj, std::string& out) {
  const json* j = find(obj, "model");
  if (!j) return {};
  if (!j->is_string()) return field_error("model", "a string", *j);
  out = j->get<std::string>();
  return {};
}

Status read_prompt(const json& obj, CompletionRequest& r) {
  const json* j = find(obj, "prompt");
  constexpr std::string_view kExpected = "a string, an array of one string, or an array of token ids";
  if (!j) return make_error("'prompt' is required (" + std::string(kExpected) + ")");
  if (j->is_string()) {
    r.prompt = j->get<std::string>();
    return {};
  }
  if (!j->is_array() || j->empty()) return field_error("prompt", kExpected, *j);
  if ((*j)[0].is_string()) {
    if (j->size() != 1) return make_error("'prompt': batched prompts are not supported; send one prompt per request");
    r.prompt = (*j)[0].get<std::string>();
    return {};
  }
  for (const json& t : *j) {
    const auto id = as_integer(t);
    if (!id || *id < 0 || *id > std::numeric_limits<int32_t>::max()) return field_error("prompt", kExpected, *j);
    r.prompt_tokens.push_back(int32_t(*id));
  }
  return {};
}

// "content" as a string, or as OpenAI's array of parts of which only {"type": "text"} is supported.
Result<std::string> read_content(const json& msg, size_t index) {
  const std::string field = "messages[" + std::to_string(index) + "].content";
  const json* c = find(msg, "content");
  if (!c) return std::string();  // an assistant message may carry no content
  if (c->is_string()) return c->get<std::string>();
  if (!c->is_array()) return field_error(field, "a string or an array of text parts", *c);
  std::string out;
  for (const json& part : *c) {
    const json* type = part.is_object() ? find(part, "type") : nullptr;
    const json* text = part.is_object() ? find(part, "text") : nullptr;
    if (!type || *type != "text" || !text || !text->is_string())
      return field_error(field, "text parts ({\"type\": \"text\", \"text\": \"...\"}); images are not supported", part);
    out += text->get<std::string>();
  }
  return out;
}

Status read_messages(const json& obj, const RequestLimits& limits, std::vector<ChatMessage>& out) {
  const json* j = find(obj, "messages");
  if (!j) return make_error("'messages' is required (an array of {\"role\", \"content\"})");
  if (!j->is_array() || j->empty() || j->size() > limits.max_messages)
    return field_error("messages", "a non-empty array of at most " + std::to_string(limits.max_messages) +
                                       " messages", *j);
  for (size_t i = 0; i < j->size(); ++i) {
    const json& m = (*j)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return field_error(where, "an object with \"role\" and \"content\"", m);
    const json* role = find(m, "role");
    if (!role || !role->is_string())
      return make_error("'" + where + ".role' must be \"system\", \"user\" or \"assistant\"");
    std::string r = role->get<std::string>();
    if (r == "developer") r = "system";  // OpenAI's newer name for the system role
    if (r != "system" && r != "user" && r != "assistant")
      return field_error(where + ".role", "\"system\", \"user\" or \"assistant\"", *role);
    auto content = read_content(m, i);
    if (!content) return content.error();
    out.push_back({std::move(r), std::move(*content)});
  }
  return {};
}

}  // namespace

int json_nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<CompletionRequest> parse_completion_request(std::string_view body, const RequestLimits& limits) {
  auto j = parse_object(body, limits);
  if (!j) return j.error();
  CompletionRequest r;
  TRIT_TRY(read_model(*j, r.model));
  TRIT_TRY(read_prompt(*j, r));
  TRIT_TRY(read_params(*j, limits, "max_tokens", r.params));
  return r;
}

Result<ChatRequest> parse_chat_request(std::string_view body, const RequestLimits& limits) {
  auto j = parse_object(body, limits);
  if (!j) return j.error();
  ChatRequest r;
  TRIT_TRY(read_model(*j, r.model));
  TRIT_TRY(read_messages(*j, limits, r.messages));
  // max_completion_tokens is the newer name; either is accepted, the newer one wins.
  TRIT_TRY(read_params(*j, limits, "max_tokens", r.params));
  std::optional<int64_t> v;
  TRIT_TRY(read_int(*j, "max_completion_tokens", 1, limits.max_tokens, v));
  if (v) r.params.max_tokens = int(*v);
  return r;
}

}  // namespace trit::serve
