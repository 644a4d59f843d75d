// The memory-bandwidth ceiling of `trit bench` (src/bench/README.md): the weight bytes one decoded
// token reads, checked against a sum made here from the synth shape and from the GGUF tensor list
// (tied and untied llama, bitnet); the timed read covers every byte whatever the thread count; the
// JSON fields and the fraction; and end to end through the binary, --no-ceiling omitting it (those
// skip, visibly, when build/trit is not built).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "shell_command.h"
#include <vector>

#include "bench/bench.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "model/model_test_util.h"
#include "synth/synth.h"

namespace trit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

uint64_t tb(TensorType t, uint64_t cols, uint64_t rows) { return *tensor_bytes(t, cols, cols * rows); }

// The bytes from the shape alone: 7 matrices per layer in `type`, F32 norms (bitnet adds the two sub
// norms), and the head: output.weight or, tied, token_embd, both in `embd`.
uint64_t expected_from_shape(const std::string& shape, bool bitnet, TensorType type, TensorType embd, uint64_t n_vocab) {
  const auto s = *synth::parse_shape(shape);
  const uint64_t E = s.n_embd, F = s.n_ff, Ekv = uint64_t(s.n_head_kv) * (s.n_embd / s.n_head);
  uint64_t per_layer = 2 * tb(type, E, E) + 2 * tb(type, E, Ekv) + 3 * tb(type, E, F) + 4 * 2 * E;
  if (bitnet) per_layer += 4 * (E + F);
  return uint64_t(s.n_layer) * per_layer + 4 * E + tb(embd, E, n_vocab);
}

struct FromList {
  uint64_t all = 0;         // every tensor
  uint64_t token_embd = 0;  // token_embd.weight
  bool has_output = false;
};
FromList from_list(const gguf::File& f) {
  FromList r;
  for (const auto& t : f.tensors()) {
    r.all += t.n_bytes;
    if (t.name == "token_embd.weight") r.token_embd = t.n_bytes;
    if (t.name == "output.weight") r.has_output = true;
  }
  return r;
}

TEST(DecodeWeights, TiedLlamaReadsTheEmbeddingTableAsTheHead) {
  const auto path = testing::synth_model("llama", TensorType::TQ2_0, "tiny");
  ASSERT_FALSE(path.empty());
  auto f = gguf::File::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  const auto l = from_list(*f);
  ASSERT_FALSE(l.has_output);
  const auto d = bench::decode_weights(*f);
  EXPECT_EQ(d.bytes, l.all);
  EXPECT_EQ(d.bytes, expected_from_shape("tiny", false, TensorType::TQ2_0, TensorType::F16,
                                         f->find_tensor("token_embd.weight")->shape[1]));
  uint64_t spans = 0;
  for (const auto& s : d.spans) spans += s.size();
  EXPECT_EQ(spans, d.bytes);
}

TEST(DecodeWeights, UntiedLlamaSkipsTheEmbeddingTable) {
  const auto path = testing::synth_model("llama", TensorType::Q8_0, "tiny", 7, TensorType::F16, /*untied=*/true);
  ASSERT_FALSE(path.empty());
  auto f = gguf::File::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  const auto l = from_list(*f);
  ASSERT_TRUE(l.has_output);
  ASSERT_GT(l.token_embd, 0u);
  const auto d = bench::decode_weights(*f);
  EXPECT_EQ(d.bytes, l.all - l.token_embd);
  EXPECT_EQ(d.bytes, expected_from_shape("tiny", false, TensorType::Q8_0, TensorType::F16,
                                         f->find_tensor("output.weight")->shape[1]));
  for (const auto& s : d.spans) EXPECT_NE(s.data(), f->find_tensor("token_embd.weight")->data);
}

