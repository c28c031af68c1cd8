/**
 * engine: `jml plan` and `jml drift`, the read-only use cases: prepare, read the providers,
 * plan. A plan is data; the CLI renders it (src/report/render-plan.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ActualState } from '../model/state.js';
import { type DriftFinding, findDrift } from '../plan/drift.js';
import type { Plan } from '../plan/plan-types.js';
import { renderPlanJson } from '../report/render-plan.js';
import type { EngineContext } from './context.js';
import { type ProviderRead, readForDrift } from './drift-state.js';
import {
  type EngineOutcome,
  type Prepared,
  type PrepareRequest,
  planFrom,
  readActual,
  withPrepared,
} from './prepare.js';

export interface PlanRequest extends PrepareRequest {
  /** Also write the plan as JSON to this file, for `jml apply --plan` (jml plan --out). */
  out?: string;
}

export type PlanOutcome = EngineOutcome<{ plan: Plan }>;

/** What apply would change at the instant asked, with the reason for each change. */
export function planRepository(ctx: EngineContext, req: PlanRequest): Promise<PlanOutcome> {
  return withPrepared(ctx, req, async (p) => {
    const plan = planFrom(p, await readActual(p));
    if (req.out) {
      mkdirSync(path.dirname(path.resolve(req.out)), { recursive: true });
      writeFileSync(path.resolve(req.out), renderPlanJson(plan));
    }
    return { plan };
  });
}

export interface DriftRequest extends PrepareRequest {
  /**
   * Where the change feeds' state is kept between runs (drift-state.ts); undefined: every
   * provider is read in full and nothing is kept.
   */
  stateDir?: string;
  /** Read every provider in full even with a valid checkpoint, and keep a fresh one (--full). */
  full?: boolean;
}

/**
 * The plan, each of its changes as a difference between the providers and the repository, and
 * how each provider was read (incrementally or in full) and how fresh its state is.
 */
export type DriftOutcome = EngineOutcome<{ plan: Plan; findings: DriftFinding[]; reads: ProviderRead[] }>;

/**
 * The differences between the providers and the repository, each explained with its cause.
 * With `stateDir`, a provider with a change feed is read incrementally when its saved state
 * allows (drift-state.ts); the plan behind the findings is never applied from here.
 */
export function detectDrift(ctx: EngineContext, req: DriftRequest): Promise<DriftOutcome> {
  return withPrepared(ctx, req, async (p) => {
    const now = ctx.clock.now();
    const { actual, reads } =
      req.stateDir !== undefined
        ? await readForDrift(p, { dir: req.stateDir, now, ...(req.full ? { full: true } : {}) })
        : await readInFull(p, now);
    const plan = planFrom(p, actual);
    return { plan, findings: findDrift(plan, p.index.policy.sla), reads };
  });
}

async function readInFull(
  p: Prepared,
  now: number,
): Promise<{ actual: ActualState[]; reads: ProviderRead[] }> {
  const at = new Date(now).toISOString();
  const actual = await readActual(p);
  const reads = p.providers.map(
    (pr): ProviderRead => ({
      provider: pr.name,
      mode: 'full',
      reason: 'asked',
      readAt: at,
      lastFullReadAt: at,
    }),
  );
  return { actual, reads };
}
