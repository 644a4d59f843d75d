// A loaded model (weights mmap'd from GGUF) and an inference Session over it (KV cache + scratch).
// One forward pass per architecture (model/llama.cpp, model/bitnet.cpp); shared blocks in blocks.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "gguf/gguf.h"
#include "model/hparams.h"

namespace trit {

struct ModelWeights;

// Numerics profile. kNative is the model's own definition (e.g. relu^2 for BitNet b1.58);
// the others reproduce a reference engine's graph so that crossval compares like with like.
enum class Compat {
  kNative,     // the model's declared activation; activations quantized as each weight format's reference does
  kLlamaCpp,   // mainline llama.cpp: SiLU in the `bitnet` graph (REFERENCE.md section 2)
  kBitnetCpp,  // bitnet.cpp: relu^2, I2_S per-token int8 activations
};
std::string_view compat_name(Compat c);
Result<Compat> compat_from_name(std::string_view name);

// ModelOptions::repack_budget: no limit.
inline constexpr int64_t kRepackAll = INT64_MAX;

struct ModelOptions {
  Compat compat = Compat::kNative;
  int n_ctx = 0;      // 0: min(model context, 4096)
  int n_threads = 0;  // 0: all cores
  int n_sessions = 1;  // Sessions the caller holds at once (trit serve's slots): each has scratch
  // Rewrite weights at load (kernels/repack.h), value for value: TQ1_0 layer matrices as TQ2_0
  // (faster decode, 22% more weight memory), and, where the kernel reads them (AVX-512 VNNI; AVX2
  // for Q4_0 / Q8_0), matrices in 16-row groups (same memory). TRIT_REPACK=0 in the environment
  // turns both off.
  bool repack_tq1 = true;
  // The most resident memory (bytes) that rewrite may add; the matrices over it stay TQ1_0 (same
  // results, slower kernel). -1: derived from issue #6's memory bound (model.cpp); kRepackAll
  // (or TRIT_REPACK=all in the environment): every matrix.
  int64_t repack_budget = -1;
};

// What the load did with the TQ1_0 layer matrices (ModelOptions::repack_tq1, repack_budget).
struct RepackStats {
  int repacked = 0;          // rewritten as TQ2_0
  int kept = 0;              // left as TQ1_0
  int64_t extra_bytes = 0;   // resident memory the rewrite added
  int64_t budget = 0;        // what it was allowed (0 when off)
};

// Called for every named intermediate tensor when tracing is on (names as in llama.cpp's graph:
// attn_norm, Qcur, Kcur, Vcur, kqv_out, attn_sub_norm, ffn_inp, ffn_norm, ffn_sub_norm, ffn_out,
// l_out, result_norm, result_output). `data` is [n_tokens][n] row-major floats. layer -1: none.
using TraceFn = std::function<void(std::string_view name, int layer, const float* data,
                                   int n_tokens, int n)>;

class Model {
 public:
  static Result<std::unique_ptr<Model>> load(const std::string& path, const ModelOptions& opts = {});

  const HParams& hparams() const { return hparams_; }
  const gguf::File& file() const { return file_; }
  const ModelOptions& options() const { return options_; }
  // Deviations of the active compat profile from the model's own definition, in words
  // ("SiLU instead of relu^2 (llama.cpp's bitnet graph)"); empty for kNative.
  std::vector<std::string> deviations() const;
  uint64_t n_params() const;
  // Bytes of weights rewritten at load (TQ1_0 as TQ2_0, Q4_0 / Q8_0 in 16-row groups; kernels/repack.h).
  int64_t repacked_bytes() const;
  const RepackStats& repack_stats() const { return repack_; }
  // The bytes one decode step reads, where this model holds them: the layers' matrices (those
  // rewritten at load in their huge-page arena, the rest in the file's mapping), their norms and the
  // head. All resident after a decode step, so reading them again costs no memory (trit bench's
  // bandwidth passes).
  std::vector<std::span<const uint8_t>> decode_weight_spans() const;

 private:
  Model(gguf::File file, HParams hparams, ModelOptions options)
      : file_(std::move(file)), hparams_(std::move(hparams)), options_(options) {}
  gguf::File file_;
  HParams hparams_;
  ModelOptions options_;
  RepackStats repack_;
  std::shared_ptr<const ModelWeights> weights_;  // points into file_'s mapping
  friend class Session;
};

class Session {
 public:
  explicit Session(const Model& model);
  ~Session();

  // Evaluate `tokens` at positions n_past()..n_past()+n-1 and append them to the KV cache.
  // logits: resized to n x n_vocab (all_logits) or 1 x n_vocab (last position only).
  Status eval(std::span<const int32_t> tokens, std::vector<float>* logits, bool all_logits = false);
  int n_past() const;
  int n_ctx() const;
  void reset();  // clear the KV cache
  Status truncate(int n_past);  // forget positions >= n_past (e.g. to re-decode from a prefix)
  void set_trace(TraceFn fn);  // empty fn turns tracing off
  // TEST ONLY: plant a bug. Each time the named intermediate `tensor` of `layer` (-1: none) is
  // computed, its first n/16 values per token are negated in place, before later steps read it.
  // Empty tensor: off (the default). The environment variable TRIT_TEST_PERTURB=<tensor>:<layer>
  // sets it for every new Session (so the CLI can be tested). Used by crossval's trace tests.
  void set_perturbation(std::string tensor, int layer);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace trit
