/**
 * engine: `jml leavers`, each leaver due before the next scheduled run applied at their exact
 * instant.
 *
 * For each instant in the window: read the providers `leadMs` before it and plan the leavers'
 * removals as of the instant; wait (on the context's clock); at the instant take each person's
 * lock and apply that plan without reading again (removals only, so nothing stale can be
 * written), then apply once more from a fresh read to catch anything granted meanwhile. The apply
 * records carry each leaver's timing (due, confirmed per provider, lag, SLA). Several runs may
 * overlap: the person lock makes the later one wait and then re-plan from a fresh read, which
 * finds nothing left to do.
 */
import path from 'node:path';
import { type ApplyOutcome, isRemoval, runApply } from '../apply/apply.js';
import type { GuardFlags } from '../apply/guards.js';
import {
  type DueGroup,
  dueLeavers,
  lockPerson,
  type PersonLock,
  type RunClock,
} from '../apply/leaver-schedule.js';
import { recordClock } from '../apply/replay.js';
import { restrictPlan } from '../plan/build-plan.js';
import type { LeaverTiming, Trigger } from '../records/schema.js';
import type { EngineContext } from './context.js';
import {
  type EngineOutcome,
  knownAtOf,
  type Prepared,
  type PrepareNotice,
  planFrom,
  readActual,
  recordsDir,
  withPrepared,
} from './prepare.js';

export interface LeaversRequest {
  /** The policy repository: a checkout. */
  root: string;
  /** Take leavers due up to this far ahead of now (the schedule interval plus a margin). */
  windowMs: number;
  /** Read the providers and plan this long before each instant. */
  leadMs: number;
  /** Also take leavers whose instant passed up to this long ago. */
  lookbackMs: number;
  /** The `--allow-*` switches of the safety guards. */
  flags: GuardFlags;
  /** Who and what started the run, for the apply records. */
  trigger: Trigger;
  /**
   * Told once the schedule is known, before the first wait, with what prepare noticed: a run may
   * wait for most of its window, and the CLI says at once for whom (and which holds are in force).
   */
  onSchedule?: (schedule: LeaverSchedule, prepared: Prepared, notices: readonly PrepareNotice[]) => void;
}

/** The run's window and the instants due in it. */
export interface LeaverSchedule {
  /** Now, when the run started (ms). */
  start: number;
  /** The end of the window (ms). */
  windowEnd: number;
  /** The leavers due, grouped by instant, earliest first. */
  groups: DueGroup[];
}

/** What became of one instant's leavers. */
export interface LeaverGroupResult {
  group: DueGroup;
  /** The applies at the instant: the trusted plan, then the check from a fresh read if it changed anything. */
  outcomes: ApplyOutcome[];
  /** Why nothing was applied for the group, when nothing was. */
  note?: string;
  /** The group could not be applied at all. */
  error?: string;
}

export type LeaversOutcome = EngineOutcome<
  LeaverSchedule & {
    results: LeaverGroupResult[];
    /** Every leaver's timing from the records written, in the order of the results. */
    timings: LeaverTiming[];
    /** Some instant could not be applied, or some apply did not go through in full. */
    failed: boolean;
  }
>;

/** Applies every leaver due in the window at their instant; each instant on its own. */
export function applyLeaversOnTime(ctx: EngineContext, req: LeaversRequest): Promise<LeaversOutcome> {
  const start = ctx.clock.now();
  return withPrepared(ctx, { root: req.root, at: start }, async (p, notices) => {
    const schedule: LeaverSchedule = {
      start,
      windowEnd: start + req.windowMs,
      groups: dueLeavers(p.index, start, req.windowMs, req.lookbackMs),
    };
    req.onSchedule?.(schedule, p, notices);
    const instant = { clock: ctx.clock, leadMs: req.leadMs, flags: req.flags, trigger: req.trigger };
    // Each instant on its own: one that fails (a lock never freed) does not lose the others.
    const results = await Promise.all(
      schedule.groups.map((g) =>
        applyAtInstant(p, g, instant).catch(
          (e: unknown): LeaverGroupResult => ({
            group: g,
            outcomes: [],
            error: `not applied: ${e instanceof Error ? e.message : String(e)}`,
          }),
        ),
      ),
    );
    const outcomes = results.flatMap((r) => r.outcomes);
    const failed =
      results.some((r) => r.error) ||
      outcomes.some((o) => !['applied', 'no-changes'].includes(o.record.result));
    return { ...schedule, results, timings: outcomes.flatMap((o) => o.record.leavers ?? []), failed };
  });
}

interface InstantOptions {
  clock: RunClock;
  leadMs: number;
  flags: GuardFlags;
  trigger: Trigger;
}

/** One instant: plan ahead, wait, apply on the second, then check again from a fresh read. */
async function applyAtInstant(p: Prepared, group: DueGroup, o: InstantOptions): Promise<LeaverGroupResult> {
  const people = new Set(group.people);
  await o.clock.sleepUntil(group.at - o.leadMs);
  const ahead = restrictPlan(planFrom(p, await readActual(p), group.at), people);
  if (ahead.changes.length === 0)
    return { group, outcomes: [], note: 'nothing left to remove: already done' };

  await o.clock.sleepUntil(group.at);
  // One at a time in a fixed order: two runs waking at the same instant never hold one person
  // each while waiting for the other's.
  const locks: PersonLock[] = [];
  try {
    for (const person of group.people)
      locks.push(await lockPerson(path.join(recordsDir(p.root, p.index), '..', 'locks'), person));
  } catch (e) {
    for (const l of locks) await l.release().catch(() => undefined);
    throw e;
  }
  try {
    const base = {
      providers: p.providers,
      policy: p.index.policy,
      flags: o.flags,
      readActual: () => readActual(p),
      recordDir: recordsDir(p.root, p.index),
      trigger: o.trigger,
      knownAt: knownAtOf(p, ahead),
      // A leaver whose lock was lost meanwhile is left to the next run, from the next phase on.
      lockLost: (c: { person: string | null }) =>
        c.person === null ? undefined : locks[group.people.indexOf(c.person)]?.lost(),
      // Taken at the instant, after the waits: on a simulated clock (the demo's) a replay whose
      // simulated time starts at the instant; on the real one, the wall clock.
      clock: recordClock(o.clock),
    };
    const fresh = (actual: Parameters<typeof planFrom>[1]) =>
      restrictPlan(planFrom(p, actual, o.clock.now()), people);
    // Another run held one of these people: its work may be done, so plan again from a read.
    const trusted = !locks.some((l) => l.waited) && ahead.changes.every(isRemoval);
    const first = await runApply({ ...base, plan: trusted ? ahead : fresh, trustRemovals: trusted });
    if (!trusted || first.record.result !== 'applied') return { group, outcomes: [first] };
    const after = await runApply({ ...base, plan: fresh });
    return { group, outcomes: after.record.result === 'no-changes' ? [first] : [first, after] };
  } finally {
    for (const l of locks) await l.release().catch(() => undefined);
  }
}
