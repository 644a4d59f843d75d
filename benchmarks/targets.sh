#!/usr/bin/env bash
# The speed table of issue #6, reproduced on this machine: trit against llama.cpp (through the
# crossval shim, same file, same process, alternating runs) on 2B4T-shaped ternary models and a
# 1B-class llama model, 1 and 2 threads. Writes one trit.bench/1 JSON per run and a Markdown
# table (ratios first) to OUT_DIR.
#
#   benchmarks/targets.sh [OUT_DIR]        (default: build/targets)
#
# Env: TRIT (default build/trit), MODELS_DIR (synth models, default ~/.cache/trit/bench-models),
# THREADS ("1 2"), PP/TG/REPS (prompt and generated tokens, repetitions; default 512 128 3 as in
# the issue; the full run took 27 minutes on 2 cores with the bitnet.cpp rows, PP=128 TG=32 is quicker),
# DEPTH/DEPTH_TG (the long-context decode rows, below).
# ISA=avx2 measures both engines as an AVX2-only CPU (an AMD EPYC before Zen 4, the machine issue
# #6 was written on) would run them: trit with TRIT_ISA=avx2, and llama.cpp from a copy of the
# pinned reference's libraries in OUT_DIR/llama-cpp-avx2 that keeps only its CPU backends without
# AVX-512 or AVX-VNNI (ggml then loads its `haswell` variant).
# I2_S has no llama.cpp reference: its rows report the bandwidth ceiling only. With BITNET_CPP_DIR
# set (a bitnet.cpp build with trit's Lane A shim, docs/lane-a.md), an I2_S model of architecture
# `bitnet` (the name bitnet.cpp 2024-10 reads; both engines then run its graph) is measured against
# bitnet.cpp as well.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/targets}"
trit="${TRIT:-$root/build/trit}"
models="${MODELS_DIR:-$HOME/.cache/trit/bench-models}"
threads="${THREADS:-1 2}"
pp="${PP:-512}" tg="${TG:-128}" reps="${REPS:-3}"
mkdir -p "$out" "$models"

