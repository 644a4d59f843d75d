#!/usr/bin/env bash
# Performance regression check: `trit bench` on the model matrix's perf rows (benchmarks/matrix.tsv, lane
# `perf`), each result compared with its committed baseline (benchmarks/baselines/<entry>.json) by
# `trit compare-baselines`. Writes, per entry, OUT_DIR/<entry>/perf-bench.json (the bench JSON),
# perf-compare.json and perf-compare.md; and OUT_DIR/perf-summary.md, every table in one file. The
# crossval summary shows the perf-compare.json files (`trit crossval summary`).
#
# Run locally:  scripts/ci/perf.sh [--update-baselines]
#   --update-baselines   write each bench result to BASELINE_DIR/<entry>.json instead of comparing
#   TRIT_PERF_MODE       ratio (default: `trit bench --ref llama`, trit/llama.cpp ratios from one run,
#                        comparable across machines) | absolute (trit's own numbers; no reference needed,
#                        same machine only)
#   TRIT_PERF_TOLERANCE  relative tolerance (default 0.05)
#   TRIT_PERF_ARGS       bench flags (default "-p 256 -n 64 -r 7 -t 1"; the baselines were made with them)
#   TRIT_MATRIX_TIER     matrix tiers, comma-separated (default tiny; tiny,full on the schedule)
#   TRIT_MATRIX_FILE     the matrix (default benchmarks/matrix.tsv)
#   BASELINE_DIR         baselines (default benchmarks/baselines)
#   TRIT_SKIP_REFERENCE  1: do not fetch llama.cpp / build the shim (ratio mode still needs one)
#   TRIT_BUILD_DIR       build tree (default build; configured with -DTRIT_FFI=ON)
#   TRIT_BIN             use this trit binary instead of building one
#   OUT_DIR              results (default out/perf)
#   MODELS_DIR           synthetic models (default out/perf-models)
# An entry without a baseline is reported (and annotated in Actions), not failed.
# Exit: 0 no regression; 1 a regression beyond the tolerance; 3 no reference (ratio mode); 4 bad usage
# or input (a bench that failed, a malformed baseline).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=matrix.sh
source "$(dirname "$0")/matrix.sh"

update=0
while (($#)); do
  case "$1" in
    --update-baselines) update=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 0 ;;
    *) die "unknown argument '$1'" 4 ;;
  esac
done
mode="${TRIT_PERF_MODE:-ratio}"
[[ "$mode" == ratio || "$mode" == absolute ]] || die "TRIT_PERF_MODE must be ratio or absolute, got '$mode'" 4
tolerance="${TRIT_PERF_TOLERANCE:-0.05}"
# shellcheck disable=SC2206  # a space-separated list of bench flags, by design
bench_args=(${TRIT_PERF_ARGS:--p 256 -n 64 -r 7 -t 1})
baselines="${BASELINE_DIR:-benchmarks/baselines}"
out_dir="${OUT_DIR:-out/perf}"
models_dir="${MODELS_DIR:-out/perf-models}"
rows="$(matrix_rows "${TRIT_MATRIX_FILE:-benchmarks/matrix.tsv}" perf "${TRIT_MATRIX_TIER:-tiny}")"
[[ -n "$rows" ]] || die "no matrix rows for lane perf, tier ${TRIT_MATRIX_TIER:-tiny}" 4

# 1. The reference (ratio mode): as Lane B, the pinned llama.cpp and the shim.
ref=()
if [[ "$mode" == ratio ]]; then
  ref=(--ref llama)
  if [[ -z "${TRIT_SKIP_REFERENCE:-}" ]]; then
    scripts/fetch-llama-cpp.sh || die "could not fetch the llama.cpp reference" 3
    scripts/build-shim.sh || die "could not build the Lane B shim" 3
  fi
fi

# 2. trit.
if [[ -n "${TRIT_BIN:-}" ]]; then
  trit="$TRIT_BIN"
else
  build_dir="${TRIT_BUILD_DIR:-build}"
  configure_build "$build_dir" -DTRIT_FFI=ON
  cmake --build "$build_dir" -j "$(ncpu)" --target trit
  trit="$build_dir/trit"
fi
[[ -x "$trit" ]] || die "no trit binary at $trit" 4

# 3. Bench and compare each entry; the exit code names the worst outcome.
rm -rf "$out_dir"
mkdir -p "$out_dir" "$models_dir"
summary="$out_dir/perf-summary.md"
{
  echo "# Performance ($mode mode, tolerance $tolerance, bench ${bench_args[*]})"
  echo
} >"$summary"
worst=0
no_baseline=()
while IFS=$'\t' read -r entry _ _ arch shape type model; do
  dir="$out_dir/$entry"
  mkdir -p "$dir"
  if [[ "$model" == - ]]; then
    model="$models_dir/$entry.gguf"
    say "[$entry] trit synth --arch $arch --shape $shape --type $type --seed 1"
    "$trit" synth --arch "$arch" --shape "$shape" --type "$type" --seed 1 -o "$model" 2>"$dir/synth.log" ||
      { cat "$dir/synth.log" >&2; die "[$entry] trit synth failed" 4; }
  fi
  say "[$entry] trit bench -m $model ${bench_args[*]} ${ref[*]-} --json"
  rc=0
  "$trit" bench -m "$model" "${bench_args[@]}" ${ref[@]+"${ref[@]}"} --json >"$dir/perf-bench.json" \
    2> >(tee "$dir/bench.log" >&2) || rc=$?
  ((rc == 0)) || die "[$entry] trit bench exited $rc (see $dir/bench.log)" "$rc"
  if ((update)); then
    mkdir -p "$baselines"
    cp "$dir/perf-bench.json" "$baselines/$entry.json"
    say "[$entry] baseline written: $baselines/$entry.json"
    continue
  fi
  if [[ ! -f "$baselines/$entry.json" ]]; then
    warn "[$entry] no baseline $baselines/$entry.json: not compared (make one with scripts/ci/perf.sh --update-baselines)"
    no_baseline+=("$entry")
    continue
  fi
  rc=0
  "$trit" compare-baselines --current "$dir/perf-bench.json" --baseline "$baselines/$entry.json" \
    --tolerance "$tolerance" --mode "$mode" --format json >"$dir/perf-compare.json" || rc=$?
  if ((rc != 0 && rc != 1)); then die "[$entry] trit compare-baselines exited $rc" "$rc"; fi
  "$trit" compare-baselines --current "$dir/perf-bench.json" --baseline "$baselines/$entry.json" \
    --tolerance "$tolerance" --mode "$mode" --format md >"$dir/perf-compare.md" 2>/dev/null || true
  { sed "1s/^### Performance: [^ ]*/### Performance: $entry/" "$dir/perf-compare.md"; echo; } >>"$summary"
  if ((rc == 1)); then
    warn "[$entry] performance regression beyond $tolerance (see $dir/perf-compare.md)"
    worst=1
  fi
done <<<"$rows"
if ((${#no_baseline[@]})); then
  printf 'No baseline (not compared): %s\n' "${no_baseline[*]}" >>"$summary"
fi
((update)) && { say "baselines updated in $baselines"; exit 0; }
cat "$summary"
((worst == 0)) || die "performance regression (results in $out_dir)" 1
say "perf: no regression beyond $tolerance (results in $out_dir)"
