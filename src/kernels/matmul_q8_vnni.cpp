// AVX-512 VNNI Q8_0 / Q4_0 matmuls: q8_tile_avx2.h with vpdpbusd in place of maddubs + madd
// (the same int32 lanes, so bit-identical to the AVX2 variants; tests/kernels/ checks it).
#include "kernels/kernels_vnni.h"
#include "kernels/q8_tile_avx2.h"

namespace trit::vnni {

void matmul_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) {
  avx2::q8_rows<avx2::Q8_0Weights, true>(a, r0, r1);
}
void matmul_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) {
  avx2::q8_rows<avx2::Q4_0Weights, true>(a, r0, r1);
}

}  // namespace trit::vnni
