/**
 * `jml hr sync` end to end: the example organisation, a BambooHR snapshot file, the embedded
 * providers and the GitHub fake, with time frozen at 2026-12-01T15:00Z. Each event becomes one
 * pull request; the same snapshot again changes nothing; an overdue leaver is cut off every
 * provider before their pull request exists; every file proposed passes jml validate.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { skippingClock } from '../../src/apply/leaver-schedule.js';
import type { HrRecord } from '../../src/hr/snapshot.js';
import { editPolicyYaml } from '../../src/load/write-yaml.js';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import {
  cleanTempDirs,
  jml,
  jmlWithClock,
  repoFiles,
  tickingClock,
  writeRepoFile,
} from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { hrExample, NOW, newHire } from '../fixtures/hr/northwind.js';
import { change, DIRECTORIES, seedGitHub, writeSnapshot } from './helpers.js';

const EXPORT = path.resolve(import.meta.dirname, '../fixtures/hr/northwind-export.csv');

let h: GitHubHarness;
let dir: string;
githubForEachTest((x) => {
  h = x;
});
beforeEach(() => {
  dir = hrExample();
  seedGitHub(h, dir);
});
afterAll(cleanTempDirs);

/** Writes the baseline snapshot, edited, into the checkout; returns its path. */
const snapshot = (...edits: ((rs: HrRecord[]) => HrRecord[])[]) => writeSnapshot(dir, ...edits);
const sync = (file: string, ...args: string[]) =>
  jmlWithClock(tickingClock(NOW), dir, 'hr', 'sync', '--snapshot', file, ...args);

const joinerAndMover = () =>
  snapshot((rs) => [...rs, newHire()], change('BHR-1024', { managerSourceId: 'BHR-1003' }));

function issueOf(number: number) {
  return h.fake.repo(OWNER, REPO).issues.get(number)!;
}

describe('jml hr sync --dry-run', () => {
  it('prints the events and the pull requests it would open as JSON, and changes nothing', async () => {
    const file = joinerAndMover();
    const before = repoFiles(dir);
    const r = await sync(file, '--dry-run', '--format', 'json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      events: [
        {
          event: 'mover',
          person: 'chloe.dubois',
          effective: '2026-12-01',
          record: { source: 'bamboohr', sourceId: 'BHR-1024', asOf: '2026-12-01T09:00:00-05:00' },
          labels: ['jml', 'jml:mover', 'effective:2026-12-01'],
          branch: 'jml/hr/mover/BHR-1024/2026-12-01',
          changes: ['manager: tomas.novak -> grace.lin'],
          overdue: false,
        },
        {
          event: 'joiner',
          person: 'jo.muller',
          effective: '2026-12-07',
          record: { source: 'bamboohr', sourceId: 'BHR-2001', asOf: '2026-12-01T09:00:00-05:00' },
          labels: ['jml', 'jml:joiner', 'effective:2026-12-07'],
          branch: 'jml/hr/joiner/BHR-2001/2026-12-07',
          changes: [
            'new person jo.muller: Jo Müller <jo.muller@example.com>, employee',
            'department: Engineering, title: Software Engineer',
            'manager: tomas.novak',
            'role: engineer from 2026-12-07',
          ],
          overdue: false,
        },
      ],
      problems: [],
      untouched: [],
      // Nothing to brake on: no overdue cut, nobody missing.
      brake: {
        held: false,
        activeWorkforce: 50,
        cuts: [],
        limits: { maxDisables: 5, maxDisableShare: 0.1, shareLimit: 5 },
        over: [],
        heldBack: [],
        missing: [],
      },
    });
    expect(repoFiles(dir)).toEqual(before);
    expect(h.fake.pullsOf(OWNER, REPO)).toEqual([]);
    expect(h.fake.requests).toEqual([]);
  });

  it('lists each problem with its line and sourceId, and exits 2 when records were skipped', async () => {
    const file = snapshot((rs) => [...rs, newHire({ jobFamily: 'Quantum Research' })]);
    const r = await sync(file, '--dry-run');
    expect(r.code).toBe(2);
    expect(r.out).toContain('53 records: 0 events, 1 problem');
    expect(r.out).toContain(
      'line 53, BHR-2001: job family "Quantum Research" (title "Software Engineer") is not mapped to a role in policy/jml.yaml hr.jobFamilies or hr.titles; no pull request for this joiner',
    );
  });

  it('a record that is not hr-snapshot/v1 is skipped with its line, the others still classified', async () => {
    const file = snapshot(change('BHR-1039', { department: 'Platform' }));
    writeRepoFile(
      dir,
      'hr/snapshot.jsonl',
      `${readFileSync(file, 'utf8')}{"source":"bamboohr","sourceId":"BHR-3"}\n`,
    );
    const r = await sync(file, '--dry-run', '--format', 'json');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.out) as {
      events: { person: string }[];
      problems: { line: number; sourceId: string }[];
    };
    expect(out.events.map((e) => e.person)).toEqual(['priya.raman']);
    expect(out.problems.map((p) => [p.line, p.sourceId])).toEqual([[53, 'BHR-3']]);
  });
});

