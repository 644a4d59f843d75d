// serve/server.h over real HTTP on loopback: OpenAI shapes, streaming, errors, auth, limits,
// 50 concurrent clients, and a client that disconnects mid-stream.
#include "serve/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>

#include "serve/generation.h"
#include "serve_test_util.h"

namespace trit::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kJsonType = "application/json";

json post_json(httplib::Client& c, const std::string& path, const json& body, int expect_status = 200) {
  auto res = c.Post(path.c_str(), body.dump(), kJsonType);
  EXPECT_TRUE(res) << "no response from " << path;
  if (!res) return json();
  EXPECT_EQ(res->status, expect_status) << res->body;
  return json::parse(res->body, nullptr, false);
}

// Text as a client reads it from JSON: a broken UTF-8 sequence (the synthetic model emits
// random byte tokens) arrives as U+FFFD.
std::string as_sent(const std::string& text) {
  return json::parse(json(text).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

// What the library produces for a greedy request on a fresh Session: the server must say the same.
std::string direct_greedy(const std::string& prompt, int max_tokens) {
  const TestModel& m = test_model();
  Session session(*m.model);
  serve::GenerationParams p;
  p.sampler.temperature = 0;
  const auto tokens = m.tokenizer->tokenize(prompt, true, true);
  auto g = serve::run_generation(session, *m.tokenizer, tokens, max_tokens, p, {}, nullptr);
  EXPECT_TRUE(g);
  return g ? g->text : std::string();
}

TEST(Server, HealthModelsAndMetrics) {
  RunningServer s;
  auto c = s.client();
  auto health = c->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");

  auto models = c->Get("/v1/models");
  ASSERT_TRUE(models);
  const json m = json::parse(models->body);
  EXPECT_EQ(m["object"], "list");
  EXPECT_EQ(m["data"][0]["id"], "tiny");
  EXPECT_EQ(m["data"][0]["object"], "model");

  post_json(*c, "/v1/completions", {{"prompt", "Hello"}, {"max_tokens", 4}, {"temperature", 0}});
  // A request is counted once its response is written, so the client can ask for /metrics a
  // moment before the count lands: poll briefly.
  const std::string counted = "trit_requests_total{route=\"/v1/completions\",code=\"200\"} 1";
  std::string t;
  for (int i = 0; i < 1000 && t.find(counted) == std::string::npos; ++i) {
    auto metrics = c->Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200);
    EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4");
    t = metrics->body;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_NE(t.find("trit_requests_total{route=\"/v1/completions\",code=\"200\"} 1"), std::string::npos) << t;
  EXPECT_NE(t.find("trit_requests_total{route=\"/health\",code=\"200\"} 1"), std::string::npos);
  EXPECT_EQ(metric_value(t, "trit_generations_total"), 1);
  EXPECT_GT(metric_value(t, "trit_prompt_tokens_total"), 0);
  EXPECT_GT(metric_value(t, "trit_generated_tokens_total"), 0);
  EXPECT_GE(metric_value(t, "trit_generated_tokens_per_second"), 0);
  EXPECT_EQ(metric_value(t, "trit_queue_depth"), 0);
  EXPECT_EQ(metric_value(t, "trit_slots_total"), 1);
  EXPECT_NE(t.find("# TYPE trit_queue_depth gauge"), std::string::npos);
}

TEST(Server, CompletionMatchesTheLibrary) {
  RunningServer s;
  auto c = s.client();
  const json r = post_json(*c, "/v1/completions", {{"model", "tiny"}, {"prompt", "The cat"}, {"max_tokens", 12},
                                                   {"temperature", 0}});
  EXPECT_EQ(r["object"], "text_completion");
  EXPECT_EQ(r["model"], "tiny");
  EXPECT_TRUE(r["id"].get<std::string>().starts_with("cmpl-"));
  ASSERT_EQ(r["choices"].size(), 1u);
  EXPECT_EQ(r["choices"][0]["text"], as_sent(direct_greedy("The cat", 12)));
  const std::string finish = r["choices"][0]["finish_reason"];
  EXPECT_TRUE(finish == "stop" || finish == "length") << finish;
  const json& u = r["usage"];
  EXPECT_EQ(u["prompt_tokens"], test_model().tokenizer->tokenize("The cat", true, true).size());
  EXPECT_LE(u["completion_tokens"].get<int>(), 12);
  EXPECT_EQ(u["total_tokens"], u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());
  if (finish == "length") {
    EXPECT_EQ(u["completion_tokens"], 12);
  }
}

TEST(Server, StreamedCompletionEqualsThePlainOne) {
  RunningServer s;
  auto c = s.client();
  const json req = {{"prompt", "Once upon"}, {"max_tokens", 20}, {"temperature", 0}};
  const json plain = post_json(*c, "/v1/completions", req);

  json sreq = req;
  sreq["stream"] = true;
  sreq["stream_options"] = {{"include_usage", true}};
  auto res = c->Post("/v1/completions", sreq.dump(), kJsonType);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  const auto events = sse_payloads(res->body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  std::string finish;
  for (size_t i = 0; i + 2 < events.size(); ++i) {
    const json e = json::parse(events[i]);
    EXPECT_EQ(e["object"], "text_completion");
    text += e["choices"][0]["text"].get<std::string>();
    if (!e["choices"][0]["finish_reason"].is_null()) finish = e["choices"][0]["finish_reason"];
  }
  const json usage = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"], plain["usage"]);
  EXPECT_EQ(text, plain["choices"][0]["text"]);
  EXPECT_EQ(finish, plain["choices"][0]["finish_reason"]);
}

TEST(Server, StopStringEndsTheCompletion) {
  RunningServer s;
  auto c = s.client();
  const std::string full = direct_greedy("The cat", 24);
  // Stop at the first two ASCII letters after the first byte: the answer is what came before.
  size_t at = 1;
  while (at + 1 < full.size() && !(std::isalpha(static_cast<unsigned char>(full[at])) &&
                                   std::isalpha(static_cast<unsigned char>(full[at + 1]))))
    ++at;
  ASSERT_LT(at + 1, full.size()) << "no ASCII letters in " << full;
  const std::string stop = full.substr(at, 2);
  const json r = post_json(*c, "/v1/completions",
                           {{"prompt", "The cat"}, {"max_tokens", 24}, {"temperature", 0}, {"stop", stop}});
  const std::string text = r["choices"][0]["text"];
  EXPECT_EQ(text, as_sent(full.substr(0, full.find(stop))));
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
}

TEST(Server, ChatCompletionPlainAndStreamed) {
  RunningServer s;
  auto c = s.client();
  const json req = {{"messages", {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}}}},
                    {"max_tokens", 10},
                    {"temperature", 0}};
  const json plain = post_json(*c, "/v1/chat/completions", req);
  EXPECT_EQ(plain["object"], "chat.completion");
  EXPECT_TRUE(plain["id"].get<std::string>().starts_with("chatcmpl-"));
  EXPECT_EQ(plain["choices"][0]["message"]["role"], "assistant");
  ASSERT_TRUE(plain["choices"][0]["message"]["content"].is_string());
  EXPECT_LE(plain["usage"]["completion_tokens"].get<int>(), 10);

  json sreq = req;
  sreq["stream"] = true;
  auto res = c->Post("/v1/chat/completions", sreq.dump(), kJsonType);
  ASSERT_TRUE(res);
  const auto events = sse_payloads(res->body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json first = json::parse(events[0]);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json d = json::parse(events[i])["choices"][0]["delta"];
    if (d.contains("content")) text += d["content"].get<std::string>();
  }
  const json last = json::parse(events[events.size() - 2]);
  EXPECT_EQ(last["choices"][0]["finish_reason"], plain["choices"][0]["finish_reason"]);
  EXPECT_EQ(text, plain["choices"][0]["message"]["content"]);
}

TEST(Server, BadRequestsGetJsonErrors) {
  RunningServer s;
  auto c = s.client();
  struct Case {
    const char* path;
    std::string body;
    int status;
    const char* message;
  };
  const Case cases[] = {
      {"/v1/completions", "{\"prompt\": ", 400, "malformed JSON"},
      {"/v1/completions", "", 400, "empty request body"},
      {"/v1/chat/completions", "[]", 400, "must be a JSON object"},
      {"/v1/completions", R"({"prompt": "a", "temperature": -1})", 400, "'temperature'"},
      {"/v1/completions", R"({"prompt": [99999]})", 400, "out of range"},
      {"/v1/completions", R"({"prompt": "a", "max_tokens": 100000})", 400, "'max_tokens'"},
      {"/v1/chat/completions", R"({"messages": [{"role": "robot", "content": "x"}]})", 400, "role"},
      {"/v1/nothing", "{}", 404, "no route POST /v1/nothing"},
  };
  for (const Case& k : cases) {
    auto res = c->Post(k.path, k.body, kJsonType);
    ASSERT_TRUE(res) << k.body;
    EXPECT_EQ(res->status, k.status) << k.body;
    EXPECT_EQ(res->get_header_value("Content-Type"), kJsonType);
    const json e = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(e.contains("error")) << res->body;
    EXPECT_NE(e["error"]["message"].get<std::string>().find(k.message), std::string::npos) << res->body;
    EXPECT_EQ(e["error"]["type"], "invalid_request_error");
  }
  // A prompt longer than the context is refused before it takes a slot.
  std::string long_prompt;
  for (int i = 0; i < kTestCtx; ++i) long_prompt += " the";
  auto res = c->Post("/v1/completions", json{{"prompt", long_prompt}}.dump(), kJsonType);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("context holds 2048"), std::string::npos) << res->body;
}

