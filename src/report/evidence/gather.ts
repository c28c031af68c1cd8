/**
 * Gathers what the evidence pack is built from: the apply records (read recursively, so a
 * checkout of the jml-evidence branch with records/YYYY/MM/*.json works), git history of the
 * policy, the exceptions and each changed person, and, when a GitHub client is given, the pull
 * request of each commit with its approving reviews and the state of each manual-work issue.
 * The live provider state is read by the caller (the CLI's pipeline) and passed in. Every
 * GitHub failure becomes a gap in the output, never a crash.
 */

import { parse } from 'yaml';
import { mergingPullRequest } from '../../approvals/pull-request.js';
import { standingApprovals } from '../../approvals/reviews.js';
import type { GitHubAccess, GitHubClient } from '../../github/client.js';
import { parseHrMarker } from '../../hr/propose.js';
import type { ActualState } from '../../model/state.js';
import { distinctRecords, type RecordFile, readRecords } from '../../records/store.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import type { DayOneIssue } from '../day-one.js';
import { isJmlEvent, personChangeKey, runMs } from './common.js';
import { type CommitInfo, commitsTouching, fileAtCommit } from './git-history.js';
import { type DayOneReads, type ReviewPullRequestReads, readDayOneIssues } from './github-reads.js';
import { campaignsInPeriod, gatherReview } from './review-gather.js';
import type { EvidenceInput, IssueEvidence, ManagerOfRecord, PullRequestEvidence } from './types.js';

/**
 * What the evidence pack reads on GitHub: the pull request of a commit with its reviews, the state
 * of a manual-work issue, the day-one issues and each review file's pull request.
 */
export type EvidenceReads = Pick<GitHubClient, 'pullRequestsOfCommit' | 'reviewsOf' | 'issueState'> &
  DayOneReads &
  ReviewPullRequestReads;

export interface GatherOptions {
  root: string;
  index: RepoIndex;
  commit: string | null;
  at: number;
  since: number;
  recordsDir: string;
  actual: ActualState[];
  /** Absent: the GitHub columns stay empty and `missingGitHub` says why. */
  github?: GitHubAccess<EvidenceReads>;
  missingGitHub?: string;
}

function lastChange(root: string, person: string, r: RecordFile): CommitInfo | undefined {
  const file = `people/${person}.yaml`;
  const asOf = r.record.commit ? commitsTouching(root, [file], r.record.commit) : [];
  // A record made outside git, or on a commit this checkout lacks: the last change before it ran.
  const list = asOf.length
    ? asOf
    : commitsTouching(root, [file]).filter((c) => c.committedAt <= r.record.startedAt);
  return list[0];
}

/**
 * The manager people/<person>.yaml names on the commit's first parent (the base of its merge);
 * for a file the commit created (a joiner), the manager the new file names.
 */
function managerAt(root: string, sha: string, person: string): ManagerOfRecord | undefined {
  const file = `people/${person}.yaml`;
  const read = (rev: string) => {
    const text = fileAtCommit(root, rev, file);
    if (text === undefined) return undefined;
    try {
      const doc = parse(text) as { manager?: unknown } | null;
      return typeof doc?.manager === 'string' ? doc.manager : null;
    } catch {
      return undefined;
    }
  };
  const base = read(`${sha}^`);
  if (base !== undefined) return { manager: base, fromBase: true };
  const head = read(sha);
  return head === undefined ? undefined : { manager: head, fromBase: false };
}

