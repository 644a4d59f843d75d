// Behaviour beyond llama.cpp's vectors: special-token parsing, round trips, invalid UTF-8,
// hostile metadata, chat templates.
#include <gtest/gtest.h>

#include <random>

#include "synthetic_vocab.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/utf8.h"
#include "vocab_files.h"

namespace trit {
namespace {

using test::SyntheticBpe;

std::unique_ptr<Tokenizer> open_vocab(const std::string& path) {
  auto file = gguf::File::open(path);
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::from_gguf(*file);
  return tok.ok() ? std::move(tok).value() : nullptr;
}

TEST(Tokenizer, SyntheticBpeMergesAndBos) {
  SyntheticBpe v;
  auto b = test::build(v.writer());
  ASSERT_TRUE(b->tok.ok()) << b->tok.error().message;
  const Tokenizer& t = **b->tok;
  const auto ids = t.tokenize("hello world", true, false);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], v.bos);  // llama-bpe pre: add_bos defaults to true, as in llama.cpp
  EXPECT_EQ(t.vocab().tokens[ids[1]].text, "hello");
  EXPECT_EQ(t.detokenize(ids), "hello world");
  EXPECT_EQ(t.token_to_piece(v.bos, true), "<|begin_of_text|>");
  EXPECT_EQ(t.token_to_piece(v.bos, false), "");
  EXPECT_TRUE(t.is_eog(v.eot));
  EXPECT_FALSE(t.is_eog(ids[1]));
  EXPECT_EQ(t.token_to_piece(-1, true), "");
  EXPECT_EQ(t.token_to_piece(t.n_vocab(), true), "");
}

TEST(Tokenizer, SpecialTokensParsedOnlyWhenAsked) {
  SyntheticBpe v;
  auto b = test::build(v.writer());
  ASSERT_TRUE(b->tok.ok()) << b->tok.error().message;
  const Tokenizer& t = **b->tok;
  const std::string text = "hello<|eot_id|>hello";
  const auto parsed = t.tokenize(text, false, true);
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[1], v.eot);
  const auto literal = t.tokenize(text, false, false);
  EXPECT_EQ(std::count(literal.begin(), literal.end(), v.eot), 0);
  EXPECT_GT(literal.size(), 3u);
  EXPECT_EQ(t.detokenize(literal), text);
  // User-defined tokens are matched either way (llama.cpp, after Hugging Face tokenizers).
  const auto user = t.tokenize("a<|tool|>b", false, false);
  ASSERT_EQ(user.size(), 3u);
  EXPECT_EQ(user[1], v.user);
  DetokenizeOptions render;
  render.unparse_special = true;
  EXPECT_EQ(t.detokenize(parsed, render), text);
  EXPECT_EQ(t.detokenize(parsed), "hellohello");
}

TEST(Tokenizer, RoundTripsRandomUtf8) {
  SyntheticBpe v;
  auto b = test::build(v.writer());
  ASSERT_TRUE(b->tok.ok()) << b->tok.error().message;
  const Tokenizer& t = **b->tok;
  std::mt19937 rng(42);
  const std::vector<std::string> alphabet = {"a", "Z", " ", "  ", "\n", "\t", "7", "'s", "é", "ß", "我", "🦙",
                                             "\xe2\x80\x83", ".", "!", "<|", "|>", "hello", " world"};
  for (int i = 0; i < 500; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 30);
    for (int k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    EXPECT_EQ(t.detokenize(t.tokenize(s, true, false)), s);
  }
}

TEST(Tokenizer, InvalidUtf8IsRepairedLikeLlamaCpp) {
  SyntheticBpe v;
  auto b = test::build(v.writer());
  ASSERT_TRUE(b->tok.ok()) << b->tok.error().message;
  const Tokenizer& t = **b->tok;
  // One U+FFFD per bad byte; overlong forms and surrogates are re-encoded, not rejected.
  const std::string bad = std::string("a\xff") + "\xe2\x82" + "b" + "\xc0\x80" + "\xed\xa0\x80" + "\x80";
  const std::string expected = std::string("a\xef\xbf\xbd") + "\xef\xbf\xbd\xef\xbf\xbd" + "b" + std::string(1, '\0') +
                               "\xed\xa0\x80" + "\xef\xbf\xbd";
  EXPECT_EQ(t.detokenize(t.tokenize(bad, false, false)), expected);
  // Every single byte and many random byte strings tokenize without crashing.
  for (int c = 0; c < 256; ++c) {
    const std::string s(1, static_cast<char>(c));
    EXPECT_FALSE(t.tokenize(s, false, false).empty()) << c;
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string s(rng() % 64, '\0');
    for (char& ch : s) ch = static_cast<char>(rng());
    const auto ids = t.tokenize(s, true, true);
    for (int32_t id : ids) ASSERT_TRUE(t.vocab().valid_id(id));
  }
}

