/**
 * The GitHub fake says what GitHub says: every route it serves is an operation in GitHub's
 * official OpenAPI description (the subset in vendor-specs), and every body it answers validates
 * against the response schema GitHub documents for that operation and status. The check itself
 * can fail: wrong bodies and an undocumented route are caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_MARKER } from '../../src/github/client.js';
import type { GitHubFake } from '../fakes/github/github-fake.js';
import {
  BOT,
  type GitHubHarness,
  githubSpec,
  OWNER,
  REPO,
  specMismatches,
  startGitHub,
  TOKEN,
} from '../fakes/github/harness.js';

const sha = (c: string) => c.repeat(40).slice(0, 40);
const spec = githubSpec();

/** Served routes that no exercised request reached, or that GitHub does not document. */
function undocumentedRoutes(fake: GitHubFake): string[] {
  const problems: string[] = [];
  for (const route of fake.served) {
    const hits = fake.requests.filter(
      (r) => r.method === route.method && route.path.test(decodeURIComponent(r.path.split('?')[0]!)),
    );
    if (hits.length === 0) {
      problems.push(`${route.method} ${route.path.source}: not exercised`);
      continue;
    }
    for (const hit of hits) {
      if (!spec.operation(hit.method, hit.path))
        problems.push(`${route.method} ${route.path.source}: ${hit.path} is not documented`);
    }
  }
  return problems;
}

let h: GitHubHarness;
const pathsCalled: string[] = [];

