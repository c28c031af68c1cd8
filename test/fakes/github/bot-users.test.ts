/**
 * A bot as the GitHub fake writes it against a real payload (@octokit/webhooks-examples), and
 * GitHub's description holding the fake to it: the description calls a user's `url` a URI, so
 * with formats checked a bot URL with raw brackets (`users/github-actions[bot]`, which the fake
 * used to send) is refused, where real GitHub sends `users/github-actions%5Bbot%5D`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { BOT, type GitHubHarness, githubSpec, OWNER, REPO, startGitHub, TOKEN } from './harness.js';

/** The first user of `login` in @octokit/webhooks-examples' recorded payloads. */
function realUser(login: string): Record<string, unknown> {
  const file = createRequire(import.meta.url).resolve('@octokit/webhooks-examples/api.github.com/index.json');
  let found: Record<string, unknown> | undefined;
  const walk = (x: unknown): void => {
    if (found || !x || typeof x !== 'object') return;
    if (!Array.isArray(x) && (x as { login?: unknown }).login === login && 'url' in x) {
      found = x as Record<string, unknown>;
      return;
    }
    for (const v of Object.values(x)) walk(v);
  };
  walk(JSON.parse(readFileSync(file, 'utf8')));
  if (!found) throw new Error(`no ${login} in @octokit/webhooks-examples`);
  return found;
}

let h: GitHubHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("the GitHub fake's bots", () => {
  it('a bot is written as GitHub writes one: API URLs percent-encoded, its page its app, a Bot', async () => {
    h = await startGitHub();
    const real = realUser('renovate[bot]');
    const fake = h.fake.userJson('renovate[bot]');
    const apiPath = (v: unknown, base: string) => String(v).slice(base.length);
    for (const [key, value] of Object.entries(real)) {
      if (!key.endsWith('_url') || key === 'avatar_url' || key === 'html_url') continue;
      expect(apiPath(fake[key], h.fake.url), key).toBe(apiPath(value, 'https://api.github.com'));
    }
    expect(apiPath(fake.url, h.fake.url)).toBe('/users/renovate%5Bbot%5D');
    expect(fake.html_url).toBe(real.html_url);
    expect(fake.html_url).toBe('https://github.com/apps/renovate');
    expect(fake.type).toBe('Bot');
    expect(Buffer.from(String(fake.node_id), 'base64').toString()).toMatch(/^03:Bot\d+$/);
    expect(Buffer.from(String(real.node_id), 'base64').toString()).toMatch(/^03:Bot\d+$/);
    // Every field a real bot has, the fake's has too.
    expect(Object.keys(fake)).toEqual(expect.arrayContaining(Object.keys(real)));
  });

  it('a person keeps their own page and plain API URLs', async () => {
    h = await startGitHub();
    const person = h.fake.userJson('octocat');
    expect(person).toMatchObject({ html_url: 'https://github.com/octocat', type: 'User' });
    expect(String(person.url).endsWith('/users/octocat')).toBe(true);
  });

  it("GitHub's description refuses a bot URL with raw brackets, and takes the fake's own answer", async () => {
    h = await startGitHub();
    const api = (path: string, body: unknown) =>
      fetch(`${h!.fake.url}${path}`, {
        method: 'POST',
        headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    const issue = await api(`/repos/${OWNER}/${REPO}/issues`, { title: 'Offboard someone' });
    await api(`/repos/${OWNER}/${REPO}/issues/${issue.number}/comments`, { body: 'done' });
    const answer = h.fake.answers.find((a) => a.method === 'POST' && a.path.endsWith('/comments'))!;
    const comment = answer.body as { user: Record<string, unknown> };
    expect(comment.user.login).toBe(BOT);
    const spec = githubSpec();
    expect(spec.validate('POST', answer.path, 201, comment)).toEqual([]);
    const raw = { ...comment, user: { ...comment.user, url: `${h.fake.url}/users/${BOT}` } };
    expect(spec.validate('POST', answer.path, 201, raw)).toEqual([
      `POST /repos/{owner}/{repo}/issues/{issue_number}/comments 201: /user/url must match format "uri"`,
    ]);
  });
});
