#!/usr/bin/env bash
# Render crossval-summary.md from crossval result folders with `trit crossval summary`, print it, and
# append it to the GitHub job summary ($GITHUB_STEP_SUMMARY) when there is one. The summary includes the
# model matrix table (from the crossval-matrix.tsv a lane writes) and, when perf results are among the
# folders (perf-compare.json files from scripts/ci/perf.sh), a performance table.
#
# Run locally:  scripts/ci/summary.sh [-o FILE] [DIR...]
#   DIR...          result folders (default: every out/crossval/lane-* folder, as the lane scripts write
#                   them, and out/perf when it exists)
#   -o FILE         output (default crossval-summary.md)
#   --artifacts DIR a folder of downloaded workflow artifacts: its crossval-lane-* and crossval-perf-*
#                   folders are used, and with LANE_B=true / LANE_A=true / PERF=true (check-trigger's
#                   outputs) the jobs' artifact
#                   folders are expected: one that is missing is created empty, so the summary lists it
#                   as "no results" instead of leaving it out
#   TRIT_BIN        trit to use; else build/ (TRIT_BUILD_DIR) is configured and `trit` built there
#   ARTIFACTS_URL   where the artifacts can be downloaded (the workflow passes the run's URL)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

out=crossval-summary.md
artifacts=""
dirs=()
while (($#)); do
  case "$1" in
    -o) out="${2:?-o needs a file}"; shift 2 ;;
    --artifacts) artifacts="${2:?--artifacts needs a folder}"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 0 ;;
    *) dirs+=("$1"); shift ;;
  esac
done
if [[ -n "$artifacts" ]]; then
  # The artifact names the workflow uploads: crossval-<job>-<runner.os>.
  expected=()
  [[ "${LANE_B:-false}" != true ]] || expected+=(crossval-lane-b-llama-Linux crossval-lane-b-llama-macOS)
  [[ "${LANE_A:-false}" != true ]] || expected+=(crossval-lane-a-bitnet-Linux)
  [[ "${PERF:-false}" != true ]] || expected+=(crossval-perf-Linux)
  for name in ${expected[@]+"${expected[@]}"}; do
    if [[ ! -d "$artifacts/$name" ]]; then
      warn "no artifact $name: that lane job produced no results"
      mkdir -p "$artifacts/$name"
    fi
  done
  for d in "$artifacts"/crossval-lane-* "$artifacts"/crossval-perf-*; do [[ -d "$d" ]] && dirs+=("$d"); done
fi
if ((${#dirs[@]} == 0)); then
  for d in out/crossval/lane-* out/perf; do [[ -d "$d" ]] && dirs+=("$d"); done
fi
((${#dirs[@]})) || die "no result folders (none given, none under out/crossval/lane-* or out/perf)" 4
if [[ -n "${TRIT_BIN:-}" ]]; then
  trit="$TRIT_BIN"
else
  build_dir="${TRIT_BUILD_DIR:-build}"
  configure_build "$build_dir"
  cmake --build "$build_dir" -j "$(ncpu)" --target trit
  trit="$build_dir/trit"
fi

flags=()
if [[ -n "${ARTIFACTS_URL:-}" ]] && "$trit" crossval summary --help 2>&1 | grep -q -- --artifacts-url; then
  flags+=(--artifacts-url "$ARTIFACTS_URL")
fi
say "trit crossval summary ${dirs[*]} -o $out"
"$trit" crossval summary "${dirs[@]}" ${flags[@]+"${flags[@]}"} -o "$out"
cat "$out"
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then cat "$out" >>"$GITHUB_STEP_SUMMARY"; fi
