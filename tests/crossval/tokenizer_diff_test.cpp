// Differential tokenization: a few thousand generated strings (Unicode, whitespace runs, digits,
// code, emoji, invalid UTF-8, special-token text) tokenized by trit and by llama.cpp's own
// llama_tokenize (through the Lane B shim) must give identical ids, for every vocabulary type trit
// supports. Skips loudly when the reference is absent.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "crossval/ref/reference.h"
#include "gguf/gguf.h"
#include "scratch_dir.h"
#include "tokenizer/tokenizer.h"

namespace trit::crossval {
namespace {

namespace fs = std::filesystem;

// Fragments the generator strings together. Unicode is limited to characters assigned by Unicode 14
// (PCRE2 10.42's tables; llama.cpp's are newer), and no byte sequence decodes above U+10FFFF (llama.cpp
// aborts on those).
const std::vector<std::string> kFragments = {
    "Hello", " world", "the", " The", "tokenizer", " don't", "'s", "'LL", " we're", "I'm",
    "0", "7", "42", " 123", "3.14159", "1,000,000", "2026-11-26", "0x1F", "  ", "   ", "\t", "\n",
    "\n\n", "\r\n", " \n ", "    \t  ", "!", "?!", "...", ",", ";", "--", "()", "[]{}", "\"quoted\"",
    "#include <stdio.h>", "int main() { return 0; }", "    if (x == y) {\n", "=>", "::", "->",
    "def f(x):\n    return x**2", "café", " naïve", "Größe", "ñandú", "Привет", " мир", "Γειά σου",
    "日本語", "中文字符", "한국어", "مرحبا", "नमस्ते", "ไทย", "🙂", "👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "∑∫√",
    "e\u0301", "\u00a0", "\u200b", "\u3000", "<|begin_of_text|>", "<|eot_id|>", "<s>", "</s>",
    "<|endoftext|>", "\xff", "\xfe", "\x80", "\xc3", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\x01\x02",
};

// Deterministic strings (splitmix64), 1..12 fragments each.
std::vector<std::string> generate_strings(size_t n, uint64_t seed) {
  std::vector<std::string> out;
  uint64_t s = seed;
  auto next = [&] {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  for (size_t i = 0; i < n; ++i) {
    std::string text;
    const int parts = 1 + int(next() % 12);
    for (int p = 0; p < parts; ++p) text += kFragments[next() % kFragments.size()];
    out.push_back(text);
  }
  return out;
}

std::string models_dir() {
  const char* dir = std::getenv("TRIT_LLAMA_CPP_DIR");
  if (dir) return std::string(dir) + "/src/models";
  const char* cache = std::getenv("TRIT_CACHE_DIR");
  const char* home = std::getenv("HOME");
  return (cache ? std::string(cache) : std::string(home ? home : "") + "/.cache/trit") + "/llama_cpp/src/models";
}

// A copy of a vocab GGUF without `tokenizer.ggml.pre`, as the official BitNet 2B4T file has it
// (both engines then use llama.cpp's "default" pre-tokenizer).
std::string without_pre(const std::string& path) {
  auto f = gguf::File::open(path);
  if (!f) return {};
  gguf::Writer w;
  for (const auto& kv : f->metadata())
    if (kv.key != "tokenizer.ggml.pre") w.set(kv.key, kv.value);
  const std::string out = (trit::testing::scratch_dir("trit-nopre") / "vocab.gguf").string();
  return w.write(out).ok() ? out : std::string();
}

struct Case {
  const char* vocab;
  bool drop_pre;
};

class TokenizerDiff : public ::testing::TestWithParam<Case> {};

TEST_P(TokenizerDiff, IdenticalIdsToLlamaTokenize) {
  RefLoad r = load_reference(Lane::kLlama);
  if (!r.ref) {
    std::fprintf(stderr, "\n*** LANE B REFERENCE ABSENT, differential tokenizer test skipped: %s; fix: %s\n",
                 r.reason.c_str(), r.fix.c_str());
    GTEST_SKIP() << r.reason;
  }
  std::string path = models_dir() + "/ggml-vocab-" + GetParam().vocab + ".gguf";
  if (!fs::exists(path)) GTEST_SKIP() << "SKIPPED: no " << path << " (run scripts/fetch-llama-cpp.sh)";
  if (GetParam().drop_pre) path = without_pre(path);
  ASSERT_FALSE(path.empty());

  auto ref_model = r.ref->open(path, {.vocab_only = true});
  ASSERT_TRUE(ref_model.ok()) << ref_model.error().message;
  auto file = gguf::File::open(path);
  ASSERT_TRUE(file.ok());
  auto tok = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message;

  const auto strings = generate_strings(1500, 0x7a1d + uint64_t(GetParam().drop_pre));
  int mismatches = 0;
  for (size_t i = 0; i < strings.size(); ++i) {
    // Most strings plain; every fourth with BOS and special-token parsing on.
    const bool special = i % 4 == 0;
    auto want = (*ref_model)->tokenize(strings[i], special, special);
    ASSERT_TRUE(want.ok()) << want.error().message;
    const auto got = (*tok)->tokenize(strings[i], special, special);
    if (got != *want && ++mismatches <= 5) {
      ADD_FAILURE() << GetParam().vocab << " string " << i << " (special " << special << "): \"" << strings[i]
                    << "\": trit and llama.cpp disagree";
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << strings.size() << " strings";
  if (GetParam().drop_pre) fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, TokenizerDiff,
                         ::testing::Values(Case{"llama-bpe", false}, Case{"llama-bpe", true}, Case{"gpt-2", false},
                                           Case{"llama-spm", false}),
                         [](const auto& p) {
                           std::string n = std::string(p.param.vocab) + (p.param.drop_pre ? "_no_pre" : "");
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace trit::crossval
