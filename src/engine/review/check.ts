/**
 * engine: `jml review check`, the required check on a review pull request (src/review/check.ts
 * judges it). The pull request is read through GitHub (by number, or the open one whose head is a
 * commit: the re-run after a review), with a checkout of its base for the people; or from two
 * checkouts, with the pull request's reviews given as data. With GitHub the verdict can be kept
 * as one comment on the pull request and posted as the check run `jml/review` on the judged
 * commit (with the token the port was made with: in the trusted workflow, the approvals app's).
 *
 * A pull request that changes no reviewer file passes at once (its check run is posted too), so
 * the check can be required on every pull request.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  checkPullRequestData,
  PullRequestDataError,
  type PullRequestFacts,
} from '../../approvals/pull-request.js';
import type { ChangedFile } from '../../approvals/types.js';
import type { GitHubAccess, GitHubClient } from '../../github/client.js';
import { byCodePoint } from '../../model/order.js';
import { reviewCampaign } from '../../model/schema.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import {
  checkReview,
  isReviewerFile,
  NOT_A_REVIEW,
  quartersOf,
  REVIEW_CHECK_MARKER,
  REVIEW_CHECK_NAME,
  type ReviewCheck,
  renderReviewCheck,
} from '../../review/check.js';
import { CheckoutError, indexCheckout } from '../checkout.js';

/**
 * What `jml review check` asks of GitHub: the pull request, its files at a commit, its commits
 * (for the text a file was first proposed with), the open pull request of a head commit, and the
 * comment and check run that carry the verdict.
 */
export type ReviewCheckGitHub = Pick<
  GitHubClient,
  | 'pullRequestData'
  | 'fileAt'
  | 'octokit'
  | 'openPullRequestWithHead'
  | 'upsertStickyComment'
  | 'createCheckRun'
>;

export interface ReviewCheckRequest {
  /**
   * The pull request: on GitHub by `number`, or the open one whose head is `headSha` (`root` a
   * checkout of its base, for the people); or two checkouts, `given` its author, head and reviews.
   */
  pullRequest:
    | { from: 'github'; number: number; root: string }
    | { from: 'github'; headSha: string; root: string }
    | { from: 'checkouts'; base: string; head: string; given?: PullRequestFacts };
  /** The quarter judged; default: the one of the reviewer file the pull request changes. */
  quarter?: string;
  /** Keep one verdict comment on the pull request (GitHub only). */
  comment?: boolean;
  /** Post the verdict as the check run `jml/review` on the judged commit (GitHub only). */
  checkRun?: boolean;
}

export interface ReviewCheckPorts {
  /** Required when the pull request is read from GitHub. */
  github?: GitHubAccess<ReviewCheckGitHub>;
}

/** Where the verdict was posted, and what failed while posting it (the verdict stands). */
export interface Posted {
  comment?: { action: string };
  checkRun?: { url: string };
  /** Posting failed (a GitHub error): the command reports it and exits 1. */
  error?: string;
}

export type ReviewCheckOutcome =
  /** The pull request or a checkout could not be read: no verdict. */
  | { kind: 'error'; message: string }
  /** `headSha` is the head of no open pull request (a newer push is judged by its own run). */
  | { kind: 'no-pull-request'; headSha: string }
  /** The pull request changes no reviewer file: it passes. */
  | { kind: 'not-a-review'; posted: Posted }
  | { kind: 'judged'; check: ReviewCheck; posted: Posted };

/** Judges a review pull request and, when asked, posts the verdict. */
export async function checkReviewPullRequest(
  req: ReviewCheckRequest,
  ports: ReviewCheckPorts,
): Promise<ReviewCheckOutcome> {
  let read: PullRequestRead | { kind: 'no-pull-request'; headSha: string };
  try {
    read = await readPullRequest(req.pullRequest, ports.github);
  } catch (e) {
    if (isReadError(e)) return { kind: 'error', message: (e as Error).message };
    throw e;
  }
  if ('kind' in read) return read;
  const { facts, baseIndex, textAt, github } = read;

  const q = req.quarter ?? quartersOf(facts.files)[0];
  let judged: ReviewCheck | undefined;
  try {
    if (q) judged = await judge(q, facts, baseIndex, textAt, github !== undefined);
  } catch (e) {
    if (isReadError(e)) return { kind: 'error', message: (e as Error).message };
    throw e;
  }
  const passed = judged ? judged.passed : true;
  const summary = judged ? renderReviewCheck(judged, true) : `${NOT_A_REVIEW}\n`;
  const posted: Posted = {};
  if (github) {
    try {
      if (judged && req.comment) {
        const r = await github.client.upsertStickyComment(
          github.owner,
          github.repo,
          github.number,
          REVIEW_CHECK_MARKER,
          summary,
        );
        posted.comment = { action: r.action };
      }
      if (req.checkRun) {
        const conclusion = passed ? 'success' : 'failure';
        const r = await github.client.createCheckRun(github.owner, github.repo, {
          name: REVIEW_CHECK_NAME,
          headSha: facts.headSha,
          conclusion,
          title: `Access review check: ${conclusion}`,
          summary,
        });
        posted.checkRun = { url: r.url };
      }
    } catch (e) {
      if (!isReadError(e)) throw e;
      posted.error = (e as Error).message;
    }
  }
  return judged ? { kind: 'judged', check: judged, posted } : { kind: 'not-a-review', posted };
}

/** The failures that are the user's to fix (a checkout, the pull request's data, GitHub): exit 1. */
function isReadError(e: unknown): boolean {
  return (
    e instanceof CheckoutError || e instanceof PullRequestDataError || (e as Error)?.name === 'GitHubError'
  );
}

