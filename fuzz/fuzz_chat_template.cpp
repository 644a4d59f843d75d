// Fuzz target: the chat template renderer. The whole input also goes through
// detect_chat_template / chat_template_from_name as Jinja text; then byte 0 picks the format and
// add_assistant_prompt, and the rest is split at NUL bytes into role, content, role, content, ...
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trit;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  (void)detect_chat_template(all);
  (void)chat_template_from_name(all);
  if (size == 0) return 0;
  const ChatTemplateKind kinds[] = {ChatTemplateKind::kUnknown, ChatTemplateKind::kBitNet, ChatTemplateKind::kLlama3};
  const ChatTemplateKind kind = kinds[(data[0] & 3) % 3];
  const bool add_assistant = data[0] & 4;
  std::vector<std::string> parts;
  std::string_view rest = all.substr(1);
  while (!rest.empty()) {
    const size_t nul = rest.find('\0');
    parts.emplace_back(rest.substr(0, nul));
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  }
  std::vector<ChatMessage> msgs;
  for (size_t i = 0; i + 1 < parts.size(); i += 2) msgs.push_back({parts[i], parts[i + 1]});
  auto r = apply_chat_template(kind, msgs, add_assistant);
  if (r.ok()) {
    if (kind == ChatTemplateKind::kUnknown) std::abort();  // no format: must be an Error
  } else if (r.error().message.empty()) {
    std::abort();
  }
  (void)chat_template_name(kind);
  return 0;
}
