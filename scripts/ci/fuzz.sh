#!/usr/bin/env bash
# The CI fuzz job: a short libFuzzer run of every target in fuzz/ (scripts/fuzz.sh, 1 minute each
# by default; FUZZ_MINUTES to change). Installs clang-14 when missing. A crash fails the job and
# its input is uploaded as an artifact (build-fuzz/artifacts/).
#
# Run locally:  scripts/ci/fuzz.sh          (or scripts/fuzz.sh [--minutes N] [target ...])
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

clang="${CLANG:-clang-14}"
if ! command -v "${clang/clang/clang++}" >/dev/null && command -v apt-get >/dev/null; then
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  say "installing $clang"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$clang" >/dev/null
fi
CLANG="$clang" scripts/fuzz.sh --minutes "${FUZZ_MINUTES:-1}"
