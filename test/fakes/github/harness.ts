/**
 * Starts a GitHub fake with a repository, a bot token and a client pointed at it; checks every
 * answer the fake gave against GitHub's OpenAPI description.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { GitHubClient } from '../../../src/github/client.js';
import { GitHubFake } from './github-fake.js';
import { GitHubOpenApi } from './openapi-spec.js';

export const OWNER = 'acme';
export const REPO = 'access';
export const BOT = 'github-actions[bot]';
export const TOKEN = 'ghs_fakeBotToken0123456789';

let spec: GitHubOpenApi | undefined;
export function githubSpec(): GitHubOpenApi {
  spec ??= new GitHubOpenApi();
  return spec;
}

export interface GitHubHarness {
  fake: GitHubFake;
  client: GitHubClient;
  close(): Promise<void>;
}

export async function startGitHub(
  opts: { rateLimit?: number; identity?: string | null } = {},
): Promise<GitHubHarness> {
  const fake = new GitHubFake({ rateLimit: opts.rateLimit });
  await fake.start();
  fake.addRepo(OWNER, REPO);
  fake.addToken(TOKEN, BOT);
  const client = new GitHubClient({
    token: TOKEN,
    baseUrl: fake.url,
    ...(opts.identity === null ? {} : { identity: opts.identity ?? BOT }),
  });
  return { fake, client, close: () => fake.close() };
}

/** Every answer's body that does not match what GitHub documents for it. */
export function specMismatches(fake: GitHubFake): string[] {
  const s = githubSpec();
  return fake.answers.flatMap((a) => s.validate(a.method, a.path, a.status, a.body));
}

/** What `jml github ...` and `jml approvals --pr` read from the environment. */
const CLI_ENV = ['GITHUB_TOKEN', 'GITHUB_API_URL', 'GITHUB_REPOSITORY', 'GITHUB_REF_NAME'] as const;

/** Points the CLI's GitHub environment at the harness's fake; returns what restores it. */
export function pointCliAt(h: GitHubHarness): () => void {
  const saved = Object.fromEntries(CLI_ENV.map((k) => [k, process.env[k]]));
  for (const key of CLI_ENV) delete process.env[key];
  Object.assign(process.env, {
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: h.fake.url,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
  });
  return () => {
    for (const key of CLI_ENV)
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
  };
}

/**
 * For a test file of CLI commands that talk to GitHub: a fresh fake for each test, the CLI's
 * environment pointed at it, and afterwards every answer it gave checked against GitHub's
 * description. `use` receives each test's harness.
 */
export function githubForEachTest(use: (h: GitHubHarness) => void): void {
  let h: GitHubHarness;
  let restore: () => void;
  beforeEach(async () => {
    h = await startGitHub();
    restore = pointCliAt(h);
    use(h);
  });
  afterEach(async () => {
    const mismatches = specMismatches(h.fake);
    await h.close();
    restore();
    expect(mismatches).toEqual([]);
  });
}
