#!/usr/bin/env bash
# CI set-up for a job: system packages and trit built into build/ (scripts/setup.sh), without the
# llama.cpp reference unless --with-reference (Lane B fetches it itself, so that its cache key and
# TRIT_FORCE_REBUILD apply). Uses $TRIT_CMAKE_ARGS (the workflow sets -DTRIT_WERROR=ON and ccache).
# --packages-only asks scripts/setup.sh to skip its build (TRIT_SKIP_BUILD=1) for jobs that build
# elsewhere; a setup.sh without that switch builds build/ anyway, which costs time, not correctness.
#
# Run locally:  scripts/ci/setup.sh [--with-reference | --packages-only]
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

case "${1:-}" in
  --with-reference) scripts/setup.sh ;;
  --packages-only) TRIT_SKIP_REFERENCE=1 TRIT_SKIP_BUILD=1 scripts/setup.sh ;;
  "") TRIT_SKIP_REFERENCE=1 scripts/setup.sh ;;
  *) die "usage: scripts/ci/setup.sh [--with-reference | --packages-only]" 4 ;;
esac
