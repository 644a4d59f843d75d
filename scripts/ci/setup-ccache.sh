#!/usr/bin/env bash
# Compiler cache for CI builds: installs ccache when missing (apt-get or brew), and sets CCACHE_DIR
# (~/.cache/ccache, the folder the workflow caches), CCACHE_BASEDIR and the CMake launcher flags in
# TRIT_CMAKE_ARGS, which scripts/setup.sh and scripts/ci/*.sh pass to CMake.
# In GitHub Actions the variables go to $GITHUB_ENV for the following steps; elsewhere they are printed
# as shell exports:   eval "$(scripts/ci/setup-ccache.sh)"
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if ! command -v ccache >/dev/null; then
  if command -v apt-get >/dev/null; then
    sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends ccache >/dev/null
  elif command -v brew >/dev/null; then
    brew install ccache
  else
    die "ccache is not installed and neither apt-get nor brew is available" 4
  fi
fi
say "$(ccache --version | head -n1)"

vars=(
  "CCACHE_DIR=$HOME/.cache/ccache"
  "CCACHE_BASEDIR=$ci_root"
  "CCACHE_MAXSIZE=500M"
  "CCACHE_COMPRESS=1"
  "TRIT_CMAKE_ARGS=${TRIT_CMAKE_ARGS:+$TRIT_CMAKE_ARGS }-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
)
if [[ -n "${GITHUB_ENV:-}" ]]; then
  printf '%s\n' "${vars[@]}" >>"$GITHUB_ENV"
else
  for v in "${vars[@]}"; do printf 'export %s=%q\n' "${v%%=*}" "${v#*=}"; done
fi
