/**
 * engine: `jml github merge-evidence`, the approval evidence of a merge captured when it happened.
 *
 * The apply on merge runs it right after the apply, before the record is kept on the evidence
 * branch. It amends the run's record with `approval` (records/schema.ts `mergeEvidence`): the
 * commits the push brought, the pull request that merged the commit (title, author, head, times,
 * who merged it, the HR record it came from), every review with whether it counted at merge, the
 * manager of record on the base branch of each person whose people/ file the push changed, and
 * the approvals verdict recomputed from git with the rule each approver satisfied. So the evidence
 * pack is complete from git plus the records, whether or not GitHub's API answers when it is built.
 *
 * Phases: the record and the commit (refused when the record was made from another commit); the
 * pull request from GitHub (a failure there leaves the record as it was: exit 1, run it again);
 * then everything local, from two trees written out of git into a temporary directory that is
 * always removed: the base (the commit's first parent) and the head (the pull request's head when
 * this checkout has it, else the commit itself, which is what the merge produced). The verdict is
 * `decideFromCheckouts`, the same decision as the `jml/approvals` check; when it cannot be
 * computed, `verdict` is null and `verdictError` says why, and the rest is recorded all the same.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkPullRequestData,
  mergingPullRequest,
  type PullRequestFacts,
} from '../approvals/pull-request.js';
import { type ApproverContext, counts, type Standing, standings, standingWhy } from '../approvals/reviews.js';
import type { ChangedFile, Decision, Review } from '../approvals/types.js';
import type { GitHubAccess, GitHubClient } from '../github/client.js';
import { parseHrMarker } from '../hr/propose.js';
import type { Located } from '../load/source.js';
import type { Person } from '../model/schema.js';
import { createClock } from '../model/time.js';
import { readHolds } from '../records/holds.js';
import type { ApplyRecord, MergeEvidence, ReviewAtMerge } from '../records/schema.js';
import { amendRecord } from '../records/store.js';
import { CODEOWNERS_FILE } from '../report/codeowners.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { changedDataPaths, decideFromCheckouts } from './approvals.js';
import { indexCheckout } from './checkout.js';
import type { OpenGitHub } from './github-steps.js';
import { recordToWorkFrom } from './work-record.js';

/** What merge evidence asks of GitHub: the pull requests of a commit, and one pull request in full. */
export type MergeEvidenceGitHub = Pick<GitHubClient, 'pullRequestsOfCommit' | 'pullRequestData'>;

export interface MergeEvidenceRequest {
  /** The checkout the apply ran in: the pushed commit, with its whole history (fetch-depth: 0). */
  root: string;
  /** The record to amend; default the newest in the records directory of policy/jml.yaml. */
  record?: string;
  /** The commit applied; default the record's commit, else the checkout's HEAD. */
  commit?: string;
  /** Wall-clock now (epoch ms): when the evidence was read. */
  now: number;
  /** The environment git runs in (the engine context's). */
  env: NodeJS.ProcessEnv;
}

export type MergeEvidenceResult =
  /** No record to attach the evidence to: the apply wrote none. */
  | { kind: 'no-record' }
  /** The commit is unknown here, or the record was made from another commit: nothing written. */
  | { kind: 'refused'; message: string }
  /** GitHub failed: the record is unchanged, and the step can be run again. */
  | { kind: 'failed'; recordName: string; commit: string; message: string }
  | { kind: 'recorded'; recordName: string; evidence: MergeEvidence };

