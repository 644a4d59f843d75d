#!/usr/bin/env bash
# The 64-bit ARM build, tested on an x86-64 host: cross-compiles trit for aarch64 (the NEON
# kernels and everything else) into build-arm64/ and runs the engine's unit tests under qemu-user.
# Checks correctness only: emulated timings say nothing about an ARM CPU.
#
#   scripts/test-arm64.sh            build and run (scripts/test.sh calls it)
#   TRIT_QEMU_CPU=cortex-a72 ...     emulate a CPU without the dot product (base NEON kernels);
#                                    the default, qemu's "max", has it (the +dotprod kernels)
#   TRIT_X86_TRIT=path/to/trit ...   the x86-64 binary to compare tokens with (default build/trit)
#   TRIT_SKIP_ARM64=1 ...            print SKIPPED and do nothing
#
# Needs g++-aarch64-linux-gnu, qemu-user and the arm64 -dev packages (scripts/setup.sh installs
# them on Debian). Without them it prints SKIPPED and exits 0: the x86-64 suite does not depend on it.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [[ -n "${TRIT_SKIP_ARM64:-}" ]]; then
  printf '\033[1;33m==> SKIPPED: the arm64 build and its tests (TRIT_SKIP_ARM64 is set)\033[0m\n' >&2
  exit 0
fi
missing=()
command -v aarch64-linux-gnu-g++ >/dev/null || missing+=("aarch64-linux-gnu-g++ (g++-aarch64-linux-gnu)")
command -v qemu-aarch64 >/dev/null || missing+=("qemu-aarch64 (qemu-user)")
[[ -e /lib/ld-linux-aarch64.so.1 ]] || missing+=("/lib/ld-linux-aarch64.so.1 (libc6:arm64)")
[[ -e /usr/lib/aarch64-linux-gnu/libgtest.a ]] || missing+=("arm64 GoogleTest (libgtest-dev:arm64)")
if ((${#missing[@]})); then
  printf '\033[1;33m==> SKIPPED: the arm64 build and its tests; missing: %s (run scripts/setup.sh)\033[0m\n' "${missing[*]}" >&2
  exit 0
fi

build="build-arm64"
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
# The engine's in-process tests; the CLI and reference tests run the x86-64 build only (they start
# binaries and load the x86-64 llama.cpp library).
tests=(core_test gguf_test quant_test kernels_test tokenizer_test model_test generate_test)
say "arm64: configuring and building ${tests[*]} into $build/"
# The configure and build output goes to logs, shown when a step fails.
mkdir -p "$build"
if ! cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
  -DTRIT_BUILD_BENCHMARKS=OFF -DTRIT_WERROR=ON >"$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  echo "test-arm64.sh: configuring the arm64 build failed" >&2
  exit 1
fi
if ! cmake --build "$build" -j "$jobs" --target "${tests[@]}" trit >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log" >&2
  echo "test-arm64.sh: the arm64 build failed (log: $build/build.log)" >&2
  exit 1
fi

cpu="${TRIT_QEMU_CPU:-max}"
say "arm64: running under qemu-aarch64 -cpu $cpu"
failed=()
for t in "${tests[@]}"; do
  exe=$(find "$build/tests" -name "$t" -type f -perm -u+x | head -n 1)
  log="$build/$t.log"
  # Emulation runs about 10x slower: timed guards (tokenizer stress) scale their bounds by this.
  if TRIT_TEST_TIME_SCALE=10 qemu-aarch64 -L / -cpu "$cpu" "$exe" --gtest_brief=1 >"$log" 2>&1; then
    printf '  %-16s %s\n' "$t" "$(grep -E '^\[  PASSED  \]' "$log" | head -n 1)" >&2
  else
    failed+=("$t")
    printf '  %-16s FAILED (log: %s)\n' "$t" "$log" >&2
    tail -n 40 "$log" >&2
  fi
done

# End to end, across architectures: the arm64 trit (NEON kernels) generates the same greedy tokens
# as the x86-64 build (build/, AVX2/AVX-512 kernels) on tiny synthetic models of each type that
# has NEON kernels, and on one with the scalar kernels on both sides (TRIT_ISA=scalar).
x86_trit=${TRIT_X86_TRIT:-build/trit}
e2e="skipped"
if [[ -x $x86_trit ]]; then
  say "arm64: greedy tokens against the x86-64 build ($x86_trit)"
  e2e="tokens equal the x86-64 build's"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  arm() { qemu-aarch64 -L / -cpu "$cpu" "$build/trit" "$@"; }
  tokens() { python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"])'; }
  for spec in "bitnet tq2_0" "bitnet i2_s" "bitnet tq1_0" "llama q8_0" "llama q4_0" "llama f16" "bitnet tq2_0 scalar"; do
    read -r arch type isa <<<"$spec"
    model="$work/$arch-$type.gguf"
    [[ -f $model ]] || arm synth --arch "$arch" --shape tiny --type "$type" -o "$model" >/dev/null 2>&1
    run=(run -m "$model" -p "The quick brown fox" -n 24 --greedy --json -t 2)
    want=$(TRIT_ISA=${isa:-} "$x86_trit" "${run[@]}" 2>/dev/null | tokens)
    got=$(TRIT_ISA=${isa:-} arm "${run[@]}" 2>/dev/null | tokens)
    label="$arch $type${isa:+ (TRIT_ISA=$isa)}"
    if [[ -n $want && $got == "$want" ]]; then
      printf '  %-32s same 24 tokens\n' "$label" >&2
    else
      failed+=("e2e:$arch-$type${isa:+-$isa}")
      printf '  %-32s DIFFERENT\n    x86-64: %s\n    arm64:  %s\n' "$label" "$want" "$got" >&2
    fi
  done
else
  printf '\033[1;33m==> SKIPPED: arm64 vs x86-64 tokens (no %s; run scripts/setup.sh)\033[0m\n' "$x86_trit" >&2
fi

if ((${#failed[@]})); then
  echo "test-arm64.sh: failed: ${failed[*]}" >&2
  exit 1
fi
say "arm64: all ${#tests[@]} test programs passed; end to end: $e2e"
