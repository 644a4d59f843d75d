// `trit inspect MODEL.gguf [--json] [--check]`: what is in a GGUF file, validated.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli/command.h"
#include "gguf/gguf.h"
#include "model/hparams.h"
#include "quant/formats.h"

namespace trit::cli {
namespace {

struct InspectArgs {
  std::string path;
  bool json = false;
  bool check = false;
};

nlohmann::json value_json(const gguf::Value& v, size_t max_items) {
  if (auto s = v.as_string()) return *s;
  if (auto b = v.as_bool()) return *b;
  if (const auto* a = v.as_array()) {
    nlohmann::json arr = nlohmann::json::array();
    for (size_t i = 0; i < a->items.size() && i < max_items; ++i) arr.push_back(value_json(a->items[i], max_items));
    if (a->items.size() > max_items) return {{"type", "array"}, {"length", a->items.size()}, {"head", arr}};
    return arr;
  }
  if (v.type() == gguf::ValueType::F32 || v.type() == gguf::ValueType::F64) return *v.as_float();
  if (auto i = v.as_int()) return *i;
  if (auto u = v.as_uint()) return *u;
  return nullptr;
}

// Counts non-finite values of a tensor by dequantizing it row by row (no big allocation).
Result<uint64_t> count_non_finite(const gguf::TensorInfo& t) {
  const auto* traits = quant::format_traits(t.type);
  if (!traits) return make_error("cannot check type " + std::string(tensor_type_name(t.type)));
  const int64_t cols = int64_t(t.shape[0]);
  const int64_t rows = int64_t(t.n_rows());
  if (t.type == TensorType::I2_S) {
    std::vector<float> all(size_t(cols * rows));
    TRIT_TRY(quant::dequantize_tensor(t.type, t.data, rows, cols, all.data()));
    uint64_t bad = 0;
    for (float x : all) bad += !std::isfinite(x);
    return bad;
  }
  std::vector<float> row(static_cast<size_t>(cols));
  const uint64_t rb = *row_bytes(t.type, uint64_t(cols));
  uint64_t bad = 0;
  for (int64_t r = 0; r < rows; ++r) {
    traits->dequantize_row(t.data + r * rb, row.data(), cols);
    for (float x : row) bad += !std::isfinite(x);
  }
  return bad;
}

int run_inspect(const InspectArgs& args) {
  auto f = gguf::File::open(args.path);
  if (!f) {
    std::fprintf(stderr, "trit inspect: %s\n", f.error().message.c_str());
    return kExitUsage;
  }
  auto hp = read_hparams(*f);
  uint64_t n_params = 0, n_bytes = 0;
  for (const auto& t : f->tensors()) {
    n_params += t.n_elements();
    n_bytes += t.n_bytes;
  }
  uint64_t non_finite_total = 0;
  std::string non_finite_names;  // "name (count), ..." for the error message
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& t : f->tensors()) {
    nlohmann::json jt = {{"name", t.name}, {"type", tensor_type_name(t.type)}, {"shape", t.shape},
                         {"bytes", t.n_bytes}, {"offset", t.offset}};
    if (args.check) {
      auto bad = count_non_finite(t);
      if (!bad) {
        std::fprintf(stderr, "trit inspect: %s: tensor '%s': %s\n", args.path.c_str(), t.name.c_str(),
                     bad.error().message.c_str());
        return kExitUsage;
      }
      jt["non_finite"] = *bad;
      non_finite_total += *bad;
      if (*bad > 0) {
        if (!non_finite_names.empty()) non_finite_names += ", ";
        non_finite_names += t.name + " (" + std::to_string(*bad) + ")";
      }
    }
    tensors.push_back(jt);
  }

