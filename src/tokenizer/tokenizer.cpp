#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "gguf/gguf.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_encoding.h"
#include "tokenizer/detokenize.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/special_tokens.h"
#include "tokenizer/spm.h"

namespace trit {

namespace {

constexpr std::string_view kSpmSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's visible space

void escape_whitespace(std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char c : s) {
    if (c == ' ') {
      out += kSpmSpace;
    } else {
      out += c;
    }
  }
  s.swap(out);
}

}  // namespace

Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::File& file) {
  auto vocab = Vocab::from_gguf(file);
  if (!vocab.ok()) return make_error(file.path() + ": " + vocab.error().message);
  return from_vocab(std::move(vocab).value());
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_vocab(Vocab vocab) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  t->vocab_ = std::move(vocab);
  if (t->vocab_.type == VocabType::kBpe) {
    auto pre = tok::PreTokenizer::create(t->vocab_.pre_type);
    if (!pre.ok()) return pre.error();
    t->pre_ = std::move(pre).value();
    auto bpe = tok::BpeModel::build(t->vocab_);  // keeps a pointer to t->vocab_, which never moves
    if (!bpe.ok()) return bpe.error();
    t->bpe_ = std::make_unique<tok::BpeModel>(std::move(bpe).value());
  }
  t->pieces_.reserve(t->vocab_.tokens.size());
  for (int32_t id = 0; id < t->vocab_.n_tokens(); ++id) t->pieces_.push_back(tok::render_piece(t->vocab_, id));
  return t;
}

void Tokenizer::tokenize_text(std::string_view text, bool prev_special, std::vector<int32_t>& out) const {
  if (vocab_.type == VocabType::kSpm) {
    // llama.cpp prefixes a space to the first fragment and to each one after a special token.
    std::string s;
    s.reserve(text.size() + 1);
    if (vocab_.add_space_prefix && prev_special) s = ' ';
    s += text;
    escape_whitespace(s);
    tok::spm_encode(vocab_, s, out);
    return;
  }
  std::string encoded;
  for (const std::string& word : pre_->split(text)) {
    encoded.clear();
    tok::byte_encode_append(encoded, word);
    bpe_->encode_word(encoded, out);
  }
}

std::vector<int32_t> Tokenizer::tokenize(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && vocab_.add_bos) out.push_back(vocab_.bos);
  bool prev_special = true;
  for (const tok::Fragment& f : tok::partition_special(vocab_, text, parse_special)) {
    if (f.is_text()) {
      tokenize_text(text.substr(f.offset, f.length), prev_special, out);
      prev_special = false;
    } else {
      out.push_back(f.token);
      prev_special = true;
    }
  }
  if (add_special && vocab_.add_eos) out.push_back(vocab_.eos);
  return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool special) const {
  if (!vocab_.valid_id(id)) return {};
  if (!special && (vocab_.attr(id) & (token_attr::kControl | token_attr::kUnknown))) return {};
  return pieces_[static_cast<size_t>(id)];
}

std::string Tokenizer::detokenize(std::span<const int32_t> ids, const DetokenizeOptions& o) const {
  // llama_vocab::impl::detokenize.
  bool remove_space = vocab_.add_space_prefix;
  if (o.remove_special && vocab_.add_bos && !ids.empty() && ids.front() == vocab_.bos) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (o.remove_special && vocab_.add_eos && !ids.empty() && ids.back() == vocab_.eos) {
    ids = ids.subspan(0, ids.size() - 1);
  }
  std::string text;
  for (int32_t id : ids) {
    std::string piece = token_to_piece(id, o.unparse_special);
    size_t skip = (remove_space && !piece.empty() && piece[0] == ' ') ? 1 : 0;
    remove_space = false;
    text.append(piece, skip, std::string::npos);
  }
  if (o.clean_spaces) tok::clean_up_spaces(text);
  return text;
}

bool Tokenizer::is_eog(int32_t id) const {
  return id != kNoToken && std::binary_search(vocab_.eog_ids.begin(), vocab_.eog_ids.end(), id);
}

bool Tokenizer::is_control(int32_t id) const {
  return vocab_.valid_id(id) && (vocab_.attr(id) & token_attr::kControl);
}

}  // namespace trit
