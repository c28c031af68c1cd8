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

/**
 * An instant in the pack's one convention, `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds, as
 * render.ts writes every cell): one written with an offset or a fraction is converted; a bare
 * date (a calendar date in the organisation's zone) or anything else stays as written.
 */
export function utc(s: string): string {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s)) return s;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? s : `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** A duration in words for a cell: `45 s`, `90 min`, `4.9 h`, `4.2 d`. */
export function duration(seconds: number): string {
  const m = seconds / 60;
  if (Math.abs(seconds) < 60) return `${Math.round(seconds)} s`;
  if (Math.abs(m) < 180) return `${Math.round(m * 10) / 10} min`;
  if (Math.abs(m) < 2880) return `${Math.round((m / 60) * 10) / 10} h`;
  return `${Math.round((m / 1440) * 10) / 10} d`;
}

export const JML_KINDS = ['joiner', 'mover', 'leaver'] as const;
export type JmlKind = (typeof JML_KINDS)[number];

/**
 * An event as the pack names it: the plan's joiner, mover and leaver, and two the pack tells apart
 * from them: `onboarding` (the first import of an existing organisation: people who had started
 * before jml's first run are not joiners) and `exception-ended` (access an exception alone granted,
 * removed when it expired or was removed; the plan files it under the person's last move).
 */
const PACK_EVENT_KINDS = ['joiner', 'mover', 'leaver', 'onboarding', 'exception-ended'] as const;
export type PackEventKind = (typeof PACK_EVENT_KINDS)[number];

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

/** The page of a departure (leaver-pages.ts): `leavers/<person>-<UTC day of the end instant>`. */
export function leaverPageName(person: string, scheduledAt: string): string {
  return `leavers/${person}-${new Date(Date.parse(scheduledAt)).toISOString().slice(0, 10)}`;
}
