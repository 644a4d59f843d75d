// Shared by the serve tests: one tiny synthetic model per test binary, a server running on an
// ephemeral loopback port, a server-sent-events parser and a raw socket for clients that vanish.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "model/model.h"
#include "model/model_test_util.h"
#include "serve/server.h"
#include "tokenizer/tokenizer.h"

namespace trit::testing {

// Context per slot: room for the long streams the disconnect and queue tests need.
inline constexpr int kTestCtx = 2048;

struct TestModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// Loaded once: a tiny BitNet (TQ2_0, byte-level BPE vocab with <|eot_id|>), 1 thread per slot so
// that 50 concurrent requests on a 2-core runner measure the server, not oversubscription.
inline const TestModel& test_model() {
  static const TestModel m = [] {
    TestModel t;
    const std::string path = synth_model("bitnet", TensorType::TQ2_0);
    auto model = Model::load(path, {.n_ctx = kTestCtx, .n_threads = 1});
    if (!model) throw std::runtime_error("cannot load " + path + ": " + model.error().message);
    t.model = std::move(model).value();
    auto tok = Tokenizer::from_gguf(t.model->file());
    if (!tok) throw std::runtime_error(tok.error().message);
    t.tokenizer = std::move(tok).value();
    return t;
  }();
  return m;
}

// A Server on 127.0.0.1, port chosen by the kernel, serving on its own thread until destroyed.
class RunningServer {
 public:
  explicit RunningServer(serve::ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    if (options.model_name == "trit") options.model_name = "tiny";
    server_ = std::make_unique<serve::Server>(*test_model().model, *test_model().tokenizer, options);
    Status s = server_->bind();
    if (!s) throw std::runtime_error(s.error().message);
    thread_ = std::thread([this] { server_->run(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_->running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  int port() const { return server_->port(); }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
    c->set_read_timeout(60, 0);
    return c;
  }

 private:
  std::unique_ptr<serve::Server> server_;
  std::thread thread_;
};

// The JSON payloads of a server-sent-event stream, in order; "[DONE]" is kept as a string.
inline std::vector<std::string> sse_payloads(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end == std::string::npos ? body.size() : end + 2;
  }
  return out;
}

// A bare TCP client, for a client that sends a request and then disappears mid-stream.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{.tv_sec = 30, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { close(); }
  bool connected() const { return connected_; }
  void post(const std::string& path, const std::string& body) {
    const std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    ASSERT_EQ(::send(fd_, req.data(), req.size(), MSG_NOSIGNAL), ssize_t(req.size()));
  }
  // Reads until `what` has arrived (or the peer closes / 30 s pass); returns all that was read.
  std::string read_until(const std::string& what) {
    std::string got;
    char buf[4096];
    while (got.find(what) == std::string::npos) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, size_t(n));
    }
    return got;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// The value of an unlabelled sample in Prometheus text ("name value"); -1 when absent.
inline double metric_value(const std::string& text, const std::string& name) {
  const std::string key = "\n" + name + " ";
  const size_t pos = text.find(key);
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + key.size()));
}

}  // namespace trit::testing
