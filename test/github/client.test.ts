import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import webhooks from '@octokit/webhooks-examples';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APPROVALS_CHECK,
  GITHUB_BODY_LIMIT,
  GitHubClient,
  GitHubError,
  PLAN_MARKER,
  workMarker,
} from '../../src/github/client.js';
import {
  clientFromEnv,
  type PullRequestEvent,
  type PushEvent,
  parseEvent,
  readEvent,
  repositoryFromEnv,
} from '../../src/github/event.js';
import {
  BOT,
  type GitHubHarness,
  OWNER,
  REPO,
  specMismatches,
  startGitHub,
  TOKEN,
} from '../fakes/github/harness.js';

const sha = (c: string) => c.repeat(40).slice(0, 40);

let h: GitHubHarness;

beforeEach(async () => {
  h = await startGitHub();
});

afterEach(async () => {
  // Every body the fake answered in a test is what GitHub documents for that answer.
  const mismatches = specMismatches(h.fake);
  const unknown = [...h.fake.server.unknownRequests];
  await h.close();
  expect(mismatches).toEqual([]);
  // 404s for unknown paths are asserted where a test asks for one.
  expect(unknown.filter((u) => !u.includes('/nope'))).toEqual([]);
});

async function raw(path: string, init: RequestInit = {}) {
  const res = await fetch(h.fake.url + path, init);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

describe('pull request changes', () => {
  it('reads every page of files and reviews, with renames and stale approvals', async () => {
    const files = Array.from({ length: 250 }, (_, i) => ({
      path: `people/p${String(i).padStart(3, '0')}.yaml`,
    }));
    files.push({
      path: 'roles/eng.yaml',
      status: 'renamed',
      previousPath: 'roles/engineering.yaml',
    } as never);
    const reviews = Array.from({ length: 45 }, (_, i) => ({
      login: `reviewer${i}`,
      state: (i % 2 ? 'COMMENTED' : 'APPROVED') as 'COMMENTED' | 'APPROVED',
      ...(i === 0 ? { commitId: sha('b') } : {}),
    }));
    h.fake.addPullRequest({
      number: 7,
      author: 'alice',
      baseSha: sha('a'),
      headSha: sha('c'),
      files,
      reviews,
    });

    const pr = await h.client.pullRequestChanges(OWNER, REPO, 7);

    expect(pr.author).toBe('alice');
    expect(pr.baseSha).toBe(sha('a'));
    expect(pr.headSha).toBe(sha('c'));
    expect(pr.files).toHaveLength(251);
    expect(pr.files[250]).toEqual({
      path: 'roles/eng.yaml',
      status: 'renamed',
      previousPath: 'roles/engineering.yaml',
    });
    expect(pr.files[0]).toEqual({ path: 'people/p000.yaml', status: 'modified' });
    expect(pr.reviews).toHaveLength(45);
    expect(pr.reviews[0]).toMatchObject({ login: 'reviewer0', state: 'APPROVED', commitId: sha('b') });
    expect(pr.reviews[1]).toMatchObject({ login: 'reviewer1', state: 'COMMENTED', commitId: sha('c') });
    expect(pr.reviews[0]!.submittedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The raw responses, as `jml approvals --changes` reads them.
    const data = await h.client.pullRequestData(OWNER, REPO, 7);
    expect(data.pull).toMatchObject({
      number: 7,
      user: { login: 'alice' },
      head: { sha: sha('c') },
      base: { sha: sha('a') },
    });
    expect(data.files).toHaveLength(251);
    expect(data.files[250]).toMatchObject({
      filename: 'roles/eng.yaml',
      status: 'renamed',
      previous_filename: 'roles/engineering.yaml',
    });
    expect(data.reviews[0]).toMatchObject({
      user: { login: 'reviewer0' },
      state: 'APPROVED',
      commit_id: sha('b'),
    });
    expect(data.reviews[0]!.submitted_at).toMatch(/Z$/);
    const filePages = h.fake.requests.filter((r) => r.path.includes('/pulls/7/files')).slice(0, 3);
    expect(filePages.map((r) => new URL(r.path, 'http://x').searchParams.get('page') ?? '1')).toEqual([
      '1',
      '2',
      '3',
    ]);
  });

  it('refuses a pull request whose files GitHub cannot list in full', async () => {
    const files = Array.from({ length: 3001 }, (_, i) => ({ path: `people/p${i}.yaml` }));
    h.fake.addPullRequest({ number: 8, author: 'alice', baseSha: sha('a'), headSha: sha('c'), files });
    await expect(h.client.pullRequestChanges(OWNER, REPO, 8)).rejects.toThrow(
      'GitHub list files of acme/access#8 failed: GitHub listed 3000 of 3001 changed files',
    );
  });

  it('reports an unknown pull request with the status and GitHub message', async () => {
    const err = await h.client.pullRequestChanges(OWNER, REPO, 99).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).status).toBe(404);
    expect((err as Error).message).toBe('GitHub get pull request acme/access#99 failed: 404 Not Found');
  });

  it("reads files and reviews as the approvals decision does: a copy is added, a draft review is nobody's", async () => {
    h.fake.addPullRequest({
      number: 9,
      author: 'alice',
      baseSha: sha('a'),
      headSha: sha('c'),
      files: [
        { path: 'roles/sre.yaml', status: 'copied', previousPath: 'roles/eng.yaml' },
        { path: 'people/bob.yaml', status: 'changed' },
        { path: 'people/carol.yaml', status: 'unchanged' },
      ],
      reviews: [
        { login: 'bob', state: 'APPROVED' },
        { login: 'carol', state: 'PENDING' },
      ],
    });

    const pr = await h.client.pullRequestChanges(OWNER, REPO, 9);

    expect(pr.files).toEqual([
      { path: 'roles/sre.yaml', status: 'added' },
      { path: 'people/bob.yaml', status: 'modified' },
    ]);
    expect(pr.reviews.map((r) => [r.login, r.state, r.commitId])).toEqual([['bob', 'APPROVED', sha('c')]]);
    expect(await h.client.reviewsOf(OWNER, REPO, 9)).toEqual(pr.reviews);
  });
});

