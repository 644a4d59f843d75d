#!/usr/bin/env bash
# Required check `check-llama-stub`: trit built WITH the reference loader (-DTRIT_FFI=ON) but with
# no reference reachable (STUB mode): the crossval tests pass, and `trit crossval` reports every lane
# skipped with a reason and exit 0, or exit 3 with --require-ref. Nothing may report "pass".
#
# Run locally:  scripts/ci/check-llama-stub.sh
#   TRIT_BUILD_DIR   build tree (default build; configured with -DTRIT_FFI=ON)
#   OUT_DIR          where the skipped parity/receipt files go (default out/crossval/stub)
# Discovery is pointed at an empty folder (TRIT_CACHE_DIR, TRIT_LLAMA_CPP_DIR, BITNET_CPP_DIR), so a
# reference in your own ~/.cache/trit is not used.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

build_dir="${TRIT_BUILD_DIR:-build}"
out_dir="${OUT_DIR:-out/crossval/stub}"

say "configuring $build_dir with -DTRIT_FFI=ON"
configure_build "$build_dir" -DTRIT_FFI=ON
grep -q '^TRIT_FFI:BOOL=ON$' "$build_dir/CMakeCache.txt" || die "$build_dir: TRIT_FFI is not ON"
build_trit "$build_dir"

empty="$(mktemp -d)"
trap 'rm -rf "$empty"' EXIT
export TRIT_CACHE_DIR="$empty" TRIT_LLAMA_CPP_DIR="$empty/llama_cpp" BITNET_CPP_DIR="$empty/bitnet_cpp"
run_crossval_tests "$build_dir" || die "crossval tests failed in STUB mode"
expect_all_skipped "$build_dir/trit" "$out_dir"
say "check-llama-stub: passed"
