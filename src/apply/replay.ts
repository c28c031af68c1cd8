/**
 * Replays and simulated time: the one place a run's record gets its clocks.
 *
 * A run is a replay when the time it plans for is not the time it runs at: `jml apply --at T`
 * (or `jml review apply|due --at T`) with T away from now, or a run on a simulated clock (the
 * demo's, whose `now` reads another day than the wall clock: `replayClock`). Its record must
 * not pretend either way. It keeps the wall clock where the record says when it really ran
 * (`startedAt`, `finishedAt`, and so the record's file name and its order among records), and
 * measures everything that is compared with the plan's instants (each change's times, each
 * leaver step, each leaver's confirmation, lag, deadline and verdict) on the simulated clock:
 * the wall clock plus a constant offset that puts the run's start at T. A replay of a leaver at
 * their instant then shows the engine's real lag (a second or so), never the weeks between T and
 * the day the replay ran; and the record says it is a replay (`simulated`), so the evidence pack
 * never counts it as SLA evidence.
 *
 * Every use case that writes a record takes its clock from `recordClock` (through runApply, or
 * `recordTimes` for a record without changes); nothing else computes an offset.
 */
import { toIso } from '../model/time.js';
import type { StepOutcome } from '../providers/types.js';
import type { ApplyRecord } from '../records/schema.js';
import { REAL_CLOCK, type RunClock } from './leaver-schedule.js';

/**
 * How far the time a run plans for may be from the wall clock and still be "now": a minute. A
 * run without `--at` plans at the instant the command started, seconds before its record starts
 * (loading, validating and connecting the providers come first), and an `--at` given to the
 * minute by a person or a script is meant as now. A minute is below every leaver SLA (the
 * tightest policy value is minutes) and far below any real replay (days or weeks away), so
 * nothing a minute decides can turn a replay into SLA evidence or the reverse.
 */
export const REPLAY_TOLERANCE_MS = 60_000;

/** The clocks a run's record is written with (see the file's comment). */
export interface RecordClock {
  /** Wall-clock epoch ms: when the run really does something. */
  wall(): number;
  /**
   * The run's clock (epoch ms), the one the plan's instants are compared with: the wall clock,
   * or on a replay the simulated clock, `wall() + offsetMs`.
   */
  now(): number;
  /** On a replay: simulated minus wall clock, ms, constant for the run. Null for a run at now. */
  offsetMs: number | null;
}

/**
 * The record clock of a run on `clock` that plans for `at` (its `--at`; omit it when the run
 * plans for the clock's own now, or applies a plan made earlier, which is applied now). A replay
 * when `at`, or the clock's now, is more than REPLAY_TOLERANCE_MS from the wall clock (the
 * clock's `wall`, or its `now` for a clock that is the wall clock: the real one, a test's).
 */
export function recordClock(clock: RunClock = REAL_CLOCK, at?: number): RecordClock {
  const wall = clock.wall ? () => clock.wall!() : () => clock.now();
  const offset = Math.round((at ?? clock.now()) - wall());
  if (Math.abs(offset) <= REPLAY_TOLERANCE_MS) return { wall, now: wall, offsetMs: null };
  return { wall, now: () => wall() + offset, offsetMs: offset };
}

/**
 * The record's own times for a run that began and ended at these wall-clock instants (ms): the
 * wall clock in `startedAt` and `finishedAt`, and on a replay the same moments on the simulated
 * clock in `simulated`.
 */
export function recordTimes(
  rc: RecordClock,
  began: number,
  ended: number,
): Pick<ApplyRecord, 'startedAt' | 'finishedAt' | 'simulated'> {
  return {
    startedAt: toIso(began),
    finishedAt: toIso(ended),
    ...(rc.offsetMs === null
      ? {}
      : {
          simulated: {
            startedAt: toIso(began + rc.offsetMs),
            finishedAt: toIso(ended + rc.offsetMs),
            offsetMs: rc.offsetMs,
          },
        }),
  };
}

/**
 * A provider's step times on the run's clock. Providers stamp their steps with the process's
 * clock (`Date`), the wall clock in production; a replay's changes are on the simulated clock, so
 * each step moves by the difference between the two, read now (a test's injected clock may be
 * days from the process's, on top of the replay's offset). A run at now keeps them as they are.
 */
export function stepsOnRunClock(rc: RecordClock, steps: readonly StepOutcome[]): StepOutcome[] {
  if (rc.offsetMs === null) return [...steps];
  const shift = rc.now() - Date.now();
  return steps.map((s) => {
    const ms = Date.parse(s.at);
    // A time that does not parse is kept as the provider gave it (leaver-timing ignores it).
    return Number.isNaN(ms) ? { ...s } : { ...s, at: toIso(ms + shift) };
  });
}
