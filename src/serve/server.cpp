#include "serve/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include "core/log.h"
#include "serve/generation.h"
#include "serve/metrics.h"
#include "serve/response.h"
#include "serve/slots.h"

namespace trit::serve {
namespace {

constexpr const char* kJson = "application/json";

// The label /metrics counts a request under: known routes by name, anything else as "other", so
// that a client probing random paths cannot grow the label set.
std::string route_label(const std::string& path) {
  for (const char* known : {"/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics"}) {
    if (path == known) return path;
  }
  return "other";
}

// Compares in time independent of where the strings differ, so the key cannot be guessed byte
// by byte from response times.
bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

void send_error(httplib::Response& res, int status, std::string_view message, std::string_view type,
                std::string_view code = {}) {
  res.status = status;
  res.set_content(error_body(message, type, code), kJson);
}

struct Prepared {
  std::vector<int32_t> prompt;
  int n_predict = 0;
};

}  // namespace

struct Server::Impl {
  const Model& model;
  const Tokenizer& tokenizer;
  const ServerOptions opt;
  const int64_t created = int64_t(std::time(nullptr));
  SlotPool slots;
  Metrics metrics;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> next_id{1};
  int port = -1;
  int listen_socket = -1;
  httplib::Server http;  // last: destroyed (its handler threads joined) before the slots

  Impl(const Model& m, const Tokenizer& t, ServerOptions o)
      : model(m), tokenizer(t), opt(std::move(o)), slots(m, opt.n_slots, opt.max_queue) {
    setup();
  }

  void setup();
  bool authorized(const httplib::Request& req) const;
  Result<Prepared> prepare(ApiKind kind, const httplib::Request& req, GenerationParams& params,
                           std::string& model_field) const;
  void handle_generate(ApiKind kind, const httplib::Request& req, httplib::Response& res);
  void stream(ApiKind kind, std::shared_ptr<SlotPool::Lease> lease, Prepared prepared, GenerationParams params,
              ResponseMeta meta, httplib::Response& res);
};

bool Server::Impl::authorized(const httplib::Request& req) const {
  if (opt.api_key.empty() || req.path == "/health") return true;
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.compare(0, kBearer.size(), kBearer) != 0) return false;
  return equal_constant_time(std::string_view(header).substr(kBearer.size()), opt.api_key);
}

Result<Prepared> Server::Impl::prepare(ApiKind kind, const httplib::Request& req, GenerationParams& params,
                                       std::string& model_field) const {
  Prepared p;
  if (kind == ApiKind::kCompletion) {
    auto r = parse_completion_request(req.body, opt.limits);
    if (!r) return r.error();
    params = r->params;
    model_field = r->model;
    if (!r->prompt_tokens.empty()) {
      for (int32_t id : r->prompt_tokens) {
        if (id >= tokenizer.n_vocab())
          return make_error("'prompt': token id " + std::to_string(id) + " is out of range (vocabulary has " +
                            std::to_string(tokenizer.n_vocab()) + " tokens)");
      }
      p.prompt = std::move(r->prompt_tokens);
    } else {
      // As llama.cpp's server: BOS added where the vocab wants it, special-token text parsed.
      p.prompt = tokenizer.tokenize(r->prompt, /*add_special=*/true, /*parse_special=*/true);
    }
    p.n_predict = params.max_tokens.value_or(opt.default_max_tokens);
  } else {
    auto r = parse_chat_request(req.body, opt.limits);
    if (!r) return r.error();
    params = r->params;
    model_field = r->model;
    auto text = apply_chat_template(opt.chat_template, r->messages, /*add_assistant_prompt=*/true);
    if (!text) return text.error();
    p.prompt = tokenizer.tokenize(*text, /*add_special=*/true, /*parse_special=*/true);
    p.n_predict = params.max_tokens.value_or(opt.limits.max_tokens);
  }
  if (p.prompt.empty()) return make_error("the prompt is empty (and this model adds no BOS token)");
  if (int(p.prompt.size()) > slots.n_ctx())
    return make_error("the prompt has " + std::to_string(p.prompt.size()) + " tokens but the context holds " +
                      std::to_string(slots.n_ctx()) + " (the server's --ctx)");
  if (!params.seed_given) params.sampler.seed = std::random_device{}() | (uint64_t(std::random_device{}()) << 32);
  return p;
}

