#include "tokenizer/byte_encoding.h"

#include <array>

#include "tokenizer/utf8.h"

namespace trit::tok {

namespace {

constexpr bool is_printable_byte(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

constexpr std::array<uint16_t, 256> make_byte_to_cp() {
  std::array<uint16_t, 256> t{};
  int n = 0;
  for (int b = 0; b < 256; ++b) t[b] = is_printable_byte(b) ? uint16_t(b) : uint16_t(256 + n++);
  return t;
}

constexpr std::array<uint16_t, 256> kByteToCp = make_byte_to_cp();

// Inverse of kByteToCp over U+0000..U+0143; -1 where a codepoint stands for no byte.
constexpr std::array<int16_t, 256 + 68> make_cp_to_byte() {
  std::array<int16_t, 256 + 68> t{};
  for (auto& v : t) v = -1;
  for (int b = 0; b < 256; ++b) t[kByteToCp[b]] = int16_t(b);
  return t;
}

constexpr std::array<int16_t, 256 + 68> kCpToByte = make_cp_to_byte();

struct Utf8Table {
  std::array<std::string, 256> text;
  Utf8Table() {
    for (int b = 0; b < 256; ++b) utf8_append(text[b], kByteToCp[b]);
  }
};

const Utf8Table& utf8_table() {
  static const Utf8Table table;
  return table;
}

}  // namespace

std::string_view byte_to_unicode(uint8_t byte) { return utf8_table().text[byte]; }

void byte_encode_append(std::string& out, std::string_view text) {
  const auto& t = utf8_table();
  for (char c : text) out += t.text[static_cast<uint8_t>(c)];
}

std::optional<uint8_t> unicode_to_byte(uint32_t cp) {
  if (cp >= kCpToByte.size() || kCpToByte[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(kCpToByte[cp]);
}

}  // namespace trit::tok
