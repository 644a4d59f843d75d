#include "generate/chat_session.h"

#include <algorithm>

#include "generate/session_source.h"

namespace trit {

Result<ChatTemplateKind> choose_chat_template(const Tokenizer& tokenizer, std::string_view name,
                                              bool* fell_back) {
  if (fell_back) *fell_back = false;
  if (!name.empty()) {
    if (auto kind = chat_template_from_name(name)) return *kind;
    return make_error("unknown chat template '" + std::string(name) + "' (bitnet, llama3)");
  }
  const ChatTemplateKind detected = detect_chat_template(tokenizer.vocab().chat_template);
  if (detected != ChatTemplateKind::kUnknown) return detected;
  if (fell_back) *fell_back = true;
  return ChatTemplateKind::kBitNet;
}

ChatSession::ChatSession(Session& session, const Tokenizer& tokenizer, ChatOptions options)
    : session_(session), tokenizer_(tokenizer), options_(std::move(options)) {
  session_.reset();
}

void ChatSession::reset() {
  messages_.clear();
  cached_.clear();
  session_.reset();
}

Result<std::vector<int32_t>> ChatSession::render(bool with_assistant_prompt) const {
  std::vector<ChatMessage> all;
  if (!options_.system.empty()) all.push_back({"system", options_.system});
  all.insert(all.end(), messages_.begin(), messages_.end());
  auto text = apply_chat_template(options_.kind, all, with_assistant_prompt);
  if (!text) return text.error();
  return tokenizer_.tokenize(*text, /*add_special=*/true, /*parse_special=*/true);
}

Result<ChatReply> ChatSession::send(std::string_view user, const OnToken& on_piece) {
  const int n_ctx = session_.n_ctx();
  const int reserve = options_.n_predict >= 0 ? std::min(options_.n_predict, options_.answer_reserve)
                                              : options_.answer_reserve;
  ChatReply reply;
  messages_.push_back({"user", std::string(user)});

  // Drop the oldest messages until the conversation and room for an answer fit. The newest
  // message (the user's) always stays; so does the system message, which is not in messages_.
  std::vector<int32_t> prompt;
  for (;;) {
    auto tokens = render(/*with_assistant_prompt=*/true);
    if (!tokens) {
      messages_.pop_back();
      return tokens.error();
    }
    prompt = std::move(*tokens);
    if (int(prompt.size()) + reserve <= n_ctx || messages_.size() == 1) break;
    // Drop a whole exchange when the oldest message is a user's, so the model never sees an
    // answer without its question.
    const size_t n = messages_.size() >= 3 && messages_[0].role == "user" && messages_[1].role == "assistant" ? 2 : 1;
    messages_.erase(messages_.begin(), messages_.begin() + long(n));
    reply.dropped_messages += int(n);
  }
  if (int(prompt.size()) >= n_ctx) {
    messages_.pop_back();
    return make_error("the message needs " + std::to_string(prompt.size()) + " tokens with the template, but the "
                      "context holds " + std::to_string(n_ctx) + "; shorten it or raise --ctx");
  }

  // Reuse the cached prefix; at least one token is evaluated so that there are logits to sample.
  const size_t common =
      size_t(std::mismatch(cached_.begin(), cached_.end(), prompt.begin(), prompt.end()).first - cached_.begin());
  const size_t keep = std::min(common, prompt.size() - 1);
  if (Status s = session_.truncate(int(keep)); !s) return s.error();
  cached_.resize(keep);

  const TokenText text{
      .is_eog = [&](int32_t id) { return tokenizer_.is_eog(id); },
      .piece = [&](int32_t id) { return tokenizer_.token_to_piece(id, /*special=*/false); },
  };
  SessionSource source(session_);
  const std::span<const int32_t> fresh = std::span<const int32_t>(prompt).subspan(keep);
  auto result = generate(source, fresh, {.n_predict = options_.n_predict, .sampler = options_.sampler}, text, on_piece);
  if (!result) {
    // The cache may hold part of the prompt; start clean next time.
    messages_.pop_back();
    session_.reset();
    cached_.clear();
    return result.error();
  }
  // What the cache holds now: the prompt, then the generated tokens that were evaluated (the last
  // sampled one is not, see generate.h).
  cached_ = prompt;
  cached_.insert(cached_.end(), result->tokens.begin(), result->tokens.end());
  cached_.resize(size_t(session_.n_past()));

  messages_.push_back({"assistant", result->text});
  reply.text = std::move(result->text);
  reply.stop = result->stop;
  reply.prompt_tokens = int(prompt.size());
  reply.evaluated_tokens = int(fresh.size());
  reply.generated_tokens = int(result->tokens.size());
  reply.timing = result->timing;
  return reply;
}

}  // namespace trit
