#!/usr/bin/env bash
# Required check `check-no-ffi`: trit builds with -DTRIT_FFI=OFF (crossval with no reference loader),
# the binary links no dlopen, the crossval tests pass, and `trit crossval` reports every lane
# skipped (exit 0), or exit 3 with --require-ref.
#
# Run locally:  scripts/ci/check-no-ffi.sh
#   TRIT_BUILD_DIR   build tree (default build-noffi; never the main build/)
#   OUT_DIR          where the skipped parity/receipt files go (default out/crossval/no-ffi)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

build_dir="${TRIT_BUILD_DIR:-build-noffi}"
out_dir="${OUT_DIR:-out/crossval/no-ffi}"

say "configuring $build_dir with -DTRIT_FFI=OFF"
configure_build "$build_dir" -DTRIT_FFI=OFF
grep -q '^TRIT_FFI:BOOL=OFF$' "$build_dir/CMakeCache.txt" || die "$build_dir: TRIT_FFI is not OFF"
build_trit "$build_dir"

# No FFI means no loader: the binary must not reference dlopen (it would pull in a reference at run time).
if command -v nm >/dev/null; then
  if nm -u "$build_dir/trit" 2>/dev/null | grep -Eq '\bdlopen(@|$)'; then
    die "$build_dir/trit references dlopen although TRIT_FFI=OFF"
  fi
  say "no dlopen in $build_dir/trit"
fi

run_crossval_tests "$build_dir" || die "crossval tests failed in the no-FFI build"

# Point discovery at an empty place too, so the result cannot depend on this machine's cache.
empty="$(mktemp -d)"
trap 'rm -rf "$empty"' EXIT
TRIT_CACHE_DIR="$empty" TRIT_LLAMA_CPP_DIR="" BITNET_CPP_DIR="" \
  expect_all_skipped "$build_dir/trit" "$out_dir"
say "check-no-ffi: passed"
