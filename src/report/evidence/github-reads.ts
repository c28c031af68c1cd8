/**
 * GitHub reads of access reviews and day-one confirmations, shared by `jml review report`,
 * `jml github day-one-status` and the evidence pack: the day-one issues with their comments, and
 * a review file's pull request (by its branch, else by the commit that merged the file) with the
 * approvals that stood when it merged.
 */
import { mergingPullRequest } from '../../approvals/pull-request.js';
import { standingApprovals } from '../../approvals/reviews.js';
import type { Review } from '../../approvals/types.js';
import type { GitHubClient } from '../../github/client.js';
import { DAY_ONE_LABELS, type DayOneIssue, parseDayOneMarker } from '../day-one.js';

/**
 * What reading the day-one issues needs of GitHub: Octokit itself (its issue lists keep
 * Octokit's own errors, which the evidence pack quotes as gaps).
 */
export type DayOneReads = Pick<GitHubClient, 'octokit'>;

/** What finding a review file's pull request needs of GitHub. */
export type ReviewPullRequestReads = Pick<GitHubClient, 'octokit' | 'pullRequestsOfCommit' | 'reviewsOf'>;

/** Every issue labelled day-one (open and closed) that carries jml's marker, with its comments. */
export async function readDayOneIssues(
  client: DayOneReads,
  owner: string,
  repo: string,
): Promise<DayOneIssue[]> {
  const issues = await client.octokit.paginate(client.octokit.rest.issues.listForRepo, {
    owner,
    repo,
    state: 'all',
    labels: DAY_ONE_LABELS[1]!,
    per_page: 100,
  });
  const out: DayOneIssue[] = [];
  for (const i of issues) {
    if (i.pull_request || !parseDayOneMarker(i.body)) continue;
    const comments = await client.octokit.paginate(client.octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: i.number,
      per_page: 100,
    });
    out.push({
      number: i.number,
      url: i.html_url,
      state: i.state === 'closed' ? 'closed' : 'open',
      body: i.body ?? null,
      comments: comments.map((c) => ({
        login: c.user?.login ?? '',
        body: c.body ?? '',
        createdAt: c.created_at,
      })),
    });
  }
  return out.sort((a, b) => a.number - b.number);
}

/** A review file's pull request as the report reads it. */
export interface ReviewPullRequest {
  number: number;
  url: string;
  author: string;
  headSha: string;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  /** The approvals that stood at merge (each reviewer's latest, on the head, not the author's). */
  approvals: Review[];
  /** How it was found: by `jml/review/<q>/<name>` or by the merge commit of the file. */
  foundBy: 'branch' | 'commit';
}

/**
 * The pull request of reviews/<q>/<name>.yaml: the newest one from branch jml/review/<q>/<name>
 * (merged first), else the one that merged `commit`; undefined when neither exists.
 */
export async function reviewPullRequest(
  client: ReviewPullRequestReads,
  owner: string,
  repo: string,
  branch: string,
  commit: string | undefined,
): Promise<ReviewPullRequest | undefined> {
  const pulls = await client.octokit.paginate(client.octokit.rest.pulls.list, {
    owner,
    repo,
    state: 'all',
    head: `${owner}:${branch}`,
    per_page: 100,
  });
  const byBranch = [...pulls].sort(
    (a, b) => Number(Boolean(b.merged_at)) - Number(Boolean(a.merged_at)) || b.number - a.number,
  )[0];
  let found:
    | {
        number: number;
        url: string;
        author: string;
        headSha: string;
        mergedAt: string | null;
        mergeCommitSha: string | null;
        foundBy: 'branch' | 'commit';
      }
    | undefined;
  if (byBranch)
    found = {
      number: byBranch.number,
      url: byBranch.html_url,
      author: byBranch.user?.login ?? '',
      headSha: byBranch.head.sha,
      mergedAt: byBranch.merged_at,
      mergeCommitSha: byBranch.merge_commit_sha ?? null,
      foundBy: 'branch',
    };
  else if (commit) {
    const prs = await client.pullRequestsOfCommit(owner, repo, commit);
    const pr = mergingPullRequest(prs, commit);
    if (pr)
      found = {
        number: pr.number,
        url: pr.url,
        author: pr.author,
        headSha: pr.headSha,
        mergedAt: pr.mergedAt,
        mergeCommitSha: pr.mergeCommitSha,
        foundBy: 'commit',
      };
  }
  if (!found) return undefined;
  const reviews = await client.reviewsOf(owner, repo, found.number);
  return {
    ...found,
    approvals: standingApprovals({
      reviews,
      headSha: found.headSha,
      author: found.author,
    }),
  };
}