describe('sticky plan comment', () => {
  it('is created once and then updated: exactly one after three runs', async () => {
    h.fake.addPullRequest({ number: 3, author: 'alice', baseSha: sha('a'), headSha: sha('b') });
    // Someone quoting our marker is not our comment.
    const other = h.fake.addComment(OWNER, REPO, 3, 'mallory', `${PLAN_MARKER}\nfake plan: all approved`);
    h.fake.addComment(OWNER, REPO, 3, 'bob', 'looks good');

    const first = await h.client.upsertStickyComment(OWNER, REPO, 3, PLAN_MARKER, '## Plan\n- run 1');
    const second = await h.client.upsertStickyComment(OWNER, REPO, 3, PLAN_MARKER, '## Plan\n- run 2');
    const third = await h.client.upsertStickyComment(OWNER, REPO, 3, PLAN_MARKER, '## Plan\n- run 3');
    const again = await h.client.upsertStickyComment(OWNER, REPO, 3, PLAN_MARKER, '## Plan\n- run 3');

    expect([first.action, second.action, third.action, again.action]).toEqual([
      'created',
      'updated',
      'updated',
      'unchanged',
    ]);
    expect(second.id).toBe(first.id);
    const ours = h.fake.commentsOn(OWNER, REPO, 3).filter((c) => c.user === BOT);
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toBe(`${PLAN_MARKER}\n## Plan\n- run 3`);
    expect(h.fake.commentsOn(OWNER, REPO, 3)).toHaveLength(3);
    expect(h.fake.repo(OWNER, REPO).comments.get(other.id)!.body).toContain('fake plan');
    expect(
      h.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues/3/comments')),
    ).toHaveLength(1);
  });

  it('removes a duplicate of ours left by an interrupted run', async () => {
    h.fake.addPullRequest({ number: 4, author: 'alice', baseSha: sha('a'), headSha: sha('b') });
    h.fake.addComment(OWNER, REPO, 4, BOT, `${PLAN_MARKER}\nold`);
    h.fake.addComment(OWNER, REPO, 4, BOT, `${PLAN_MARKER}\nolder duplicate`);
    await h.client.upsertStickyComment(OWNER, REPO, 4, PLAN_MARKER, 'new');
    expect(h.fake.commentsOn(OWNER, REPO, 4).map((c) => c.body)).toEqual([`${PLAN_MARKER}\nnew`]);
  });

  it('without a known identity, only a comment that starts with the marker is ours', async () => {
    const anon = new GitHubClient({ token: TOKEN, baseUrl: h.fake.url });
    h.fake.addPullRequest({ number: 5, author: 'alice', baseSha: sha('a'), headSha: sha('b') });
    h.fake.addComment(OWNER, REPO, 5, 'mallory', `quoting ${PLAN_MARKER} here`);
    await anon.upsertStickyComment(OWNER, REPO, 5, PLAN_MARKER, 'plan');
    await anon.upsertStickyComment(OWNER, REPO, 5, PLAN_MARKER, 'plan 2');
    expect(h.fake.commentsOn(OWNER, REPO, 5).map((c) => c.body)).toEqual([
      `quoting ${PLAN_MARKER} here`,
      `${PLAN_MARKER}\nplan 2`,
    ]);
  });

  it("truncates to GitHub's 65,536 characters with a note, which the fake would otherwise refuse", async () => {
    h.fake.addPullRequest({ number: 6, author: 'alice', baseSha: sha('a'), headSha: sha('b') });
    const huge = `## Plan\n${'- grant something to someone\n'.repeat(3000)}`;
    const res = await h.client.upsertStickyComment(OWNER, REPO, 6, PLAN_MARKER, huge);
    expect(res.truncated).toBe(true);
    const [c] = h.fake.commentsOn(OWNER, REPO, 6);
    expect(c!.body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(c!.body.startsWith(PLAN_MARKER)).toBe(true);
    expect(c!.body).toMatch(/\*\*Truncated:\*\* this text is 87,026 characters and GitHub allows 65,536/);

    const refused = await raw(`/repos/${OWNER}/${REPO}/issues/6/comments`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: huge }),
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'IssueComment', field: 'body' }],
    });
  });
});

