/**
 * engine: `jml review due`, the due date of a quarter's campaign (src/review/due.ts says the
 * rules). Each reviewer file is read where it stands: merged on the branch, or in the head of its
 * open pull request (the branch jml/review/<q>/<name>).
 *
 * Before the due date: one reminder comment per open review pull request with items pending.
 * At or after it: the no-response policy on every undecided item, its revokes made to happen as
 * decided ones are (src/engine/review/remediate.ts). Without confirmation nothing is written.
 */
import path from 'node:path';
import type { GitHubAccess, GitHubClient } from '../../github/client.js';
import { locate } from '../../load/source.js';
import type { ReviewCampaign } from '../../model/schema.js';
import { reviewFilesOf } from '../../review/apply.js';
import { reviewBranch } from '../../review/bodies.js';
import { readReviewText } from '../../review/check.js';
import { daysLeft, type FileAtDue, noResponse, REMINDER_MARKER, reminderBody } from '../../review/due.js';
import type { EngineContext } from '../context.js';
import { type EngineOutcome, withPrepared } from '../prepare.js';
import {
  type RemediationRun,
  type ReviewRemediationGitHub,
  type ReviewRunPorts,
  type ReviewRunRequest,
  remediate,
} from './remediate.js';

/** What `jml review due` asks of GitHub: the open review pull requests, their files, the reminders, and the remediation's pull requests. */
export type ReviewDueGitHub = ReviewRemediationGitHub & Pick<GitHubClient, 'octokit' | 'upsertStickyComment'>;

/** A reviewer file before the due date, and what its reminder came to. */
export interface Reminder {
  path: string;
  /** Items still `pending` in the file as it stands. */
  pending: number;
  state:
    | { kind: 'merged' }
    /** No open pull request (or nothing pending in it): nobody to remind. */
    | { kind: 'no-pull-request' }
    /** A dry run, or no GitHub to comment with. */
    | { kind: 'would-remind'; pr: number }
    | { kind: 'reminded'; pr: number; action: string }
    | { kind: 'failed'; pr: number; error: string };
}

export type ReviewDueResult =
  /** reviews/<q>/campaign.yaml is not on this branch. */
  | { phase: 'no-campaign' }
  | {
      phase: 'reminders';
      campaign: ReviewCampaign;
      /** Days left until the due date. */
      left: number;
      reminders: Reminder[];
      /** Reviewer files neither merged nor in an open pull request. */
      missing: string[];
      confirmed: boolean;
      /** A reminder failed: the command exits 1. */
      failed: boolean;
    }
  | {
      phase: 'no-response';
      campaign: ReviewCampaign;
      /** Reviewer files neither merged nor readable from an open pull request: their items cannot be handled (exit 1). */
      missing: string[];
      /** Undecided items the policy revokes, and keeps with a finding. */
      revoke: number;
      keep: number;
      run: RemediationRun;
    };

export type ReviewDueOutcome = EngineOutcome<ReviewDueResult>;

/** Reminders before the due date, the no-response policy at or after it. */
export function reviewDue(
  ctx: EngineContext,
  req: ReviewRunRequest,
  ports: ReviewRunPorts<ReviewDueGitHub>,
): Promise<ReviewDueOutcome> {
  return withPrepared<ReviewDueResult>(ctx, req, async (p) => {
    const q = req.quarter;
    const campaign = p.index.repo.reviews.campaigns.find((c) => c.value.quarter === q)?.value;
    if (!campaign) return { phase: 'no-campaign' };
    const gh = ports.github;

    // --- each reviewer file where it stands: merged, or in its open pull request --------------
    const merged = reviewFilesOf(p.index, q);
    const files: (FileAtDue & { pr?: number })[] = [];
    const missing: string[] = [];
    for (const r of campaign.reviewers) {
      const m = merged.find((f) => f.path === r.file);
      const pr = gh ? await openPullRequest(gh, reviewBranch(q, path.basename(r.file, '.yaml'))) : undefined;
      if (m && !pr) {
        files.push({ ...m, merged: true });
        continue;
      }
      const text = gh && pr ? await gh.client.fileAt(gh.owner, gh.repo, r.file, pr.headSha) : undefined;
      const parsed = text === undefined ? undefined : readReviewText(r.file, text);
      if (!parsed?.value || text === undefined) {
        if (m) files.push({ ...m, merged: true });
        else missing.push(r.file);
        continue;
      }
      files.push({
        path: r.file,
        file: parsed.value,
        merged: false,
        lineOf: (i) => locate({ path: r.file, text }, ['items', i]).line,
        ...(pr ? { pr: pr.number } : {}),
      });
    }
    const dueStart = p.index.clock.dayStart(campaign.due);
    const loginOf = (id: string) => p.index.people.get(id)?.value.github;

    // --- before the due date: reminders ----------------------------------------------------------
    if (p.at < dueStart) {
      const left = daysLeft(p.at, dueStart);
      const reminders: Reminder[] = [];
      let failed = false;
      for (const f of files) {
        const body = reminderBody(campaign, f, left, loginOf(f.file.reviewer));
        const pending = f.file.items.filter((i) => i.decision === 'pending').length;
        const remind = (state: Reminder['state']) => reminders.push({ path: f.path, pending, state });
        if (f.merged || f.pr === undefined || !body) {
          remind(f.merged ? { kind: 'merged' } : { kind: 'no-pull-request' });
          continue;
        }
        if (!req.confirm || !gh) {
          remind({ kind: 'would-remind', pr: f.pr });
          continue;
        }
        try {
          const r = await gh.client.upsertStickyComment(gh.owner, gh.repo, f.pr, REMINDER_MARKER, body);
          remind({ kind: 'reminded', pr: f.pr, action: r.action });
        } catch (e) {
          failed = true;
          remind({ kind: 'failed', pr: f.pr, error: (e as Error).message });
        }
      }
      return { phase: 'reminders', campaign, left, reminders, missing, confirmed: req.confirm, failed };
    }

    // --- at or after the due date: the no-response policy ----------------------------------------
    const nr = noResponse(campaign, files);
    const run = await remediate(
      ctx,
      p,
      req,
      ports,
      'no-response',
      nr.revoke,
      nr.keep.map((k) => k.item.id),
    );
    return { phase: 'no-response', campaign, missing, revoke: nr.revoke.length, keep: nr.keep.length, run };
  });
}

/** The oldest open pull request from `branch`, with its head. */
async function openPullRequest(gh: GitHubAccess<Pick<GitHubClient, 'octokit'>>, branch: string) {
  const res = await gh.client.octokit.rest.pulls.list({
    owner: gh.owner,
    repo: gh.repo,
    head: `${gh.owner}:${branch}`,
    state: 'open',
    per_page: 100,
  });
  const pr = res.data.sort((a, b) => a.number - b.number)[0];
  return pr ? { number: pr.number, headSha: pr.head.sha } : undefined;
}
