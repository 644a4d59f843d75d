#include "tokenizer/special_tokens.h"

namespace trit::tok {

std::vector<Fragment> partition_special(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({kNoToken, 0, text.size()});
  std::vector<Fragment> next;
  for (int32_t id : vocab.special_tokens) {
    const TokenData& t = vocab.tokens[static_cast<size_t>(id)];
    if (!parse_special && (t.attr & (token_attr::kControl | token_attr::kUnknown))) continue;
    const std::string_view needle = t.text;
    bool found_any = false;
    next.clear();
    for (const Fragment& f : frags) {
      if (!f.is_text()) {
        next.push_back(f);
        continue;
      }
      const std::string_view hay = text.substr(0, f.offset + f.length);
      size_t start = f.offset;
      for (size_t m = hay.find(needle, start); m != std::string_view::npos; m = hay.find(needle, start)) {
        found_any = true;
        if (m > start) next.push_back({kNoToken, start, m - start});
        next.push_back({id, 0, 0});
        start = m + needle.size();
      }
      if (start < f.offset + f.length) next.push_back({kNoToken, start, f.offset + f.length - start});
    }
    if (found_any) frags.swap(next);
  }
  return frags;
}

}  // namespace trit::tok
