#!/usr/bin/env bash
# Sanitizer builds (issue 11). Two trees next to the normal one, each configured with
# cmake/sanitizers.cmake's TRIT_SANITIZE:
#   asan: -DTRIT_SANITIZE="address;undefined" in build-asan, the whole test suite except the slow
#         dual-lane checks (ctest -LE lanes).
#   tsan: -DTRIT_SANITIZE=thread in build-tsan, the threaded code only: tests/kernels (matmuls,
#         ThreadPool) and tests/model (forward passes at several thread counts).
# Any report fails the run (-fno-sanitize-recover=all; halt_on_error for ASan/TSan).
#
# Run locally:  scripts/ci/sanitizers.sh [asan|tsan|all]     (default all; JOBS=N to limit the build)
# Times on a 2-core machine: see fuzz/README.md ("Sanitizers").
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

mode="${1:-all}"
jobs="${JOBS:-$(ncpu)}"
# Release keeps the suite fast under the sanitizers; -g1 gives file:line in reports.
common=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g1 -DCMAKE_C_FLAGS=-g1 -DTRIT_BUILD_BENCHMARKS=OFF)
# configure DIR [args]: Ninja for a new tree (a tree's generator cannot change).
configure() {
  local dir="$1"; shift
  local gen=()
  if [[ ! -f "$dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
  # shellcheck disable=SC2206  # TRIT_CMAKE_ARGS is a space-separated list of -D flags, by design
  local extra=(${TRIT_CMAKE_ARGS:-})
  cmake -S . -B "$dir" ${gen[@]+"${gen[@]}"} "${common[@]}" ${extra[@]+"${extra[@]}"} "$@" >/dev/null
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

run_asan() {
  local t0=$SECONDS
  say "ASan+UBSan: configure build-asan"
  configure build-asan -DTRIT_SANITIZE="address;undefined"
  say "ASan+UBSan: build (-j$jobs)"
  cmake --build build-asan -j"$jobs"
  local t1=$SECONDS
  say "ASan+UBSan: ctest -LE lanes"
  ctest --test-dir build-asan -LE lanes -j"$jobs" --output-on-failure --timeout 900
  say "ASan+UBSan: build $((t1 - t0)) s, tests $((SECONDS - t1)) s"
}

run_tsan() {
  local t0=$SECONDS
  say "TSan: configure build-tsan"
  configure build-tsan -DTRIT_SANITIZE=thread
  say "TSan: build kernels_test model_test (-j$jobs)"
  cmake --build build-tsan -j"$jobs" --target kernels_test model_test
  local t1=$SECONDS
  say "TSan: kernels_test, model_test"
  # The gtest binaries directly (ctest would need the whole tree for its other tests). setarch -R:
  # TSan's shadow layout rejects the high mmap randomisation of recent kernels.
  local pre=()
  if setarch "$(uname -m)" -R true 2>/dev/null; then pre=(setarch "$(uname -m)" -R); fi
  for t in tests/kernels/kernels_test tests/model/model_test; do
    (cd build-tsan && ${pre[@]+"${pre[@]}"} "./$t" --gtest_brief=1)
  done
  say "TSan: build $((t1 - t0)) s, tests $((SECONDS - t1)) s"
}

case "$mode" in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan; run_tsan ;;
  *) die "usage: scripts/ci/sanitizers.sh [asan|tsan|all]" 2 ;;
esac
