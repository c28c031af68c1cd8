/**
 * engine: the steps `jml github` runs for the workflows, each composed with the engine's own
 * output (a plan, a drift report, an apply record): one sticky comment, one issue, the manual
 * work an apply left, the expired exceptions to prune, the OIDC token of a provider login. Each
 * takes the GitHub port it calls (src/github/client.ts, as `Pick<>`), opened only when a step
 * gets that far, so that a step with nothing to do needs no token.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { DeletionResult, GitHubAccess, GitHubClient, OpenWorkIssue } from '../github/client.js';
import type { ApplyRecord } from '../records/schema.js';
import { amendRecord } from '../records/store.js';
import {
  type ExpiredException,
  expiredExceptions,
  expiredExceptionsMarkdown,
} from '../report/expired-exceptions.js';
import { workItems } from '../report/work-items.js';
import { indexCheckout } from './checkout.js';
import { recordToWorkFrom } from './work-record.js';

/** A GitHub port, opened when a step first needs it (the client is built, Octokit loaded, then). */
export type OpenGitHub<C> = () => Promise<GitHubAccess<C>>;

/** The branch the expired-exceptions pull request is proposed from: one, reused by every run. */
export const PRUNE_BRANCH = 'jml/expired-exceptions';

// --- comment ---------------------------------------------------------------------------------

export type CommentGitHub = Pick<GitHubClient, 'commentOnPullRequestsOf' | 'upsertStickyComment'>;

export interface CommentRequest {
  /** Where: the sticky comment of this kind on pull request `pr`, or the pull requests `commit` merged. */
  on: { pr: number; kind: string } | { commit: string };
  body: string;
}

export type CommentResult =
  | { on: 'commit'; pullRequests: number[] }
  | { on: 'pr'; comment: Awaited<ReturnType<GitHubClient['upsertStickyComment']>> };

/** Keeps ONE comment of a kind on a pull request, or comments on the pull requests a commit merged. */
export async function postComment(
  gh: GitHubAccess<CommentGitHub>,
  req: CommentRequest,
): Promise<CommentResult> {
  const { client, owner, repo } = gh;
  if ('commit' in req.on)
    return {
      on: 'commit',
      pullRequests: await client.commentOnPullRequestsOf(owner, repo, req.on.commit, req.body),
    };
  const marker = `<!-- jml:${req.on.kind.replace(/[^a-z0-9-]/gi, '')} -->`;
  return { on: 'pr', comment: await client.upsertStickyComment(owner, repo, req.on.pr, marker, req.body) };
}

// --- issue -----------------------------------------------------------------------------------

export type IssueGitHub = Pick<GitHubClient, 'appendToIssue' | 'syncIssue'>;

export interface IssueRequest {
  title: string;
  body: string;
  labels: string[];
  /**
   * `sync`: open or update the one issue with this title; `close`: the condition is gone, close
   * it; `comment`: an event to acknowledge, added to the open issue (never closed).
   */
  mode: 'sync' | 'close' | 'comment';
}

/** Keeps ONE open issue with this exact title; what GitHub did, as the client says it. */
export async function keepIssue(gh: GitHubAccess<IssueGitHub>, req: IssueRequest): Promise<unknown> {
  const { client, owner, repo } = gh;
  if (req.mode === 'comment')
    return client.appendToIssue(owner, repo, { title: req.title, body: req.body, labels: req.labels });
  return client.syncIssue(
    owner,
    repo,
    {
      title: req.title,
      body: req.body,
      labels: req.labels,
      closeComment: 'Resolved: the last run found nothing.',
    },
    req.mode !== 'close',
  );
}

// --- work issues -----------------------------------------------------------------------------

export type WorkIssuesGitHub = Pick<GitHubClient, 'openWorkIssue'>;

export type WorkIssuesResult =
  | { kind: 'no-record' }
  | { kind: 'no-work'; recordName: string }
  | {
      kind: 'opened';
      /** Each issue in turn: opened now, or still open from an earlier run. */
      issues: { action: 'created' | 'existing'; url: string; title: string }[];
      /**
       * A GitHub call that failed after `issues` were opened (the record is not amended then): the
       * CLI lists them, then reports this.
       */
      failed?: unknown;
    };

/**
 * Opens one issue per person and app for the manual work an apply record left (`record`, else
 * the newest in the records directory), assigned to whoever must act, and links them from the
 * record before it is kept as evidence. Never closes anything.
 */
