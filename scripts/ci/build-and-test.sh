#!/usr/bin/env bash
# Build and test: exactly the README's two set-up commands, scripts/setup.sh then scripts/test.sh
# (what .ci/run does). The ci.yml workflow's build-test job.
#
# Run locally:  scripts/ci/build-and-test.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scripts/setup.sh
scripts/test.sh
