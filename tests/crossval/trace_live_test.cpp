// Planted bugs against the live Lane B reference (issue 9): Session::set_perturbation corrupts one
// named tensor of one layer in trit only; the trace must name exactly that layer and tensor, and
// an intact model must show no divergence at all. Skips loudly without the reference.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "crossval/ref/reference.h"
#include "crossval/trace.h"
#include "crossval/trit_engine.h"
#include "synth/synth.h"

namespace trit::crossval {
namespace {

namespace fs = std::filesystem;

struct Planted {
  std::string name, arch, type, shape, tensor;
  int layer;
};

fs::path model_path(const Planted& p) {
  const fs::path dir = fs::path(TRIT_BINARY_DIR) / "test-models" / "crossval";
  fs::create_directories(dir);
  return dir / ("trace_" + p.arch + "_" + p.type + "_" + p.shape + ".gguf");
}

class TracePlanted : public ::testing::TestWithParam<Planted> {};

TEST_P(TracePlanted, NamesTheLayerAndOp) {
  const Planted& p = GetParam();
  RefLoad load = load_reference(Lane::kLlama);
  if (!load.ref) {
    std::fprintf(stderr, "\n*** LANE B REFERENCE ABSENT, trace test skipped: %s\n", load.reason.c_str());
    GTEST_SKIP() << load.reason;
  }
  const fs::path path = model_path(p);
  if (!fs::exists(path)) {
    synth::Options o;
    o.arch = p.arch;
    o.shape = *synth::parse_shape(p.shape);
    o.type = *tensor_type_from_name(p.type);
    o.seed = 11;
    auto w = synth::write_model(o, path.string());
    ASSERT_TRUE(w.ok()) << w.error().message;
  }
  auto ours = open_trit_engine(path.string(), {.compat = Compat::kLlamaCpp, .n_ctx = 256, .n_threads = 2});
  ASSERT_TRUE(ours.ok()) << ours.error().message;
  auto theirs = load.ref->open(path.string(), {.n_ctx = 256, .n_threads = 2});
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  auto tokens = (*ours)->tokenize("Planted bugs are found here.", true, false);
  ASSERT_TRUE(tokens.ok());
  const int pos = static_cast<int>(tokens->size()) - 2;

  // Intact: nothing diverges.
  auto clean = trace_position((*ours)->session(), **theirs, *tokens, pos, 0.9999);
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_FALSE(clean->first) << "intact model diverges at " << clean->tensors[*clean->first].tensor << "-"
                             << clean->tensors[*clean->first].layer << " cos " << clean->tensors[*clean->first].cos;
  EXPECT_GT(clean->tensors.size(), 10u);

  (*ours)->session().set_perturbation(p.tensor, p.layer);
  auto bad = trace_position((*ours)->session(), **theirs, *tokens, pos, 0.9999);
  (*ours)->session().set_perturbation("", -1);
  ASSERT_TRUE(bad.ok()) << bad.error().message;
  ASSERT_TRUE(bad->first) << "planted bug not found";
  const TraceTensor& f = bad->tensors[*bad->first];
  std::fprintf(stderr, "[%s] planted %s-%d, found %s-%d (ref %s) cos %.6f\n", p.name.c_str(), p.tensor.c_str(),
               p.layer, f.tensor.c_str(), f.layer, f.ref_name.c_str(), f.cos);
  EXPECT_EQ(f.tensor, p.tensor);
  EXPECT_EQ(f.layer, p.layer);
}

INSTANTIATE_TEST_SUITE_P(
    Lane, TracePlanted,
    ::testing::Values(Planted{"bitnet_f32_ffn_sub_norm_1", "bitnet", "f32", "256x3x4x4x512", "ffn_sub_norm", 1},
                      Planted{"bitnet_f32_attn_out_2", "bitnet", "f32", "256x3x4x4x512", "attn_out", 2},
                      Planted{"llama_f16_kcur_0", "llama", "f16", "256x2x8x2x512", "Kcur", 0},
                      Planted{"llama_f16_ffn_out_1", "llama", "f16", "256x2x8x2x512", "ffn_out", 1}),
    [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace trit::crossval
