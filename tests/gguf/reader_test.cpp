#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "gguf/gguf.h"
#include "gguf_test_util.h"
#include "scratch_dir.h"

namespace trit::gguf {
namespace {

TEST(GgufWriterReader, RoundTripsEveryValueType) {
  Writer w;
  w.set("u8", Value{uint8_t(200)});
  w.set("i8", Value{int8_t(-5)});
  w.set("u16", Value{uint16_t(60000)});
  w.set("i16", Value{int16_t(-30000)});
  w.set("u32", Value{uint32_t(4000000000u)});
  w.set("i32", Value{int32_t(-2000000000)});
  w.set("f32", Value{1.5f});
  w.set("bool", Value{true});
  w.set("str", Value{std::string("héllo")});
  w.set("u64", Value{uint64_t(1) << 60});
  w.set("i64", Value{int64_t(-1) << 60});
  w.set("f64", Value{0.25});
  Array inner{ValueType::I32, {Value{int32_t(1)}, Value{int32_t(2)}}};
  Array nested{ValueType::ARRAY, {Value{inner}, Value{inner}}};
  w.set("nested", Value{nested});
  w.set_string_array("strs", {"x", "", "yz"});
  ASSERT_TRUE(w.add_tensor("w", TensorType::F16, {4, 3}, std::vector<uint8_t>(24, 7)).ok());
  ASSERT_TRUE(w.add_tensor("q", TensorType::Q8_0, {64}, std::vector<uint8_t>(68, 9)).ok());

  auto bytes = w.to_bytes();
  auto f = File::parse(bytes);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(*f->find("u8")->as_uint(), 200u);
  EXPECT_EQ(*f->find("i8")->as_int(), -5);
  EXPECT_EQ(*f->get_uint("u32"), 4000000000u);
  EXPECT_EQ(*f->find("i64")->as_int(), int64_t(-1) << 60);
  EXPECT_EQ(*f->get_float("f32"), 1.5);
  EXPECT_EQ(*f->get_float("f64"), 0.25);
  EXPECT_EQ(*f->get_bool("bool"), true);
  EXPECT_EQ(*f->get_string("str"), "héllo");
  const Array* n = f->find("nested")->as_array();
  ASSERT_NE(n, nullptr);
  ASSERT_EQ(n->items.size(), 2u);
  EXPECT_EQ(*n->items[1].as_array()->items[1].as_int(), 2);
  auto strs = f->get_string_array("strs");
  ASSERT_TRUE(strs.ok());
  EXPECT_EQ(strs->size(), 3u);
  EXPECT_EQ((*strs)[2], "yz");
  EXPECT_FALSE(f->get_string_array("u8").ok());

  ASSERT_EQ(f->tensors().size(), 2u);
  const TensorInfo* t = f->find_tensor("q");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->type, TensorType::Q8_0);
  EXPECT_EQ(t->n_bytes, 68u);
  EXPECT_EQ(t->data[0], 9);
  EXPECT_EQ(t->offset % kDefaultAlignment, 0u);
  EXPECT_EQ(f->find_tensor("w")->n_rows(), 3u);
}

TEST(GgufWriterReader, CustomAlignmentIsRecordedAndHonoured) {
  Writer w(64);
  ASSERT_TRUE(w.add_tensor("a", TensorType::F32, {3}, std::vector<uint8_t>(12, 1)).ok());
  ASSERT_TRUE(w.add_tensor("b", TensorType::F32, {3}, std::vector<uint8_t>(12, 2)).ok());
  auto bytes = w.to_bytes();
  auto f = File::parse(bytes);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->find_tensor("b")->offset, 64u);
  EXPECT_EQ(f->find_tensor("b")->data[0], 2);
}

TEST(GgufWriter, RejectsWrongDataSize) {
  Writer w;
  EXPECT_FALSE(w.add_tensor("a", TensorType::TQ2_0, {256}, std::vector<uint8_t>(65)).ok());
  EXPECT_FALSE(w.add_tensor("a", TensorType::Q4_0, {33}, std::vector<uint8_t>(18)).ok());
  ASSERT_TRUE(w.add_tensor("a", TensorType::TQ2_0, {256}, std::vector<uint8_t>(66)).ok());
  EXPECT_FALSE(w.add_tensor("a", TensorType::TQ2_0, {256}, std::vector<uint8_t>(66)).ok());
}

TEST(GgufFile, WriteIsAtomicAndOpenMapsIt) {
  auto dir = trit::testing::scratch_dir("trit_gguf");
  auto path = (dir / "m.gguf").string();
  Writer w;
  w.set_string("general.name", "x");
  ASSERT_TRUE(w.add_tensor("t", TensorType::F32, {4}, std::vector<uint8_t>(16, 3)).ok());
  ASSERT_TRUE(w.write(path).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto f = File::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->find_tensor("t")->data[3], 3);
  // Writing into a directory that does not exist fails cleanly and leaves nothing behind.
  EXPECT_FALSE(w.write((dir / "no" / "such.gguf").string()).ok());
}

TEST(GgufFile, OpenErrorsNameThePath) {
  auto r = File::open("/nonexistent/model.gguf");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/model.gguf"), std::string::npos);
  EXPECT_FALSE(File::open("/").ok());
}

// Real files from the llama.cpp reference bundle, when present.
TEST(GgufFile, ReadsReferenceVocabFile) {
  const char* env = std::getenv("TRIT_LLAMA_CPP_DIR");
  const char* cache = std::getenv("TRIT_CACHE_DIR");
  const char* home = std::getenv("HOME");
  std::string dir = env ? std::string(env)
                        : (cache ? std::string(cache) : std::string(home ? home : "") + "/.cache/trit") +
                              "/llama_cpp";
  std::string path = dir + "/src/models/ggml-vocab-llama-bpe.gguf";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << "SKIPPED: reference vocab not found at " << path
                 << " (run scripts/fetch-llama-cpp.sh)";
  auto f = File::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  auto tokens = f->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->size(), 128256u);
  EXPECT_EQ((*tokens)[128000], "<|begin_of_text|>");
}

}  // namespace
}  // namespace trit::gguf
