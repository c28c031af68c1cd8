/**
 * What a workflow run is about, from the GitHub Actions environment: the event payload
 * (GITHUB_EVENT_PATH) of a pull_request / pull_request_target / pull_request_review event or a
 * push, and a client built from GITHUB_TOKEN, GITHUB_API_URL and GITHUB_REPOSITORY.
 */
import { readFileSync } from 'node:fs';
import { GitHubClient } from './client.js';

export interface PullRequestEvent {
  event: string;
  action: string;
  owner: string;
  repo: string;
  number: number;
  headSha: string;
  baseSha: string;
  author: string;
}

export interface PushEvent {
  event: 'push';
  owner: string;
  repo: string;
  ref: string;
  /** The commit pushed (a merge commit on the default branch for an apply). */
  sha: string;
}

const PR_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review']);

interface Payload {
  action?: string;
  number?: number;
  after?: string;
  ref?: string;
  pull_request?: {
    number?: number;
    head?: { sha?: string };
    base?: { sha?: string };
    user?: { login?: string };
  };
  repository?: { name?: string; owner?: { login?: string } };
}

function fail(where: string, what: string): never {
  throw new Error(`${where}: ${what}`);
}

/** Reads the event payload; `where` names it in errors (the file path). */
export function parseEvent(
  eventName: string,
  payload: unknown,
  where = 'event payload',
): PullRequestEvent | PushEvent {
  if (!payload || typeof payload !== 'object') fail(where, 'not a JSON object');
  const p = payload as Payload;
  const owner = p.repository?.owner?.login ?? fail(where, 'repository.owner.login is missing');
  const repo = p.repository?.name ?? fail(where, 'repository.name is missing');
  if (eventName === 'push') {
    return {
      event: 'push',
      owner,
      repo,
      ref: p.ref ?? fail(where, 'ref is missing'),
      sha: p.after ?? fail(where, 'after is missing'),
    };
  }
  if (!PR_EVENTS.has(eventName)) {
    fail(
      where,
      `event "${eventName}" is not a pull_request, pull_request_target, pull_request_review or push`,
    );
  }
  const pr = p.pull_request ?? fail(where, 'pull_request is missing');
  return {
    event: eventName,
    action: p.action ?? '',
    owner,
    repo,
    number: pr.number ?? p.number ?? fail(where, 'pull_request.number is missing'),
    headSha: pr.head?.sha ?? fail(where, 'pull_request.head.sha is missing'),
    baseSha: pr.base?.sha ?? fail(where, 'pull_request.base.sha is missing'),
    author: pr.user?.login ?? fail(where, 'pull_request.user.login is missing'),
  };
}

/** The event of this Actions run (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH). */
export function readEvent(env: NodeJS.ProcessEnv = process.env): PullRequestEvent | PushEvent {
  const name = env.GITHUB_EVENT_NAME ?? fail('GITHUB_EVENT_NAME', 'not set (not running in GitHub Actions?)');
  const path = env.GITHUB_EVENT_PATH ?? fail('GITHUB_EVENT_PATH', 'not set (not running in GitHub Actions?)');
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(path, `cannot read the event payload: ${(e as Error).message}`);
  }
  return parseEvent(name, payload, path);
}

/**
 * A client from the Actions environment: GITHUB_TOKEN (required), GITHUB_API_URL (GHES), and the
 * identity the token acts as: JML_GITHUB_IDENTITY, else `github-actions[bot]` inside Actions.
 */
export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): GitHubClient {
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  if (!token)
    throw new Error('GITHUB_TOKEN is not set: give the job a token with issues/pull-requests/checks write');
  const identity =
    env.JML_GITHUB_IDENTITY ?? (env.GITHUB_ACTIONS === 'true' ? 'github-actions[bot]' : undefined);
  return new GitHubClient({
    token,
    ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
    ...(identity ? { identity } : {}),
  });
}

/** owner and repo from GITHUB_REPOSITORY (`owner/repo`). */
export function repositoryFromEnv(env: NodeJS.ProcessEnv = process.env): { owner: string; repo: string } {
  const full = env.GITHUB_REPOSITORY ?? fail('GITHUB_REPOSITORY', 'not set');
  const [owner, repo, ...rest] = full.split('/');
  if (!owner || !repo || rest.length) fail('GITHUB_REPOSITORY', `"${full}" is not owner/repo`);
  return { owner, repo };
}
