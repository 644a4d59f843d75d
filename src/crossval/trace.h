// Trace localization (issue 9): turns "the logits differ" into "layer 7, ffn_sub_norm, cosine 0.93".
//
// Both engines evaluate the same tokens once more, reporting every named intermediate tensor:
// trit through Session::set_trace, the reference through llama.cpp's cb_eval (RefModel::eval_trace).
// For one position, each of trit's tensors is paired with the reference's tensor of the same
// graph name and layer, and they are compared in trit's graph order; the first one below the
// threshold is where the engines part ways.
//
// Pairing (no mapping file; names are llama.cpp's graph names, "<name>-<layer>" in the reference):
//  - trit's name, else an alias: trit's `ffn_out` is `ffn_down` in llama.cpp's bitnet graph (it
//    names the down projection there and never renames it), `ffn_out` in its llama graph.
//  - llama.cpp names some tensors several times (Qcur/Kcur before and after RoPE, l_out twice):
//    the LAST tensor of a name in graph order is the one paired, which is the final value of that
//    step (after RoPE, after the control vector), as trit's.
//  - layout: a reference tensor holds n_tokens x n values with ne[0] fastest. When its outermost
//    non-1 dimension is n_tokens (e.g. Qcur [head_dim, n_head, n_tokens]), a token's row is
//    contiguous, as in trit ([n_tokens][n]). When ne[0] == n_tokens (a transposed layout), the row
//    is gathered with stride. Anything else (kq [n_kv, n_tokens, n_head], ...) is not paired.
//  - tensors only one side has (the reference's `norm`, `ffn_gate`, `kq_soft_max`, ...) are
//    listed as unpaired, never compared.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crossval/ref/reference.h"

namespace trit {
class Session;
}

namespace trit::crossval {

// One tensor's row at the traced position.
struct TraceRow {
  std::string name;  // graph name without the layer ("attn_norm")
  int layer = -1;    // -1: not a layer's tensor (inp_embd, result_norm, result_output)
  std::vector<float> row;
};

struct TraceTensor {
  int layer = -1;
  std::string tensor;    // trit's name
  std::string ref_name;  // the reference's full name ("ffn_down-3")
  double cos = 0, max_abs = 0;
  bool finite = true;
};

struct TraceResult {
  int case_index = 0;
  int position = 0;
  double cos_min = 0;  // the threshold: the lane profile's cos_min
  std::optional<size_t> first;     // index into tensors of the first one below cos_min
  std::vector<TraceTensor> tensors;  // paired tensors, in trit's graph order
  std::vector<std::string> unpaired;  // trit tensors with no reference counterpart ("name-layer")
  int ref_tensors = 0;                // tensors the reference reported in all
};

// Splits "attn_norm-3" into ("attn_norm", 3); a name without a numeric suffix has layer -1.
std::pair<std::string, int> split_ref_name(std::string_view name);

// The row of `position` from a reference tensor of shape ne (ne[0] fastest) that holds n_tokens
// token rows, or nullopt when its layout is not a token-row layout (see the header comment).
std::optional<std::vector<float>> ref_token_row(const float* data, const int64_t ne[4], int n_tokens, int position);

// Collects trit's intermediates at `position` while evaluating `tokens` from an empty cache.
// A prompt longer than the Session's chunk is reported in chunks; rows are located by offset.
Result<std::vector<TraceRow>> collect_trit_trace(Session& session, std::span<const int32_t> tokens, int position);
// Collects the reference's named intermediates at `position`; the last of each name is kept.
Result<std::vector<TraceRow>> collect_ref_trace(RefModel& ref, std::span<const int32_t> tokens, int position);

// Pairs and compares (pure: tested on hand-made rows).
TraceResult compare_traces(const std::vector<TraceRow>& ours, const std::vector<TraceRow>& ref, double cos_min);

// The whole trace of one position: both collections, then compare_traces.
Result<TraceResult> trace_position(Session& ours, RefModel& ref, std::span<const int32_t> tokens, int position,
                                   double cos_min);

// Which position a trace looks at after a run: the first divergence (its prompt and position), else
// the last position of prompt 0; `position` >= 0 overrides the position (clamped to the prompt).
struct TracePoint {
  int case_index = 0, position = 0;
};
TracePoint choose_trace_point(const std::vector<std::optional<int>>& first_divergence,
                              const std::vector<int>& n_tokens, int position);

}  // namespace trit::crossval
