/**
 * apply: a Plan -> per-change results and an apply record.
 *
 * Rules: refuse a stale plan (the actual state no longer hashes to the plan's fingerprint);
 * run the guards on the whole plan before the first write; hold every provider's lock for the
 * whole run; run disables and session revocations first, then revokes, then creates and grants;
 * keep going across independent changes (a grant waits only for its own account); write the
 * record in a `finally`, whatever happened. The record's own times are on the wall clock, its
 * changes and leaver timings on the run's clock, which a replay simulates (src/apply/replay.ts).
 */
import type { Policy } from '../model/schema.js';
import type { ActualState } from '../model/state.js';
import { toIso } from '../model/time.js';
import { describeStateChange, fingerprintActual, summariseProviders } from '../plan/build-plan.js';
import { ACTIONS, type Action, type Change, type Plan } from '../plan/plan-types.js';
import type { ChangeOutcome, Provider } from '../providers/types.js';
import {
  type ApplyRecord,
  type ChangeResult,
  type OffboardEntry,
  RECORD_SCHEMA,
  type Trigger,
} from '../records/schema.js';
import { writeRecord } from '../records/store.js';
import { checkGuards, type GuardFlags } from './guards.js';
import { leaverTimings } from './leaver-timing.js';
import { type RecordClock, recordClock, recordTimes, stepsOnRunClock } from './replay.js';

export interface ApplyContext {
  providers: readonly Provider[];
  policy: Policy;
  flags: GuardFlags;
  /** Reads the actual state of every provider (under the locks this module takes). */
  readActual: () => Promise<ActualState[]>;
  /** The plan to apply: given (`--plan`) or computed from the state just read. */
  plan: Plan | ((actual: ActualState[]) => Plan);
  /**
   * Apply the given plan without reading the providers again first: only for a plan of removals
   * made moments ago (a leaver's, prepared before their instant so that the writes start on the
   * second). Removals are idempotent, so a state that moved meanwhile costs an `unchanged`, never
   * a wrong write; anything granted in between is caught by the pass that follows.
   */
  trustRemovals?: boolean;
  /** For leavers whose termination reached the repository after its instant: when it did. */
  knownAt?: ReadonlyMap<string, string>;
  /**
   * Why this run may no longer write for a change's scope (a leaver's lock was lost: taken over,
   * or unrefreshed past its limit), or undefined. Asked before each phase's writes; a change it
   * names is skipped with the reason, for the next run to apply.
   */
  lockLost?: (change: Change) => string | undefined;
  recordDir: string;
  trigger: Trigger;
  /** Extra fields for the record (an emergency offboarding's entry). */
  offboard?: OffboardEntry;
  /**
   * The record's clocks (src/apply/replay.ts `recordClock`): the wall clock for the record's own
   * times, the run's clock (simulated on a replay) for every change, step and leaver timing.
   * Default: the real clock, a run at now.
   */
  clock?: RecordClock;
}

const REMOVALS = new Set<Action>(['disableUser', 'revokeSessions', 'revoke']);

/** True for a change that only takes access away (a ticket to remove access counts). */
export function isRemoval(c: Change): boolean {
  return REMOVALS.has(c.action) || (c.action === 'openTicket' && c.operation === 'revoke');
}

export interface ApplyOutcome {
  record: ApplyRecord;
  recordFile: string;
  plan?: Plan;
}

const PHASE = new Map<Action, number>(ACTIONS.map((a, i) => [a, i]));

/** Within a phase: high-risk leavers, then other leavers, then everyone else. */
function urgency(c: Change): number {
  if (c.event.kind !== 'leaver') return 2;
  return c.event.highRisk ? 0 : 1;
}

/** A ticket to remove access is a removal: it goes out with the revokes, before any grant. */
function phaseOf(c: Change): number {
  return PHASE.get(c.action === 'openTicket' && c.operation === 'revoke' ? 'revoke' : c.action)!;
}

/**
 * The order apply runs changes in: by action phase, high-risk leavers then leavers first within
 * a phase, then plan order.
 */
