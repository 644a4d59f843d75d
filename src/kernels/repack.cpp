#include "kernels/repack.h"

#include <algorithm>
#include <cstring>

#include "kernels/kernels_avx2.h"
#include "kernels/matmul_variants.h"
#include "core/assert.h"
#include "quant/i2_s.h"
#include "quant/q4_0.h"
#include "quant/q8_0.h"
#include "quant/tq1_0.h"
#include "quant/tq2_0.h"

namespace trit {
namespace {

// quant/tq2_0.h's layout: byte g*32 + m holds element g*128 + 32k + m at bits 2k, as code + 1.
void repack_scalar(const quant::TQ1_0Block* in, quant::TQ2_0Block* out, int64_t n_blocks) {
  int8_t codes[quant::kQK_K];
  for (int64_t b = 0; b < n_blocks; ++b) {
    quant::unpack_tq1_0(in[b], codes);
    for (int g = 0; g < 2; ++g)
      for (int m = 0; m < 32; ++m) {
        uint8_t byte = 0;
        for (int k = 0; k < 4; ++k) byte |= uint8_t((codes[g * 128 + 32 * k + m] + 1) << (2 * k));
        out[b].qs[g * 32 + m] = byte;
      }
    out[b].d = in[b].d;
  }
}

// One 32-column block of 16 rows: the scales, then chunks of 4 bytes per row.
template <class Block, int kChunks>
void interleave_block(const Block* const* rows, int64_t b, uint8_t* out) {
  for (int j = 0; j < kInterleaveRows; ++j) std::memcpy(out + 2 * j, &rows[j][b].d, 2);
  uint8_t* q = out + 2 * kInterleaveRows;
  for (int c = 0; c < kChunks; ++c)
    for (int j = 0; j < kInterleaveRows; ++j)
      for (int i = 0; i < 4; ++i) {
        const uint8_t v = uint8_t(rows[j][b].qs[4 * c + i]);
        *q++ = kChunks == 8 ? uint8_t(v ^ 0x80) : v;  // Q8_0 values as unsigned x + 128
      }
}

template <class Block, int kChunks>
void interleave(const uint8_t* src, uint8_t* dst, int64_t cols, int64_t g0, int64_t g1) {
  const int64_t nb = cols / 32, row_bytes = nb * int64_t(sizeof(Block));
  for (int64_t g = g0; g < g1; ++g) {
    const Block* r[kInterleaveRows];
    for (int j = 0; j < kInterleaveRows; ++j)
      r[j] = reinterpret_cast<const Block*>(src + (g * kInterleaveRows + j) * row_bytes);
    uint8_t* out = dst + g * kInterleaveRows * row_bytes;
    for (int64_t b = 0; b < nb; ++b) interleave_block<Block, kChunks>(r, b, out + b * kInterleaveRows * sizeof(Block));
  }
}

// TQ2_0: per group and 256-column block, the 16 scales, then for lane L = 0..7 and half h = 0, 1
// the 16 rows' qs[32h + 4L .. 32h + 4L + 3].
void interleave_tq2_0(const uint8_t* src, uint8_t* dst, const X16Spans& sp, int64_t g0, int64_t g1) {
  using quant::TQ2_0Block;
  const int64_t nb = sp.n_blocks, row_bytes = nb * int64_t(sizeof(TQ2_0Block));
  for (int64_t g = g0; g < g1; ++g) {
    const TQ2_0Block* r[kInterleaveRows];
    for (int j = 0; j < kInterleaveRows; ++j)
      r[j] = reinterpret_cast<const TQ2_0Block*>(src + (g * kInterleaveRows + j) * row_bytes);
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t* out = dst + sp.block_offset(g, b);
      for (int j = 0; j < kInterleaveRows; ++j) std::memcpy(out + 2 * j, &r[j][b].d, 2);
      uint8_t* q = out + 2 * kInterleaveRows;
      for (int lane = 0; lane < 8; ++lane)
        for (int h = 0; h < 2; ++h)
          for (int j = 0; j < kInterleaveRows; ++j) {
            std::memcpy(q, r[j][b].qs + 32 * h + 4 * lane, 4);
            q += 4;
          }
    }
  }
}

// TQ1_0: per group and 256-column block, the 16 scales, then 13 chunks; chunk s, row j, byte i
// holds the codes (value + 1) t_n of planes p = 5s + n (elements 4p + i; t_n = 0 past plane 63) as
// t_0 + 3 t_1 + 9 t_2 + 27 t_3 + 81 t_4.
void interleave_tq1_0(const uint8_t* src, uint8_t* dst, const X16Spans& sp, int64_t g0, int64_t g1) {
  using quant::TQ1_0Block;
  const int64_t nb = sp.n_blocks, row_bytes = nb * int64_t(sizeof(TQ1_0Block));
  int8_t codes[kInterleaveRows][quant::kQK_K];
  for (int64_t g = g0; g < g1; ++g) {
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t* out = dst + sp.block_offset(g, b);
      for (int j = 0; j < kInterleaveRows; ++j) {
        const auto* blk = reinterpret_cast<const TQ1_0Block*>(src + (g * kInterleaveRows + j) * row_bytes) + b;
        quant::unpack_tq1_0(*blk, codes[j]);
        std::memcpy(out + 2 * j, &blk->d, 2);
      }
      uint8_t* q = out + 2 * kInterleaveRows;
      for (int chunk = 0; chunk < kTq1Chunks; ++chunk)
        for (int j = 0; j < kInterleaveRows; ++j)
          for (int i = 0; i < 4; ++i) {
            int byte = 0;
            for (int n = 4; n >= 0; --n) {
              const int p = kTq1PlanesPerChunk * chunk + n;
              byte = 3 * byte + (p < kTq1Planes ? codes[j][4 * p + i] + 1 : 0);
            }
            *q++ = uint8_t(byte);
          }
    }
  }
}

