/**
 * review (pure): the words of the pull requests `jml review start` opens, and where they go.
 * One pull request carries the campaign (merged first: it sets the terms and makes each reviewer
 * the code owner of their file), and one each reviewer file, on branches jml/review/<q>/<name>.
 */
import type { Campaign } from './start.js';

/** The labels every pull request of a quarter's review carries. */
export const REVIEW_LABELS = (quarter: string) => ['jml', 'access-review', `quarter:${quarter}`];

/** The branch of a quarter's review pull request: `campaign`, a reviewer file's name, ... */
export const reviewBranch = (quarter: string, name: string) => `jml/review/${quarter}/${name}`;

/** The body of the campaign's pull request, for the security team. */
export function campaignBody(c: Campaign): string {
  const k = c.campaign;
  return [
    `The access review of **${k.quarter}**: ${k.items} items for ${c.files.length} reviewers, due **${k.due}**.`,
    '',
    `State read at ${k.startedAt} from ${k.scope.map((s) => `${s.provider}${s.simulated ? ' (simulated)' : ''}`).join(', ')} (${k.exportFingerprint.plan}).`,
    `Undecided at the due date: ${k.noResponse} (high-risk: ${k.highRiskNoResponse}).`,
    '',
    'Merge this first: it sets the terms and makes each reviewer the code owner of their file (.github/CODEOWNERS).',
    '',
    '| file | reviewer | items |',
    '|---|---|---|',
    ...k.reviewers.map((r) => `| ${r.file} | ${r.reviewer} | ${r.items} |`),
    '',
    '---',
    'Opened by `jml review start`.',
  ].join('\n');
}

/** The body of a reviewer file's pull request: what to decide, how, and by when. */
export function reviewerBody(c: Campaign, file: string, reviewer: string, items: number): string {
  return [
    `**${reviewer}**, please review ${items} item${items === 1 ? '' : 's'} of access in \`${file}\` before **${c.campaign.due}**.`,
    '',
    'For each item set `decision:` to `keep`, `revoke` or `dont-know` (revoke and dont-know need a `justification:`), push, then approve this pull request. Change nothing else.',
    '',
    `Undecided at the due date: ${c.campaign.noResponse} (high-risk: ${c.campaign.highRiskNoResponse}). The campaign's pull request (branch jml/review/${c.campaign.quarter}/campaign) merges first.`,
    '',
    '---',
    'Opened by `jml review start`.',
  ].join('\n');
}
