// AVX-512 VNNI kernels (matmul_ternary_vnni.cpp, matmul_q8_vnni.cpp; vpdpbusd): the same MatmulRowsFn
// contract and bit-identical results as their AVX2 twins in kernels_avx2.h. Call only where
// isa_available(Isa::kAvx512Vnni).
#pragma once

#include <cstddef>

#include "kernels/kernels_avx2.h"
#include "kernels/matmul_variants.h"

namespace trit::vnni {

// The parts the one-token walks on the 16-row layout take side by side where
// one_token_reads_streams() (core/prefetch.h). TQ2_0's are parts of the whole matrix
// (MatmulVariant::one_token_whole_parts), the others' parts of each call's rows.
inline constexpr int kTernaryOneTokenStreams = 8;  // TQ2_0, TQ1_0 (x16_vnni.h ternary_one_token)
inline constexpr int kQ8OneTokenStreams = 8;       // Q8_0, Q4_0
inline constexpr int kI2sOneTokenStreams = 8;
inline constexpr int kF16OneTokenStreams = 4;
// How far ahead the TQ2_0 and I2_S walks in 8 streams ask for each line they read (core/prefetch.h
// prefetch_line_ahead): 8 streams 1 KiB ahead keep as many lines in flight as one 8 KiB ahead.
inline constexpr size_t kStreamLinesAheadBytes = 1024;

void matmul_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
// The same on weights in kernels/repack.h's 16-row layout (r0, r1 multiples of 16), equal to the
// scalar reference bit for bit (matmul_q8_x16_vnni.cpp); MatmulVariant::rows_x16.
void x16_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
// TQ2_0 in the 16-row layout (matmul_ternary_x16_vnni.cpp): equal bit for bit to the scalar
// reference; _ggml: to the row-major kernels instead (llama.cpp's x86 epilogue, MatmulOrder::kGgmlX86).
void x16_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1);
void x16_rows_tq2_q8k_ggml(const MatmulArgs& a, int64_t r0, int64_t r1);
// gfni: extract the 2-bit codes with GFNI affine transforms (only where cpu_features().gfni) instead
// of shifts and masks; the overloads without it choose by CPU. The same results either way.
void x16_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1, bool gfni);
void x16_rows_tq2_q8k_ggml(const MatmulArgs& a, int64_t r0, int64_t r1, bool gfni);
// I2_S on the 16-row layout, exact integers (matmul_i2s_x16_vnni.cpp); row-major I2_S runs AVX2.
void x16_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1);
void x16_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1, bool gfni);
// F16 on the 16-row layout, AVX-512F, within the F16 tolerance of the reference
// (matmul_f16_x16_vnni.cpp); row-major F16 runs AVX2.
void x16_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1);
void x16_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
// TQ1_0 on its 16-row layout, equal to the scalar reference bit for bit (matmul_tq1_x16_vbmi.cpp).
// Call only where isa_available(Isa::kAvx512Vbmi).
void x16_rows_tq1_q8k(const MatmulArgs& a, int64_t r0, int64_t r1);

}  // namespace trit::vnni