describe('drift issue', () => {
  const title = 'jml: drift between the repository and the identity providers';

  it('is opened, updated, left alone when unchanged, then closed with a comment', async () => {
    h.fake.addCollaborator(OWNER, REPO, 'sec-lead');
    const opened = await h.client.syncIssue(
      OWNER,
      REPO,
      { title, body: 'drift: 2', labels: ['jml', 'drift'], assignees: ['sec-lead'] },
      true,
    );
    const updated = await h.client.syncIssue(
      OWNER,
      REPO,
      { title, body: 'drift: 3', labels: ['jml', 'drift'] },
      true,
    );
    const same = await h.client.syncIssue(
      OWNER,
      REPO,
      { title, body: 'drift: 3', labels: ['drift', 'jml'] },
      true,
    );
    expect([opened.action, updated.action, same.action]).toEqual(['created', 'updated', 'unchanged']);
    const issues = h.fake.issuesOf(OWNER, REPO);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      title,
      state: 'open',
      labels: ['jml', 'drift'],
      assignees: ['sec-lead'],
    });
    expect(issues[0]!.body).toContain('drift: 3');

    const closed = await h.client.syncIssue(OWNER, REPO, { title, body: 'no drift' }, false);
    expect(closed.action).toBe('closed');
    expect(issues[0]).toMatchObject({ state: 'closed', stateReason: 'completed' });
    expect(h.fake.commentsOn(OWNER, REPO, issues[0]!.number).map((c) => c.body)).toEqual([
      'Resolved: the last run found nothing for this issue.',
    ]);
    expect((await h.client.syncIssue(OWNER, REPO, { title, body: 'no drift' }, false)).action).toBe('none');

    // Drift comes back: a new issue, the closed one stays closed.
    const again = await h.client.syncIssue(OWNER, REPO, { title, body: 'drift: 1' }, true);
    expect(again.action).toBe('created');
    expect(h.fake.issuesOf(OWNER, REPO).map((i) => i.state)).toEqual(['closed', 'open']);
  });

  it('keeps one: a second open issue with the same title is closed as a duplicate; PRs and other titles are ignored', async () => {
    h.fake.addPullRequest({ number: 1, author: 'alice', title, baseSha: sha('a'), headSha: sha('b') });
    const first = await h.client.syncIssue(OWNER, REPO, { title, body: 'a' }, true);
    await h.client.syncIssue(OWNER, REPO, { title: `${title} (old)`, body: 'x' }, true);
    // A person opened one by hand with the same title.
    await raw(`/repos/${OWNER}/${REPO}/issues`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title, body: 'by hand' }),
    });
    const res = await h.client.syncIssue(OWNER, REPO, { title, body: 'b' }, true);
    expect(res.action).toBe('updated');
    expect(res.action !== 'none' && res.issue.number).toBe(first.action !== 'none' && first.issue.number);
    expect(res.closedDuplicates).toHaveLength(1);
    expect(h.fake.issuesOf(OWNER, REPO).filter((i) => i.state === 'open' && i.title === title)).toHaveLength(
      1,
    );
    expect(h.fake.repo(OWNER, REPO).issues.get(1)!.state).toBe('open');
  });
});

