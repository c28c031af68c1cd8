/**
 * engine: `jml apply`, the plan made now (or the one given) applied to the providers under the
 * safety guards, with its apply record always written (src/apply/apply.ts).
 */
import { type ApplyOutcome, runApply } from '../apply/apply.js';
import type { GuardFlags } from '../apply/guards.js';
import { recordClock } from '../apply/replay.js';
import type { Plan } from '../plan/plan-types.js';
import type { Trigger } from '../records/schema.js';
import type { EngineContext } from './context.js';
import {
  type EngineOutcome,
  knownAtOf,
  type PrepareRequest,
  planFrom,
  readActual,
  recordsDir,
  withPrepared,
} from './prepare.js';

export interface ApplyRequest extends PrepareRequest {
  /**
   * Apply exactly this plan (jml apply --plan; `at` should be its own), refused as stale when the
   * providers changed since it was made. Without it, the plan is made from the state just read.
   */
  plan?: Plan;
  /** The `--allow-*` switches of the safety guards. */
  flags: GuardFlags;
  /** Who and what started the run, for the apply record. */
  trigger: Trigger;
}

export type ApplyRunOutcome = EngineOutcome<{ outcome: ApplyOutcome }>;

/**
 * Applies the plan and writes the apply record into policy's records directory. With `at` away
 * from now the run is a replay (src/apply/replay.ts): the record says so, and measures its changes
 * and leaver timings on the simulated clock that starts at `at`.
 */
export function applyRepository(ctx: EngineContext, req: ApplyRequest): Promise<ApplyRunOutcome> {
  return withPrepared(ctx, req, async (p) => {
    // Terminations that reached the repository after their instant: their SLA runs from then.
    const knownAt = new Map<string, string>();
    const outcome = await runApply({
      providers: p.providers,
      policy: p.index.policy,
      flags: req.flags,
      readActual: () => readActual(p),
      plan: (actual) => {
        const plan = req.plan ?? planFrom(p, actual);
        for (const [person, at] of knownAtOf(p, plan)) knownAt.set(person, at);
        return plan;
      },
      knownAt,
      recordDir: recordsDir(p.root, p.index),
      trigger: req.trigger,
      // A replay when `--at` is away from now. A plan given (`--plan`) is applied now whatever
      // instant it was made for: the run is a replay only if its clock is a simulated one.
      clock: recordClock(ctx.clock, req.plan ? undefined : p.at),
    });
    return { outcome };
  });
}