TEST(Tokenizer, Utf8DecoderMatchesLlamaCpp) {
  using tok::utf8_decode_lenient;
  EXPECT_EQ(utf8_decode_lenient("\xf0\x9f\xa6\x99"), std::vector<uint32_t>{0x1F999});
  EXPECT_EQ(utf8_decode_lenient("\xf0\x9f\xa6"), (std::vector<uint32_t>{0xFFFD, 0xFFFD, 0xFFFD}));
  EXPECT_EQ(utf8_decode_lenient("\xc0\x80"), std::vector<uint32_t>{0});
  EXPECT_EQ(utf8_decode_lenient("\xf8\x88"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));
  EXPECT_TRUE(tok::utf8_is_valid("h\xc3\xa9"));
  EXPECT_FALSE(tok::utf8_is_valid("\xc0\x80"));
  EXPECT_FALSE(tok::utf8_is_valid("\xed\xa0\x80"));
}

TEST(Tokenizer, DefaultPreWhenMissing) {
  // The official BitNet 2B4T GGUF has no tokenizer.ggml.pre: llama.cpp's 'default' pre-tokenizer,
  // and no BOS unless add_bos_token says so.
  SyntheticBpe v;
  v.pre.clear();
  auto b = test::build(v.writer());
  ASSERT_TRUE(b->tok.ok()) << b->tok.error().message;
  const Tokenizer& t = **b->tok;
  EXPECT_EQ(t.vocab().pre_type, PreType::kDefault);
  EXPECT_FALSE(t.vocab().add_bos);
  const auto ids = t.tokenize("hello world 1234567", true, false);
  EXPECT_EQ(t.detokenize(ids), "hello world 1234567");
  // Digits come in groups of three from the left: "123" "456" "7" (each falls back to bytes here).
  EXPECT_EQ(ids.size(), 2u + 1u + 7u);
}

// ---- hostile metadata: every problem is an Error naming the key, never a crash ----

void expect_error(const gguf::Writer& w, const std::string& needle) {
  auto b = test::build(w);
  ASSERT_FALSE(b->tok.ok()) << "expected an error mentioning " << needle;
  EXPECT_NE(b->tok.error().message.find(needle), std::string::npos) << b->tok.error().message;
}

TEST(TokenizerHostile, OutOfRangeSpecialIds) {
  SyntheticBpe v;
  auto w = v.writer();
  w.set_u32("tokenizer.ggml.bos_token_id", 1000000);
  expect_error(w, "tokenizer.ggml.bos_token_id");
  auto w2 = v.writer();
  w2.set_i32("tokenizer.ggml.eot_token_id", -5);
  expect_error(w2, "tokenizer.ggml.eot_token_id");
  auto w3 = v.writer();
  w3.set_string("tokenizer.ggml.eos_token_id", "two");
  expect_error(w3, "tokenizer.ggml.eos_token_id");
}

TEST(TokenizerHostile, MismatchedArrays) {
  SyntheticBpe v;
  auto w = v.writer();
  std::vector<int32_t> short_types(v.types.begin(), v.types.end() - 1);
  w.set_i32_array("tokenizer.ggml.token_type", short_types);
  expect_error(w, "tokenizer.ggml.token_type");
  auto w2 = v.writer();
  w2.set_f32_array("tokenizer.ggml.scores", std::vector<float>(3, 0.0f));
  expect_error(w2, "tokenizer.ggml.scores");
  auto w3 = v.writer();
  w3.set_string("tokenizer.ggml.tokens", "not an array");
  expect_error(w3, "tokenizer.ggml.tokens");
  auto w4 = v.writer();
  w4.set_string_array("tokenizer.ggml.tokens", {});
  expect_error(w4, "tokenizer.ggml.tokens");
}

