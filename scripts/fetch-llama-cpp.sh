#!/usr/bin/env bash
# Obtain the pinned llama.cpp reference (Lane B) from the npm registry into the cache:
#   $TRIT_CACHE_DIR/llama_cpp/   (default ~/.cache/trit/llama_cpp/)
#     lib/   prebuilt libllama / libggml* from @node-llama-cpp/<platform>
#     src/   the exact llama.cpp source of that release (git bundle inside node-llama-cpp):
#            include/llama.h, ggml/include/*.h, models/ggml-vocab-*.gguf
#     VERSION  the pinned version; a matching stamp makes a second run a fast cache hit.
# Nothing here builds llama.cpp; the libraries are the registry's prebuilt ones.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${TRIT_CACHE_DIR:-$HOME/.cache/trit}/llama_cpp"
version="$TRIT_NODE_LLAMA_CPP_VERSION"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x64 ;;
  Linux-aarch64) platform=linux-arm64 ;;
  Darwin-arm64) platform=mac-arm64-metal ;;
  Darwin-x86_64) platform=mac-x64 ;;
  *) echo "fetch-llama-cpp: no prebuilt llama.cpp for $(uname -s)-$(uname -m)" >&2; exit 3 ;;
esac

if [[ -f "$cache/VERSION" && "$(cat "$cache/VERSION")" == "$version-$platform" && -f "$cache/src/include/llama.h" ]] \
   && compgen -G "$cache/lib/libllama*" >/dev/null; then
  echo "llama.cpp reference $version ($TRIT_LLAMA_CPP_COMMIT): cache hit at $cache" >&2
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-llama-cpp: npm is required (apt-get install npm)" >&2; exit 3; }
echo "llama.cpp reference $version ($TRIT_LLAMA_CPP_COMMIT): fetching from the npm registry into $cache" >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-llama-cpp@$version" "@node-llama-cpp/$platform@$version" >/dev/null)
mkdir -p "$tmp/src-pkg" "$tmp/lib-pkg"
tar xzf "$tmp/node-llama-cpp-$version.tgz" -C "$tmp/src-pkg"
tar xzf "$tmp"/node-llama-cpp-"$platform"-"$version".tgz -C "$tmp/lib-pkg"

rm -rf "$cache.new"
mkdir -p "$cache.new"
git clone -q "$tmp/src-pkg/package/llama/gitRelease.bundle" "$cache.new/src" 2>/dev/null
cp -a "$tmp/lib-pkg/package/bins/$platform" "$cache.new/lib"
echo "$version-$platform" > "$cache.new/VERSION"
# Swap in atomically so an interrupted fetch never leaves a half cache behind.
rm -rf "$cache.old"
[[ -d "$cache" ]] && mv "$cache" "$cache.old"
mv "$cache.new" "$cache"
rm -rf "$cache.old"
echo "llama.cpp reference installed: $cache" >&2
