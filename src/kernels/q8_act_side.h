// Per token and block of Q8_0 activations, what every row of the 16-row Q4_0 / Q8_0 kernels reuses
// (matmul_q8_x16_avx2.cpp, matmul_q8_x16_vnni.cpp): each row's starting sum, -kOffset times the
// block's activation sum (Q4_0 stores q for q - 8, the VNNI Q8_0 x + 128), and dy. Plain C++: no
// ISA flags needed. Internal linkage on purpose (see avx2_common.h).
#pragma once

#include <cstdint>
#include <vector>

#include "core/fp16.h"
#include "kernels/matmul_variants.h"
#include "quant/q8_0.h"

namespace trit {
namespace {

struct ActSide {
  int32_t init;
  float dy;
};

// out[t * nb + b] for every token t and block b of a's activations (nb blocks a token); out is
// resized to fit.
template <int kOffset>
void act_sides(const MatmulArgs& a, int64_t nb, std::vector<ActSide>& out) {
  out.resize(size_t(a.n_tokens * nb));
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const auto* y = reinterpret_cast<const quant::Q8_0Block*>(a.xq + t * a.xq_stride);
    for (int64_t b = 0; b < nb; ++b) {
      int32_t sum = 0;
      if constexpr (kOffset != 0)
        for (int i = 0; i < quant::kQK8_0; ++i) sum += y[b].qs[i];
      out[size_t(t * nb + b)] = {-kOffset * sum, fp16_to_fp32(y[b].d)};
    }
  }
}

}  // namespace
}  // namespace trit
