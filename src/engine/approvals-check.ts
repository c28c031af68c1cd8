/**
 * engine: the `jml/approvals` check on a pull request. The pull request comes from a file the
 * user named or from GitHub; it is decided from the two checkouts (src/engine/approvals.ts), and,
 * from GitHub, the verdict is kept as one comment and posted as the check run on the judged
 * commit. A verdict is only ever for the commit checked out and read.
 */
import path from 'node:path';
import {
  checkPullRequestData,
  PullRequestDataError,
  type PullRequestFacts,
} from '../approvals/pull-request.js';
import { headline, renderApprovalsMarkdown } from '../approvals/render.js';
import type { Decision } from '../approvals/types.js';
import type { GitHubAccess, GitHubClient } from '../github/client.js';
import { gitCommit } from '../load/git.js';
import { decideFromCheckouts } from './approvals.js';
import { CheckoutError } from './checkout.js';

/** The marker of the one approvals comment jml keeps on a pull request. */
const APPROVALS_MARKER = '<!-- jml:approvals -->';

/**
 * What the check asks of GitHub: the pull request (or the open one whose head is a commit) as the
 * REST API returns it, then the sticky comment and the check run that report the decision.
 */
export type ApprovalsGitHub = Pick<
  GitHubClient,
  'openPullRequestWithHead' | 'pullRequestData' | 'upsertStickyComment' | 'createCheckRun'
>;

/** Where the pull request comes from. */
export type ApprovalsPullRequest =
  /** Its facts, read from a file the user named (`--changes`). */
  | { kind: 'facts'; facts: PullRequestFacts }
  /** Fetched from GitHub: by number, or the open one whose head is `headSha`; and what to post. */
  | {
      kind: 'github';
      github: GitHubAccess<ApprovalsGitHub>;
      number?: number;
      headSha?: string;
      comment: boolean;
      checkRun: boolean;
    };

export interface ApprovalsCheckRequest {
  /** A checkout of the base branch: managers, owners, teams and offboarding holds are read from it. */
  baseRoot: string;
  /** A checkout of the pull request's head, read as data only. */
  headRoot: string;
  /** Decide as of this instant (who has left, who is on hold). */
  now: number;
  pullRequest: ApprovalsPullRequest;
}

export type ApprovalsCheckOutcome =
  /** GitHub refused, the pull request's data is not what GitHub returns, or a checkout cannot be read. */
  | { kind: 'refused'; message: string }
  /** No open pull request has `headSha` as its head: a newer push is judged by its own run. */
  | { kind: 'no-open-pull-request'; headSha: string }
  /** The pull request's head moved past the checkout: that commit is judged by its own run; nothing posted. */
  | { kind: 'head-moved'; checkedOut: string; headSha: string }
  /**
   * Decided (and posted, from GitHub). `failed`: posting the comment or the check run failed
   * after the decision; the CLI shows the decision, then reports this.
   */
  | { kind: 'decided'; decision: Decision; failed?: unknown };

const isGitHubError = (e: unknown) => e instanceof Error && e.name === 'GitHubError';

/** Decides whether the pull request carries the approvals its effect needs, and reports it on GitHub. */
export async function checkApprovals(req: ApprovalsCheckRequest): Promise<ApprovalsCheckOutcome> {
  const pr = req.pullRequest;
  let facts: PullRequestFacts;
  let number: number | undefined;
  if (pr.kind === 'facts') facts = pr.facts;
  else {
    // --- the pull request, from GitHub ---------------------------------------------------------
    const { client, owner, repo } = pr.github;
    try {
      number =
        pr.headSha !== undefined ? await client.openPullRequestWithHead(owner, repo, pr.headSha) : pr.number;
      if (number === undefined) return { kind: 'no-open-pull-request', headSha: pr.headSha ?? '' };
      facts = checkPullRequestData(
        await client.pullRequestData(owner, repo, number),
        `GitHub ${owner}/${repo}#${number}`,
      );
    } catch (e) {
      if (e instanceof PullRequestDataError || isGitHubError(e))
        return { kind: 'refused', message: (e as Error).message };
      throw e;
    }
    // The verdict is for the commit checked out and read, never for one it did not read.
    const checkedOut = gitCommit(path.resolve(req.headRoot));
    // A verdict posted on GitHub is for facts.headSha: without a commit to compare, it could be for
    // content that is not that commit, so nothing is posted (fail closed).
    if (!checkedOut && (pr.comment || pr.checkRun))
      return {
        kind: 'refused',
        message: `${path.resolve(req.headRoot)} is not a git checkout, so it cannot be shown to be ${facts.headSha.slice(0, 12)}: check out the pull request's head by SHA before posting a verdict.`,
      };
    if (checkedOut && checkedOut.toLowerCase() !== facts.headSha.toLowerCase())
      return { kind: 'head-moved', checkedOut, headSha: facts.headSha };
  }
  // --- decide --------------------------------------------------------------------------------
  let decision: Decision;
  try {
    decision = decideFromCheckouts({
      baseRoot: req.baseRoot,
      headRoot: req.headRoot,
      files: facts.files,
      author: facts.author,
      headSha: facts.headSha,
      reviews: facts.reviews,
      now: req.now,
    });
  } catch (e) {
    if (e instanceof CheckoutError) return { kind: 'refused', message: e.message };
    throw e;
  }
  // --- report it on GitHub -------------------------------------------------------------------
  if (pr.kind === 'github') {
    const { client, owner, repo } = pr.github;
    try {
      if (number !== undefined && pr.comment)
        await client.upsertStickyComment(
          owner,
          repo,
          number,
          APPROVALS_MARKER,
          renderApprovalsMarkdown(decision),
        );
      if (pr.checkRun)
        await client.createCheckRun(owner, repo, {
          headSha: decision.headSha,
          conclusion: decision.approved ? 'success' : 'failure',
          title: headline(decision),
          summary: renderApprovalsMarkdown(decision),
        });
    } catch (failed) {
      return { kind: 'decided', decision, failed };
    }
  }
  return { kind: 'decided', decision };
}
