#!/usr/bin/env bash
# Set-up, step 1 of 2 (README): system packages, the pinned llama.cpp reference from the npm
# registry (into ~/.cache/trit/llama_cpp/), the Lane B shim, and trit itself into build/.
# Idempotent: a second run only re-checks and rebuilds what changed.
#
#   scripts/setup.sh              everything
#   TRIT_SKIP_APT=1 scripts/setup.sh   skip the package step (no root, packages already there)
#   TRIT_SKIP_REFERENCE=1 ...     skip the reference (trit then runs crossval in STUB mode)
#   TRIT_SKIP_BUILD=1 ...         stop after packages and reference (CI jobs that build elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# 1. System packages (Debian/Ubuntu). Pinned by the distribution release; see README "Dependencies".
packages=(build-essential cmake ninja-build git pkg-config
          libcli11-dev nlohmann-json3-dev libpcre2-dev libssl-dev
          libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
          curl ca-certificates shellcheck yamllint clang)
# npm fetches the reference; a Node.js that already brings npm (e.g. NodeSource's) conflicts with
# Debian's npm package, so ask for Debian's only when there is no npm at all.
command -v npm >/dev/null || packages+=(nodejs npm)
if [[ -z "${TRIT_SKIP_APT:-}" ]] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing packages: ${missing[*]}"
    sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "system packages: all present"
  fi
elif [[ "$(uname)" == Darwin ]] && command -v brew >/dev/null && [[ -z "${TRIT_SKIP_APT:-}" ]]; then
  brew install cmake ninja cli11 nlohmann-json pcre2 openssl googletest google-benchmark cpp-httplib node
fi

# 2. The llama.cpp reference (Lane B) and its shim.
if [[ -z "${TRIT_SKIP_REFERENCE:-}" ]]; then
  scripts/fetch-llama-cpp.sh
  scripts/build-shim.sh
fi

# 3. trit.
[[ -n "${TRIT_SKIP_BUILD:-}" ]] && { say "TRIT_SKIP_BUILD: not building trit"; exit 0; }
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
say "building trit into build/"
# shellcheck disable=SC2086  # TRIT_CMAKE_ARGS is a list of flags
cmake -S "$root" -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${TRIT_CMAKE_ARGS:-} >/dev/null
cmake --build build -j "$jobs"
say "done: build/trit --help"
