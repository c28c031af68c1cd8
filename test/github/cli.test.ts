/**
 * The `jml` commands the workflows run against GitHub, end to end through the CLI and the GitHub
 * fake: `jml approvals --pr N` (the required check) reads the pull request and its reviews
 * through the API and keeps one approvals comment; `jml github comment` keeps one plan comment;
 * `jml github issue` keeps one drift issue, closed when the drift is gone.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editYaml, HEAD_SHA, OLD_SHA, scenario } from '../approvals/helpers.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';

let h: GitHubHarness;

/** Commits everything in `dir` as a new repository; returns the commit. */
function commitAll(dir: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir })
      .toString()
      .trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'head');
  return git('rev-parse', 'HEAD');
}

githubForEachTest((x) => {
  h = x;
});
afterAll(cleanTempDirs);

/** A mover: pat.peer gets another role; the manager of record is grace.lin (@grace-l), HR is hana.hr. */
function moverPullRequest(
  reviews: { login: string; state: 'APPROVED' | 'CHANGES_REQUESTED'; commitId?: string }[],
) {
  const s = scenario((head) =>
    editYaml(head, 'people/pat.peer.yaml', (p) => {
      (p.roles as unknown[]).push({ role: 'employee', from: '2027-03-01' });
    }),
  );
  // The head is checked out by SHA, as the trusted workflow does: a posted verdict is for that commit.
  const headSha = commitAll(s.head);
  h.fake.addPullRequest({
    owner: OWNER,
    repo: REPO,
    number: 7,
    author: 'hana-h',
    baseSha: OLD_SHA,
    headSha,
    files: [{ path: 'people/pat.peer.yaml', status: 'modified' }],
    reviews: reviews.map((r) => ({ ...r, commitId: r.commitId ?? headSha })),
  });
  return s;
}

describe('jml approvals --pr', () => {
  it('approves a mover once the manager of record approves the latest push; HR authored it', async () => {
    const s = moverPullRequest([{ login: 'grace-l', state: 'APPROVED' }]);
    const r = await jml(s.head, 'approvals', '--pr', '7', '--base', s.base, '--comment');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const comments = h.fake.commentsOn(OWNER, REPO, 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('<!-- jml:approvals -->');
  });

  it('posts no verdict for a head that is not a git checkout: it cannot be shown to be the head commit', async () => {
    const s = moverPullRequest([{ login: 'grace-l', state: 'APPROVED' }]);
    rmSync(path.join(s.head, '.git'), { recursive: true, force: true });
    const r = await jml(s.head, 'approvals', '--pr', '7', '--base', s.base, '--comment');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not a git checkout, so it cannot be shown to be/);
    expect(h.fake.commentsOn(OWNER, REPO, 7)).toHaveLength(0);
  });

  it('refuses a stale approval, and updates the same comment on the next run', async () => {
    const s = moverPullRequest([{ login: 'grace-l', state: 'APPROVED', commitId: OLD_SHA }]);
    const first = await jml(s.head, 'approvals', '--pr', '7', '--base', s.base, '--comment');
    expect(first.code).toBe(3);
    expect(first.out).toMatch(/grace\.lin/);
    const second = await jml(s.head, 'approvals', '--pr', '7', '--base', s.base, '--comment');
    expect(second.code).toBe(3);
    expect(h.fake.commentsOn(OWNER, REPO, 7)).toHaveLength(1);
  });

  it('says what is wrong without the token, and never prints it', async () => {
    const s = moverPullRequest([]);
    process.env.GITHUB_TOKEN = 'ghp_wrongwrongwrongwrong';
    const r = await jml(s.head, 'approvals', '--pr', '7', '--base', s.base);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/401/);
    expect(r.err + r.out).not.toContain('ghp_wrongwrongwrongwrong');
  });

  it('refuses --pr together with --changes', async () => {
    const s = moverPullRequest([]);
    const r = await jml(s.head, 'approvals', '--pr', '7', '--changes', 'x.json', '--base', s.base);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/exactly one of --changes/);
  });
});

describe('jml github', () => {
  it('keeps one plan comment on a pull request across pushes', async () => {
    h.fake.addPullRequest({
      owner: OWNER,
      repo: REPO,
      number: 9,
      author: 'hana-h',
      baseSha: OLD_SHA,
      headSha: HEAD_SHA,
    });
    const dir = tempDir();
    for (const n of [1, 2, 3]) {
      const file = path.join(dir, `plan-${n}.md`);
      writeFileSync(file, `## Plan, push ${n}\n`);
      const r = await jml(dir, 'github', 'comment', '--pr', '9', '--file', file);
      expect(r.code, r.err).toBe(0);
    }
    const comments = h.fake.commentsOn(OWNER, REPO, 9);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('Plan, push 3');
  });

  it('opens one drift issue, updates it, and closes it when the drift is gone', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'drift.md');
    writeFileSync(file, '2 difference(s)\n');
    expect((await jml(dir, 'github', 'issue', '--title', 'jml: drift', '--file', file)).code).toBe(0);
    writeFileSync(file, '3 difference(s)\n');
    expect((await jml(dir, 'github', 'issue', '--title', 'jml: drift', '--file', file)).code).toBe(0);
    let drift = h.fake.issuesOf(OWNER, REPO).filter((i) => i.title === 'jml: drift');
    expect(drift).toHaveLength(1);
    expect(drift[0]!.state).toBe('open');
    expect(drift[0]!.body).toContain('3 difference(s)');
    expect((await jml(dir, 'github', 'issue', '--title', 'jml: drift', '--close')).code).toBe(0);
    drift = h.fake.issuesOf(OWNER, REPO).filter((i) => i.title === 'jml: drift');
    expect(drift.map((i) => i.state)).toEqual(['closed']);
  });

  it('adds each leaver SLA breach to one open issue, never overwriting or closing it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'breach.md');
    const add = () =>
      jml(
        dir,
        'github',
        'issue',
        '--title',
        'jml: leaver SLA breach',
        '--label',
        'jml',
        'sla-breach',
        '--file',
        file,
        '--comment',
      );
    writeFileSync(file, 'SLA BREACH: ben.carter\n');
    expect((await add()).code).toBe(0);
    writeFileSync(file, 'SLA BREACH: emma.schultz\n');
    expect((await add()).code).toBe(0);
    const issues = h.fake.issuesOf(OWNER, REPO).filter((i) => i.title === 'jml: leaver SLA breach');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.state).toBe('open');
    expect(issues[0]!.labels).toEqual(['jml', 'sla-breach']);
    expect(issues[0]!.body).toContain('ben.carter');
    const comments = h.fake.commentsOn(OWNER, REPO, issues[0]!.number);
    expect(comments.map((c) => c.body)).toEqual([expect.stringContaining('emma.schultz')]);
    const both = await jml(dir, 'github', 'issue', '--title', 'x', '--close', '--comment');
    expect(both.code).toBe(1);
    expect(both.err).toContain('contradict');
  });
});
