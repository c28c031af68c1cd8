/**
 * jml review report from a real campaign (jml review start on the drifted example), decided
 * files merged by git, review pull requests with their reviewers' approvals in the GitHub fake,
 * an apply record carrying `review` for the orphaned grants removed: every item accounted for,
 * with its reviewer, approval, merge commit, remediation and the live check. Then the findings:
 * a revoke the provider still shows, a stale approval, an item undecided past the due date.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ReviewFile, ReviewItem } from '../../src/model/schema.js';
import type { ApplyRecord, ChangeResult } from '../../src/records/schema.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { AT, driftedExample, Q } from './helpers.js';

let h: GitHubHarness;
githubForEachTest((x) => {
  h = x;
});
afterAll(cleanTempDirs);

const BEFORE_DUE = '2027-01-20T12:00:00Z';
const AFTER_DUE = '2027-01-26T12:00:00Z';
const DIRECTORIES: Record<string, string> = {
  local: '.jml/directory.json',
  entra: '.jml/entra.json',
  google: '.jml/google.json',
  okta: '.jml/okta.json',
  manual: '.jml/manual-tickets.json',
};

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'GitHub',
      GIT_AUTHOR_EMAIL: 'noreply@github.com',
      GIT_COMMITTER_NAME: 'GitHub',
      GIT_COMMITTER_EMAIL: 'noreply@github.com',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
    .toString()
    .trim();
}

/** Removes an account from a target on its (embedded) provider, as a revoke would. */
function removeFromProvider(dir: string, item: ReviewItem): void {
  const file = path.join(dir, DIRECTORIES[item.provider]!);
  const d = JSON.parse(readFileSync(file, 'utf8')) as { targets: Record<string, string[]> };
  for (const [key, members] of Object.entries(d.targets))
    if (key.endsWith(`:${item.target}`)) d.targets[key] = members.filter((m) => m !== item.account);
  writeFileSync(file, `${JSON.stringify(d, null, 2)}\n`);
}

function addToProvider(dir: string, item: ReviewItem): void {
  const file = path.join(dir, DIRECTORIES[item.provider]!);
  const d = JSON.parse(readFileSync(file, 'utf8')) as { targets: Record<string, string[]> };
  const key = Object.keys(d.targets).find((k) => k.endsWith(`:${item.target}`))!;
  d.targets[key]!.push(item.account);
  writeFileSync(file, `${JSON.stringify(d, null, 2)}\n`);
}

interface Decided {
  dir: string;
  files: { name: string; path: string; file: ReviewFile; head: string; pr: number }[];
  revoked: ReviewItem[];
  population: number;
  merge: string;
}

/**
 * A quarter started, every file decided (orphaned grants revoked, the rest kept), merged, the
 * revokes applied and recorded; one pull request per file, approved by its reviewer on its head.
 */
