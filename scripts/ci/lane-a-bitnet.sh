#!/usr/bin/env bash
# Lane A: cross-validate trit against bitnet.cpp (microsoft/BitNet), over synthetic models made by
# `trit synth`. No registry ships bitnet.cpp: you build it yourself and point BITNET_CPP_DIR at a
# folder holding the Lane A shim (libtrit_ref_bitnet.so in it or in its shim/), or leave it in the
# cache ~/.cache/trit/bitnet_cpp (the workflow caches that folder).
# Without it the lane is SKIPPED LOUDLY: trit still writes parity and receipt files saying "skipped"
# and why, a warning is printed (an annotation in GitHub Actions), and the script exits 0; with
# TRIT_REQUIRE_REF=true it exits 3 instead. A model that fails parity fails the script (exit 1).
#
# Run locally:  BITNET_CPP_DIR=~/src/BitNet scripts/ci/lane-a-bitnet.sh
#   TRIT_LANE_A_MATRIX  space-separated ARCH:TYPE entries (default "bitnet:i2_s bitnet-b1.58:i2_s";
#                       bitnet.cpp builds from 2024 read only the first: set bitnet:i2_s for them)
#   TRIT_TOLERANCE      tolerance profile for `trit crossval --tolerance`
#   TRIT_REQUIRE_REF    true: a missing bitnet.cpp is a failure (exit 3), not a skip
#   TRIT_BUILD_DIR, TRIT_BIN, OUT_DIR (default out/crossval/lane-a-bitnet), MODELS_DIR: as in lane-b-llama.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

matrix="${TRIT_LANE_A_MATRIX:-bitnet:i2_s bitnet-b1.58:i2_s}"
build_dir="${TRIT_BUILD_DIR:-build}"
out_dir="${OUT_DIR:-out/crossval/lane-a-bitnet}"
models_dir="${MODELS_DIR:-out/crossval/models}"

trit_for_crossval "$build_dir"

flags=()
[[ "${TRIT_REQUIRE_REF:-false}" != true ]] || flags+=(--require-ref)
[[ -z "${TRIT_TOLERANCE:-}" ]] || flags+=(--tolerance "$TRIT_TOLERANCE")
say "Lane A: BITNET_CPP_DIR=${BITNET_CPP_DIR:-<unset; using the cache>}"
rc=0
crossval_matrix bitnet "$matrix" "$trit" "$out_dir" "$models_dir" ${flags[@]+"${flags[@]}"} || rc=$?
((rc == 0)) || die "Lane A failed (results in $out_dir)" "$rc"

skipped=0
for f in "$out_dir"/*/crossval-parity-bitnet.json; do
  [[ -f "$f" && "$(json_field "$f" status)" == skipped ]] || continue
  skipped=1
  warn "Lane A SKIPPED ($f): $(json_field "$f" reason)"
done
if ((skipped)); then
  warn "Lane A did not run against bitnet.cpp: build microsoft/BitNet and set BITNET_CPP_DIR (docs/ci/SETUP.md)"
else
  say "Lane A: every model passed (results in $out_dir)"
fi