describe('jml hr sync', () => {
  it('opens one pull request per event, labelled, with its HR record in a hidden marker and the right reviewers', async () => {
    const r = await sync(joinerAndMover(), '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const pulls = h.fake.pullsOf(OWNER, REPO);
    expect(pulls.map((p) => p.headRef).sort()).toEqual([
      'jml/hr/joiner/BHR-2001/2026-12-07',
      'jml/hr/mover/BHR-1024/2026-12-01',
    ]);
    const joiner = pulls.find((p) => p.headRef.startsWith('jml/hr/joiner/'))!;
    const issue = issueOf(joiner.number);
    expect(issue.title).toBe('HR joiner: Jo Müller (jo.muller), effective 2026-12-07');
    expect(issue.labels).toEqual(['jml', 'jml:joiner', 'effective:2026-12-07']);
    expect(issue.body).toMatch(/<!-- jml:hr key=[0-9a-f]{64} record=bamboohr:BHR-2001 -->/);
    expect(issue.body).toContain('- manager: tomas.novak');
    // The manager and HR; never the bot.
    expect(joiner.requestedReviewers).toEqual(['tnovak', 'ljensen', 'mpark-hr', 'andrethomas']);
    const file = h.fake.filesAt(OWNER, REPO, joiner.headRef).get('people/jo.muller.yaml')!;
    expect(file.split('\n')[0]).toBe('# yaml-language-server: $schema=../.jml/schemas/person.schema.json');

    const mover = pulls.find((p) => p.headRef.startsWith('jml/hr/mover/'))!;
    // A mover's old and new manager both review.
    expect(mover.requestedReviewers).toEqual([
      'tnovak',
      'gracelin-dev',
      'ljensen',
      'mpark-hr',
      'andrethomas',
    ]);
    expect(h.fake.filesAt(OWNER, REPO, mover.headRef).get('people/chloe.dubois.yaml')).toContain(
      'manager: grace.lin',
    );
    const out = JSON.parse(r.out) as { events: { pullRequest: { action: string } }[] };
    expect(out.events.map((e) => e.pullRequest.action)).toEqual(['created', 'created']);
  });

  it('run again with the same snapshot, it writes nothing and opens no second pull request', async () => {
    const file = joinerAndMover();
    expect((await sync(file)).code).toBe(0);
    const pulls = h.fake.pullsOf(OWNER, REPO).length;
    const seen = h.fake.requests.length;
    const again = await sync(file, '--format', 'json');
    expect(again.code, again.err).toBe(0);
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(pulls);
    // Only reads, and the branch creation GitHub refuses because the branch exists.
    const writes = h.fake.requests.slice(seen).filter((q) => q.method !== 'GET' && q.status < 300);
    expect(writes).toEqual([]);
    const out = JSON.parse(again.out) as { events: { pullRequest: { action: string } }[] };
    expect(out.events.map((e) => e.pullRequest.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('a move seen again a day later, its pull request still open, updates that pull request', async () => {
    // A CSV export has no change time: each day's run dates the same move anew.
    const move = change('BHR-1024', { managerSourceId: 'BHR-1003' });
    expect((await sync(snapshot(move))).code).toBe(0);
    const first = h.fake.pullsOf(OWNER, REPO);
    expect(first).toHaveLength(1);
    const nextDay = new Date(NOW + 86_400_000).toISOString();
    const again = await jmlWithClock(
      skippingClock(NOW + 86_400_000),
      dir,
      'hr',
      'sync',
      '--snapshot',
      snapshot(move, change('BHR-1024', { asOf: nextDay })),
      '--format',
      'json',
    );
    expect(again.code, again.err).toBe(0);
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(1);
    const out = JSON.parse(again.out) as { events: { pullRequest: { action: string; number: number } }[] };
    expect(out.events.map((e) => e.pullRequest.number)).toEqual([first[0]!.number]);
  });

  it('a manager who is new in the same snapshot: the report’s pull request says to merge theirs first', async () => {
    const file = snapshot((rs) => [
      ...rs,
      newHire({
        sourceId: 'BHR-2003',
        legalName: 'Wen Li',
        preferredName: null,
        managerSourceId: 'BHR-2002',
      }),
      newHire({ sourceId: 'BHR-2002', legalName: 'Ingrid Berg', preferredName: null }),
    ]);
    const r = await sync(file);
    expect(r.code, r.err).toBe(0);
    const pulls = h.fake.pullsOf(OWNER, REPO);
    // The manager's pull request is opened first.
    expect(pulls.map((p) => p.headRef)).toEqual([
      'jml/hr/joiner/BHR-2002/2026-12-07',
      'jml/hr/joiner/BHR-2003/2026-12-07',
    ]);
    const body = issueOf(pulls[1]!.number).body!;
    expect(body).toContain('**Merge first:**');
    expect(body).toContain('- `ingrid.berg`, pull request from `jml/hr/joiner/BHR-2002/2026-12-07`');
    expect(r.out).toContain('merge first: ingrid.berg');
  });

  it('refuses to run for real without GitHub, and changes nothing', async () => {
    const saved = process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_TOKEN;
    try {
      const r = await sync(joinerAndMover());
      expect(r.code).toBe(1);
      expect(r.err).toContain('set GITHUB_TOKEN and GITHUB_REPOSITORY (or look first with --dry-run)');
    } finally {
      process.env.GITHUB_TOKEN = saved;
    }
    expect(h.fake.requests).toEqual([]);
  });

  it('--source reads the HR system through its adapter: a CSV export with its own columns and words', async () => {
    const policy = path.join(dir, 'policy/jml.yaml');
    writeFileSync(
      policy,
      editPolicyYaml(readFileSync(policy, 'utf8'), [
        [
          ['hr', 'sources', 'export'],
          {
            kind: 'csv',
            file: 'hr/northwind-export.csv',
            source: 'bamboohr',
            idPrefix: 'BHR-',
            columns: {
              sourceId: 'Employee #',
              workerType: 'Employment Type',
              status: 'Status',
              legalName: 'Legal Name',
              preferredName: 'Preferred Name',
              workEmail: 'Work Email',
              managerSourceId: 'Reports To #',
              jobTitle: 'Job Title',
              jobFamily: 'Job Family',
              department: 'Department',
              timeZone: 'Time Zone',
              startDate: 'Hire Date',
              lastDayOfWork: 'Last Day',
              endInstant: 'Access Ends',
            },
            values: {
              workerType: { 'Full-Time': 'employee', Contractor: 'contractor', Intern: 'intern' },
              status: {
                Active: 'active',
                'Pre-Hire': 'pre_hire',
                'On Leave': 'leave',
                Terminated: 'terminated',
              },
            },
          },
        ],
      ]),
    );
    writeRepoFile(dir, 'hr/northwind-export.csv', readFileSync(EXPORT, 'utf8'));
    const r = await jmlWithClock(
      skippingClock(NOW),
      dir,
      'hr',
      'sync',
      '--source',
      'export',
      '--dry-run',
      '--format',
      'json',
    );
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as {
      events: { event: string; person: string; record: { sourceId: string } }[];
    };
    // Everyone else says what people/ says: the one new row is the one event.
    expect(out.events.map((e) => [e.event, e.person, e.record.sourceId])).toEqual([
      ['joiner', 'jo.muller', 'BHR-2001'],
    ]);
  });

  it('needs exactly one of --source and --snapshot, and names the sources it knows', async () => {
    const neither = await jml(dir, 'hr', 'sync', '--dry-run');
    expect(neither.code).toBe(1);
    expect(neither.err).toContain('give either --source NAME or --snapshot FILE');
    const unknown = await jml(dir, 'hr', 'sync', '--source', 'workday', '--dry-run');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain(
      'no HR source "workday" in policy/jml.yaml hr.sources (there are: bamboohr)',
    );
  });

  it('every file it proposes passes jml validate, all of them merged together', async () => {
    const file = snapshot(
      (rs) => [
        ...rs,
        newHire(),
        newHire({
          sourceId: 'BHR-2003',
          legalName: 'Wen Li',
          preferredName: null,
          managerSourceId: 'BHR-2002',
        }),
        newHire({
          sourceId: 'BHR-2002',
          legalName: 'Ingrid Berg',
          preferredName: null,
          timeZone: 'Pacific/Auckland',
        }),
        newHire({
          sourceId: 'BHR-2100',
          rehireOf: 'BHR-1014',
          legalName: 'Kevin OBrien',
          preferredName: null,
          workEmail: 'kevin.obrien@example.com',
          startDate: '2027-01-04',
        }),
      ],
      change('BHR-1024', { managerSourceId: 'BHR-1003' }),
      change('BHR-1027', { jobFamily: 'Site Reliability Engineering' }),
      change('BHR-1039', { lastDayOfWork: '2027-01-15', timeZone: 'Asia/Tokyo' }),
      change('BHR-1025', { lastDayOfWork: null, endInstant: null }),
      change('BHR-1043', { preferredName: 'May Chen-Walker' }),
      change('BHR-1050', { workerType: 'employee', jobTitle: 'Data Analyst' }),
      change('BHR-1019', { jobFamily: 'Data & Analytics' }),
    );
    const before = await jml(dir, 'validate', '--at', '2026-12-01T15:00:00Z');
    const r = await sync(file, '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const events = (JSON.parse(r.out) as { events: { event: string; person: string; branch: string }[] })
      .events;
    expect(events.map((e) => `${e.event} ${e.person}`).sort()).toEqual([
      'cancelled-termination emma.schultz',
      'correction arjun.mehta',
      'correction mei.chen',
      'joiner ingrid.berg',
      'joiner jo.muller',
      'joiner wen.li',
      'leaver priya.raman',
      'mover alice.nguyen',
      'mover chloe.dubois',
      'mover ravi.patel',
      'rehire kevin.obrien',
    ]);
    for (const e of events) {
      for (const [rel, text] of h.fake.filesAt(OWNER, REPO, e.branch))
        if (rel.startsWith('people/')) writeRepoFile(dir, rel, text);
    }
    const v = await jml(dir, 'validate', '--at', '2026-12-01T15:00:00Z');
    expect(v.code, v.out + v.err).toBe(0);
    // Not even a warning beyond the example's own (an exception expiring soon).
    expect(v.out + v.err).toBe(before.out + before.err);
  });
});

describe('an overdue leaver, with time frozen', () => {
  const priyaAccounts = () =>
    DIRECTORIES.flatMap((rel) => {
      const data = JSON.parse(readFileSync(path.join(dir, rel), 'utf8')) as DirectoryFile;
      const u = data.users['priya.raman@example.com'];
      return u ? [u.enabled] : [];
    });
  const records = () => readdirSync(path.join(dir, '.jml/records')).filter((f) => f.includes('-offboard-'));

  beforeEach(async () => {
    const r = await jml(dir, 'apply', '--confirm', '--at', '2026-12-01T14:00:00Z', '--allow-mass-disable');
    expect(r.code, r.err).toBe(0);
  });

  it('is cut off every provider at once, then their pull request records it, labelled backdated', async () => {
    expect(priyaAccounts().length).toBeGreaterThan(1);
    expect(priyaAccounts().every(Boolean)).toBe(true);
    // HR terminated Priya with a last day of Friday 27 November: her access should have ended
    // at midnight that night, four days before the sync hears of it.
    const file = snapshot(change('BHR-1039', { status: 'terminated', lastDayOfWork: '2026-11-27' }));
    const dry = await sync(file, '--dry-run', '--format', 'json');
    expect(JSON.parse(dry.out).events[0]).toMatchObject({ event: 'leaver', overdue: true });
    expect(priyaAccounts().every(Boolean)).toBe(true); // a dry run cuts nothing

    const r = await sync(file, '--format', 'json');
    expect(r.code, r.err).toBe(0);
    expect(priyaAccounts().every((enabled) => !enabled)).toBe(true);
    // The hold is recorded first (it stands even if the cut found nothing to do), then the cut.
    const written = records().map(
      (f) => JSON.parse(readFileSync(path.join(dir, '.jml/records', f), 'utf8')) as ApplyRecord,
    );
    expect(written.map((x) => [x.result, Boolean(x.offboard?.intent)])).toEqual([
      ['no-changes', true],
      ['applied', false],
    ]);
    const record = written[1]!;
    expect(record.result).toBe('applied');
    expect(record.offboard).toMatchObject({
      person: 'priya.raman',
      at: '2026-12-01T15:00:00.000Z',
      reason: 'HR bamboohr:BHR-1039 terminated at 2026-11-28T00:00:00-05:00',
      requestedBy: 'jml hr sync',
    });
    expect(record.trigger.reason).toBe('HR bamboohr:BHR-1039 terminated at 2026-11-28T00:00:00-05:00');
    for (const c of record.changes) expect(Date.parse(c.finishedAt) - NOW).toBeLessThan(60_000);

    const [pr] = h.fake.pullsOf(OWNER, REPO);
    expect(pr!.headRef).toBe('jml/hr/leaver/BHR-1039/2026-11-27');
    const issue = issueOf(pr!.number);
    expect(issue.labels).toEqual(['jml', 'jml:leaver', 'effective:2026-11-27', 'backdated']);
    expect(issue.body).toContain('**Access was already cut** on every provider at 2026-12-01T15:00:00.000Z');
    // Manager, HR and security review a leaver.
    expect(pr!.requestedReviewers).toEqual([
      'gracelin-dev',
      'ljensen',
      'mpark-hr',
      'andrethomas',
      'emcbride-sec',
      'saraholm',
    ]);
    // The hold names the pull request that records it.
    const cutFile = records()[1]!;
    const held = JSON.parse(readFileSync(path.join(dir, '.jml/records', cutFile), 'utf8')) as ApplyRecord;
    expect(held.offboard!.pullRequest!.number).toBe(pr!.number);
    expect(h.fake.filesAt(OWNER, REPO, pr!.headRef).get('people/priya.raman.yaml')).toContain(
      '  end: 2026-11-28T00:00:00-05:00\n',
    );

    // The next hourly run: the hold stands, so no second cut, and the same pull request as is.
    const again = await jmlWithClock(
      skippingClock(NOW + 3_600_000),
      dir,
      'hr',
      'sync',
      '--snapshot',
      file,
      '--format',
      'json',
    );
    expect(again.code, again.err).toBe(0);
    expect(records()).toHaveLength(2); // the hold and the cut of the first run; nothing new
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(1);
    expect(JSON.parse(again.out).events[0].pullRequest.action).toBe('unchanged');

    // Until it merges, a plan keeps her cut off; merged, the file says the same.
    const plan = await jmlWithClock(skippingClock(NOW + 3_600_000), dir, 'plan', '--format', 'json');
    expect(plan.err).toContain('priya.raman was offboarded at 2026-12-01T15:00:00.000Z by jml hr sync');
    expect(
      (JSON.parse(plan.out) as { changes: { person: string }[] }).changes.filter(
        (c) => c.person === 'priya.raman',
      ),
    ).toEqual([]);
  });

  it('an offboarding record it cannot read is said once, and the notices of the cut with it', async () => {
    const unreadable = '2026-11-30T10-00-00-000Z-offboard-omar.farouk-none-applied.json';
    writeRepoFile(dir, `.jml/records/${unreadable}`, '{nope');
    const note = `Note: .jml/records/${unreadable} is not JSON`;
    const file = snapshot(change('BHR-1039', { status: 'terminated', lastDayOfWork: '2026-11-27' }));
    const dry = await sync(file, '--dry-run');
    expect(dry.err.split('\n').filter((l) => l.startsWith('Note: '))).toEqual([
      expect.stringContaining(note),
    ]);
    const r = await sync(file);
    expect(r.code, r.err).toBe(0);
    expect(r.err.split(note)).toHaveLength(2);
    // Failing closed, the unreadable record holds omar.farouk; the cut runs with that hold in force.
    expect(r.err).toContain('Note: omar.farouk was offboarded at 2026-11-30T10:00:00.000Z by unknown');
  });

  it('a leaver far enough ahead is only a pull request: nobody is cut', async () => {
    const file = snapshot(change('BHR-1039', { lastDayOfWork: '2026-12-18' }));
    const r = await sync(file);
    expect(r.code, r.err).toBe(0);
    expect(priyaAccounts().every(Boolean)).toBe(true);
    expect(records()).toEqual([]);
    expect(issueOf(h.fake.pullsOf(OWNER, REPO)[0]!.number).labels).toEqual([
      'jml',
      'jml:leaver',
      'effective:2026-12-18',
    ]);
  });
});
