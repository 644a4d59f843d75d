#include "tokenizer/spm.h"

#include <queue>

#include "tokenizer/utf8.h"

namespace trit::tok {

namespace {

struct Symbol {
  int32_t prev;
  int32_t next;
  uint32_t begin;
  uint32_t len;  // 0 once merged into its left neighbour
};

struct Candidate {
  float score;
  int32_t left;
  int32_t right;
  uint32_t size;
};

// Highest score first, then leftmost (llm_bigram_spm::comparator).
struct Worse {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

int32_t spm_byte_token(const Vocab& vocab, uint8_t byte) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const char buf[6] = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>'};
  if (int32_t id = vocab.find(std::string_view(buf, 6)); id != kNoToken) return id;
  const char c = static_cast<char>(byte);
  return vocab.find(std::string_view(&c, 1));
}

void spm_encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  if (text.empty()) return;
  std::vector<Symbol> syms;
  syms.reserve(text.size());
  for (size_t off = 0; off < text.size();) {
    const size_t n = std::min(utf8_seq_len(static_cast<uint8_t>(text[off])), text.size() - off);
    const auto idx = static_cast<int32_t>(syms.size());
    syms.push_back({idx - 1, off + n == text.size() ? -1 : idx + 1, static_cast<uint32_t>(off),
                    static_cast<uint32_t>(n)});
    off += n;
  }

  std::vector<Candidate> initial;
  initial.reserve(syms.size());
  std::priority_queue<Candidate, std::vector<Candidate>, Worse> queue;
  bool seeding = true;  // seed in bulk: one O(n) heapify instead of n pushes
  const auto consider = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Symbol& a = syms[static_cast<size_t>(l)];
    const Symbol& b = syms[static_cast<size_t>(r)];
    const uint32_t size = a.len + b.len;
    const int32_t id = vocab.find(text.substr(a.begin, size));
    if (id == kNoToken) return;
    const Candidate c{vocab.tokens[static_cast<size_t>(id)].score, l, r, size};
    if (seeding) {
      initial.push_back(c);
    } else {
      queue.push(c);
    }
  };
  for (int32_t i = 1; i < static_cast<int32_t>(syms.size()); ++i) consider(i - 1, i);
  queue = std::priority_queue<Candidate, std::vector<Candidate>, Worse>(Worse{}, std::move(initial));
  seeding = false;

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& a = syms[static_cast<size_t>(c.left)];
    Symbol& b = syms[static_cast<size_t>(c.right)];
    if (a.len == 0 || b.len == 0 || a.len + b.len != c.size) continue;  // stale
    a.len += b.len;
    b.len = 0;
    a.next = b.next;
    if (b.next >= 0) syms[static_cast<size_t>(b.next)].prev = c.left;
    consider(a.prev, c.left);
    consider(c.left, a.next);
  }

  for (int32_t i = 0; i >= 0; i = syms[static_cast<size_t>(i)].next) {
    const Symbol& s = syms[static_cast<size_t>(i)];
    const std::string_view piece = text.substr(s.begin, s.len);
    if (int32_t id = vocab.find(piece); id != kNoToken) {
      out.push_back(id);
      continue;
    }
    // Every merged symbol is a token, so only single characters get here: emit their bytes.
    for (char ch : piece) {
      if (int32_t id = spm_byte_token(vocab, static_cast<uint8_t>(ch)); id != kNoToken) out.push_back(id);
    }
  }
}

}  // namespace trit::tok
