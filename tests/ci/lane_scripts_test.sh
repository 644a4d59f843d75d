#!/usr/bin/env bash
# Tests of the lane scripts' verdicts with a stand-in trit (tests/ci/fake-trit): a model that fails
# parity fails Lane B (exit 1) while the others still run; a missing reference is exit 3; Lane A
# without bitnet.cpp skips loudly (exit 0) unless TRIT_REQUIRE_REF=true (exit 3).
# Run locally:  bash tests/ci/lane_scripts_test.sh   (also registered in ctest as ci_lane_scripts)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
fake="$root/tests/ci/fake-trit"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0

# run_lane NAME WANT_EXIT SCRIPT [env assignments...]
run_lane() {
  local name="$1" want="$2" script="$3"; shift 3
  local rc=0
  env TRIT_BIN="$fake" TRIT_SKIP_REFERENCE=1 OUT_DIR="$tmp/out/$name" MODELS_DIR="$tmp/models" \
      TRIT_LANE_B_MATRIX="bitnet:tq2_0 llama:q8_0" TRIT_LANE_A_MATRIX="bitnet-b1.58:i2_s" GITHUB_ACTIONS= \
      "$@" bash "$root/scripts/ci/$script" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  if [[ "$rc" == "$want" ]]; then echo "ok   $name (exit $rc)"
  else echo "FAIL $name: want exit $want, got $rc"; sed 's/^/     /' "$tmp/$name.err"; failures=$((failures + 1)); fi
}
expect_in() {  # expect_in NAME FILE REGEX (extended)
  if grep -qE -- "$3" "$2"; then echo "ok   $1"
  else echo "FAIL $1: '$3' not in $2"; sed 's/^/     /' "$2"; failures=$((failures + 1)); fi
}

