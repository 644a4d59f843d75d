#!/usr/bin/env bash
# Set-up, step 2 of 2 (README): run the whole test suite with ctest and print its summary.
# Tests that need the llama.cpp reference skip loudly when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/CMakeCache.txt ]] || { echo "test.sh: no build/ yet: run scripts/setup.sh first" >&2; exit 4; }
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs" "$@"