// I2_S: per group and 128-column block, chunk m = 0..7 holds bytes 4m..4m+3 of each row's block
// (no scales: I2_S has one per tensor).
void interleave_i2_s(const uint8_t* src, uint8_t* dst, const X16Spans& sp, int64_t g0, int64_t g1) {
  const int64_t nb = sp.n_blocks, row_bytes = nb * quant::kI2sBlockBytes;
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t* out = dst + sp.block_offset(g, b);
      for (int m = 0; m < 8; ++m)
        for (int j = 0; j < kInterleaveRows; ++j) {
          std::memcpy(out, src + (g * kInterleaveRows + j) * row_bytes + b * quant::kI2sBlockBytes + 4 * m, 4);
          out += 4;
        }
    }
}

// F16: column blocks, then groups, then columns of 16 rows (repack.h); one group at a time, so
// the caller can release the source rows it has read.
void interleave_f16(const uint8_t* src, uint8_t* dst, const X16Spans& sp, int64_t g0, int64_t g1) {
  const int64_t row_bytes = 2 * sp.n_blocks;
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t k = 0; k < sp.n_spans(); ++k) {
      uint8_t* out = dst + sp.offset(k, g);
      for (int64_t c = sp.first(k); c < sp.first(k) + sp.width(k); ++c)
        for (int j = 0; j < kInterleaveRows; ++j) {
          std::memcpy(out, src + (g * kInterleaveRows + j) * row_bytes + 2 * c, 2);
          out += 2;
        }
    }
}

}  // namespace

bool can_interleave(TensorType type, int64_t rows) {
  return (type == TensorType::Q4_0 || type == TensorType::Q8_0 || type == TensorType::TQ2_0 ||
          type == TensorType::TQ1_0 || type == TensorType::I2_S || type == TensorType::F16) &&
         rows > 0 && rows % kInterleaveRows == 0;
}

