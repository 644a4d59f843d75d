#!/usr/bin/env bash
# The pinned reference versions from scripts/versions.env, as step outputs for the workflow's cache
# keys: llama_cpp=<node-llama-cpp version>, llama_cpp_commit=..., bitnet_cpp=<tag>.
# Writes to $GITHUB_OUTPUT, or stdout when it is unset.   Run locally: scripts/ci/pins.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/../versions.env
source scripts/versions.env
{
  echo "llama_cpp=$TRIT_NODE_LLAMA_CPP_VERSION"
  echo "llama_cpp_commit=$TRIT_LLAMA_CPP_COMMIT"
  echo "bitnet_cpp=$TRIT_BITNET_CPP_TAG"
} >>"${GITHUB_OUTPUT:-/dev/stdout}"