describe('manual work issues', () => {
  it('opens one per person and app, assigned and labelled, and never closes or duplicates', async () => {
    h.fake.addCollaborator(OWNER, REPO, 'app-owner');
    const spec = {
      person: 'alice',
      app: 'payroll',
      title: 'Grant payroll:viewer to alice (manual)',
      body: 'Apply record: applies/2026-11-26.json',
      assignees: ['app-owner'],
      labels: ['jml', 'manual-work'],
    };
    const a = await h.client.openWorkIssue(OWNER, REPO, spec);
    const b = await h.client.openWorkIssue(OWNER, REPO, spec);
    const c = await h.client.openWorkIssue(OWNER, REPO, { ...spec, app: 'crm', title: 'Grant crm to alice' });
    expect(a.action).toBe('created');
    expect(b).toEqual({ action: 'existing', issue: a.issue });
    expect(c.action).toBe('created');
    const issues = h.fake.issuesOf(OWNER, REPO);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({
      state: 'open',
      assignees: ['app-owner'],
      labels: ['jml', 'manual-work'],
    });
    expect(issues[0]!.body!.startsWith(workMarker('alice', 'payroll'))).toBe(true);
    expect(a.issue.url).toBe(`https://github.com/${OWNER}/${REPO}/issues/${a.issue.number}`);
    expect(h.fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);

    // Someone removed the label: it comes back, and the issue stays open.
    issues[0]!.labels = ['jml'];
    await h.client.openWorkIssue(OWNER, REPO, spec);
    expect(issues[0]).toMatchObject({ state: 'open', labels: ['jml', 'manual-work'] });
  });

  it('fails clearly when the assignee cannot be assigned, without the token', async () => {
    const err = (await h.client
      .openWorkIssue(OWNER, REPO, {
        person: 'bob',
        app: 'crm',
        title: 't',
        body: 'b',
        assignees: ['stranger'],
      })
      .catch((e: unknown) => e)) as GitHubError;
    expect(err).toBeInstanceOf(GitHubError);
    expect(err.status).toBe(422);
    expect(err.message).toContain(
      '422 Validation Failed (assignees invalid stranger cannot be assigned to this issue)',
    );
    expect(err.message).not.toContain(TOKEN);
    expect(JSON.stringify(err)).not.toContain(TOKEN);
  });
});

