// A ternary weight tensor as codes and scales, independent of how a format packs them, so that
// I2_S, TQ2_0 and TQ1_0 can be re-packed into one another without going through floats.
//
// The formats differ only in where the scale lives:
//   I2_S  (bitnet.cpp 36): ONE float32 per tensor (quant/i2_s.h);
//   TQ2_0 (ggml 35), TQ1_0 (ggml 34): one fp16 `d` per block of 256 (quant/tq2_0.h, tq1_0.h).
// So a re-pack is lossless exactly when (see `lossless_note`):
//   I2_S -> TQ*   the tensor scale is an fp16 value (fp32 -> fp16 -> fp32 gives it back);
//   TQ*  -> I2_S  every block holding a non-zero code has the same d (blocks of zeros have no
//                 weight to scale, so their d is ignored);
//   TQ2_0 <-> TQ1_0  always (same blocks, same d bits).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/result.h"
#include "core/tensor_type.h"

namespace trit::convert {

struct TernaryTensor {
  std::vector<int8_t> codes;           // n values in {-1, 0, +1}, row-major
  std::optional<float> tensor_scale;   // set when it came from I2_S or from floats
  std::vector<fp16_t> block_d;         // set when it came from TQ1_0 / TQ2_0: one per 256 codes
};

bool is_ternary_type(TensorType t);  // I2_S, TQ1_0, TQ2_0

// Unpacks a stored tensor of n elements (rows of row_len) of a ternary type.
Result<TernaryTensor> unpack_ternary(TensorType type, std::span<const uint8_t> data, int64_t row_len, int64_t n);

// Packs into `type`. Rows must fit the format (row_len a multiple of 128 for I2_S, 256 for TQ*).
// `lossy` (may be null) receives "" when every stored value is exactly what `t` describes, else a
// sentence saying what changed (e.g. the scale rounded to fp16, with the relative error).
Result<std::vector<uint8_t>> pack_ternary(TensorType type, const TernaryTensor& t, int64_t row_len,
                                          std::string* lossy);

// Ternarizes floats. Values that are already ternary ({-a, 0, +a}, one a, as bitnet.cpp's
// converter and `trit synth` write them) keep their codes and a exactly; anything else is
// ternarized with BitNet's absmean (quant/ternary.h). `how` says which ("exact" / "absmean").
TernaryTensor ternarize_floats(std::span<const float> w, std::string* how);

}  // namespace trit::convert
