#include "tokenizer/detokenize.h"

#include <cstdio>

#include "tokenizer/byte_encoding.h"
#include "tokenizer/utf8.h"

namespace trit::tok {

std::string decode_byte_level(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (uint32_t cp : utf8_decode_lenient(text)) {
    if (auto b = unicode_to_byte(cp)) {
      out.push_back(static_cast<char>(*b));
      continue;
    }
    std::string utf8;
    utf8_append(utf8, cp);
    out += "[UNK_BYTE_0x";
    for (char c : utf8) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", static_cast<uint8_t>(c));
      out += hex;
    }
    out += text;
    out += ']';
  }
  return out;
}

namespace {

// token_to_byte: the two characters after "<0x", read as strtol would (hex digits until the first
// that is not one). Vocab::from_gguf guarantees at least 3 characters.
char byte_of_token(const std::string& text) {
  int value = 0;
  for (size_t i = 3; i < text.size() && i < 5; ++i) {
    const char c = text[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) break;
    value = value * 16 + d;
  }
  return static_cast<char>(value);
}

std::string unescape_whitespace(const std::string& s) {
  static constexpr std::string_view kSpmSpace = "\xe2\x96\x81";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, kSpmSpace.size(), kSpmSpace) == 0) {
      out += ' ';
      i += kSpmSpace.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace

std::string render_piece(const Vocab& vocab, int32_t id) {
  const TokenData& t = vocab.tokens[static_cast<size_t>(id)];
  if (t.attr & (token_attr::kUnknown | token_attr::kControl | token_attr::kUserDefined)) return t.text;
  if (t.attr & token_attr::kNormal) {
    return vocab.type == VocabType::kSpm ? unescape_whitespace(t.text) : decode_byte_level(t.text);
  }
  if (t.attr & token_attr::kByte) return std::string(1, byte_of_token(t.text));
  return {};
}

void clean_up_spaces(std::string& text) {
  // Three in-place compaction passes, each reading the previous pass's output.
  size_t total = text.size();
  {
    const size_t n = total;
    total = n ? 1 : 0;
    for (size_t i = 1; i < n; ++i) {
      const char x = text[i];
      if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
      text[total++] = x;
    }
  }
  {
    const size_t n = total;
    total = n ? 1 : 0;
    for (size_t i = 1; i < n; ++i) {
      const char x = text[i];
      if (x == '\'' && i + 1 < n && text[i - 1] == ' ' && text[i + 1] == ' ') {
        --total;           // drop the space before
        text[++i] = '\0';  // and skip the one after
      }
      text[total++] = x;
    }
  }
  {
    const size_t n = total;
    total = n ? 1 : 0;
    for (size_t i = 1; i < n; ++i) {
      const char x = text[i];
      if (text[i - 1] == ' ' && x == '\'' && i + 1 < n) {
        const char x1 = text[i + 1];
        if (x1 == 's' || x1 == 'm') {
          --total;
        } else if (i + 2 < n) {
          const char x2 = text[i + 2];
          if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) --total;
        }
      }
      text[total++] = x;
    }
  }
  text.resize(total);
}

}  // namespace trit::tok
