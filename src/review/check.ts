/**
 * review check (pure): may a review pull request merge? The required check on the pull requests
 * `jml review start` opens, one per reviewer file.
 *
 * A review file is decided by editing it: only `decision` and `justification` of the items it
 * was written with may change. The text it was written with (the original) is the file on the
 * base branch when it is there, else the file as the pull request's first commit wrote it. The
 * campaign on the base branch must list the file with the same reviewer and item count. Refused,
 * each with file:line and what to do:
 *
 * | rule                  | refused when                                                           |
 * |-----------------------|------------------------------------------------------------------------|
 * | other-file            | the pull request touches anything but one reviewer file                |
 * | not-in-campaign       | the campaign on the base branch does not list the file (as written)    |
 * | unreadable            | the head's file is not a valid review file                             |
 * | items-changed         | items added, removed or reordered                                      |
 * | field-changed         | any field but decision and justification edited                        |
 * | pending               | an item still `pending`                                                |
 * | justification-missing | `revoke` or `dont-know` without a justification                        |
 * | self-review           | an approval stands from a person whose own access is an item           |
 * | reviewer-approval     | no approval from the file's reviewer stands on the head commit         |
 *
 * Approvals are judged by the rule of `jml approvals` (src/approvals/decide.ts
 * `standingApprovals`): each reviewer's latest decisive review, APPROVED, on the head commit
 * (an approval before the last push is stale), never the author's.
 */
import { parseDocument } from 'yaml';
import { standingApprovals } from '../approvals/reviews.js';
import type { ChangedFile, Review } from '../approvals/types.js';
import { locate } from '../load/source.js';
import { type ReviewCampaign, type ReviewFile, type ReviewItem, reviewFile } from '../model/schema.js';

export interface ReviewCheckInput {
  quarter: string;
  files: readonly ChangedFile[];
  /** The campaign on the base branch (undefined when it is not there). */
  campaign: ReviewCampaign | undefined;
  /** The text of each changed reviewer file as `jml review start` wrote it, by path. */
  original: ReadonlyMap<string, string | undefined>;
  /** The text of each changed file on the head, by path (undefined: removed). */
  head: ReadonlyMap<string, string | undefined>;
  author: string;
  headSha: string;
  reviews: readonly Review[];
  /** People on the base branch: id -> github login. */
  loginOf: (person: string) => string | undefined;
  /** People on the base branch: github login (any case) -> id. */
  personOfLogin: (login: string) => string | undefined;
}

export interface Refusal {
  rule:
    | 'other-file'
    | 'not-in-campaign'
    | 'unreadable'
    | 'items-changed'
    | 'field-changed'
    | 'pending'
    | 'justification-missing'
    | 'self-review'
    | 'reviewer-approval';
  file: string;
  line: number;
  /** What is wrong, as a sentence. */
  message: string;
  /** What to do about it. */
  fix: string;
}

export interface ReviewCheck {
  passed: boolean;
  /** The reviewer file judged (undefined when the pull request changes none). */
  file?: string;
  reviewer?: string;
  /** The login whose standing approval met the reviewer rule. */
  approvedBy?: string;
  headSha: string;
  decided: number;
  items: number;
  refusals: Refusal[];
}

/** The name of the check run that carries the verdict (`jml review check --check-run`). */
export const REVIEW_CHECK_NAME = 'jml/review';
/** The marker of the one verdict comment `jml review check --comment` keeps on a pull request. */
export const REVIEW_CHECK_MARKER = '<!-- jml:review-check -->';
/** The verdict on a pull request that changes no reviewer file: it passes at once. */
export const NOT_A_REVIEW = 'No reviewer file changed: not a review pull request, nothing to check.';

const lower = (s: string) => s.toLowerCase();
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const EDITABLE = new Set(['decision', 'justification']);

/** True for reviews/<quarter>/<name>.yaml other than campaign.yaml. */
export function isReviewerFile(p: string, quarter?: string): boolean {
  const m = /^reviews\/([0-9]{4}-Q[1-4])\/([^/]+)\.yaml$/.exec(p);
  return Boolean(m && m[2] !== 'campaign' && (quarter === undefined || m[1] === quarter));
}

/** The quarters of the reviewer files a pull request changes. */
export function quartersOf(files: readonly ChangedFile[]): string[] {
  const out = new Set<string>();
  for (const f of files) if (isReviewerFile(f.path)) out.add(f.path.split('/')[1]!);
  return [...out].sort();
}

/** Parses a review file's text; undefined with the first problem's line when it is not one. */
export function readReviewText(
  file: string,
  text: string,
):
  | { value: ReviewFile; problem?: undefined }
  | { value?: undefined; problem: { line: number; message: string } } {
  const doc = parseDocument(text, { version: '1.2' });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    return { problem: { line: e.linePos?.[0].line ?? 1, message: e.message.split('\n')[0]! } };
  }
  const r = reviewFile.safeParse(doc.toJS());
  if (r.success) return { value: r.data };
  const issue = r.error.issues[0]!;
  const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  return {
    problem: {
      line: locate({ path: file, text }, at).line,
      message: `${at.join('.') || '(top level)'}: ${issue.message}`,
    },
  };
}