void Server::Impl::handle_generate(ApiKind kind, const httplib::Request& req, httplib::Response& res) {
  GenerationParams params;
  std::string model_field;
  auto prepared = prepare(kind, req, params, model_field);
  if (!prepared) return send_error(res, 400, prepared.error().message, "invalid_request_error");

  auto acquired = slots.acquire();
  if (!acquired.lease) {
    if (acquired.refusal == SlotPool::Refusal::kQueueFull) {
      metrics.count_queue_full();
      res.set_header("Retry-After", "1");
      return send_error(res, 503,
                        "all " + std::to_string(slots.size()) + " slots are busy and " +
                            std::to_string(opt.max_queue) + " requests are already waiting; retry later",
                        "server_error", "queue_full");
    }
    return send_error(res, 503, "the server is shutting down", "server_error", "shutting_down");
  }

  ResponseMeta meta{.id = std::string(kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-") +
                          std::to_string(next_id.fetch_add(1)),
                    .created = int64_t(std::time(nullptr)),
                    .model = opt.model_name};
  if (params.stream) {
    auto lease = std::make_shared<SlotPool::Lease>(std::move(*acquired.lease));
    return stream(kind, std::move(lease), std::move(*prepared), std::move(params), std::move(meta), res);
  }
  auto g = run_generation(acquired.lease->session(), tokenizer, prepared->prompt, prepared->n_predict, params, {},
                          &stopping);
  if (!g) return send_error(res, 500, g.error().message, "server_error");
  metrics.add_generation(g->prompt_tokens, g->completion_tokens, g->timing.prompt_s, g->timing.gen_s);
  res.set_content(response_body(kind, meta, *g), kJson);
}

// The generation runs inside httplib's content provider, on the connection's thread, after the
// 200 header has gone out; each piece is one event. A failed write means the client is gone:
// the generation stops at the next token and the slot is released at once.
void Server::Impl::stream(ApiKind kind, std::shared_ptr<SlotPool::Lease> lease, Prepared prepared,
                          GenerationParams params, ResponseMeta meta, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");  // proxies: do not buffer the stream
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, kind, lease, prepared = std::move(prepared), params = std::move(params), meta = std::move(meta)](
          size_t, httplib::DataSink& sink) mutable {
        const auto write = [&](std::string_view s) { return sink.write(s.data(), s.size()); };
        bool ok = kind != ApiKind::kChat || write(event_chunk(kind, meta, "", std::nullopt, /*first=*/true));
        Result<Generation> g = make_error("not started");
        if (ok) {
          g = run_generation(lease->session(), tokenizer, prepared.prompt, prepared.n_predict, params,
                             [&](std::string_view text) { return write(event_chunk(kind, meta, text, std::nullopt)); },
                             &stopping);
        }
        lease.reset();  // free the slot before the last bytes go out
        if (!ok || (g && g->cancelled)) {
          if (g) metrics.add_generation(g->prompt_tokens, g->completion_tokens, g->timing.prompt_s, g->timing.gen_s);
          metrics.count_cancelled();
          return false;  // httplib closes the connection
        }
        if (!g) {
          write(event_error(g.error().message));
        } else {
          metrics.add_generation(g->prompt_tokens, g->completion_tokens, g->timing.prompt_s, g->timing.gen_s);
          write(event_chunk(kind, meta, "", g->finish_reason));
          if (params.include_usage) write(event_usage(kind, meta, *g));
        }
        write(kEventDone);
        sink.done();
        return true;
      });
}

