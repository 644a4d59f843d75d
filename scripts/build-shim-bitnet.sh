#!/usr/bin/env bash
# Build the Lane A shim (shim/bitnet_shim.cpp) against a user's own bitnet.cpp checkout:
#   usage    scripts/build-shim-bitnet.sh [--dir BITNET_CPP_DIR]      (default: $BITNET_CPP_DIR)
#   headers  $dir/3rdparty/llama.cpp/include, $dir/3rdparty/llama.cpp/ggml/include (its old llama.h)
#   links    $dir/build/3rdparty/llama.cpp/src/libllama.so, .../ggml/src/libggml.so (its own build)
#   output   ${TRIT_CACHE_DIR:-~/.cache/trit}/bitnet_cpp/shim/libtrit_ref_bitnet.so
#            (rpath to the checkout's build, so dlopen needs no env), plus BITNET_CPP_DIR naming it.
# bitnet.cpp itself is never built here: build it with upstream's instructions (docs/lane-a.md).
# Rebuilt only when the shim sources, the compiler, or the checkout's headers/libraries changed.
# Exit 3: no usable bitnet.cpp build at $dir (the message names what is missing and the fix).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=shim-lib.sh
source "$here/shim-lib.sh"

dir="${BITNET_CPP_DIR:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="${2:?--dir needs a path}"; shift 2 ;;
    --dir=*) dir="${1#--dir=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build-shim-bitnet: unknown argument '$1' (expected --dir PATH)" >&2; exit 4 ;;
  esac
done
[[ -n "$dir" ]] || {
  echo "build-shim-bitnet: no bitnet.cpp checkout given: pass --dir PATH or set BITNET_CPP_DIR" \
       "(build it first: see docs/lane-a.md)" >&2
  exit 3
}
dir="$(cd "$dir" 2>/dev/null && pwd)" || { echo "build-shim-bitnet: $dir is not a directory" >&2; exit 3; }

inc="$dir/3rdparty/llama.cpp/include"
ggml_inc="$dir/3rdparty/llama.cpp/ggml/include"
libllama="$dir/build/3rdparty/llama.cpp/src/libllama.so"
libggml="$dir/build/3rdparty/llama.cpp/ggml/src/libggml.so"
[[ -f "$inc/llama.h" && -f "$ggml_inc/ggml.h" ]] || {
  echo "build-shim-bitnet: $dir is not a bitnet.cpp checkout (expected 3rdparty/llama.cpp/include/llama.h;" \
       "clone with --recursive: see docs/lane-a.md)" >&2
  exit 3
}
# The old API is what this shim speaks; a mainline llama.h here means the wrong directory.
grep -q 'llama_load_model_from_file' "$inc/llama.h" && grep -q 'llama_kv_cache_clear' "$inc/llama.h" || {
  echo "build-shim-bitnet: $inc/llama.h lacks llama_load_model_from_file / llama_kv_cache_clear:" \
       "not bitnet.cpp's llama.cpp fork (for mainline llama.cpp use the llama lane)" >&2
  exit 3
}
[[ -f "$libllama" && -f "$libggml" ]] || {
  echo "build-shim-bitnet: $dir has no shared-library build (expected $libllama and $libggml);" \
       "build bitnet.cpp with upstream's setup_env.py or cmake (docs/lane-a.md)" >&2
  exit 3
}

commit="unknown"
if git -C "$dir" rev-parse --short=12 HEAD >/dev/null 2>&1; then
  commit="$(git -C "$dir" rev-parse --short=12 HEAD)"
  sub="$(git -C "$dir/3rdparty/llama.cpp" rev-parse --short=12 HEAD 2>/dev/null || true)"
  [[ -n "$sub" ]] && commit="$commit (llama.cpp fork $sub)"
fi
[[ -n "${TRIT_BITNET_CPP_COMMIT:-}" ]] && commit="$TRIT_BITNET_CPP_COMMIT"  # for checkouts without .git

cxx="${CXX:-g++}"
cache="${TRIT_CACHE_DIR:-$HOME/.cache/trit}/bitnet_cpp"
out_dir="$cache/shim"
out="$out_dir/libtrit_ref_bitnet.so"
mapfile -t sources < <(shim_sources bitnet_shim.cpp)
stamp_now="$(cat "${sources[@]}" "$here/build-shim-bitnet.sh" "$inc/llama.h" \
              <(echo "$dir $commit $TRIT_BITNET_CPP_TAG") <(stat -c '%s %Y' "$libllama" "$libggml") \
              <("$cxx" --version) | sha256sum | cut -c1-64)"
shim_up_to_date "lane A shim" "$out" "$stamp_now" && exit 0

echo "lane A shim: building $out against $dir" >&2
# rpath: the checkout's own build directories, so the shim finds libllama/libggml without env.
CXX="$cxx" compile_shim "$out" "$stamp_now" bitnet_shim.cpp "$TRIT_BITNET_CPP_TAG" "$commit" \
  -I "$inc" -I "$ggml_inc" \
  "$libllama" "$libggml" -ldl \
  -Wl,-rpath,"$(dirname "$libllama")" -Wl,-rpath,"$(dirname "$libggml")"
echo "$dir" > "$out_dir/BITNET_CPP_DIR"
echo "lane A shim: built $out" >&2
