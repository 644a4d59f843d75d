// Weight layouts rewritten at load for speed, value for value.
//
// TQ1_0 packs 5 trits per byte (1.69 bits per weight), and decoding them costs more than the dot
// product itself (~30 vs ~75 GMAC/s for TQ2_0's 2-bit codes on AVX2). On CPUs without the 16-row
// TQ1_0 kernel (below), rewriting a TQ1_0 matrix once as TQ2_0 keeps every code and every block
// scale (the scalar references of the two formats are the same arithmetic, so results under
// TRIT_ISA=scalar are bit-identical) and lets decode run the TQ2_0 kernels, at the price of 22%
// more weight bytes in memory.
//
// Q4_0, Q8_0, TQ1_0, TQ2_0, I2_S and F16 matrices are rewritten as groups of 16 rows (WeightMatrix::interleave = 16) for
// the AVX-512 VNNI kernels (Q4_0 and Q8_0 for the AVX2 ones as well, 8 rows a register): per group and per 32-column block, the 16 rows' f16 scales, then the
// values in chunks of 64 bytes that hold 4 consecutive values of each of the 16 rows (row j at
// bytes 4j..4j+3). One vpdpbusd then computes 16 rows at once against 4 broadcast activation bytes,
// and one float epilogue serves 16 rows. Same bytes per group as the file (rows x row_bytes):
//   Q4_0: 16 x f16 d, then 4 chunks; chunk c, row j, byte i = qs[4c + i] of row j's block (low
//         nibble: value 4c + i, high nibble: value 16 + 4c + i), 288 bytes per group and block;
//   Q8_0: 16 x f16 d, then 8 chunks; chunk g, row j, byte i = qs[4g + i] of row j's block, stored
//         + 128 (x ^ 0x80, so the kernels read it as unsigned), 544 bytes per group and block;
//   TQ2_0 (256 columns per block): 16 x f16 d, then for lane L = 0..7 and half h = 0, 1 a chunk
//         holding qs[32h + 4L .. 32h + 4L + 3] of each row (the codes of ggml's int32 lane L:
//         elements 32c + 4L .. 32c + 4L + 3 of every 32-element chunk c), 1056 bytes per group
//         and block;
//   TQ1_0 (256 columns per block): 16 x f16 d, then 13 chunks of 5 planes (64 planes: plane p is
//         elements 4p .. 4p + 3 of each row); chunk s, row j, byte i holds the codes t_n (value + 1)
//         of row j's element 4p + i for p = 5s + n as t_0 + 3 t_1 + 9 t_2 + 27 t_3 + 81 t_4 (plane
//         64, past the end, is 0), 864 bytes per group and block. Not the file's base-3 order
//         (ggml scales the byte so a multiply extracts a digit): here one 256-entry byte table gives
//         t_0..t_3 as bit pairs and two compares give t_4;
//   I2_S (128 columns per block, one scale per tensor): chunk m = 0..7 holds bytes 4m..4m+3 of
//         each row's 32-byte block, 512 bytes per group and block;
//   TQ2_0, TQ1_0 and I2_S blocks come in spans of kTernarySpanColumns columns (X16Spans below):
//         for 2B4T's down matrix (6912 columns) a group's blocks end to end are 28.5 KiB of TQ2_0
//         and its activations 7.9 KiB, more than a 32 KiB L1, so decode re-read the activations
//         from L2 for every group; Q4_0 and Q8_0 groups keep their blocks end to end;
//   F16: in blocks of kF16ColumnBlock columns (the last one may be narrower), all groups of the
//         block in order, and in each group column c of the 16 rows as 32 contiguous bytes (row j
//         at bytes 2j, 2j + 1). Decode walks the blocks in order, so it streams the matrix once
//         front to back while each block's activations (2 KiB) stay in L1; groups whose columns
//         ran end to end (80 KiB a group for 2560 columns) pushed the activations out of L1 between
//         groups, and a streaming kernel re-reading them from L2 lost 10-15% of the read speed
//         (matmul_f16_x16_vnni.cpp).
#pragma once

#include <cstdint>

#include "core/tensor_type.h"

