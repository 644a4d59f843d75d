// Dispatch: chooses the matmul implementation for a weight type on this CPU.
// TRIT_ISA=scalar forces the scalar reference everywhere.
#include "kernels/matmul.h"

#include "kernels/matmul_ref.h"

namespace trit {

void matmul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  matmul_ref(w, x, n_tokens, y, pool);
}

std::string matmul_kernel_name(TensorType type) {
  return std::string(tensor_type_name(type)) + "_ref";
}

}  // namespace trit
