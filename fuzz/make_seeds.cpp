// Writes the GGUF seeds of fuzz/corpus/ with gguf::Writer (run once; the outputs are committed):
//   fuzz_make_seeds OUT_DIR  ->  OUT_DIR/gguf/*.gguf, OUT_DIR/vocab_gguf/*.gguf, OUT_DIR/model_gguf/*.gguf
// Small on purpose: libFuzzer mutates small inputs much faster.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "synth/synth.h"
#include "tokenizer/synthetic_vocab.h"

namespace {

using trit::TensorType;
using trit::gguf::Writer;

int write(const Writer& w, const std::filesystem::path& path) {
  std::filesystem::create_directories(path.parent_path());
  auto s = w.write(path.string());
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), s.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds OUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out(argv[1]);
  int rc = 0;
  {  // every metadata value type, two tensors
    Writer w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.block_count", 2);
    w.set_i32("i", -7);
    w.set_f32("f", 1.5f);
    w.set_bool("b", true);
    w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "c"});
    w.set_f32_array("scores", {0.5f, -1.0f});
    w.set_i32_array("types", {1, 3});
    (void)w.add_tensor("t1", TensorType::F32, {8}, std::vector<uint8_t>(32, 1));
    (void)w.add_tensor("t2", TensorType::F16, {2, 2}, std::vector<uint8_t>(8, 2));
    rc |= write(w, out / "gguf" / "seed_types.gguf");
  }
  {  // quantized tensors of several block formats and 3-4 dims
    Writer w(64);
    w.set_string("general.architecture", "bitnet");
    (void)w.add_tensor("q8", TensorType::Q8_0, {32, 2}, std::vector<uint8_t>(68, 3));
    (void)w.add_tensor("tq2", TensorType::TQ2_0, {256}, std::vector<uint8_t>(66, 0x55));
    (void)w.add_tensor("cube", TensorType::F32, {2, 1, 2, 1}, std::vector<uint8_t>(16, 0));
    rc |= write(w, out / "gguf" / "seed_quant.gguf");
  }
  {  // empty
    Writer w;
    rc |= write(w, out / "gguf" / "seed_empty.gguf");
  }
  {  // vocabularies
    trit::test::SyntheticBpe bpe;
    rc |= write(bpe.writer(), out / "vocab_gguf" / "seed_bpe.gguf");
    Writer spm;
    spm.set_string("general.architecture", "llama");
    spm.set_string("tokenizer.ggml.model", "llama");
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "<0x41>", "<0xE2>", "\xe2\x96\x81", "a", "\xe2\x96\x81" "a"};
    spm.set_string_array("tokenizer.ggml.tokens", tokens);
    spm.set_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 6, 6, 1, 1, 1});
    spm.set_f32_array("tokenizer.ggml.scores", {0, 0, 0, 0, 0, -1, -2, -0.5f});
    spm.set_u32("tokenizer.ggml.bos_token_id", 1);
    spm.set_u32("tokenizer.ggml.eos_token_id", 2);
    rc |= write(spm, out / "vocab_gguf" / "seed_spm.gguf");
  }
  // Micro models (n_embd 32, one layer, F16: the ternary formats need widths of 128/256), the
  // byte vocabulary: ~100 KB each, the same bytes as `trit synth --shape 32x1x2x1x64 --type f16 --seed 1`.
  for (const char* arch : {"llama", "bitnet", "bitnet-b1.58"}) {
    trit::synth::Options o;
    o.arch = arch;
    o.shape = *trit::synth::parse_shape("32x1x2x1x64");
    o.type = TensorType::F16;
    o.seed = 1;
    std::filesystem::create_directories(out / "model_gguf");
    const auto path = out / "model_gguf" / ("seed_" + std::string(arch) + ".gguf");
    if (auto r = trit::synth::write_model(o, path.string()); !r.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), r.error().message.c_str());
      rc = 1;
    }
  }
  return rc;
}
