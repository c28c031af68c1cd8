#!/usr/bin/env bash
# Restores earlier emergency offboardings (jml offboard) from the evidence branch before a run
# plans, so that their holds stand: a person cut off by the security team stays cut off until
# people/ records the termination, whichever runner the next apply lands on. Copies
# records/**/*-offboard-*.json from the branch into DIR/restored/ (default .jml/records), which
# keep-evidence.sh does not copy back (it takes DIR/*.json only).
# The holds are believed because only the approvals GitHub App may push to that branch (branch
# protection or a ruleset; keep-evidence.sh pushes with the app's token; `jml doctor` checks it).
# Needs GITHUB_TOKEN (contents: read: the workflow's own token will do), GITHUB_REPOSITORY,
# GITHUB_SERVER_URL.
set -euo pipefail
records_dir="${1:-.jml/records}"
branch="${JML_EVIDENCE_BRANCH:-jml-evidence}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Only a branch that does not exist means "no holds": any other failure (a token, the network)
# must stop the run, or every hold would silently lapse and access would come back.
"$(dirname "${BASH_SOURCE[0]}")/fetch-evidence.sh" "$work" \
  "the offboarding holds are unknown, so nothing is applied"
mkdir -p "$records_dir/restored"
count=0
while IFS= read -r -d '' file; do
  cp "$file" "$records_dir/restored/"
  count=$((count + 1))
done < <(find "$work/records" -type f -name '*-offboard-*.json' -print0)
echo "Restored $count offboarding record(s) from $branch."
