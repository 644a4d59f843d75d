#include "core/result.h"

#include <gtest/gtest.h>

namespace trit {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return make_error("not positive: " + std::to_string(x));
  return x;
}

Status twice(int x, int* out) {
  auto r = parse_positive(x);
  TRIT_TRY(r);
  *out = *r * 2;
  return {};
}

TEST(Result, ValueAndError) {
  EXPECT_EQ(*parse_positive(3), 3);
  EXPECT_EQ(parse_positive(-1).error().message, "not positive: -1");
  int out = 0;
  EXPECT_TRUE(twice(4, &out).ok());
  EXPECT_EQ(out, 8);
  EXPECT_FALSE(twice(0, &out).ok());
}

}  // namespace
}  // namespace trit
