/**
 * Starts a GitHub fake with a repository, a bot token and a client pointed at it; checks every
 * answer the fake gave against GitHub's OpenAPI description.
 */
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
