// xor_stream (kernels/stream_read.h): every ISA's loop gives the xor of the 64-bit words, read
// byte by byte here, for every length, start alignment and number of streams, and a changed byte
// changes it.
#include "kernels/stream_read.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/cpu.h"

namespace trit {
namespace {

uint64_t xor_bytes(const uint8_t* p, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; ++i) s ^= uint64_t(p[i]) << (8 * (i % 8));
  return s;
}

struct Variant {
  const char* name;
  uint64_t (*fn)(const uint8_t*, size_t, int);
  bool available;
};

std::vector<Variant> variants() {
  const auto& f = cpu_features();
  std::vector<Variant> v = {{"dispatch", xor_stream, true}, {"scalar", xor_stream_scalar, true}};
#if TRIT_KERNELS_X86
  v.push_back({"avx2", avx2::xor_stream, f.avx2});
  v.push_back({"avx512", avx512::xor_stream, f.avx512f});
#endif
  (void)f;
  return v;
}

TEST(XorStream, EveryIsaGivesTheXorOfTheWords) {
  std::vector<uint8_t> buf((size_t(1) << 20) + 4096);
  uint64_t seed = 99;
  for (auto& x : buf) x = uint8_t((seed = seed * 6364136223846793005ull + 1442695040888963407ull) >> 56);
  for (const auto& v : variants()) {
    if (!v.available) {
      GTEST_LOG_(INFO) << v.name << ": not on this CPU, skipped";
      continue;
    }
    for (size_t offset : {size_t(0), size_t(1), size_t(8), size_t(37)})
      for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(63), size_t(64), size_t(65), size_t(255),
                       size_t(256), size_t(257), size_t(4096 + 13), size_t(1) << 20}) {
        const uint8_t* p = buf.data() + offset;
        for (int streams : {1, 2, 3, 8})
          EXPECT_EQ(v.fn(p, n, streams), xor_bytes(p, n)) << v.name << " offset " << offset << " n " << n << " streams " << streams;
      }
    const uint64_t before = v.fn(buf.data(), buf.size(), 1);
    buf[777777] ^= 0x40;
    EXPECT_NE(v.fn(buf.data(), buf.size(), 1), before) << v.name;
    EXPECT_NE(v.fn(buf.data(), buf.size(), 8), before) << v.name << " 8 streams";
    buf[777777] ^= 0x40;
  }
}

TEST(XorStream, DispatchNamesAnIsaThisCpuHas) {
  const std::string isa = xor_stream_isa();
  EXPECT_TRUE(isa == "scalar" || isa == "avx2" || isa == "avx512") << isa;
#if TRIT_KERNELS_X86
  if (cpu_features().avx512f) {
    EXPECT_EQ(isa, "avx512");
  }
#endif
}

}  // namespace
}  // namespace trit
