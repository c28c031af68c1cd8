/**
 * Gathers what `jml review report` (and the evidence pack's access-reviews section) is built
 * from, for one quarter: the campaign and its reviewer files at HEAD, each file's git log, and,
 * with GitHub, each file's pull request with the approvals that stood when it merged. Every
 * GitHub failure becomes a gap, never a crash.
 */

import type { GitHubAccess } from '../../github/client.js';
import { byCodePoint } from '../../model/order.js';
import type { ActualState } from '../../model/state.js';
import type { RecordFile } from '../../records/store.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import { quartersEndedIn } from './access-reviews.js';
import { commitsTouching } from './git-history.js';
import { type ReviewPullRequestReads, reviewPullRequest } from './github-reads.js';
import type { ReviewFileEvidence, ReviewReportInput } from './types.js';

export interface ReviewGatherOptions {
  root: string;
  index: RepoIndex;
  quarter: string;
  records: RecordFile[];
  actual: ActualState[];
  at: number;
  github?: GitHubAccess<ReviewPullRequestReads>;
  /** Why GitHub is not read, when it is not. */
  missingGitHub?: string;
}

/**
 * The quarters whose campaign the pack reads: those overlapping [since, at] (started by `at`,
 * due on or after `since`), and the campaign of every quarter that ended in the period (started
 * by `at`), whenever it ran: the pack judges whether that quarter was reviewed.
 */
export function campaignsInPeriod(index: RepoIndex, since: number, at: number): string[] {
  const ended = new Set(quartersEndedIn(index.clock, since, at).map((q) => q.quarter));
  return index.repo.reviews.campaigns
    .filter(
      (c) =>
        Date.parse(c.value.startedAt) <= at &&
        (index.clock.dayStart(c.value.due) >= since || ended.has(c.value.quarter)),
    )
    .map((c) => c.value.quarter)
    .sort();
}

/** undefined when reviews/<quarter>/campaign.yaml is not in the checkout. */
export async function gatherReview(o: ReviewGatherOptions): Promise<ReviewReportInput | undefined> {
  const campaign = o.index.repo.reviews.campaigns.find((c) => c.value.quarter === o.quarter)?.value;
  if (!campaign) return undefined;
  const githubGaps: string[] = [];
  if (!o.github) githubGaps.push(o.missingGitHub ?? 'GitHub was not asked.');
  const files: ReviewFileEvidence[] = [];
  const located = o.index.repo.reviews.files
    .filter((f) => f.value.quarter === o.quarter && f.src.path.startsWith(`reviews/${o.quarter}/`))
    .sort((a, b) => byCodePoint(a.src.path, b.src.path));
  for (const f of located) {
    const filePath = f.src.path;
    const name = filePath.slice(`reviews/${o.quarter}/`.length).replace(/\.yaml$/, '');
    const commits = commitsTouching(o.root, [filePath]);
    let pullRequest: ReviewFileEvidence['pullRequest'];
    if (o.github) {
      try {
        pullRequest =
          (await reviewPullRequest(
            o.github.client,
            o.github.owner,
            o.github.repo,
            `jml/review/${o.quarter}/${name}`,
            commits[0]?.sha,
          )) ?? null;
      } catch (e) {
        const text = `GitHub: ${e instanceof Error ? e.message : String(e)}`;
        if (!githubGaps.includes(text)) githubGaps.push(text);
      }
    }
    files.push({ path: filePath, name, file: f.value, commits, pullRequest });
  }
  return {
    index: o.index,
    campaign,
    files,
    records: o.records,
    actual: o.actual,
    at: o.at,
    githubGaps,
  };
}