TEST(TokenizerHostile, BadMergesAndModels) {
  SyntheticBpe v;
  auto w = v.writer();
  auto merges = v.merges;
  merges.push_back("nospace");
  w.set_string_array("tokenizer.ggml.merges", merges);
  expect_error(w, "tokenizer.ggml.merges");
  auto w2 = v.writer();
  w2.set_string_array("tokenizer.ggml.merges", {"a "});
  expect_error(w2, "tokenizer.ggml.merges");
  auto w3 = v.writer();
  w3.set_string("tokenizer.ggml.model", "klingon");
  expect_error(w3, "klingon");
  auto w4 = v.writer();
  w4.set_string("tokenizer.ggml.pre", "qwen-9000");
  expect_error(w4, "qwen-9000");
  auto w5 = v.writer();
  auto dup = v.tokens;
  dup[1] = dup[0];
  w5.set_string_array("tokenizer.ggml.tokens", dup);
  expect_error(w5, "duplicates");
  gguf::Writer empty;
  empty.set_string("general.architecture", "llama");
  expect_error(empty, "tokenizer.ggml.model");
}

TEST(TokenizerHostile, SpmByteTokenTooShort) {
  gguf::Writer w;
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "<0"});
  w.set_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 6});
  expect_error(w, "byte token");
}

// ---- chat templates ----

TEST(ChatTemplate, BitNet) {
  const std::vector<ChatMessage> msgs = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Why?"}};
  auto s = apply_chat_template(ChatTemplateKind::kBitNet, msgs, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "System: Be brief.<|eot_id|>User: Hi<|eot_id|>Assistant: Hello.<|eot_id|>User: Why?<|eot_id|>Assistant: ");
  EXPECT_FALSE(apply_chat_template(ChatTemplateKind::kBitNet, std::vector<ChatMessage>{{"tool", "x"}}, false).ok());
}

TEST(ChatTemplate, Llama3) {
  const std::vector<ChatMessage> msgs = {{"system", " Be brief.\n"}, {"user", "Hi"}};
  auto s = apply_chat_template(ChatTemplateKind::kLlama3, msgs, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s,
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_FALSE(apply_chat_template(ChatTemplateKind::kUnknown, msgs, true).ok());
}

TEST(ChatTemplate, Detect) {
  EXPECT_EQ(detect_chat_template("{% set loop_messages = messages %}{{ '<|start_header_id|>' + message['role'] + "
                                 "'<|end_header_id|>\n\n' }}"),
            ChatTemplateKind::kLlama3);
  EXPECT_EQ(detect_chat_template("{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + "
                                 "message['content'] + '<|eot_id|>' }}{% endif %}{% endfor %}{% if "
                                 "add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}"),
            ChatTemplateKind::kBitNet);
  EXPECT_EQ(detect_chat_template("{{ '<|im_start|>' }}"), ChatTemplateKind::kUnknown);
  EXPECT_EQ(chat_template_from_name("bitnet"), ChatTemplateKind::kBitNet);
  EXPECT_EQ(chat_template_name(ChatTemplateKind::kLlama3), "llama3");
}

TEST(ChatTemplate, TokenizesMarkersAsControlTokens) {
  const std::string path = test::vocab_path("llama-bpe");
  TRIT_REQUIRE_VOCAB(path);
  auto t = open_vocab(path);
  ASSERT_TRUE(t);
  auto s = apply_chat_template(ChatTemplateKind::kBitNet, std::vector<ChatMessage>{{"user", "Hi"}}, true);
  ASSERT_TRUE(s.ok());
  const auto ids = t->tokenize(*s, true, true);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[0], 128000);  // BOS
  EXPECT_NE(std::find(ids.begin(), ids.end(), 128009), ids.end());  // <|eot_id|>
  EXPECT_TRUE(t->is_eog(128009));
  EXPECT_TRUE(t->is_eog(128001));
  EXPECT_EQ(t->eot(), 128009);
}

// ---- real vocabs: round trips (the vectors themselves are in vectors_test.cpp) ----

TEST(Tokenizer, RoundTripsOnLlamaVocabs) {
  for (const char* name : {"llama-bpe", "llama-spm", "gpt-2"}) {
    const std::string path = test::vocab_path(name);
    TRIT_REQUIRE_VOCAB(path);
    auto t = open_vocab(path);
    ASSERT_TRUE(t) << path;
    for (const std::string s : {"Hello world", " leading space", "  two", "tabs\tand\nnewlines\n\n", "🦙 llama.cpp",
                                "нещо на Български", "3333333", "' era", "<s> not special </s>", ""}) {
      EXPECT_EQ(t->detokenize(t->tokenize(s, false, false)), s) << name << ": '" << s << "'";
    }
  }
}

}  // namespace
}  // namespace trit
