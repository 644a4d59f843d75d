# Shared helpers for scripts/ci/*.sh (sourced, not run). Paths are relative to the repository root,
# which every script cd's into first, so a script behaves the same on a laptop and in the workflow.
# shellcheck shell=bash

ci_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ci_root" || exit 1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
# A warning that GitHub Actions also shows as an annotation on the run.
warn() {
  printf 'WARNING: %s\n' "$*" >&2
  if [[ "${GITHUB_ACTIONS:-}" == true ]]; then echo "::warning::$*"; fi
}
die() {  # die MESSAGE [EXIT_CODE]
  printf 'ERROR: %s\n' "$1" >&2
  if [[ "${GITHUB_ACTIONS:-}" == true ]]; then echo "::error::$1"; fi
  exit "${2:-1}"
}

ncpu() { getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2; }

# configure_build DIR [cmake args...]: configure DIR (Ninja for a new tree) with $TRIT_CMAKE_ARGS,
# the same flags scripts/setup.sh passes, so a tree setup.sh built is not rebuilt from scratch.
configure_build() {
  local dir="$1"; shift
  local args=(-S "$ci_root" -B "$dir" -DCMAKE_BUILD_TYPE=Release)
  if [[ ! -f "$dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then args+=(-G Ninja); fi
  # shellcheck disable=SC2206  # TRIT_CMAKE_ARGS is a space-separated list of -D flags, by design
  local extra=(${TRIT_CMAKE_ARGS:-})
  cmake "${args[@]}" ${extra[@]+"${extra[@]}"} "$@" >/dev/null
}

# crossval_test_targets DIR: the gtest executables of the crossval tests (targets crossval*_test).
crossval_test_targets() {
  # Ninja lists "name: phony", Makefiles "... name".
  cmake --build "$1" --target help | sed -nE 's/^(\.\.\. )?(crossval[A-Za-z0-9_]*_test)(: .*)?$/\2/p' | sort -u
}

# build_trit DIR: build the trit binary and the crossval test executables in DIR.
build_trit() {
  local dir="$1" t targets=()
  while IFS= read -r t; do targets+=("$t"); done < <(crossval_test_targets "$dir")
  say "building trit ${targets[*]-} in $dir"
  cmake --build "$dir" -j "$(ncpu)" --target trit ${targets[@]+"${targets[@]}"}
}

# trit_for_crossval DIR: sets $trit, the binary the crossval lanes run: $TRIT_BIN when set, else DIR
# configured with -DTRIT_FFI=ON and trit + the crossval tests built there (DIR/trit). Exit 4: none.
trit_for_crossval() {
  local dir="$1"
  if [[ -n "${TRIT_BIN:-}" ]]; then
    trit="$TRIT_BIN"
  else
    configure_build "$dir" -DTRIT_FFI=ON
    build_trit "$dir"
    trit="$dir/trit"
  fi
  [[ -x "$trit" ]] || die "no trit binary at $trit" 4
}

# run_crossval_tests DIR: run every crossval test executable built in DIR (they skip loudly when a
# reference is absent).
run_crossval_tests() {
  local dir="$1" t exe failed=0
  while IFS= read -r t; do
    exe="$(find "$dir/tests" -type f -name "$t" -perm -u+x | head -n1)"
    [[ -n "$exe" ]] || die "test executable $t not found under $dir/tests"
    say "running $t"
    "$exe" --gtest_brief=1 || failed=1
  done < <(crossval_test_targets "$dir")
  return "$failed"
}

# json_field FILE KEY: the string value of the first top-level "KEY" in a JSON file (jq when present).
json_field() {
  if command -v jq >/dev/null; then
    jq -r --arg k "$2" '.[$k] // empty' "$1"
  else
    tr -d '\n' <"$1" | sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n1
  fi
}

# expect_all_skipped TRIT OUT_DIR: with no reference reachable, `trit crossval --lane both` must exit 0,
# write a parity file and a receipt per lane with status "skipped" and a reason, and never "pass";
# with --require-ref it must exit 3 (CONTRACT.md).
expect_all_skipped() {
  local trit="$1" out="$2" rc=0 lane f status
  rm -rf "$out" && mkdir -p "$out"
  say "trit crossval --lane both (no reference reachable): expect exit 0, every lane skipped"
  "$trit" crossval --lane both --out-dir "$out" --format text 2> >(tee "$out/crossval.log" >&2) || rc=$?
  [[ "$rc" == 0 ]] || die "trit crossval without a reference exited $rc, expected 0 (skipped is not a failure)"
  for lane in llama bitnet; do
    for f in "$out/crossval-parity-$lane.json" "$out/crossval-receipt-$lane.json"; do
      [[ -f "$f" ]] || die "$f was not written"
      status="$(json_field "$f" status)"
      [[ "$status" == skipped ]] || die "$f: status '$status', expected 'skipped'"
      [[ -n "$(json_field "$f" reason)" ]] || die "$f: a skipped lane must say why (empty reason)"
    done
    say "lane $lane: skipped: $(json_field "$out/crossval-parity-$lane.json" reason)"
  done
  rc=0
  say "trit crossval --lane llama --require-ref: expect exit 3"
  "$trit" crossval --lane llama --require-ref --out-dir "$out/require-ref" 2>>"$out/crossval.log" || rc=$?
  [[ "$rc" == 3 ]] || die "trit crossval --require-ref without a reference exited $rc, expected 3"
}

# parse_matrix_entry ENTRY: split one matrix entry into entry_name, entry_arch, entry_shape,
# entry_type (a model to synthesize) or entry_model (a GGUF file to use as is). Forms:
#   ARCH:TYPE               shape tiny, named ARCH-TYPE
#   NAME=ARCH:SHAPE:TYPE    (scripts/ci/matrix.sh writes these from benchmarks/matrix.tsv)
#   NAME=@PATH              an existing model file
# Returns 1 when ENTRY has none of these forms.
parse_matrix_entry() {
  local e="$1" spec
  entry_name="" entry_arch="" entry_shape=tiny entry_type="" entry_model=""
  case "$e" in
    *=@*) entry_name="${e%%=@*}" entry_model="${e#*=@}"
          [[ -n "$entry_name" && -n "$entry_model" ]] ;;
    *=*) entry_name="${e%%=*}" spec="${e#*=}"
         IFS=: read -r entry_arch entry_shape entry_type <<<"$spec"
         [[ -n "$entry_name" && -n "$entry_arch" && -n "$entry_shape" && -n "$entry_type" && "$entry_type" != *:* ]] ;;
    *:*) entry_arch="${e%%:*}" entry_type="${e#*:}" entry_name="${e%%:*}-${e#*:}"
         [[ -n "$entry_arch" && -n "$entry_type" && "$entry_type" != *:* ]] ;;
    *) return 1 ;;
  esac
}

