// Files that lie. Each must give an Error that names what is wrong, never a crash, a hang or a
// huge allocation (the suite also runs under ASan/UBSan).
#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "gguf_test_util.h"

namespace trit::gguf {
namespace {

using testing::Bytes;

void expect_error(const std::vector<uint8_t>& bytes, const std::string& needle) {
  auto r = File::parse(bytes, "bad.gguf");
  ASSERT_FALSE(r.ok()) << "parsed a file that should fail with: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("bad.gguf"), std::string::npos) << r.error().message;
}

TEST(GgufHostile, TruncatedAtEveryByte) {
  auto good = testing::small_valid_file();
  auto f = File::parse(good);
  ASSERT_TRUE(f.ok());
  // Padding after the last tensor's data is optional; everything before its end is required.
  const auto& last = f->tensors().back();
  const size_t end = f->data_offset() + last.offset + last.n_bytes;
  for (size_t n = 0; n < end; ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + n);
    auto r = File::parse(cut, "cut.gguf");
    EXPECT_FALSE(r.ok()) << "truncated to " << n << " bytes still parsed";
  }
}

TEST(GgufHostile, BadMagicAndVersion) {
  expect_error(Bytes().pod<uint32_t>(0x12345678).pod<uint32_t>(3).pod<uint64_t>(0).pod<uint64_t>(0).b,
               "not a GGUF file");
  expect_error(Bytes().header(0, 0, 1).b, "version 1");
  expect_error(Bytes().header(0, 0, 99).b, "unsupported GGUF version 99");
}

TEST(GgufHostile, CountsThatCannotFit) {
  expect_error(Bytes().header(0, uint64_t(1) << 62).b, "metadata count");
  expect_error(Bytes().header(UINT64_MAX, 0).b, "tensor count");
}

TEST(GgufHostile, StringClaimingFourGigabytes) {
  auto b = Bytes().header(0, 1).pod<uint64_t>(uint64_t(4) << 30).b;
  b.resize(b.size() + 16);  // enough bytes left for the metadata count check to pass
  expect_error(b, "claims 4294967296 bytes");
  expect_error(Bytes().header(0, 1).str("k").pod<uint32_t>(8).pod<uint64_t>(uint64_t(4) << 30).b,
               "string value claims");
}

TEST(GgufHostile, ArrayClaimingHugeLength) {
  expect_error(Bytes().header(0, 1).str("k").pod<uint32_t>(9).pod<uint32_t>(6).pod<uint64_t>(UINT64_MAX / 2).b,
               "cannot fit");
  expect_error(Bytes().header(0, 1).str("k").pod<uint32_t>(9).pod<uint32_t>(77).pod<uint64_t>(1).b,
               "not a GGUF value type");
}

TEST(GgufHostile, DeeplyNestedArrays) {
  Bytes b;
  b.header(0, 1).str("k").pod<uint32_t>(9);
  for (int i = 0; i < 100; ++i) b.pod<uint32_t>(9).pod<uint64_t>(1);
  expect_error(b.b, "nested deeper");
}

TEST(GgufHostile, BadValueTypesAndBools) {
  expect_error(Bytes().header(0, 1).str("k").pod<uint32_t>(13).b, "value type 13");
  expect_error(Bytes().header(0, 1).str("k").pod<uint32_t>(7).pod<uint8_t>(2).b, "bool value is 2");
}

TEST(GgufHostile, DuplicateKeys) {
  expect_error(Bytes().header(0, 2).str("k").pod<uint32_t>(4).pod<uint32_t>(1).str("k").pod<uint32_t>(4).pod<uint32_t>(2).b,
               "duplicate metadata key 'k'");
}

TEST(GgufHostile, BadAlignment) {
  expect_error(Bytes().header(0, 1).str("general.alignment").pod<uint32_t>(4).pod<uint32_t>(3).b,
               "power of two");
  expect_error(Bytes().header(0, 1).str("general.alignment").pod<uint32_t>(4).pod<uint32_t>(0).b,
               "power of two");
}

// One tensor info with the given fields, then padding and `data_bytes` of data.
std::vector<uint8_t> one_tensor(std::vector<uint64_t> shape, uint32_t type, uint64_t offset,
                                size_t data_bytes, uint32_t n_dims_override = 0) {
  Bytes b;
  b.header(1, 0).str("t").pod<uint32_t>(n_dims_override ? n_dims_override : uint32_t(shape.size()));
  for (auto d : shape) b.pod<uint64_t>(d);
  b.pod<uint32_t>(type).pod<uint64_t>(offset).pad();
  b.b.resize(b.b.size() + data_bytes);
  return b.b;
}

TEST(GgufHostile, TensorInfos) {
  EXPECT_TRUE(File::parse(one_tensor({4}, 0, 0, 16)).ok());
  expect_error(one_tensor({4, 1, 1, 1, 1}, 0, 0, 16), "5 dimensions");
  expect_error(one_tensor({}, 0, 0, 16), "0 dimensions");
  expect_error(one_tensor({4}, 31, 0, 16), "unknown type id 31");
  expect_error(one_tensor({4}, 1000, 0, 16), "unknown type id 1000");
  expect_error(one_tensor({uint64_t(1) << 40, uint64_t(1) << 40}, 0, 0, 16), "overflows 64 bits");
  expect_error(one_tensor({uint64_t(1) << 62}, 0, 0, 16), "overflows 64 bits");  // bytes overflow
  expect_error(one_tensor({4}, 0, 32, 16), "outside the data section");
  expect_error(one_tensor({4}, 0, 5, 64), "not a multiple of the alignment");
  expect_error(one_tensor({4}, 0, UINT64_MAX - 31, 16), "outside the data section");
  expect_error(one_tensor({100}, 35, 0, 66), "not a multiple of the tq2_0 block size");
  expect_error(one_tensor({4}, 0, 0, 15), "outside the data section");
}

TEST(GgufHostile, DuplicateAndOverlappingTensors) {
  Bytes b;
  b.header(2, 0);
  for (int i = 0; i < 2; ++i) b.str("same").pod<uint32_t>(1).pod<uint64_t>(4).pod<uint32_t>(0).pod<uint64_t>(0);
  b.pad();
  b.b.resize(b.b.size() + 64);
  expect_error(b.b, "duplicate tensor name 'same'");

  Bytes o;
  o.header(2, 0);
  o.str("a").pod<uint32_t>(1).pod<uint64_t>(16).pod<uint32_t>(0).pod<uint64_t>(0);
  o.str("b").pod<uint32_t>(1).pod<uint64_t>(16).pod<uint32_t>(0).pod<uint64_t>(32);
  o.pad();
  o.b.resize(o.b.size() + 128);
  expect_error(o.b, "overlap");
}

// general.alignment 1 is legal GGUF, but a tensor must still sit at an address its type can be read
// from (found by fuzz/model_gguf: an F16 embedding at an odd offset, a misaligned uint16 load).
TEST(GgufHostile, TensorDataMisalignedForItsType) {
  auto file = [](uint32_t type, uint64_t offset) {
    Bytes b;
    b.header(1, 1).str("general.alignment").pod<uint32_t>(4).pod<uint32_t>(1);
    b.str("t").pod<uint32_t>(1).pod<uint64_t>(4).pod<uint32_t>(type).pod<uint64_t>(offset);
    const size_t data_start = b.b.size();  // alignment 1: no padding
    b.b.resize(b.b.size() + 32);
    return std::pair{b.b, data_start};
  };
  for (uint32_t type : {0u, 1u}) {  // F32 (4 bytes), F16 (2 bytes)
    const uint64_t need = type == 0 ? 4 : 2;
    for (uint64_t off = 0; off < 8; ++off) {
      auto [bytes, start] = file(type, off);
      auto r = File::parse(bytes, "bad.gguf");
      const bool aligned = (reinterpret_cast<uintptr_t>(bytes.data()) + start + off) % need == 0;
      EXPECT_EQ(r.ok(), aligned) << "type " << type << " offset " << off;
      if (!aligned && !r.ok()) {
        EXPECT_NE(r.error().message.find("is not aligned to " + std::to_string(need) + " bytes"), std::string::npos)
            << r.error().message;
      }
    }
  }
  auto [i8, start] = file(24, 1);  // I8: any address
  EXPECT_TRUE(File::parse(i8).ok());
}

// Flipping any single byte of a valid file gives either a valid parse or an Error: never a crash.
TEST(GgufHostile, EveryByteFlipped) {
  auto good = testing::small_valid_file();
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t x : {uint8_t(0xff), uint8_t(0x80), uint8_t(0x01)}) {
      auto bad = good;
      bad[i] ^= x;
      auto r = File::parse(bad, "flip.gguf");
      if (!r.ok()) {
        EXPECT_FALSE(r.error().message.empty());
      }
    }
  }
}

}  // namespace
}  // namespace trit::gguf
