// NEON with the Armv8.2 dot product (compiled with +dotprod; dispatch runs these only where the
// CPU reports asimddp): neon_rows.h's integer row kernels with one sdot per 16 byte pairs.
#include "kernels/kernels_neon.h"
#include "kernels/neon_rows.h"

namespace trit::neon {
namespace {

struct SdotDot {
  static int32x4_t dot(int32x4_t acc, int8x16_t a, int8x16_t b) { return vdotq_s32(acc, a, b); }
};

}  // namespace

void matmul_rows_tq2_q8k_dot(const MatmulArgs& a, int64_t r0, int64_t r1) { rows_tq2_q8k<SdotDot>(a, r0, r1); }
void matmul_rows_i2s_i8_dot(const MatmulArgs& a, int64_t r0, int64_t r1) { rows_i2s_i8<SdotDot>(a, r0, r1); }
void matmul_rows_q8_0_q8_0_dot(const MatmulArgs& a, int64_t r0, int64_t r1) { rows_q8_0_q8_0<SdotDot>(a, r0, r1); }
void matmul_rows_q4_0_q8_0_dot(const MatmulArgs& a, int64_t r0, int64_t r1) { rows_q4_0_q8_0<SdotDot>(a, r0, r1); }

}  // namespace trit::neon
