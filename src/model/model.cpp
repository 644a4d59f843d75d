// Loading: GGUF -> HParams -> bound weights. The forward pass lives in session.cpp.
#include "model/model.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/model_impl.h"

#include "core/cpu.h"
#include "kernels/ggml_order.h"
#include "kernels/matmul_variants.h"
#include "kernels/thread_pool.h"

namespace trit {

std::string_view compat_name(Compat c) {
  switch (c) {
    case Compat::kNative: return "native";
    case Compat::kLlamaCpp: return "llama.cpp";
    case Compat::kBitnetCpp: return "bitnet.cpp";
  }
  return "?";
}

Result<Compat> compat_from_name(std::string_view name) {
  if (name == "native" || name.empty()) return Compat::kNative;
  if (name == "llama.cpp" || name == "llama") return Compat::kLlamaCpp;
  if (name == "bitnet.cpp" || name == "bitnet") return Compat::kBitnetCpp;
  return make_error("unknown --compat '" + std::string(name) + "' (expected native, llama.cpp or bitnet.cpp)");
}

Activation effective_activation(const HParams& hp, Compat compat) {
  // Mainline llama.cpp's `bitnet` graph hard-codes SiLU (src/models/bitnet.cpp at the pinned commit).
  if (compat == Compat::kLlamaCpp && hp.arch != Arch::kLlama) return Activation::kSilu;
  // bitnet.cpp (3rdparty/llama.cpp src/llama.cpp): build_bitnet_158(), for `bitnet-b1.58` and
  // `bitnet-25`, uses squared ReLU; its older build_bitnet(), for `bitnet`, hard-codes SiLU as
  // mainline does (checked in the 2024-10 fork, merge-dev 406a503, and kept in later ones).
  if (compat == Compat::kBitnetCpp && hp.arch == Arch::kBitnetB158) return Activation::kRelu2;
  if (compat == Compat::kBitnetCpp && hp.arch == Arch::kBitnet) return Activation::kSilu;
  return hp.activation;
}

RefNumerics ref_numerics(Compat compat) {
  // llama.cpp's prebuilt CPU backend (GCC, FMA enabled) contracts RoPE's rotation into fused
  // multiply-adds and runs K·q, softmax and SiLU in ggml's SIMD order with ggml_v_expf; P·V keeps
  // fp16 probabilities (no llamafile for it). Measured: bitnet TQ2_0 cos 0.99998 -> 1.0000000.
  // Matmuls with llama.cpp's x86 epilogue keep TQ2_0 equal to it to the last bit.
  if (compat == Compat::kLlamaCpp)
    return {.rope_fma = true, .ggml_simd = true, .pv_f32 = false, .lanes = ggml_softmax_lanes(),
            .matmul = MatmulOrder::kGgmlX86};
  if (compat != Compat::kBitnetCpp) return {};
  // bitnet.cpp is built by clang with -march=native (its CMake requires clang) and its ggml
  // (2024-10 fork) has llamafile on: RoPE with fmas, ggml's SIMD loops, P·V through tinyBLAS.
  return {.rope_fma = true, .ggml_simd = true, .pv_f32 = true, .lanes = ggml_softmax_lanes(),
          .matmul = MatmulOrder::kGgmlX86};
}

Result<std::unique_ptr<Model>> Model::load(const std::string& path, const ModelOptions& opts) {
  auto file = gguf::File::open(path);
  if (!file) return file.error();
  auto hp = read_hparams(*file);
  if (!hp) return hp.error();
  if (opts.n_ctx < 0) return make_error("context size must be positive, got " + std::to_string(opts.n_ctx));
  // A context whose sessions cannot fit in this machine's memory fails here, with its size, rather
  // than as std::bad_alloc (or the OOM killer) when a Session allocates its KV cache.
  const int sessions = std::max(1, opts.n_sessions);
  const int threads = opts.n_threads > 0 ? opts.n_threads : default_thread_count();
  const int64_t kv = session_kv_cache_bytes(*hp, opts.n_ctx), scratch = session_scratch_bytes(*hp, opts.n_ctx, threads);
  if (const int64_t ram = physical_memory_bytes(); ram > 0 && sessions * (kv + scratch) > ram) {
    constexpr double kMiB = 1 << 20;
    char why[320];
    std::snprintf(why, sizeof why,
                  "a context of %d positions needs %.0f MiB per session (KV cache %.0f MiB, scratch %.0f MiB)%s, "
                  "more than this machine's %.0f MiB of memory: use a smaller context",
                  effective_n_ctx(*hp, opts.n_ctx), double(kv + scratch) / kMiB, double(kv) / kMiB, double(scratch) / kMiB,
                  sessions > 1 ? (" x " + std::to_string(sessions) + " sessions").c_str() : "", double(ram) / kMiB);
    return make_error(why);
  }
  const char* env = std::getenv("TRIT_REPACK");
  const std::string_view env_repack = env != nullptr ? env : "";
  const bool repack = opts.repack_tq1 && env_repack != "0";
  int64_t budget = 0;
  if (repack) {
    budget = env_repack == "all"        ? kRepackAll
             : opts.repack_budget >= 0  ? opts.repack_budget
             : tq1_reads_16_row_groups() ? 0
                                         : default_repack_budget(*file, *hp, opts);
  }
  auto weights = bind_weights(*file, *hp, repack, budget, ternary_span_columns(threads));
  if (!weights) return weights.error();
  auto model = std::unique_ptr<Model>(new Model(std::move(*file), std::move(*hp), opts));
  model->repack_ = {.repacked = weights->tq1_repacked, .kept = weights->tq1_kept,
                    .extra_bytes = weights->tq1_extra_bytes, .budget = budget};
  model->weights_ = std::make_shared<ModelWeights>(std::move(*weights));
  return model;
}

// Where the TQ1_0 kernel reads 16-row groups (Isa::kAvx512Vbmi) it decodes about as fast as TQ2_0
// (kernels/matmul_tq1_x16_vbmi.cpp), so by default nothing is rewritten as TQ2_0 and TQ1_0 keeps
// its size; elsewhere default_repack_budget() decides.
bool tq1_reads_16_row_groups() {
  const MatmulVariant* v = chosen_matmul_variant(TensorType::TQ1_0);
  return v != nullptr && v->interleaves();
}

int64_t metadata_heap_bytes(const gguf::File& file) {
  constexpr size_t kInline = 15;  // std::string's inline capacity (libstdc++, libc++: 22)
  auto value_bytes = [](auto&& self, const gguf::Value& v) -> int64_t {
    int64_t n = 0;
    if (const std::string* s = v.as_string(); s != nullptr && s->size() > kInline) n += int64_t(s->capacity()) + 1;
    if (const gguf::Array* a = v.as_array())
      for (const gguf::Value& item : a->items) n += int64_t(sizeof(gguf::Value)) + self(self, item);
    return n;
  };
  int64_t bytes = 0;
  for (const auto& kv : file.metadata()) bytes += int64_t(sizeof(kv)) + int64_t(kv.key.capacity()) + value_bytes(value_bytes, kv.value);
  return bytes;
}

// The TQ1_0 repack's default budget comes from issue #6's memory bound: peak RSS <= model file +
// KV cache + 100 MB (MB as trit bench reports RSS: MiB). With the file's pages and the KV cache set
// aside, those 100 MiB hold everything else trit keeps resident:
//   - a Session's scratch (session_scratch_bytes: 22.8 MiB for the 2B4T shapes, a 256-token chunk),
//   - the parsed GGUF metadata (metadata_heap_bytes: 13.6 MiB for a 128k vocabulary),
//   - kRuntimeReserve for what is not counted here: the binary and its shared libraries (~8 MiB
//     resident on Debian 12), thread stacks, the allocator's slack (~3 MiB after parsing the
//     2B4T vocabulary), and a margin of ~7 MiB;
// and the repack may add what is left. A full repack adds the size difference of TQ2_0 and TQ1_0
// (12 bytes per 256 weights: 93 MiB for 2B4T); nothing else, since the TQ1_0 pages are released.
// So the 2B4T shapes repack 46 MiB worth, the FFN matrices of layers 0-18 and two small attention
// matrices (largest first, choose_repacks), and the rest runs the TQ1_0 kernel; a model with up to
// about 1B weights in its layers fits whole. Each Session counts (ModelOptions::n_sessions: trit
// serve's --parallel); the measured margin for 2B4T at pp512/tg128 is ~7 MiB. TRIT_REPACK=all
// (ModelOptions::repack_budget = kRepackAll) repacks everything: faster decode, over the bound.
int64_t default_repack_budget(const gguf::File& file, const HParams& hp, const ModelOptions& opts) {
  constexpr int64_t kMiB = int64_t(1) << 20;
  constexpr int64_t kAllowance = 100 * kMiB;
  constexpr int64_t kRuntimeReserve = 18 * kMiB;
  const int threads = opts.n_threads > 0 ? opts.n_threads : default_thread_count();
  const int64_t others = kRuntimeReserve + metadata_heap_bytes(file) +
                         std::max(1, opts.n_sessions) * session_scratch_bytes(hp, opts.n_ctx, threads);
  return std::max<int64_t>(0, kAllowance - others);
}

std::vector<std::string> Model::deviations() const {
  std::vector<std::string> out;
  const Activation used = effective_activation(hparams_, options_.compat);
  if (used != hparams_.activation) {
    out.push_back("FFN activation " + std::string(activation_name(used)) + " instead of the model's " +
                  std::string(activation_name(hparams_.activation)) + " (reproducing " +
                  std::string(compat_name(options_.compat)) + "'s " + hparams_.arch_name + " graph)");
  }
  return out;
}

int64_t Model::repacked_bytes() const { return weights_->repacked_bytes; }

std::vector<std::span<const uint8_t>> Model::decode_weight_spans() const {
  std::vector<std::span<const uint8_t>> spans;
  auto matrix = [&](const WeightMatrix& m) { spans.emplace_back(m.data, m.row_bytes * size_t(m.rows)); };
  auto norm = [&](const NormWeight& n) {
    if (n) spans.emplace_back(reinterpret_cast<const uint8_t*>(n.data), size_t(n.n) * sizeof(float));
  };
  const ModelWeights& w = *weights_;
  for (const LayerWeights& L : w.layers) {
    norm(L.attn_norm);
    for (const WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo}) matrix(*m);
    norm(L.attn_sub_norm);
    norm(L.ffn_norm);
    for (const WeightMatrix* m : {&L.ffn_gate, &L.ffn_up, &L.ffn_down}) matrix(*m);
    norm(L.ffn_sub_norm);
  }
  norm(w.output_norm);
  matrix(w.output);
  return spans;
}

uint64_t Model::n_params() const {
  uint64_t n = 0;
  for (const auto& t : file_.tensors()) n += t.n_elements();
  return n;
}

}  // namespace trit