TEST(Server, OversizeBodyIs413) {
  serve::ServerOptions o;
  o.max_body_bytes = 4096;
  RunningServer s(o);
  auto c = s.client();
  const std::string body = json{{"prompt", std::string(8192, 'a')}}.dump();
  auto res = c->Post("/v1/completions", body, kJsonType);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(res->body.find("request body too large (limit 4096 bytes)"), std::string::npos) << res->body;
  // The server is still fine afterwards.
  auto ok = s.client()->Post("/v1/completions", R"({"prompt": "a", "max_tokens": 1})", kJsonType);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(Server, ApiKeyIsRequiredExceptForHealth) {
  serve::ServerOptions o;
  o.api_key = "sekrit";
  RunningServer s(o);
  auto c = s.client();
  const std::string body = R"({"prompt": "a", "max_tokens": 1})";
  auto none = c->Post("/v1/completions", body, kJsonType);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["type"], "authentication_error");
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");

  c->set_bearer_token_auth("wrong");
  auto wrong = c->Post("/v1/completions", body, kJsonType);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto metrics = c->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 401);

  c->set_bearer_token_auth("sekrit");
  auto right = c->Post("/v1/completions", body, kJsonType);
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);

  auto health = s.client()->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

// 50 clients at once on 4 slots: every request is answered, and each answer is the one its own
// prompt gives alone (greedy), whether streamed or not: nothing lost, nothing mixed.
TEST(Server, FiftyConcurrentClientsGetTheirOwnAnswers) {
  const std::vector<std::string> prompts = {"The cat", "Once upon a time", "Hello", "What is", "In the"};
  constexpr int kMaxTokens = 16;
  std::vector<std::string> expected;
  for (const auto& p : prompts) expected.push_back(as_sent(direct_greedy(p, kMaxTokens)));

  serve::ServerOptions o;
  o.n_slots = 4;
  o.max_queue = 64;
  RunningServer s(o);
  constexpr int kClients = 50;
  std::vector<std::string> got(kClients);
  std::vector<int> status(kClients, 0);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = s.client();
      const bool stream = i % 2 == 1;
      const json req = {{"prompt", prompts[size_t(i) % prompts.size()]}, {"max_tokens", kMaxTokens},
                        {"temperature", 0}, {"stream", stream}};
      auto res = c->Post("/v1/completions", req.dump(), kJsonType);
      if (!res) {
        got[size_t(i)] = "no response: " + httplib::to_string(res.error()) + (stream ? " (stream)" : " (plain)");
        return;
      }
      status[size_t(i)] = res->status;
      if (!stream) {
        got[size_t(i)] = json::parse(res->body)["choices"][0]["text"];
        return;
      }
      for (const std::string& e : sse_payloads(res->body)) {
        if (e != "[DONE]") got[size_t(i)] += json::parse(e)["choices"][0]["text"].get<std::string>();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(status[size_t(i)], 200) << "client " << i;
    EXPECT_EQ(got[size_t(i)], expected[size_t(i) % prompts.size()]) << "client " << i;
  }
  EXPECT_LT(seconds, 60.0);
  auto metrics = s.client()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metric_value(metrics->body, "trit_generations_total"), kClients);
  EXPECT_EQ(metric_value(metrics->body, "trit_queue_depth"), 0);
  EXPECT_EQ(metric_value(metrics->body, "trit_slots_busy"), 0);
  std::printf("[ serve    ] %d concurrent requests (4 slots, %d tokens each) in %.2f s: %.1f requests/s\n", kClients,
              kMaxTokens, seconds, kClients / seconds);
}