describe('apply result on the merged pull request', () => {
  it('finds the PR of a merge commit and comments once per commit', async () => {
    h.fake.addPullRequest({
      number: 10,
      author: 'alice',
      baseSha: sha('a'),
      headSha: sha('b'),
      mergeCommitSha: sha('m'),
    });
    h.fake.addPullRequest({ number: 11, author: 'bob', baseSha: sha('a'), headSha: sha('d') });
    h.fake.addPullRequest({
      number: 12,
      author: 'carol',
      baseSha: sha('a'),
      headSha: sha('e'),
      state: 'closed',
    });
    expect(await h.client.commentOnPullRequestsOf(OWNER, REPO, sha('m'), 'Applied: 3 changes')).toEqual([10]);
    expect(
      await h.client.commentOnPullRequestsOf(OWNER, REPO, sha('m'), 'Applied: 3 changes, 1 retried'),
    ).toEqual([10]);
    expect(h.fake.commentsOn(OWNER, REPO, 10).map((c) => c.body)).toEqual([
      `<!-- jml:apply ${sha('m')} -->\nApplied: 3 changes, 1 retried`,
    ]);
    expect(await h.client.commentOnPullRequestsOf(OWNER, REPO, sha('f'), 'x')).toEqual([]);
    expect(h.fake.commentsOn(OWNER, REPO, 11)).toEqual([]);
  });
});

describe('approvals check run, contents, teams, permissions', () => {
  it('creates a completed jml/approvals check run', async () => {
    const run = await h.client.createCheckRun(OWNER, REPO, {
      headSha: sha('b'),
      conclusion: 'failure',
      title: '1 approval missing',
      summary: 'roles/eng.yaml needs @sec-lead',
    });
    expect(run.url).toContain('/runs/');
    expect(h.fake.repo(OWNER, REPO).checkRuns).toMatchObject([
      {
        name: APPROVALS_CHECK,
        headSha: sha('b'),
        status: 'completed',
        conclusion: 'failure',
        summary: 'roles/eng.yaml needs @sec-lead',
      },
    ]);
    await expect(
      h.client.createCheckRun(OWNER, REPO, {
        headSha: 'main',
        conclusion: 'success',
        title: 't',
        summary: 's',
      }),
    ).rejects.toThrow(/422 Validation Failed \(head_sha invalid\)/);
  });

  it('reads a file at a ref through an encoded path, and tells a missing one apart', async () => {
    h.fake.setFiles(OWNER, REPO, sha('a'), { 'people/alice.yaml': 'id: alice\nemail: alice@example.com\n' });
    expect(await h.client.fileAt(OWNER, REPO, 'people/alice.yaml', sha('a'))).toBe(
      'id: alice\nemail: alice@example.com\n',
    );
    expect(await h.client.fileAt(OWNER, REPO, 'people/bob.yaml', sha('a'))).toBeUndefined();
    expect(h.fake.requests.some((r) => r.path.includes('people%2Falice.yaml'))).toBe(true);
  });

  it('lists team members and permissions', async () => {
    h.fake.addTeam(
      OWNER,
      'security',
      Array.from({ length: 120 }, (_, i) => `sec${i}`),
    );
    h.fake.addCollaborator(OWNER, REPO, 'dana', 'maintain');
    expect(await h.client.teamMembers(OWNER, 'security')).toHaveLength(120);
    expect(await h.client.permissionOf(OWNER, REPO, 'dana')).toBe('maintain');
    expect(await h.client.permissionOf(OWNER, REPO, 'sec1')).toBe('none');
    expect(await h.client.permissionOf(OWNER, REPO, 'nobody-at-all')).toBe('none');
    await expect(h.client.teamMembers(OWNER, 'ghosts')).rejects.toThrow('404 Not Found');
  });
});

