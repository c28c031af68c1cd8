/**
 * Replays and simulated time (src/apply/replay.ts): a run that plans for a time away from the
 * wall clock (`jml apply --at T`, a simulated clock) keeps the wall clock in its record's own
 * times, marks the record `simulated`, and times its changes and leaver lags on the simulated
 * clock, so a leaver replayed at their instant gets the engine's real lag, never a negative one.
 * A run at now is not simulated. Every clock here is injected (EngineContext.clock); nothing
 * sleeps.
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunClock, replayClock, skippingClock } from '../../src/apply/leaver-schedule.js';
import { REPLAY_TOLERANCE_MS, recordClock } from '../../src/apply/replay.js';
import { applyRepository } from '../../src/engine/apply.js';
import type { EngineContext } from '../../src/engine/context.js';
import { applyLeaversOnTime } from '../../src/engine/leavers.js';
import { recordHold } from '../../src/engine/offboard.js';
import { planFrom, prepare, readActual } from '../../src/engine/prepare.js';
import { type ApplyRecord, applyRecord } from '../../src/records/schema.js';
import { readRecordFile } from '../../src/records/store.js';
import { cleanTempDirs, copyExample, jmlWithClock, tempDir } from './helpers.js';

afterAll(cleanTempDirs);

/** Emma Schultz leaves at 2026-12-18T17:00:00-05:00 (60-minute SLA). */
const EMMA_END = Date.parse('2026-12-18T22:00:00Z');
/** Ben Carter, a high-risk leaver, leaves at 2026-12-11T16:00:00-05:00 (15-minute SLA). */
const BEN_END = Date.parse('2026-12-11T21:00:00Z');
/** What the injected clock reads: the wall clock as far as a run on it can tell. */
const WALL = Date.parse('2026-12-01T12:00:00Z');

const FLAGS = { allowMassDisable: true, allowMassRemoval: true, allowDelete: false };
const TRIGGER = { actor: 'test', command: 'jml apply --confirm', ci: false };

/**
 * A test's clock with no `wall` of its own: it reads `start`, advances with the work's real
 * duration, and skips its waits. A run on it takes it for the wall clock.
 */
function testClock(start: number): RunClock {
  const t0 = Date.now();
  let skipped = 0;
  const now = () => start + (Date.now() - t0) + skipped;
  return {
    now,
    async sleepUntil(ms) {
      const left = ms - now();
      if (left > 0) skipped += left;
    },
  };
}

const ctxAt = (clock: RunClock): EngineContext => ({ clock, env: process.env });

/** The example organisation imported as of WALL (a run at now), copied for each test. */
let imported: string;
beforeAll(async () => {
  imported = copyExample('jml-replay-');
  const r = await applyRepository(ctxAt(testClock(WALL)), {
    root: imported,
    at: WALL,
    flags: FLAGS,
    trigger: TRIGGER,
  });
  if (!r.ok) throw new Error(`import refused: ${JSON.stringify(r.refusal)}`);
  expect(r.outcome.record.result).toBe('applied');
});

function fresh(): string {
  const dir = tempDir('jml-replay-');
  cpSync(imported, dir, { recursive: true });
  return dir;
}