TEST(DecodeWeights, BitnetIsTiedAndCountsTheSubNorms) {
  const auto path = testing::synth_model("bitnet", TensorType::I2_S, "tiny");
  ASSERT_FALSE(path.empty());
  auto f = gguf::File::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  const auto d = bench::decode_weights(*f);
  EXPECT_EQ(d.bytes, from_list(*f).all);
  // I2_S tensors carry a 32-byte scale trailer that tensor_bytes accounts for.
  EXPECT_EQ(d.bytes, expected_from_shape("tiny", true, TensorType::I2_S, TensorType::F16,
                                         f->find_tensor("token_embd.weight")->shape[1]));
}

// The ceiling's passes read the weights where the loaded model holds them. Where no rewrite changes
// a matrix's size (16-row groups, a tied head copied, norms copied as F32), that is exactly the
// bytes decode_weights counts in the file.
TEST(DecodeWeightSpans, SameBytesAsTheFileWhereRewritesKeepTheSize) {
  struct Case {
    const char* arch;
    TensorType type;
    bool untied;
  };
  for (const Case c : {Case{"bitnet", TensorType::TQ2_0, false}, Case{"llama", TensorType::Q8_0, true},
                       Case{"llama", TensorType::F16, false}}) {
    const auto path = testing::synth_model(c.arch, c.type, "tiny", 7, TensorType::F16, c.untied);
    ASSERT_FALSE(path.empty());
    auto m = Model::load(path);
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto spans = (*m)->decode_weight_spans();
    uint64_t total = 0;
    for (const auto& sp : spans) {
      EXPECT_NE(sp.data(), nullptr);
      total += sp.size();
    }
    EXPECT_EQ(total, bench::decode_weights((*m)->file()).bytes) << c.arch << " " << tensor_type_name(c.type);
    // Every span is readable memory (a pass over them is what the bench times).
    uint64_t sum = 0;
    EXPECT_GT(bench::read_once(spans, 2, &sum), 0.0);
  }
}

// xor of little-endian 64-bit words, byte by byte (independent of bench's word loop).
uint64_t xor_bytes(const std::vector<uint8_t>& v) {
  uint64_t s = 0;
  for (size_t i = 0; i < v.size(); ++i) s ^= uint64_t(v[i]) << (8 * (i % 8));
  return s;
}

TEST(ReadOnce, EveryByteIsReadWhateverTheThreadCount) {
  // Sizes around the 256 KiB piece size, odd tails, an empty span, a tiny one.
  std::vector<std::vector<uint8_t>> bufs;
  uint64_t seed = 12345;
  for (size_t n : {size_t(3), size_t(0), size_t(256) << 10, (size_t(256) << 10) + 13, size_t(3) * (1 << 20) + 7,
                   size_t(100), size_t(4097)}) {
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = uint8_t((seed = seed * 6364136223846793005ull + 1442695040888963407ull) >> 56);
    bufs.push_back(std::move(b));
  }
  uint64_t expect = 0, total = 0;
  std::vector<std::span<const uint8_t>> spans;
  for (const auto& b : bufs) {
    expect ^= xor_bytes(b);
    total += b.size();
    spans.emplace_back(b.data(), b.size());
  }
  for (int threads : {1, 2, 3, 5}) {
    uint64_t sum = ~expect;
    const double gb_s = bench::read_once(spans, threads, &sum);
    EXPECT_EQ(sum, expect) << threads << " threads";
    EXPECT_GT(gb_s, 0.0);
  }
  // One flipped bit anywhere changes the checksum (the read is not skipped).
  bufs[4][size_t(2) << 20] ^= 0x10;
  uint64_t sum = 0;
  bench::read_once(spans, 2, &sum);
  EXPECT_NE(sum, expect);
}

