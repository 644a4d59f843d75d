#!/usr/bin/env bash
# Set-up, step 2 of 2 (README): run the whole test suite with ctest and print its summary, then the
# arm64 build's tests under qemu (scripts/test-arm64.sh; TRIT_SKIP_ARM64=1 skips it). Arguments go to
# ctest and run that selection only.
# Tests that need the llama.cpp reference, or the arm64 tools, skip loudly when they are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/CMakeCache.txt ]] || { echo "test.sh: no build/ yet: run scripts/setup.sh first" >&2; exit 4; }
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
cmake --build build -j "$jobs"
# A hung test (a lost thread wake-up, say) fails after 10 minutes rather than ctest's 25; the
# slowest test takes under a minute on 2 cores.
ctest --test-dir build --output-on-failure --timeout 600 -j "$jobs" "$@"
# A filtered run (arguments for ctest) is a focused one: the arm64 build only runs with the whole suite.
(($#)) || scripts/test-arm64.sh
