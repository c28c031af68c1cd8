/**
 * review due (pure): the due date of a campaign.
 *
 * Before the due date: a reminder per open review pull request, listing what is still pending
 * in the pull request's head (its file as the reviewer has it now) and the days left.
 *
 * At or after the due date: every item nobody decided gets the campaign's policy. Undecided is
 * `pending` or `dont-know` in a file merged on the branch, and every item of a file that was
 * never merged (its decisions were never approved, so none counts). A high-risk item gets
 * `highRiskNoResponse`, any other `noResponse`: `keep` (nothing changes; recorded, a finding) or
 * `revoke` (applied as a decided revoke is, src/review/apply.ts).
 */
import type { ReviewCampaign, ReviewFile, ReviewItem } from '../model/schema.js';
import { DAY_MS } from '../model/time.js';
import type { Revocation } from './apply.js';

export const REMINDER_MARKER = '<!-- jml:review-reminder -->';

/** A reviewer file as the due date finds it. */
export interface FileAtDue {
  path: string;
  file: ReviewFile;
  /** True when the file is merged on the branch (its decisions were approved). */
  merged: boolean;
  /** The item's line in the file, for `at`. */
  lineOf: (i: number) => number;
}

export interface NoResponse {
  revoke: Revocation[];
  keep: { item: ReviewItem; at: string; reviewer: string }[];
}

/** Days left until the start of the due day (rounded up; 0 on or after it). */
export function daysLeft(at: number, dueStart: number): number {
  return Math.max(0, Math.ceil((dueStart - at) / DAY_MS));
}

export function isUndecided(item: ReviewItem, merged: boolean): boolean {
  return !merged || item.decision === 'pending' || item.decision === 'dont-know';
}

/** The no-response policy over every undecided item of the campaign. */
export function noResponse(campaign: ReviewCampaign, files: readonly FileAtDue[]): NoResponse {
  const out: NoResponse = { revoke: [], keep: [] };
  for (const f of files)
    f.file.items.forEach((item, i) => {
      if (!isUndecided(item, f.merged)) return;
      const policy = item.risk === 'high' ? campaign.highRiskNoResponse : campaign.noResponse;
      const at = `${f.path}:${f.lineOf(i)}`;
      if (policy === 'revoke')
        out.revoke.push({ item, at, reviewer: f.file.reviewer, reason: 'no-response' });
      else out.keep.push({ item, at, reviewer: f.file.reviewer });
    });
  return out;
}

/** The reminder comment for one review pull request (undefined when nothing is pending). */
export function reminderBody(
  campaign: ReviewCampaign,
  file: FileAtDue,
  left: number,
  reviewerLogin: string | undefined,
): string | undefined {
  const pending = file.file.items
    .map((item, i) => ({ item, line: file.lineOf(i) }))
    .filter(({ item }) => item.decision === 'pending');
  if (pending.length === 0) return undefined;
  const who = reviewerLogin ? `@${reviewerLogin}` : file.file.reviewer;
  const policy = (risk: string) => (risk === 'high' ? campaign.highRiskNoResponse : campaign.noResponse);
  return [
    `${who}: **${pending.length} of ${file.file.items.length}** item${file.file.items.length === 1 ? '' : 's'} in \`${file.path}\` still pending, **${left} day${left === 1 ? '' : 's'} left** (due ${campaign.due}).`,
    '',
    '| item | risk | line | if undecided at the due date |',
    '|---|---|---|---|',
    ...pending.map(({ item, line }) => `| ${item.id} | ${item.risk} | ${line} | ${policy(item.risk)} |`),
    '',
    'Set each `decision:` (keep, revoke or dont-know, with a justification for revoke and dont-know), push, then approve on the latest commit.',
    '',
    '---',
    'Updated daily by `jml review due` until the due date.',
  ].join('\n');
}
