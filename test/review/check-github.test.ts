/**
 * jml review check reading the pull request from GitHub: `--pr-of-commit` (the re-run after a
 * review knows only the head commit) and `--check-run` (the verdict posted as the check run
 * jml/review on the judged commit), against the GitHub fake; and the engine's use case on an
 * in-memory port, for what the fake cannot be made to do (a post that fails).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  checkReviewPullRequest,
  type ReviewCheckGitHub,
  type ReviewCheckOutcome,
} from '../../src/engine/review/check.js';
import { GitHubError } from '../../src/github/client.js';
import type { ReviewCampaign, ReviewFile } from '../../src/model/schema.js';
import { NOT_A_REVIEW, REVIEW_CHECK_MARKER } from '../../src/review/check.js';
import { cleanTempDirs, copyExample, jml } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { reviewItem as item, Q } from './helpers.js';

let h: GitHubHarness;
githubForEachTest((x) => {
  h = x;
});
afterAll(cleanTempDirs);

const FILE = `reviews/${Q}/jonah.weiss.yaml`;
const BASE_SHA = 'a'.repeat(40);
const FIRST_SHA = 'b'.repeat(40);
const HEAD_SHA = 'c'.repeat(40);
const OTHER_SHA = 'd'.repeat(40);

const ORIGINAL: ReviewFile = {
  quarter: Q,
  reviewer: 'jonah.weiss',
  items: [
    item('fatima.haddad/local/build-servers', 'fatima.haddad'),
    item('fatima.haddad/okta/github-engineering', 'fatima.haddad'),
  ],
};
const CAMPAIGN: ReviewCampaign = {
  quarter: Q,
  startedAt: '2027-01-04T14:00:00.000Z',
  due: '2027-01-25',
  commit: null,
  exportFingerprint: { plan: `sha256:${'0'.repeat(64)}`, sha256: '0'.repeat(64) },
  scope: [{ provider: 'local', simulated: true }],
  noResponse: 'keep',
  highRiskNoResponse: 'revoke',
  inactivityDays: 90,
  reviewers: [{ file: FILE, reviewer: 'jonah.weiss', items: 2 }],
  items: 2,
};
const text = (x: unknown) => stringify(x, { aliasDuplicateObjects: false });
/** The reviewer file with every item decided `keep`, or with the first still pending. */
const decided = (allDecided: boolean) =>
  text({
    ...ORIGINAL,
    items: ORIGINAL.items.map((i, n) => ({ ...i, decision: allDecided || n ? 'keep' : 'pending' })),
  });

/** A review pull request on the fake: written at FIRST_SHA, decided at HEAD_SHA, approved there. */
function reviewPullRequest(allDecided: boolean, number = 12) {
  h.fake.setFiles(OWNER, REPO, BASE_SHA, { [`reviews/${Q}/campaign.yaml`]: text(CAMPAIGN) });
  h.fake.setFiles(OWNER, REPO, FIRST_SHA, { [FILE]: text(ORIGINAL) });
  h.fake.setFiles(OWNER, REPO, HEAD_SHA, { [FILE]: decided(allDecided) });
  return h.fake.addPullRequest({
    owner: OWNER,
    repo: REPO,
    number,
    author: 'github-actions[bot]',
    baseSha: BASE_SHA,
    headSha: HEAD_SHA,
    commits: [FIRST_SHA, HEAD_SHA],
    files: [{ path: FILE, status: 'added' }],
    reviews: [{ login: 'jweiss-sre', state: 'APPROVED', commitId: HEAD_SHA }],
  });
}

const checkRuns = () => h.fake.repo(OWNER, REPO).checkRuns;
const verdicts = (n: number) =>
  h.fake.commentsOn(OWNER, REPO, n).filter((c) => c.body.includes(REVIEW_CHECK_MARKER));

