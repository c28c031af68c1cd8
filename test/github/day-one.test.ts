/**
 * Day one with frozen time: after a real apply of the engine's fixture organisation, ONE issue
 * for the joiner's manager listing what was granted per provider; the manager confirms, IT
 * reviews, both times recorded; comments by anyone else do not count; a joiner unconfirmed past
 * sla.dayOneHours is reported (exit 2, for the drift issue); a /wrong flag is listed for IT; the
 * evidence pack's day-one section shows the times.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { DayOneStatus } from '../../src/report/day-one.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { dayOneIssue, fixtureWithGitHubLogins } from './helpers.js';

const AT = '2027-02-02T14:00:00Z';
/** An instant as the pack writes it: UTC, whole seconds. */
const utc = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');
let h: GitHubHarness;

githubForEachTest((x) => {
  h = x;
});
afterAll(cleanTempDirs);

/** The fixture applied at AT, with GitHub logins for the manager (hana.hr) and IT (sam.sec). */
async function appliedJoiner() {
  const dir = fixtureWithGitHubLogins(h);
  // Applied at AT with the clock at AT (Date only): a run at its own time, not a replay, whose
  // joiner the evidence pack judges. The fixture's leaver ended the day before: exit 3, late.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(AT));
  const applied = await jml(dir, 'apply', '--confirm', '--at', AT).finally(() => vi.useRealTimers());
  expect([0, 3], applied.err).toContain(applied.code);
  const opened = await jml(dir, 'github', 'day-one');
  expect(opened.code, opened.err).toBe(0);
  return { dir, ...dayOneIssue(h) };
}

describe('jml github day-one', () => {
  it('opens one issue for the manager listing what was granted, and records the confirmation and review', async () => {
    const { dir, issue, granted, say, at } = await appliedJoiner();
    expect(issue.title).toBe('Day one: confirm the access of Jo Joiner (jo.joiner)');
    expect(issue.assignees).toEqual(['hana-h']);
    expect(issue.labels).toEqual(expect.arrayContaining(['jml', 'day-one']));
    expect(issue.body).toContain('Jo Joiner (jo.joiner) starts on 2027-02-01');
    expect(issue.body).toMatch(/\*\*local\*\*\n- account jo\.joiner@example\.com/);
    expect(issue.body).toContain('`/confirm`');
    expect(issue.body).toContain('`/wrong <entitlement> <why>`');
    expect(issue.body).toContain('@sam-s');
    // Once per joiner: a second run opens nothing.
    const again = await jml(dir, 'github', 'day-one');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/^already there: /);
    expect(h.fake.issuesOf(OWNER, REPO).filter((i) => i.labels.includes('day-one'))).toHaveLength(1);

    // Others' commands do not count: a stranger's /confirm, IT's /confirm, the manager's /reviewed.
    say('mallory', '/confirm', 0.5);
    say('sam-s', '/confirm', 0.6);
    say('hana-h', '/reviewed', 0.7);
    const early = await jml(dir, 'github', 'day-one-status', '--at', at(1));
    expect(early.code, early.out + early.err).toBe(0);
    say('hana-h', '/confirm looks right', 2);
    say('sam-s', '/reviewed', 3);
    const file = path.join(tempDir('jml-day-one-'), 'status.json');
    const done = await jml(dir, 'github', 'day-one-status', '--at', at(30), '--out', file);
    expect(done.code, done.out + done.err).toBe(0);
    const { statuses } = JSON.parse(readFileSync(file, 'utf8')) as { statuses: DayOneStatus[] };
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({
      person: 'jo.joiner',
      manager: 'hana.hr',
      managerLogin: 'hana-h',
      issue: issue.number,
      grantedAt: new Date(granted).toISOString(),
      dueAt: at(24),
      confirmedAt: at(2),
      reviewedAt: at(3),
      withinSla: true,
      overdue: false,
      flags: [],
    });
    expect(statuses[0]!.ignored).toHaveLength(3);

    // The evidence pack's day-one section carries both times.
    const out = path.join(tempDir('jml-day-one-pack-'), 'pack');
    const pack = await jml(dir, 'evidence', '--out', out, '--at', at(30));
    expect([0, 2]).toContain(pack.code);
    const rows = parse(readFileSync(path.join(out, 'day-one.csv'), 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows).toEqual([
      expect.objectContaining({
        Joiner: 'jo.joiner',
        Manager: 'hana.hr',
        Issue: `#${issue.number}`,
        'Confirmed at': utc(at(2)),
        'Reviewed at': utc(at(3)),
        'Within SLA': 'yes',
      }),
    ]);
  });

  it('reports a joiner unconfirmed past 24 h, whoever else commented, and lists a /wrong flag for IT', async () => {
    const { dir, say, at, issue } = await appliedJoiner();
    say('mallory', '/confirm', 1);
    say('sam-s', '/reviewed', 2);
    const within = await jml(dir, 'github', 'day-one-status', '--at', at(23));
    expect(within.code, within.out + within.err).toBe(0);
    const late = await jml(dir, 'github', 'day-one-status', '--at', at(25));
    expect(late.code, late.out + late.err).toBe(2);
    expect(late.out).toContain(
      `- [day-one-overdue] Jo Joiner (jo.joiner), due ${at(24)}: no /confirm from @hana-h (#${issue.number})`,
    );
    expect(late.out).not.toContain('no /reviewed');

    // A late answer with a flag: still outside the SLA (evidence), and the flag is listed for IT.
    say('hana-h', '/wrong netsuite-user not needed in finance', 26);
    const flagged = await jml(dir, 'github', 'day-one-status', '--at', at(27));
    expect(flagged.code).toBe(2);
    expect(flagged.out).not.toContain('[day-one-overdue]');
    expect(flagged.out).toContain(
      '- [day-one-wrong] jo.joiner: netsuite-user: not needed in finance (@hana-h',
    );
    const out = path.join(tempDir('jml-day-one-pack-'), 'pack');
    const pack = await jml(dir, 'evidence', '--out', out, '--at', at(27));
    expect(pack.code).toBe(2);
    expect(pack.out).toContain(
      `FINDING day-one: jo.joiner's day-one access was not confirmed by the manager within 24 h (due ${utc(at(24))}, #${issue.number}): granted ${utc(at(0))}, confirmed ${utc(at(26))}, reviewed ${utc(at(2))} (record `,
    );
    expect(pack.out).toContain('FINDING day-one: jo.joiner: the manager flagged netsuite-user as wrong');
  });
});
