#include "tokenizer/utf8.h"

namespace trit::tok {

namespace {

// One step of llama.cpp's unicode_cpt_from_utf8: returns false where it would throw.
bool decode_one(std::string_view s, size_t& off, uint32_t& cp) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[off + i]); };
  const auto cont = [&](size_t i) { return (b(i) & 0xC0) == 0x80; };
  const uint8_t b0 = b(0);
  if (!(b0 & 0x80)) {
    cp = b0;
    off += 1;
    return true;
  }
  if (!(b0 & 0x40)) return false;
  if (!(b0 & 0x20)) {
    if (off + 1 >= s.size() || !cont(1)) return false;
    cp = (uint32_t(b0 & 0x1F) << 6) | (b(1) & 0x3F);
    off += 2;
    return true;
  }
  if (!(b0 & 0x10)) {
    if (off + 2 >= s.size() || !cont(1) || !cont(2)) return false;
    cp = (uint32_t(b0 & 0x0F) << 12) | (uint32_t(b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    off += 3;
    return true;
  }
  if (!(b0 & 0x08)) {
    if (off + 3 >= s.size() || !cont(1) || !cont(2) || !cont(3)) return false;
    cp = (uint32_t(b0 & 0x07) << 18) | (uint32_t(b(1) & 0x3F) << 12) |
         (uint32_t(b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    off += 4;
    return true;
  }
  return false;
}

}  // namespace

std::vector<uint32_t> utf8_decode_lenient(std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  size_t off = 0;
  while (off < text.size()) {
    uint32_t cp = 0;
    if (decode_one(text, off, cp)) {
      out.push_back(cp);
    } else {
      out.push_back(kReplacementChar);
      ++off;
    }
  }
  return out;
}

void utf8_append(std::string& out, uint32_t cp) {
  if (cp <= 0x7F) {
    out.push_back(static_cast<char>(cp));
  } else if (cp <= 0x7FF) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0xFFFF) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= kMaxCodepoint) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    utf8_append(out, kReplacementChar);
  }
}

bool utf8_is_valid(std::string_view text) {
  size_t off = 0;
  while (off < text.size()) {
    const size_t start = off;
    uint32_t cp = 0;
    if (!decode_one(text, off, cp)) return false;
    const size_t n = off - start;
    const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > kMaxCodepoint) return false;
  }
  return true;
}

}  // namespace trit::tok