const lower = (s: string) => s.toLowerCase();
const short = (sha: string) => sha.slice(0, 7);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Captures the approval evidence of the commit an apply applied and amends its record with it. */
export async function captureMergeEvidence(
  req: MergeEvidenceRequest,
  github: OpenGitHub<MergeEvidenceGitHub>,
): Promise<MergeEvidenceResult> {
  // --- the record and the commit -------------------------------------------------------------
  const root = path.resolve(req.root);
  const found = recordToWorkFrom(root, req.record);
  if (!found) return { kind: 'no-record' };
  const { index, file, record } = found;
  const recordName = path.basename(file);
  const git = gitIn(root, req.env);
  const asked = req.commit ?? record.commit ?? git.tryRun(['rev-parse', 'HEAD']);
  if (!asked)
    return {
      kind: 'refused',
      message: `${recordName} names no commit and ${root} is not a git checkout: give --commit`,
    };
  const commit = git.tryRun(['rev-parse', '--verify', '--quiet', `${asked}^{commit}`]);
  if (!commit)
    return {
      kind: 'refused',
      message: `${asked} is not a commit of the checkout ${root} (the apply job checks out with fetch-depth: 0, so the pushed commit and its parents are there)`,
    };
  if (record.commit && lower(record.commit) !== lower(commit))
    return {
      kind: 'refused',
      message: `${recordName} was made from commit ${short(record.commit)}, not ${short(commit)}: name the record of that commit with --record`,
    };
  const parents = (git.tryRun(['rev-list', '--parents', '-n', '1', commit]) ?? commit).split(' ').slice(1);
  const baseCommit = parents[0] ?? null;
  const commits = baseCommit
    ? (git.tryRun(['rev-list', '--reverse', `${baseCommit}..${commit}`]) ?? commit)
        .split('\n')
        .filter(Boolean)
    : [commit];

  // --- the pull request, from GitHub ----------------------------------------------------------
  let pull: PulledRequest | null;
  try {
    pull = await pullRequestOf(await github(), commit);
  } catch (e) {
    return { kind: 'failed', recordName, commit, message: errorText(e) };
  }

  // --- the base and the head, written out of git; the verdict -----------------------------------
  const work = mkdtempSync(path.join(tmpdir(), 'jml-merge-evidence-'));
  try {
    const mergedAt = pull?.evidence.mergedAt ? Date.parse(pull.evidence.mergedAt) : req.now;
    const at = Number.isNaN(mergedAt) ? req.now : mergedAt;
    const recordsDir = path.resolve(root, index.policy.records.dir);
    const held = new Set(readHolds(recordsDir).holds.keys());
    const baseRoot = path.join(work, 'base');
    let base: RepoIndex | undefined;
    let baseError: string | undefined;
    if (!baseCommit)
      baseError = `${short(commit)} has no parent, so there is no base branch to judge it against`;
    else {
      try {
        git.writeTree(baseCommit, baseRoot, path.join(work, 'base.index'));
        linkRecords(baseRoot, index.policy.records.dir, recordsDir);
        base = indexCheckout(baseRoot, undefined, ` (the base commit ${short(baseCommit)})`);
      } catch (e) {
        baseError = `the base commit ${short(baseCommit)} cannot be read: ${errorText(e)}`;
      }
    }
    const author = pull?.facts.author ?? record.trigger.actor;
    const headSha = pull?.facts.headSha ?? commit;
    const reviews = pull?.facts.reviews ?? [];
    const evidence: MergeEvidence = {
      commit,
      commits,
      baseCommit,
      capturedAt: new Date(req.now).toISOString(),
      pullRequest: pull?.evidence ?? null,
      ...(pull
        ? {}
        : {
            noPullRequest: `No pull request merged ${short(commit)}: GitHub lists none for it, so it was pushed to the branch directly, without the review a pull request carries.`,
          }),
      reviews: reviewsAtMerge(
        reviews,
        headSha,
        author,
        base ? { base, ctx: { now: at, clock: base.clock, held } } : undefined,
      ),
      managers: managersOf(git.changedPeople(baseCommit, commit), base),
      verdict: null,
    };
    let decision: Decision | undefined;
    let verdictError = baseError;
    if (baseCommit && base) {
      try {
        // The pull request's head when this checkout has it; else the commit, which is the
        // merge's result (a squash merge whose branch was deleted leaves no other copy).
        const headCommit = pull && git.tryRun(['rev-parse', '--verify', '--quiet', `${headSha}^{commit}`]);
        // Only what the decision reads of the head: the changed data files (laid over the base)
        // and CODEOWNERS; the rest of the head is never read, so it is not written out.
        const files = pull?.facts.files ?? git.changedFiles(baseCommit, commit);
        const headRoot = path.join(work, 'head');
        git.writeTree(headCommit || commit, headRoot, path.join(work, 'head.index'), [
          ...changedDataPaths(files),
          CODEOWNERS_FILE,
        ]);
        decision = decideFromCheckouts({
          baseRoot,
          headRoot,
          files,
          author,
          headSha,
          reviews,
          now: at,
        });
      } catch (e) {
        verdictError = `the approvals verdict cannot be computed: ${errorText(e)}`;
      }
    }
    if (decision)
      evidence.verdict = {
        approved: decision.approved,
        requirements: decision.requirements.map((r) => ({
          rule: r.rule,
          file: r.file,
          line: r.line,
          change: r.change,
          description: r.description,
          status: r.status,
          satisfiedBy: r.satisfiedBy,
          why: r.why,
        })),
      };
    else evidence.verdictError = verdictError ?? 'the approvals verdict cannot be computed';
    amendRecord(file, (r: ApplyRecord) => ({ ...r, approval: evidence }));
    return { kind: 'recorded', recordName, evidence };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// --- GitHub ------------------------------------------------------------------------------------

interface PulledRequest {
  evidence: NonNullable<MergeEvidence['pullRequest']>;
  facts: PullRequestFacts;
}

/**
 * The pull request that merged `commit`: the one whose merge commit it is, else a merged one that
 * carried it; null when none did (GitHub lists none, or does not know the commit).
 */
async function pullRequestOf(
  gh: GitHubAccess<MergeEvidenceGitHub>,
  commit: string,
): Promise<PulledRequest | null> {
  const { client, owner, repo } = gh;
  const listed = await client.pullRequestsOfCommit(owner, repo, commit);
  const pr = mergingPullRequest(listed, commit);
  if (!pr) return null;
  const data = await client.pullRequestData(owner, repo, pr.number);
  const facts = checkPullRequestData(data, `GitHub ${owner}/${repo}#${pr.number}`);
  const hr = parseHrMarker(data.pull.body);
  return {
    facts,
    evidence: {
      number: pr.number,
      url: data.pull.html_url,
      title: data.pull.title,
      author: facts.author,
      headSha: facts.headSha,
      createdAt: data.pull.created_at ?? null,
      mergedAt: data.pull.merged_at ?? null,
      mergedBy: data.pull.merged_by?.login ?? null,
      ...(hr ? { hrRecord: hr.record } : {}),
    },
  };
}

// --- reviews and managers ------------------------------------------------------------------------

/**
 * Every review, oldest first, with whether it counted at merge by the rule of `jml approvals`
 * (src/approvals/reviews.ts): only each reviewer's standing review can count, and only when it
 * approves the merged head, is not the author's and maps to a person who may approve on the base
 * branch. Without a readable base, no review is matched to a person and none counts.
 */
function reviewsAtMerge(
  reviews: readonly Review[],
  headSha: string,
  author: string,
  judge: { base: RepoIndex; ctx: ApproverContext } | undefined,
): ReviewAtMerge[] {
  const byLogin = new Map<string, Located<Person>>();
  for (const p of judge?.base.repo.people ?? []) {
    const gh = p.value.github;
    if (gh && !byLogin.has(lower(gh))) byLogin.set(lower(gh), p);
  }
  const stands = standings({ reviews, headSha, author }, (l) => byLogin.get(lower(l)));
  const ordered = reviews
    .map((r, i) => ({ r, i, t: Date.parse(r.submittedAt) }))
    .sort((a, b) => a.t - b.t || a.i - b.i);
  // Which review stands for each reviewer: the same walk as `standings` (a comment after a
  // decisive review changes nothing).
  const standing = new Map<string, number>();
  for (const { r, i } of ordered) {
    if (r.state === 'COMMENTED' && standing.has(lower(r.login))) continue;
    standing.set(lower(r.login), i);
  }
  const unjudged: ApproverContext = { now: 0, clock: createClock('UTC'), held: new Set() };
  return ordered.map(({ r, i }) => {
    const s = stands.get(lower(r.login))!;
    const row = {
      login: r.login,
      state: r.state,
      commitId: r.commitId,
      submittedAt: r.submittedAt,
      person: s.person?.value.id ?? null,
    };
    if (standing.get(lower(r.login)) !== i) return { ...row, counts: false, why: supersededWhy(r, s) };
    if (judge) return { ...row, counts: counts(s, judge.ctx), why: standingWhy(s, headSha, judge.ctx) };
    // No base to read logins from: the rules that need no person still say why it fails.
    const needsPerson = s.state === 'APPROVED' && !s.stale && !s.isAuthor;
    return {
      ...row,
      counts: false,
      why: needsPerson
        ? `@${s.login} approved the head commit ${short(headSha)}, but the base branch could not be read to tell whose login it is (see verdictError)`
        : standingWhy(s, headSha, unjudged),
    };
  });
}

function supersededWhy(r: Review, s: Standing): string {
  if (r.state === 'COMMENTED') return `@${r.login} only commented`;
  return `@${r.login}'s later review (${s.state.toLowerCase().replace('_', ' ')} on ${short(s.commitId)}) replaced this one`;
}

/** Each changed person's manager of record on the base branch; null for a person new on the head. */
function managersOf(people: readonly string[], base: RepoIndex | undefined): MergeEvidence['managers'] {
  return people.map((person) => {
    const manager = base?.people.get(person)?.value.manager ?? null;
    const managerLogin = manager ? (base?.people.get(manager)?.value.github ?? null) : null;
    return { person, manager, managerLogin };
  });
}

// --- git -----------------------------------------------------------------------------------------

/**
 * A records directory inside a tree written out of git is empty (records are not committed): it
 * is pointed at the checkout's, so the offboarding holds in force count as they did on the pull
 * request (the approval of a held person does not count).
 */
function linkRecords(treeRoot: string, recordsRel: string, recordsDir: string): void {
  if (path.isAbsolute(recordsRel) || !existsSync(recordsDir)) return;
  const at = path.resolve(treeRoot, recordsRel);
  if (!at.startsWith(`${treeRoot}${path.sep}`) || existsSync(at)) return;
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(recordsDir, at, 'dir');
}

const STATUS: Record<string, ChangedFile['status']> = {
  A: 'added',
  M: 'modified',
  D: 'removed',
  T: 'modified',
};

function gitIn(root: string, env: NodeJS.ProcessEnv) {
  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    execFileSync('git', ['-c', 'core.autocrlf=false', ...args], {
      cwd: root,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    })
      .toString()
      .trim();
  const tryRun = (args: string[]): string | null => {
    try {
      return run(args);
    } catch {
      return null;
    }
  };
  return {
    tryRun,
    /**
     * Writes the tree of `sha` (or only the paths `only` names, files or folders) into `dir`
     * through an index of its own (`indexFile`): the checkout's index and work tree are never
     * touched, and nothing is filtered out (unlike `git archive`, which honours export-ignore).
     */
    writeTree(sha: string, dir: string, indexFile: string, only?: readonly string[]): void {
      mkdirSync(dir, { recursive: true });
      run(['read-tree', sha], { GIT_INDEX_FILE: indexFile });
      const prefix = `--prefix=${dir}${path.sep}`;
      if (!only) {
        run(['checkout-index', '--all', '--force', prefix], { GIT_INDEX_FILE: indexFile });
        return;
      }
      // The paths asked for that the tree has (a removed file is absent: so it is in the merge).
      const present = only.length
        ? run(['--literal-pathspecs', 'ls-tree', '-r', '-z', '--name-only', sha, '--', ...only])
            .split('\0')
            .filter(Boolean)
        : [];
      if (present.length)
        run(['checkout-index', '--force', prefix, '--', ...present], { GIT_INDEX_FILE: indexFile });
    },
    /** Person ids whose people/ file changed from `from` (nothing: the whole tree) to `to`. */
    changedPeople(from: string | null, to: string): string[] {
      const out = from
        ? tryRun(['diff', '--no-renames', '--name-only', '-z', from, to, '--', 'people'])
        : tryRun(['ls-tree', '-r', '--name-only', '-z', to, '--', 'people']);
      const ids = (out ?? '')
        .split('\0')
        .map((f) => /^people\/([^/]+)\.ya?ml$/.exec(f)?.[1])
        .filter((id): id is string => Boolean(id));
      return [...new Set(ids)].sort();
    },
    /** The files changed from `from` to `to`, as the decision reads them (a direct push's). */
    changedFiles(from: string, to: string): ChangedFile[] {
      const out = run(['diff', '--no-renames', '--name-status', '-z', from, to]).split('\0');
      const files: ChangedFile[] = [];
      for (let i = 0; i + 1 < out.length; i += 2) {
        const status = STATUS[out[i]!.charAt(0)];
        if (status) files.push({ path: out[i + 1]!, status });
      }
      return files;
    },
  };
}
