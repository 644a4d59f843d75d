#!/usr/bin/env bash
# Validate the CI files: each .github/workflows/*.yml against the GitHub Actions workflow schema
# (@action-validator/cli from the npm registry, installed into a cache folder on first use), yamllint
# on .github/ (config .github/.yamllint), shellcheck on the shell scripts, and the house rule that
# every `run:` step is a single call of a script in scripts/ci/ that exists and is executable.
#
# Run locally:  scripts/ci/validate-workflows.sh
#   TRIT_CACHE_DIR  the validator goes to $TRIT_CACHE_DIR/ci-tools (default ~/.cache/trit/ci-tools)
# Needs node + npm, yamllint, shellcheck (scripts/setup.sh installs them; missing ones are installed
# here with apt-get or brew when possible).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

action_validator_version=0.6.0
tools="${TRIT_CACHE_DIR:-$HOME/.cache/trit}/ci-tools"
failed=0
fail() { printf 'FAIL: %s\n' "$*" >&2; failed=1; }

need() {  # need COMMAND APT_PACKAGE BREW_PACKAGE
  command -v "$1" >/dev/null && return 0
  say "installing $2"
  if command -v apt-get >/dev/null; then
    local sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  elif command -v brew >/dev/null; then
    brew install "$3"
  fi
  command -v "$1" >/dev/null || die "$1 is required (apt-get install $2 / brew install $3)" 4
}
need npm npm node
need yamllint yamllint yamllint
need shellcheck shellcheck shellcheck

workflows=()
for f in .github/workflows/*.yml .github/workflows/*.yaml; do [[ -f "$f" ]] && workflows+=("$f"); done
((${#workflows[@]})) || die "no workflow files in .github/workflows" 4

# 1. Schema: action-validator, pinned, cached.
validator="$tools/node_modules/.bin/action-validator"
installed="$(node -p "require('$tools/node_modules/@action-validator/cli/package.json').version" 2>/dev/null || true)"
if [[ ! -x "$validator" || "$installed" != "$action_validator_version" ]]; then
  say "installing @action-validator/cli@$action_validator_version into $tools"
  mkdir -p "$tools"
  npm install --silent --prefix "$tools" --no-audit --no-fund "@action-validator/cli@$action_validator_version" >/dev/null
fi
for f in "${workflows[@]}"; do
  if "$validator" "$f"; then say "action-validator: $f ok"; else fail "action-validator: $f"; fi
done

# 2. YAML style.
if yamllint --strict -c .github/.yamllint .github/; then say "yamllint: .github/ ok"; else fail "yamllint"; fi

# 3. Shell scripts. scripts/ci/ and tests/ci/ at every severity; the other scripts/ at warning and above.
ci_scripts=() other_scripts=()
for f in scripts/ci/* tests/ci/*; do
  [[ -f "$f" ]] && head -n1 "$f" | grep -q '^#!.*bash' && ci_scripts+=("$f")
done
[[ -f scripts/ci/lib.sh ]] && ci_scripts+=(scripts/ci/lib.sh)
for f in scripts/*.sh; do [[ -f "$f" ]] && other_scripts+=("$f"); done
if shellcheck -x -P SCRIPTDIR "${ci_scripts[@]}"; then say "shellcheck: ${#ci_scripts[@]} CI scripts ok"
else fail "shellcheck (scripts/ci, tests/ci)"; fi
if ((${#other_scripts[@]})); then
  if shellcheck -x -P SCRIPTDIR --severity=warning "${other_scripts[@]}"; then
    say "shellcheck: ${#other_scripts[@]} scripts/*.sh ok (warning and above)"
  else fail "shellcheck (scripts/*.sh)"; fi
fi

# 4. Every run: step is one call of an executable scripts/ci/ script (nothing clever inline).
for f in "${workflows[@]}"; do
  while IFS= read -r line; do
    n="${line%%:*}" cmd="${line#*:}"
    cmd="${cmd#*run:}"; cmd="${cmd#"${cmd%%[![:space:]]*}"}"
    script="${cmd%% *}"
    if [[ "$script" != scripts/ci/* ]]; then
      fail "$f:$n: run step must call a script in scripts/ci/, got: $cmd"
    elif [[ ! -x "$script" ]]; then
      fail "$f:$n: $script does not exist or is not executable"
    fi
  done < <(grep -nE '^[[:space:]]*(- )?run:' "$f")
done
((failed == 0)) || die "workflow validation failed"
say "workflows valid: ${workflows[*]}"