// A streaming request that would run for thousands of tokens; used to keep a slot busy.
std::string long_stream_body() {
  return json{{"prompt", "Hello"}, {"max_tokens", kTestCtx}, {"ignore_eos", true}, {"stream", true},
              {"temperature", 0}}
      .dump();
}

TEST(Server, ClientThatDisconnectsMidStreamFreesItsSlot) {
  serve::ServerOptions o;
  o.n_slots = 1;
  o.limits.max_tokens = kTestCtx;
  RunningServer s(o);
  {
    RawClient raw(s.port());
    ASSERT_TRUE(raw.connected());
    raw.post("/v1/completions", long_stream_body());
    const std::string first = raw.read_until("data: ");
    ASSERT_NE(first.find("200 OK"), std::string::npos) << first;
  }  // closed mid-stream
  const auto closed = Clock::now();
  auto c = s.client();
  std::string metrics;
  while (Clock::now() - closed < std::chrono::seconds(20)) {
    metrics = c->Get("/metrics")->body;
    if (metric_value(metrics, "trit_slots_busy") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double freed_ms = std::chrono::duration<double, std::milli>(Clock::now() - closed).count();
  EXPECT_EQ(metric_value(metrics, "trit_slots_busy"), 0);
  EXPECT_EQ(metric_value(metrics, "trit_requests_cancelled_total"), 1) << "the stream ended by itself";
  EXPECT_LT(metric_value(metrics, "trit_generated_tokens_total"), kTestCtx - 10);
  std::printf("[ serve    ] slot freed %.1f ms after the client disconnected\n", freed_ms);
  // And the one slot serves the next request.
  auto res = c->Post("/v1/completions", R"({"prompt": "a", "max_tokens": 2})", kJsonType);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(Server, FullQueueIs503) {
  serve::ServerOptions o;
  o.n_slots = 1;
  o.max_queue = 0;
  o.limits.max_tokens = kTestCtx;
  RunningServer s(o);
  RawClient busy(s.port());
  busy.post("/v1/completions", long_stream_body());
  ASSERT_NE(busy.read_until("data: ").find("200 OK"), std::string::npos);  // the slot is taken
  auto res = s.client()->Post("/v1/completions", R"({"prompt": "a", "max_tokens": 2})", kJsonType);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "queue_full");
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  busy.close();
  auto metrics = s.client()->Get("/metrics");
  EXPECT_EQ(metric_value(metrics->body, "trit_requests_rejected_total"), 1);
}

TEST(Server, StopWhileStreamingEndsPromptly) {
  serve::ServerOptions o;
  o.limits.max_tokens = kTestCtx;
  auto s = std::make_unique<RunningServer>(o);
  RawClient raw(s->port());
  raw.post("/v1/completions", long_stream_body());
  ASSERT_NE(raw.read_until("data: ").find("200 OK"), std::string::npos);
  const auto start = Clock::now();
  s.reset();  // stop() + join: the generation is cancelled at its next token
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 10.0);
}

TEST(Server, BindFailureNamesTheAddress) {
  RunningServer first;
  serve::ServerOptions o;
  o.host = "127.0.0.1";
  o.port = first.port();
  serve::Server second(*test_model().model, *test_model().tokenizer, o);
  Status st = second.bind();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos)
      << st.error().message;
}

}  // namespace
}  // namespace trit::testing
