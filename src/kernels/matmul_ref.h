// The scalar reference matmul (the spec every fast kernel is tested against).
#pragma once

#include "kernels/matmul.h"

namespace trit {

void matmul_ref(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace trit
