/**
 * Cells shared by the artifacts: a commit's pull request, its approvers and merge time, and the
 * note that says why those columns are empty.
 */
import type { RecordFile } from '../../records/store.js';
import type { CommitInfo } from './git-history.js';
import type { Column, EvidenceInput, Row } from './types.js';

/** Column list from `[key, header]` pairs. */
export function columns(pairs: [string, string][]): Column[] {
  return pairs.map(([key, header]) => ({ key, header }));
}

/** The pull request cells of a commit: number, url, approvers, approval times, merged_at. */
export function pullRequestCells(input: EvidenceInput, sha: string | undefined): Row {
  const pr = sha ? input.pullRequests.get(sha) : undefined;
  return {
    pullRequest: pr ? `#${pr.number}` : pr === null ? 'none found' : null,
    pullRequestUrl: pr?.url ?? null,
    approvers: pr ? pr.approvals.map((a) => a.login).join('; ') : null,
    approvedAt: pr ? pr.approvals.map((a) => a.submittedAt ?? '').join('; ') : null,
    approvedCommits: pr ? pr.approvals.map((a) => a.commitId ?? '').join('; ') : null,
    mergedAt: pr?.mergedAt ?? null,
  };
}

export const PULL_REQUEST_COLUMNS: [string, string][] = [
  ['pullRequest', 'Pull request'],
  ['pullRequestUrl', 'Pull request URL'],
  ['approvers', 'Approved by'],
  ['approvedAt', 'Approved at'],
  ['approvedCommits', 'Approved commit'],
  ['mergedAt', 'Merged at'],
];

/** The commit cells: sha, author, date, subject. */
export function commitCells(c: CommitInfo | undefined): Row {
  return {
    commit: c?.sha ?? null,
    author: c ? `${c.author} <${c.authorEmail}>` : null,
    committedAt: c?.committedAt ?? null,
    subject: c?.subject ?? null,
  };
}

export const COMMIT_COLUMNS: [string, string][] = [
  ['commit', 'Commit'],
  ['author', 'Author'],
  ['committedAt', 'Committed at'],
  ['subject', 'Subject'],
];

/** Why the pull request columns are empty, when they are. */
export function githubNotes(input: EvidenceInput, what: string): string[] {
  return input.githubGaps.map((g) => `${what} are empty or partial: ${g}`);
}

/** `1 finding`, `2 findings`. */
export function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export const JML_KINDS = ['joiner', 'mover', 'leaver'] as const;
export type JmlKind = (typeof JML_KINDS)[number];

export function isJmlEvent(kind: string): kind is JmlKind {
  return (JML_KINDS as readonly string[]).includes(kind);
}

/** A record's run instant: when it started. */
export function runMs(r: RecordFile): number {
  return Date.parse(r.record.startedAt);
}

/** The key of "the last change to people/<person>.yaml as of this record's commit (or start)". */
export function personChangeKey(person: string, r: RecordFile): string {
  return `${person}@${r.record.commit ?? r.record.startedAt}`;
}
