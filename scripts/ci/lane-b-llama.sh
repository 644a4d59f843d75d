#!/usr/bin/env bash
# Lane B: cross-validate trit against the pinned llama.cpp (scripts/versions.env) over the model matrix,
# benchmarks/matrix.tsv (rows with lane `llama`): synthetic models made by `trit synth`, architectures x
# shapes x tensor types, and any real model file a row names. The job fails when any model fails parity,
# or when the reference cannot be set up (a lane that was asked to run never "skips").
#
# Run locally:  scripts/ci/lane-b-llama.sh
#   TRIT_MATRIX_TIER    tiers of the matrix to run, comma-separated: tiny (default; every CI run) or
#                       tiny,full (the scheduled run: the real shapes as well)
#   TRIT_MATRIX_FILE    the matrix (default benchmarks/matrix.tsv)
#   TRIT_LANE_B_MATRIX  override the matrix file: space-separated ARCH:TYPE entries (shape tiny), or
#                       NAME=ARCH:SHAPE:TYPE / NAME=@MODEL_PATH
#   TRIT_TOLERANCE      tolerance profile for `trit crossval --tolerance` (default: trit's own)
#   TRIT_FORCE_REBUILD  true: delete the cached reference first, then fetch and build it again
#   TRIT_SKIP_REFERENCE 1: do not fetch the reference or build the shim (you provide them, e.g. with
#                       TRIT_LLAMA_CPP_DIR); `trit crossval --require-ref` still insists on one
#   TRIT_BUILD_DIR      build tree (default build; configured with -DTRIT_FFI=ON)
#   TRIT_BIN            use this trit binary instead of building one
#   OUT_DIR             results (default out/crossval/lane-b-llama): one folder per model with
#                       crossval-parity-llama.json, crossval-receipt-llama.json, report.md, crossval.log;
#                       and crossval-matrix.tsv, the entries run (for the summary's matrix table)
#   MODELS_DIR          synthetic models (default out/crossval/models)
# Exit: 0 all passed; 1 a model failed parity or tokenization; 3 no reference; 4 bad usage / input.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=matrix.sh
source "$(dirname "$0")/matrix.sh"

# The entries: from the matrix file, or the TRIT_LANE_B_MATRIX override (no tiers: all run).
if [[ -n "${TRIT_LANE_B_MATRIX:-}" ]]; then
  matrix="$TRIT_LANE_B_MATRIX"
  rows=""
else
  rows="$(matrix_rows "${TRIT_MATRIX_FILE:-benchmarks/matrix.tsv}" llama "${TRIT_MATRIX_TIER:-tiny}")"
  [[ -n "$rows" ]] || die "no matrix rows for lane llama, tier ${TRIT_MATRIX_TIER:-tiny}" 4
  matrix="$(matrix_entries <<<"$rows" | tr '\n' ' ')"
fi
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
trit_for_crossval "$build_dir"

# 3. The matrix; the exit code names the worst outcome.
tolerance=()
[[ -z "${TRIT_TOLERANCE:-}" ]] || tolerance=(--tolerance "$TRIT_TOLERANCE")
rc=0
crossval_matrix llama "$matrix" "$trit" "$out_dir" "$models_dir" --require-ref ${tolerance[@]+"${tolerance[@]}"} || rc=$?
# What ran, for the summary's matrix table (written after crossval_matrix, which empties $out_dir).
if [[ -n "$rows" ]]; then
  { matrix_table_header; printf '%s\n' "$rows"; } >"$out_dir/crossval-matrix.tsv"
else
  { matrix_table_header
    for entry in $matrix; do
      parse_matrix_entry "$entry" || continue
      printf '%s\t-\t-\t%s\t%s\t%s\t%s\n' "$entry_name" "${entry_arch:--}" "${entry_shape:--}" \
        "${entry_type:--}" "${entry_model:--}"
    done; } >"$out_dir/crossval-matrix.tsv"
fi
((rc == 0)) || die "Lane B failed (results in $out_dir)" "$rc"
say "Lane B: every model passed (results in $out_dir)"
