// Weight layouts rewritten at load for speed, value for value.
//
// TQ1_0 packs 5 trits per byte (1.69 bits per weight), and decoding them costs more than the dot
// product itself (~30 vs ~75 GMAC/s for TQ2_0's 2-bit codes on AVX2). Rewriting a TQ1_0 matrix once
// as TQ2_0 keeps every code and every block scale (the scalar references of the two formats are
// the same arithmetic, so results under TRIT_ISA=scalar are bit-identical) and lets decode run the
// TQ2_0 kernels, at the price of 22% more weight bytes in memory.
#pragma once

#include <cstdint>

namespace trit {

// Bytes of TQ2_0 for `n_blocks` blocks of 256 weights.
int64_t tq2_0_bytes(int64_t n_blocks);

// dst (tq2_0_bytes(n_blocks) bytes) = the TQ1_0 blocks at src, as TQ2_0 blocks.
void repack_tq1_0_as_tq2_0(const uint8_t* src, uint8_t* dst, int64_t n_blocks);

}  // namespace trit
