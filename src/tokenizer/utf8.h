// UTF-8 decoding and encoding with llama.cpp's exact leniency (src/unicode.cpp), because token ids
// depend on how invalid input is repaired:
//  - a byte that cannot start a sequence, or a sequence cut short, becomes U+FFFD and decoding
//    resumes at the NEXT byte (one U+FFFD per bad byte);
//  - overlong forms and surrogates are NOT rejected: they decode to their value (C0 80 -> U+0000,
//    ED A0 80 -> U+D800) and re-encode in the shortest form;
//  - values above U+10FFFF (F4 90.. to F7 ..) make llama.cpp throw; we map them to U+FFFD instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trit::tok {

inline constexpr uint32_t kReplacementChar = 0xFFFD;
inline constexpr uint32_t kMaxCodepoint = 0x10FFFF;

// Length of the sequence a lead byte announces, by its high nibble (llama.cpp unicode_len_utf8):
// continuation bytes and 0xF8..0xFF count as 1.
inline size_t utf8_seq_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

// Decodes leniently as described above. Values above U+10FFFF are returned as is; callers that
// encode them get U+FFFD from utf8_append.
std::vector<uint32_t> utf8_decode_lenient(std::string_view text);

// Appends the shortest encoding of cp (surrogates as 3 bytes, like llama.cpp);
// cp > U+10FFFF appends U+FFFD.
void utf8_append(std::string& out, uint32_t cp);

// True when text is valid UTF-8 in the strict sense (no overlongs, surrogates or > U+10FFFF).
bool utf8_is_valid(std::string_view text);

}  // namespace trit::tok
