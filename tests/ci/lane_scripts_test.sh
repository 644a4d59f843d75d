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

run_lane "lane B tokenization failure" 1 lane-b-llama.sh FAKE_RESULTS="llama-q8_0=2"
run_lane "lane B no reference" 3 lane-b-llama.sh FAKE_SKIP=1
run_lane "lane B parity outranks no reference" 1 lane-b-llama.sh FAKE_RESULTS="llama-q8_0=1 bitnet-tq2_0=3"
run_lane "lane B bad matrix entry" 4 lane-b-llama.sh TRIT_LANE_B_MATRIX="bitnet"

run_lane "lane A skipped loudly" 0 lane-a-bitnet.sh FAKE_SKIP=1
expect_in "lane A skip warns" "$tmp/lane A skipped loudly.err" "WARNING: Lane A SKIPPED"
run_lane "lane A skipped, annotated in Actions" 0 lane-a-bitnet.sh FAKE_SKIP=1 GITHUB_ACTIONS=true
expect_in "lane A skip annotation" "$tmp/lane A skipped, annotated in Actions.out" "::warning::Lane A did not run against bitnet.cpp"
run_lane "lane A required but absent" 3 lane-a-bitnet.sh FAKE_SKIP=1 TRIT_REQUIRE_REF=true
run_lane "lane A parity failure" 1 lane-a-bitnet.sh FAKE_RESULTS="bitnet-b1.58-i2_s=1"
run_lane "lane A pass" 0 lane-a-bitnet.sh

if ((failures)); then echo "$failures lane-script test(s) failed"; exit 1; fi
echo "all lane-script tests passed"
