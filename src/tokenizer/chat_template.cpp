#include "tokenizer/chat_template.h"

namespace trit {

namespace {

bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

// llama.cpp's trim() in llama-chat.cpp: ASCII whitespace at both ends.
std::string_view trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

Result<std::string> apply_bitnet(std::span<const ChatMessage> messages, bool add_assistant_prompt) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      out += "System: ";
    } else if (m.role == "user") {
      out += "User: ";
    } else if (m.role == "assistant") {
      out += "Assistant: ";
    } else {
      return make_error("chat template bitnet: unknown role '" + m.role + "' (system, user, assistant)");
    }
    out += m.content;
    out += "<|eot_id|>";
  }
  if (add_assistant_prompt) out += "Assistant: ";
  return out;
}

Result<std::string> apply_llama3(std::span<const ChatMessage> messages, bool add_assistant_prompt) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role.empty()) return make_error("chat template llama3: empty role");
    out += "<|start_header_id|>";
    out += m.role;
    out += "<|end_header_id|>\n\n";
    out += trim(m.content);
    out += "<|eot_id|>";
  }
  if (add_assistant_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

}  // namespace

ChatTemplateKind detect_chat_template(std::string_view jinja) {
  // Same test llama.cpp uses for Llama-3 (llm_chat_detect_template).
  if (contains(jinja, "<|start_header_id|>") && contains(jinja, "<|end_header_id|>")) return ChatTemplateKind::kLlama3;
  // BitNet 2B4T's template writes "User: ", "Assistant: " and ends turns with <|eot_id|>.
  if (contains(jinja, "Assistant: ") && contains(jinja, "User: ") && contains(jinja, "<|eot_id|>")) {
    return ChatTemplateKind::kBitNet;
  }
  return ChatTemplateKind::kUnknown;
}

std::optional<ChatTemplateKind> chat_template_from_name(std::string_view name) {
  if (name == "bitnet") return ChatTemplateKind::kBitNet;
  if (name == "llama3") return ChatTemplateKind::kLlama3;
  return std::nullopt;
}

std::string_view chat_template_name(ChatTemplateKind kind) {
  switch (kind) {
    case ChatTemplateKind::kBitNet: return "bitnet";
    case ChatTemplateKind::kLlama3: return "llama3";
    case ChatTemplateKind::kUnknown: break;
  }
  return "unknown";
}

Result<std::string> apply_chat_template(ChatTemplateKind kind, std::span<const ChatMessage> messages,
                                        bool add_assistant_prompt) {
  switch (kind) {
    case ChatTemplateKind::kBitNet: return apply_bitnet(messages, add_assistant_prompt);
    case ChatTemplateKind::kLlama3: return apply_llama3(messages, add_assistant_prompt);
    case ChatTemplateKind::kUnknown: break;
  }
  return make_error("no supported chat template (bitnet, llama3) for this model");
}

}  // namespace trit
