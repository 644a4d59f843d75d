// `trit synth`: write a deterministic synthetic model (any arch, shape, tensor type).
#include <chrono>
#include <cstdio>

#include "cli/command.h"
#include "synth/synth.h"

namespace trit::cli {
namespace {

struct SynthArgs {
  std::string arch = "bitnet", shape = "tiny", type = "tq2_0", embd_type = "f16", vocab = "byte", act, out;
  uint64_t seed = 42;
  bool untied = false;
  int threads = 0;
};

int run_synth(const SynthArgs& a) {
  synth::Options o;
  o.arch = a.arch;
  auto shape = synth::parse_shape(a.shape);
  if (!shape) {
    std::fprintf(stderr, "trit synth: --shape: %s\n", shape.error().message.c_str());
    return kExitUsage;
  }
  o.shape = *shape;
  auto type = tensor_type_from_name(a.type);
  auto embd = tensor_type_from_name(a.embd_type);
  if (!type || !embd) {
    std::fprintf(stderr, "trit synth: unknown type '%s' (expected f32 f16 bf16 q8_0 q4_0 q6_k tq1_0 tq2_0 i2_s)\n",
                 (!type ? a.type : a.embd_type).c_str());
    return kExitUsage;
  }
  o.type = *type;
  o.embd_type = *embd;
  o.vocab = a.vocab;
  o.seed = a.seed;
  if (!a.act.empty()) o.activation = a.act;
  o.tied_embeddings = !a.untied;
  o.n_threads = a.threads;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = synth::write_model(o, a.out);
  if (!r) {
    std::fprintf(stderr, "trit synth: %s\n", r.error().message.c_str());
    return kExitUsage;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "trit synth: wrote %s: %s %s, %.1f M params, vocab %u, %.1f MiB in %.1f s\n", a.out.c_str(),
               a.arch.c_str(), a.type.c_str(), double(r->n_params) / 1e6, r->n_vocab,
               double(r->file_bytes) / (1024.0 * 1024.0), s);
  return 0;
}

}  // namespace

Command add_synth(CLI::App& root) {
  auto a = std::make_shared<SynthArgs>();
  auto* app = root.add_subcommand("synth", "Write a deterministic synthetic model (for tests, benchmarks, crossval)");
  app->add_option("--arch", a->arch, "llama | bitnet | bitnet-b1.58 | bitnet-25")->capture_default_str();
  app->add_option("--shape", a->shape, "tiny | small | 2b4t | 1b | WxLxHxKVxFF (n_embd x layers x heads x kv heads x n_ff)")
      ->capture_default_str();
  app->add_option("--type", a->type, "weight type: f32 f16 bf16 q8_0 q4_0 q6_k tq1_0 tq2_0 i2_s")->capture_default_str();
  app->add_option("--embd-type", a->embd_type, "token_embd (and output) type")->capture_default_str();
  app->add_option("--vocab", a->vocab, "byte (built-in byte-level BPE) or a GGUF file to copy tokenizer.* from")
      ->capture_default_str();
  app->add_option("--seed", a->seed, "weights are a pure function of the options and this seed")->capture_default_str();
  app->add_option("--act", a->act, "write <arch>.hidden_activation: relu2 | silu (default: the arch's own)");
  app->add_flag("--untied", a->untied, "llama: write a separate output.weight instead of tying it to token_embd");
  app->add_option("-t,--threads", a->threads, "generator threads (0: all cores)");
  app->add_option("-o,--output", a->out, "output GGUF path (written atomically)")->required();
  app->footer(
      "Examples:\n"
      "  trit synth --arch bitnet --shape tiny --type tq2_0 -o tiny.gguf\n"
      "  trit synth --arch bitnet-b1.58 --shape 2b4t --type i2_s -o 2b4t-i2s.gguf\n"
      "  trit synth --arch llama --shape 512x4x8x2x1536 --type q4_0 --vocab ggml-vocab-llama-bpe.gguf -o l.gguf");
  return {app, [a] { return run_synth(*a); }};
}

}  // namespace trit::cli
