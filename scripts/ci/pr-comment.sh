#!/usr/bin/env bash
# Post the crossval summary on a pull request, editing this workflow's earlier comment (found by a
# hidden marker) instead of adding a new one on every run. Needs the GitHub CLI `gh` and GH_TOKEN
# with pull-requests: write. A comment that cannot be posted (e.g. a PR from a fork, whose token is
# read-only) is a warning, not a failure: the summary is still in the job summary and the artifact.
#
# Run locally:  GH_TOKEN=... GITHUB_REPOSITORY=owner/repo scripts/ci/pr-comment.sh crossval-summary.md PR_NUMBER
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

file="${1:?usage: pr-comment.sh FILE PR_NUMBER}"
pr="${2:?usage: pr-comment.sh FILE PR_NUMBER}"
repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY (owner/repo) must be set}"
[[ -f "$file" ]] || die "$file: no such file" 4
command -v gh >/dev/null || die "the GitHub CLI (gh) is required" 4

marker='<!-- trit-crossval-summary -->'
body="$(mktemp)"
trap 'rm -rf "$body"' EXIT
{
  echo "$marker"
  # GitHub rejects comments over 65536 characters; the full summary stays in the artifact.
  head -c 60000 "$file"
  if (($(wc -c <"$file") > 60000)); then printf '\n\n_(truncated: see the crossval-summary artifact)_\n'; fi
} >"$body"

id="$(gh api --paginate "repos/$repo/issues/$pr/comments" \
        --jq ".[] | select(.body | startswith(\"$marker\")) | .id" 2>/dev/null | tail -n1 || true)"
if [[ -n "$id" ]]; then
  method=PATCH endpoint="repos/$repo/issues/comments/$id"
else
  method=POST endpoint="repos/$repo/issues/$pr/comments"
fi
if gh api -X "$method" "$endpoint" -F "body=@$body" >/dev/null; then
  say "crossval summary posted on PR #$pr (${id:+updated comment $id}${id:-new comment})"
else
  warn "could not post the crossval summary on PR #$pr (read-only token on a fork PR?)"
fi
