// `trit serve`: an OpenAI-compatible HTTP server over one model.
//
//   POST /v1/completions        {"prompt": "...", "max_tokens": 16, "stream": false, ...}
//   POST /v1/chat/completions   {"messages": [{"role": "user", "content": "..."}], ...}
//   GET  /v1/models, /health, /metrics (Prometheus text)
//
// Requests run on N slots (one Session each, reset per request) and queue, first come first
// served, for a free one; a full queue answers 503. A streamed request whose client disconnects
// is cancelled at its next token, freeing its slot. HTTP is cpp-httplib, kept out of this header.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/result.h"
#include "model/model.h"
#include "serve/request.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace trit::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked: the API has no per-user isolation
  int port = 8080;                 // 0: any free port (see Server::port())
  std::string api_key;             // non-empty: every route but /health needs "Authorization: Bearer KEY"
  std::string model_name = "trit";  // what /v1/models and responses call the model
  int n_slots = 1;                  // concurrent generations (each owns a KV cache)
  int max_queue = 64;               // requests that may wait for a slot; more get 503
  size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  RequestLimits limits;             // max_tokens etc.; see request.h
  int default_max_tokens = 16;      // /v1/completions without max_tokens (OpenAI's default);
                                    // chat without it runs to end of generation or the limit
  ChatTemplateKind chat_template = ChatTemplateKind::kBitNet;
  int read_timeout_s = 30;          // a client that stops sending its request is dropped
};

class Server {
 public:
  // model and tokenizer must outlive the Server.
  Server(const Model& model, const Tokenizer& tokenizer, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; Error names the address when it cannot (in use, no permission).
  Status bind();
  int port() const;  // the bound port (useful with port 0)
  int n_ctx() const;     // tokens per slot
  bool running() const;  // run() is accepting connections (stop() before that has no effect)
  // Serves until stop(); call bind() first. Returns when the listener has shut down.
  void run();
  // From any thread: refuse new work, cancel generations at their next token, stop listening.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trit::serve
