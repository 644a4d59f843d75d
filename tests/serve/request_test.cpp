// serve/request.h: JSON text -> validated request, or an error naming the field.
#include "serve/request.h"

#include <gtest/gtest.h>

#include <string>

namespace trit::serve {
namespace {

const RequestLimits kLimits;

std::string completion_error(const std::string& body) {
  auto r = parse_completion_request(body, kLimits);
  return r ? std::string("(parsed)") : r.error().message;
}

TEST(Request, CompletionDefaultsAndFields) {
  auto r = parse_completion_request(R"({"model": "m", "prompt": "Hi", "max_tokens": 5, "temperature": 0,
      "top_p": 0.5, "top_k": 3, "min_p": 0.1, "seed": 9, "stop": ["\n", "END"], "stream": true,
      "stream_options": {"include_usage": true}, "n": 1, "presence_penalty": 0, "user": "x"})",
                                    kLimits);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->model, "m");
  EXPECT_EQ(r->prompt, "Hi");
  EXPECT_EQ(r->params.max_tokens, 5);
  EXPECT_EQ(r->params.sampler.temperature, 0.0f);
  EXPECT_EQ(r->params.sampler.top_p, 0.5f);
  EXPECT_EQ(r->params.sampler.top_k, 3);
  EXPECT_TRUE(r->params.seed_given);
  EXPECT_EQ(r->params.sampler.seed, 9u);
  EXPECT_EQ(r->params.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_TRUE(r->params.stream);
  EXPECT_TRUE(r->params.include_usage);

  auto d = parse_completion_request(R"({"prompt": "x", "max_tokens": null, "temperature": null})", kLimits);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->params.max_tokens);
  EXPECT_EQ(d->params.sampler.temperature, SamplerParams{}.temperature);
  EXPECT_FALSE(d->params.seed_given);
  EXPECT_FALSE(d->params.stream);
}

TEST(Request, PromptForms) {
  auto one = parse_completion_request(R"({"prompt": ["only"]})", kLimits);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->prompt, "only");
  auto ids = parse_completion_request(R"({"prompt": [1, 2, 3.0]})", kLimits);
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->prompt_tokens, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_NE(completion_error(R"({"prompt": ["a", "b"]})").find("batched"), std::string::npos);
  EXPECT_NE(completion_error(R"({"prompt": [-1]})").find("'prompt'"), std::string::npos);
  EXPECT_NE(completion_error(R"({"prompt": []})").find("'prompt'"), std::string::npos);
  EXPECT_NE(completion_error(R"({"max_tokens": 3})").find("'prompt' is required"), std::string::npos);
}

TEST(Request, MalformedJsonSaysSo) {
  for (const char* body : {"{", "{\"prompt\": }", "not json", "{\"prompt\": \"a\"} trailing"}) {
    EXPECT_NE(completion_error(body).find("malformed JSON"), std::string::npos) << body;
  }
  EXPECT_NE(completion_error("").find("empty request body"), std::string::npos);
  EXPECT_NE(completion_error("[1, 2]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(completion_error(std::string(100000, '[')).find("nested deeper"), std::string::npos);
  // Invalid UTF-8 inside a string is malformed JSON, not a crash later.
  EXPECT_NE(completion_error("{\"prompt\": \"\xff\"}").find("malformed JSON"), std::string::npos);
  // A number beyond double: nlohmann throws out_of_range.406 even from parse (found by fuzz/request).
  for (const char* body : {"{\"prompt\": \"a\", \"max_tokens\": 1e400}", "{\"temperature\": -1e999}"}) {
    EXPECT_NE(completion_error(body).find("number overflow"), std::string::npos) << body;
  }
}

TEST(Request, OutOfRangeFieldsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"prompt": "a", "temperature": "hot"})", "'temperature' must be a number in [0, 2]"},
      {R"({"prompt": "a", "temperature": 3})", "'temperature'"},
      {R"({"prompt": "a", "top_p": 0})", "'top_p'"},
      {R"({"prompt": "a", "top_k": -1})", "'top_k'"},
      {R"({"prompt": "a", "max_tokens": 0})", "'max_tokens' must be an integer in [1, 4096]"},
      {R"({"prompt": "a", "max_tokens": 5000})", "'max_tokens'"},
      {R"({"prompt": "a", "max_tokens": 1.5})", "'max_tokens'"},
      {R"({"prompt": "a", "stream": "yes"})", "'stream'"},
      {R"({"prompt": "a", "stop": ["a", "b", "c", "d", "e"]})", "'stop'"},
      {R"({"prompt": "a", "stop": [""]})", "'stop'"},
      {R"({"prompt": "a", "n": 2})", "'n'"},
      {R"({"prompt": "a", "presence_penalty": 0.5})", "'presence_penalty'"},
      {R"({"prompt": "a", "logprobs": 3})", "'logprobs'"},
      {R"({"prompt": "a", "model": 7})", "'model'"},
      {R"({"prompt": "a", "seed": 18446744073709551615})", "'seed'"},
  };
  for (const auto& [body, expected] : cases) {
    EXPECT_NE(completion_error(body).find(expected), std::string::npos) << body << " -> " << completion_error(body);
  }
}

TEST(Request, ChatMessages) {
  auto r = parse_chat_request(R"({"messages": [{"role": "system", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]},
      {"role": "assistant", "content": null}, {"role": "developer", "content": "x"}],
      "max_completion_tokens": 7, "max_tokens": 3})",
                              kLimits);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->messages.size(), 4u);
  EXPECT_EQ(r->messages[1].content, "Hello");
  EXPECT_EQ(r->messages[2].content, "");
  EXPECT_EQ(r->messages[3].role, "system");
  EXPECT_EQ(r->params.max_tokens, 7);

  const std::pair<const char*, const char*> bad[] = {
      {R"({"messages": []})", "'messages'"},
      {R"({"prompt": "x"})", "'messages' is required"},
      {R"({"messages": [{"role": "tool", "content": "x"}]})", "'messages[0].role'"},
      {R"({"messages": [{"content": "x"}]})", "'messages[0].role'"},
      {R"({"messages": ["hi"]})", "'messages[0]'"},
      {R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})", "'messages[0].content'"},
  };
  for (const auto& [body, expected] : bad) {
    auto e = parse_chat_request(body, kLimits);
    ASSERT_FALSE(e) << body;
    EXPECT_NE(e.error().message.find(expected), std::string::npos) << body << " -> " << e.error().message;
  }
}

TEST(Request, NestingDepthIgnoresStrings) {
  EXPECT_EQ(json_nesting_depth(R"({"a": [[1]], "b": "[[[[[[\"]]"})"), 3);
  EXPECT_EQ(json_nesting_depth("]]]["), 1);
  EXPECT_EQ(json_nesting_depth(""), 0);
}

}  // namespace
}  // namespace trit::serve
