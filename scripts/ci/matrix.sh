#!/usr/bin/env bash
# The model matrix, benchmarks/matrix.tsv (its header says what each column means), for the lane and
# perf scripts: sourced for matrix_rows / matrix_entries, or run to list what a lane would run.
#
# Run locally:  scripts/ci/matrix.sh [--lane llama|perf] [--tier tiny|full|tiny,full] [--file F]
#   prints one line per entry: ENTRY ROW TIER ARCH SHAPE TYPE MODEL (tab-separated)
#   TRIT_MATRIX_FILE  the matrix (default benchmarks/matrix.tsv)
#   TRIT_MATRIX_TIER  tiers to select, comma-separated (default tiny)
# Exit: 0; 4 a malformed matrix (the message names the file and line) or a bad tier / lane.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

matrix_lanes="llama perf"
matrix_tiers="tiny full"

# in_list WORD "A,B,C"
in_list() {
  local w
  for w in ${2//,/ }; do [[ "$w" == "$1" ]] && return 0; done
  return 1
}

# matrix_rows FILE LANE TIERS: the entries of the rows that run in LANE and whose tier is in TIERS
# (comma-separated), one per line, tab-separated: ENTRY ROW TIER ARCH SHAPE TYPE MODEL. A synthetic row
# gives one entry per type, named ROW-TYPE; a row with a model file gives one entry named ROW.
matrix_rows() {
  local file="$1" lane="$2" tiers="$3" n=0 line name tier lanes arch shape types model extra t
  [[ -f "$file" ]] || die "matrix file $file not found" 4
  in_list "$lane" "${matrix_lanes// /,}" || die "unknown matrix lane '$lane' (expected: $matrix_lanes)" 4
  for t in ${tiers//,/ }; do
    in_list "$t" "${matrix_tiers// /,}" || die "unknown matrix tier '$t' (expected: $matrix_tiers)" 4
  done
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    read -r name tier lanes arch shape types model extra <<<"$line"
    [[ -n "$model" && -z "$extra" ]] ||
      die "$file:$n: expected 7 fields (name tier lanes arch shape types model), got: $line" 4
    in_list "$tier" "${matrix_tiers// /,}" || die "$file:$n: tier must be tiny or full, got '$tier'" 4
    for t in ${lanes//,/ }; do
      in_list "$t" "${matrix_lanes// /,}" || die "$file:$n: unknown lane '$t' (expected: $matrix_lanes)" 4
    done
    if ! in_list "$lane" "$lanes" || ! in_list "$tier" "$tiers"; then continue; fi
    if [[ "$model" != - ]]; then
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$name" "$tier" "$arch" "$shape" "$types" "$model"
      continue
    fi
    [[ "$arch" != - && "$shape" != - && "$types" != - ]] ||
      die "$file:$n: a synthetic row (model -) needs arch, shape and types" 4
    for t in ${types//,/ }; do
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name-$t" "$name" "$tier" "$arch" "$shape" "$t" -
    done
  done <"$file"
}

# matrix_entries: matrix_rows' lines (stdin) as crossval_matrix entries (lib.sh parse_matrix_entry).
matrix_entries() {
  awk -F '\t' '{ if ($7 != "-") print $1 "=@" $7; else print $1 "=" $4 ":" $5 ":" $6 }'
}

# matrix_table_header: the header of the crossval-matrix.tsv a lane writes next to its results (read
# by the crossval summary's matrix table).
matrix_table_header() { printf '# entry\trow\ttier\tarch\tshape\ttype\tmodel\n'; }

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  lane=llama tier="${TRIT_MATRIX_TIER:-tiny}" file="${TRIT_MATRIX_FILE:-benchmarks/matrix.tsv}"
  while (($#)); do
    case "$1" in
      --lane) lane="${2:?--lane needs a value}"; shift 2 ;;
      --tier) tier="${2:?--tier needs a value}"; shift 2 ;;
      --file) file="${2:?--file needs a value}"; shift 2 ;;
      -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 0 ;;
      *) die "unknown argument '$1'" 4 ;;
    esac
  done
  matrix_rows "$file" "$lane" "$tier"
fi
