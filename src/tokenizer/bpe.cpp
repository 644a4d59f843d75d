#include "tokenizer/bpe.h"

#include <queue>
#include <string>

#include "tokenizer/utf8.h"

namespace trit::tok {

Result<BpeModel> BpeModel::build(const Vocab& vocab) {
  BpeModel m;
  m.vocab_ = &vocab;
  const auto intern = [&](std::string s) {
    auto [it, inserted] = m.piece_ids_.emplace(std::move(s), static_cast<int32_t>(m.piece_token_.size()));
    if (inserted) m.piece_token_.push_back(vocab.find(it->first));
    return it->second;
  };
  m.merges_.reserve(vocab.merges.size());
  m.piece_ids_.reserve(vocab.merges.size() * 2);
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    const std::string& line = vocab.merges[rank];
    const size_t pos = line.find(' ', 1);  // validated by Vocab::from_gguf
    if (pos == std::string::npos || pos + 1 >= line.size()) {
      return make_error("tokenizer.ggml.merges entry " + std::to_string(rank) + " is not 'left right'");
    }
    const int32_t left = intern(line.substr(0, pos));
    const int32_t right = intern(line.substr(pos + 1));
    const int32_t result = intern(line.substr(0, pos) + line.substr(pos + 1));
    // A repeated pair keeps its first (lowest) rank, as llama.cpp's bpe_ranks.emplace does.
    m.merges_.emplace(key(left, right), Merge{static_cast<int32_t>(rank), result});
  }
  return m;
}

namespace {

struct Symbol {
  int32_t prev;
  int32_t next;
  uint32_t begin;
  uint32_t len;  // 0 once merged into its left neighbour
  int32_t piece;
};

struct Candidate {
  int32_t rank;
  int32_t left;
  int32_t right;
  int32_t left_piece;
  int32_t right_piece;
  int32_t result;
};

// Lowest rank first, then leftmost (llm_bigram_bpe::comparator).
struct Later {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  const Vocab& v = *vocab_;
  if (v.ignore_merges) {
    if (int32_t id = v.find(word); id != kNoToken) {
      out.push_back(id);
      return;
    }
  }

  std::vector<Symbol> syms;
  syms.reserve(word.size());
  for (size_t off = 0; off < word.size();) {
    const size_t n = std::min(utf8_seq_len(static_cast<uint8_t>(word[off])), word.size() - off);
    const auto idx = static_cast<int32_t>(syms.size());
    syms.push_back({idx - 1, off + n == word.size() ? -1 : idx + 1, static_cast<uint32_t>(off),
                    static_cast<uint32_t>(n), piece_id(word.substr(off, n))});
    off += n;
  }

  std::vector<Candidate> initial;
  initial.reserve(syms.size());
  std::priority_queue<Candidate, std::vector<Candidate>, Later> queue;
  bool seeding = true;  // seed in bulk: one O(n) heapify instead of n pushes
  const auto consider = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Symbol& a = syms[static_cast<size_t>(l)];
    const Symbol& b = syms[static_cast<size_t>(r)];
    if (a.piece < 0 || b.piece < 0) return;
    auto it = merges_.find(key(a.piece, b.piece));
    if (it == merges_.end()) return;
    const Candidate c{it->second.rank, l, r, a.piece, b.piece, it->second.result};
    if (seeding) {
      initial.push_back(c);
    } else {
      queue.push(c);
    }
  };
  for (int32_t i = 1; i < static_cast<int32_t>(syms.size()); ++i) consider(i - 1, i);
  queue = std::priority_queue<Candidate, std::vector<Candidate>, Later>(Later{}, std::move(initial));
  seeding = false;

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& a = syms[static_cast<size_t>(c.left)];
    Symbol& b = syms[static_cast<size_t>(c.right)];
    // Stale: one side was merged away or changed since (llama.cpp compares the texts).
    if (a.len == 0 || b.len == 0 || a.next != c.right || a.piece != c.left_piece || b.piece != c.right_piece) {
      continue;
    }
    a.len += b.len;
    a.piece = c.result;
    b.len = 0;
    a.next = b.next;
    if (b.next >= 0) syms[static_cast<size_t>(b.next)].prev = c.left;
    consider(a.prev, c.left);
    consider(c.left, a.next);
  }

  for (int32_t i = 0; i >= 0; i = syms[static_cast<size_t>(i)].next) {
    const Symbol& s = syms[static_cast<size_t>(i)];
    const std::string_view text = word.substr(s.begin, s.len);
    int32_t id = s.piece >= 0 ? piece_token_[static_cast<size_t>(s.piece)] : v.find(text);
    if (id != kNoToken) {
      out.push_back(id);
      continue;
    }
    // No such token: fall back to one token per byte of the (byte-encoded) text, dropping bytes
    // that are no token, exactly as llama.cpp does.
    for (char c : text) {
      if (int32_t b = v.find(std::string_view(&c, 1)); b != kNoToken) out.push_back(b);
    }
  }
}

}  // namespace trit::tok