type Side = 'base' | 'head' | 'first';

interface PullRequestRead {
  facts: PullRequestFacts;
  baseIndex: RepoIndex;
  /** A file's text on the base, on the head, or as the pull request first had it. */
  textAt: (side: Side, file: string) => Promise<string | undefined>;
  github?: GitHubAccess<ReviewCheckGitHub> & { number: number };
}

// --- read: the pull request, from GitHub or from two checkouts --------------------------------

async function readPullRequest(
  source: ReviewCheckRequest['pullRequest'],
  gh: GitHubAccess<ReviewCheckGitHub> | undefined,
): Promise<PullRequestRead | { kind: 'no-pull-request'; headSha: string }> {
  if (source.from === 'checkouts') {
    const baseDir = path.resolve(source.base);
    const headDir = path.resolve(source.head);
    const baseIndex = indexCheckout(baseDir, undefined, ' on the base side');
    const given = source.given;
    const facts: PullRequestFacts = {
      number: given?.number ?? 0,
      author: given?.author ?? '(local)',
      headSha: given?.headSha ?? '0'.repeat(40),
      baseSha: given?.baseSha,
      files: diffCheckouts(baseDir, headDir),
      reviews: given?.reviews ?? [],
    };
    const textAt = async (side: Side, file: string) =>
      readText(path.join(side === 'head' ? headDir : baseDir, file));
    return { facts, baseIndex, textAt };
  }
  if (!gh) throw new Error('jml review check: a pull request on GitHub needs the GitHub port');
  const { client, owner, repo } = gh;
  const number =
    'number' in source ? source.number : await client.openPullRequestWithHead(owner, repo, source.headSha);
  if (number === undefined)
    return { kind: 'no-pull-request', headSha: (source as { headSha: string }).headSha };
  const facts = checkPullRequestData(
    await client.pullRequestData(owner, repo, number),
    `GitHub ${owner}/${repo}#${number}`,
  );
  const baseIndex = indexCheckout(path.resolve(source.root), undefined, ' (-C is a checkout of the base)');
  let commits: string[] | undefined;
  const textAt = async (side: Side, file: string) => {
    if (side === 'base') return facts.baseSha ? client.fileAt(owner, repo, file, facts.baseSha) : undefined;
    if (side === 'head') return client.fileAt(owner, repo, file, facts.headSha);
    // The file as the pull request first had it: at the oldest of its commits that holds it.
    commits ??= (
      await client.octokit.paginate(client.octokit.rest.pulls.listCommits, {
        owner,
        repo,
        pull_number: number,
        per_page: 100,
      })
    ).map((c) => c.sha);
    for (const sha of commits) {
      const text = await client.fileAt(owner, repo, file, sha);
      if (text !== undefined) return text;
    }
    return undefined;
  };
  return { facts, baseIndex, textAt, github: { ...gh, number } };
}

// --- judge: the campaign and the file's texts, then the rules ---------------------------------

async function judge(
  q: string,
  facts: PullRequestFacts,
  baseIndex: RepoIndex,
  textAt: PullRequestRead['textAt'],
  fromGitHub: boolean,
): Promise<ReviewCheck> {
  const campaignText = await textAt('base', `reviews/${q}/campaign.yaml`);
  const campaignParsed =
    campaignText === undefined ? undefined : reviewCampaign.safeParse(parse(campaignText));
  const original = new Map<string, string | undefined>();
  const head = new Map<string, string | undefined>();
  for (const f of facts.files) {
    if (!isReviewerFile(f.path, q)) continue;
    original.set(
      f.path,
      (await textAt('base', f.path)) ?? (fromGitHub ? await textAt('first', f.path) : undefined),
    );
    head.set(f.path, f.status === 'removed' ? undefined : await textAt('head', f.path));
  }
  const byLogin = new Map<string, string>();
  for (const p of baseIndex.people.values())
    if (p.value.github && !byLogin.has(p.value.github.toLowerCase()))
      byLogin.set(p.value.github.toLowerCase(), p.value.id);
  return checkReview({
    quarter: q,
    files: facts.files,
    campaign: campaignParsed?.success ? campaignParsed.data : undefined,
    original,
    head,
    author: facts.author,
    headSha: facts.headSha,
    reviews: facts.reviews,
    loginOf: (id) => baseIndex.people.get(id)?.value.github,
    personOfLogin: (login) => byLogin.get(login.toLowerCase()),
  });
}

/** The files that differ between two checkouts (the repository's data and reviews/ only). */
function diffCheckouts(baseDir: string, headDir: string): ChangedFile[] {
  const list = (dir: string) => {
    const out = new Map<string, string>();
    const walk = (rel: string) => {
      let names: string[];
      try {
        names = readdirSync(path.join(dir, rel));
      } catch {
        return;
      }
      for (const name of names) {
        const p = `${rel}/${name}`;
        if (statSync(path.join(dir, p)).isDirectory()) walk(p);
        else out.set(p, readFileSync(path.join(dir, p), 'utf8'));
      }
    };
    for (const sub of ['people', 'roles', 'exceptions', 'policy', 'reviews', '.github']) walk(sub);
    return out;
  };
  const a = list(baseDir);
  const b = list(headDir);
  const out: ChangedFile[] = [];
  for (const [p, t] of b) {
    const was = a.get(p);
    if (was === undefined) out.push({ path: p, status: 'added' });
    else if (was !== t) out.push({ path: p, status: 'modified' });
  }
  for (const p of a.keys()) if (!b.has(p)) out.push({ path: p, status: 'removed' });
  return out.sort((x, y) => byCodePoint(x.path, y.path));
}

function readText(abs: string): string | undefined {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
}
