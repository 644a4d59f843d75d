// Matmul variants as data (STYLE.md 3): for each weight type, a constexpr table of
// {name, isa, quantize, rows} with the scalar row first and always present. The same table drives
// dispatch (matmul.cpp), the tests (tests/kernels/) and the microbenchmarks (benchmarks/).
//
// A variant is two steps: `quantize` turns one token's floats into the activation format the
// weight type pairs with (act_row_bytes(cols) bytes per token), and `rows` computes outputs
// [r0, r1) for every token from those quantized rows. matmul() splits rows over the pool.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/tensor_type.h"
#include "kernels/matmul.h"

namespace trit {

// In increasing order within an architecture: dispatch picks the last supported row of a table.
// kAvx512Vbmi: AVX-512 VNNI plus VBMI and GFNI (Ice Lake, Zen 4 and later). kNeon: 64-bit ARM's
// base SIMD; kNeonDot: with the Armv8.2 dot product (sdot: Cortex-A76/Raspberry Pi 5, Apple M,
// Graviton 2 and later).
enum class Isa { kScalar, kAvx2, kAvx512Vnni, kAvx512Vbmi, kNeon, kNeonDot };
std::string_view isa_name(Isa isa);
// Whether this CPU can run `isa`, and whether TRIT_ISA (scalar | avx2 | neon) has not ruled it out.
bool isa_supported(Isa isa);
// Whether this CPU can run `isa` at all (ignores TRIT_ISA): tests use this to skip.
bool isa_available(Isa isa);

// Everything a row kernel needs: the weights, quantized tokens (token t at xq + t * xq_stride),
// and the output y[t * w.rows + r].
struct MatmulArgs {
  const WeightMatrix* w;
  const uint8_t* xq;
  int64_t xq_stride;
  int64_t n_tokens;
  float* y;
  // One token on the 16-row layout, walked in `parts` parts side by side
  // (MatmulVariant::one_token_whole_parts): with part_groups > 0, [r0, r1) are 16 times a range of
  // steps, and step j is row group j of each part, part k starting k * part_groups groups into
  // the matrix (a group past its end is not there). 0: [r0, r1) are rows.
  int parts = 0;
  int64_t part_groups = 0;
};

using QuantizeActFn = void (*)(const float* x, uint8_t* out, int64_t n);
using MatmulRowsFn = void (*)(const MatmulArgs& a, int64_t r0, int64_t r1);

struct MatmulVariant {
  std::string_view name;  // op, types, ISA: "matmul_tq2_q8k_avx2"
  Isa isa;
  QuantizeActFn quantize;
  MatmulRowsFn rows;
  // Bytes per activation value when the variant's format is not the type's vec_dot format
  // (F16 AVX2 keeps F16-rounded values as F32: 4); 0: act_row_bytes(type, cols).
  int act_value_bytes = 0;
  // The same outputs from weights in kernels/repack.h's 16-row layout (WeightMatrix::interleave),
  // or null when the variant reads row-major weights only. The model rewrites matrices into that
  // layout at load when the chosen variant has it; matmul_with() picks the function by layout.
  MatmulRowsFn rows_x16 = nullptr;
  // rows_x16 with llama.cpp's x86 float epilogue (MatmulOrder::kGgmlX86) where rows_x16 rounds as
  // the scalar reference does instead; null when rows_x16 serves both.
  MatmulRowsFn rows_x16_ggml = nullptr;
  // Where nonzero and one_token_reads_streams() (core/prefetch.h): for one token, rows_x16 walks
  // the whole matrix in this many parts side by side, each a memory stream, and matmul()'s threads
  // claim steps of it (MatmulArgs::part_groups). 0: each call walks its own rows, in parts or not.
  int one_token_whole_parts = 0;
  bool interleaves() const { return rows_x16 != nullptr; }
  // The function for weights in `interleave` layout under `order`.
  MatmulRowsFn rows_for(int interleave, MatmulOrder order) const {
    if (interleave == 0) return rows;
    return order == MatmulOrder::kGgmlX86 && rows_x16_ggml != nullptr ? rows_x16_ggml : rows_x16;
  }
};

// I2_S activations as one byte row (so every type shares the same plumbing): a header with
// bitnet.cpp's per-token scale and code sum, then the int8 values (quant/i2_s.h I8Activations).
struct I8ActHeader {
  float scale;
  int32_t sum;
  int32_t pad[6];  // 32 bytes, so the int8 values that follow stay 32-byte aligned
};
static_assert(sizeof(I8ActHeader) == 32);

// Bytes of one quantized token of `cols` values for weight type `type` (the type's vec_dot format).
int64_t act_row_bytes(TensorType type, int64_t cols);
// The same for variant `v`.
int64_t act_row_bytes(const MatmulVariant& v, TensorType type, int64_t cols);

// The variants for a weight type, scalar first; empty when trit has no kernel for the type.
std::span<const MatmulVariant> matmul_variants(TensorType type);

// The variant dispatch picks: the last supported row of the table (rows are in ISA order).
const MatmulVariant* chosen_matmul_variant(TensorType type);

// matmul() with an explicit variant (tests and benchmarks).
void matmul_with(const MatmulVariant& v, const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                 ThreadPool& pool, MatmulOrder order = MatmulOrder::kFastest);
// matmul_batch() with an explicit variant; every w must have the variant's type and the same cols.
void matmul_batch_with(const MatmulVariant& v, std::span<const MatmulOut> outs, const float* x, int64_t n_tokens,
                       ThreadPool& pool, MatmulOrder order = MatmulOrder::kFastest,
                       std::span<const uint8_t> read_next = {});

}  // namespace trit