  if (args.json) {
    nlohmann::json j;
    j["path"] = args.path;
    j["version"] = f->version();
    j["alignment"] = f->alignment();
    j["n_tensors"] = f->tensors().size();
    j["n_params"] = n_params;
    j["tensor_bytes"] = n_bytes;
    nlohmann::json meta = nlohmann::json::object();
    for (const auto& kv : f->metadata()) meta[kv.key] = value_json(kv.value, 16);
    j["metadata"] = meta;
    j["tensors"] = tensors;
    if (hp) {
      j["arch"] = hp->arch_name;
      j["params"] = {{"n_vocab", hp->n_vocab},     {"n_ctx_train", hp->n_ctx_train}, {"n_embd", hp->n_embd},
                     {"n_layer", hp->n_layer},     {"n_head", hp->n_head},           {"n_head_kv", hp->n_head_kv},
                     {"n_ff", hp->n_ff},           {"head_dim", hp->head_dim},       {"rms_eps", hp->rms_eps},
                     {"rope_freq_base", hp->rope_freq_base},
                     {"activation", activation_name(hp->activation)},
                     {"tied_embeddings", hp->tied_embeddings}};
    } else {
      j["arch"] = nullptr;
      j["model_error"] = hp.error().message;
    }
    if (args.check) j["non_finite"] = non_finite_total;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s: GGUF v%u, %zu tensors, %zu metadata keys, %.2f M params, %.2f MiB of tensor data\n",
                args.path.c_str(), f->version(), f->tensors().size(), f->metadata().size(), double(n_params) / 1e6,
                double(n_bytes) / (1024.0 * 1024.0));
    if (hp) {
      std::printf("arch %s: n_vocab %u, n_embd %u, n_layer %u, n_head %u, n_head_kv %u, n_ff %u, ctx %u, "
                  "rope base %g, activation %s%s\n",
                  hp->arch_name.c_str(), hp->n_vocab, hp->n_embd, hp->n_layer, hp->n_head, hp->n_head_kv, hp->n_ff,
                  hp->n_ctx_train, double(hp->rope_freq_base), std::string(activation_name(hp->activation)).c_str(),
                  hp->tied_embeddings ? ", tied embeddings" : "");
    } else {
      std::printf("not a runnable model: %s\n", hp.error().message.c_str());
    }
    std::printf("\nmetadata:\n");
    for (const auto& kv : f->metadata())
      std::printf("  %-45s %s\n", kv.key.c_str(), kv.value.to_string(4).c_str());
    std::printf("\ntensors:\n");
    for (const auto& t : tensors) {
      std::string shape;
      for (auto d : t["shape"]) shape += (shape.empty() ? "" : " x ") + std::to_string(d.get<uint64_t>());
      std::printf("  %-36s %-6s %-20s %12llu bytes", t["name"].get<std::string>().c_str(),
                  t["type"].get<std::string>().c_str(), shape.c_str(), (unsigned long long)t["bytes"].get<uint64_t>());
      if (args.check) std::printf("  non-finite: %llu", (unsigned long long)t["non_finite"].get<uint64_t>());
      std::printf("\n");
    }
  }
  if (args.check && non_finite_total > 0) {
    std::fprintf(stderr, "trit inspect: %s: %llu non-finite (NaN/Inf) weight values in %s\n", args.path.c_str(),
                 (unsigned long long)non_finite_total, non_finite_names.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

Command add_inspect(CLI::App& root) {
  auto args = std::make_shared<InspectArgs>();
  auto* app = root.add_subcommand("inspect", "Show a GGUF file's metadata, tensors and model parameters");
  app->add_option("model", args->path, "GGUF file")->required();
  app->add_flag("--json", args->json, "Machine-readable output on stdout");
  app->add_flag("--check", args->check, "Also scan every weight for NaN/Inf (exit 1 if any)");
  app->footer("Examples:\n  trit inspect model.gguf\n  trit inspect model.gguf --json | jq .params\n"
              "Exit codes: 0 ok, 1 non-finite weights (--check), 4 unreadable or invalid file.");
  return {app, [args] { return run_inspect(*args); }};
}

}  // namespace trit::cli
