// Internal to model/: what Model and Session share beyond the public header.
#pragma once

#include "model/blocks.h"
#include "model/model.h"
#include "model/weights.h"

namespace trit {

// The FFN activation a compat profile runs (the model's own unless a reference graph differs).
Activation effective_activation(const HParams& hp, Compat compat);

// The float rounding a compat profile reproduces (blocks.h RefNumerics).
RefNumerics ref_numerics(Compat compat);

}  // namespace trit