describe('jml review check --pr-of-commit --check-run', () => {
  it('finds the pull request of the head commit, keeps one comment and posts jml/review: success', async () => {
    const base = copyExample();
    reviewPullRequest(true);
    const args = ['review', 'check', '--pr-of-commit', HEAD_SHA, '--comment', '--check-run'];
    const r = await jml(base, ...args, '--format', 'markdown');
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('Review check passed: approved by @jweiss-sre');
    expect(checkRuns()).toMatchObject([
      {
        name: 'jml/review',
        headSha: HEAD_SHA,
        status: 'completed',
        conclusion: 'success',
        title: 'Access review check: success',
      },
    ]);
    expect(checkRuns()[0]!.summary).toBe(r.out);
    expect(verdicts(12)).toHaveLength(1);
    // Again: one more check run (each run posts its verdict), still one comment.
    expect((await jml(base, ...args)).code).toBe(0);
    expect(checkRuns()).toHaveLength(2);
    expect(verdicts(12)).toHaveLength(1);
  });

  it('posts jml/review: failure on the judged commit for a refused pull request, and exits 3', async () => {
    const base = copyExample();
    reviewPullRequest(false);
    const r = await jml(base, 'review', 'check', '--pr', '12', '--check-run');
    expect(r.code, r.out + r.err).toBe(3);
    expect(r.out).toContain('[pending]');
    expect(checkRuns()).toMatchObject([
      { name: 'jml/review', headSha: HEAD_SHA, conclusion: 'failure', title: 'Access review check: failure' },
    ]);
    expect(checkRuns()[0]!.summary).toContain('**pending**');
    expect(verdicts(12)).toEqual([]);
  });

  it('passes a pull request that changes no reviewer file, and posts that as jml/review: success', async () => {
    const base = copyExample();
    h.fake.addPullRequest({
      owner: OWNER,
      repo: REPO,
      number: 13,
      author: 'hana-h',
      baseSha: BASE_SHA,
      headSha: OTHER_SHA,
      files: [{ path: 'people/pat.peer.yaml', status: 'modified' }],
    });
    const r = await jml(base, 'review', 'check', '--pr-of-commit', OTHER_SHA, '--comment', '--check-run');
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toBe(`${NOT_A_REVIEW}\n`);
    expect(checkRuns()).toMatchObject([
      { headSha: OTHER_SHA, conclusion: 'success', summary: `${NOT_A_REVIEW}\n` },
    ]);
    expect(verdicts(13)).toEqual([]);
  });

  it('posts nothing for a commit that is the head of no open pull request (a newer push is judged by its own run)', async () => {
    const base = copyExample();
    reviewPullRequest(true);
    const r = await jml(base, 'review', 'check', '--pr-of-commit', OTHER_SHA, '--comment', '--check-run');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`No open pull request has ${OTHER_SHA.slice(0, 12)} as its head`);
    expect(checkRuns()).toEqual([]);
    expect(verdicts(12)).toEqual([]);
  });

  it.each([
    [['--check-run', '--base', '.', '--head', '.'], '--check-run needs --pr or --pr-of-commit'],
    [['--comment', '--base', '.', '--head', '.'], '--comment needs --pr or --pr-of-commit'],
    [['--pr', '12', '--pr-of-commit', HEAD_SHA], 'give one of --pr <number> and --pr-of-commit <sha>'],
    [['--pr-of-commit', 'abc123'], '--pr-of-commit abc123: expected a 40-hex commit sha'],
    [['--pr-of-commit', HEAD_SHA, '--base', '.', '--head', '.'], 'give either --pr <number>'],
  ])('refuses %j before anything runs', async (args, message) => {
    const r = await jml(copyExample(), 'review', 'check', ...args);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`jml review check: ${message}`);
    expect(h.fake.requests).toEqual([]);
  });
});

/** An in-memory GitHub port that records what is posted; `failPosts` makes every post fail. */
function memoryGitHub(allDecided: boolean, failPosts = false) {
  const posted: string[] = [];
  const files = new Map([
    [BASE_SHA, new Map([[`reviews/${Q}/campaign.yaml`, text(CAMPAIGN)]])],
    [FIRST_SHA, new Map([[FILE, text(ORIGINAL)]])],
    [HEAD_SHA, new Map([[FILE, decided(allDecided)]])],
  ]);
  const fail = (what: string) => {
    throw new GitHubError(what, 403, 'Resource not accessible by integration');
  };
  const client = {
    pullRequestData: async () => ({
      pull: {
        number: 12,
        user: { login: 'github-actions[bot]' },
        head: { sha: HEAD_SHA },
        base: { sha: BASE_SHA },
      },
      files: [{ filename: FILE, status: 'added' }],
      reviews: [
        {
          user: { login: 'jweiss-sre' },
          state: 'APPROVED',
          commit_id: HEAD_SHA,
          submitted_at: '2027-01-10T10:00:00Z',
        },
      ],
    }),
    fileAt: async (_o: string, _r: string, file: string, ref: string) => files.get(ref)?.get(file),
    octokit: {
      paginate: async () => [{ sha: FIRST_SHA }, { sha: HEAD_SHA }],
      rest: { pulls: { listCommits: {} } },
    },
    openPullRequestWithHead: async (_o: string, _r: string, sha: string) =>
      sha === HEAD_SHA ? 12 : undefined,
    upsertStickyComment: async () => {
      if (failPosts) fail('comment on pull request #12');
      posted.push('comment');
      return { action: 'created' };
    },
    createCheckRun: async (_o: string, _r: string, spec: { name?: string; conclusion: string }) => {
      if (failPosts) fail('create check run jml/review');
      posted.push(`${spec.name} ${spec.conclusion}`);
      return { id: 1, url: 'https://example.test/check' };
    },
  } as unknown as ReviewCheckGitHub;
  return { github: { client, owner: OWNER, repo: REPO }, posted };
}

describe('the review check use case on a GitHub port', () => {
  const judge = (allDecided: boolean, failPosts = false) => {
    const port = memoryGitHub(allDecided, failPosts);
    const req = { pullRequest: { from: 'github' as const, headSha: HEAD_SHA, root: copyExample() } };
    return checkReviewPullRequest({ ...req, comment: true, checkRun: true }, { github: port.github }).then(
      (r): [ReviewCheckOutcome, string[]] => [r, port.posted],
    );
  };

  it('judges the pull request of the head commit and posts the comment, then the check run', async () => {
    const [r, posted] = await judge(true);
    expect(r).toMatchObject({
      kind: 'judged',
      check: { passed: true },
      posted: { comment: { action: 'created' } },
    });
    expect(posted).toEqual(['comment', 'jml/review success']);
  });

  it('keeps the verdict when posting it fails, and says why', async () => {
    const [r, posted] = await judge(false, true);
    expect(r).toMatchObject({ kind: 'judged', check: { passed: false } });
    expect(r.kind === 'judged' && r.posted.error).toContain('403 Resource not accessible by integration');
    expect(posted).toEqual([]);
  });
});