X16Spans x16_spans(TensorType type, int64_t rows, int64_t cols, int64_t ternary_span_cols) {
  TRIT_ASSERT(can_interleave(type, rows));
  TRIT_ASSERT(ternary_span_cols > 0 && ternary_span_cols % quant::kQK_K == 0 &&
              ternary_span_cols <= kTernaryWideSpanColumns);
  const int64_t groups = rows / kInterleaveRows;
  auto of = [&](int64_t block_cols, int64_t row_block_bytes, int64_t span_cols) {
    const int64_t nb = cols / block_cols;
    return X16Spans{groups, nb, span_cols > 0 ? span_cols / block_cols : std::max<int64_t>(nb, 1),
                    kInterleaveRows * row_block_bytes};
  };
  switch (type) {
    case TensorType::F16: return of(1, 2, kF16ColumnBlock);
    case TensorType::TQ2_0: return of(quant::kQK_K, sizeof(quant::TQ2_0Block), ternary_span_cols);
    case TensorType::TQ1_0: return of(quant::kQK_K, sizeof(quant::TQ1_0Block), ternary_span_cols);
    case TensorType::I2_S: return of(quant::kQK_I2_S, quant::kI2sBlockBytes, ternary_span_cols);
    case TensorType::Q8_0: return of(32, sizeof(quant::Q8_0Block), 0);
    default: return of(32, sizeof(quant::Q4_0Block), 0);
  }
}

void repack_interleaved(TensorType type, const uint8_t* src, uint8_t* dst, int64_t rows, int64_t cols,
                        int64_t ternary_span_cols) {
  repack_interleaved_groups(type, src, dst, rows, cols, 0, rows / kInterleaveRows, ternary_span_cols);
}

void repack_interleaved_groups(TensorType type, const uint8_t* src, uint8_t* dst, int64_t rows, int64_t cols,
                               int64_t g0, int64_t g1, int64_t ternary_span_cols) {
  TRIT_ASSERT(0 <= g0 && g0 <= g1 && g1 <= rows / kInterleaveRows);
  if (type == TensorType::F16) {
    TRIT_ASSERT(can_interleave(type, rows));
    return interleave_f16(src, dst, x16_spans(type, rows, cols), g0, g1);
  }
  if (type == TensorType::I2_S) {
    TRIT_ASSERT(can_interleave(type, rows) && cols % quant::kQK_I2_S == 0);
    return interleave_i2_s(src, dst, x16_spans(type, rows, cols, ternary_span_cols), g0, g1);
  }
  if (type == TensorType::TQ2_0 || type == TensorType::TQ1_0) {
    TRIT_ASSERT(can_interleave(type, rows) && cols % quant::kQK_K == 0);
    const X16Spans sp = x16_spans(type, rows, cols, ternary_span_cols);
    return type == TensorType::TQ2_0 ? interleave_tq2_0(src, dst, sp, g0, g1) : interleave_tq1_0(src, dst, sp, g0, g1);
  }
  TRIT_ASSERT(can_interleave(type, rows) && cols % 32 == 0);
  if (type == TensorType::Q4_0) interleave<quant::Q4_0Block, 4>(src, dst, cols, g0, g1);
  else interleave<quant::Q8_0Block, 8>(src, dst, cols, g0, g1);
}

void f16_x16_row(const uint8_t* data, int64_t rows, int64_t cols, int64_t row, uint16_t* out) {
  TRIT_ASSERT(can_interleave(TensorType::F16, rows) && row >= 0 && row < rows);
  const int64_t g = row / kInterleaveRows, j = row % kInterleaveRows;
  const X16Spans sp = x16_spans(TensorType::F16, rows, cols);
  for (int64_t k = 0; k < sp.n_spans(); ++k)
    for (int64_t c = 0; c < sp.width(k); ++c)
      std::memcpy(out + sp.first(k) + c, data + sp.offset(k, g) + (c * kInterleaveRows + j) * 2, 2);
}

int64_t tq2_0_bytes(int64_t n_blocks) { return n_blocks * int64_t(sizeof(quant::TQ2_0Block)); }

void repack_tq1_0_as_tq2_0(const uint8_t* src, uint8_t* dst, int64_t n_blocks) {
#if TRIT_KERNELS_X86
  if (isa_supported(Isa::kAvx2)) return avx2::repack_tq1_0_as_tq2_0(src, dst, n_blocks);
#endif
  repack_scalar(reinterpret_cast<const quant::TQ1_0Block*>(src), reinterpret_cast<quant::TQ2_0Block*>(dst), n_blocks);
}

}  // namespace trit
