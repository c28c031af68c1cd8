/**
 * Leavers on time, with frozen time: the example organisation's high-risk leaver Ben Carter
 * (employment.end 2026-12-11T16:00:00-05:00, 21:00Z, SLA 15 minutes) is applied at the instant by
 * `jml leavers`, a termination merged late is applied at once and judged from the merge, two
 * overlapping scheduled runs apply him once, and a missed deadline is reported loudly.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunClock, skippingClock } from '../../src/apply/leaver-schedule.js';
import { applyLeaversOnTime } from '../../src/engine/leavers.js';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import { cleanTempDirs, copyExample, jml, jmlWithClock, tickingClock } from './helpers.js';

afterEach(cleanTempDirs);

const BEN_END = Date.parse('2026-12-11T21:00:00Z');
const DIRECTORIES = ['.jml/directory.json', '.jml/entra.json', '.jml/google.json', '.jml/okta.json'];

function records(dir: string): { file: string; record: ApplyRecord }[] {
  const recordDir = path.join(dir, '.jml/records');
  return execFileSync('ls', [recordDir])
    .toString()
    .split('\n')
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, record: JSON.parse(readFileSync(path.join(recordDir, file), 'utf8')) }));
}

/** Ben's account on every directory that has one: enabled flag and live sessions. */
function benAccounts(dir: string): { file: string; enabled: boolean; sessions: number }[] {
  return DIRECTORIES.flatMap((rel) => {
    const data = JSON.parse(readFileSync(path.join(dir, rel), 'utf8')) as DirectoryFile;
    const u = data.users['ben.carter@example.com'];
    return u ? [{ file: rel, enabled: u.enabled, sessions: u.sessions.length }] : [];
  });
}

/** Ben signs in to the local directory (VPN) in the afternoon: a session the leaver run must end. */
function benSignsIn(dir: string): void {
  const file = path.join(dir, '.jml/directory.json');
  const data = JSON.parse(readFileSync(file, 'utf8')) as DirectoryFile;
  data.users['ben.carter@example.com']!.sessions.push({ id: 's1', startedAt: '2026-12-11T19:02:00.000Z' });
  writeFileSync(file, JSON.stringify(data));
}

/** The example organisation, applied as of `at` so that only what falls due later is left. */
async function exampleInSync(at: string): Promise<string> {
  const dir = copyExample();
  const r = await jml(dir, 'apply', '--confirm', '--at', at, '--allow-mass-disable');
  expect(r.code, r.err + r.out).toBe(0);
  return dir;
}

function git(dir: string, date: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
      GIT_AUTHOR_NAME: 'HR',
      GIT_AUTHOR_EMAIL: 'hr@example.com',
      GIT_COMMITTER_NAME: 'GitHub',
      GIT_COMMITTER_EMAIL: 'noreply@github.com',
    },
    stdio: 'ignore',
  });
}

