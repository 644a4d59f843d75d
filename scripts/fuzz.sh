#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan+UBSan, -DTRIT_FUZZ=ON in build-fuzz) and fuzz each for a
# while, starting from the committed seeds in fuzz/corpus/<target>/. New interesting inputs go to
# build-fuzz/corpus/<target>/ (not the repository); crashes to build-fuzz/artifacts/<target>/, and
# the script exits 1 naming them. fuzz/README.md says how to keep a crash as a regression input.
#
#   scripts/fuzz.sh [--minutes N] [--build-only] [target ...]
#     targets: gguf vocab_gguf model_gguf tokenizer chat_template request (default: all)
#     --minutes N: per target (default 1; fractions allowed, e.g. 0.5). CI runs 1 minute each.
#   Environment: CLANG=clang-14 (the compiler pair), JOBS (build parallelism),
#                FUZZ_ARGS (extra libFuzzer flags, e.g. "-workers=4 -jobs=4").
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=1
build_only=0
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --minutes=*) minutes="${1#*=}"; shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(gguf vocab_gguf model_gguf tokenizer chat_template request)
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (one of: ${all[*]})" >&2; exit 2; }
done

clang="${CLANG:-clang-14}"
clangxx="${clang/clang/clang++}"
command -v "$clangxx" >/dev/null || { echo "fuzz.sh: $clangxx not found (apt-get install clang-14)" >&2; exit 2; }
jobs="${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"

gen=()
[[ -f build-fuzz/CMakeCache.txt ]] || ! command -v ninja >/dev/null || gen=(-G Ninja)
# The whole tree gets coverage instrumentation (fuzzer-no-link) and ASan+UBSan
# (cmake/sanitizers.cmake); fuzz/CMakeLists.txt links the targets with libFuzzer's main.
cmake -S . -B build-fuzz ${gen[@]+"${gen[@]}"} -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$clang" -DCMAKE_CXX_COMPILER="$clangxx" \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -g1" -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link -g1" \
  -DTRIT_SANITIZE="address;undefined" -DTRIT_FUZZ=ON -DTRIT_BUILD_TESTS=OFF -DTRIT_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target "${targets[@]/#/fuzz_}"
[[ $build_only == 0 ]] || exit 0

seconds=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); print (s < 1 ? 1 : s) }')
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for t in "${targets[@]}"; do
  work="build-fuzz/corpus/$t" art="build-fuzz/artifacts/$t/"
  mkdir -p "$work" "$art"
  echo "==> fuzz_$t for ${seconds}s (seeds fuzz/corpus/$t, new inputs $work, crashes $art)" >&2
  # -timeout: a single input taking 10 s is a hang; -rss_limit_mb: a huge allocation is a bug.
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  if ! "build-fuzz/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="$art" ${FUZZ_ARGS:-} "$work" "fuzz/corpus/$t" 2>"build-fuzz/fuzz-$t.log"; then
    tail -n 60 "build-fuzz/fuzz-$t.log" >&2
    failed+=("$t: $(ls "$art" | tr '\n' ' ')")
  else
    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added)' "build-fuzz/fuzz-$t.log" >&2 || true
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'fuzz.sh: CRASH in %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz.sh: ${targets[*]}: no crash in ${seconds}s each" >&2