// Each decode run is compared with the bandwidth measured next to it; the medians are reported.
TEST(CeilingJson, FractionIsEachDecodeRunOverItsOwnCeiling) {
  bench::Ceiling c;
  c.bytes_per_token = 500'000'000;
  c.threads = 2;
  c.read_gb_s = {8.0, 10.0, 9.0};  // per run: 16, 20, 18 tok/s; median 9 GB/s -> 18 tok/s
  EXPECT_DOUBLE_EQ(c.median_read_gb_s(), 9.0);
  EXPECT_DOUBLE_EQ(c.tok_s(), 18.0);
  EXPECT_DOUBLE_EQ(c.tok_s_at(10.0), 20.0);

  bench::BenchOptions o;
  o.threads = 2;
  // trit's runs: 14/16, 15/20, 16/18 -> median 0.875 (not median tg / median ceiling = 15/18).
  bench::EngineRuns trit{"trit", {100.0}, {14.0, 15.0, 16.0}, {}, "", c};
  bench::Ceiling rc = c;
  rc.read_gb_s = {10.0};
  bench::EngineRuns ref{"llama.cpp", {90.0}, {12.0}, {}, "", rc};
  const auto jt = bench::bench_json(o, trit, bench::model_json("m.gguf"), 1.0);
  const auto jr = bench::bench_json(o, ref, bench::model_json("m.gguf"), 1.0);
  ASSERT_TRUE(jt.contains("ceiling")) << jt.dump(2);
  ASSERT_TRUE(jr.contains("ceiling")) << jr.dump(2);
  EXPECT_EQ(jt["schema"], "trit.bench/1");
  EXPECT_EQ(jt["ceiling"]["bytes_per_token"].get<uint64_t>(), 500'000'000u);
  EXPECT_DOUBLE_EQ(jt["ceiling"]["read_gb_s"].get<double>(), 9.0);
  EXPECT_EQ(jt["ceiling"]["read_gb_s_runs"].size(), 3u);
  EXPECT_EQ(jt["ceiling"]["threads"], 2);
  EXPECT_DOUBLE_EQ(jt["ceiling"]["tg_tok_s_ceiling"].get<double>(), 18.0);
  EXPECT_DOUBLE_EQ(jt["ceiling"]["tg_fraction_of_ceiling"].get<double>(), 14.0 / 16.0);
  EXPECT_DOUBLE_EQ(jr["ceiling"]["tg_tok_s_ceiling"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(jr["ceiling"]["tg_fraction_of_ceiling"].get<double>(), 12.0 / 20.0);

  trit.ceiling.reset();
  EXPECT_FALSE(bench::bench_json(o, trit, bench::model_json("m.gguf"), 1.0).contains("ceiling"));
}

// The KV cache a decode token reads joins the weights in the ceiling's bytes.
TEST(CeilingKv, MeanCacheBytesOverTheTimedTokens) {
  // 2 layers x 3 KV heads x 4 dims x (K, V) x 2 bytes = 96 bytes per position.
  EXPECT_EQ(bench::kv_cache_bytes_per_token(2, 3, 4, 1, 1), 96u * 2);       // 1 token after 1: 2 positions
  EXPECT_EQ(bench::kv_cache_bytes_per_token(2, 3, 4, 1, 3), 96u * 3);       // 2, 3, 4 positions: mean 3
  EXPECT_EQ(bench::kv_cache_bytes_per_token(2, 3, 4, 100, 4), 96u * 103 - 48);  // 101..104: mean 102.5
  EXPECT_EQ(bench::kv_cache_bytes_per_token(2, 3, 4, 100, 0), 0u);
  // 2B4T (30 layers, 5 KV heads of 128) at tg128 from an empty context: 0.4% of 1196 MB.
  EXPECT_EQ(bench::kv_cache_bytes_per_token(30, 5, 128, 1, 128), 76800u * 131 / 2);  // 2..129: mean 65.5

  bench::Ceiling c;
  c.bytes_per_token = 400;
  c.kv_bytes_per_token = 100;
  EXPECT_DOUBLE_EQ(c.tok_s_at(1e-6), 2.0);  // 1000 bytes/s over 500 bytes
  c.read_gb_s = {1e-6};
  const auto j = bench::ceiling_json(c, {1.0});
  EXPECT_EQ(j["kv_bytes_per_token"].get<uint64_t>(), 100u);
  EXPECT_DOUBLE_EQ(j["tg_fraction_of_ceiling"].get<double>(), 0.5);
}

// Paired tokens: each token's bytes/s against the mean of the two read passes around it; the JSON
// reports their median and spread, and only when there are some (trit's entry, with a ceiling).
TEST(CeilingPaired, EachTokenAgainstTheMeanOfItsTwoPasses) {
  EXPECT_EQ(bench::paired_tokens(128), 16);
  EXPECT_EQ(bench::paired_tokens(8), 8);
  EXPECT_EQ(bench::paired_tokens(0), 0);
  // 1e9 bytes in 0.1 s = 10 GB/s; passes 8 and 12 -> mean 10 -> 1.0 (the max, 12, would say 0.83).
  EXPECT_DOUBLE_EQ(bench::paired_fraction(1'000'000'000, 0.1, 8.0, 12.0), 1.0);
  EXPECT_DOUBLE_EQ(bench::paired_fraction(1'000'000'000, 0.2, 10.0, 10.0), 0.5);
  EXPECT_EQ(bench::paired_fraction(1'000'000'000, 0.0, 10.0, 10.0), 0.0);
  EXPECT_EQ(bench::paired_fraction(1'000'000'000, 0.1, 0.0, 10.0), 0.0);

  bench::Ceiling c;
  c.bytes_per_token = 1000;
  c.read_gb_s = {1.0};
  EXPECT_FALSE(bench::ceiling_json(c, {1.0}).contains("paired"));
  c.paired_kv_bytes_per_token = 7;
  c.paired_fractions = {0.9, 0.5, 0.95, 0.92, 0.7};
  c.paired_read_gb_s = {30.0, 31.0, 29.0, 33.0, 28.0, 32.0};
  const auto j = bench::ceiling_json(c, {1.0});
  ASSERT_TRUE(j.contains("paired")) << j.dump(2);
  const auto& p = j["paired"];
  EXPECT_EQ(p["tokens"].get<int>(), 5);
  EXPECT_EQ(p["kv_bytes_per_token"].get<uint64_t>(), 7u);
  EXPECT_DOUBLE_EQ(p["tg_fraction"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(p["tg_fraction_p10"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(p["tg_fraction_p90"].get<double>(), 0.95);
  EXPECT_DOUBLE_EQ(p["read_gb_s"].get<double>(), 30.5);
}

using Ran = trit::test::ShellResult;
Ran sh(const std::string& cmd) { return trit::test::run_shell(cmd); }

class CeilingCli : public ::testing::Test {
 protected:
  void SetUp() override {
    trit_ = std::string(TRIT_BINARY_DIR) + "/trit";
    if (!fs::exists(trit_)) GTEST_SKIP() << trit_ << " not built";
    model_ = testing::synth_model("llama", TensorType::TQ2_0, "tiny", 7, TensorType::F16, /*untied=*/true);
    ASSERT_FALSE(model_.empty());
  }
  std::string bench(const std::string& args) const {
    return trit_ + " bench -m " + model_ + " -p 8 -n 8 -r 2 -t 2 " + args;
  }
  std::string trit_, model_;
};

TEST_F(CeilingCli, JsonHasTheCeilingAndTheFraction) {
  const Ran r = sh(bench("--json 2>/dev/null"));
  ASSERT_EQ(r.rc, 0);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  ASSERT_TRUE(j.contains("ceiling")) << j.dump(2);
  const auto& c = j["ceiling"];
  auto f = gguf::File::open(model_);
  ASSERT_TRUE(f.ok());
  const auto l = from_list(*f);
  EXPECT_EQ(c["bytes_per_token"].get<uint64_t>(), l.all - l.token_embd);
  // -n 8 after one warm-up token: 2..9 positions of the tiny shape's cache.
  const auto shape = *synth::parse_shape("tiny");
  const uint64_t kv = bench::kv_cache_bytes_per_token(shape.n_layer, shape.n_head_kv, shape.n_embd / shape.n_head, 1, 8);
  EXPECT_GT(kv, 0u);
  EXPECT_EQ(c["kv_bytes_per_token"].get<uint64_t>(), kv);
  EXPECT_EQ(c["threads"], 2);
  // One bandwidth per decode run (-r 2), each that run's own ceiling.
  ASSERT_EQ(c["read_gb_s_runs"].size(), 2u);
  ASSERT_EQ(j["tg"]["tok_s"].size(), 2u);
  const double bytes = double(l.all - l.token_embd + kv);
  std::vector<double> fractions;
  for (size_t i = 0; i < 2; ++i) {
    const double bw = c["read_gb_s_runs"][i].get<double>();
    EXPECT_GT(bw, 0.0);
    fractions.push_back(j["tg"]["tok_s"][i].get<double>() / (bw * 1e9 / bytes));
  }
  const double bw = c["read_gb_s"].get<double>();
  EXPECT_DOUBLE_EQ(bw, 0.5 * (c["read_gb_s_runs"][0].get<double>() + c["read_gb_s_runs"][1].get<double>()));
  EXPECT_NEAR(c["tg_tok_s_ceiling"].get<double>(), bw * 1e9 / bytes, 1e-9 * c["tg_tok_s_ceiling"].get<double>());
  EXPECT_NEAR(c["tg_fraction_of_ceiling"].get<double>(), 0.5 * (fractions[0] + fractions[1]), 1e-9);
  // Paired tokens after each run: min(-n, 16) of them per run, read passes around each (one more
  // pass than tokens per run), the fractions positive and the cache they read past the timed tokens.
  ASSERT_TRUE(c.contains("paired")) << c.dump(2);
  const auto& p = c["paired"];
  EXPECT_EQ(p["tokens"].get<int>(), 2 * 8);
  EXPECT_EQ(p["kv_bytes_per_token"].get<uint64_t>(),
            bench::kv_cache_bytes_per_token(shape.n_layer, shape.n_head_kv, shape.n_embd / shape.n_head, 1 + 8, 8));
  EXPECT_GT(p["read_gb_s"].get<double>(), 0.0);
  EXPECT_GT(p["tg_fraction_p10"].get<double>(), 0.0);
  EXPECT_LE(p["tg_fraction_p10"].get<double>(), p["tg_fraction"].get<double>());
  EXPECT_LE(p["tg_fraction"].get<double>(), p["tg_fraction_p90"].get<double>());
}

TEST_F(CeilingCli, TextLineAndNoCeilingFlag) {
  const Ran text = sh(bench("2>&1 >/dev/null"));
  ASSERT_EQ(text.rc, 0);
  EXPECT_THAT(text.out, HasSubstr("ceiling    t=2  read "));
  EXPECT_THAT(text.out, HasSubstr("MB/token -> "));
  EXPECT_THAT(text.out, HasSubstr(" trit "));
  EXPECT_THAT(text.out, HasSubstr("paired     t=2  16 more trit tokens, each between two read passes: "));

  const Ran off = sh(bench("--no-ceiling 2>&1 >/dev/null"));
  ASSERT_EQ(off.rc, 0);
  EXPECT_THAT(off.out, Not(HasSubstr("ceiling")));
  const Ran off_json = sh(bench("--no-ceiling --json 2>/dev/null"));
  ASSERT_EQ(off_json.rc, 0);
  const auto j = nlohmann::json::parse(off_json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << off_json.out;
  EXPECT_FALSE(j.contains("ceiling"));
  EXPECT_TRUE(j.contains("tg"));
}

}  // namespace
}  // namespace trit
