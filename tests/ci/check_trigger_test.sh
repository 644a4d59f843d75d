#!/usr/bin/env bash
# Unit test of scripts/ci/check-trigger: which lanes run for each event, weekday, label and input.
# Run locally:  bash tests/ci/check_trigger_test.sh   (also registered in ctest as ci_check_trigger)
set -euo pipefail
script="$(cd "$(dirname "$0")/../.." && pwd)/scripts/ci/check-trigger"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect NAME "lane_b=X lane_a=Y" [env assignments...] -- [args...]
# Runs check-trigger with a clean environment plus the given variables, writing to a GITHUB_OUTPUT file.
expect() {
  local name="$1" want="$2"; shift 2
  local envs=() args=()
  while (($#)) && [[ "$1" != -- ]]; do envs+=("$1"); shift; done
  [[ "${1-}" == -- ]] && shift
  args=("$@")
  local out="$tmp/out"
  : >"$out"
  if ! env -i PATH="$PATH" GITHUB_OUTPUT="$out" "${envs[@]}" bash "$script" "${args[@]}" 2>"$tmp/err"; then
    echo "FAIL $name: exit $? ($(cat "$tmp/err"))"; failures=$((failures + 1)); return
  fi
  local got
  got="$(grep -E '^lane_(b|a)=' "$out" | tr '\n' ' ' | sed 's/ $//')"
  if [[ "$got" == "$want" ]]; then echo "ok   $name"
  else echo "FAIL $name: want '$want', got '$got'"; failures=$((failures + 1)); fi
}

# expect_exit NAME CODE [env...] -- [args...]
expect_exit() {
  local name="$1" code="$2"; shift 2
  local envs=()
  while (($#)) && [[ "$1" != -- ]]; do envs+=("$1"); shift; done
  [[ "${1-}" == -- ]] && shift
  local rc=0
  env -i PATH="$PATH" GITHUB_OUTPUT="$tmp/out" "${envs[@]}" bash "$script" "$@" >/dev/null 2>&1 || rc=$?
  if [[ "$rc" == "$code" ]]; then echo "ok   $name"
  else echo "FAIL $name: want exit $code, got $rc"; failures=$((failures + 1)); fi
}

# Schedule: Lane B daily, Lane A too on Sundays.
expect "schedule Monday"   "lane_b=true lane_a=false" GITHUB_EVENT_NAME=schedule TRIT_WEEKDAY=1
expect "schedule Saturday" "lane_b=true lane_a=false" GITHUB_EVENT_NAME=schedule TRIT_WEEKDAY=6
expect "schedule Sunday"   "lane_b=true lane_a=true"  GITHUB_EVENT_NAME=schedule TRIT_WEEKDAY=7
expect "schedule Sunday (flags)" "lane_b=true lane_a=true" -- --event schedule --weekday 7
expect "flag overrides env" "lane_b=true lane_a=false" GITHUB_EVENT_NAME=schedule TRIT_WEEKDAY=7 -- --weekday 3

# Manual dispatch: each value of the `lane` input.
expect "dispatch lane-b-llama"  "lane_b=true lane_a=false" GITHUB_EVENT_NAME=workflow_dispatch INPUT_LANE=lane-b-llama
expect "dispatch lane-a-bitnet" "lane_b=false lane_a=true" GITHUB_EVENT_NAME=workflow_dispatch INPUT_LANE=lane-a-bitnet
expect "dispatch both"          "lane_b=true lane_a=true"  GITHUB_EVENT_NAME=workflow_dispatch INPUT_LANE=both
expect "dispatch default"       "lane_b=true lane_a=false" GITHUB_EVENT_NAME=workflow_dispatch
expect "dispatch on Sunday is still the input" "lane_b=false lane_a=true" \
  GITHUB_EVENT_NAME=workflow_dispatch INPUT_LANE=lane-a-bitnet TRIT_WEEKDAY=7
expect_exit "dispatch unknown lane" 2 GITHUB_EVENT_NAME=workflow_dispatch INPUT_LANE=lane-c

# Pull requests: Lane B only with the `crossval` label, never Lane A.
expect "PR without label"  "lane_b=false lane_a=false" GITHUB_EVENT_NAME=pull_request PR_LABELS=""
expect "PR other labels"   "lane_b=false lane_a=false" GITHUB_EVENT_NAME=pull_request PR_LABELS="bug,crossval-later"
expect "PR with label"     "lane_b=true lane_a=false"  GITHUB_EVENT_NAME=pull_request PR_LABELS="bug,crossval"
expect "PR label, spaces"  "lane_b=true lane_a=false"  GITHUB_EVENT_NAME=pull_request PR_LABELS=" crossval , perf"
expect "PR label, newline" "lane_b=true lane_a=false"  GITHUB_EVENT_NAME=pull_request "PR_LABELS=perf
crossval"
expect "PR on Sunday"      "lane_b=true lane_a=false"  GITHUB_EVENT_NAME=pull_request PR_LABELS=crossval TRIT_WEEKDAY=7

# Push and anything else: required checks only.
expect "push"              "lane_b=false lane_a=false" GITHUB_EVENT_NAME=push
expect "push on Sunday"    "lane_b=false lane_a=false" GITHUB_EVENT_NAME=push TRIT_WEEKDAY=7
expect "no event"          "lane_b=false lane_a=false"

# Bad usage.
expect_exit "bad weekday" 2 GITHUB_EVENT_NAME=schedule TRIT_WEEKDAY=8
expect_exit "unknown flag" 2 -- --frobnicate

# expect_key NAME KEY VALUE [env...] -- [args...]: one more output (perf, matrix_tier).
expect_key() {
  local name="$1" key="$2" want="$3"; shift 3
  local envs=()
  while (($#)) && [[ "$1" != -- ]]; do envs+=("$1"); shift; done
  [[ "${1-}" == -- ]] && shift
  : >"$tmp/out"
  if ! env -i PATH="$PATH" GITHUB_OUTPUT="$tmp/out" "${envs[@]}" bash "$script" "$@" 2>"$tmp/err"; then
    echo "FAIL $name: exit $? ($(cat "$tmp/err"))"; failures=$((failures + 1)); return
  fi
  local got
  got="$(sed -n "s/^$key=//p" "$tmp/out")"
  if [[ "$got" == "$want" ]]; then echo "ok   $name"
  else echo "FAIL $name: want $key=$want, got '$got'"; failures=$((failures + 1)); fi
}

# Perf: every scheduled run, PRs labelled `perf`, by hand with input perf=true.
expect_key "perf on schedule"        perf true  GITHUB_EVENT_NAME=schedule TRIT_WEEKDAY=2
expect_key "perf: PR labelled perf"  perf true  GITHUB_EVENT_NAME=pull_request PR_LABELS="bug, perf"
expect_key "perf: PR label alone does not run Lane B" lane_b false GITHUB_EVENT_NAME=pull_request PR_LABELS=perf
expect_key "perf: PR crossval only"  perf false GITHUB_EVENT_NAME=pull_request PR_LABELS=crossval
expect_key "perf: PR perf-later"     perf false GITHUB_EVENT_NAME=pull_request PR_LABELS=perf-later
expect_key "perf: dispatch default"  perf false GITHUB_EVENT_NAME=workflow_dispatch
expect_key "perf: dispatch input"    perf true  GITHUB_EVENT_NAME=workflow_dispatch INPUT_PERF=true
expect_key "perf: flag"              perf true  -- --event workflow_dispatch --perf true
expect_key "perf: push"              perf false GITHUB_EVENT_NAME=push
expect_exit "perf: dispatch bad input" 2 GITHUB_EVENT_NAME=workflow_dispatch INPUT_PERF=yes

# The model matrix's tiers: full shapes on schedule (or by hand), tiny everywhere else.
expect_key "tier on schedule"        matrix_tier tiny,full GITHUB_EVENT_NAME=schedule TRIT_WEEKDAY=3
expect_key "tier on PR"              matrix_tier tiny GITHUB_EVENT_NAME=pull_request PR_LABELS=crossval
expect_key "tier dispatch default"   matrix_tier tiny GITHUB_EVENT_NAME=workflow_dispatch
expect_key "tier dispatch input"     matrix_tier tiny,full GITHUB_EVENT_NAME=workflow_dispatch INPUT_MATRIX_TIER=tiny,full
expect_exit "tier dispatch bad input" 2 GITHUB_EVENT_NAME=workflow_dispatch INPUT_MATRIX_TIER=huge

# Without GITHUB_OUTPUT the decision goes to stdout.
got="$(env -i PATH="$PATH" bash "$script" --event schedule --weekday 7 2>/dev/null | grep -c '^lane_[ab]=true')"
if [[ "$got" == 2 ]]; then echo "ok   stdout when GITHUB_OUTPUT unset"
else echo "FAIL stdout when GITHUB_OUTPUT unset: got $got true lines"; failures=$((failures + 1)); fi

if ((failures)); then echo "$failures check-trigger test(s) failed"; exit 1; fi
echo "all check-trigger tests passed"