namespace trit {

// Rows per interleaved group.
inline constexpr int kInterleaveRows = 16;

// A 16-row layout in column spans: a matrix of `groups` row groups and `n_blocks` column blocks
// (`block_bytes` bytes each for one group) is stored span by span, `span_blocks` blocks a span (the
// last may be narrower), all groups of a span before the next span, and a group's blocks of a span
// contiguous. One-token decode walks it in memory order, span by span over its groups, so it
// streams the matrix once front to back while a span's activations stay in L1 (a group's running
// sums wait in the output between spans). A matrix of one span is plain group-major.
struct X16Spans {
  int64_t groups, n_blocks, span_blocks, block_bytes;
  int64_t n_spans() const { return (n_blocks + span_blocks - 1) / span_blocks; }
  int64_t first(int64_t s) const { return s * span_blocks; }
  int64_t width(int64_t s) const { return n_blocks - first(s) < span_blocks ? n_blocks - first(s) : span_blocks; }
  // Where group g's blocks of span s start (bytes).
  int64_t offset(int64_t s, int64_t g) const { return (first(s) * groups + g * width(s)) * block_bytes; }
  // Where block b of group g is (bytes).
  int64_t block_offset(int64_t g, int64_t b) const {
    const int64_t s = b / span_blocks;
    return offset(s, g) + (b - first(s)) * block_bytes;
  }
};

// Columns per span of the F16 layout (one block is one column of 16 rows, 32 bytes), and of the
// ternary layouts (TQ2_0, TQ1_0: 10 blocks of 256, 8.4-10.3 KiB a group; I2_S: 20 blocks of 128,
// 10 KiB), so that matrices of 2560 columns or fewer keep one span. Q4_0 and Q8_0 keep one span.
inline constexpr int64_t kF16ColumnBlock = 512;
inline constexpr int64_t kTernarySpanColumns = 2560;

// The ternary layouts' span width when several threads share each one-token matmul: one span for
// any real matrix (a multiple of both blocks, and small enough for the I2_S kernel's exact chains).
// Threads claim a matrix in pieces of row groups (ThreadPool::parallel_for_dynamic), and a piece
// of a layout in spans is one stream per span. A throwaway harness timing each kind of matrix in
// decode's matmul sequence between read passes, the two layouts alternating: 2B4T TQ2_0's down
// (6912 columns, three spans) streamed at 73-75% of the read speed at 2 threads (gate/up: 91%),
// as one span at 73-84%; I2_S 80 / 80% -> 83 / 86%, TQ1_0 78 / 91% -> 86 / 90%. At 1 thread the
// spans are faster (TQ2_0 91-92% against 86-87%).
inline constexpr int64_t kTernaryWideSpanColumns = 65536;

// The ternary span width for one-token matmuls on n_threads threads (above).
inline constexpr int64_t ternary_span_columns(int n_threads) {
  return n_threads > 1 ? kTernaryWideSpanColumns : kTernarySpanColumns;
}

// The spans of `type`'s 16-row layout for a rows x cols matrix (can_interleave(type, rows)); the
// ternary types' spans are ternary_span_cols wide (a positive multiple of 256, at most
// kTernaryWideSpanColumns), the other types' fixed.
X16Spans x16_spans(TensorType type, int64_t rows, int64_t cols, int64_t ternary_span_cols = kTernarySpanColumns);

// The TQ1_0 16-row layout: 13 chunks per group and block, 5 planes of 4 elements per chunk, 64 planes.
inline constexpr int kTq1Chunks = 13, kTq1PlanesPerChunk = 5, kTq1Planes = 64;

// Whether repack_interleaved() handles `type` (Q4_0, Q8_0, TQ1_0, TQ2_0, I2_S, F16) with `rows` rows.
bool can_interleave(TensorType type, int64_t rows);

// dst (rows * row_bytes bytes) = the row-major matrix at src in the 16-row layout (ternary spans
// ternary_span_cols wide, x16_spans).
void repack_interleaved(TensorType type, const uint8_t* src, uint8_t* dst, int64_t rows, int64_t cols,
                        int64_t ternary_span_cols = kTernarySpanColumns);

// The same for groups [g0, g1) only (rows 16 g0 .. 16 g1 of src): each group's bytes go where
// repack_interleaved puts them, so calls over consecutive ranges build the whole layout while the
// caller releases the source rows already read (model/weights.cpp, a large head).
void repack_interleaved_groups(TensorType type, const uint8_t* src, uint8_t* dst, int64_t rows, int64_t cols,
                               int64_t g0, int64_t g1, int64_t ternary_span_cols = kTernarySpanColumns);

// Row `row` of an F16 matrix stored in the 16-row layout, as the file's row-major F16 values
// (the token embedding lookup of a tied head).
void f16_x16_row(const uint8_t* data, int64_t rows, int64_t cols, int64_t row, uint16_t* out);

// Bytes of TQ2_0 for `n_blocks` blocks of 256 weights.
int64_t tq2_0_bytes(int64_t n_blocks);

// dst (tq2_0_bytes(n_blocks) bytes) = the TQ1_0 blocks at src, as TQ2_0 blocks.
void repack_tq1_0_as_tq2_0(const uint8_t* src, uint8_t* dst, int64_t n_blocks);

}  // namespace trit
