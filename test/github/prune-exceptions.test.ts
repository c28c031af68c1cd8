import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanTempDirs, copyExample, jml, repoFiles } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';

const MAIN_SHA = 'a'.repeat(40);
const BRANCH = 'jml/expired-exceptions';

let h: GitHubHarness;

/** The example organisation (the repository's own data) in a temp dir, and its files by path. */
function exampleOrganisation(): { dir: string; files: Record<string, string> } {
  const dir = copyExample('jml-prune-');
  return { dir, files: repoFiles(dir) };
}

let org: { dir: string; files: Record<string, string> };

githubForEachTest((x) => {
  h = x;
});

beforeEach(() => {
  org = exampleOrganisation();
  h.fake.addBranch(OWNER, REPO, 'main', MAIN_SHA, org.files);
});
afterAll(cleanTempDirs);

function openPulls() {
  return h.fake
    .pullsOf(OWNER, REPO)
    .filter((p) => h.fake.repo(OWNER, REPO).issues.get(p.number)!.state === 'open');
}

describe('jml github prune-exceptions', () => {
  it('opens one pull request deleting the exception that expired (EXC-0003, 2026-12-10)', async () => {
    const r = await jml(org.dir, 'github', 'prune-exceptions', '--at', '2026-12-11');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /expired: EXC-0003 zoe\.anders \(drive-finance\) on 2026-12-10 exceptions\/EXC-0003\.yaml:\d+/,
    );
    expect(r.out).toMatch(/created pull request: https:\/\/github\.com\/acme\/access\/pull\/\d+/);

    const pulls = openPulls();
    expect(pulls).toHaveLength(1);
    const pull = pulls[0]!;
    const issue = h.fake.repo(OWNER, REPO).issues.get(pull.number)!;
    expect(issue.title).toBe('Remove expired exceptions');
    expect(issue.labels.sort()).toEqual(['expired-exceptions', 'jml']);
    expect(issue.body).toContain('EXC-0003');
    expect(issue.body).toContain('zoe.anders');
    expect(issue.body).toContain('drive-finance');
    expect(issue.body).toContain('2026-12-10');
    expect(issue.body).toMatch(/exceptions\/EXC-0003\.yaml:13/);
    expect(pull.headRef).toBe(BRANCH);
    expect(pull.baseRef).toBe('main');
    expect(pull.baseSha).toBe(MAIN_SHA);
    // Only the expired file goes; main is untouched until the pull request is merged.
    expect(pull.files).toEqual([{ path: 'exceptions/EXC-0003.yaml', status: 'removed' }]);
    expect(h.fake.filesAt(OWNER, REPO, BRANCH).has('exceptions/EXC-0003.yaml')).toBe(false);
    expect(h.fake.filesAt(OWNER, REPO, BRANCH).has('exceptions/EXC-0004.yaml')).toBe(true);
    expect(h.fake.filesAt(OWNER, REPO, 'main').has('exceptions/EXC-0003.yaml')).toBe(true);
    const deletes = h.fake.requests.filter((q) => q.method === 'DELETE');
    expect(deletes).toHaveLength(1);
  });

  it('a second run keeps one branch and one pull request; a later expiry updates the same one', async () => {
    const first = await jml(org.dir, 'github', 'prune-exceptions', '--at', '2026-12-11');
    expect(first.code).toBe(0);
    const second = await jml(org.dir, 'github', 'prune-exceptions', '--at', '2026-12-11');
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/unchanged pull request: /);
    expect(openPulls()).toHaveLength(1);
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(1);
    expect(h.fake.branchesOf(OWNER, REPO).sort()).toEqual([BRANCH, 'main']);
    expect(h.fake.requests.filter((q) => q.method === 'DELETE')).toHaveLength(1);

    // EXC-0004 expires 2026-12-19: the same pull request now removes it too.
    const later = await jml(org.dir, 'github', 'prune-exceptions', '--at', '2026-12-20');
    expect(later.err).toBe('');
    expect(later.out).toMatch(/updated pull request: /);
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(1);
    const files = h.fake.filesAt(OWNER, REPO, BRANCH);
    expect(files.has('exceptions/EXC-0003.yaml')).toBe(false);
    expect(files.has('exceptions/EXC-0004.yaml')).toBe(false);
    expect(files.has('exceptions/EXC-0005.yaml')).toBe(true);
    expect(h.fake.repo(OWNER, REPO).issues.get(openPulls()[0]!.number)!.body).toContain('EXC-0004');
  });

  it('the expiry is read in the org time zone: just before midnight in New York nothing has expired', async () => {
    // 2026-12-10T04:59Z is still 2026-12-09 in America/New_York.
    const r = await jml(org.dir, 'github', 'prune-exceptions', '--at', '2026-12-10T04:59:00Z');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/No exception has expired/);
    const after = await jml(org.dir, 'github', 'prune-exceptions', '--at', '2026-12-10T05:00:00Z');
    expect(after.out).toMatch(/expired: EXC-0003/);
  });

  it('nothing expired on 2026-11-25: says so, exit 0, no pull request and no call to GitHub', async () => {
    const r = await jml(org.dir, 'github', 'prune-exceptions', '--at', '2026-11-25');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/No exception has expired as of 2026-11-25/);
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(0);
    expect(h.fake.branchesOf(OWNER, REPO)).toEqual(['main']);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('the fake refuses what GitHub refuses: a stale blob sha (409) and a second pull request for a head (422)', async () => {
    await jml(org.dir, 'github', 'prune-exceptions', '--at', '2026-12-11');
    const stale = h.client.octokit.rest.repos.deleteFile({
      owner: OWNER,
      repo: REPO,
      path: 'exceptions/EXC-0004.yaml',
      sha: 'b'.repeat(40),
      branch: BRANCH,
      message: 'stale',
    });
    await expect(stale).rejects.toMatchObject({ status: 409 });
    const dup = h.client.octokit.rest.pulls.create({
      owner: OWNER,
      repo: REPO,
      head: BRANCH,
      base: 'main',
      title: 'again',
    });
    await expect(dup).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: `A pull request already exists for ${OWNER}:${BRANCH}.` }] } },
    });
  });
});
