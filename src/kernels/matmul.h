// Matrix products of stored weights with float activations: the one entry point the model uses.
// Activations are quantized to the format the weight type is paired with by its reference engine
// (ggml's vec_dot_type: Q8_K for TQ1_0/TQ2_0/Q6_K, Q8_0 for Q4_0/Q8_0, F16 for F16; bitnet.cpp's
// per-token int8 for I2_S), then each output is a dot of a weight row with a quantized token.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/tensor_type.h"
#include "kernels/repack.h"
#include "kernels/thread_pool.h"

namespace trit {

// A 2-D weight as GGUF stores it: `rows` output features of `cols` input features each.
struct WeightMatrix {
  TensorType type = TensorType::F32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  float tensor_scale = 1.0f;  // I2_S: the per-tensor scale from the trailer
  float out_scale = 1.0f;     // optional `<name>.scale` tensor (mainline bitnet): multiplies y
  size_t row_bytes = 0;       // bytes per stored row
  // 0: rows as stored in the file; kInterleaveRows (16): Q4_0 / Q8_0 in kernels/repack.h's
  // 16-row groups, which only the variants with a MatmulVariant::rows_x16 read.
  int interleave = 0;
  // TQ2_0 / TQ1_0 / I2_S in 16-row groups: the layout's span width (kernels/repack.h x16_spans).
  int64_t ternary_span_cols = kTernarySpanColumns;
};

// The spans of w's 16-row layout (w.interleave == kInterleaveRows), as it was rewritten at load.
inline X16Spans x16_spans(const WeightMatrix& w) { return x16_spans(w.type, w.rows, w.cols, w.ternary_span_cols); }

// Whose float rounding a kernel follows where it has the choice (today: TQ2_0 on the 16-row layout,
// kernels/matmul_ternary_x16_vnni.cpp). The integer sums are exact either way.
enum class MatmulOrder {
  kFastest,  // the scalar reference's epilogue where that is faster
  kGgmlX86,  // llama.cpp's x86 epilogue (8 float lanes per block): TQ2_0 equals llama.cpp to the last bit
};

// y[t * w.rows + r] = out_scale * dot(W[r], quantize(x[t * w.cols ...])) for t < n_tokens.
// read_next: bytes the caller reads right after the call. A one-token call asks for their cache
// lines from the calling thread once its share of the rows is done, while the other threads
// finish theirs. Decode passes the next RMS norm's weights, which the weights' stream has evicted
// since the last token, and whose reads then run the serial norm at memory latency.
void matmul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            MatmulOrder order = MatmulOrder::kFastest, std::span<const uint8_t> read_next = {});

// One product of a matmul_batch(): y = W x as in matmul().
struct MatmulOut {
  const WeightMatrix* w;
  float* y;
};

// matmul() of every w in `outs` with the same x, as one parallel loop: x is quantized once and the
// rows of all the weights are split over the pool together, so a decode step pays one fork/join
// for Q, K and V (and one for gate and up) instead of three. Each y equals its matmul() bit for bit.
// Weights of different types or widths are run one matmul() at a time.
void matmul_batch(std::span<const MatmulOut> outs, const float* x, int64_t n_tokens, ThreadPool& pool,
                  MatmulOrder order = MatmulOrder::kFastest, std::span<const uint8_t> read_next = {});

// One stored row dequantized to floats (embedding lookup). n = w.cols.
void dequantize_weight_row(const WeightMatrix& w, int64_t row, float* out);

// The name of the kernel matmul() uses for a weight type on this CPU ("tq2_0_q8k_avx2"), for logs
// and receipts.
std::string matmul_kernel_name(TensorType type);

}  // namespace trit