# crossval_matrix LANE "ENTRY ..." TRIT OUT_DIR MODELS_DIR [crossval flags...]
# For each entry (forms: parse_matrix_entry): `trit synth` the model (seed 1) unless the entry names a
# file, then `trit crossval --lane LANE --out-dir OUT_DIR/NAME`, keeping report.md and the logs there.
# Prints one line per model (from the parity file's status) and returns the worst exit code: 1 (parity
# or tokenization) over 3 (no reference) over any other error (4); 0 when every run exited 0 (skipped
# runs included).
crossval_matrix() {
  local lane="$1" matrix="$2" trit="$3" out="$4" models="$5"; shift 5
  local entry name model rc status unknown_arch i worst=0 names=() rcs=() profile=()  # bash 3.2: no associative arrays
  rm -rf "$out"
  mkdir -p "$out" "$models"
  for entry in $matrix; do
    parse_matrix_entry "$entry" ||
      die "matrix entry '$entry' is not ARCH:TYPE, NAME=ARCH:SHAPE:TYPE or NAME=@MODEL_PATH" 4
    name="$entry_name"
    names+=("$name")
    mkdir -p "$out/$name"
    if [[ -n "$entry_model" ]]; then
      model="$entry_model"
      if [[ ! -f "$model" ]]; then
        echo "model file $model (matrix entry $name) does not exist" | tee "$out/$name/synth.log" >&2
        rcs+=(4)
        continue
      fi
    else
      model="$models/$name.gguf"
      say "[$name] trit synth --arch $entry_arch --shape $entry_shape --type $entry_type --seed 1"
      if ! "$trit" synth --arch "$entry_arch" --shape "$entry_shape" --type "$entry_type" --seed 1 -o "$model" \
           2>"$out/$name/synth.log"; then
        cat "$out/$name/synth.log" >&2
        rcs+=(4)
        continue
      fi
    fi
    # Formats whose float summation order differs from ggml's x86 SIMD kernels are held to the
    # `reorder` profile (src/crossval/profile.cpp says why), unless the caller chose a profile.
    profile=()
    # Known gap, also held to `reorder`: bitnet_b1_58-large's head dimension 96 (not a multiple of
    # ggml's 32-element SIMD step); `trit crossval --trace` puts the first divergence at layer 1
    # ffn_sub_out, cos 0.99982, from one-ulp differences in layer 0's attention.
    profile=()
    if [[ " $* " != *" --tolerance "* ]] &&
       [[ " ${TRIT_REORDER_TYPES:-tq1_0 q8_0 q4_0} " == *" $entry_type "* ||
          " ${TRIT_REORDER_ENTRIES:-bitnet-large-tiny-tq2_0 bitnet-large-tq2_0} " == *" $name "* ]]; then
      profile=(--tolerance reorder)
    fi
    say "[$name] trit crossval --lane $lane $* ${profile[*]}"
    rc=0
    "$trit" crossval --model "$model" --lane "$lane" "$@" ${profile[@]+"${profile[@]}"} --out-dir "$out/$name" \
      --format md >"$out/$name/report.md" 2> >(tee "$out/$name/crossval.log" >&2) || rc=$?
    rcs+=("$rc")
  done
  printf '\n%-32s %s\n' MODEL RESULT >&2
  for i in "${!names[@]}"; do
    name="${names[$i]}" rc="${rcs[$i]}"
    status="$(json_field "$out/$name/crossval-parity-$lane.json" status 2>/dev/null || true)"
    case "$rc" in
      0) result="exit 0, status ${status:-<no parity file>}" ;;
      1) if [[ "$status" == error ]]; then
           # Not a parity verdict: the comparison never ran (say, the reference could not load the model).
           result="FAILED: error: $(json_field "$out/$name/crossval-parity-$lane.json" reason 2>/dev/null || true)"
           unknown_arch="$(sed -n "s/.*unknown model architecture: '\([^']*\)'.*/\1/p" "$out/$name/crossval.log" 2>/dev/null | head -n1)"
           [[ -z "$unknown_arch" ]] ||
             result+=" -- this $lane reference build does not read architecture '$unknown_arch' (drop the entry, or use an architecture it reads)"
         else
           result="FAILED: parity outside tolerance"
         fi ;;
      2) result="FAILED: tokenization mismatch" ;;
      3) result="FAILED: reference unavailable" ;;
      *) result="FAILED: error, exit $rc (see $out/$name/*.log)" ;;
    esac
    printf '%-32s %s\n' "$name" "$result" >&2
    case "$rc" in
      0) ;;
      1|2) worst=1 ;;
      3) [[ "$worst" == 1 ]] || worst=3 ;;
      *) [[ "$worst" != 0 ]] || worst=4 ;;
    esac
  done
  return "$worst"
}