void Server::Impl::setup() {
  // One thread per running or queued request, plus a few for /health and /metrics while all are
  // busy: so that the queue depth /metrics reports is the real one, and a full queue gets 503
  // rather than waiting unseen in httplib's own backlog.
  const size_t n_threads = size_t(opt.n_slots) + size_t(opt.max_queue) + 4;
  http.new_task_queue = [n_threads] { return new httplib::ThreadPool(n_threads); };
  http.set_payload_max_length(opt.max_body_bytes);
  // httplib's default adds SO_REUSEPORT, which lets a second server bind the same port and take
  // half its connections; a port in use must be an error instead.
  http.set_socket_options([this](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket = sock;  // the last one offered is the one bound (see bind())
  });
  http.set_read_timeout(opt.read_timeout_s, 0);

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (authorized(req)) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "invalid or missing API key: send the header 'Authorization: Bearer <key>'",
               "authentication_error", "invalid_api_key");
    return httplib::Server::HandlerResponse::Handled;
  });
  // httplib's own refusals (no route, body too large) arrive here with an empty body.
  http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    switch (res.status) {
      case 404: message = "no route " + req.method + " " + req.path; break;
      case 413: message = "request body too large (limit " + std::to_string(opt.max_body_bytes) + " bytes)"; break;
      default: message = "HTTP " + std::to_string(res.status); break;
    }
    res.set_content(error_body(message, "invalid_request_error"), kJson);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    send_error(res, 500, what, "server_error");
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics.count_request(route_label(req.path), res.status);
    TRIT_LOG_DEBUG("serve: %s %s -> %d", req.method.c_str(), req.path.c_str(), res.status);
  });

  http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    handle_generate(ApiKind::kCompletion, req, res);
  });
  http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    handle_generate(ApiKind::kChat, req, res);
  });
  http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(models_body(opt.model_name, created), kJson);
  });
  http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    const int busy = slots.busy();
    res.set_content("{\"status\":\"ok\",\"slots_idle\":" + std::to_string(slots.size() - busy) +
                        ",\"slots_busy\":" + std::to_string(busy) + ",\"queue\":" + std::to_string(slots.queued()) +
                        "}",
                    kJson);
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const SlotGauges gauges{.busy = slots.busy(), .total = slots.size(), .queued = slots.queued()};
    res.set_content(metrics.render(gauges), "text/plain; version=0.0.4");
  });
}

Server::Server(const Model& model, const Tokenizer& tokenizer, ServerOptions options)
    : impl_(std::make_unique<Impl>(model, tokenizer, std::move(options))) {}

Server::~Server() {
  stop();
}

Status Server::bind() {
  Impl& s = *impl_;
  errno = 0;
  if (s.opt.port == 0) {
    s.port = s.http.bind_to_any_port(s.opt.host);
  } else if (s.http.bind_to_port(s.opt.host, s.opt.port)) {
    s.port = s.opt.port;
  }
  if (s.port <= 0) {
    const std::string why = errno ? std::strerror(errno) : "address not usable";
    return make_error("cannot listen on " + s.opt.host + ":" + std::to_string(s.opt.port) + ": " + why);
  }
  // Debian's libcpp-httplib is compiled with a listen backlog of 5: a burst of clients overflows
  // it, and the kernel then drops connections the clients believe are open (they fail reading
  // the response). listen() again on the bound socket raises the backlog (Linux and the BSDs
  // accept this on a listening socket).
  if (s.listen_socket >= 0) ::listen(s.listen_socket, SOMAXCONN);
  return {};
}

int Server::port() const { return impl_->port; }

int Server::n_ctx() const { return impl_->slots.n_ctx(); }

bool Server::running() const { return impl_->http.is_running(); }

void Server::run() { impl_->http.listen_after_bind(); }

void Server::stop() {
  impl_->stopping = true;
  impl_->slots.close();
  impl_->http.stop();
}

}  // namespace trit::serve
