// `trit convert IN.gguf OUT.gguf --type T`: re-pack weight matrices (i2_s <-> tq2_0 <-> tq1_0
// losslessly, float -> ternary / q8_0) and rename the architecture (convert/convert.h).
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "convert/convert.h"

namespace trit::cli {
namespace {

struct ConvertArgs {
  std::string in, out, type, arch;
  bool allow_lossy = false, json = false;
  int threads = 0;
};

int run_convert(const ConvertArgs& a) {
  convert::Options o;
  auto type = tensor_type_from_name(a.type);
  if (!type) {
    std::fprintf(stderr, "trit convert: unknown --type '%s' (expected i2_s tq2_0 tq1_0 q8_0 f16 bf16 f32)\n",
                 a.type.c_str());
    return kExitUsage;
  }
  o.type = *type;
  o.arch = a.arch == "keep" ? "" : a.arch;
  o.allow_lossy = a.allow_lossy;
  o.n_threads = a.threads;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = convert::convert_model(a.in, a.out, o);
  if (!r) {
    std::fprintf(stderr, "trit convert: %s\n", r.error().message.c_str());
    return kExitUsage;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& t : r->tensors) {
    if (t.lossy) std::fprintf(stderr, "trit convert: warning: %s: %s\n", t.name.c_str(), t.how.c_str());
  }
  std::string how = r->tensors.empty() ? "" : r->tensors.front().how;
  for (const auto& t : r->tensors) {
    if (t.how != how) how = "mixed (see --json)";
  }
  std::fprintf(stderr, "trit convert: wrote %s: %zu matrices -> %s, %s; %d tensors copied; %s%s; %.1f -> %.1f MiB in %.1f s\n",
               a.out.c_str(), r->tensors.size(), a.type.c_str(), how.c_str(), r->n_copied, r->arch_to.c_str(),
               r->arch_to != r->arch_from ? (" (was " + r->arch_from + ")").c_str() : "",
               double(r->bytes_in) / (1 << 20), double(r->bytes_out) / (1 << 20), s);
  if ((o.type == TensorType::TQ2_0 || o.type == TensorType::TQ1_0) && r->arch_to != "bitnet" &&
      r->arch_to.rfind("bitnet", 0) == 0) {
    std::fprintf(stderr, "trit convert: note: mainline llama.cpp loads only arch 'bitnet'; add --arch bitnet for it\n");
  }
  if (a.json) {
    nlohmann::json j = {{"in", a.in}, {"out", a.out}, {"type", a.type}, {"arch_from", r->arch_from},
                        {"arch_to", r->arch_to}, {"copied", r->n_copied}, {"lossy", r->n_lossy},
                        {"bytes_in", r->bytes_in}, {"bytes_out", r->bytes_out}};
    for (const auto& t : r->tensors) {
      j["tensors"].push_back({{"name", t.name}, {"from", std::string(tensor_type_name(t.from))},
                              {"to", std::string(tensor_type_name(t.to))}, {"how", t.how}, {"lossy", t.lossy}});
    }
    std::printf("%s\n", j.dump(2).c_str());
  }
  return 0;
}

}  // namespace

Command add_convert(CLI::App& root) {
  auto a = std::make_shared<ConvertArgs>();
  auto* app = root.add_subcommand("convert", "Re-pack weight matrices into another type (i2_s <-> tq2_0 <-> tq1_0, "
                                             "float -> ternary / q8_0) and rename the architecture");
  app->add_option("input", a->in, "input GGUF")->required();
  app->add_option("output", a->out, "output GGUF (written atomically)")->required();
  app->add_option("--type", a->type, "target type of the layer matrices: i2_s tq2_0 tq1_0 q8_0 f16 bf16 f32")
      ->required();
  app->add_option("--arch", a->arch, "keep (default) | bitnet | bitnet-b1.58 | bitnet-25: rename the architecture "
                                     "and its metadata keys");
  app->add_flag("--allow-lossy", a->allow_lossy,
                "accept a ternary re-pack that changes values (a scale that is not an fp16 value, or TQ blocks "
                "with different scales going to I2_S) with a warning instead of an error");
  app->add_option("-t,--threads", a->threads, "threads (0: all cores)");
  app->add_flag("--json", a->json, "print a JSON report of every converted tensor on stdout");
  app->footer(
      "Lossless: i2_s <-> tq2_0 <-> tq1_0 keep the same {-1,0,+1} codes and scale when the I2_S scale is an fp16\n"
      "value (TQ stores one fp16 scale per 256 weights); otherwise the command fails unless --allow-lossy.\n"
      "Exit 4 on bad input.\n"
      "Examples:\n"
      "  trit convert ggml-model-i2_s.gguf model-tq2_0.gguf --type tq2_0 --arch bitnet   # for mainline llama.cpp\n"
      "  trit convert model-tq2_0.gguf model-i2_s.gguf --type i2_s --arch bitnet-b1.58   # back for bitnet.cpp\n"
      "  trit convert model-f16.gguf model-tq1_0.gguf --type tq1_0                        # absmean ternarization");
  return {app, [a] { return run_convert(*a); }};
}

}  // namespace trit::cli