export function applyOrder(changes: readonly Change[]): Change[] {
  return changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => phaseOf(a.c) - phaseOf(b.c) || urgency(a.c) - urgency(b.c) || a.i - b.i)
    .map((x) => x.c);
}

export async function runApply(ctx: ApplyContext): Promise<ApplyOutcome> {
  const clock = ctx.clock ?? recordClock();
  const now = () => new Date(clock.now());
  const began = clock.wall();
  const record: ApplyRecord = {
    schema: RECORD_SCHEMA,
    startedAt: toIso(began),
    finishedAt: '',
    trigger: ctx.trigger,
    commit: typeof ctx.plan === 'function' ? null : ctx.plan.commit,
    at: null,
    planFingerprint: null,
    result: 'error',
    guards: [],
    counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
    changes: [],
    ...(ctx.offboard ? { offboard: ctx.offboard } : {}),
  };
  const releases: (() => Promise<void>)[] = [];
  const outcome: ApplyOutcome = { record, recordFile: '' };
  try {
    for (const p of ctx.providers) if (p.lock) releases.push(await p.lock());

    // --- current state, and the plan it supports -------------------------------------------
    if (ctx.trustRemovals && (typeof ctx.plan === 'function' || !ctx.plan.changes.every(isRemoval))) {
      throw new Error('only a given plan of removals may be applied without reading the providers first');
    }
    const actual = ctx.trustRemovals ? undefined : await ctx.readActual();
    const plan = typeof ctx.plan === 'function' ? ctx.plan(actual!) : ctx.plan;
    outcome.plan = plan;
    record.commit = plan.commit;
    record.at = plan.at;
    record.planFingerprint = plan.fingerprint;
    if (actual && fingerprintActual(actual) !== plan.fingerprint) {
      record.result = 'stale';
      const what = describeStateChange(plan.providers, summariseProviders(actual));
      record.error = `The providers changed since this plan was made (${what.length ? what.join('; ') : 'the same counts, other contents: an account or membership was replaced'}). Make a new plan and review it again.`;
      return outcome;
    }

    // --- guards on the whole plan, before the first write ------------------------------------
    record.guards = checkGuards(plan, ctx.policy, ctx.flags);
    if (record.guards.length > 0) {
      record.result = 'refused';
      return outcome;
    }
    if (plan.changes.length === 0) {
      record.result = 'no-changes';
      return outcome;
    }

    // --- changes, isolated from one another ----------------------------------------------------
    // Phase by phase (disables first, grants after creates); within a phase the changes are
    // independent, so each provider takes its share at once (`applyMany`: concurrency, $batch)
    // and the providers run side by side. The record lists changes in apply order.
    const byName = new Map(ctx.providers.map((p) => [p.name, p]));
    const failedAccounts = new Set<string>();
    for (const phase of phases(applyOrder(plan.changes))) {
      const results: Promise<ChangeResult>[] = new Array(phase.length);
      const perProvider = new Map<string, number[]>();
      phase.forEach((change, i) => {
        const list = perProvider.get(change.provider) ?? [];
        list.push(i);
        perProvider.set(change.provider, list);
      });
      for (const [name, indexes] of perProvider) {
        const provider = byName.get(name as Provider['name']);
        const startedAt = now().toISOString();
        const runnable: number[] = [];
        for (const i of indexes) {
          const change = phase[i]!;
          const base = resultBase(change, startedAt);
          if (!provider) {
            results[i] = Promise.resolve({
              ...base,
              finishedAt: startedAt,
              status: 'failed',
              error: `provider ${change.provider} is not configured`,
            });
          } else if (
            failedAccounts.has(`${change.provider}/${change.login}`) &&
            (change.action === 'grant' || change.action === 'enableUser')
          ) {
            results[i] = Promise.resolve({
              ...base,
              finishedAt: startedAt,
              status: 'skipped',
              detail: 'the account could not be created or enabled',
            });
          } else if (ctx.lockLost?.(change)) {
            results[i] = Promise.resolve({
              ...base,
              finishedAt: startedAt,
              status: 'skipped',
              detail: `not written: ${ctx.lockLost(change)}. The next run applies this change`,
            });
          } else runnable.push(i);
        }
        if (!provider || runnable.length === 0) continue;
        const mine = runnable.map((i) => phase[i]!);
        let outcomes: Promise<ChangeOutcome>[];
        try {
          outcomes = provider.applyMany ? provider.applyMany(mine) : sequentially(provider, mine);
        } catch (e) {
          // A provider that throws instead of failing its changes fails them all, on the record;
          // the other providers' writes of this phase still finish before the locks are released.
          outcomes = mine.map(() => Promise.reject(e));
        }
        runnable.forEach((i, k) => {
          results[i] = settle(outcomes[k]!, resultBase(phase[i]!, startedAt), clock);
        });
      }
      for (const result of await Promise.all(results)) {
        if (
          result.status === 'failed' &&
          (result.action === 'createUser' || result.action === 'enableUser')
        ) {
          failedAccounts.add(`${result.provider}/${result.login}`);
        }
        record.changes.push(result);
        record.counts[result.status]++;
      }
    }
    record.result = record.counts.failed + record.counts.skipped > 0 ? 'partial' : 'applied';
    return outcome;
  } catch (e) {
    record.result = 'error';
    record.error = errorText(e);
    return outcome;
  } finally {
    for (const release of releases.reverse()) await release().catch(() => undefined);
    const { finishedAt, simulated } = recordTimes(clock, began, clock.wall());
    record.finishedAt = finishedAt;
    // On the run's clock, like the changes: a replay's leavers are judged on the simulated one.
    const leavers = leaverTimings(record.changes, ctx.policy, clock.now(), ctx.knownAt);
    if (leavers.length > 0) record.leavers = leavers;
    if (simulated) record.simulated = simulated;
    // The record is evidence: written whatever happened above.
    outcome.recordFile = writeRecord(ctx.recordDir, record);
  }
}

