/**
 * `jml evidence` on a repository with a real history (test/evidence/history.ts): every artifact's
 * rows, the approvers and times read from GitHub, leaver lag and SLA, the findings and the exit
 * code; the CSVs parse and the manifest's hashes match the files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../src/cli/main.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, pointCliAt, specMismatches, startGitHub } from '../fakes/github/harness.js';
import { AT, type History, makeHistory, readPackFile } from './history.js';

let h: GitHubHarness;
let history: History;
let out: string;
let run: { code: number; out: string; err: string };
let restore: () => void;

type CsvRow = Record<string, string>;
const csv = (name: string): CsvRow[] => parse(readPackFile(out, `${name}.csv`), { columns: true, bom: true });

beforeAll(async () => {
  h = await startGitHub();
  restore = pointCliAt(h);
  history = await makeHistory(h);
  out = path.join(tempDir('jml-evidence-pack-'), 'pack');
  run = await jml(history.dir, 'evidence', '--out', out, '--at', AT);
});

afterAll(async () => {
  const mismatches = specMismatches(h.fake);
  restore();
  await h.close();
  cleanTempDirs();
  expect(mismatches).toEqual([]);
});

describe('jml evidence', () => {
  it('writes every artifact as Markdown and CSV, the page and the manifest, and exits 2 on findings', () => {
    expect(run.err).not.toMatch(/not set/);
    expect(run.code, run.out + run.err).toBe(2);
    const manifest = JSON.parse(readPackFile(out, 'manifest.json'));
    expect(manifest).toMatchObject({
      schema: 'jml-evidence-manifest/v1',
      commit: history.sha.jack,
      window: { since: '2026-08-12T12:00:00Z', until: '2026-11-10T12:00:00Z' },
      github: 'read',
    });
    // Beside the artifacts, a page per leaver (leaver-pages.ts) under leavers/.
    const paths = (manifest.files as { path: string }[]).map((f) => f.path);
    expect(
      paths
        .filter((p) => p.startsWith('leavers/'))
        .every((p) => /^leavers\/[a-z.]+-\d{4}-\d\d-\d\d\.(md|html)$/.test(p)),
    ).toBe(true);
    expect(paths.filter((p) => !p.startsWith('leavers/')).sort()).toEqual(
      [
        'access-reviews.csv',
        'access-reviews.md',
        'day-one.csv',
        'day-one.md',
        'exceptions.csv',
        'exceptions.md',
        'index.html',
        'jml-events.csv',
        'jml-events.md',
        'policy.csv',
        'policy.md',
        'roles.csv',
        'roles.md',
        'saas-inventory.csv',
        'saas-inventory.md',
        'terminated-accounts.csv',
        'terminated-accounts.md',
      ].sort(),
    );
    for (const f of manifest.files as { path: string; sha256: string }[]) {
      const hash = createHash('sha256')
        .update(readFileSync(path.join(out, f.path)))
        .digest('hex');
      expect(hash, f.path).toBe(f.sha256);
    }
    const of = (artifact: string) =>
      (manifest.findings as string[]).filter((f) => f.startsWith(`${artifact}: `));
    // The first policy version no pull request approved; self, stale-only and wrong-person
    // approvals, a direct push and two replays of leavers the import brought in without one; a
    // request after the end instant and an SLA breach.
    expect(of('policy')).toHaveLength(1);
    expect(of('jml-events')).toHaveLength(8);
  });

  it('policy: each version with its effective date and the approving reviewers of its pull request', () => {
    const rows = csv('policy');
    expect(rows.map((r) => [r.Version, r.Current, r['In period'], r.Commit, r.Approved])).toEqual([
      ['2', 'yes', 'no', history.sha.policy, 'yes'],
      ['1', 'no', 'no', history.sha.import, 'no'],
    ]);
    expect(rows[0]).toMatchObject({
      Author: 'Laura Jensen <laura.jensen@example.com>',
      'Committed at': '2026-07-01T15:00:00Z',
      'Effective from': '2026-07-01T15:00:00Z',
      // The apply on merge captured it: the record is read before GitHub.
      'Approval source': 'record',
      'Pull request': `#${history.pr.policy}`,
      'Requester (PR author)': 'ljensen',
      'Approved by': 'emcbride-sec',
      'Approved at': '2026-07-01T14:00:00Z',
      'Merged at': '2026-07-01T14:20:00Z',
    });
    expect(rows[1]).toMatchObject({
      'Pull request': 'no pull request',
      'Approval source': 'github',
      'Effective from': '2026-06-01T12:00:00Z',
    });
    expect(run.out).toMatch(/FINDING policy: Policy version 1 was never approved/);
  });

  it('roles: each role with includes resolved and its entitlements per provider', () => {
    const sre = csv('roles').filter((r) => r.Role === 'sre');
    expect(sre[0]).toMatchObject({ Includes: 'engineer', 'Includes (resolved)': 'employee; engineer' });
    const bastion = sre.find((r) => r.Entitlement === 'prod-bastion')!;
    expect(bastion).toMatchObject({ Provider: 'local', 'Granted via': 'sre' });
    expect(bastion.Risk).toMatch(/^(low|medium|high)$/);
    expect(sre.some((r) => r['Granted via'] === 'sre > engineer > employee')).toBe(true);
  });

  it('jml-events: joiner, mover and leavers with their approvals, apply times and SLA', () => {
    const rows = csv('jml-events');
    const key = (r: CsvRow) => `${r.Person} ${r.Event} ${r['Applied at']}`;
    expect(rows.map(key)).toEqual([
      'jonah.weiss exception-ended 2026-09-08T13:05:00Z',
      'noah.fischer joiner 2026-09-08T13:05:00Z',
      'arjun.mehta mover 2026-10-01T13:00:00Z',
      'liam.walsh leaver 2026-10-15T22:29:00Z',
      'kevin.obrien leaver 2026-10-30T21:05:00Z',
      'liam.walsh leaver 2026-10-30T21:05:00Z',
      'hana.sato mover 2026-11-02T14:00:00Z',
      'ravi.patel exception-ended 2026-11-02T14:00:00Z',
      'yusuf.demir mover 2026-11-03T15:05:00Z',
      'tara.quinn mover 2026-11-04T15:05:00Z',
      'owen.barrett mover 2026-11-05T15:05:00Z',
      'jack.sullivan leaver 2026-11-06T22:10:00Z',
      'ben.carter leaver 2026-11-07T10:00:00Z',
      'emma.schultz leaver 2026-11-08T10:00:00Z',
    ]);
    const row = (person: string, applied: string) =>
      rows.find((r) => r.Person === person && r['Applied at']!.startsWith(applied))!;
    const joiner = row('noah.fischer', '2026-09-08');
    expect(joiner).toMatchObject({
      'Person file commit': history.sha.joiner,
      'Approval source': 'github',
      'Approval evidence': 'from GitHub at pack time',
      'Pull request': `#${history.pr.joiner}`,
      'Requester (PR author)': 'ljensen',
      'Approved by': 'tnovak; mpark-hr',
      'Approved at': '2026-08-25T15:00:00Z; 2026-08-25T15:30:00Z',
      'Manager of record': 'tomas.novak (@tnovak) (named in the new file)',
      'Merged at': '2026-08-25T15:50:00Z',
      'Event date': '2026-09-08',
      'Policy version in force': `v2 (${history.sha.policy!.slice(0, 7)}, in force from 2026-07-01T15:00:00Z)`,
      'Approval finding': '',
      Failed: '0',
      // The link back to HR: the person's id there, and the record the pull request came from.
      'HR id': 'BHR-1051',
      'HR record of the pull request': 'bamboohr:BHR-1051',
    });
    expect(joiner['Approvals verdict']).toMatch(
      /^approved at pack time \(manager-approval met by @tnovak; hr-team met by @mpark-hr\)/,
    );
    // The stale approval and the request for changes are there, and said not to count.
    expect(joiner['Reviews at merge']).toMatch(
      /@saraholm APPROVED on fffffff .*: does not count \(.*stale\)/,
    );
    expect(joiner['Reviews at merge']).toMatch(/@emcbride-sec CHANGES_REQUESTED .*does not count/);
    expect(Number(joiner.Applied)).toBeGreaterThan(3);
    expect(joiner.Changes).toMatch(/local createUser: applied/);
    expect(row('arjun.mehta', '2026-10-01')).toMatchObject({
      'Pull request': `#${history.pr.mover}`,
      'Approved by': 'ethancole',
      'Manager of record': 'ethan.cole (@ethancole)',
      'HR id': 'BHR-1050',
      'HR record of the pull request': '', // a pull request someone opened by hand
    });
    const liamLate = row('liam.walsh', '2026-10-15');
    expect(liamLate).toMatchObject({
      'Pull request': `#${history.pr.liam}`,
      'Approved by': 'cmendez',
      'SLA (min)': '60',
      'Lag (s)': '5400',
      'Lag (min)': '90',
      'Within SLA': 'no',
      'SLA verdict': 'SLA breach',
      'Counts for SLA': 'yes',
      Clock: 'real',
    });
    expect(row('kevin.obrien', '2026-10-30')).toMatchObject({
      'Pull request': `#${history.pr.kevin}`,
      'Access ends': '2026-10-30T21:00:00Z',
      'Lag (s)': '300',
      'Within SLA': 'yes',
      'SLA verdict': 'within SLA',
      'Counts for SLA': 'yes',
    });
    // Liam's second run confirmed later: the earliest confirmed entry counts.
    expect(row('liam.walsh', '2026-10-30')['Counts for SLA']).toBe('no');
    expect(run.out).toMatch(
      /FINDING jml-events: SLA breach: liam\.walsh's access was confirmed removed at 2026-10-15T22:30:00/,
    );
    // No lag in the pack is negative.
    expect(rows.filter((r) => r['Lag (s)'] !== '').every((r) => Number(r['Lag (s)']) >= 0)).toBe(true);
  });

  it('exceptions: in force, expired and removed, with listed and real approvers', () => {
    const rows = Object.fromEntries(csv('exceptions').map((r) => [r.Exception, r]));
    expect(Object.keys(rows).sort()).toEqual([
      'EXC-0003',
      'EXC-0005',
      'EXC-0006',
      'EXC-0007',
      'EXC-0008',
      'EXC-0009',
    ]);
    expect(rows['EXC-0006']).toMatchObject({
      Status: 'in force',
      'Listed approvers': 'carlos.mendez',
      'Their GitHub logins': 'cmendez',
      'Listed approvers approved the PR': 'yes',
      'Approved by': 'cmendez',
      'Created at': '2026-09-01T14:00:00Z',
      Expires: '2026-11-20',
    });
    expect(rows['EXC-0007']).toMatchObject({
      Status: 'expired, removed',
      'Removed at': '2026-10-02T09:00:00Z',
      'Removed in': history.sha.exc7removed,
      'Pull request': `#${history.pr.exc7}`,
      'Approved by': 'ethancole',
      Justification: 'Quarter-end reconciliation, with Finance, for EXC-0007 (FIN-0007).',
    });
    expect(rows['EXC-0008']!.Status).toBe('expired, file still present');
    expect(rows['EXC-0003']).toMatchObject({ Status: 'in force', 'Pull request': 'none found' });
    expect(run.out).toContain('FINDING exceptions: EXC-0008');
  });

  it('terminated accounts: read live per provider; the one enabled account is the finding', () => {
    const rows = csv('terminated-accounts');
    expect(new Set(rows.map((r) => r.Person))).toEqual(
      new Set(['jack.sullivan', 'kevin.obrien', 'liam.walsh']),
    );
    const enabled = rows.filter((r) => r.Result === 'FINDING');
    expect(enabled.map((r) => [r.Provider, r.Person, r.Account, r.Simulated])).toEqual([
      ['okta', 'kevin.obrien', 'ENABLED', 'yes'],
    ]);
    const local = rows.find((r) => r.Provider === 'local' && r.Person === 'kevin.obrien')!;
    expect(local).toMatchObject({ Simulated: 'no', Account: 'disabled', Result: 'pass' });
    expect(readPackFile(out, 'terminated-accounts.md')).toMatch(
      /Simulated \(embedded directories .*\): entra, google, okta/,
    );
  });

  it("saas-inventory: each app's owner, SSO and deprovisioning, and the tickets' state", () => {
    const rows = csv('saas-inventory');
    const netsuite = rows.find((r) => r.Row === 'app' && r.App === 'netsuite')!;
    expect(netsuite).toMatchObject({ SSO: 'none', Deprovisioning: 'manual' });
    expect(netsuite.Owner).toMatch(/\(peter\.lindqvist\)$/);
    const tickets = rows.filter((r) => r.Row === 'ticket');
    expect(tickets.map((r) => [r.App, r.Ticket, r['Ticket state'], r['Apply record']])).toEqual([
      ['netsuite', history.issues.open, 'open', history.breachRecord],
      ['offboarding', history.issues.closed, 'closed', history.breachRecord],
    ]);
    expect(tickets[1]!['Closed at']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('reads records recursively from --records, as in a checkout of the jml-evidence branch', async () => {
    const branch = tempDir('jml-evidence-branch-');
    const { cpSync, mkdirSync, readdirSync } = await import('node:fs');
    for (const f of readdirSync(path.join(history.dir, '.jml/records'))) {
      const month = path.join(branch, 'records', f.slice(0, 4), f.slice(5, 7));
      mkdirSync(month, { recursive: true });
      cpSync(path.join(history.dir, '.jml/records', f), path.join(month, f));
    }
    const again = path.join(tempDir('jml-evidence-pack-'), 'pack');
    const r = await jml(history.dir, 'evidence', '--out', again, '--at', AT, '--records', branch);
    expect(r.code, r.err).toBe(2);
    const rows = parse(readFileSync(path.join(again, 'jml-events.csv'), 'utf8'), {
      columns: true,
    }) as CsvRow[];
    expect(rows).toHaveLength(14);
    expect(rows[3]!['Apply record']).toBe(`records/2026/10/${history.breachRecord}`);
  });

  it('without GitHub access reads the approvals the records captured, says why the rest are empty, and does not fail', async () => {
    const saved = { token: process.env.GITHUB_TOKEN, repo: process.env.GITHUB_REPOSITORY };
    delete process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_REPOSITORY;
    try {
      const again = path.join(tempDir('jml-evidence-pack-'), 'pack');
      const r = await jml(history.dir, 'evidence', '--out', again, '--at', AT);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain('GITHUB_TOKEN and GITHUB_REPOSITORY are not set');
      const policy = readFileSync(path.join(again, 'policy.md'), 'utf8');
      expect(policy).toMatch(
        /Approval columns read from GitHub are empty or partial: GITHUB_TOKEN and GITHUB_REPOSITORY are not set/,
      );
      const rows = parse(readFileSync(path.join(again, 'jml-events.csv'), 'utf8'), {
        columns: true,
      }) as CsvRow[];
      const bySource = (s: string) => rows.filter((x) => x['Approval source'] === s).map((x) => x.Person);
      expect(bySource('record')).toEqual(['yusuf.demir', 'tara.quinn', 'owen.barrett']);
      expect(bySource('github')).toEqual([]);
      // The rest say so, and each is a finding.
      for (const x of rows.filter((x) => x['Approval source'] === 'none')) {
        expect(x['Approvals verdict'], x.Person).toBe('approval not evidenced');
        expect(x['Approval finding'], x.Person).toMatch(/^Approval not evidenced: .*GitHub was not read/);
      }
      expect(JSON.parse(readFileSync(path.join(again, 'manifest.json'), 'utf8')).github).toEqual([
        expect.stringContaining('not set'),
      ]);
    } finally {
      process.env.GITHUB_TOKEN = saved.token;
      process.env.GITHUB_REPOSITORY = saved.repo;
    }
  });

  it('refuses a bad --since as a usage error (exit 64), naming the value', async () => {
    const bad = await jml(history.dir, 'evidence', '--out', tempDir(), '--since', 'ninety');
    expect(bad.code).toBe(EXIT_USAGE);
    expect(bad.err).toMatch(/--since ninety/);
  });
});