async function applyAt(dir: string, clock: RunClock, at: number): Promise<ApplyRecord> {
  const r = await applyRepository(ctxAt(clock), { root: dir, at, flags: FLAGS, trigger: TRIGGER });
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusal)}`);
  // The record on disk is the one returned, and it parses as a record.
  const read = readRecordFile(r.outcome.recordFile);
  if ('problem' in read) throw new Error(read.problem);
  expect(read.record).toEqual(r.outcome.record);
  return r.outcome.record;
}

const ms = (iso: string) => Date.parse(iso);

describe('jml apply --at T: a replay', () => {
  it('replay at a future instant gives a leaver a non-negative lag measured on the simulated clock', async () => {
    const record = await applyAt(fresh(), testClock(WALL), EMMA_END);
    const emma = record.leavers?.find((t) => t.person === 'emma.schultz');
    expect(emma).toBeDefined();
    // Before, the lag was the wall clock minus her instant: about -17 days, and "within SLA".
    expect(emma!.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(emma!.lagSeconds).toBeLessThan(30);
    expect(emma).not.toHaveProperty('confirmedEarlySeconds');
    expect(emma!.withinSla).toBe(true);
    expect(ms(emma!.confirmedAt!)).toBeGreaterThanOrEqual(EMMA_END);
    // Every time compared with the plan's instants is on the simulated clock: each change's,
    // and each provider step's (which the providers stamp on the process's clock).
    const sim = record.simulated!;
    for (const c of record.changes) {
      expect(ms(c.startedAt)).toBeGreaterThanOrEqual(ms(sim.startedAt));
      expect(ms(c.finishedAt)).toBeLessThanOrEqual(ms(sim.finishedAt));
      for (const s of c.steps ?? []) {
        expect(ms(s.at)).toBeGreaterThanOrEqual(ms(c.startedAt));
        expect(ms(s.at)).toBeLessThanOrEqual(ms(c.finishedAt));
      }
    }
    expect(record.changes.some((c) => c.steps?.length)).toBe(true);
    for (const p of emma!.providers) {
      for (const t of [p.disabledAt, p.sessionsRevokedAt, p.accessRemovedAt].filter(Boolean))
        expect(ms(t!)).toBeGreaterThanOrEqual(EMMA_END);
    }
  });

  it('replay record keeps wall clock and simulated clock', async () => {
    const clock = testClock(WALL);
    const record = await applyAt(fresh(), clock, EMMA_END);
    const after = clock.now();
    // The record's own times: when it really ran, on the clock the run had for the wall clock.
    expect(ms(record.startedAt)).toBeGreaterThanOrEqual(WALL);
    expect(ms(record.finishedAt)).toBeLessThanOrEqual(after);
    expect(record.at).toBe(new Date(EMMA_END).toISOString());
    // The same moments on the simulated clock, which started at --at.
    const sim = record.simulated!;
    expect(sim).toBeDefined();
    expect(ms(sim.startedAt)).toBeGreaterThanOrEqual(EMMA_END);
    expect(ms(sim.startedAt) - EMMA_END).toBeLessThan(REPLAY_TOLERANCE_MS);
    expect(ms(sim.startedAt) - ms(record.startedAt)).toBe(sim.offsetMs);
    expect(ms(sim.finishedAt) - ms(record.finishedAt)).toBe(sim.offsetMs);
    expect(Math.round(sim.offsetMs / 60_000)).toBe(Math.round((EMMA_END - WALL) / 60_000));
    expect(applyRecord.safeParse(record).success).toBe(true);
  });

  it('a run at now is not simulated', async () => {
    const dir = fresh();
    const clock = testClock(EMMA_END);
    const record = await applyAt(dir, clock, EMMA_END);
    expect(record).not.toHaveProperty('simulated');
    expect(ms(record.startedAt)).toBeGreaterThanOrEqual(EMMA_END);
    const emma = record.leavers!.find((t) => t.person === 'emma.schultz')!;
    expect(emma.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(emma.lagSeconds).toBeLessThan(30);
  });

  it('a plan given for a later instant is applied now, not replayed: access cut early is lag 0, never negative', async () => {
    const dir = fresh();
    // The plan made for Emma's instant, applied seventeen days before it (jml apply --plan).
    const p = await prepare(ctxAt(testClock(WALL)), { root: dir, at: EMMA_END });
    if (!p.ok) throw new Error('refused');
    const plan = planFrom(p.prepared, await readActual(p.prepared));
    const r = await applyRepository(ctxAt(testClock(WALL)), {
      root: dir,
      at: EMMA_END,
      plan,
      flags: FLAGS,
      trigger: TRIGGER,
    });
    if (!r.ok) throw new Error('refused');
    const { record } = r.outcome;
    expect(record).not.toHaveProperty('simulated');
    const emma = record.leavers!.find((t) => t.person === 'emma.schultz')!;
    expect(emma.lagSeconds).toBe(0);
    expect(emma.withinSla).toBe(true);
    // It says how early: the seventeen days between the wall clock and her instant.
    expect(emma.confirmedEarlySeconds! / 86_400).toBeCloseTo((EMMA_END - WALL) / 86_400_000, 2);
  });
});

describe('jml apply --at T: the exit code', () => {
  const late = EMMA_END + 2 * 3_600_000;
  it("a replay's SLA verdict is in its record and on screen, but never sets exit 3", async () => {
    const r = await jmlWithClock(
      testClock(WALL),
      fresh(),
      'apply',
      '--confirm',
      '--at',
      new Date(late).toISOString(),
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Replay at ${new Date(late).toISOString().slice(0, 16)}`);
    expect(r.out).toContain('SLA BREACHED');
    expect(r.err).not.toContain('SLA BREACH');
  });

  it('the same run at now is a real breach: exit 3', async () => {
    const r = await jmlWithClock(
      testClock(late),
      fresh(),
      'apply',
      '--confirm',
      '--at',
      new Date(late).toISOString(),
    );
    expect(r.code).toBe(3);
    expect(r.out).not.toContain('Replay at');
    expect(r.err).toContain("SLA BREACH: emma.schultz's access was confirmed removed");
  });
});

