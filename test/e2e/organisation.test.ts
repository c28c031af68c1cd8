/**
 * README "Set up in your organisation", followed end to end against the fakes: a repository made
 * from this template with Okta connected (the Okta fake) and GitHub (the GitHub fake). A joiner
 * arrives by pull request: CODEOWNERS is regenerated, the approvals check passes on the manager's
 * and HR's approvals of the latest push, the plan is commented once, and after the merge the apply
 * creates the joiner on Okta with the role's groups and apps, opens the manual work as issues
 * and comments the result on the merged pull request.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ApplyRecord } from '../../src/records/schema.js';
import { cleanTempDirs, copyExample, jml, readRecords, tempDir } from '../engine/helpers.js';
import {
  type GitHubHarness,
  OWNER,
  pointCliAt,
  REPO,
  specMismatches,
  startGitHub,
} from '../fakes/github/harness.js';
import { createOktaHarness, type OktaHarness } from '../fakes/okta/index.js';

const BASE_SHA = '1'.repeat(40);
const MERGE_SHA = '3'.repeat(40);
const START = '2026-11-30';

let github: GitHubHarness;
let okta: OktaHarness;
let restoreCli: () => void;
const saved = { ...process.env };

beforeAll(async () => {
  github = await startGitHub();
  // This test is about the workflow, not throttling (the conformance suite and the bench cover it).
  okta = await createOktaHarness({ rateLimit: { perMinute: 100_000 } });
  Object.assign(process.env, okta.env);
  restoreCli = pointCliAt(github);
});
afterEach(() => {
  expect(specMismatches(github.fake)).toEqual([]);
  expect(okta.server!.unknownRequests).toEqual([]);
});
afterAll(async () => {
  await github.close();
  await okta.close();
  restoreCli();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  cleanTempDirs();
});

/** Step 1: a repository from this template (the example organisation), Okta connected. */
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

function fromTemplate(): string {
  const dir = copyExample('jml-org-');
  const policyFile = path.join(dir, 'policy/jml.yaml');
  const policy = parse(readFileSync(policyFile, 'utf8')) as { providers: Record<string, unknown> };
  policy.providers.okta = { ...okta.config };
  writeFileSync(policyFile, stringify(policy));
  return dir;
}

/** The Okta tenant before jml: the catalog's groups and apps exist, empty. */
function seedOkta(dir: string) {
  const ents = parse(readFileSync(path.join(dir, 'policy/entitlements.yaml'), 'utf8')) as {
    provider: string;
    kind: string;
    target: string;
  }[];
  const targets: Record<string, string[]> = {};
  for (const e of ents) if (e.provider === 'okta') targets[`${e.kind}:${e.target}`] = [];
  return okta.seed({ users: {}, targets });
}

describe('setting up in an organisation, then a joiner by pull request', () => {
  it('follows the README from template to applied joiner', async () => {
    const base = fromTemplate();
    await seedOkta(base);
    expect((await jml(base, 'validate', '--at', '2026-11-25')).code).toBe(0);
    expect((await jml(base, 'codeowners', '--check')).code).toBe(0);

    // HR (Kofi in IT opens it) adds the joiner; CODEOWNERS is regenerated in the same PR.
    const head = tempDir('jml-head-');
    cpSync(base, head, { recursive: true });
    writeFileSync(
      path.join(head, 'people/nora.new.yaml'),
      stringify({
        id: 'nora.new',
        name: 'Nora New',
        email: 'nora.new@example.com',
        github: 'noranew',
        manager: 'grace.lin',
        department: 'Engineering',
        employment: { type: 'employee', start: START },
        roles: [{ role: 'backend-engineer', from: START }],
      }),
    );
    expect((await jml(head, 'codeowners')).code).toBe(0);
    expect((await jml(head, 'codeowners', '--check')).code).toBe(0);
    expect((await jml(head, 'validate', '--at', '2026-11-25')).code).toBe(0);
    // The trusted workflow checks the head out by SHA: the verdict is for the commit it read.
    const HEAD_SHA = commitAll(head);

    github.fake.addPullRequest({
      owner: OWNER,
      repo: REPO,
      number: 12,
      author: 'kasante',
      baseSha: BASE_SHA,
      headSha: HEAD_SHA,
      files: [
        { path: 'people/nora.new.yaml', status: 'added' },
        { path: '.github/CODEOWNERS', status: 'modified' },
      ],
      reviews: [{ login: 'ljensen', state: 'APPROVED', commitId: HEAD_SHA }],
    });

    // Approvals: HR alone is not enough for a joiner; the manager's approval completes it.
    const waiting = await jml(head, 'approvals', '--pr', '12', '--base', base, '--comment');
    expect(waiting.code, waiting.err).toBe(3);
    expect(waiting.out).toMatch(/grace\.lin/);
    const pull = github.fake.repo(OWNER, REPO).issues.get(12)!.pull!;
    github.fake.addReview(pull, { login: 'gracelin-dev', state: 'APPROVED', commitId: HEAD_SHA });
    const approved = await jml(head, 'approvals', '--pr', '12', '--base', base, '--comment');
    expect(approved.code, approved.out + approved.err).toBe(0);

    // The plan, as one sticky comment.
    const plan = await jml(head, 'plan', '--at', START, '--provider', 'okta', '--format', 'markdown');
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('nora.new');
    const planFile = path.join(head, 'plan.md');
    writeFileSync(planFile, plan.out);
    for (let push = 0; push < 2; push++)
      expect(
        (await jml(head, 'github', 'comment', '--pr', '12', '--kind', 'plan', '--file', planFile)).code,
      ).toBe(0);

    // Merged: the apply workflow's steps.
    const applied = await jml(head, 'apply', '--confirm', '--at', `${START}T15:00:00Z`, '--provider', 'okta');
    expect(applied.code, applied.out + applied.err).toBe(0);
    const record = readRecords(head).at(-1)!.record as unknown as ApplyRecord;
    expect(record.result).toBe('applied');
    const nora = await okta.state([]);
    expect(nora.users['nora.new@example.com']?.enabled).toBe(true);
    const granted = record.changes.filter((c) => c.login === 'nora.new@example.com' && c.action === 'grant');
    expect(granted.length).toBeGreaterThan(0);
    const everyone = await okta.state(['group:Everyone (Northwind)']);
    expect(everyone.targets['group:Everyone (Northwind)']).toContain('nora.new@example.com');
    expect((await jml(head, 'github', 'work-issues')).code).toBe(0);
    // GitHub merges pull request 12 into MERGE_SHA.
    const issue = github.fake.repo(OWNER, REPO).issues.get(12)!;
    issue.state = 'closed';
    pull.mergeCommitSha = MERGE_SHA;
    pull.mergedAt = new Date().toISOString();
    const result = path.join(head, 'apply.md');
    writeFileSync(result, `## jml apply\n\n${applied.out}`);
    expect((await jml(head, 'github', 'comment', '--commit', MERGE_SHA, '--file', result)).code).toBe(0);

    const comments = github.fake.commentsOn(OWNER, REPO, 12).map((c) => c.body);
    expect(comments.filter((b) => b.includes('<!-- jml:plan -->'))).toHaveLength(1);
    expect(comments.filter((b) => b.includes('<!-- jml:approvals -->'))).toHaveLength(1);
    expect(comments.some((b) => b.includes('## jml apply'))).toBe(true);
  });
});
