// A conversation with a model: the messages so far, rendered with the model's chat template,
// kept within the context window by dropping the oldest turns, and answered with the generation
// loop. The KV cache is reused across turns: only the tokens after the longest common prefix of
// what is cached and the new prompt are evaluated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "generate/generate.h"
#include "model/model.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace trit {

// The chat format to use: `name` when given ("bitnet", "llama3"), else the one the model's
// tokenizer.chat_template describes, else BitNet's plain "User: ... Assistant: " format (set
// *fell_back so the caller can say so). Error: an unknown name.
Result<ChatTemplateKind> choose_chat_template(const Tokenizer& tokenizer, std::string_view name,
                                              bool* fell_back = nullptr);

struct ChatOptions {
  ChatTemplateKind kind = ChatTemplateKind::kBitNet;
  std::string system;       // empty: no system message
  int n_predict = -1;       // per answer; -1: until end of generation or a full context
  // Context kept free for the answer when old turns are dropped: min(n_predict, this).
  int answer_reserve = 256;
  SamplerParams sampler;
};

struct ChatReply {
  std::string text;
  StopReason stop = StopReason::kLength;
  int prompt_tokens = 0;      // the whole rendered conversation
  int evaluated_tokens = 0;   // of those, how many were not already in the KV cache
  int generated_tokens = 0;
  int dropped_messages = 0;   // oldest messages dropped (this turn) to fit the context
  GenerateTiming timing;
};

class ChatSession {
 public:
  ChatSession(Session& session, const Tokenizer& tokenizer, ChatOptions options);

  // Adds the user's message and generates the answer, streaming each piece to on_piece (return
  // false to stop: the partial answer is kept in the history). Error: the message alone does not
  // fit in the context (it is not added), or an evaluation failure.
  Result<ChatReply> send(std::string_view user, const OnToken& on_piece = {});
  // Forget the conversation (the system message stays).
  void reset();

  const std::vector<ChatMessage>& history() const { return messages_; }

 private:
  Result<std::vector<int32_t>> render(bool with_assistant_prompt) const;

  Session& session_;
  const Tokenizer& tokenizer_;
  ChatOptions options_;
  std::vector<ChatMessage> messages_;  // user and assistant turns, oldest first (no system)
  std::vector<int32_t> cached_;        // the tokens in session_'s KV cache, in order
};

}  // namespace trit
