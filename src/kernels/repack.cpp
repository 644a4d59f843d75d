#include "kernels/repack.h"

#include <cstring>

#include "kernels/kernels_avx2.h"
#include "kernels/matmul_variants.h"
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

}  // namespace

int64_t tq2_0_bytes(int64_t n_blocks) { return n_blocks * int64_t(sizeof(quant::TQ2_0Block)); }

void repack_tq1_0_as_tq2_0(const uint8_t* src, uint8_t* dst, int64_t n_blocks) {
  if (isa_supported(Isa::kAvx2)) return avx2::repack_tq1_0_as_tq2_0(src, dst, n_blocks);
  repack_scalar(reinterpret_cast<const quant::TQ1_0Block*>(src), reinterpret_cast<quant::TQ2_0Block*>(dst), n_blocks);
}

}  // namespace trit
