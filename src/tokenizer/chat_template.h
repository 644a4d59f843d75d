// The chat formats of the models trit runs, recognised from tokenizer.chat_template (no Jinja
// engine: the template text is only used to pick one of these). BOS is not part of the output;
// tokenize the result with add_special = true so the vocab adds it.
//
//   BitNet 2B4T:  "System: S<|eot_id|>User: U<|eot_id|>Assistant: A<|eot_id|>" + "Assistant: "
//   Llama-3:      "<|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>" per message,
//                 content trimmed, + "<|start_header_id|>assistant<|end_header_id|>\n\n"
//                 (llama.cpp's llm_chat_apply_template, LLM_CHAT_TEMPLATE_LLAMA_3).
// Tokenize the result with parse_special = true so the markers become their control tokens.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace trit {

enum class ChatTemplateKind { kUnknown, kBitNet, kLlama3 };

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

// Which format a tokenizer.chat_template (Jinja text) describes; kUnknown when none of ours.
ChatTemplateKind detect_chat_template(std::string_view jinja);

// "bitnet" / "llama3" (for a --chat-template flag); nullopt otherwise.
std::optional<ChatTemplateKind> chat_template_from_name(std::string_view name);
std::string_view chat_template_name(ChatTemplateKind kind);

Result<std::string> apply_chat_template(ChatTemplateKind kind, std::span<const ChatMessage> messages,
                                        bool add_assistant_prompt);

}  // namespace trit
