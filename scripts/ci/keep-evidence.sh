#!/usr/bin/env bash
# Keeps every apply record of this run on the evidence branch (default jml-evidence), under
# records/YYYY/MM/, one commit per run naming the workflow run. The branch is append-only
# history that auditors sample directly, and the emergency offboarding holds are read back from
# it (restore-holds.sh): protect it so that only the approvals GitHub App may push to it (no
# force push, no deletion; `jml doctor` checks it).
# Usage: keep-evidence.sh [DIR [DEST]]: DIR/*.json (default .jml/records) go to DEST on the
# branch (default records/YYYY/MM); the evidence workflow keeps its pack's manifest digest with
# `keep-evidence.sh pack-digest evidence`. Append-only: a file already on the branch is never
# replaced by different content (the run fails instead).
# Needs GITHUB_TOKEN: an installation token of that app with contents: write (the workflows mint
# it with actions/create-github-app-token just before this step; the workflow's own github.token
# is refused by the protection), and GITHUB_REPOSITORY, GITHUB_SERVER_URL, GITHUB_RUN_ID.
set -euo pipefail
records_dir="${1:-.jml/records}"
dest="${2:-records/$(date -u +%Y/%m)}"
case "$dest" in
  /* | *..* | "") echo "::error::keep-evidence.sh: DEST must be a folder inside the branch, not $dest" >&2; exit 1 ;;
esac
branch="${JML_EVIDENCE_BRANCH:-jml-evidence}"
shopt -s nullglob
records=("$records_dir"/*.json)
if [ ${#records[@]} -eq 0 ]; then
  if [ $# -ge 2 ]; then echo "No file to keep in $records_dir."; else echo "No apply record to keep."; fi
  exit 0
fi
if [ -z "${GITHUB_TOKEN:-}" ]; then
  echo "::error::no token to push the records to $branch with: GITHUB_TOKEN must be the approvals app's installation token (was it minted? is JML_APPROVALS_APP_PRIVATE_KEY a secret of this job's environment?)" >&2
  exit 1
fi
work="$(mktemp -d)"
auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 -w0)"
echo "::add-mask::${auth#AUTHORIZATION: basic }"
remote="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git"
git -C "$work" init -q
git -C "$work" config user.name "jml apply"
git -C "$work" config user.email "jml-apply@users.noreply.github.com"
if git -C "$work" -c http.extraheader="$auth" fetch -q --depth 1 "$remote" "$branch"; then
  git -C "$work" checkout -q -b "$branch" FETCH_HEAD
else
  git -C "$work" checkout -q --orphan "$branch"
  printf '# Apply records\n\nOne JSON file per jml apply run, written by the apply workflow. Do not edit.\n' > "$work/README.md"
fi
mkdir -p "$work/$dest"
for record in "${records[@]}"; do
  kept="$work/$dest/$(basename "$record")"
  if [ -e "$kept" ] && ! cmp -s "$record" "$kept"; then
    echo "::error::$dest/$(basename "$record") is already on $branch with other content: the branch is append-only, nothing was kept" >&2
    exit 1
  fi
  cp "$record" "$kept"
done
git -C "$work" add -A
if git -C "$work" diff --cached --quiet; then
  echo "The records are already on $branch."
  exit 0
fi
what="Apply records"
if [ $# -ge 2 ]; then what="Evidence ($dest/)"; fi
git -C "$work" commit -q -m "$what of ${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}"
for attempt in 1 2 3; do
  if git -C "$work" -c http.extraheader="$auth" push -q "$remote" "HEAD:$branch"; then
    echo "Kept ${#records[@]} record(s) on $branch ($dest/)."
    exit 0
  fi
  # Someone else appended meanwhile: replay our commit on top and try again.
  git -C "$work" -c http.extraheader="$auth" fetch -q --depth 1 "$remote" "$branch"
  git -C "$work" rebase -q FETCH_HEAD
  sleep "$attempt"
done
echo "::error::could not push the apply records to $branch" >&2
exit 1