export async function openWorkIssues(
  req: { root: string; record?: string },
  github: OpenGitHub<WorkIssuesGitHub>,
): Promise<WorkIssuesResult> {
  const found = recordToWorkFrom(req.root, req.record);
  if (!found) return { kind: 'no-record' };
  const { index, file, record } = found;
  const items = workItems(record, index, path.basename(file));
  if (items.length === 0) return { kind: 'no-work', recordName: path.basename(file) };
  const issues: { action: 'created' | 'existing'; url: string; title: string }[] = [];
  try {
    const { client, owner, repo } = await github();
    const links: NonNullable<ApplyRecord['workIssues']> = [];
    for (const item of items) {
      const r = await client.openWorkIssue(owner, repo, item);
      links.push({ person: item.person, app: item.app, url: r.issue.url, openedAt: r.issue.createdAt });
      issues.push({ action: r.action, url: r.issue.url, title: item.title });
    }
    amendRecord(file, (r) => ({ ...r, workIssues: links }));
  } catch (failed) {
    return { kind: 'opened', issues, failed };
  }
  return { kind: 'opened', issues };
}

// --- overdue work ----------------------------------------------------------------------------

export type OverdueWorkGitHub = Pick<GitHubClient, 'openWorkIssues'>;

/** The manual-work issues open longer than policy sla.manualWorkHours at `now`, oldest first. */
export async function overdueWork(
  req: { root: string; now: number },
  github: OpenGitHub<OverdueWorkGitHub>,
): Promise<{ hours: number; overdue: OpenWorkIssue[] }> {
  const hours = indexCheckout(path.resolve(req.root)).policy.sla.manualWorkHours;
  const { client, owner, repo } = await github();
  const overdue = (await client.openWorkIssues(owner, repo)).filter(
    (i) => req.now - Date.parse(i.createdAt) > hours * 3_600_000,
  );
  return { hours, overdue };
}

// --- prune exceptions ------------------------------------------------------------------------

export type PruneGitHub = Pick<GitHubClient, 'proposeDeletion'>;

export type PruneResult =
  /** Nothing has expired on `date` (the organisation's `zone`). */
  | { kind: 'none'; date: string; zone: string }
  | {
      kind: 'expired';
      expired: ExpiredException[];
      /** What GitHub did with the pull request; absent when `failed`. */
      deletion?: DeletionResult;
      /** The GitHub port or call that failed after the expired files were found. */
      failed?: unknown;
    };

/**
 * Opens (or updates) ONE pull request that deletes the exception files whose expiry passed at
 * `at` (a function of the organisation's zone, so that a date means midnight there).
 */
export async function pruneExpiredExceptions(
  req: { root: string; at: (zone: string) => number; base: string },
  github: OpenGitHub<PruneGitHub>,
): Promise<PruneResult> {
  const index = indexCheckout(path.resolve(req.root));
  const at = req.at(index.policy.timezone);
  const expired = expiredExceptions(index, at);
  if (expired.length === 0)
    return { kind: 'none', date: index.clock.dateOf(at), zone: index.policy.timezone };
  try {
    const { client, owner, repo } = await github();
    const deletion = await client.proposeDeletion(owner, repo, {
      branch: PRUNE_BRANCH,
      base: req.base,
      paths: expired.map((x) => x.path),
      title: 'Remove expired exceptions',
      body: expiredExceptionsMarkdown(expired, index.policy.timezone),
      labels: ['jml', 'expired-exceptions'],
    });
    return { kind: 'expired', expired, deletion };
  } catch (failed) {
    return { kind: 'expired', expired, failed };
  }
}

// --- OIDC ------------------------------------------------------------------------------------

/** What exporting an OIDC token needs of the Actions runtime (the @actions/core functions). */
export interface OidcActions {
  getIDToken(audience: string): Promise<string>;
  setSecret(secret: string): void;
  exportVariable(name: string, value: string): void;
}

export interface OidcRequest {
  root: string;
  audience: string;
  /** The variable policy/jml.yaml names for the token. */
  variable: string;
  /** Only when policy/jml.yaml connects this provider for real (not embedded). */
  whenConnected?: string;
}

/**
 * Fetches the workflow's OIDC token for a provider login, masks it and exports it to the later
 * steps; nothing when `whenConnected` names a provider policy/jml.yaml does not connect for real.
 */
export async function exportOidcToken(
  req: OidcRequest,
  actions: () => Promise<OidcActions>,
): Promise<{ exported: boolean }> {
  if (req.whenConnected) {
    const policy = parse(readFileSync(path.join(req.root, 'policy/jml.yaml'), 'utf8')) as {
      providers?: Record<string, { embedded?: boolean } | undefined>;
    };
    const cfg = policy.providers?.[req.whenConnected];
    if (!cfg || cfg.embedded) return { exported: false };
  }
  const core = await actions();
  const token = await core.getIDToken(req.audience);
  core.setSecret(token);
  core.exportVariable(req.variable, token);
  return { exported: true };
}