async function call(method: string, path: string, body?: unknown, raw?: string) {
  pathsCalled.push(`${method} ${path}`);
  const res = await fetch(h.fake.url + path, {
    method,
    headers: {
      authorization: `token ${TOKEN}`,
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

beforeAll(async () => {
  h = await startGitHub();
  const { fake, client } = h;
  fake.addCollaborator(OWNER, REPO, 'app-owner');
  fake.addTeam(OWNER, 'security', ['sec-lead', 'sec-two']);
  fake.addCommit(OWNER, REPO, { sha: sha('a'), message: 'base', paths: ['people/alice.yaml'] });
  fake.addCommit(OWNER, REPO, {
    sha: sha('b'),
    message: 'change',
    author: 'alice',
    paths: ['roles/eng.yaml'],
  });
  fake.setFiles(OWNER, REPO, 'main', {
    'people/alice.yaml': 'id: alice\n',
    'people/bob.yaml': 'id: bob\n',
    'policy/jml.yaml': 'x: 1\n',
  });
  fake.addPullRequest({
    number: 1,
    author: 'alice',
    baseSha: sha('a'),
    headSha: sha('b'),
    commits: [sha('b')],
    files: [
      { path: 'people/alice.yaml', status: 'added' },
      { path: 'roles/eng.yaml', status: 'renamed', previousPath: 'roles/engineering.yaml' },
      { path: 'exceptions/x.yaml', status: 'removed' },
    ],
    reviews: [
      { login: 'sec-lead', state: 'APPROVED' },
      { login: 'bob', state: 'CHANGES_REQUESTED' },
      { login: 'carol', state: 'PENDING' },
    ],
  });
  fake.addPullRequest({
    number: 2,
    author: 'bob',
    baseSha: sha('a'),
    headSha: sha('c'),
    mergeCommitSha: sha('m'),
  });

  // Through the client (Octokit).
  await client.pullRequestChanges(OWNER, REPO, 1);
  await client.upsertStickyComment(OWNER, REPO, 1, PLAN_MARKER, 'plan 1');
  await client.upsertStickyComment(OWNER, REPO, 1, PLAN_MARKER, 'plan 2');
  fake.addComment(OWNER, REPO, 1, BOT, `${PLAN_MARKER}\nduplicate`);
  await client.upsertStickyComment(OWNER, REPO, 1, PLAN_MARKER, 'plan 3');
  await client.syncIssue(OWNER, REPO, { title: 'drift', body: 'd1', labels: ['drift'] }, true);
  await client.syncIssue(OWNER, REPO, { title: 'drift', body: 'd2', labels: ['drift'] }, true);
  await client.syncIssue(OWNER, REPO, { title: 'drift', body: 'd2' }, false);
  await client.openWorkIssue(OWNER, REPO, {
    person: 'alice',
    app: 'crm',
    title: 'w',
    body: 'b',
    assignees: ['app-owner'],
    labels: ['manual'],
  });
  await client.commentOnPullRequestsOf(OWNER, REPO, sha('m'), 'applied');
  await client.createCheckRun(OWNER, REPO, {
    headSha: sha('b'),
    conclusion: 'success',
    title: 'ok',
    summary: 'all approved',
  });
  await client.fileAt(OWNER, REPO, 'people/alice.yaml', 'main');
  await client.fileAt(OWNER, REPO, 'people/nobody.yaml', 'main');
  await client.teamMembers(OWNER, 'security');
  await client.permissionOf(OWNER, REPO, 'app-owner');
  await client.permissionOf(OWNER, REPO, 'no-such-user');
  // A pull request deleting files, twice: one branch, one pull request.
  fake.repo(OWNER, REPO).refs.set('refs/heads/main', sha('b'));
  const deletion = { branch: 'jml/prune', base: 'main', title: 't', body: 'b', labels: ['jml'] };
  await client.proposeDeletion(OWNER, REPO, {
    ...deletion,
    paths: ['people/bob.yaml', 'people/nobody.yaml'],
  });
  await client.proposeDeletion(OWNER, REPO, { ...deletion, paths: ['people/bob.yaml'], body: 'b2' });
  // A pull request writing files, asking a reviewer; then once more with a changed file.
  const files = { branch: 'jml/doc', base: 'main', title: 'doc', body: 'b', message: 'm', labels: ['jml'] };
  await client.proposeFileChanges(OWNER, REPO, {
    ...files,
    reviewers: ['app-owner'],
    files: [{ path: 'docs/ROLES.md', content: 'one\n' }],
  });
  await client.proposeFileChanges(OWNER, REPO, {
    ...files,
    files: [{ path: 'docs/ROLES.md', content: 'two\n' }],
  });

  // Directly, for what the client does not call and for the error answers.
  const R = `/repos/${OWNER}/${REPO}`;
  await call('GET', `${R}/pulls/1/commits`);
  await call('GET', `${R}/pulls?state=all`);
  await call('GET', `${R}/issues/1`);
  await call('GET', `${R}/issues?state=all&labels=drift`);
  const created = (await call('POST', `${R}/issues`, { title: 'labels', labels: ['a'] })).body as {
    number: number;
  };
  await call('POST', `${R}/issues/${created.number}/labels`, { labels: ['b'] });
  await call('PUT', `${R}/issues/${created.number}/labels`, { labels: ['c'] });
  await call('GET', `${R}/issues/${created.number}/labels`);
  await call('DELETE', `${R}/issues/${created.number}/labels`);
  await call('PATCH', `${R}/issues/${created.number}`, { state: 'closed', state_reason: 'not_planned' });
  const comment = (await call('POST', `${R}/issues/${created.number}/comments`, { body: 'hello' })).body as {
    id: number;
  };
  await call('GET', `${R}/issues/comments/${comment.id}`);
  await call('PATCH', `${R}/issues/comments/${comment.id}`, { body: 'edited' });
  await call('DELETE', `${R}/issues/comments/${comment.id}`);
  await call('GET', `${R}/contents/people`);
  await call('GET', `${R}/commits?path=roles`);
  await call('GET', `${R}/commits?sha=${sha('a')}`);
  await call('POST', `${R}/git/refs`, { ref: 'refs/heads/jml/drift', sha: sha('b') });
  // Errors GitHub answers.
  await call('POST', `${R}/git/refs`, { ref: 'refs/heads/jml/drift', sha: sha('b') });
  await call('POST', `${R}/issues`, { body: 'no title' });
  await call('POST', `${R}/issues`, undefined, '{not json');
  await call('PATCH', `${R}/issues/${created.number}`, { state: 'merged' });
  await call('POST', `${R}/check-runs`, { name: 'x', head_sha: sha('b'), status: 'completed' });
  await call('GET', `${R}/issues/9999`);
  await call('GET', `${R}/contents/people/nobody.yaml?ref=nope`);
  await call('GET', `/repos/${OWNER}/missing/pulls/1`);
  await call('GET', `${R}/teleport`);
  await call('DELETE', `${R}/contents/people/alice.yaml`, {
    message: 'm',
    sha: sha('0'),
    branch: 'jml/prune',
  });
  await call('POST', `${R}/pulls`, { title: 'again', head: 'jml/prune', base: 'main' });
  await call('PUT', `${R}/contents/docs/ROLES.md`, {
    message: 'm',
    content: 'eA==',
    sha: sha('0'),
    branch: 'jml/doc',
  });
  await call('PUT', `${R}/contents/docs/ROLES.md`, { message: 'm', content: 'eA==', branch: 'nope' });
  await call('GET', `${R}/commits/${sha('m')}/pulls`);
  await call('GET', `${R}/commits/${sha('9')}/pulls`);
  await fetch(`${h.fake.url}${R}/pulls/1`);
});

afterAll(async () => {
  await h.close();
});

describe('github fake fidelity', () => {
  it('serves only operations GitHub documents, and each was exercised', () => {
    expect(undocumentedRoutes(h.fake)).toEqual([]);
    expect(h.fake.served.length).toBeGreaterThanOrEqual(27);
  });

  it('answers bodies that validate against the documented response schemas', () => {
    expect(h.fake.answers.length).toBeGreaterThan(50);
    expect(specMismatches(h.fake)).toEqual([]);
    const statuses = new Set(h.fake.answers.map((a) => a.status));
    for (const s of [200, 201, 204, 400, 401, 404, 409, 422])
      expect(statuses, `status ${s} exercised`).toContain(s);
  });

  it("answers errors in GitHub's shape: message and documentation_url", () => {
    const errors = h.fake.answers.filter((a) => a.status >= 400);
    expect(errors.length).toBeGreaterThan(6);
    for (const e of errors)
      expect(e.body, `${e.method} ${e.path}`).toMatchObject({
        message: expect.any(String),
        documentation_url: expect.any(String),
      });
    expect(errors.find((e) => e.path.endsWith('/teleport'))!.body).toMatchObject({ message: 'Not Found' });
  });

  it('puts rate-limit headers on every answer', async () => {
    const res = await fetch(`${h.fake.url}/repos/${OWNER}/${REPO}/issues`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    await res.text();
    for (const name of [
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-used',
      'x-ratelimit-reset',
      'x-ratelimit-resource',
    ]) {
      expect(res.headers.get(name), name).toBeTruthy();
    }
  });

  it('catches a wrong body: the check can fail', () => {
    const issue = h.fake.answers.find((a) => a.method === 'GET' && /\/issues\/1$/.test(a.path))!;
    const wrong = { ...(issue.body as Record<string, unknown>), state: 5 };
    delete (wrong as Record<string, unknown>).number;
    const errors = spec.validate('GET', issue.path, 200, wrong);
    expect(errors.some((e) => e.includes("must have required property 'number'"))).toBe(true);
    expect(errors.some((e) => e.includes('/state must be string'))).toBe(true);

    const pull = h.fake.answers.find(
      (a) => a.method === 'GET' && /\/pulls\/1$/.test(a.path) && a.status === 200,
    )!;
    expect(spec.validate('GET', pull.path, 200, { ...(pull.body as object), user: null })).not.toEqual([]);
    const files = h.fake.answers.find((a) => a.path.includes('/pulls/1/files'))!;
    expect(spec.validate('GET', files.path, 200, [{ filename: 'x', status: 'moved' }])).not.toEqual([]);
    expect(spec.validate('POST', '/repos/a/b/issues', 422, { message: 'Validation Failed' })).not.toEqual([]);
    expect(spec.validate('POST', '/repos/a/b/check-runs', 201, { id: 1 })).not.toEqual([]);
    expect(spec.validate('GET', '/repos/a/b/pulls/1', 418, {})).toEqual([
      'GET /repos/{owner}/{repo}/pulls/{pull_number} 418: GitHub documents no 418 answer',
    ]);
  });

  it('catches a route GitHub does not document', () => {
    expect(spec.operation('GET', '/repos/a/b/teleport')).toBeUndefined();
    expect(spec.operation('GET', '/repos/a/b/contents/people%2Falice.yaml')).toBe(
      '/repos/{owner}/{repo}/contents/{path}',
    );
    expect(spec.operation('GET', '/repos/a/b/issues/comments/5')).toBe(
      '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    );
    const route = {
      method: 'GET',
      path: /^\/repos\/([^/]+)\/([^/]+)\/teleport$/,
      handler: () => ({ status: 200 }),
    };
    h.fake.served.push(route);
    try {
      expect(undocumentedRoutes(h.fake)).toEqual([expect.stringContaining('/teleport is not documented')]);
    } finally {
      h.fake.served.pop();
    }
  });
});
