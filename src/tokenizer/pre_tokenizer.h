// Pre-tokenization: the regex split of text into words before byte-level BPE, matching the OUTPUT
// of llama.cpp's unicode_regex_split (src/unicode.cpp) for each pre-tokenizer type we support.
//
// llama.cpp runs a list of regexes in sequence, each splitting every piece the previous one made;
// matches and the text between matches both become pieces. For the GPT-2 and Llama-3 regexes it
// uses hand-written matchers (unicode_regex_split_custom_gpt2/_llama3), for the others std::regex
// over a "collapsed" text. We run the same regexes with PCRE2 (UTF + UCP, JIT), adjusted so the
// output is the same:
//  - \s becomes \p{White_Space}: llama.cpp's whitespace set is exactly that property, while
//    PCRE2's \s also matches U+180E;
//  - the hand-written matchers also split a lone whitespace before a non-space (a trailing `|\s+`
//    that the GPT-2 pattern lacks), so we add it;
//  - the Llama-3 contractions use explicit [sS] classes (llama.cpp's adapted regex), not (?i),
//    which in PCRE2 would also match U+017F and U+212A.
// Invalid UTF-8 is repaired first, exactly as llama.cpp does (tokenizer/utf8.h).
//
// Known divergence: character categories come from PCRE2's Unicode tables (10.42: Unicode 14),
// llama.cpp's from its own unicode-data.cpp (Unicode 15.1+); characters assigned after Unicode 14
// (e.g. CJK Extension H/I) can split differently until PCRE2 catches up.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tokenizer/vocab.h"

namespace trit::tok {

class PreTokenizer {
 public:
  static Result<std::unique_ptr<PreTokenizer>> create(PreType type);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // The words of `text` (UTF-8 as llama.cpp re-encodes it, not yet byte-encoded). Thread-safe.
  std::vector<std::string> split(std::string_view text) const;

  // The PCRE2 patterns run in order (for tests and error messages).
  std::vector<std::string> patterns() const;

 private:
  struct Stage;
  PreTokenizer() = default;
  std::vector<Stage> stages_;
};

}  // namespace trit::tok