async function decidedQuarter(): Promise<Decided> {
  const dir = await driftedExample();
  // Start without GitHub: the files are written into the checkout (merged as they would be).
  const token = process.env.GITHUB_TOKEN;
  delete process.env.GITHUB_TOKEN;
  const started = await jml(dir, 'review', 'start', '--quarter', Q, '--at', AT);
  process.env.GITHUB_TOKEN = token;
  expect(started.code, started.err).toBe(0);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A', '--', 'people', 'roles', 'exceptions', 'policy', 'reviews', '.github');
  git(dir, 'commit', '-q', '-m', `Access review ${Q}: the campaign`);

  const folder = path.join(dir, 'reviews', Q);
  const names = readdirSync(folder)
    .filter((f) => f !== 'campaign.yaml')
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
  const revoked: ReviewItem[] = [];
  const files: Decided['files'] = [];
  let population = 0;
  for (const name of names) {
    const rel = `reviews/${Q}/${name}.yaml`;
    const file = parse(readFileSync(path.join(dir, rel), 'utf8')) as ReviewFile;
    for (const item of file.items) {
      population++;
      if (item.source.kind === 'orphaned') {
        item.decision = 'revoke';
        item.justification = 'granted by nothing in git';
        revoked.push(item);
      } else item.decision = 'keep';
    }
    writeFileSync(path.join(dir, rel), stringify(file));
    files.push({ name, path: rel, file, head: '', pr: 0 });
  }
  git(dir, 'add', '-A', '--', 'reviews');
  git(dir, 'commit', '-q', '-m', `Access review ${Q}: decisions merged`);
  const merge = git(dir, 'rev-parse', 'HEAD');

  // jml review apply: the orphaned grants removed, recorded with `review`.
  for (const item of revoked) removeFromProvider(dir, item);
  const now = '2027-01-21T10:00:00.000Z';
  const changes: ChangeResult[] = revoked.map((i) => ({
    id: `${i.provider}/${i.account}/revoke/${i.entitlement}`,
    action: 'revoke',
    provider: i.provider,
    person: i.person,
    login: i.account,
    entitlement: i.entitlement,
    event: { kind: 'update' },
    startedAt: now,
    finishedAt: now,
    status: 'applied',
  }));
  const record: ApplyRecord & { review: unknown } = {
    schema: 'jml-apply-record/v1',
    startedAt: now,
    finishedAt: now,
    trigger: { actor: 'github-actions', command: `jml review apply --quarter ${Q} --confirm`, ci: true },
    commit: merge,
    at: now,
    planFingerprint: null,
    result: 'applied',
    guards: [],
    counts: { applied: changes.length, unchanged: 0, failed: 0, skipped: 0 },
    changes,
    review: {
      quarter: Q,
      reason: 'decided',
      items: revoked.map((i) => ({ id: i.id, outcome: 'revoked' })),
    },
  };
  writeFileSync(
    path.join(dir, '.jml/records', '2027-01-21T10-00-00-000Z-review.json'),
    `${JSON.stringify(record, null, 2)}\n`,
  );

  // The review pull requests: one per file, approved by its reviewer on its head, merged.
  const people = new Map(
    readdirSync(path.join(dir, 'people')).map((f) => {
      const p = parse(readFileSync(path.join(dir, 'people', f), 'utf8')) as { id: string; github?: string };
      return [p.id, p.github];
    }),
  );
  files.forEach((f, i) => {
    f.head = (i + 1).toString(16).padStart(40, 'b');
    const pull = h.fake.addPullRequest({
      author: 'github-actions[bot]',
      headRef: `jml/review/${Q}/${f.name}`,
      baseSha: 'a'.repeat(40),
      headSha: f.head,
      mergeCommitSha: merge,
      mergedAt: '2027-01-18T16:00:00Z',
      reviews: [
        {
          login: people.get(f.file.reviewer)!,
          state: 'APPROVED',
          commitId: f.head,
          submittedAt: '2027-01-18T15:00:00Z',
        },
      ],
    });
    f.pr = pull.number;
  });
  return { dir, files, revoked, population, merge };
}

const csvRows = (file: string) =>
  parseCsv(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];