run_lane "lane B all pass" 0 lane-b-llama.sh
expect_in "lane B wrote a parity file per model" <(ls "$tmp/out/lane B all pass"/*/crossval-parity-llama.json) "llama-q8_0/crossval-parity-llama.json"

run_lane "lane B parity failure" 1 lane-b-llama.sh FAKE_RESULTS="bitnet-tq2_0=1"
expect_in "lane B names the failed model" "$tmp/lane B parity failure.err" "bitnet-tq2_0 +FAILED: parity outside tolerance"
expect_in "lane B still ran the other model" "$tmp/lane B parity failure.err" "llama-q8_0 +exit 0, status pass"

run_lane "lane B reference error" 1 lane-b-llama.sh FAKE_RESULTS="bitnet-tq2_0=error"
expect_in "lane B says a reference error is an error, with its reason" "$tmp/lane B reference error.err" \
  "bitnet-tq2_0 +FAILED: error: the reference could not open bitnet-tq2_0.gguf \(fake\) -- this llama reference build does not read architecture 'fake-arch'"
run_lane "lane B tokenization failure" 1 lane-b-llama.sh FAKE_RESULTS="llama-q8_0=2"
run_lane "lane B no reference" 3 lane-b-llama.sh FAKE_SKIP=1
run_lane "lane B parity outranks no reference" 1 lane-b-llama.sh FAKE_RESULTS="llama-q8_0=1 bitnet-tq2_0=3"
run_lane "lane B bad matrix entry" 4 lane-b-llama.sh TRIT_LANE_B_MATRIX="bitnet"

# The matrix file (benchmarks/matrix.tsv's format): rows selected by lane and tier, one entry per type,
# a real model file used as is, and the entries run written for the summary.
cat >"$tmp/matrix.tsv" <<'TSV'
# name       tier  lanes       arch    shape           types        model
small-bit    tiny  llama,perf  bitnet  tiny            tq2_0,q8_0   -
big-llama    full  llama       llama   1024x2x8x2x2048 q4_0         -
perf-only    tiny  perf        llama   tiny            f16          -
mine         tiny  llama       llama   -               -            MODEL_PATH
TSV
: >"$tmp/mine.gguf"
sed -i.bak "s|MODEL_PATH|$tmp/mine.gguf|" "$tmp/matrix.tsv"
run_lane "lane B matrix tiny" 0 lane-b-llama.sh TRIT_LANE_B_MATRIX= TRIT_MATRIX_FILE="$tmp/matrix.tsv"
expect_in "lane B matrix: one entry per type" <(ls "$tmp/out/lane B matrix tiny") "^small-bit-q8_0$"
expect_in "lane B matrix: real model file by path" "$tmp/out/lane B matrix tiny/mine/crossval-parity-llama.json" '"status": "pass"'
expect_in "lane B matrix: writes crossval-matrix.tsv" "$tmp/out/lane B matrix tiny/crossval-matrix.tsv" \
  "^small-bit-tq2_0	small-bit	tiny	bitnet	tiny	tq2_0	-$"
if [[ -e "$tmp/out/lane B matrix tiny/big-llama-q4_0" || -e "$tmp/out/lane B matrix tiny/perf-only-f16" ]]; then
  echo "FAIL lane B matrix tiny ran a full-tier or perf-only row"; failures=$((failures + 1))
else echo "ok   lane B matrix tiny skips full-tier and perf-only rows"; fi
run_lane "lane B matrix tiny,full" 0 lane-b-llama.sh TRIT_LANE_B_MATRIX= TRIT_MATRIX_FILE="$tmp/matrix.tsv" \
  TRIT_MATRIX_TIER=tiny,full
expect_in "lane B matrix full tier runs the full row" <(ls "$tmp/out/lane B matrix tiny,full") "^big-llama-q4_0$"
run_lane "lane B matrix failure names the entry" 1 lane-b-llama.sh TRIT_LANE_B_MATRIX= \
  TRIT_MATRIX_FILE="$tmp/matrix.tsv" FAKE_RESULTS="small-bit-q8_0=1"
expect_in "lane B matrix failed entry" "$tmp/lane B matrix failure names the entry.err" "small-bit-q8_0 +FAILED: parity"
run_lane "lane B matrix bad tier" 4 lane-b-llama.sh TRIT_LANE_B_MATRIX= TRIT_MATRIX_FILE="$tmp/matrix.tsv" \
  TRIT_MATRIX_TIER=huge
printf 'broken tiny llama\n' >"$tmp/bad.tsv"
run_lane "lane B malformed matrix" 4 lane-b-llama.sh TRIT_LANE_B_MATRIX= TRIT_MATRIX_FILE="$tmp/bad.tsv"
expect_in "lane B malformed matrix names the line" "$tmp/lane B malformed matrix.err" "bad.tsv:1: expected 7 fields"
run_lane "lane B missing model file" 4 lane-b-llama.sh TRIT_LANE_B_MATRIX="gone=@$tmp/nope.gguf"
# The committed matrix parses, and its tiny tier covers every full row's arch and types.
if rows="$(bash "$root/scripts/ci/matrix.sh" --lane llama --tier tiny,full 2>"$tmp/matrix.err")"; then
  echo "ok   benchmarks/matrix.tsv parses"
  missing="$(awk -F '\t' '$3 == "full" { f[$2 "\t" $4 "\t" $6] = 1 }
                          $3 == "tiny" { sub(/-tiny$/, "", $2); t[$2 "\t" $4 "\t" $6] = 1 }
                          END { for (k in f) if (!(k in t)) print k }' <<<"$rows")"
  if [[ -z "$missing" ]]; then echo "ok   every full row has a tiny twin (same arch and types)"
  else echo "FAIL full rows without a tiny twin: $missing"; failures=$((failures + 1)); fi
else
  echo "FAIL benchmarks/matrix.tsv: $(cat "$tmp/matrix.err")"; failures=$((failures + 1))
fi

run_lane "lane A skipped loudly" 0 lane-a-bitnet.sh FAKE_SKIP=1
expect_in "lane A skip warns" "$tmp/lane A skipped loudly.err" "WARNING: Lane A SKIPPED"
run_lane "lane A skipped, annotated in Actions" 0 lane-a-bitnet.sh FAKE_SKIP=1 GITHUB_ACTIONS=true
expect_in "lane A skip annotation" "$tmp/lane A skipped, annotated in Actions.out" "::warning::Lane A did not run against bitnet.cpp"
run_lane "lane A required but absent" 3 lane-a-bitnet.sh FAKE_SKIP=1 TRIT_REQUIRE_REF=true
run_lane "lane A parity failure" 1 lane-a-bitnet.sh FAKE_RESULTS="bitnet-b1.58-i2_s=1"
run_lane "lane A pass" 0 lane-a-bitnet.sh

if ((failures)); then echo "$failures lane-script test(s) failed"; exit 1; fi
echo "all lane-script tests passed"
