#!/usr/bin/env bash
# Set-up, step 1 of 2 (README): system packages, the pinned llama.cpp reference from the npm
# registry (into ~/.cache/trit/llama_cpp/), the Lane B shim, and trit itself into build/.
# Idempotent: a second run only re-checks and rebuilds what changed.
#
#   scripts/setup.sh              everything
#   TRIT_SKIP_APT=1 scripts/setup.sh   skip the package step (no root, packages already there)
#   TRIT_SKIP_REFERENCE=1 ...     skip the reference (trit then runs crossval in STUB mode)
#   TRIT_SKIP_ARM64=1 ...         skip the arm64 cross build's packages (scripts/test-arm64.sh)
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
sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
# The packages among "$@" that are not installed, one per line.
not_installed() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
apt_install() {
  "${sudo_cmd[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [[ -z "${TRIT_SKIP_APT:-}" ]] && command -v apt-get >/dev/null; then
  mapfile -t missing < <(not_installed "${packages[@]}")
  if ((${#missing[@]})); then
    say "installing packages: ${missing[*]}"
    apt_install "${missing[@]}"
  else
    say "system packages: all present"
  fi
elif [[ "$(uname)" == Darwin ]] && command -v brew >/dev/null && [[ -z "${TRIT_SKIP_APT:-}" ]]; then
  brew install cmake ninja cli11 nlohmann-json pcre2 openssl googletest google-benchmark cpp-httplib node
fi

# 1b. The arm64 build's tools (scripts/test-arm64.sh): a cross compiler, qemu-user and the arm64
# -dev packages through Debian's multiarch (this adds arm64 to dpkg's architectures). Debian on
# x86-64 only: Ubuntu serves arm64 packages from another archive (ports.ubuntu.com). Optional: when
# it cannot be installed, test-arm64.sh says SKIPPED.
arm64_packages=(g++-aarch64-linux-gnu qemu-user libc6:arm64 libssl-dev:arm64 libpcre2-dev:arm64
                libgtest-dev:arm64 libgmock-dev:arm64 libcpp-httplib-dev:arm64)
if [[ -z "${TRIT_SKIP_APT:-}${TRIT_SKIP_ARM64:-}" ]] && command -v dpkg >/dev/null &&
   [[ "$(dpkg --print-architecture)" == amd64 ]] && grep -qx 'ID=debian' /etc/os-release 2>/dev/null; then
  mapfile -t missing < <(not_installed "${arm64_packages[@]}")
  if ((${#missing[@]})); then
    say "installing the arm64 cross build's packages: ${missing[*]}"
    added_arch=""
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      "${sudo_cmd[@]}" dpkg --add-architecture arm64 && added_arch=1
    fi
    if ! apt_install "${missing[@]}"; then
      say "warning: the arm64 packages did not install; scripts/test-arm64.sh will skip"
      # Leave dpkg as it was, so that later apt-get updates do not look for arm64 indexes.
      if [[ -n $added_arch ]]; then
        { "${sudo_cmd[@]}" dpkg --remove-architecture arm64 && "${sudo_cmd[@]}" apt-get update -qq; } ||
          say "warning: could not remove arm64 from dpkg's architectures"
      fi
    fi
  fi
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
