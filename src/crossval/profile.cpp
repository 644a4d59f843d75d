#include "crossval/profile.h"

#include <array>

namespace trit::crossval {
namespace {

// Thresholds, and why:
// - strict: same weights, same activation quantization (trit's compat profile reproduces the
//   reference's): the only difference is float summation order and thread splitting, which keeps
//   logits within ~1e-5 relative. A real bug (one wrong weight, a wrong RoPE, a missing norm)
//   moves cosine below 0.999 and KL above 1e-2 at once, so 0.9999 / 1e-3 separates the two with
//   a wide margin. Decode must match fully, except where the two candidate tokens are within
//   0.01 logits in both engines (a near tie: Q8 activation rounding alone can flip it).
// - loose / actquant: different activation quantization (e.g. Q8_K per-256 blocks vs per-token
//   int8, or F16 vs F32 activations) adds ~0.5% relative noise per matmul; over a few layers
//   cosine stays above 0.999 and KL below 0.02 for a correct model. Greedy decode may part ways
//   after a few tokens on such noise, so half the tokens must match.
// - exact: for formats whose arithmetic trit reproduces operation for operation (F32, F16, and
//   TQ2_0 with llama.cpp's x86 epilogue): measured floors KL <= 1.1e-6, cos >= 0.9999997 (F16, up
//   to 1800 positions), KL ~2e-9 for TQ2_0. One ternary weight flipped in a 256x2 TQ2_0 model
//   gives KL ~1.4e-4, cos ~0.99996: inside strict, outside exact (tests/crossval parity_test).
// - reorder: same formats and activation quantization, but trit's kernel adds the per-block float
//   terms in a different order than the reference's x86 SIMD kernel (Q8_0, Q4_0, TQ1_0: ggml keeps
//   8 float lanes per element group, and repacks Q4_0 at load). One ulp per matmul, amplified by the
//   next layer's activation rounding: measured cos >= 0.99978, KL <= 1e-3 on random-weight models,
//   an occasional top-1 flip where the two best logits are within ~0.05. A real bug still moves
//   cosine below 0.999 and KL above 1e-2.
// - smoke: catches gross breakage only (wrong architecture, garbage weights); never for release.
constexpr std::array kProfiles = {
    Profile{"strict", 0.9999, 1e-3, 1.0, 1.0, 1e-2,
            "same formats on both sides (the default); differences are summation order only"},
    Profile{"exact", 0.99999, 1e-5, 1.0, 1.0, 1e-3,
            "formats whose arithmetic trit reproduces op for op (F32, F16, TQ2_0 on x86): catches one flipped weight"},
    Profile{"loose", 0.999, 2e-2, 0.95, 0.5, 0.1,
            "different activation quantization or precision (e.g. Q8_K vs per-token int8, F16 vs F32)"},
    Profile{"actquant", 0.999, 2e-2, 0.95, 0.5, 0.1, "alias of loose, named for its main use"},
    Profile{"reorder", 0.9995, 2e-3, 0.95, 0.9, 0.05,
            "same formats, different float summation order in the reference's SIMD kernel (Q8_0, Q4_0, TQ1_0 on x86)"},
    Profile{"smoke", 0.99, 0.1, 0.9, 0.0, 0.5, "gross breakage only (wrong graph, garbage weights)"},
};

}  // namespace

std::span<const Profile> profiles() { return kProfiles; }

std::string profile_names() {
  std::string s;
  for (const Profile& p : kProfiles) {
    if (!s.empty()) s += ", ";
    s += p.name;
  }
  return s;
}

Result<Profile> profile_by_name(std::string_view name) {
  for (const Profile& p : kProfiles) {
    if (p.name == name) return p;
  }
  return make_error("--tolerance: unknown profile '" + std::string(name) + "' (expected one of: " + profile_names() +
                    ")");
}

}  // namespace trit::crossval