describe('jml leavers: a leaver due in the window', () => {
  it('disables and signs out the leaver on every provider at the instant, and records the lag', async () => {
    const dir = await exampleInSync('2026-12-11T20:30:00Z');
    benSignsIn(dir);
    expect(benAccounts(dir).every((a) => a.enabled)).toBe(true);
    const before = records(dir).length;

    const clock = tickingClock(Date.parse('2026-12-11T20:50:00Z'));
    const r = await jmlWithClock(clock, dir, 'leavers', '--confirm', '--window', '20m', '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { groups: { at: string; people: string[] }[]; leavers: unknown[] };
    expect(out.groups).toEqual([
      expect.objectContaining({ at: '2026-12-11T21:00:00.000Z', people: ['ben.carter'] }),
    ]);

    // One apply at the instant; the check from a fresh read right after it found nothing more.
    const mine = records(dir).slice(before);
    expect(mine.map((m) => m.record.result)).toEqual(['applied', 'no-changes']);
    const { record } = mine[0]!;
    expect(record.result).toBe('applied');
    // Nothing was written before the instant, and every write was for Ben.
    for (const c of record.changes) {
      expect(Date.parse(c.startedAt)).toBeGreaterThanOrEqual(BEN_END);
      expect(c.person).toBe('ben.carter');
    }
    const timing = record.leavers!.find((t) => t.person === 'ben.carter')!;
    expect(timing).toMatchObject({
      highRisk: true,
      scheduledAt: '2026-12-11T21:00:00.000Z',
      backdated: false,
      slaMinutes: 15,
      deadline: '2026-12-11T21:15:00.000Z',
      withinSla: true,
    });
    expect(timing.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(timing.lagSeconds).toBeLessThan(30);
    // Ben has accounts on Google, Okta and the local directory (none on Entra), and a DocuSign
    // seat without SSO, whose removal is a ticket.
    expect(timing.providers.map((p) => p.provider)).toEqual(['google', 'local', 'manual', 'okta']);
    for (const p of timing.providers) {
      expect(p.failed).toEqual([]);
      expect(Date.parse((p.disabledAt ?? p.accessRemovedAt)!)).toBeGreaterThanOrEqual(BEN_END);
    }
    expect(
      Date.parse(timing.providers.find((p) => p.provider === 'local')!.sessionsRevokedAt!),
    ).toBeGreaterThanOrEqual(BEN_END);
    expect(benAccounts(dir).every((a) => !a.enabled && a.sessions === 0)).toBe(true);

    // A second run in the same window finds nothing left to do and writes nothing.
    const again = await jmlWithClock(skippingClock(BEN_END + 60_000), dir, 'leavers', '--confirm');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('nothing left to remove');
    expect(records(dir).length).toBe(before + 2);
  });

  it('says so and exits 0 when no leaver is due in the window', async () => {
    const dir = await exampleInSync('2026-12-11T20:00:00Z');
    const r = await jmlWithClock(
      skippingClock(Date.parse('2026-12-11T20:00:00Z')),
      dir,
      'leavers',
      '--confirm',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('No leaver is due before 2026-12-11T20:20:00');
  });

  it('refuses to run without --confirm and writes nothing', async () => {
    const dir = copyExample();
    const r = await jml(dir, 'leavers');
    expect(r.code).toBe(1);
    expect(r.err).toContain('add --confirm');
  });

  it('applies two overlapping runs once: the later waits for the person and finds nothing to do', async () => {
    const dir = await exampleInSync('2026-12-11T20:30:00Z');
    const before = records(dir).length;
    const [a, b] = await Promise.all([
      jmlWithClock(skippingClock(Date.parse('2026-12-11T20:45:00Z')), dir, 'leavers', '--confirm'),
      jmlWithClock(skippingClock(Date.parse('2026-12-11T20:55:00Z')), dir, 'leavers', '--confirm'),
    ]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const mine = records(dir).slice(before);
    const applied = mine.filter((m) => m.record.result === 'applied');
    expect(applied).toHaveLength(1);
    const disables = mine.flatMap((m) =>
      m.record.changes.filter((c) => c.action === 'disableUser' && c.status === 'applied'),
    );
    expect(disables.map((c) => c.provider).sort()).toEqual(['google', 'local', 'okta']);
    expect(benAccounts(dir).every((x) => !x.enabled)).toBe(true);
  });
});

describe('applyLeaversOnTime (the use case)', () => {
  it("says its schedule before the first wait, waits on its clock, and returns each instant's records", async () => {
    const dir = await exampleInSync('2026-12-11T20:30:00Z');
    const told: string[] = [];
    let toldNotices: readonly unknown[] = [];
    const skipping = skippingClock(Date.parse('2026-12-11T20:50:00Z'));
    const clock: RunClock = {
      now: () => skipping.now(),
      sleepUntil: (ms) => {
        told.push(`wait until ${new Date(ms).toISOString()}`);
        return skipping.sleepUntil(ms);
      },
    };
    const r = await applyLeaversOnTime(
      { clock, env: process.env },
      {
        root: dir,
        windowMs: 20 * 60_000,
        leadMs: 2 * 60_000,
        lookbackMs: 24 * 3_600_000,
        flags: { allowMassDisable: false, allowMassRemoval: false, allowDelete: false },
        trigger: { actor: 'scheduler', command: 'jml leavers --confirm', ci: true },
        onSchedule: (s, _p, notices) => {
          told.push(`schedule ${s.groups.map((g) => g.people.join(',')).join(';')}`);
          toldNotices = notices;
        },
      },
    );
    if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusal)}`);
    // Planned two minutes ahead, applied on the instant: both waits on the clock it was given.
    expect(told).toEqual([
      'schedule ben.carter',
      'wait until 2026-12-11T20:58:00.000Z',
      'wait until 2026-12-11T21:00:00.000Z',
    ]);
    // prepare's notices come with the schedule, so that the CLI says them first, as ever.
    expect(r.notices.map((n) => n.kind)).toEqual(['time-dependent', 'warnings']);
    expect(toldNotices).toEqual(r.notices);
    expect(r.windowEnd - r.start).toBe(20 * 60_000);
    expect(r.failed).toBe(false);
    expect(r.results.map((x) => x.outcomes.map((o) => o.record.result))).toEqual([['applied']]);
    expect(r.timings.map((t) => [t.person, t.withinSla])).toEqual([['ben.carter', true]]);
  });
});

describe('a termination merged after its instant', () => {
  async function mergedLate(applyAt: string, thenEdited?: string) {
    const dir = await exampleInSync('2026-12-11T14:00:00Z');
    git(dir, '2026-12-01T12:00:00Z', 'init', '-q', '-b', 'main');
    git(dir, '2026-12-01T12:00:00Z', 'add', '-A');
    git(dir, '2026-12-01T12:00:00Z', 'commit', '-q', '-m', 'Northwind');
    // Emma's last day is moved to this morning, but the pull request merges at 17:00Z.
    const file = path.join(dir, 'people/emma.schultz.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('end: 2026-12-18T17:00:00-05:00', 'end: 2026-12-11T10:00:00-05:00'),
    );
    git(dir, '2026-12-11T17:00:00Z', 'commit', '-q', '-am', 'Emma Schultz leaves today (PEOPLE-1290)');
    if (thenEdited) {
      // A later, unrelated edit of the same file must not move when the termination arrived.
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('title: Software Engineer', 'title: Engineer II'),
      );
      git(dir, thenEdited, 'commit', '-q', '-am', 'Title correction');
    }
    const r = await jmlWithClock(
      skippingClock(Date.parse(applyAt)),
      dir,
      'apply',
      '--confirm',
      '--format',
      'json',
    );
    return { r, record: JSON.parse(r.out) as ApplyRecord };
  }

  it('is applied at once on merge and judged from the merge, marked backdated', async () => {
    const { r, record } = await mergedLate('2026-12-11T17:00:30Z');
    expect(r.code, r.err).toBe(0);
    const t = record.leavers!.find((x) => x.person === 'emma.schultz')!;
    expect(t).toMatchObject({
      scheduledAt: '2026-12-11T15:00:00.000Z',
      knownAt: '2026-12-11T17:00:00.000Z',
      backdated: true,
      deadline: '2026-12-11T18:00:00.000Z',
      withinSla: true,
    });
    // The lag is still measured from the end instant: two hours and a little.
    expect(t.lagSeconds).toBeGreaterThanOrEqual(2 * 3600);
    expect(t.lagSeconds).toBeLessThan(2 * 3600 + 60);
  });

  it('counts from the commit that wrote the end instant, not from a later edit of the file', async () => {
    const { r, record } = await mergedLate('2026-12-11T18:10:00Z', '2026-12-11T17:40:00Z');
    expect(r.code).toBe(3);
    expect(record.leavers!.find((x) => x.person === 'emma.schultz')).toMatchObject({
      knownAt: '2026-12-11T17:00:00.000Z',
      deadline: '2026-12-11T18:00:00.000Z',
      withinSla: false,
    });
  });

  it('fails the run loudly with exit 3 when even the merge-time deadline was missed', async () => {
    const { r, record } = await mergedLate('2026-12-11T18:30:00Z');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(
      /SLA BREACH: emma\.schultz's access was confirmed removed at .* after the 60-minute deadline 2026-12-11T18:00:00\.000Z/,
    );
    expect(record.leavers!.find((x) => x.person === 'emma.schultz')!.withinSla).toBe(false);
  });
});

describe('a leaver past the deadline with access left', () => {
  it('is the first drift finding, as an SLA breach', async () => {
    const dir = await exampleInSync('2026-12-11T20:30:00Z');
    const r = await jmlWithClock(
      skippingClock(Date.parse('2026-12-11T21:20:00Z')),
      dir,
      'drift',
      '--format',
      'json',
    );
    expect(r.code).toBe(2);
    const { findings } = JSON.parse(r.out) as {
      findings: { kind: string; person: string; explanation: string }[];
    };
    expect(findings[0]).toMatchObject({ kind: 'leaver-sla-breach', person: 'ben.carter' });
    expect(findings[0]!.explanation).toContain('deadline 2026-12-11T21:15:00.000Z (15 min)');
  });

  it('is not a breach while the deadline is ahead', async () => {
    const dir = await exampleInSync('2026-12-11T20:30:00Z');
    const r = await jmlWithClock(
      skippingClock(Date.parse('2026-12-11T21:10:00Z')),
      dir,
      'drift',
      '--format',
      'json',
    );
    const { findings } = JSON.parse(r.out) as { findings: { kind: string }[] };
    expect(findings.some((f) => f.kind === 'leaver-sla-breach')).toBe(false);
    expect(findings.some((f) => f.kind === 'leaver-enabled')).toBe(true);
  });
});

describe('the mailbox license of a leaver (onLeave: retain)', () => {
  it('stays on the disabled account for the retention window, then goes with its reason', async () => {
    // Kevin O'Brien left on 2026-10-30 at 17:00 New York time; retention is 90 days. Here he
    // was a data analyst, a role with a Microsoft 365 E3 license (onLeave: retain).
    const dir = copyExample();
    const file = path.join(dir, 'people/kevin.obrien.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('role: engineer', 'role: data-analyst'));
    expect(
      (await jml(dir, 'apply', '--confirm', '--at', '2026-10-29T12:00:00Z', '--allow-mass-disable')).code,
    ).toBe(0);
    const kevin = (plan: {
      changes: { person: string | null; action: string; entitlement?: string; because: string[] }[];
    }) => plan.changes.filter((c) => c.person === 'kevin.obrien');
    const atLeaving = JSON.parse((await jml(dir, 'plan', '--at', '2026-11-25', '--format', 'json')).out);
    expect(kevin(atLeaving).filter((c) => c.action === 'disableUser').length).toBeGreaterThan(0);
    expect(kevin(atLeaving).some((c) => c.entitlement === 'm365-e3')).toBe(false);
    expect(kevin(atLeaving).some((c) => c.entitlement === 'power-bi-pro')).toBe(true);
    // Applied almost four weeks after he left (the clock reads that day; a replay with --at would
    // not be SLA evidence): done, and reported as an SLA breach (exit 3).
    const late = skippingClock(Date.parse('2026-11-25T05:00:00Z'));
    expect((await jmlWithClock(late, dir, 'apply', '--confirm', '--at', '2026-11-25')).code).toBe(3);

    const afterRetention = JSON.parse((await jml(dir, 'plan', '--at', '2027-01-29', '--format', 'json')).out);
    expect(kevin(afterRetention)).toEqual([
      expect.objectContaining({
        action: 'revoke',
        entitlement: 'm365-e3',
        because: [
          expect.stringMatching(
            /^retention of 90 days after 2026-10-30T21:00:00.000Z .* has passed; m365-e3 was kept until then \(onLeave: retain\)$/,
          ),
        ],
      }),
    ]);
  });
});