describe('a pull request that writes files', () => {
  const spec = {
    branch: 'jml/roles-doc',
    base: 'main',
    title: 'Role template document',
    body: 'Generated from roles/.',
    message: 'Regenerate the role template document',
    labels: ['jml'],
    reviewers: ['sec-lead'],
    files: [
      { path: 'docs/ROLES.md', content: '# Roles\n\nengineer\n' },
      { path: 'README.md', content: '# Access\n' },
    ],
  };

  beforeEach(() => {
    h.fake.addCollaborator(OWNER, REPO, 'sec-lead');
    h.fake.addBranch(OWNER, REPO, 'main', sha('a'), {
      'README.md': '# Access\n',
      'people/a.yaml': 'id: a\n',
    });
  });

  it('creates the branch, writes only what differs, opens one labelled pull request and asks the reviewers', async () => {
    const first = await h.client.proposeFileChanges(OWNER, REPO, spec);
    expect(first).toMatchObject({ action: 'created', branch: 'created', written: ['docs/ROLES.md'] });
    expect(first.pullRequest.url).toMatch(/\/pull\/\d+$/);
    const [pull] = h.fake.pullsOf(OWNER, REPO);
    expect(pull).toMatchObject({
      headRef: 'jml/roles-doc',
      baseRef: 'main',
      requestedReviewers: ['sec-lead'],
    });
    expect(pull!.files).toEqual([{ path: 'docs/ROLES.md', status: 'added' }]);
    expect(h.fake.repo(OWNER, REPO).issues.get(pull!.number)).toMatchObject({
      labels: ['jml'],
      body: '<!-- jml:files -->\nGenerated from roles/.',
    });
    expect(h.fake.filesAt(OWNER, REPO, 'jml/roles-doc').get('docs/ROLES.md')).toBe('# Roles\n\nengineer\n');
    // The base is untouched; the write went through PUT contents with a 201.
    expect(h.fake.filesAt(OWNER, REPO, 'main').has('docs/ROLES.md')).toBe(false);
    expect(h.fake.answers.filter((a) => a.method === 'PUT').map((a) => a.status)).toEqual([201]);

    // Re-run with the same files: nothing written, nobody asked again, one pull request.
    const before = h.fake.requests.length;
    const again = await h.client.proposeFileChanges(OWNER, REPO, spec);
    expect(again).toMatchObject({ action: 'unchanged', branch: 'existing', written: [] });
    expect(again.pullRequest).toEqual(first.pullRequest);
    const writes = h.fake.requests.slice(before).filter((r) => r.method !== 'GET');
    expect(writes.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      `POST /repos/${OWNER}/${REPO}/git/refs`,
    ]);
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(1);
  });

  it('updates a changed file with its blob sha (200) and asks the reviewers again', async () => {
    await h.client.proposeFileChanges(OWNER, REPO, spec);
    h.fake.addReview(h.fake.pullsOf(OWNER, REPO)[0]!, { login: 'sec-lead', state: 'APPROVED' });
    const changed = {
      ...spec,
      files: [{ path: 'docs/ROLES.md', content: '# Roles\n\nengineer\nmanager\n' }],
    };
    const res = await h.client.proposeFileChanges(OWNER, REPO, changed);
    expect(res).toMatchObject({ action: 'updated', branch: 'existing', written: ['docs/ROLES.md'] });
    expect(h.fake.filesAt(OWNER, REPO, 'jml/roles-doc').get('docs/ROLES.md')).toBe(
      '# Roles\n\nengineer\nmanager\n',
    );
    const puts = h.fake.answers.filter((a) => a.method === 'PUT');
    expect(puts.map((a) => a.status)).toEqual([201, 200]);
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(1);
    expect(h.fake.pullsOf(OWNER, REPO)[0]!.requestedReviewers).toEqual(['sec-lead']);
  });

  it('GitHub refuses a write with a stale or missing blob sha, and one to an unknown branch', async () => {
    await h.client.proposeFileChanges(OWNER, REPO, spec);
    const write = (body: Record<string, unknown>) =>
      h.client.octokit.rest.repos.createOrUpdateFileContents({
        owner: OWNER,
        repo: REPO,
        path: 'docs/ROLES.md',
        message: 'm',
        content: Buffer.from('other\n').toString('base64'),
        branch: 'jml/roles-doc',
        ...body,
      });
    await expect(write({ sha: sha('0') })).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining(`docs/ROLES.md does not match ${sha('0')}`),
    });
    await expect(write({})).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('"sha" wasn\'t supplied'),
    });
    await expect(write({ branch: 'nope', sha: sha('0') })).rejects.toMatchObject({ status: 404 });
    expect(h.fake.filesAt(OWNER, REPO, 'jml/roles-doc').get('docs/ROLES.md')).toBe('# Roles\n\nengineer\n');
    // The client says what failed without the token.
    const failing = await h.client
      .proposeFileChanges(OWNER, REPO, { ...spec, base: 'nope' })
      .catch((e: unknown) => e);
    expect(failing).toBeInstanceOf(GitHubError);
    expect(String(failing)).not.toContain(TOKEN);
  });
});

