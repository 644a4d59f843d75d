#!/usr/bin/env bash
# Lane B: cross-validate trit against the pinned llama.cpp (scripts/versions.env) over a matrix of
# synthetic models, architectures x tensor types, made by `trit synth`. The job fails when any model
# fails parity, or when the reference cannot be set up (a lane that was asked to run never "skips").
#
# Run locally:  scripts/ci/lane-b-llama.sh
#   TRIT_LANE_B_MATRIX  space-separated ARCH:TYPE entries (default: see `matrix` below)
#   TRIT_TOLERANCE      tolerance profile for `trit crossval --tolerance` (default: trit's own)
#   TRIT_FORCE_REBUILD  true: delete the cached reference first, then fetch and build it again
#   TRIT_SKIP_REFERENCE 1: do not fetch the reference or build the shim (you provide them, e.g. with
#                       TRIT_LLAMA_CPP_DIR); `trit crossval --require-ref` still insists on one
#   TRIT_BUILD_DIR      build tree (default build; configured with -DTRIT_FFI=ON)
#   TRIT_BIN            use this trit binary instead of building one
#   OUT_DIR             results (default out/crossval/lane-b-llama): one folder per model with
#                       crossval-parity-llama.json, crossval-receipt-llama.json, report.md, crossval.log
#   MODELS_DIR          synthetic models (default out/crossval/models)
# Exit: 0 all passed; 1 a model failed parity or tokenization; 3 no reference; 4 bad usage / input.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

matrix="${TRIT_LANE_B_MATRIX:-bitnet:tq2_0 bitnet:tq1_0 bitnet:q8_0 bitnet:f16 llama:f32 llama:f16 llama:bf16 llama:q8_0 llama:q4_0}"
build_dir="${TRIT_BUILD_DIR:-build}"
out_dir="${OUT_DIR:-out/crossval/lane-b-llama}"
models_dir="${MODELS_DIR:-out/crossval/models}"
cache="${TRIT_CACHE_DIR:-$HOME/.cache/trit}/llama_cpp"

# 1. The reference: the pinned llama.cpp libraries from the npm registry, and our shim built against them.
if [[ "${TRIT_FORCE_REBUILD:-false}" == true ]]; then
  say "TRIT_FORCE_REBUILD: removing the cached reference $cache"
  rm -rf "$cache"
fi
if [[ -z "${TRIT_SKIP_REFERENCE:-}" ]]; then
  scripts/fetch-llama-cpp.sh || die "could not fetch the llama.cpp reference into $cache" 3
  scripts/build-shim.sh || die "could not build the Lane B shim against $cache" 3
fi

# 2. trit, with the reference loader.
if [[ -n "${TRIT_BIN:-}" ]]; then
  trit="$TRIT_BIN"
else
  configure_build "$build_dir" -DTRIT_FFI=ON
  build_trit "$build_dir"
  trit="$build_dir/trit"
fi
[[ -x "$trit" ]] || die "no trit binary at $trit" 4

# 3. The matrix; the exit code names the worst outcome.
tolerance=()
[[ -z "${TRIT_TOLERANCE:-}" ]] || tolerance=(--tolerance "$TRIT_TOLERANCE")
rc=0
crossval_matrix llama "$matrix" "$trit" "$out_dir" "$models_dir" --require-ref ${tolerance[@]+"${tolerance[@]}"} || rc=$?
((rc == 0)) || die "Lane B failed (results in $out_dir)" "$rc"
say "Lane B: every model passed (results in $out_dir)"