export function checkReview(input: ReviewCheckInput): ReviewCheck {
  const refusals: Refusal[] = [];
  const out: ReviewCheck = { passed: false, headSha: input.headSha, decided: 0, items: 0, refusals };
  const mine = input.files.filter((f) => isReviewerFile(f.path, input.quarter) && f.status !== 'removed');
  for (const f of input.files) {
    if (mine.length > 0 && f === mine[0]) continue;
    const what =
      isReviewerFile(f.path, input.quarter) && f.status !== 'removed' ? 'a second reviewer file' : 'a file';
    refusals.push({
      rule: 'other-file',
      file: f.path,
      line: 1,
      message: `The pull request ${f.status === 'removed' ? 'removes' : 'changes'} ${f.path}, ${what} that a review pull request must not touch.`,
      fix: `Revert ${f.path} on this branch: a review pull request changes only its reviewer file's decisions and justifications.`,
    });
  }
  const changed = mine[0];
  if (!changed) {
    if (refusals.length === 0) out.passed = true;
    return out;
  }
  const file = changed.path;
  out.file = file;
  const at = (text: string, p: (string | number)[]) => locate({ path: file, text }, p).line;

  // --- the original, and the campaign that lists it ------------------------------------------
  const originalText = input.original.get(file);
  const original = originalText === undefined ? undefined : readReviewText(file, originalText).value;
  const listed = input.campaign?.reviewers.find((r) => r.file === file);
  if (!input.campaign || !listed || !original) {
    refusals.push({
      rule: 'not-in-campaign',
      file,
      line: 1,
      message: !input.campaign
        ? `The campaign reviews/${input.quarter}/campaign.yaml is not on the base branch, so ${file} belongs to no campaign yet.`
        : !listed
          ? `The campaign reviews/${input.quarter}/campaign.yaml on the base branch does not list ${file}.`
          : `What jml review start wrote in ${file} cannot be read (not on the base branch, nor in the pull request's first commit).`,
      fix: !input.campaign
        ? `Merge the campaign's pull request (branch jml/review/${input.quarter}/campaign) first, then re-run this check.`
        : 'Only the files jml review start wrote are reviewed: close this pull request.',
    });
    return out;
  }
  if (original.reviewer !== listed.reviewer || original.items.length !== listed.items) {
    refusals.push({
      rule: 'not-in-campaign',
      file,
      line: 1,
      message: `${file} as first written (reviewer ${original.reviewer}, ${original.items.length} items) is not what the campaign lists (reviewer ${listed.reviewer}, ${listed.items} items).`,
      fix: 'Only the files jml review start wrote are reviewed: close this pull request.',
    });
    return out;
  }
  out.reviewer = original.reviewer;
  out.items = original.items.length;

  // --- the head: only decision and justification changed -------------------------------------
  const headText = input.head.get(file);
  const parsed = headText === undefined ? undefined : readReviewText(file, headText);
  if (!parsed?.value || headText === undefined) {
    refusals.push({
      rule: 'unreadable',
      file,
      line: parsed?.problem?.line ?? 1,
      message: `${file} is not a valid review file on the head: ${parsed?.problem?.message ?? 'missing'}.`,
      fix: 'Fix the file: set each decision to keep, revoke or dont-know, and change nothing else.',
    });
    return out;
  }
  const head = parsed.value;
  for (const key of ['quarter', 'reviewer'] as const) {
    if (head[key] !== original[key])
      refusals.push({
        rule: 'field-changed',
        file,
        line: at(headText, [key]),
        message: `${key} was changed from ${original[key]} to ${head[key]}.`,
        fix: `Set ${key} back to ${original[key]}: only decisions and justifications may change.`,
      });
  }
  const ids = (items: readonly ReviewItem[]) => items.map((i) => i.id);
  if (!same(ids(original.items), ids(head.items))) {
    const a = ids(original.items);
    const b = ids(head.items);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    const what =
      b.length > a.length
        ? 'items were added'
        : b.length < a.length
          ? 'items were removed'
          : 'items were reordered or replaced';
    refusals.push({
      rule: 'items-changed',
      file,
      line: at(headText, ['items', Math.min(i, Math.max(b.length - 1, 0))]),
      message: `The list of items differs from what jml review start wrote: ${what} (first difference at item ${i + 1}: ${b[i] ?? '(none)'} where ${a[i] ?? '(none)'} was).`,
      fix: 'Restore the items as written, in their order; decide each one by its decision and justification only.',
    });
    return out;
  }
  head.items.forEach((item, i) => {
    const was = original.items[i]! as Record<string, unknown>;
    const now = item as Record<string, unknown>;
    for (const key of Object.keys({ ...was, ...now })) {
      if (EDITABLE.has(key) || same(was[key], now[key])) continue;
      refusals.push({
        rule: 'field-changed',
        file,
        line: at(headText, key in now ? ['items', i, key] : ['items', i]),
        message: `Item ${item.id}: ${key} was changed, and only decision and justification may be.`,
        fix: `Set ${key} of ${item.id} back to ${JSON.stringify(was[key])}.`,
      });
    }
    if (item.decision === 'pending') {
      refusals.push({
        rule: 'pending',
        file,
        line: at(headText, ['items', i, 'decision']),
        message: `Item ${item.id} is still pending: every item must be decided before merge.`,
        fix: `Set decision of ${item.id} to keep, revoke or dont-know.`,
      });
    } else out.decided++;
    if ((item.decision === 'revoke' || item.decision === 'dont-know') && item.justification.trim() === '') {
      refusals.push({
        rule: 'justification-missing',
        file,
        line: at(headText, ['items', i, 'justification']),
        message: `Item ${item.id} is decided ${item.decision} without a justification.`,
        fix: `Write why in the justification of ${item.id}.`,
      });
    }
  });

  // --- approvals: the file's reviewer, on the head commit, nobody reviewing themselves ---------
  const standing = standingApprovals({
    reviews: input.reviews,
    headSha: input.headSha,
    author: input.author,
  });
  const reviewed = new Set(original.items.map((i) => i.person).filter((p): p is string => p !== null));
  for (const r of standing) {
    const person = input.personOfLogin(r.login);
    if (person && reviewed.has(person)) {
      refusals.push({
        rule: 'self-review',
        file,
        line: at(headText, ['items', original.items.findIndex((i) => i.person === person)]),
        message: `@${r.login} (${person}) approved, and ${person}'s own access is an item in this file: nobody reviews their own access.`,
        fix: `@${r.login} must dismiss that approval (or the security team moves ${person}'s items to another reviewer's file).`,
      });
    }
  }
  if (reviewed.has(original.reviewer)) {
    refusals.push({
      rule: 'self-review',
      file,
      line: at(headText, ['reviewer']),
      message: `The reviewer ${original.reviewer} has their own access in this file: nobody reviews their own access.`,
      fix: "The security team moves the reviewer's items to their manager's file.",
    });
  }
  const login = input.loginOf(original.reviewer);
  const mineApproval = login ? standing.find((r) => lower(r.login) === lower(login)) : undefined;
  if (mineApproval && !reviewed.has(original.reviewer)) out.approvedBy = mineApproval.login;
  else if (!reviewed.has(original.reviewer)) {
    const theirs = login
      ? [...input.reviews].reverse().find((r) => lower(r.login) === lower(login) && r.state === 'APPROVED')
      : undefined;
    const why = !login
      ? `${original.reviewer} has no github login on the base branch, so cannot approve`
      : lower(login) === lower(input.author)
        ? `@${login} opened this pull request, and an author's approval never counts`
        : theirs && lower(theirs.commitId) !== lower(input.headSha)
          ? `@${login} approved ${theirs.commitId.slice(0, 7)}, before the latest push (${input.headSha.slice(0, 7)}): the approval is stale`
          : theirs
            ? `@${login}'s approval was withdrawn (changes requested or dismissed)`
            : `@${login} has not approved`;
    refusals.push({
      rule: 'reviewer-approval',
      file,
      line: at(headText, ['reviewer']),
      message: `No approval from the file's reviewer ${original.reviewer} stands on the head commit: ${why}.`,
      fix: login
        ? `@${login} approves this pull request on its latest commit.`
        : `Add ${original.reviewer}'s github login to people/${original.reviewer}.yaml, then they approve.`,
    });
  }
  out.passed = refusals.length === 0;
  return out;
}

/** The verdict as Markdown (the sticky comment) or plain text. */
export function renderReviewCheck(c: ReviewCheck, markdown: boolean): string {
  const head = c.file
    ? `${c.file}: ${c.decided} of ${c.items} items decided; reviewer ${c.reviewer ?? '?'}; head ${c.headSha.slice(0, 7)}.`
    : 'No reviewer file changed.';
  const verdict = c.passed
    ? `Review check passed${c.approvedBy ? `: approved by @${c.approvedBy} on the head commit` : ''}.`
    : `Review check refused (${c.refusals.length}):`;
  const lines = c.refusals.map((r) =>
    markdown
      ? `- **${r.rule}** \`${r.file}:${r.line}\`: ${r.message} ${r.fix}`
      : `  ${r.file}:${r.line} [${r.rule}] ${r.message} ${r.fix}`,
  );
  return `${markdown ? `### jml review check\n\n${head}\n\n**${verdict}**` : `${head}\n${verdict}`}\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}
