// Fuzz target: the server's request parser (serve/request.h): JSON text in, a validated struct or
// an Error out. Byte 0 picks the endpoint; the rest is the body. A parsed request must respect
// every RequestLimits bound it claims to enforce.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "serve/request.h"

namespace {

void check_params(const trit::serve::GenerationParams& p, const trit::serve::RequestLimits& lim) {
  if (p.max_tokens && (*p.max_tokens < 0 || *p.max_tokens > lim.max_tokens)) std::abort();
  if (p.stop.size() > lim.max_stop) std::abort();
  for (const auto& s : p.stop) {
    if (s.size() > lim.max_stop_bytes) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trit::serve;
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  RequestLimits lim;
  lim.max_tokens = 512;
  lim.max_json_depth = 16;
  lim.max_messages = 64;
  (void)json_nesting_depth(body);
  if (data[0] & 1) {
    auto r = parse_chat_request(body, lim);
    if (r.ok()) {
      check_params(r->params, lim);
      if (r->messages.size() > lim.max_messages) std::abort();
    } else if (r.error().message.empty()) {
      std::abort();
    }
  } else {
    auto r = parse_completion_request(body, lim);
    if (r.ok()) {
      check_params(r->params, lim);
    } else if (r.error().message.empty()) {
      std::abort();
    }
  }
  return 0;
}
