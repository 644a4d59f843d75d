// Session as a LogitsSource: the one adapter between the generation loop and the engine.
// Header-only so that code which never touches a Session (the loop's tests) needs no model.
#pragma once

#include "generate/generate.h"
#include "model/model.h"

namespace trit {

class SessionSource final : public LogitsSource {
 public:
  explicit SessionSource(Session& session) : session_(session) {}
  Status eval(std::span<const int32_t> tokens, std::vector<float>* logits) override {
    return session_.eval(tokens, logits, /*all_logits=*/false);
  }
  int n_past() const override { return session_.n_past(); }
  int n_ctx() const override { return session_.n_ctx(); }

 private:
  Session& session_;
};

}  // namespace trit
