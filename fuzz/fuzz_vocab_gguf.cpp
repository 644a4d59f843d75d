// Fuzz target: arbitrary bytes -> gguf::File::parse -> Tokenizer::from_gguf -> tokenize and
// detokenize a fixed text. Reaches the vocabulary loader with hostile tokenizer.* metadata
// (ids out of range, wrong array types, broken merges, byte tokens that are not bytes).
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trit;
  auto f = gguf::File::parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!f.ok()) return 0;
  auto tok = Tokenizer::from_gguf(*f);
  if (!tok.ok()) return 0;
  const Tokenizer& t = **tok;
  constexpr std::string_view kText = "Hello world <|eot_id|> <s>\xe2\x96\x81 caf\xc3\xa9 \xff 123";
  for (bool add : {false, true}) {
    for (bool special : {false, true}) {
      const auto ids = t.tokenize(kText, add, special);
      for (int32_t id : ids) {
        if (id < 0 || id >= t.n_vocab()) std::abort();  // every id the tokenizer makes is in range
      }
      (void)t.detokenize(ids, {.remove_special = true, .unparse_special = special, .clean_spaces = add});
    }
  }
  for (int32_t id : {-1, 0, t.n_vocab() - 1, t.n_vocab(), t.bos(), t.eos(), t.eot()}) {
    (void)t.token_to_piece(id, true);
    (void)t.token_to_piece(id, false);
    (void)t.is_eog(id);
    (void)t.is_control(id);
  }
  return 0;
}