/** Runs of consecutive changes in the same apply phase. */
function phases(ordered: readonly Change[]): Change[][] {
  const out: Change[][] = [];
  let last = -1;
  for (const c of ordered) {
    const p = phaseOf(c);
    if (p !== last) out.push([]);
    out[out.length - 1]!.push(c);
    last = p;
  }
  return out;
}

/**
 * One change at a time, for providers without `applyMany`. Timers get a turn between changes:
 * the embedded directories' locks are refreshed by one, and a long run of synchronous writes
 * would otherwise let them go stale under us.
 */
function sequentially(provider: Provider, changes: readonly Change[]): Promise<ChangeOutcome>[] {
  const out: Promise<ChangeOutcome>[] = [];
  let previous: Promise<unknown> = Promise.resolve();
  for (const change of changes) {
    const next = previous
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => provider.apply(change));
    out.push(next);
    previous = next.catch(() => undefined);
  }
  return out;
}

type ResultBase = Omit<ChangeResult, 'finishedAt' | 'status' | 'detail' | 'error' | 'steps'>;

function resultBase(change: Change, startedAt: string): ResultBase {
  return {
    id: change.id,
    action: change.action,
    provider: change.provider,
    person: change.person,
    login: change.login,
    ...(change.entitlement ? { entitlement: change.entitlement } : {}),
    ...(change.operation ? { operation: change.operation } : {}),
    event: change.event,
    startedAt,
  };
}

/**
 * A provider's outcome as a record entry, on the run's clock; a thrown error is a failed change,
 * never a crash.
 */
async function settle(
  outcome: Promise<ChangeOutcome>,
  base: ResultBase,
  clock: RecordClock,
): Promise<ChangeResult> {
  const now = () => new Date(clock.now());
  try {
    const o = await outcome;
    const steps = o.steps?.length ? { steps: stepsOnRunClock(clock, o.steps) } : {};
    return o.status === 'failed'
      ? { ...base, finishedAt: now().toISOString(), status: 'failed', error: o.error, ...steps }
      : {
          ...base,
          finishedAt: now().toISOString(),
          status: o.status,
          ...(o.detail ? { detail: o.detail } : {}),
          ...steps,
        };
  } catch (e) {
    return { ...base, finishedAt: now().toISOString(), status: 'failed', error: errorText(e) };
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
