/**
 * engine: `jml review start`, a quarter's access review campaign from the providers' real state
 * (src/review/start.ts builds it).
 *
 * Without GitHub the files are written into the checkout (and .github/CODEOWNERS regenerated when
 * it exists). With GitHub nothing is written locally: the campaign file and the regenerated
 * CODEOWNERS go in ONE pull request for the security team (merged first: it sets the terms and
 * makes each reviewer the code owner of their file), and each reviewer file in ONE pull request
 * of its own, its reviewer asked to review. A file that already exists with other text
 * (decisions may have been made) is never overwritten. A dry run builds the campaign and stops.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { GitHubAccess, GitHubClient } from '../../github/client.js';
import type { Located, SourceFile } from '../../load/source.js';
import type { ReviewCampaign } from '../../model/schema.js';
import { CODEOWNERS_FILE, generateCodeowners } from '../../report/codeowners.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import { campaignBody, REVIEW_LABELS, reviewBranch, reviewerBody } from '../../review/bodies.js';
import { buildCampaign, type Campaign } from '../../review/start.js';
import type { EngineContext } from '../context.js';
import { type EngineOutcome, type PrepareRequest, readActual, withPrepared } from '../prepare.js';

/** What `jml review start` asks of GitHub: who may review, a branch's file, the pull requests. */
export type ReviewStartGitHub = Pick<GitHubClient, 'permissionOf' | 'proposeFileChanges' | 'octokit'>;

export interface StartReviewRequest extends PrepareRequest {
  /** The quarter, YYYY-Qn. */
  quarter: string;
  /** The due date, YYYY-MM-DD in the organisation's zone; default: reviews.dueDays from `at`. */
  due?: string;
  /** Build the campaign and stop: nothing is written or proposed. */
  dryRun?: boolean;
  /** The branch the pull requests target (with GitHub). */
  base: string;
}

export interface StartReviewPorts {
  /** With GitHub, the campaign is proposed by pull requests; without, written into the checkout. */
  github?: GitHubAccess<ReviewStartGitHub>;
}

/** Why no campaign was started; nothing was written. */
export type StartRefusal =
  /** The campaign cannot be built (no security reviewer, ...): each problem as a sentence. */
  | { kind: 'campaign-errors'; errors: string[] }
  /** `due` is not after the instant the state is read at. */
  | { kind: 'due-not-after-start'; due: string }
  /** The campaign file exists with other terms: a campaign is started once. */
  | { kind: 'campaign-exists'; path: string };

/** One pull request of the campaign: opened or updated, left as is, or failed. */
export interface Proposal {
  branch: string;
  result:
    | { kind: 'proposed'; number: number; action: string; url: string }
    /** The branch holds `file` with other text (decisions may have been made): left as is. */
    | { kind: 'kept'; file: string }
    | { kind: 'failed'; error: string };
}

export type StartReviewResult =
  | { status: 'refused'; refusal: StartRefusal }
  | { status: 'dry-run'; campaign: Campaign }
  /** With GitHub: one entry per pull request, in the order proposed (the campaign's first). */
  | { status: 'proposed'; campaign: Campaign; proposals: Proposal[] }
  /** Without GitHub: the files written into the checkout (none when all are there already). */
  | { status: 'written'; campaign: Campaign; written: string[] };

export type StartReviewOutcome = EngineOutcome<StartReviewResult>;

/** Reads every provider and starts the quarter's campaign: by pull requests, or in the checkout. */
export function startReview(
  ctx: EngineContext,
  req: StartReviewRequest,
  ports: StartReviewPorts,
): Promise<StartReviewOutcome> {
  return withPrepared<StartReviewResult>(ctx, req, async (p) => {
    const c = buildCampaign({
      index: p.index,
      actual: await readActual(p),
      at: p.at,
      quarter: req.quarter,
      ...(req.due ? { due: req.due } : {}),
      commit: p.commit,
    });
    if (c.errors.length) return { status: 'refused', refusal: { kind: 'campaign-errors', errors: c.errors } };
    if (req.due && p.index.clock.dayStart(req.due) <= p.at)
      return { status: 'refused', refusal: { kind: 'due-not-after-start', due: req.due } };
    const existing = readText(path.join(p.root, c.campaignPath));
    if (existing !== undefined && existing !== c.campaignText)
      return { status: 'refused', refusal: { kind: 'campaign-exists', path: c.campaignPath } };
    const codeowners = codeownersWith(p.index, c);
    if (req.dryRun) return { status: 'dry-run', campaign: c };
    if (ports.github) {
      const proposals = await proposeCampaign(
        ports.github,
        p.index,
        c,
        req.base,
        existing === undefined,
        codeowners,
      );
      return { status: 'proposed', campaign: c, proposals };
    }
    return { status: 'written', campaign: c, written: writeCampaign(p.root, c, codeowners) };
  });
}

// --- GitHub: one pull request per file -------------------------------------------------------

