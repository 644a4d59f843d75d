// serve/text_stream.h: whole UTF-8 characters only, stop strings cut and never leaked.
#include "serve/text_stream.h"

#include <gtest/gtest.h>

namespace trit::serve {
namespace {

TEST(TextStream, HoldsBackAnUnfinishedUtf8Character) {
  TextStream s;
  EXPECT_EQ(s.push("a\xE2"), "a");  // first byte of a 3-byte character
  EXPECT_EQ(s.push("\x82"), "");
  EXPECT_EQ(s.push("\xAC!"), "\xE2\x82\xAC!");  // the euro sign, then '!'
  EXPECT_EQ(s.finish(), "");
  EXPECT_EQ(s.sent(), "a\xE2\x82\xAC!");
  EXPECT_EQ(incomplete_utf8_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("\x80\x80"), 0u);  // stray continuation bytes: nothing to wait for
  EXPECT_EQ(incomplete_utf8_tail(""), 0u);
}

TEST(TextStream, StopStringAcrossPiecesIsCutAndNeverSent) {
  TextStream s({"END"});
  std::string out;
  for (const char* piece : {"hello E", "N", "D and more"}) out += s.push(piece);
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(out, "hello ");
  EXPECT_EQ(s.finish(), "");
  EXPECT_EQ(s.sent(), "hello ");
}

TEST(TextStream, APrefixThatDoesNotCompleteIsReleased) {
  TextStream s({"END"});
  EXPECT_EQ(s.push("xE"), "x");
  EXPECT_EQ(s.push("N"), "");
  EXPECT_EQ(s.push("Z"), "ENZ");
  EXPECT_FALSE(s.stopped());
  EXPECT_EQ(s.push("EN"), "");
  EXPECT_EQ(s.finish(), "EN");  // the end of generation releases a held prefix
}

TEST(TextStream, EarliestOfSeveralStopsWins) {
  TextStream s({"b", "a"});
  EXPECT_EQ(s.push("xyzab"), "xyz");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.push("more"), "");
}

}  // namespace
}  // namespace trit::serve
