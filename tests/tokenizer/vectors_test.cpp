// llama.cpp's own tokenizer conformance vectors (tests/test-tokenizer-0.cpp): each
// models/ggml-vocab-NAME.gguf.inp holds cases separated by "\n__ggml_vocab_test__\n"; line i of
// the .out file holds the expected ids of case i, tokenized with add_special = false,
// parse_special = false. Every case must match exactly.
#include <gtest/gtest.h>

#include <sstream>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "vocab_files.h"

namespace trit {
namespace {

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<Case> read_cases(const std::string& vocab) {
  const std::string inp = test::read_file(vocab + ".inp");
  const std::string out = test::read_file(vocab + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<Case> cases;
  std::istringstream lines(out);
  std::string line;
  for (size_t i = 0; std::getline(lines, line); ++i) {
    Case c;
    c.text = i < texts.size() ? texts[i] : std::string();
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(texts.size(), cases.size()) << "inp/out case counts differ for " << vocab;
  return cases;
}

class VectorsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VectorsTest, MatchesLlamaCpp) {
  const std::string path = test::vocab_path(GetParam());
  TRIT_REQUIRE_VOCAB(path);
  auto file = gguf::File::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tok = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  const auto cases = read_cases(path);
  ASSERT_FALSE(cases.empty());
  size_t passed = 0;
  for (const Case& c : cases) {
    const auto ids = (*tok)->tokenize(c.text, false, false);
    if (ids == c.ids) {
      ++passed;
    } else {
      ADD_FAILURE() << GetParam() << ": '" << c.text << "'\n  expected " << ::testing::PrintToString(c.ids)
                    << "\n  got      " << ::testing::PrintToString(ids);
    }
  }
  std::printf("[ vectors  ] %s: %zu/%zu cases match llama.cpp\n", GetParam().c_str(), passed, cases.size());
  EXPECT_EQ(passed, cases.size());
}

// The three the issue requires, and the other vocabs whose pre-tokenizers we implement.
INSTANTIATE_TEST_SUITE_P(LlamaCpp, VectorsTest,
                         ::testing::Values("llama-bpe", "llama-spm", "gpt-2", "mpt", "starcoder", "refact", "falcon"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace trit