describe('authentication, unknown paths, rate-limit headers', () => {
  it('answers 401 without a token or with a wrong one, in GitHub shape, and the client hides the token', async () => {
    const none = await raw(`/repos/${OWNER}/${REPO}/pulls/1`);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({
      message: 'Requires authentication',
      documentation_url: expect.any(String),
    });
    const bad = new GitHubClient({ token: 'ghp_wrongTokenValue', baseUrl: h.fake.url });
    const err = (await bad.pullRequestChanges(OWNER, REPO, 1).catch((e: unknown) => e)) as GitHubError;
    expect(err.status).toBe(401);
    expect(err.message).toBe('GitHub get pull request acme/access#1 failed: 401 Bad credentials');
    expect(JSON.stringify(err) + String(err.stack)).not.toContain('ghp_wrongTokenValue');
    expect(h.fake.requests.every((r) => !JSON.stringify(r).includes('ghp_wrong'))).toBe(true);
    expect(() => new GitHubClient({ token: '', baseUrl: h.fake.url })).toThrow(/token is required/);
  });

  it('answers 404 Not Found for paths GitHub does not have, with rate-limit headers on every answer', async () => {
    const res = await raw(`/repos/${OWNER}/${REPO}/nope`, { headers: { authorization: `token ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ message: 'Not Found' });
    expect(h.fake.server.unknownRequests).toEqual([`GET /repos/${OWNER}/${REPO}/nope`]);
    for (const r of [res, await raw('/repos/x/y/issues')]) {
      expect(r.headers.get('x-ratelimit-limit')).toBe('5000');
      expect(Number(r.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
  });

  it('answers 403 rate limit exceeded when the budget is spent', async () => {
    const small = await startGitHub({ rateLimit: 2 });
    try {
      small.fake.addPullRequest({ number: 1, author: 'alice', baseSha: sha('a'), headSha: sha('b') });
      await expect(small.client.pullRequestChanges(OWNER, REPO, 1)).rejects.toThrow(
        /403 API rate limit exceeded/,
      );
      expect(small.fake.answers.at(-1)!.status).toBe(403);
      expect(specMismatches(small.fake)).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe('driven by real webhook payloads', () => {
  const examples = (name: string, action?: string) =>
    (webhooks as unknown as { name: string; examples: { action?: string }[] }[])
      .find((d) => d.name === name)!
      .examples.filter((e) => e.action === action);

  /** Writes the payload where Actions would and reads it back as the run's event. */
  function eventOf(name: string, payload: unknown) {
    const dir = mkdtempSync(join(tmpdir(), 'jml-event-'));
    const path = join(dir, 'event.json');
    writeFileSync(path, JSON.stringify(payload));
    try {
      return readEvent({ GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: path });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('pull_request.opened and .synchronize keep one plan comment; pull_request_review.submitted is read back', async () => {
    const opened = eventOf('pull_request', examples('pull_request', 'opened')[0]) as PullRequestEvent;
    const sync = eventOf('pull_request', examples('pull_request', 'synchronize')[0]) as PullRequestEvent;
    const reviewPayload = examples('pull_request_review', 'submitted')[0] as unknown as {
      review: { user: { login: string }; state: string; commit_id: string };
    };
    const review = eventOf('pull_request_review', reviewPayload) as PullRequestEvent;
    expect(opened).toMatchObject({
      event: 'pull_request',
      action: 'opened',
      owner: 'Codertocat',
      repo: 'Hello-World',
      number: 2,
    });
    h.fake.addRepo(opened.owner, opened.repo, { private: false });
    h.fake.addPullRequest({
      owner: opened.owner,
      repo: opened.repo,
      number: opened.number,
      author: opened.author,
      baseSha: opened.baseSha,
      headSha: opened.headSha,
      files: [{ path: 'people/alice.yaml', status: 'added' }],
    });

    for (const event of [opened, sync]) {
      const pr = await h.client.pullRequestChanges(event.owner, event.repo, event.number);
      expect(pr.headSha).toBe(event.headSha);
      await h.client.upsertStickyComment(
        event.owner,
        event.repo,
        event.number,
        PLAN_MARKER,
        `plan for ${event.action} at ${pr.headSha.slice(0, 7)}`,
      );
    }
    expect(h.fake.commentsOn(opened.owner, opened.repo, opened.number)).toHaveLength(1);

    const r = reviewPayload.review;
    const pull = h.fake.repo(review.owner, review.repo).issues.get(review.number)!.pull!;
    h.fake.addReview(pull, {
      login: r.user.login,
      state: r.state.toUpperCase() as 'COMMENTED',
      commitId: r.commit_id,
    });
    const after = await h.client.pullRequestChanges(review.owner, review.repo, review.number);
    expect(after.reviews).toEqual([
      expect.objectContaining({ login: r.user.login, state: r.state.toUpperCase(), commitId: r.commit_id }),
    ]);
    expect(after.author).toBe('Codertocat');
  });

  it('a push event names the commit whose pull request gets the apply result', async () => {
    const push = examples('push', undefined).find((e) => !/^0+$/.test((e as { after: string }).after))!;
    const event = eventOf('push', push) as PushEvent;
    h.fake.addRepo(event.owner, event.repo);
    h.fake.addPullRequest({
      owner: event.owner,
      repo: event.repo,
      number: 4,
      author: 'Codertocat',
      baseSha: sha('a'),
      headSha: sha('b'),
      mergeCommitSha: event.sha,
    });
    expect(await h.client.commentOnPullRequestsOf(event.owner, event.repo, event.sha, 'Applied')).toEqual([
      4,
    ]);
  });

  it('says which field of which payload file is wrong, and reads the Actions environment', () => {
    expect(() =>
      parseEvent('pull_request', { repository: { name: 'r', owner: { login: 'o' } } }, '/tmp/e.json'),
    ).toThrow('/tmp/e.json: pull_request is missing');
    expect(() => parseEvent('issues', examples('pull_request', 'opened')[0], 'x.json')).toThrow(
      /event "issues" is not/,
    );
    expect(() => readEvent({ GITHUB_EVENT_NAME: 'push' })).toThrow(/GITHUB_EVENT_PATH: not set/);
    expect(repositoryFromEnv({ GITHUB_REPOSITORY: 'acme/access' })).toEqual({
      owner: 'acme',
      repo: 'access',
    });
    expect(() => repositoryFromEnv({ GITHUB_REPOSITORY: 'acme' })).toThrow(/not owner\/repo/);
    expect(() => clientFromEnv({})).toThrow(/GITHUB_TOKEN is not set/);
    expect(
      clientFromEnv({ GITHUB_TOKEN: 't', GITHUB_API_URL: h.fake.url, GITHUB_ACTIONS: 'true' }),
    ).toBeInstanceOf(GitHubClient);
  });
});