async function proposeCampaign(
  gh: GitHubAccess<ReviewStartGitHub>,
  index: RepoIndex,
  c: Campaign,
  base: string,
  withCampaign: boolean,
  codeowners: string | undefined,
): Promise<Proposal[]> {
  const { client, owner, repo } = gh;
  const out: Proposal[] = [];
  const permissions = new Map<string, Promise<boolean>>();
  const canReview = (login: string) => {
    let known = permissions.get(login.toLowerCase());
    if (!known) {
      known = client.permissionOf(owner, repo, login).then((x) => x !== 'none');
      permissions.set(login.toLowerCase(), known);
    }
    return known;
  };
  const propose = async (
    branch: string,
    files: { path: string; content: string }[],
    title: string,
    body: string,
    reviewers: string[],
  ) => {
    try {
      // GitHub refuses a review request to anyone who is not a collaborator: those are named in
      // the body instead.
      const asked: string[] = [];
      const outside: string[] = [];
      for (const login of reviewers) ((await canReview(login)) ? asked : outside).push(login);
      const text = outside.length
        ? `${body}\n\nNot asked to review, as GitHub allows only collaborators of this repository: ${outside.join(', ')}.`
        : body;
      if (await differingOnBranch(client, owner, repo, branch, files[0]!)) {
        out.push({ branch, result: { kind: 'kept', file: files[0]!.path } });
        return;
      }
      const r = await client.proposeFileChanges(owner, repo, {
        branch,
        base,
        title,
        body: text,
        message: title,
        labels: REVIEW_LABELS(c.campaign.quarter),
        reviewers: asked,
        files,
      });
      const { number, url } = r.pullRequest;
      out.push({ branch, result: { kind: 'proposed', number, action: r.action, url } });
    } catch (e) {
      out.push({ branch, result: { kind: 'failed', error: e instanceof Error ? e.message : String(e) } });
    }
  };
  const q = c.campaign.quarter;
  const loginOf = (id: string) => index.people.get(id)?.value.github;
  if (withCampaign) {
    const files = [{ path: c.campaignPath, content: c.campaignText }];
    if (codeowners) files.push({ path: CODEOWNERS_FILE, content: codeowners });
    const security = index.policy.teams.security.map(loginOf).filter((l): l is string => Boolean(l));
    await propose(
      reviewBranch(q, 'campaign'),
      files,
      `Access review ${q}: the campaign`,
      campaignBody(c),
      security,
    );
  }
  for (const f of c.files) {
    const login = loginOf(f.reviewer);
    await propose(
      reviewBranch(q, f.name),
      [{ path: f.path, content: f.text }],
      `Access review ${q}: ${f.file.items.length} item${f.file.items.length === 1 ? '' : 's'} for ${f.reviewer}`,
      reviewerBody(c, f.path, f.reviewer, f.file.items.length),
      login ? [login] : [],
    );
  }
  return out;
}

/** Whether a branch holds `file` with other text (false when absent or equal). */
async function differingOnBranch(
  client: Pick<GitHubClient, 'octokit'>,
  owner: string,
  repo: string,
  branch: string,
  file: { path: string; content: string },
): Promise<boolean> {
  try {
    const res = await client.octokit.rest.repos.getContent({ owner, repo, path: file.path, ref: branch });
    const data = res.data as { content?: string; encoding?: string };
    if (typeof data.content !== 'string') return false;
    const text = Buffer.from(data.content, (data.encoding as BufferEncoding) ?? 'base64').toString('utf8');
    return text !== file.content;
  } catch (e) {
    if ((e as { status?: number }).status === 404) return false;
    throw e;
  }
}

// --- no GitHub: the files in this checkout ---------------------------------------------------

/** Writes the campaign, the reviewer files (never over other text) and CODEOWNERS; the paths written. */
function writeCampaign(root: string, c: Campaign, codeowners: string | undefined): string[] {
  const written: string[] = [];
  const write = (rel: string, text: string, overwrite: boolean) => {
    const abs = path.join(root, rel);
    const now = readText(abs);
    if (now === text || (now !== undefined && !overwrite)) return;
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileAtomic.sync(abs, text);
    written.push(rel);
  };
  write(c.campaignPath, c.campaignText, false);
  for (const f of c.files) write(f.path, f.text, false);
  if (codeowners) write(CODEOWNERS_FILE, codeowners, true);
  return written;
}

function readText(abs: string): string | undefined {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * .github/CODEOWNERS with this campaign's reviewer lines, when the repository has the file
 * (undefined otherwise): the campaign's pull request carries it, so that once merged each
 * reviewer owns their file and `jml codeowners --check` stays green.
 */
function codeownersWith(index: RepoIndex, c: Campaign): string | undefined {
  if (readText(path.join(index.repo.root, CODEOWNERS_FILE)) === undefined) return undefined;
  const src: SourceFile = { path: c.campaignPath, text: c.campaignText };
  const located: Located<ReviewCampaign> = { value: c.campaign, src, at: [] };
  const others = index.repo.reviews.campaigns.filter((x) => x.src.path !== c.campaignPath);
  const repo = { ...index.repo, reviews: { ...index.repo.reviews, campaigns: [...others, located] } };
  const result = generateCodeowners({ ...index, repo });
  return result.diagnostics.some((d) => d.severity === 'error') ? undefined : result.text;
}
