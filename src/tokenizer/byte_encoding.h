// GPT-2's reversible byte <-> printable-codepoint mapping used by byte-level BPE vocabs
// (openai/gpt-2 encoder.py bytes_to_unicode; llama.cpp unicode_byte_to_utf8_map). Printable
// Latin-1 bytes map to themselves; the other 68 bytes map, in order, to U+0100, U+0101, ...
// so ' ' (0x20) is 'Ġ' (U+0120) and '\n' is 'Ċ' (U+010A).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trit::tok {

// The UTF-8 text of the codepoint that stands for `byte` (1 or 2 bytes).
std::string_view byte_to_unicode(uint8_t byte);

// Appends the byte-level encoding of every byte of `text`.
void byte_encode_append(std::string& out, std::string_view text);

// The byte a codepoint stands for, or nullopt when cp is not one of the 256 stand-ins.
std::optional<uint8_t> unicode_to_byte(uint32_t cp);

}  // namespace trit::tok
