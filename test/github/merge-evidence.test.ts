/**
 * `jml github merge-evidence`: the approval evidence of a merge, captured into the apply record
 * when it happens. Each case is a git repository built in the test (the approvals organisation as
 * the base, a pull request's branch moving alice.nguyen, the merge), an apply record of the merge
 * commit, and the GitHub fake serving the pull request as GitHub documents it. grace.lin
 * (@grace-l) is alice's manager of record, hana.hr (@hana-h) is HR, bob.boss (@bob-b) manages
 * nobody (test/fixtures/approvals/org/README.md).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ApplyRecord, RECORD_SCHEMA } from '../../src/records/schema.js';
import { writeRecord } from '../../src/records/store.js';
import { editYaml, ORG } from '../approvals/helpers.js';
import { cleanTempDirs, jml, tempDir, writeRepoFile } from '../engine/helpers.js';
import type { SeedReview } from '../fakes/github/github-fake.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';

let h: GitHubHarness;
githubForEachTest((x) => {
  h = x;
});
afterAll(cleanTempDirs);
// Whatever happened, the base and head trees written out of git are gone.
afterEach(() => {
  expect(readdirSync(tmpdir()).filter((n) => n.startsWith('jml-merge-evidence-'))).toEqual([]);
});

const MERGED_AT = '2026-11-20T10:00:00.000Z';
const PR = 7;

function git(dir: string, args: string[], date = '2026-11-19T09:00:00Z'): string {
  return execFileSync('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Hana Sato',
      GIT_AUTHOR_EMAIL: 'hana.hr@example.com',
      GIT_COMMITTER_NAME: 'GitHub',
      GIT_COMMITTER_EMAIL: 'noreply@github.com',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
    .toString()
    .trim();
}

function commitAll(dir: string, message: string, date: string): string {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message], date);
  return git(dir, ['rev-parse', 'HEAD']);
}

const moveAlice = (dir: string) =>
  editYaml(dir, 'people/alice.nguyen.yaml', (p) => {
    (p.roles as unknown[]).push({ role: 'employee', from: '2027-01-04' });
  });

interface History {
  dir: string;
  base: string;
  /** The pull request's commits, oldest first: the last is its head. */
  branch: string[];
  /** The commit the push brought to main (a merge, or the direct push itself). */
  merge: string;
  recordFile: string;
}

/**
 * The organisation on main, then either a pull request's branch (one commit moving alice, and a
 * second one when `later` edits the head again) merged with a merge commit, or (`direct`) the
 * move committed straight onto main. `breakBase` commits a policy/jml.yaml that does not load to
 * main first (the pull request repairs it). Writes the apply record of the merge.
 */
function history(
  opts: { later?: (dir: string) => void; direct?: boolean; breakBase?: boolean } = {},
): History {
  const dir = tempDir('jml-merge-history-');
  cpSync(ORG, dir, { recursive: true });
  const policy = readFileSync(path.join(dir, 'policy/jml.yaml'), 'utf8');
  git(dir, ['init', '-q', '-b', 'main']);
  let base = commitAll(dir, 'The organisation', '2026-11-19T09:00:00Z');
  if (opts.breakBase) {
    writeRepoFile(dir, 'policy/jml.yaml', 'organisation: [unclosed\n');
    base = commitAll(dir, 'A broken policy', '2026-11-19T10:00:00Z');
  }
  let merge: string;
  const branch: string[] = [];
  if (opts.direct) {
    moveAlice(dir);
    merge = commitAll(dir, 'Move Alice, pushed straight to main', MERGED_AT);
  } else {
    git(dir, ['checkout', '-q', '-b', 'change']);
    if (opts.breakBase) writeRepoFile(dir, 'policy/jml.yaml', policy);
    moveAlice(dir);
    branch.push(commitAll(dir, 'Move Alice', '2026-11-20T08:30:00Z'));
    if (opts.later) {
      opts.later(dir);
      branch.push(commitAll(dir, 'Move Alice, again', '2026-11-20T09:30:00Z'));
    }
    git(dir, ['checkout', '-q', 'main']);
    git(
      dir,
      ['merge', '-q', '--no-ff', '-m', `Merge pull request #${PR} from acme/change`, 'change'],
      MERGED_AT,
    );
    merge = git(dir, ['rev-parse', 'HEAD']);
  }
  const at = '2026-11-20T10:01:00.000Z';
  const record: ApplyRecord = {
    schema: RECORD_SCHEMA,
    startedAt: at,
    finishedAt: '2026-11-20T10:01:02.000Z',
    trigger: { actor: 'pat-p', command: 'jml apply --confirm', ci: true },
    commit: merge,
    at,
    planFingerprint: 'sha256:0123456789abcdef',
    result: 'no-changes',
    guards: [],
    counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
    changes: [],
  };
  const recordFile = writeRecord(path.join(dir, '.jml/records'), record);
  return { dir, base, branch, merge, recordFile };
}

