// Hostile inputs across modules that the modules' own tables do not list (issue 11 item 4; the
// GGUF table is tests/gguf/hostile_test.cpp, the vocabulary loader's tests/tokenizer).
#include <gtest/gtest.h>

#include <climits>
#include <vector>

#include "tokenizer/synthetic_vocab.h"
#include "tokenizer/tokenizer.h"

namespace trit {
namespace {

// Ids out of range given to the tokenizer's id -> text side: "" pieces, never a crash.
TEST(HostileIds, DetokenizeAndPieceOfIdsOutOfRange) {
  auto built = test::build(test::SyntheticBpe().writer());
  ASSERT_TRUE(built->tok.ok()) << built->tok.error().message;
  const Tokenizer& t = **built->tok;
  const int32_t n = t.n_vocab();
  for (int32_t id : {-1, -5, INT32_MIN, n, n + 1, INT32_MAX}) {
    EXPECT_EQ(t.token_to_piece(id, true), "") << id;
    EXPECT_EQ(t.token_to_piece(id, false), "") << id;
    EXPECT_FALSE(t.is_eog(id));
    EXPECT_FALSE(t.is_control(id));
  }
  const std::vector<int32_t> ids = {72, -1, INT32_MAX, 105, n, INT32_MIN};
  EXPECT_EQ(t.detokenize(ids), "Hi");
  EXPECT_EQ(t.detokenize(ids, {.remove_special = true, .unparse_special = true, .clean_spaces = true}), "Hi");
}

}  // namespace
}  // namespace trit
