#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <utility>

#include "tokenizer/utf8.h"

namespace trit::tok {

namespace {

// \s and \S as llama.cpp means them (see the header).
#define TRIT_WS "\\p{White_Space}"
#define TRIT_NOT_WS "\\P{White_Space}"

// llama.cpp's GPT-2 regex "'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
// as its custom matcher behaves: a lone whitespace before a non-space is a word of its own.
constexpr const char* kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" TRIT_WS "\\p{L}\\p{N}]+|" TRIT_WS "+(?!" TRIT_NOT_WS
    ")|" TRIT_WS "+";

// llama.cpp's adapted Llama-3 regex (PR 6920): "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|
// [^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
constexpr const char* kLlama3 =
    "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^" TRIT_WS
    "\\p{L}\\p{N}]+[\\r\\n]*|" TRIT_WS "*[\\r\\n]+|" TRIT_WS "+(?!" TRIT_NOT_WS ")|" TRIT_WS "+";

#undef TRIT_WS
#undef TRIT_NOT_WS

// The regex lists of llm_tokenizer_bpe's constructor (src/llama-vocab.cpp), per type.
std::vector<std::string> patterns_for(PreType type) {
  switch (type) {
    case PreType::kDefault:
      return {"[\\p{P}$+<=>^~|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"};
    case PreType::kLlama3:
      return {kLlama3};
    case PreType::kGpt2:
      return {kGpt2};
    case PreType::kStarcoder:
      return {"\\p{N}", kGpt2};
    case PreType::kFalcon:
      return {"[\\p{P}$+<=>^~|`]+", kGpt2, "[0-9][0-9][0-9]"};
  }
  return {};
}

struct MatchState {
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mctx = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  MatchState() {
    md = pcre2_match_data_create(1, nullptr);
    mctx = pcre2_match_context_create(nullptr);
    // Grows on demand up to 8 MiB; our patterns need little, but a 10 MB line must not fail.
    jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    if (mctx && jit_stack) pcre2_jit_stack_assign(mctx, nullptr, jit_stack);
  }
  ~MatchState() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(mctx);
    pcre2_match_data_free(md);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;
};

using Span = std::pair<size_t, size_t>;  // [begin, end) byte offsets into the subject

}  // namespace

struct PreTokenizer::Stage {
  std::string pattern;
  pcre2_code* code = nullptr;

  Stage() = default;
  Stage(Stage&& o) noexcept : pattern(std::move(o.pattern)), code(std::exchange(o.code, nullptr)) {}
  Stage& operator=(Stage&&) = delete;
  ~Stage() { pcre2_code_free(code); }
};

PreTokenizer::~PreTokenizer() = default;

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::create(PreType type) {
  std::unique_ptr<PreTokenizer> p(new PreTokenizer());
  for (std::string& pat : patterns_for(type)) {
    Stage s;
    s.pattern = std::move(pat);
    int err = 0;
    PCRE2_SIZE err_off = 0;
    s.code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(s.pattern.data()), s.pattern.size(),
                           PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &err_off, nullptr);
    if (!s.code) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      return make_error("pre-tokenizer regex '" + s.pattern + "' at offset " + std::to_string(err_off) + ": " +
                        reinterpret_cast<const char*>(msg));
    }
    // JIT is an optimisation: where it is unavailable pcre2_match interprets the same pattern.
    (void)pcre2_jit_compile(s.code, PCRE2_JIT_COMPLETE);
    p->stages_.push_back(std::move(s));
  }
  return p;
}

std::vector<std::string> PreTokenizer::patterns() const {
  std::vector<std::string> out;
  for (const Stage& s : stages_) out.push_back(s.pattern);
  return out;
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
  // Repair and re-encode as llama.cpp does; `words` come from `normalized`. PCRE2 needs valid
  // UTF-8, so surrogates (which llama.cpp keeps, as category Cs) are U+FFFD in `subject`: both are
  // "other" (not L, N, P or whitespace) for every regex here, and both take 3 bytes, so byte
  // offsets agree between the two strings.
  std::string normalized;
  normalized.reserve(text.size() + 16);
  bool has_surrogate = false;
  for (uint32_t cp : utf8_decode_lenient(text)) {
    has_surrogate |= (cp >= 0xD800 && cp <= 0xDFFF);
    utf8_append(normalized, cp);
  }
  std::string subject_storage;
  const std::string* subject = &normalized;
  if (has_surrogate) {
    subject_storage.reserve(normalized.size());
    for (uint32_t cp : utf8_decode_lenient(normalized)) {
      utf8_append(subject_storage, (cp >= 0xD800 && cp <= 0xDFFF) ? kReplacementChar : cp);
    }
    subject = &subject_storage;
  }

  std::vector<Span> spans;
  if (!normalized.empty()) spans.emplace_back(0, normalized.size());
  std::vector<Span> next;
  MatchState ms;
  const auto* base = reinterpret_cast<PCRE2_SPTR>(subject->data());

  for (const Stage& stage : stages_) {
    next.clear();
    next.reserve(spans.size() * 2);
    for (const auto& [b, e] : spans) {
      // Each piece is matched on its own, as llama.cpp does: lookaheads stop at its end.
      const PCRE2_SIZE len = e - b;
      PCRE2_SIZE pos = 0;   // where the next search starts
      PCRE2_SIZE done = 0;  // end of the last piece emitted
      while (pos < len) {
        const int rc = pcre2_match(stage.code, base + b, len, pos, PCRE2_NO_UTF_CHECK, ms.md, ms.mctx);
        if (rc < 0) break;  // no match (or a resource limit): the rest is one piece
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(ms.md);
        const PCRE2_SIZE m0 = ov[0], m1 = ov[1];
        if (m1 <= m0) {  // none of our patterns matches empty; never loop on one that would
          pos = m0 + 1;
          while (pos < len && (base[b + pos] & 0xC0) == 0x80) ++pos;
          continue;
        }
        if (m0 > done) next.emplace_back(b + done, b + m0);
        next.emplace_back(b + m0, b + m1);
        pos = done = m1;
      }
      if (done < len) next.emplace_back(b + done, e);
    }
    spans.swap(next);
  }

  std::vector<std::string> words;
  words.reserve(spans.size());
  for (const auto& [b, e] : spans) words.emplace_back(normalized, b, e - b);
  return words;
}

}  // namespace trit::tok