/** The pull request of `hist` on the fake, merged by @grace-l, as GitHub serves it. */
function servePullRequest(hist: History, author: string, reviews: SeedReview[], body?: string): void {
  h.fake.addPullRequest({
    number: PR,
    author,
    title: 'Move Alice Nguyen to the employee role',
    ...(body ? { body } : {}),
    baseSha: hist.base,
    headSha: hist.branch.at(-1)!,
    commits: hist.branch,
    mergeCommitSha: hist.merge,
    mergedAt: MERGED_AT,
    mergedBy: 'grace-l',
    createdAt: '2026-11-20T08:31:00Z',
    files: [{ path: 'people/alice.nguyen.yaml' }],
    reviews,
  });
}

const review = (
  login: string,
  submittedAt: string,
  state: SeedReview['state'] = 'APPROVED',
  commitId?: string,
) => ({
  login,
  state,
  submittedAt,
  ...(commitId ? { commitId } : {}),
});

function approvalOf(file: string): NonNullable<ApplyRecord['approval']> {
  const record = JSON.parse(readFileSync(file, 'utf8')) as ApplyRecord;
  expect(record.approval, 'the record carries the approval evidence').toBeDefined();
  return record.approval!;
}

const met = (a: NonNullable<ApplyRecord['approval']>) =>
  a.verdict!.requirements.filter((r) => r.status === 'met').map((r) => `${r.rule}@${r.satisfiedBy}`);
const missing = (a: NonNullable<ApplyRecord['approval']>) =>
  a.verdict!.requirements.filter((r) => r.status === 'missing').map((r) => r.rule);

