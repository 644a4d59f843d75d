#!/usr/bin/env bash
# Build the Lane B shim (shim/llama_shim.cpp) against the cached llama.cpp reference:
#   headers  $cache/src/include, $cache/src/ggml/include   (the exact release, from fetch-llama-cpp.sh)
#   links    $cache/lib/libllama*.so, libggml*.so          (the registry's prebuilt libraries)
#   output   $cache/shim/libtrit_ref_llama.so              (rpath to $cache/lib, so dlopen needs no env)
# Only our shim is compiled here, never llama.cpp itself. Rebuilt only when the shim sources, the
# compiler, or the reference changed (a stamp of their hashes sits next to the library).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# `--lane bitnet [--dir PATH]`: Lane A builds against the user's bitnet.cpp checkout instead of the
# cache; it has its own script. `--lane llama` (or no argument) is this script.
case "${1:-}" in
  --lane) case "${2:-}" in
            bitnet) shift 2; exec "$here/build-shim-bitnet.sh" "$@" ;;
            llama) shift 2 ;;
            *) echo "build-shim: --lane expects llama or bitnet, got '${2:-}'" >&2; exit 4 ;;
          esac ;;
esac
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=shim-lib.sh
source "$here/shim-lib.sh"
cache="${TRIT_CACHE_DIR:-$HOME/.cache/trit}/llama_cpp"
cxx="${CXX:-g++}"

[[ -f "$cache/src/include/llama.h" ]] || {
  echo "build-shim: no llama.cpp reference in $cache (expected src/include/llama.h): run scripts/fetch-llama-cpp.sh" >&2
  exit 3
}
libllama="$(compgen -G "$cache/lib/libllama.v*.so" | head -n1 || true)"
[[ -n "$libllama" ]] || libllama="$(compgen -G "$cache/lib/libllama.so" | head -n1 || true)"
libggml="$(compgen -G "$cache/lib/libggml.v*.so" | head -n1 || true)"
[[ -n "$libggml" ]] || libggml="$(compgen -G "$cache/lib/libggml.so" | head -n1 || true)"
[[ -n "$libllama" && -n "$libggml" && -f "$cache/lib/libggml-base.so" ]] || {
  echo "build-shim: $cache/lib lacks libllama / libggml / libggml-base: run scripts/fetch-llama-cpp.sh" >&2
  exit 3
}

out_dir="$cache/shim"
out="$out_dir/libtrit_ref_llama.so"
mapfile -t sources < <(shim_sources llama_shim.cpp)
stamp_now="$(cat "${sources[@]}" "$here/build-shim.sh" "$cache/VERSION" \
              <(echo "$TRIT_NODE_LLAMA_CPP_VERSION $TRIT_LLAMA_CPP_COMMIT") <("$cxx" --version) | sha256sum | cut -c1-64)"
shim_up_to_date "lane B shim" "$out" "$stamp_now" && exit 0

echo "lane B shim: building $out" >&2
# -Wl,-rpath $ORIGIN/../lib: the shim finds libllama in the cache without LD_LIBRARY_PATH, even if moved.
CXX="$cxx" compile_shim "$out" "$stamp_now" llama_shim.cpp \
  "$TRIT_NODE_LLAMA_CPP_VERSION ($TRIT_LLAMA_CPP_RELEASE)" "$TRIT_LLAMA_CPP_COMMIT" \
  -I "$cache/src/include" -I "$cache/src/ggml/include" \
  "$libllama" "$libggml" "$cache/lib/libggml-base.so" -ldl \
  -Wl,-rpath,'$ORIGIN/../lib'
echo "lane B shim: built $out" >&2
