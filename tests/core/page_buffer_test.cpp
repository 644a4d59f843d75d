// core/page_buffer: the weights' rewrite target. Sizes, zeroed memory, the 2 MiB start that lets
// the kernel back it with huge pages, and ownership moving without a double unmap.
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "core/page_buffer.h"

namespace trit {
namespace {

TEST(PageBuffer, StartsOnA2MiBBoundaryZeroedAndWritable) {
  for (size_t size : {size_t(1), size_t(4097), size_t(3) << 20}) {
    PageBuffer b(size);
    ASSERT_NE(b.data(), nullptr);
    EXPECT_EQ(b.size(), size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % (uintptr_t(2) << 20), 0u) << size;
    for (size_t i = 0; i < size; i += 4093) EXPECT_EQ(b.data()[i], 0) << i;
    b.data()[size - 1] = 7;
    EXPECT_EQ(b.data()[size - 1], 7);
  }
}

TEST(PageBuffer, EmptyAndMovedFromHoldNothing) {
  PageBuffer empty(0);
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.size(), 0u);
  PageBuffer a(100);
  a.data()[99] = 5;
  uint8_t* p = a.data();
  PageBuffer b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.data()[99], 5);
  PageBuffer c(10);
  c = std::move(b);  // c's own mapping is released, b's is taken over
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(c.size(), 100u);
}

}  // namespace
}  // namespace trit
