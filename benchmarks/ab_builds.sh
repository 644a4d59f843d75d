#!/usr/bin/env bash
# Two builds of trit on one model, runs alternating (A B, then B A, ...), each a short
# `trit bench --json` decode with its paired bandwidth ceiling: the medians per build of the paired
# fraction and of tg tokens/s. For changes that move code in a hot loop, where a runtime switch in
# one process measures a different program (docs/perf-notes.md, "measuring by builds").
#
#   benchmarks/ab_builds.sh OLD_TRIT NEW_TRIT MODEL [THREADS [RUNS]]
#
# Build the old one from a second worktree, e.g.
#   git worktree add /tmp/old HEAD~1 && cmake -S /tmp/old -B /tmp/old/build -G Ninja \
#     -DCMAKE_BUILD_TYPE=Release -DTRIT_FFI=OFF && ninja -C /tmp/old/build trit
# Env: TG (decode tokens per run, default 32).
set -euo pipefail

if [[ $# -lt 3 ]]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
old="$1" new="$2" model="$3" threads="${4:-2}" runs="${5:-8}" tg="${TG:-32}"
for b in "$old" "$new"; do
  [[ -x "$b" ]] || { echo "ab_builds.sh: not an executable: $b" >&2; exit 2; }
done
[[ -r "$model" ]] || { echo "ab_builds.sh: cannot read model: $model" >&2; exit 2; }

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
for ((r = 1; r <= runs; r++)); do
  if ((r % 2)); then order=(old new); else order=(new old); fi
  for which in "${order[@]}"; do
    bin="$old"
    [[ "$which" == new ]] && bin="$new"
    echo "ab_builds.sh: run $r/$runs: $which" >&2
    "$bin" bench -m "$model" -p 1 -n "$tg" -t "$threads" -r 1 --json >"$results/$r-$which.json"
  done
done

python3 - "$results" <<'EOF'
import json, pathlib, statistics, sys
rows = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json"), key=lambda p: int(p.name.split("-")[0])):
    which = path.stem.split("-", 1)[1]
    j = json.loads(path.read_text())
    paired = j["ceiling"]["paired"]["tg_fraction"]
    tok_s = j["tg"]["tok_s_median"]
    rows.setdefault(which, []).append((paired, tok_s))
for which in ("old", "new"):
    v = rows[which]
    print(f"{which}: paired fraction median {statistics.median(p for p, _ in v):.3f} "
          f"(runs: {' '.join(f'{p:.3f}' for p, _ in v)}), tg {statistics.median(t for _, t in v):.1f} tok/s")
EOF