describe('jml github merge-evidence', () => {
  it('a pull request approved by the manager of record: approved, the manager satisfied the manager rule', async () => {
    const hist = history();
    servePullRequest(
      hist,
      'hana-h',
      [review('grace-l', '2026-11-20T09:10:00Z')],
      '<!-- jml:hr key=' + 'a'.repeat(64) + ' record=bamboohr:BHR-1042 -->\nMove Alice',
    );
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain(`merged by pull request #${PR}`);
    const a = approvalOf(hist.recordFile);
    expect(a.commit).toBe(hist.merge);
    expect(a.baseCommit).toBe(hist.base);
    // The commits the push brought: the branch's, then the merge itself, last.
    expect(a.commits).toEqual([...hist.branch, hist.merge]);
    expect(a.pullRequest).toEqual({
      number: PR,
      url: `https://github.com/${OWNER}/${REPO}/pull/${PR}`,
      title: 'Move Alice Nguyen to the employee role',
      author: 'hana-h',
      headSha: hist.branch.at(-1),
      createdAt: '2026-11-20T08:31:00Z',
      mergedAt: MERGED_AT,
      mergedBy: 'grace-l',
      hrRecord: 'bamboohr:BHR-1042',
    });
    expect(a.noPullRequest).toBeUndefined();
    expect(a.reviews).toEqual([
      {
        login: 'grace-l',
        state: 'APPROVED',
        commitId: hist.branch.at(-1),
        submittedAt: '2026-11-20T09:10:00Z',
        person: 'grace.lin',
        counts: true,
        why: `@grace-l (grace.lin) approved the head commit ${hist.branch.at(-1)!.slice(0, 7)}`,
      },
    ]);
    expect(a.managers).toEqual([{ person: 'alice.nguyen', manager: 'grace.lin', managerLogin: 'grace-l' }]);
    expect(a.verdict?.approved).toBe(true);
    expect(met(a)).toEqual(expect.arrayContaining(['manager-approval@grace-l', 'hr-team@hana-h']));
    expect(a.verdictError).toBeUndefined();
    // Amended in place: what the run did is as it was written.
    const record = JSON.parse(readFileSync(hist.recordFile, 'utf8')) as ApplyRecord;
    expect(record.result).toBe('no-changes');
    expect(Object.keys(record).at(-1)).toBe('approval');
  });

  it("self-approval only: the author's approval does not count, and the verdict is not approved", async () => {
    const hist = history();
    servePullRequest(hist, 'grace-l', [review('grace-l', '2026-11-20T09:10:00Z')]);
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code, run.err).toBe(0);
    const a = approvalOf(hist.recordFile);
    expect(a.pullRequest?.author).toBe('grace-l');
    expect(a.reviews).toEqual([
      expect.objectContaining({
        login: 'grace-l',
        counts: false,
        why: "@grace-l is the pull request's author, whose approval never counts",
      }),
    ]);
    expect(a.verdict?.approved).toBe(false);
    expect(missing(a)).toContain('manager-approval');
    expect(run.out).toContain('verdict: NOT approved');
  });

  it('approval only on an older commit: stale, it does not count', async () => {
    const hist = history({
      later: (dir) =>
        editYaml(dir, 'people/alice.nguyen.yaml', (p) => {
          (p.roles as { from: string }[]).at(-1)!.from = '2027-01-11';
        }),
    });
    const [first, head] = hist.branch as [string, string];
    servePullRequest(hist, 'hana-h', [review('grace-l', '2026-11-20T09:00:00Z', 'APPROVED', first)]);
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code, run.err).toBe(0);
    const a = approvalOf(hist.recordFile);
    expect(a.pullRequest?.headSha).toBe(head);
    expect(a.reviews).toEqual([
      expect.objectContaining({
        login: 'grace-l',
        commitId: first,
        person: 'grace.lin',
        counts: false,
        why: `@grace-l approved ${first.slice(0, 7)}, before the latest push (${head.slice(0, 7)}): the approval is stale`,
      }),
    ]);
    expect(a.verdict?.approved).toBe(false);
    expect(missing(a)).toContain('manager-approval');
  });

  it('approved by someone other than the manager of record: the manager rule is missing', async () => {
    const hist = history();
    servePullRequest(hist, 'hana-h', [review('bob-b', '2026-11-20T09:10:00Z')]);
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code, run.err).toBe(0);
    const a = approvalOf(hist.recordFile);
    // A valid approval by a person who may approve, just not the one the rule names.
    expect(a.reviews).toEqual([
      expect.objectContaining({ login: 'bob-b', person: 'bob.boss', counts: true }),
    ]);
    expect(a.managers).toEqual([{ person: 'alice.nguyen', manager: 'grace.lin', managerLogin: 'grace-l' }]);
    expect(a.verdict?.approved).toBe(false);
    expect(missing(a)).toEqual(['manager-approval']);
    expect(met(a)).not.toContain('manager-approval@bob-b');
  });

  it('a commit pushed without a pull request: pullRequest null, noPullRequest says so (the 422 is no error)', async () => {
    const hist = history({ direct: true });
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code, run.err).toBe(0);
    // GitHub does not know the commit: it answers 422, which means "no pull request".
    expect(
      h.fake.requests.some((r) => r.path.includes(`/commits/${hist.merge}/pulls`) && r.status === 422),
    ).toBe(true);
    const a = approvalOf(hist.recordFile);
    expect(a.pullRequest).toBeNull();
    expect(a.noPullRequest).toMatch(/^No pull request merged [0-9a-f]{7}: .*pushed to the branch directly/);
    expect(a.noPullRequest).not.toMatch(/422/);
    expect(a.commits).toEqual([hist.merge]);
    expect(a.reviews).toEqual([]);
    expect(a.managers).toEqual([{ person: 'alice.nguyen', manager: 'grace.lin', managerLogin: 'grace-l' }]);
    // Judged as a pull request by the pusher with no review: nothing is approved.
    expect(a.verdict?.approved).toBe(false);
    expect(missing(a)).toContain('manager-approval');
  });

  it('a commit GitHub knows but no pull request merged: pullRequest null too', async () => {
    const hist = history({ direct: true });
    h.fake.addCommit(OWNER, REPO, { sha: hist.merge, paths: ['people/alice.nguyen.yaml'] });
    const run = await jml(hist.dir, 'github', 'merge-evidence');
    expect(run.code, run.err).toBe(0);
    const a = approvalOf(hist.recordFile);
    expect(a.commit).toBe(hist.merge);
    expect(a.pullRequest).toBeNull();
    expect(a.noPullRequest).toMatch(
      new RegExp(`^No pull request merged ${hist.merge.slice(0, 7)}: GitHub lists none for it`),
    );
  });

  it("a squash merge whose branch is gone: judged on the merge commit's tree, approvals on the pull request's head", async () => {
    const hist = history({ direct: true });
    // The pull request's head exists only on GitHub (its branch was deleted after the squash).
    const gone = 'c'.repeat(40);
    h.fake.addPullRequest({
      number: PR,
      author: 'hana-h',
      baseSha: hist.base,
      headSha: gone,
      mergeCommitSha: hist.merge,
      mergedAt: MERGED_AT,
      files: [{ path: 'people/alice.nguyen.yaml' }],
      reviews: [review('grace-l', '2026-11-20T09:10:00Z')],
    });
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code, run.err).toBe(0);
    const a = approvalOf(hist.recordFile);
    expect(a.pullRequest).toMatchObject({ number: PR, headSha: gone, mergedBy: OWNER });
    expect(a.reviews).toEqual([expect.objectContaining({ login: 'grace-l', commitId: gone, counts: true })]);
    expect(a.verdict?.approved).toBe(true);
    expect(met(a)).toContain('manager-approval@grace-l');
  });

  it('GitHub down: the record is not lost, exit 1 says why, the record is unchanged', async () => {
    const hist = history();
    servePullRequest(hist, 'hana-h', [review('grace-l', '2026-11-20T09:10:00Z')]);
    const before = readFileSync(hist.recordFile, 'utf8');
    // Every connection dropped before an answer: GitHub is unreachable.
    h.fake.server.inject({ kind: 'reset', times: 100 });
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /not recorded: GitHub list pull requests of [0-9a-f]{12} in acme\/access failed: .*other side closed/,
    );
    expect(run.err).toContain('is unchanged');
    expect(readFileSync(hist.recordFile, 'utf8')).toBe(before);
  });

  it('a verdict that cannot be computed: verdict null with verdictError, and the rest is recorded', async () => {
    const hist = history({ breakBase: true });
    servePullRequest(hist, 'hana-h', [review('grace-l', '2026-11-20T09:10:00Z')]);
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code, run.err).toBe(0);
    const a = approvalOf(hist.recordFile);
    expect(a.verdict).toBeNull();
    expect(a.verdictError).toMatch(
      /base commit [0-9a-f]{7} cannot be read: .*policy\/jml\.yaml does not load/,
    );
    expect(a.pullRequest?.number).toBe(PR);
    expect(a.reviews).toEqual([expect.objectContaining({ login: 'grace-l', person: null, counts: false })]);
    expect(a.reviews[0]!.why).toMatch(/base branch could not be read/);
    expect(run.out).toContain('verdict: not computed');
  });

  it('keeps every review across GitHub pages, and only the standing one counts', async () => {
    const hist = history();
    const comments = Array.from({ length: 120 }, (_, i) =>
      review('pat-p', new Date(Date.parse('2026-11-20T08:40:00Z') + i * 1000).toISOString(), 'COMMENTED'),
    );
    servePullRequest(hist, 'hana-h', [
      review('grace-l', '2026-11-20T08:35:00Z', 'CHANGES_REQUESTED'),
      ...comments,
      review('grace-l', '2026-11-20T09:10:00Z'),
    ]);
    const run = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.merge);
    expect(run.code, run.err).toBe(0);
    expect(h.fake.requests.some((r) => /\/pulls\/7\/reviews\?.*page=2/.test(r.path))).toBe(true);
    const a = approvalOf(hist.recordFile);
    expect(a.reviews).toHaveLength(122);
    expect(a.reviews[0]).toEqual(
      expect.objectContaining({ login: 'grace-l', state: 'CHANGES_REQUESTED', counts: false }),
    );
    expect(a.reviews[0]!.why).toMatch(/later review \(approved on [0-9a-f]{7}\) replaced this one/);
    expect(a.reviews.filter((r) => r.counts).map((r) => r.login)).toEqual(['grace-l']);
    expect(a.verdict?.approved).toBe(true);
  });

  it('refuses a record made from another commit, and says there is nothing to attach to without one', async () => {
    const hist = history();
    const before = readFileSync(hist.recordFile, 'utf8');
    const other = await jml(hist.dir, 'github', 'merge-evidence', '--commit', hist.base);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/was made from commit [0-9a-f]{7}, not [0-9a-f]{7}/);
    expect(readFileSync(hist.recordFile, 'utf8')).toBe(before);

    const bare = tempDir('jml-merge-history-');
    cpSync(ORG, bare, { recursive: true });
    const none = await jml(bare, 'github', 'merge-evidence');
    expect(none.code).toBe(0);
    expect(none.out).toContain('No apply record');
    expect(h.fake.requests).toEqual([]);
  });
});