if [[ "${ISA:-}" == avx2 ]]; then
  src="${TRIT_LLAMA_CPP_DIR:-${TRIT_CACHE_DIR:-$HOME/.cache/trit}/llama_cpp}"
  [[ -d "$src/lib" && -d "$src/shim" ]] || { echo "targets.sh: no llama.cpp reference at $src (scripts/setup.sh)" >&2; exit 2; }
  capped="$out/llama-cpp-avx2"
  rm -rf "$capped" && mkdir -p "$capped/lib" && cp -r "$src/shim" "$capped/"
  for f in "$src"/lib/*; do
    case "$(basename "$f")" in
      libggml-cpu-*.so)
        case "$(basename "$f")" in
          *-haswell.so | *-sse42.so | *-x64.so | *-sandybridge.so | *-ivybridge.so | *-piledriver.so) cp "$f" "$capped/lib/" ;;
        esac ;;
      *) cp "$f" "$capped/lib/" ;;
    esac
  done
  export TRIT_ISA=avx2 TRIT_LLAMA_CPP_DIR="$capped"
  echo "targets.sh: AVX2 only: TRIT_ISA=avx2, llama.cpp from $capped" >&2
elif [[ -n "${ISA:-}" ]]; then
  echo "targets.sh: ISA=$ISA: expected avx2 or nothing" >&2
  exit 2
fi

# name arch shape type reference
cases=(
  "2b4t-tq2_0 bitnet 2b4t tq2_0 llama"
  "2b4t-tq1_0 bitnet 2b4t tq1_0 llama"
  "2b4t-i2_s bitnet-b1.58 2b4t i2_s -"
  "1b-f16 llama 1b f16 llama"
  "1b-q8_0 llama 1b q8_0 llama"
  "1b-q4_0 llama 1b q4_0 llama"
)
if [[ -n "${BITNET_CPP_DIR:-}" ]]; then
  cases+=("2b4t-i2_s-bitnet bitnet 2b4t i2_s bitnet")
else
  echo "targets.sh: BITNET_CPP_DIR not set: SKIPPING the I2_S rows against bitnet.cpp (docs/lane-a.md)" >&2
fi

for c in "${cases[@]}"; do
  read -r name arch shape type reference <<<"$c"
  model="$models/$name.gguf"
  [[ -f "$model" ]] || "$trit" synth --arch "$arch" --shape "$shape" --type "$type" -o "$model" >&2
  for t in $threads; do
    ref=()
    [[ "$reference" != - ]] && ref=(--ref "$reference")
    echo "== $name t=$t" >&2
    "$trit" bench -m "$model" -p "$pp" -n "$tg" -t "$t" -r "$reps" "${ref[@]}" --json >"$out/$name-t$t.json"
  done
  # Peak RSS of trit alone (a --ref run holds both engines in one process).
  "$trit" bench -m "$model" -p "$pp" -n "$tg" -t 1 -r 1 --no-ceiling --json >"$out/$name.rss.json"
done

# Decode at a long context (trit bench -d): the TQ2_0 model after DEPTH tokens (default 1024; 0
# skips it), DEPTH_TG timed tokens (default 32), against llama.cpp timed inside its shim.
depth="${DEPTH:-1024}" depth_tg="${DEPTH_TG:-32}"
if [[ "$depth" != 0 ]]; then
  for t in $threads; do
    echo "== 2b4t-tq2_0 at depth $depth t=$t" >&2
    "$trit" bench -m "$models/2b4t-tq2_0.gguf" -p 16 -n "$depth_tg" -d "$depth" -t "$t" -r "$reps" --ref llama --json \
      >"$out/2b4t-tq2_0-d$depth-t$t.json"
  done
fi

# The table: ratios first, then absolute tok/s and the decode bandwidth ceiling.
python3 - "$out" <<'EOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
rows = ["| model | threads | reference | pp ratio | tg ratio | trit pp tok/s | ref pp tok/s | trit tg tok/s | ref tg tok/s | tg / ceiling (trit / ref) | trit paired | trit peak RSS - file MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|"]
def fractions(me, ref):
    """The run-level fractions of the ceiling (trit / ref), and trit's paired one (src/bench/README.md)."""
    c = me.get("ceiling", {})
    frac = f'{100 * c["tg_fraction_of_ceiling"]:.0f}%' if c else "-"
    rc = ref.get("ceiling", {}) if ref else {}
    frac += f' / {100 * rc["tg_fraction_of_ceiling"]:.0f}%' if rc else ""
    p = c.get("paired")
    paired = f'{100 * p["tg_fraction"]:.0f}% (p10 {100 * p["tg_fraction_p10"]:.0f}%)' if p else "-"
    return frac, paired
def rss_over_file(name):
    p = out / f"{name}.rss.json"
    if not p.exists():
        return "-"
    r = json.loads(p.read_text())
    return f'{r["rss_peak_mb"] - r["model"]["size_mb"]:.0f}'
for f in sorted(p for p in out.glob("*-t*.json") if not p.name.endswith(".rss.json")):
    name = f.stem.rsplit('-t', 1)[0]
    runs = json.loads(f.read_text())
    runs = runs if isinstance(runs, list) else [runs]
    me, ref = runs[0], (runs[1] if len(runs) > 1 else None)
    pp, tg = me["pp"]["tok_s_median"], me["tg"]["tok_s_median"]
    depth = me["tg"].get("depth", 0)
    frac, paired = fractions(me, ref)
    if depth:  # a long-context decode row: its short prompt is not a prefill measurement
        name = f"{name.rsplit('-d', 1)[0]} tg{me['tg']['n_tokens']} after {depth} tokens"
        rt = ref["tg"]["tok_s_median"] if ref else None
        rows.append(f"| {name} | {me['threads']} | {ref['engine'] if ref else '-'} | - | "
                    f"{f'{tg / rt:.2f}x' if rt else '-'} | - | - | {tg:.1f} | {f'{rt:.1f}' if rt else '-'} | {frac} | {paired} | - |")
        continue
    if ref:
        rp, rt = ref["pp"]["tok_s_median"], ref["tg"]["tok_s_median"]
        rows.append(f"| {name} | {me['threads']} | {ref['engine']} | {pp / rp:.2f}x | {tg / rt:.2f}x | {pp:.1f} | {rp:.1f} | {tg:.1f} | {rt:.1f} | {frac} | {paired} | {rss_over_file(name)} |")
    else:
        rows.append(f"| {name} | {me['threads']} | - | - | - | {pp:.1f} | - | {tg:.1f} | - | {frac} | {paired} | {rss_over_file(name)} |")
import os
if os.environ.get("TRIT_ISA"):
    rows.insert(0, f"TRIT_ISA={os.environ['TRIT_ISA']}; llama.cpp from {os.environ.get('TRIT_LLAMA_CPP_DIR', 'the cache')}\n")
table = "\n".join(rows)
(out / "targets.md").write_text(table + "\n")
print(table)
EOF
