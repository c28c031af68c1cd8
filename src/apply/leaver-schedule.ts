/**
 * Leavers on time: which leavers fall due in a run's window, a clock to wait for their instant,
 * and a per-person lock so that overlapping runs never apply the same person at once.
 *
 * The scheduled workflow starts every 15 minutes, but a leaver's access must end at the minute
 * of `employment.end`, not at the next tick. So each run takes the leavers due before the next
 * run (plus a margin, because GitHub starts scheduled runs late under load), prepares each one's
 * plan shortly before the instant, waits, and applies it on the second. Runs overlap by that
 * margin on purpose: the applies are idempotent and the lock below keeps them one at a time.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { instantMs } from '../model/time.js';
import { holdLock, type LockTiming } from '../providers/embedded/file-lock.js';
import type { RepoIndex } from '../resolve/repo-index.js';

/** Leavers whose access ends at one instant. */
export interface DueGroup {
  /** Epoch ms of the end instant; for a leaver already past, the run's start. */
  at: number;
  people: string[];
  highRisk: boolean;
}

/**
 * The leavers due in (now - lookback, now + window], grouped by instant, earliest first. A
 * leaver whose instant has already passed is due at once (its group is at `now`): nothing is
 * known here about whether an earlier run already did it, and a plan with no changes costs a
 * read, never a write.
 */
export function dueLeavers(index: RepoIndex, now: number, windowMs: number, lookbackMs: number): DueGroup[] {
  const groups = new Map<number, DueGroup>();
  for (const { value: person } of index.people.values()) {
    if (!person.employment.end) continue;
    const end = instantMs(person.employment.end);
    if (end <= now - lookbackMs || end > now + windowMs) continue;
    const at = Math.max(end, now);
    const g = groups.get(at) ?? { at, people: [], highRisk: false };
    g.people.push(person.id);
    g.highRisk ||= person.employment.highRisk;
    groups.set(at, g);
  }
  for (const g of groups.values()) g.people.sort();
  return [...groups.values()].sort((a, b) => a.at - b.at);
}

/** Time for a run that waits: real by default; tests and the benchmark skip the waiting. */
export interface RunClock {
  now(): number;
  /** Resolves at `ms` (at once when it has passed). */
  sleepUntil(ms: number): Promise<void>;
  /**
   * The wall clock, for a clock whose `now` is simulated (replayClock): a record written on
   * it is a replay (src/apply/replay.ts). Absent when `now` is the wall clock, as far as the run
   * can tell (the real clock, a test's frozen or fake one).
   */
  wall?(): number;
}

/** setTimeout takes at most 2^31-1 ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export const REAL_CLOCK: RunClock = {
  now: () => Date.now(),
  async sleepUntil(ms) {
    for (let left = ms - Date.now(); left > 0; left = ms - Date.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, MAX_TIMER_MS)));
    }
  },
};

/**
 * A clock that is `offset` ms ahead of the real one and jumps forward instead of sleeping: the
 * work between waits takes its real time, so lags measured on it are real lags. A run on it takes
 * it for the wall clock (tests: "the time is now X"); for a replay, see replayClock.
 */
export function skippingClock(start: number): RunClock {
  let offset = start - Date.now();
  return {
    now: () => Date.now() + offset,
    async sleepUntil(ms) {
      const left = ms - (Date.now() + offset);
      if (left > 0) offset += left;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/**
 * A skippingClock that knows it is not the wall clock: a run on it away from the real time is a
 * replay (src/apply/replay.ts), and its records say so. The demo's clock ("the clock reads T").
 */
export function replayClock(start: number): RunClock {
  return { ...skippingClock(start), wall: () => Date.now() };
}

export interface PersonLock {
  release(): Promise<void>;
  /** True when another run held the person first: what it planned may already be done. */
  waited: boolean;
  /**
   * Why this run may no longer write for the person (its lock was taken over, or went unrefreshed
   * past the point where another run may take it), or undefined while it may. Checked before
   * each apply phase; once lost, the person's remaining changes are skipped for the next run.
   */
  lost(): string | undefined;
}

/**
 * A person's lock may be taken over after 60 s without a refresh (a run killed while holding it
 * leaves it behind that long); the holder refreshes it every 10 s, and one that went 50 s without
 * is lost (see src/providers/embedded/file-lock.ts).
 */
export const PERSON_LOCK: LockTiming = { staleMs: 60_000, updateMs: 10_000 };

/**
 * Takes the lock for one person's apply (a lock file under `dir`), waiting for another run to
 * finish with them. Only runs on this machine share it; across CI runners the applies' own
 * idempotence is what keeps overlapping runs harmless. A lock lost while held never throws (see
 * src/providers/embedded/file-lock.ts): `lost()` says so.
 */
export async function lockPerson(
  dir: string,
  person: string,
  waitMs = 120_000,
  timing: LockTiming = PERSON_LOCK,
): Promise<PersonLock> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${person}.lock`);
  const lock = await holdLock(file, {
    timing,
    waitMs,
    busyMessage: `${person} is still locked by another jml run (${file}.lock): that run or the next applies them`,
  });
  return { release: () => lock.release(), waited: lock.waited, lost: () => lock.lost() };
}