describe('recordClock: when a run is a replay', () => {
  const cases: [string, () => RunClock, number | undefined, boolean][] = [
    ['--at equal to the clock is a run at now', () => testClock(WALL), WALL, false],
    ['no --at is a run at now', () => testClock(WALL), undefined, false],
    [
      '--at within the tolerance is a run at now',
      () => testClock(WALL),
      WALL - REPLAY_TOLERANCE_MS + 1000,
      false,
    ],
    ['--at a day back is a replay', () => testClock(WALL), WALL - 86_400_000, true],
    ['--at two minutes ahead is a replay', () => testClock(WALL), WALL + 120_000, true],
    ['a replay clock a week away is a replay', () => replayClock(WALL), undefined, true],
    [
      'a skipping clock takes itself for the wall clock: no replay',
      () => skippingClock(WALL),
      undefined,
      false,
    ],
    [
      'a replay clock that reads the real time is not a replay',
      () => replayClock(Date.now()),
      undefined,
      false,
    ],
  ];
  it.each(cases)('%s', (_, clockOf, at, replay) => {
    const rc = recordClock(clockOf(), at);
    expect(rc.offsetMs !== null).toBe(replay);
    // The run's clock is the wall clock, or the wall clock plus the replay's constant offset.
    const wall = rc.wall();
    const now = rc.now();
    expect(Math.abs(now - wall - (rc.offsetMs ?? 0))).toBeLessThan(5);
  });
});

describe('jml leavers on a simulated clock', () => {
  it('writes a replay at the instant: wall clock kept, lag on the simulated clock, non-negative', async () => {
    const dir = fresh();
    // The demo's way: a clock that reads ten minutes before Ben's instant and skips the wait.
    const clock = replayClock(BEN_END - 10 * 60_000);
    const before = Date.now();
    const r = await applyLeaversOnTime(ctxAt(clock), {
      root: dir,
      windowMs: 20 * 60_000,
      leadMs: 2 * 60_000,
      lookbackMs: 0,
      flags: FLAGS,
      trigger: { ...TRIGGER, command: 'jml leavers --confirm' },
    });
    if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusal)}`);
    const [first] = r.results[0]!.outcomes;
    const { record } = first!;
    expect(record.result).toBe('applied');
    expect(ms(record.startedAt)).toBeGreaterThanOrEqual(before);
    expect(ms(record.finishedAt)).toBeLessThanOrEqual(Date.now());
    const sim = record.simulated!;
    expect(ms(sim.startedAt)).toBeGreaterThanOrEqual(BEN_END);
    expect(ms(sim.startedAt) - BEN_END).toBeLessThan(REPLAY_TOLERANCE_MS);
    const ben = r.timings.find((t) => t.person === 'ben.carter')!;
    expect(ben.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(ben.lagSeconds).toBeLessThan(30);
    expect(ben.withinSla).toBe(true);
    expect(path.basename(first!.recordFile)).toMatch(
      new RegExp(`^${record.startedAt.replace(/[:.]/g, '-')}`),
    );
  });

  it('on a clock that is the wall clock as far as it can tell, is not simulated', async () => {
    const dir = fresh();
    const r = await applyLeaversOnTime(ctxAt(testClock(BEN_END - 10 * 60_000)), {
      root: dir,
      windowMs: 20 * 60_000,
      leadMs: 2 * 60_000,
      lookbackMs: 0,
      flags: FLAGS,
      trigger: { ...TRIGGER, command: 'jml leavers --confirm' },
    });
    if (!r.ok) throw new Error('refused');
    const { record } = r.results[0]!.outcomes[0]!;
    expect(record).not.toHaveProperty('simulated');
    expect(ms(record.startedAt)).toBeGreaterThanOrEqual(BEN_END);
    expect(r.timings.find((t) => t.person === 'ben.carter')!.lagSeconds).toBeLessThan(30);
  });
});

describe('a record without changes (an offboarding hold)', () => {
  it('recorded on a simulated clock is a replay too: wall clock kept, its instant simulated', async () => {
    const dir = fresh();
    const clock = replayClock(EMMA_END);
    const p = await prepare(ctxAt(clock), { root: dir, at: clock.now(), connect: false });
    if (!p.ok) throw new Error('refused');
    const before = Date.now();
    const entry = {
      person: 'emma.schultz',
      at: new Date(EMMA_END).toISOString(),
      reason: 'SEC-1',
      requestedBy: 'sec',
      operator: 'sec',
      intent: true as const,
    };
    const file = recordHold(p.prepared, entry, TRIGGER, clock);
    const read = readRecordFile(file);
    if ('problem' in read) throw new Error(read.problem);
    const { record } = read;
    expect(ms(record.startedAt)).toBeGreaterThanOrEqual(before);
    expect(ms(record.startedAt)).toBeLessThanOrEqual(Date.now());
    expect(record.simulated).toBeDefined();
    expect(ms(record.at!)).toBeGreaterThanOrEqual(EMMA_END);
    expect(ms(record.at!) - EMMA_END).toBeLessThan(REPLAY_TOLERANCE_MS);
  });
});