export async function gatherEvidence(o: GatherOptions): Promise<EvidenceInput> {
  // Every layout: a checkout of the jml-evidence branch (records/YYYY/MM/) works as well.
  const read = readRecords(o.recordsDir);
  // A run's record read twice (this run's copy and the evidence branch's) is one run.
  const records = distinctRecords(read.records);
  const recordProblems = read.problems;
  const inPeriod = records.filter((r) => runMs(r) >= o.since && runMs(r) <= o.at);

  const policyHistory = commitsTouching(o.root, ['policy/JML-POLICY.md']);
  const exceptionHistory = commitsTouching(o.root, ['exceptions']);
  const exceptionTexts = new Map<string, string>();
  for (const c of exceptionHistory) {
    for (const f of c.files) {
      const text = fileAtCommit(o.root, f.status === 'D' ? `${c.sha}^` : c.sha, f.path);
      if (text !== undefined) exceptionTexts.set(`${c.sha}:${f.path}`, text);
    }
  }
  const personHistory = new Map<string, CommitInfo[]>();
  for (const r of inPeriod) {
    for (const ch of r.record.changes) {
      if (!ch.person || !isJmlEvent(ch.event.kind)) continue;
      const key = personChangeKey(ch.person, r);
      if (personHistory.has(key)) continue;
      const found = lastChange(o.root, ch.person, r);
      personHistory.set(key, found ? [found] : []);
    }
  }

  // The manager of record of each changed person, for approvals read from GitHub (records carry theirs).
  const managersOfRecord = new Map<string, ManagerOfRecord>();
  for (const [key, commits] of personHistory) {
    const c = commits[0];
    if (!c) continue;
    const person = key.slice(0, key.indexOf('@'));
    const found = managerAt(o.root, c.sha, person);
    if (found) managersOfRecord.set(`${c.sha}:${person}`, found);
  }

  const githubGaps: string[] = [];
  const pullRequests = new Map<string, PullRequestEvidence | null>();
  const issues = new Map<string, IssueEvidence>();
  if (o.github) {
    const { client, owner, repo } = o.github;
    const gap = (e: unknown) => {
      const text = `GitHub: ${e instanceof Error ? e.message : String(e)}`;
      if (!githubGaps.includes(text)) githubGaps.push(text);
    };
    const shas = new Set<string>([
      ...policyHistory.map((c) => c.sha),
      ...exceptionHistory.map((c) => c.sha),
      ...[...personHistory.values()].flat().map((c) => c.sha),
    ]);
    for (const sha of shas) {
      try {
        const prs = await client.pullRequestsOfCommit(owner, repo, sha);
        const pr = mergingPullRequest(prs, sha);
        if (!pr) {
          pullRequests.set(sha, null);
          continue;
        }
        const reviews = await client.reviewsOf(owner, repo, pr.number);
        const hr = parseHrMarker(pr.body);
        pullRequests.set(sha, {
          number: pr.number,
          url: pr.url,
          mergedAt: pr.mergedAt,
          ...(hr ? { hrRecord: hr.record } : {}),
          author: pr.author,
          headSha: pr.headSha,
          reviews,
          // Only approvals that stood at merge, by the rule of jml approvals.
          approvals: standingApprovals({
            reviews,
            headSha: pr.headSha,
            author: pr.author,
          }),
        });
      } catch (e) {
        gap(e);
      }
    }
    for (const r of inPeriod) {
      for (const w of r.record.workIssues ?? []) {
        const m = /\/([^/]+)\/([^/]+)\/issues\/(\d+)$/.exec(w.url);
        if (!m || issues.has(w.url)) continue;
        try {
          const state = await client.issueState(m[1]!, m[2]!, Number(m[3]));
          issues.set(w.url, { state: state.state, closedAt: state.closedAt });
        } catch (e) {
          gap(e);
        }
      }
    }
  } else {
    githubGaps.push(o.missingGitHub ?? 'GitHub was not asked.');
  }

  // Day-one confirmations (GitHub issues) and the access reviews of the period.
  let dayOne: DayOneIssue[] | undefined;
  if (o.github) {
    try {
      dayOne = await readDayOneIssues(o.github.client, o.github.owner, o.github.repo);
    } catch (e) {
      const text = `GitHub: ${e instanceof Error ? e.message : String(e)}`;
      if (!githubGaps.includes(text)) githubGaps.push(text);
    }
  }
  const reviews = [];
  for (const quarter of campaignsInPeriod(o.index, o.since, o.at)) {
    const r = await gatherReview({
      root: o.root,
      index: o.index,
      quarter,
      records,
      actual: o.actual,
      at: o.at,
      ...(o.github ? { github: o.github } : {}),
      ...(o.missingGitHub ? { missingGitHub: o.missingGitHub } : {}),
    });
    if (r) reviews.push(r);
  }

  return {
    index: o.index,
    commit: o.commit,
    at: o.at,
    since: o.since,
    records,
    recordProblems,
    policyHistory,
    exceptionHistory,
    exceptionTexts,
    personHistory,
    pullRequests,
    managersOfRecord,
    issues,
    actual: o.actual,
    githubGaps,
    reviews,
    ...(dayOne ? { dayOne } : {}),
  };
}
