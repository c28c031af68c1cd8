/**
 * A leaver's person lock lost mid-run (issue 16): the run that held it was starved of CPU, so its
 * refresh missed the stale time, and another run may have taken it over. The starved run never
 * dies of it: before each apply phase it asks whether it may still write for the person, skips
 * the person's remaining changes with the reason, applies everyone else's, and exits 1 like any
 * partial apply; the next run finishes the leaver. The starving is real (a child process blocks
 * its own event loop until the lock's own state says so: test/providers/lock-child.ts).
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockPerson } from '../../src/apply/leaver-schedule.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import { LEAVER, SHORT_LOCK, spawnStarved } from '../providers/lock-child.js';
import { cleanTempDirs, copyFixture, jml, planJson, readDirectory, readRecords } from './helpers.js';

const AT = '2027-02-02T14:00:00Z';

afterAll(cleanTempDirs);

/** The leaver's first phase went through; every later change of theirs was skipped for `reason`. */
function expectLeaverStoppedAfterFirstPhase(record: ApplyRecord, reason: RegExp): void {
  expect(record.result).toBe('partial');
  const leaver = record.changes.filter((c) => c.person === LEAVER);
  const disables = leaver.filter((c) => c.action === 'disableUser');
  expect(disables.map((c) => c.status)).toEqual(['applied', 'applied']);
  const later = leaver.filter((c) => c.action !== 'disableUser');
  expect(later.map((c) => c.action).sort()).toEqual([
    'openTicket',
    'revoke',
    'revoke',
    'revoke',
    'revokeSessions',
    'revokeSessions',
  ]);
  for (const c of later) {
    expect(c.status, `${c.provider} ${c.action}`).toBe('skipped');
    expect(c.detail).toMatch(reason);
    expect(c.detail).toMatch(/The next run applies this change/);
  }
  // Everyone else's changes went ahead.
  const others = record.changes.filter((c) => c.person !== LEAVER);
  expect(others.length).toBeGreaterThan(5);
  expect(others.every((c) => c.status === 'applied')).toBe(true);
}

async function expectNextRunFinishes(dir: string): Promise<void> {
  const before = readRecords(dir).length;
  await jml(dir, 'apply', '--confirm', '--at', AT);
  const next = readRecords(dir)
    .slice(before)
    .map((r) => r.record as unknown as ApplyRecord);
  expect(next.map((r) => r.result)).toEqual(['applied']);
  expect(
    next[0]!.changes
      .filter((c) => c.person === LEAVER)
      .map((c) => c.action)
      .sort(),
  ).toEqual(['openTicket', 'revoke', 'revoke', 'revoke', 'revokeSessions', 'revokeSessions']);
  expect((await planJson(dir, '--at', AT)).changes).toEqual([]);
  expect(readDirectory(dir, 'local').users[`${LEAVER}@example.com`]).toMatchObject({
    enabled: false,
    sessions: [],
  });
}

describe('a leaver whose person lock was lost mid-run', () => {
  it('another run takes over the person lock of a run starved of CPU: the starved run skips the rest of that leaver, applies everyone else, exits 1, and the next run finishes the leaver', async () => {
    const dir = copyFixture('org');
    const run = spawnStarved(dir, AT, 'person', 'taken-over');
    await run.blocking;
    // This process is the other run: it waits for the person and takes the stale lock over.
    const taker = await lockPerson(path.join(dir, '.jml', 'locks'), LEAVER, 600_000, SHORT_LOCK);
    const code = await run.exit;
    expect(run.stderr()).toBe('');
    expect(code, run.stdout()).toBe(1);
    expect(taker.waited).toBe(true);
    expect(taker.lost()).toBeUndefined();
    expectLeaverStoppedAfterFirstPhase(run.record()!, /not written: .*(took over|taken over)/);
    await taker.release();
    await expectNextRunFinishes(dir);
  });

  it('a run starved of CPU past the person lock’s stale time skips the rest of that leaver and says why', async () => {
    const dir = copyFixture('org');
    const run = spawnStarved(dir, AT, 'person', 'starve');
    const code = await run.exit;
    expect(run.stderr()).toBe('');
    expect(code, run.stdout()).toBe(1);
    expectLeaverStoppedAfterFirstPhase(
      run.record()!,
      /not written: its lock .* went [\d.]+ s without a refresh/,
    );
    await expectNextRunFinishes(dir);
  });
});