describe('jml review report', () => {
  it('accounts for every item: decision, reviewer and approval, merge commit, remediation, and each revoke gone', async () => {
    const q = await decidedQuarter();
    expect(q.revoked.length).toBeGreaterThan(2);
    const out = tempDir('jml-review-report-');
    const r = await jml(q.dir, 'review', 'report', '--quarter', Q, '--out', out, '--at', BEFORE_DUE);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).not.toMatch(/not set/);
    expect(r.out).toContain(
      `Access review ${Q}: population ${q.population}, ${q.population} items in the files, ${q.population} decided (${q.population - q.revoked.length} keep, ${q.revoked.length} revoke), 0 undecided`,
    );
    expect(r.out).toContain(`revoked: ${q.revoked.length} gone, 0 still held; 0 findings.`);
    const rows = csvRows(path.join(out, `access-review-${Q}.csv`));
    expect(rows).toHaveLength(q.population);
    expect(new Set(rows.map((x) => x.Item)).size).toBe(q.population);
    const jonah = q.files.find((f) => f.name === 'jonah.weiss')!;
    const row = rows.find((x) => x['Review file'] === jonah.path)!;
    expect(row).toMatchObject({
      Reviewer: 'jonah.weiss',
      'Reviewer login': 'jweiss-sre',
      'Approved at': '2027-01-18T15:00:00Z',
      'Approved commit': jonah.head,
      'Pull request': `#${jonah.pr}`,
      'Merge commit': q.merge,
      Decision: 'keep',
      Result: 'pass',
    });
    for (const item of q.revoked) {
      const x = rows.find((y) => y.Item === item.id)!;
      expect(x, item.id).toMatchObject({
        Decision: 'revoke',
        Justification: 'granted by nothing in git',
        'Post-remediation check': 'gone',
        Result: 'pass',
      });
      expect(x['Remediation applied']).toMatch(
        /^2027-01-21T10-00-00-000Z-review\.json revoked: revoke: applied/,
      );
    }
    const md = readFileSync(path.join(out, `access-review-${Q}.md`), 'utf8');
    expect(md).toContain(`# Access review ${Q}`);
    expect(md).toContain('**Findings:** none.');

    // The evidence pack includes the campaign as its access-reviews section.
    const pack = path.join(tempDir('jml-review-pack-'), 'pack');
    const ev = await jml(q.dir, 'evidence', '--out', pack, '--at', BEFORE_DUE, '--since', '30d');
    // Every item of the campaign, and one row more: 2026-Q4 ended inside the window with no
    // campaign at all, which is a finding of its own (a missing control, never an empty table).
    expect(ev.out).toContain(`access-reviews: ${q.population + 1} rows, 1 finding`);
    expect(ev.out).toContain('FINDING access-reviews: No access review for 2026-Q4');
    expect(readFileSync(path.join(pack, 'index.html'), 'utf8')).toContain(
      '<section id="access-reviews" class="artifact">',
    );
  });

  it('finds a revoke the provider still shows, a stale approval, and an item undecided past the due date', async () => {
    const q = await decidedQuarter();
    // A revoked grant put back by hand on the provider.
    const back = q.revoked[0]!;
    addToProvider(q.dir, back);
    // A reviewer approved, then the branch moved on: the approval is stale.
    const grace = q.files.find((f) => f.name === 'grace.lin')!;
    const pull = h.fake.pullsOf(OWNER, REPO).find((p) => p.number === grace.pr)!;
    pull.headSha = 'c'.repeat(40);
    // One item left pending in a file merged after the due date, and nothing recorded for it.
    const kofi = q.files.find((f) => f.name === 'kofi.asante')!;
    const file = parse(readFileSync(path.join(q.dir, kofi.path), 'utf8')) as ReviewFile;
    const pending = file.items[0]!;
    pending.decision = 'pending';
    writeFileSync(path.join(q.dir, kofi.path), stringify(file));
    git(q.dir, 'commit', '-q', '-am', 'kofi left one undecided');

    const out = tempDir('jml-review-report-');
    const r = await jml(q.dir, 'review', 'report', '--quarter', Q, '--out', out, '--at', AFTER_DUE);
    expect(r.code, r.out + r.err).toBe(2);
    expect(r.out).toContain(`FINDING ${back.id} was revoked (`);
    expect(r.out).toContain(`but ${back.provider} still shows ${back.account} in ${back.target}`);
    expect(r.out).toContain(
      `FINDING ${grace.path}: #${grace.pr} has no approval by its reviewer grace.lin (@gracelin-dev) standing on its head commit.`,
    );
    expect(r.out).toContain(
      `FINDING ${pending.id} (${kofi.path}) is pending past the due date 2027-01-25 and no policy outcome was recorded`,
    );
    expect(r.out).toContain('3 findings.');
    const rows = csvRows(path.join(out, `access-review-${Q}.csv`));
    expect(rows.find((x) => x.Item === back.id)!['Post-remediation check']).toBe('STILL HELD');
    expect(rows.find((x) => x.Item === pending.id)!.Result).toBe('FINDING');
    expect(rows.find((x) => x['Review file'] === grace.path)!['Approved at']).toBe('');
  });
});
