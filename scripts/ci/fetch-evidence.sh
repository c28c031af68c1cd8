#!/usr/bin/env bash
# Copies the records kept on the evidence branch (records/**, written by keep-evidence.sh) into
# DEST/records, for the steps that read them back: restore-holds.sh, the scheduled ticket and
# day-one status, the evidence pack. DEST/records exists afterwards, empty when the branch does
# not exist yet or holds no records/ (only the evidence workflow's digests, say).
# Only a branch that does not exist means "no record": any other failure to read it (a token, the
# network) fails the step with ::error::, saying WHY that matters to the caller.
# Usage: fetch-evidence.sh DEST [WHY]
# Needs GITHUB_TOKEN (contents: read: the workflow's own token will do), GITHUB_REPOSITORY,
# GITHUB_SERVER_URL.
set -euo pipefail
dest="${1:?usage: fetch-evidence.sh DEST [WHY]}"
why="${2:-the records on it are unknown}"
branch="${JML_EVIDENCE_BRANCH:-jml-evidence}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 -w0)"
echo "::add-mask::${auth#AUTHORIZATION: basic }"
remote="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git"
mkdir -p "$dest/records"
git -C "$work" init -q
set +e
git -C "$work" -c http.extraheader="$auth" ls-remote --exit-code --heads "$remote" "$branch" >/dev/null
found=$?
set -e
if [ "$found" -eq 2 ]; then
  echo "No $branch branch yet: no record."
  exit 0
elif [ "$found" -ne 0 ]; then
  echo "::error::could not read the $branch branch (git ls-remote exited $found): $why" >&2
  exit 1
fi
git -C "$work" -c http.extraheader="$auth" fetch -q --depth 1 "$remote" "$branch"
if git -C "$work" cat-file -e FETCH_HEAD:records 2>/dev/null; then
  git -C "$work" archive --format=tar FETCH_HEAD records | tar -x -C "$dest"
fi
echo "$(find "$dest/records" -name '*.json' | wc -l) record(s) from $branch."
