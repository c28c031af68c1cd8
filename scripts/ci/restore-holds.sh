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
auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 -w0)"
echo "::add-mask::${auth#AUTHORIZATION: basic }"
remote="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git"
git -C "$work" init -q
# Only a branch that does not exist means "no holds": any other failure (a token, the network)
# must stop the run, or every hold would silently lapse and access would come back.
set +e
git -C "$work" -c http.extraheader="$auth" ls-remote --exit-code --heads "$remote" "$branch" >/dev/null
found=$?
set -e
if [ "$found" -eq 2 ]; then
  echo "No $branch branch yet: no offboarding to restore."
  exit 0
elif [ "$found" -ne 0 ]; then
  echo "::error::could not read the $branch branch (git ls-remote exited $found): the offboarding holds are unknown, so nothing is applied" >&2
  exit 1
fi
git -C "$work" -c http.extraheader="$auth" fetch -q --depth 1 "$remote" "$branch"
mkdir -p "$records_dir/restored"
count=0
while IFS= read -r -d '' file; do
  git -C "$work" show "FETCH_HEAD:$file" > "$records_dir/restored/$(basename "$file")"
  count=$((count + 1))
done < <(git -C "$work" ls-tree -r -z --name-only FETCH_HEAD -- records | grep -z -- '-offboard-.*\.json$' || true)
echo "Restored $count offboarding record(s) from $branch."
